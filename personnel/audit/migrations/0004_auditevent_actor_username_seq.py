"""The explorer's filter by actor (issue #9): it matches the username kept on each event, which
had no index — a two-week range at large walked a hundred thousand events to find one actor's.
Built CONCURRENTLY: the trail keeps taking events (``audit_record``) while it builds."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0003_alter_auditevent_action"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["actor_username", "-seq"], name="audit_actor_username_seq"),
        ),
    ]
