"""Send the rotation reminders now (the job engine runs them every night)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from personnel.audit import context
from workflows.rotation.services import reminders_send


class Command(BaseCommand):
    help = "Remind of the reports due on rotated cadres and of rotations past their end."

    def handle(self, *args, **options):
        with context.acting_as(None):
            due = reminders_send()
        self.stdout.write(f"{due} reminder(s) due.")
