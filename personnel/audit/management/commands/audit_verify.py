import sys
import time

from django.core.management.base import BaseCommand

from personnel.audit.verify import count_events, verify_chain


class Command(BaseCommand):
    help = "Verify the audit hash chain and every checkpoint; exit 1 naming the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, no_progress=False, **options):
        total = count_events()
        started = time.monotonic()
        done = 0
        show = not no_progress and total >= 50_000

        def progress(n):
            nonlocal done
            done += n
            if show:
                width = 40
                filled = int(width * done / max(total, 1))
                rate = done / max(time.monotonic() - started, 1e-9)
                sys.stderr.write(
                    f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({rate:,.0f}/s)"
                )
                sys.stderr.flush()

        result = verify_chain(progress=progress)
        if show:
            sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        if result.ok:
            self.stdout.write(
                f"OK: {result.checked} events, head #{result.head_seq} {result.head_hash}, "
                f"{result.checkpoints_checked} checkpoint(s) match ({elapsed:.2f}s)."
            )
            return
        for problem in result.problems:
            self.stderr.write(f"BROKEN: {problem}")
        sys.exit(1)
