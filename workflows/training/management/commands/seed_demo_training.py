"""``manage.py seed_demo_training``: the demo province's training plan for this year, approved,
with its cadres at every stage of their dispatch, and next year's plan awaiting approval
(issue #8), built through the services. Run after ``seed_demo``; idempotent; demo mode only."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.training import demo


class Command(BaseCommand):
    help = (
        "Create the demo training plans: this year's, approved, with dispatches at every stage, "
        "and next year's, awaiting approval (after seed_demo). Idempotent; refused unless "
        "settings.CADREFLOW_DEMO_MODE is True."
    )

    def handle(self, *args, **options) -> None:
        if getattr(settings, "CADREFLOW_DEMO_MODE", False) is not True:
            raise CommandError(
                "seed_demo_training runs only with CADREFLOW_DEMO_MODE = True (dev settings)."
            )
        try:
            result = demo.seed_demo_training()
        except demo.DemoMissing as missing:
            raise CommandError(f"Run seed_demo first ({missing}).") from missing
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Demo training plan not created: {warning}"))
        if options["verbosity"] < 1:
            return
        for plan in result.created:
            self.stdout.write(f"Demo training plan created: {plan} — {plan.get_stage_display()}")
        if not result.created and not result.warnings:
            self.stdout.write("Demo training plans already present.")
