"""Websocket notifications benchmark (issues #5, #9): commit-to-browser latency with many clients.

    .venv/bin/python -m bench.websockets [--clients 500,2000] [--paced 1000] [--rate 100]
    .venv/bin/python -m bench.websockets --quick          # CI: 50 clients, 100 paced messages
    .venv/bin/python -m bench.websockets --clients 500 --diagnose   # where a burst's time goes

What runs, all on this machine (as in production, through the Redis channel layer), once per
client count in ``--clients``:
- one ASGI server process (uvicorn, ``config.asgi``) holding every websocket, started afresh for
  each count; its resident memory (RSS) is sampled every 0.2 s: after connecting, and the peak;
- that many websocket clients, each logged in as its own user (real sessions, real origin
  check), in this process's event loop;
- a producer process that changes state in transactions which call ``notify()``; it records
  the moment each transaction commits. Latency = client receipt − producer commit (same clock).

Scenarios: ``paced`` — one notification to one user at a time at ``--rate`` per second (task
assignments through the day); ``burst`` — one notification to every client in one transaction
(a ballot opening for a large meeting). Lost = sent − received within the drain timeout.

The soft limit on open files (``ulimit -n``) is raised for this process and its children (the
server inherits it) to 4 per client + 256, within the hard limit; both are recorded. A count the
hard limit cannot hold fails with a message rather than half-connecting.

``--diagnose`` runs the server with its consumer's per-event read (``_read_fresh``: the session
re-check and the notification read through the user's scope, in a worker thread, batched for
the events that arrive together) timed, bench only, and adds to the results where a burst's
time goes: waiting for the read to start, the read itself (its batch), the batches and the
threads used. ``--threads N`` gives the server's event loop N worker threads
(default: Python's, min(32, CPUs + 4)) to measure what more threads buy. ``--variant`` runs
bench-only experiments on the server and the producer (patched in their processes, nothing in
notifications/ changes): ``session-cache`` (the consumer re-reads the session at most once a
minute, not per event) and ``gather-push`` (a notification's group messages published
concurrently, not one after the other) — to size the fixes proposed in bench/README.md.

Needs Redis: REDIS_URL, or the machine's 127.0.0.1:6379. Writes websockets.json and
websockets.md to bench/results/ (BENCH_RESULTS; ``--name`` for another name). Uses its own
database (cadreflow_bench_ws), rebuilt each run.
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

DEFAULT_CLIENTS = "500,2000"
TARGET_P95_MS = 100
#: the server, run by ``--diagnose`` / ``--threads``: uvicorn with the consumer's per-event
#: read timed (bench only; nothing in notifications/ changes) and an optional thread pool size.
SERVER = r"""
import asyncio, json, os, signal, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
import uvicorn

threads = int(os.environ.get("BENCH_WS_THREADS") or 0)
trace_path = os.environ.get("BENCH_WS_TRACE")
events = []
layer_receipts = []
if trace_path:
    import django
    django.setup()
    from notifications import consumers

    original_read = consumers._read_fresh
    original_forward = consumers.NotificationConsumer._forward
    busy = set()

    from django.db import connection

    def read_fresh(items):  # one batch of per-event reads (one event alone, or a burst's many)
        started = time.time()
        busy.add(threading.get_ident())
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        try:
            with connection.execute_wrapper(count):
                return original_read(items)
        finally:
            ended = time.time()
            for consumer, _ in items:
                consumer._bench_times = (started, ended, queries[0] / len(items))

    if "session-cache" in os.environ.get("BENCH_WS_VARIANT", ""):
        # Experiment, bench only: re-read the session at most once a minute per socket.
        original_session_user = consumers.LiveConsumer._session_user

        def session_user(self):
            now = time.monotonic()
            cached = getattr(self, "_bench_session", None)
            if cached and now - cached[0] < 60:
                return cached[1]
            user = original_session_user(self)
            self._bench_session = (now, user)
            return user

        consumers.LiveConsumer._session_user = session_user

    async def forward(self, notification_id):  # per event, in either kind of group message
        received = time.time()
        result = await original_forward(self, notification_id)
        started, ended, queries = getattr(self, "_bench_times", (received, received, 0))
        events.append([received, started, ended, time.time(), queries])
        return result

    consumers._read_fresh = read_fresh
    consumers.NotificationConsumer._forward = forward

    try:  # when the group messages reach this process (pub/sub layer), before any consumer
        from channels_redis import pubsub

        original_receive_message = pubsub.RedisSingleShardConnection._receive_message

        def receive_message(self, message):
            if message is not None:
                layer_receipts.append(time.time())
            return original_receive_message(self, message)

        pubsub.RedisSingleShardConnection._receive_message = receive_message
    except ImportError:
        pass


class Server(uvicorn.Server):
    async def _serve(self, sockets=None):
        if threads:
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(threads))
        await super()._serve(sockets)
        if trace_path:  # before uvicorn re-raises SIGTERM on the way out
            with open(trace_path, "w") as f:
                json.dump({"events": events, "threads": len(busy), "layer": layer_receipts}, f)


config = uvicorn.Config(
    "config.asgi:application", host="127.0.0.1", port=int(sys.argv[1]), lifespan="off",
    log_level="warning", ws_max_queue=64,
)
Server(config).run()
"""

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCER = r"""
import json, os, sys, time
import django
django.setup()
from django.db import transaction
from notifications import kinds
from notifications.services import notify

if "gather-push" in os.environ.get("BENCH_WS_VARIANT", ""):
    # Experiment, bench only: publish a notification's group messages concurrently.
    import asyncio
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from notifications import realtime

    def push(messages):
        messages = list(messages)
        layer = get_channel_layer()

        async def send_all():
            await asyncio.gather(*(layer.group_send(g, e) for g, e in messages))

        if messages:
            async_to_sync(send_all)()

    realtime.push = push

from notifications import realtime as _realtime

_push, push_seconds = _realtime.push, []


def timed_push(messages):  # how long publishing takes, apart from writing the rows
    started = time.perf_counter()
    _push(messages)
    push_seconds.append(time.perf_counter() - started)


_realtime.push = timed_push
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
    commits["_push_s"] = sum(push_seconds)
print(json.dumps(commits), flush=True)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_url() -> str:
    from urllib.parse import urlparse

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        sys.exit(
            f"Redis is needed at {host}:{port} (REDIS_URL, default 127.0.0.1:6379): clients "
            "and producer are separate processes, as in production."
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


def _server(port: int, env: dict, *, wrapped: bool) -> subprocess.Popen:
    if wrapped:
        cmd = [sys.executable, "-c", SERVER, str(port)]
    else:
        cmd = [
            sys.executable,
            *("-m", "uvicorn", "config.asgi:application"),
            *("--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"),
            *("--log-level", "warning", "--ws-max-queue", "64"),
        ]
    return subprocess.Popen(cmd, cwd=BASE_DIR, env=env)  # noqa: S603


class RssSampler:
    """The server process's resident memory, sampled in the background (MB)."""

    def __init__(self, pid: int):
        import psutil

        self.process = psutil.Process(pid)
        self.peak = 0.0
        self.task = None

    def now(self) -> float:
        try:
            rss = self.process.memory_info().rss / 2**20
        except Exception:
            return self.peak
        self.peak = max(self.peak, rss)
        return rss

    async def _loop(self):
        while True:
            self.now()
            await asyncio.sleep(0.2)

    def start(self):
        self.task = asyncio.create_task(self._loop())

    def stop(self):
        if self.task:
            self.task.cancel()


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


def _diagnosis(trace: dict, commit_at: float) -> dict:
    """Where a burst's time went, per event: receipt at the server after the commit, waiting
    for a worker thread, the per-event read itself, and the send after it."""
    events = trace.get("events") or []
    if not events:
        return {}
    received = [e[0] - commit_at for e in events]
    waited = [e[1] - e[0] for e in events]
    read = [e[2] - e[1] for e in events]
    queries = [e[4] for e in events if len(e) > 4]
    total = max(e[3] for e in events) - min(e[0] for e in events)
    # Events read together (one batch of the consumer's coalesced read) share start and end.
    batches = {(e[1], e[2]) for e in events}
    layer = [t - commit_at for t in trace.get("layer") or [] if t >= commit_at]
    return {
        "events": len(events),
        "layer_messages": len(layer),
        "layer_receipt_after_commit": summary_ms(layer) if layer else None,
        "read_batches": len(batches),
        "worker_threads_used": trace.get("threads"),
        "server_receipt_after_commit": summary_ms(received),
        "wait_for_worker_thread": summary_ms(waited),
        "per_event_read": summary_ms(read),
        "per_event_read_total_s": round(sum(end - start for start, end in batches), 2),
        "queries_per_event": round(sum(queries) / len(queries), 4) if queries else None,
        "first_receipt_to_last_send_s": round(total, 2),
    }


async def run_count(args, count: int, sessions, redis_url: str) -> dict:
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
    trace_path = None
    if args.diagnose:
        trace_path = Path(f"/tmp/bench-ws-trace-{os.getpid()}-{count}.json")
        env["BENCH_WS_TRACE"] = str(trace_path)
    if args.threads:
        env["BENCH_WS_THREADS"] = str(args.threads)
    if args.variant:
        env["BENCH_WS_VARIANT"] = args.variant
    server = _server(port, env, wrapped=bool(args.diagnose or args.threads or args.variant))
    sessions = sessions[:count]
    results: dict = {"clients": count}
    rss = RssSampler(server.pid)
    try:
        await _wait_port(port)
        rss.start()
        results["server_rss_mb_idle"] = round(rss.now(), 1)
        clients = Clients(port, sessions)
        connect_s = await clients.connect_all()
        results["connected"] = len(clients.sockets)
        results["connect_errors"] = clients.errors
        results["connect_all_s"] = round(connect_s, 2)
        results["server_rss_mb_connected"] = round(rss.now(), 1)
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
        await _drain(clients, len(user_ids), timeout=max(20, count / 25))
        pushed = commits.pop("_pushed") - commits["burst"]
        publish_s = commits.pop("_push_s", None)
        lat = _latencies(commits, clients.received)
        results["burst"] = {
            "write_and_publish_ms": round(pushed * 1000, 1),
            "publish_ms": publish_s and round(publish_s * 1000, 1),
            "sent": len(user_ids),
            "received": len(lat),
            "lost": len(user_ids) - len(lat),
            **summary_ms(lat or [0.0]),
        }
        burst_commit = commits["burst"]
        rss.now()
        await clients.close()
    finally:
        rss.stop()
        server.terminate()
        server.wait(timeout=30)
    results["server_rss_mb_peak"] = round(rss.peak, 1)
    if trace_path and trace_path.exists():
        trace = json.loads(trace_path.read_text())
        trace_path.unlink()
        # The trace holds the paced events too: the burst's are those received after its commit.
        trace["events"] = [e for e in trace["events"] if e[0] >= burst_commit]
        results["burst"]["diagnosis"] = _diagnosis(trace, burst_commit)
    return results


async def run(args, counts: list[int], sessions, redis_url: str) -> dict:
    from django.conf import settings

    results: dict = {
        "clients": counts,
        "channel_layer": "redis " + os.environ.get("REDIS_CHANNEL_LAYER", "pubsub"),
        "server": "uvicorn, 1 process"
        + (f", {args.threads} worker threads" if args.threads else "")
        + (", per-event read timed (--diagnose)" if args.diagnose else "")
        + (f", experiment: {args.variant}" if args.variant else ""),
        "paced_messages": args.paced,
        "rate_per_s": args.rate,
        "target_p95_ms": TARGET_P95_MS,
        "quick": args.quick,
        "runs": {},
    }
    for count in counts:
        print(f"[websockets] {count} clients", file=sys.stderr, flush=True)
        results["runs"][str(count)] = await run_count(args, count, sessions, redis_url)
    results["database"] = settings.DATABASES["default"]["NAME"]
    return results


def _verdict(run: dict, scenario: str) -> str:
    s = run[scenario]
    problems = []
    if s["p95_ms"] >= TARGET_P95_MS:
        problems.append(f"p95 {s['p95_ms'] / TARGET_P95_MS:.1f}× the target")
    if s["lost"]:
        problems.append(f"{s['lost']} lost")
    return "met" if not problems else "**missed** (" + ", ".join(problems) + ")"


def _layer(d: dict) -> str:
    """How many group messages of the burst reached the server process, and when the last did
    (ms after the commit)."""
    at = d.get("layer_receipt_after_commit")
    return f"{d['layer_messages']:,}: {at['max_ms']:,.1f}" if at else "—"


def _markdown(r: dict) -> str:
    lines = [
        "# Websocket notifications: commit-to-browser latency",
        "",
        f"{r['server']}, {r['channel_layer']} channel layer; producer in its own process; "
        f"paced: {r['paced_messages']} notifications at {r['rate_per_s']:g}/s, one user each; "
        "burst: one notification to every client in one transaction. "
        f"Target: p95 < {r['target_p95_ms']} ms, nothing lost."
        + (" **Quick run (CI): no verdicts.**" if r.get("quick") else ""),
        "",
        "| clients | connected (errors) | scenario | sent | lost | median ms | p95 ms | max ms "
        "| verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for count, run in r["runs"].items():
        for name in ("paced", "burst"):
            s = run[name]
            label = f"paced, {s['rate_per_s']:g}/s" if name == "paced" else "burst to all"
            verdict = "—" if r.get("quick") else _verdict(run, name)
            lines.append(
                f"| {count} | {run['connected']} ({run['connect_errors']}) | {label} | "
                f"{s['sent']} | {s['lost']} | {s['median_ms']:,.1f} | {s['p95_ms']:,.1f} | "
                f"{s['max_ms']:,.1f} | {verdict} |"
            )
    lines += [
        "",
        "| clients | connect all (s) | burst: write + publish (ms) | of which publish (ms) "
        "| server RSS idle / connected / peak (MB) |",
        "|---|---|---|---|---|",
    ]
    for count, run in r["runs"].items():
        lines.append(
            f"| {count} | {run['connect_all_s']} | {run['burst']['write_and_publish_ms']:,.1f} | "
            f"{run['burst'].get('publish_ms') or '—'} | "
            f"{run['server_rss_mb_idle']} / {run['server_rss_mb_connected']} / "
            f"{run['server_rss_mb_peak']} |"
        )
    diagnosed = {
        c: run["burst"]["diagnosis"]
        for c, run in r["runs"].items()
        if run["burst"].get("diagnosis")
    }
    if diagnosed:
        lines += [
            "",
            "Burst, per event at the server (--diagnose): the group messages that reached the "
            "server process (pub/sub layer) and ms after the commit when the last did; p95 ms of "
            "a consumer's receipt after the commit, "
            "wait for the read to start (a worker thread, and the batch it joins), the "
            "consumer's read (`_read_fresh`, the event's whole batch); read batches; total "
            "read time (each batch once).",
            "",
            "| clients | threads used | layer messages: last at | receipt p95 | thread wait p95 "
            "| read median / p95 | queries per event | batches | read total (s) "
            "| first receipt → last send (s) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for count, d in diagnosed.items():
            lines.append(
                f"| {count} | {d['worker_threads_used']} | {_layer(d)} | "
                f"{d['server_receipt_after_commit']['p95_ms']:,.1f} | "
                f"{d['wait_for_worker_thread']['p95_ms']:,.1f} | "
                f"{d['per_event_read']['median_ms']:,.1f} / {d['per_event_read']['p95_ms']:,.1f} | "
                f"{d.get('queries_per_event')} | {d.get('read_batches', '—')} | "
                f"{d['per_event_read_total_s']} | {d['first_receipt_to_last_send_s']} |"
            )
    lines += [
        "",
        f"Open files: {r['nofile']['needed']:,} needed (4 per client + 256), soft limit "
        f"{r['nofile']['soft']:,}"
        + (
            f" (raised from {r['nofile']['soft_before']:,})"
            if r["nofile"]["soft"] != r["nofile"]["soft_before"]
            else ""
        )
        + f", hard {r['nofile']['hard']:,}.",
    ]
    if r.get("note"):
        lines += ["", r["note"]]
    return "\n".join(lines) + "\n"


def raise_nofile(clients: int) -> dict:
    """Raise the soft open-files limit for the largest client count (this process holds one
    socket per client and the server, which inherits the limit, another)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = clients * 4 + 256
    if hard != resource.RLIM_INFINITY and needed > hard:
        sys.exit(
            f"{clients} clients need about {needed} open files; the hard limit is {hard} "
            "(raise it: ulimit -Hn, or LimitNOFILE= for a service)"
        )
    new_soft = max(soft, needed) if hard == resource.RLIM_INFINITY else min(hard, max(soft, needed))
    resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
    return {"soft_before": soft, "soft": new_soft, "hard": hard, "needed": needed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.websockets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--clients",
        default=None,
        help=f"client counts, comma-separated (default {DEFAULT_CLIENTS})",
    )
    parser.add_argument(
        "--paced", type=int, default=None, help="notifications in the paced run (default 1000)"
    )
    parser.add_argument("--rate", type=float, default=100, help="paced notifications per second")
    parser.add_argument(
        "--quick", action="store_true", help="CI mode: 50 clients, 100 paced, no verdicts"
    )
    parser.add_argument(
        "--diagnose", action="store_true", help="time the consumer's per-event read (bench only)"
    )
    parser.add_argument("--threads", type=int, default=0, help="the server's worker threads")
    parser.add_argument(
        "--variant",
        default="",
        help="bench-only experiments, comma-separated: session-cache (the consumer re-reads "
        "the session at most once a minute), gather-push (the producer publishes a "
        "notification's group messages concurrently)",
    )
    parser.add_argument("--name", default="websockets", help="results file name")
    parser.add_argument("--note", default="", help="a line for the Markdown summary")
    args = parser.parse_args(argv)
    if args.clients is None:
        args.clients = "50" if args.quick else DEFAULT_CLIENTS
    if args.paced is None:
        args.paced = 100 if args.quick else 1000
    try:
        counts = [int(c) for c in args.clients.split(",") if c.strip()]
    except ValueError:
        parser.error("--clients: comma-separated whole numbers")
    if not counts or min(counts) < 1:
        parser.error("--clients: at least one client")
    nofile = raise_nofile(max(counts))
    redis_url = _redis_url()
    setup("cadreflow_bench_ws")
    sessions = _users_and_sessions(max(counts))
    results = asyncio.run(run(args, counts, sessions, redis_url))
    results["nofile"] = nofile
    results["note"] = args.note
    path = write(args.name, results)
    (RESULTS / f"{args.name}.md").write_text(_markdown(results))
    print((RESULTS / f"{args.name}.md").read_text())
    print(f"written to {path}")
    return 0 if all(r["connected"] == r["clients"] for r in results["runs"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
