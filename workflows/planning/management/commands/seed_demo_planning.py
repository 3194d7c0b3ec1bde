"""``manage.py seed_demo_planning``: a planning review at the standing committee's vote in the
demo province, and the removals the nightly scan proposes (issue #7), built through the
services. Run after ``seed_demo``; idempotent; demo mode only."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.planning import demo, services
from workflows.planning.models import StepCode


class Command(BaseCommand):
    help = (
        "Create the demo planning review, at the standing committee's vote, and run the removal "
        "scan (after seed_demo). Idempotent; refused unless settings.CADREFLOW_DEMO_MODE is True."
    )

    def handle(self, *args, **options) -> None:
        if getattr(settings, "CADREFLOW_DEMO_MODE", False) is not True:
            raise CommandError(
                "seed_demo_planning runs only with CADREFLOW_DEMO_MODE = True (dev settings)."
            )
        try:
            result = demo.seed_demo_planning()
        except demo.DemoMissing as missing:
            raise CommandError(f"Run seed_demo first ({missing}).") from missing
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Demo planning review not created: {warning}"))
        if options["verbosity"] < 1:
            return
        for review in result.created:
            step = services.current_step(review)
            self.stdout.write(
                f"Demo planning review created: {review} — {review.get_stage_display()}"
                + (f"; {StepCode(step).label}" if step else "")
            )
        for removal in result.removals:
            self.stdout.write(f"Demo removal from the plan proposed: {removal}")
        if not result.created and not result.removals and not result.warnings:
            self.stdout.write("Demo planning review already present.")
