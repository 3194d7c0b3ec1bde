"""Benchmark data at three sizes (issue #9, "Data"): a province with its cadres, procedures in
every state, workflow tasks, meetings with secret ballots and an audit trail that verifies.

    .venv/bin/python -m bench.datagen --size {tiny,small,medium,large} [--seed N]

builds the database ``cadreflow_bench_<size>`` on the embedded PostgreSQL (or
``BENCH_DATABASE_URL``) from scratch and writes ``bench/results/datagen-<size>.json`` (row
counts, timings, and the load test's logins with their tasks and open ballots).
``manage.py seed_bench --size ...`` fills the configured (empty, non-production) database.
Design notes: docs/design/bench-data.md.
"""

from .sizes import SIZES, Size

__all__ = ["BENCH_PASSWORD", "SIZES", "Generator", "Size", "generate"]


def generate(size: Size, **options) -> dict:
    """Fill the current database (migrated, without cadres) and return the report."""
    from .build import Generator

    return Generator(size, **options).run()


def __getattr__(name: str):
    # Django must be set up before the generator's modules load (``python -m bench.datagen``
    # imports this package first, then configures Django).
    if name in ("BENCH_PASSWORD", "Generator"):
        from . import build

        return getattr(build, name)
    raise AttributeError(name)
