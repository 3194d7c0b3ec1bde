"""Fill this (empty, non-production) database with benchmark data: ``bench.datagen``.

``python -m bench.datagen --size ...`` is the usual entry point: it rebuilds its own database
``cadreflow_bench_<size>`` from scratch. This command fills the database the settings point at,
and refuses when it already holds cadres or when the settings are not a demo/benchmark setup.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from personnel.models import Cadre


class Command(BaseCommand):
    help = "Generate benchmark data (issue #9) in the configured, empty database."

    def add_arguments(self, parser):
        from bench.datagen import SIZES

        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--scale", type=float, default=None)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--password", default=None)
        parser.add_argument("--report", default=None, help="write the JSON report to this file")

    def handle(self, *args, size, scale, seed, password, report, **options):
        from bench.datagen import BENCH_PASSWORD, SIZES, generate
        from bench.datagen.loader import Progress

        if not getattr(settings, "CADREFLOW_DEMO_MODE", False):
            raise CommandError("Benchmark data only goes into demo or test databases.")
        if Cadre.objects.exists():
            raise CommandError(
                "This database already holds cadres. Use `python -m bench.datagen`, which "
                "rebuilds its own database, or start from an empty one."
            )
        chosen = SIZES[size].scaled(scale) if scale else SIZES[size]
        result = generate(
            chosen,
            seed=seed,
            password=password or BENCH_PASSWORD,
            progress=Progress(stream=self.stderr, quiet=options["verbosity"] == 0),
        )
        if report:
            with open(report, "w", encoding="utf-8") as stream:
                json.dump(result, stream, indent=2, ensure_ascii=False, default=str)
        for key, value in result["built"].items():
            self.stdout.write(f"{key}: {value:,}")
