"""``manage.py seed_demo_rotation``: a rotation under way with a report due, a rotation plan at
the standing committee's vote and a transfer awaiting the decision in the demo province
(issue #8), built through the services. Run after ``seed_demo``; idempotent; demo mode only."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.rotation import demo


class Command(BaseCommand):
    help = (
        "Create the demo rotations and transfer (after seed_demo). Idempotent; refused unless "
        "settings.CADREFLOW_DEMO_MODE is True."
    )

    def handle(self, *args, **options) -> None:
        if getattr(settings, "CADREFLOW_DEMO_MODE", False) is not True:
            raise CommandError(
                "seed_demo_rotation runs only with CADREFLOW_DEMO_MODE = True (dev settings)."
            )
        try:
            result = demo.seed_demo_rotation()
        except demo.DemoMissing as missing:
            raise CommandError(f"Run seed_demo first ({missing}).") from missing
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Demo rotations not created: {warning}"))
        if options["verbosity"] < 1:
            return
        for item in result.created:
            self.stdout.write(f"Demo rotation created: {item} — {item.get_stage_display()}")
        if not result.created and not result.warnings:
            self.stdout.write("Demo rotations already present.")
        if result.reminders:
            self.stdout.write(f"{result.reminders} rotation reminder(s) due.")
