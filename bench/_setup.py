"""Shared set-up for benchmarks: a dedicated database on the embedded PostgreSQL (or
BENCH_DATABASE_URL), migrated, with Django configured. Results go to bench/results/, or to the
directory in BENCH_RESULTS (``python -m bench --results DIR`` sets it for every benchmark, so a
CI run does not overwrite the committed results)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

COMMITTED_RESULTS = Path(__file__).resolve().parent / "results"
RESULTS = Path(os.environ.get("BENCH_RESULTS") or COMMITTED_RESULTS).resolve()


BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_PREFIX = "cadreflow_bench_tmpl_"


def _schema_key() -> str:
    """A digest of everything that decides the migrated schema: the project's migration files
    and the installed packages (theirs). A template made under another key is never used."""
    digest = hashlib.sha256()
    for path in sorted(BASE_DIR.glob("**/migrations/*.py")):
        if path.parts[len(BASE_DIR.parts)] in {".venv", ".data", "node_modules"}:
            continue
        digest.update(str(path.relative_to(BASE_DIR)).encode())
        digest.update(path.read_bytes())
    from importlib import metadata

    for dist in sorted({f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()}):
        digest.update(dist.encode())
    return digest.hexdigest()[:12]


def setup(db_name: str = "cadreflow_bench", *, fresh: bool = True) -> None:
    """Configure Django on ``db_name``, migrated. ``fresh`` drops it first. On the embedded
    server a fresh database is copied from a migrated template (``cadreflow_bench_tmpl_<key>``,
    made by the first fresh set-up of a schema, see ``_schema_key``) instead of migrating from
    nothing, which takes most of a minute; ``migrate`` then still runs (a no-op)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["DEBUG"] = "0"
    template = None
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    elif not os.environ.get("DATABASE_URL"):
        import psycopg

        from config import embedded_db

        if fresh:
            template = TEMPLATE_PREFIX + _schema_key()
            with psycopg.connect(embedded_db.start().get_uri("postgres"), autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
                found = c.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [template]
                ).fetchone()
                if found:
                    try:
                        c.execute(f'CREATE DATABASE "{db_name}" TEMPLATE "{template}"')
                        template = None  # copied: nothing to save afterwards
                    except psycopg.Error:
                        pass  # in use by another copy right now: migrate from nothing
        embedded_db.ensure_database(db_name)
        os.environ["DATABASE_URL"] = embedded_db.database_url(db_name)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if template:
        _save_template(db_name, template)


def _save_template(db_name: str, template: str) -> None:
    """Keep the freshly migrated ``db_name`` as the template of later fresh set-ups (and drop
    the templates of other schemas). Best effort: a failure only costs the next set-up time."""
    import psycopg
    from django.db import connections

    from config import embedded_db

    for conn in connections.all():
        conn.close()
        if hasattr(conn, "close_pool"):
            conn.close_pool()
    try:
        with psycopg.connect(embedded_db.start().get_uri("postgres"), autocommit=True) as c:
            stale = c.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                [TEMPLATE_PREFIX + "%", template],
            ).fetchall()
            for (name,) in stale:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{template}" TEMPLATE "{db_name}"')
    except psycopg.Error as exc:
        print(f"bench: no template saved ({exc})", file=sys.stderr)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples_s: list[float]) -> dict:
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "max_ms": round(max(ms), 3),
    }


def write(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path
