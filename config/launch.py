"""`make run` and `make test`: bring Cadreflow up, or test it, from a bare checkout.

    python -m config.launch run   [--host 127.0.0.1] [--port 8000]
    python -m config.launch test  [pytest arguments ...]

Without DATABASE_URL both start the embedded PostgreSQL in `.data/postgres` and stop it on exit
(Ctrl-C included). With DATABASE_URL they use that server and start nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BROWSER_HINT = (
    "Browser tests were SKIPPED: no Chromium found (set CHROMIUM_PATH, or install it:\n"
    "  sudo apt-get install -y chromium   # Debian/Ubuntu\n"
    "then run `make test` again; REQUIRE_BROWSER=1 turns a missing Chromium into a failure)."
)


def _say(message: str) -> None:
    print(f"[cadreflow] {message}", flush=True)


def _database_env(db_name: str) -> dict[str, str]:
    """DATABASE_URL as given, or the embedded server's (started here)."""
    if os.environ.get("DATABASE_URL"):
        return {}
    from config import embedded_db

    started = time.monotonic()
    embedded_db.start()
    embedded_db.ensure_database(db_name)
    _say(f"embedded PostgreSQL ready in {time.monotonic() - started:.1f}s ({embedded_db.PGDATA})")
    return {"DATABASE_URL": embedded_db.database_url(db_name)}


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run(host: str, port: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.update(_database_env("cadreflow"))

    import django
    from django.core.management import call_command

    from config.i18n import compile_catalogs

    compile_catalogs()
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    _say("database migrated")
    call_command("seed_demo", verbosity=0)  # the registry, then each procedure's demo data
    import uvicorn

    from personnel.demo import DEMO_PASSWORD, demo_logins

    url = f"http://{host}:{port}/"
    print()
    print("=" * 72)
    print(f"  Cadreflow is running at {url}   (Ctrl-C stops it, PostgreSQL included)")
    print(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role in demo_logins():
        print(f"    {username:<10} {role}")
    print("=" * 72, flush=True)
    # One process: web, websockets and a job worker (reminders, e-mail, timers) in its loop.
    os.environ["CADREFLOW_INPROCESS_WORKER"] = "1"
    uvicorn.run("config.asgi:application", host=host, port=port, lifespan="on", log_level="info")
    return 0


def test(pytest_args: list[str]) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env = dict(os.environ)
    env.update(_database_env("cadreflow"))

    from config.i18n import compile_catalogs

    compile_catalogs()

    args = [sys.executable, "-m", "pytest", *pytest_args]
    chromium = chromium_path()
    require_browser = os.environ.get("REQUIRE_BROWSER") == "1"
    if chromium:
        env["CHROMIUM_PATH"] = chromium
    elif require_browser:
        _say("REQUIRE_BROWSER=1 but no Chromium was found (CHROMIUM_PATH or /usr/bin/chromium).")
        return 2
    else:
        args += ["-m", "not browser"]

    # Forward Ctrl-C to pytest and still stop PostgreSQL afterwards (atexit in embedded_db).
    proc = subprocess.Popen(args, cwd=BASE_DIR, env=env)  # noqa: S603
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        code = proc.wait()
    if not chromium:
        print()
        _say(BROWSER_HINT)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.launch")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="serve Cadreflow with demo data")
    run_parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    sub.add_parser("test", help="run the whole test suite", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        return run(args.host, args.port)
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
