"""``manage.py queue_refresh``: recompute who each open task is offered to (the nightly
``queue-refresh`` job does the same). Run once after upgrading to the stored queue."""

from django.core.management.base import BaseCommand

from workflows.core.queues import queue_refresh


class Command(BaseCommand):
    help = "Recompute who each open workflow task is offered to (idempotent)."

    def handle(self, *args, **options):
        counts = queue_refresh()
        self.stdout.write(
            f"{counts['tasks']} open task(s) checked: {counts['added']} offer(s) added, "
            f"{counts['removed']} removed."
        )
