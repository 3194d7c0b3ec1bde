from django.core.management.base import BaseCommand

from config.i18n import compile_catalogs


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo with polib (no system gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Rewrite every .mo file.")

    def handle(self, *args, force=False, **options):
        written = compile_catalogs(force=force)
        self.stdout.write(f"{len(written)} catalogue(s) compiled.")
