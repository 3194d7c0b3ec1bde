"""``manage.py seed_demo_appointments``: appointment procedures at several stages in the demo
province (issue #6), built through the services. Run after ``seed_demo``; idempotent; demo mode
only."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.appointment import demo


class Command(BaseCommand):
    help = (
        "Create demo appointment procedures at several stages (after seed_demo). Idempotent; "
        "refused unless settings.CADREFLOW_DEMO_MODE is True."
    )

    def handle(self, *args, **options) -> None:
        if getattr(settings, "CADREFLOW_DEMO_MODE", False) is not True:
            raise CommandError(
                "seed_demo_appointments runs only with CADREFLOW_DEMO_MODE = True (dev settings)."
            )
        try:
            result = demo.seed_demo_appointments()
        except demo.DemoMissing as missing:
            raise CommandError(f"Run seed_demo first ({missing}).") from missing
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Demo appointment not created: {warning}"))
        if options["verbosity"] < 1:
            return
        for appointment in result.created:
            self.stdout.write(
                f"Demo appointment created: {appointment} — {appointment.get_stage_display()}"
            )
        if not result.created:
            self.stdout.write("Demo appointments already present.")
