"""Websocket notifications benchmark (issue #5): commit-to-browser latency with many clients.

    .venv/bin/python -m bench.websockets [--clients 500] [--paced 1000] [--rate 100]

What runs, all on this machine (as in production, through the Redis channel layer):
- one ASGI server process (uvicorn, ``config.asgi``) holding every websocket;
- ``--clients`` websocket clients, each logged in as its own user (real sessions, real origin
  check), in this process's event loop;
- a producer process that changes state in transactions which call ``notify()``; it records
  the moment each transaction commits. Latency = client receipt − producer commit (same clock).

Scenarios: ``paced`` — one notification to one user at a time at ``--rate`` per second (task
assignments through the day); ``burst`` — one notification to every client in one transaction
(a ballot opening for a large meeting).

Needs Redis: REDIS_URL, or the machine's 127.0.0.1:6379. Writes bench/results/websockets.json
and websockets.md. Uses its own database (cadreflow_bench_ws), rebuilt each run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench._setup import RESULTS, setup, summary_ms, write

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCER = r"""
import json, os, sys, time
import django
django.setup()
from django.db import transaction
from notifications import kinds
from notifications.services import notify

plan = json.loads(sys.stdin.readline())
user_ids = plan["user_ids"]
commits = {}

def mark(key):
    commits[key] = time.time()

if plan["scenario"] == "paced":
    interval = 1.0 / plan["rate"]
    start = time.perf_counter()
    for i in range(plan["count"]):
        uid = user_ids[i % len(user_ids)]
        key = f"p{i}"
        with transaction.atomic():
            transaction.on_commit(lambda key=key: mark(key))  # fires first: the commit moment
            notify(recipients=[uid], kind=kinds.TASK_QUEUED,
                   params={"task": key, "process": "bench"})
        delay = start + (i + 1) * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
else:
    key = "burst"
    with transaction.atomic():
        transaction.on_commit(lambda: mark(key))
        notify(recipients=user_ids, kind=kinds.BALLOT_OPENED,
               params={"ballot": key, "meeting": "bench"})
    commits["_pushed"] = time.time()  # rows written and every group message published
print(json.dumps(commits), flush=True)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    host, port = "127.0.0.1", 6379
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        sys.exit(
            "Redis is needed (REDIS_URL or 127.0.0.1:6379): clients and producer are "
            "separate processes, as in production."
        )
    return url


def _users_and_sessions(n: int) -> list[tuple[int, str]]:
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    User = get_user_model()
    User.objects.filter(username__startswith="wsbench").delete()
    users = User.objects.bulk_create(
        User(username=f"wsbench{i:05d}", password="!", first_name=str(i)) for i in range(n)
    )
    out = []
    for u in users:
        store = SessionStore()
        store[SESSION_KEY] = str(u.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = u.get_session_auth_hash()
        store.create()
        out.append((u.pk, store.session_key))
    return out


def _server(port: int, env: dict) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--log-level",
        "warning",
        "--ws-max-queue",
        "64",
    ]
    return subprocess.Popen(cmd, cwd=BASE_DIR, env=env)  # noqa: S603


async def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not start")


class Clients:
    def __init__(self, port: int, sessions: list[tuple[int, str]]):
        self.port = port
        self.sessions = sessions
        self.received: dict[str, list[float]] = {}
        self.sockets = []
        self.errors = 0

    async def _one(self, session_key: str, ready: asyncio.Event, counter: list[int]):
        import websockets

        try:
            ws = await websockets.connect(
                f"ws://127.0.0.1:{self.port}/ws/notifications/",
                additional_headers={
                    "Cookie": f"sessionid={session_key}",
                    "Origin": f"http://127.0.0.1:{self.port}",
                },
                open_timeout=60,
                ping_interval=None,
            )
        except Exception:
            self.errors += 1
            counter[0] += 1
            if counter[0] == len(self.sessions):
                ready.set()
            return
        self.sockets.append(ws)
        await ws.recv()  # hello
        counter[0] += 1
        if counter[0] == len(self.sessions):
            ready.set()
        try:
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                if message.get("type") == "notification":
                    key = message["item"]["title"].rsplit(": ", 1)[-1]
                    self.received.setdefault(key, []).append(now)
        except Exception:
            pass

    async def connect_all(self) -> float:
        ready = asyncio.Event()
        counter = [0]
        started = time.monotonic()
        self.tasks = []
        for _uid, key in self.sessions:
            self.tasks.append(asyncio.create_task(self._one(key, ready, counter)))
            await asyncio.sleep(0)  # stagger the handshakes a little
        await asyncio.wait_for(ready.wait(), timeout=180)
        return time.monotonic() - started

    async def close(self):
        for ws in self.sockets:
            await ws.close()
        for t in self.tasks:
            t.cancel()


async def _produce(env: dict, plan: dict) -> dict:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PRODUCER,
        cwd=BASE_DIR,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate((json.dumps(plan) + "\n").encode())
    if proc.returncode:
        raise RuntimeError("producer failed")
    return json.loads(out.decode().strip().splitlines()[-1])


async def _drain(clients: Clients, expected: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(len(v) for v in clients.received.values()) >= expected:
            return
        await asyncio.sleep(0.1)


def _latencies(commits: dict, received: dict) -> list[float]:
    out = []
    for key, committed in commits.items():
        for at in received.get(key, []):
            out.append(max(at - committed, 0.0))
    return out


async def run(args, sessions, redis_url: str) -> dict:
    from django.conf import settings

    port = _free_port()
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DEBUG": "0",
            "REDIS_URL": redis_url,
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "PYTHONPATH": str(BASE_DIR),
            "DB_POOL_MAX": "20",
            "LOG_LEVEL": "WARNING",
        }
    )
    server = _server(port, env)
    results: dict = {
        "clients": args.clients,
        "channel_layer": "redis " + os.environ.get("REDIS_CHANNEL_LAYER", "pubsub"),
        "server": "uvicorn, 1 process",
    }
    try:
        await _wait_port(port)
        clients = Clients(port, sessions)
        connect_s = await clients.connect_all()
        results["connected"] = len(clients.sockets)
        results["connect_errors"] = clients.errors
        results["connect_all_s"] = round(connect_s, 2)
        user_ids = [uid for uid, _ in sessions]

        plan = {"scenario": "paced", "user_ids": user_ids, "count": args.paced, "rate": args.rate}
        commits = await _produce(env, plan)
        await _drain(clients, args.paced)
        lat = _latencies(commits, clients.received)
        results["paced"] = {
            "sent": args.paced,
            "rate_per_s": args.rate,
            "received": len(lat),
            "lost": args.paced - len(lat),
            **summary_ms(lat or [0.0]),
        }
        clients.received.clear()

        commits = await _produce(env, {"scenario": "burst", "user_ids": user_ids})
        await _drain(clients, len(user_ids))
        pushed = commits.pop("_pushed") - commits["burst"]
        lat = _latencies(commits, clients.received)
        results["burst"] = {
            "write_and_publish_ms": round(pushed * 1000, 1),
            "sent": len(user_ids),
            "received": len(lat),
            "lost": len(user_ids) - len(lat),
            **summary_ms(lat or [0.0]),
        }
        await clients.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    results["database"] = settings.DATABASES["default"]["NAME"]
    return results


def _markdown(r: dict) -> str:
    lines = [
        "# Websocket notifications: commit-to-browser latency",
        "",
        f"{r['connected']} clients connected (errors {r['connect_errors']}) in "
        f"{r['connect_all_s']} s; {r['server']}, {r['channel_layer']} channel layer; "
        "producer in its own process. Target: p95 < 100 ms, nothing lost.",
        "",
        "| scenario | sent | lost | median ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("paced", "burst"):
        s = r[name]
        label = f"paced, {s['rate_per_s']}/s" if name == "paced" else "burst to all clients"
        lines.append(
            f"| {label} | {s['sent']} | {s['lost']} | {s['median_ms']} | {s['p95_ms']} | "
            f"{s['max_ms']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--paced", type=int, default=1000, help="notifications in the paced run")
    parser.add_argument("--rate", type=float, default=100, help="paced notifications per second")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.clients * 4 + 256)), hard))
    redis_url = _redis_url()
    setup("cadreflow_bench_ws")
    sessions = _users_and_sessions(args.clients)
    results = asyncio.run(run(args, sessions, redis_url))
    name = "websockets" if args.clients == 500 else f"websockets-{args.clients}"
    path = write(name, results)
    (RESULTS / f"{name}.md").write_text(_markdown(results))
    print(json.dumps(results, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
