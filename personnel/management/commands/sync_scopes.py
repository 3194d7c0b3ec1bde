from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from personnel.services import scope_sync_for_user


class Command(BaseCommand):
    help = (
        "Make every user's guardian scope grants match their memberships active today. "
        "Run daily; memberships that end by date already lose their scope in the selectors."
    )

    def handle(self, *args, **options):
        users = (
            get_user_model()
            .objects.filter(
                Q(memberships__isnull=False)
                | Q(orgunituserobjectpermission__isnull=False)
                | Q(committeeuserobjectpermission__isnull=False)
            )
            .distinct()
        )
        count = 0
        for user in users.iterator():
            with transaction.atomic():
                scope_sync_for_user(user=user)
            count += 1
        self.stdout.write(f"Scopes synced for {count} user(s).")
