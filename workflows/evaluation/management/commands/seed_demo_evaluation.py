"""``manage.py seed_demo_evaluation``: an evaluation campaign under way in the demo province
(issue #7), built through the services. Run after ``seed_demo``; idempotent; demo mode only."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.evaluation import demo
from workflows.evaluation.models import EvaluationState


class Command(BaseCommand):
    help = (
        "Create the demo evaluation campaign, part-way through (after seed_demo). Idempotent; "
        "refused unless settings.CADREFLOW_DEMO_MODE is True."
    )

    def handle(self, *args, **options) -> None:
        if getattr(settings, "CADREFLOW_DEMO_MODE", False) is not True:
            raise CommandError(
                "seed_demo_evaluation runs only with CADREFLOW_DEMO_MODE = True (dev settings)."
            )
        try:
            result = demo.seed_demo_evaluation()
        except demo.DemoMissing as missing:
            raise CommandError(f"Run seed_demo first ({missing}).") from missing
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Demo evaluation not created: {warning}"))
        if options["verbosity"] < 1:
            return
        for campaign in result.created:
            states = ", ".join(
                f"{n} {EvaluationState(state).label}"
                for state, n in demo.state_counts(campaign).items()
            )
            self.stdout.write(f"Demo evaluation campaign created: {campaign} — {states}")
        if not result.created and not result.warnings:
            self.stdout.write("Demo evaluation campaign already present.")
