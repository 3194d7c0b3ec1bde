"""Run the automatic removal scan now (the job engine runs it every night)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from personnel.audit import context
from workflows.planning.services import removal_scan


class Command(BaseCommand):
    help = "Propose removals from the plan for every automatic ground that holds (I-19)."

    def handle(self, *args, **options):
        with context.acting_as(None):
            created = removal_scan()
        self.stdout.write(f"{len(created)} removal(s) proposed.")
