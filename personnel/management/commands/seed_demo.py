"""``manage.py seed_demo``: load the demo province and print the demo logins (demo mode only)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from personnel import demo


class Command(BaseCommand):
    help = (
        "Create the demo dataset (Tỉnh Đồng Tháp: units, committees, cadres, records) and the "
        "demo logins. Idempotent; refused unless settings.CADREFLOW_DEMO_MODE is True."
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
        if options["verbosity"] < 1:
            return
        if result.created:
            counts = ", ".join(f"{value} {name}" for name, value in result.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Demo dataset created: {counts}."))
        else:
            self.stdout.write("Demo dataset already present; demo logins checked.")
        self.stdout.write("")
        self.stdout.write(demo.logins_table())
