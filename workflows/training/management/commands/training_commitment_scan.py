"""Run the commitment scan now (the job engine runs it every night)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from personnel.audit import context
from workflows.training.services import commitment_scan


class Command(BaseCommand):
    help = (
        "Raise a breach task for every cadre who left the unit they committed to serve before "
        "the commitment ended, and close the commitments fulfilled."
    )

    def handle(self, *args, **options):
        with context.acting_as(None):
            result = commitment_scan()
        self.stdout.write(
            f"{len(result.breaches)} breach(es) found, {len(result.fulfilled)} fulfilled."
        )
