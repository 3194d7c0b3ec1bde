"""``manage.py seed_demo``: load the demo province and print the demo logins (demo mode only)."""

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from personnel import demo

#: The procedures' own demo data, built after the registry through their services (each
#: command is idempotent and demo-only): (app that owns it, command).
PROCEDURE_SEEDERS = (
    ("workflows.core", "seed_demo_meetings"),
    ("workflows.appointment", "seed_demo_appointments"),
    ("workflows.evaluation", "seed_demo_evaluation"),
    ("workflows.planning", "seed_demo_planning"),
    ("workflows.rotation", "seed_demo_rotation"),
    ("workflows.training", "seed_demo_training"),
)


class Command(BaseCommand):
    help = (
        "Create the demo dataset (Tỉnh Đồng Tháp: units, committees, cadres, records) and the "
        "demo logins. Idempotent; refused unless settings.CADREFLOW_DEMO_MODE is True."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--registry-only",
            action="store_true",
            help="Only the registry (units, committees, cadres, logins): no meetings or "
            "procedures.",
        )

    def handle(self, *args, **options) -> None:
        if getattr(settings, "CADREFLOW_DEMO_MODE", False) is not True:
            raise CommandError(
                "seed_demo is disabled: settings.CADREFLOW_DEMO_MODE is not True. Demo data and "
                "demo users with a published password must never exist in production; run it "
                "with the dev settings (DJANGO_SETTINGS_MODULE=config.settings.dev)."
            )
        result = demo.seed_demo()
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        if not options["registry_only"]:
            for app, command in PROCEDURE_SEEDERS:
                if apps.is_installed(app):
                    call_command(
                        command,
                        verbosity=options["verbosity"],
                        stdout=self.stdout._out,
                        stderr=self.stderr._out,
                    )
        if options["verbosity"] < 1:
            return
        if result.created:
            counts = ", ".join(f"{value} {name}" for name, value in result.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Demo dataset created: {counts}."))
        else:
            self.stdout.write("Demo dataset already present; demo logins checked.")
        self.stdout.write("")
        self.stdout.write(demo.logins_table())
