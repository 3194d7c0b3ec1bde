"""An index on viewflow's process table, newest first.

Every procedure's list (appointments, planning reviews, rotation and training plans, evaluation
campaigns) shows the user's processes newest first, a page at a time. Without it PostgreSQL
sorted every process (100,000 at large, spilling to disk) before it kept the first 25; with it
it walks the index and stops at the page. viewflow's own models declare no such index, so it is
added here, on viewflow's table, by name.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_meeting_newest_index"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS cf_process_newest "
            "ON viewflow_process (created DESC, id DESC)",
            reverse_sql="DROP INDEX IF EXISTS cf_process_newest",
        ),
    ]
