"""Throughput under load (issue #9, benchmarks 2, 3 and 6): Cadreflow against a bare-Django
baseline, each served by a real server process, driven over HTTP by a separate client process.

    .venv/bin/python -m bench.load --size small --users 10,50,200 --duration 30 [--server both]
    .venv/bin/python -m bench.load --quick      # small, 5 users, ~5 s, one server (CI: exit 0)

For each server setup (``gunicorn``: sync workers on ``config.wsgi``; ``uvicorn``: ``config.asgi``
as docs/operations.md serves it today; two worker processes each) and each number of users:

1. a fresh copy of the benchmark database: ``cadreflow_load`` is created from the template
   ``cadreflow_bench_<size>`` (``bench.datagen``) before every run and dropped at the end; the
   original is never written;
2. the server on 127.0.0.1 (a free port) with ``config.settings.dev`` and ``DEBUG=0`` (the
   production settings insist on HTTPS cookies, which a plain-HTTP client on loopback cannot
   send back), whitenoise, and the psycopg pool of ``config.settings.base`` (``CONN_MAX_AGE``
   0); a job worker (``manage.py procrastinate worker``, every queue) on the same copy;
3. the client (``--client``, a separate process, asyncio + aiohttp): N simulated users, each
   signs in through the login form (session cookie + CSRF token; logins are not timed), then,
   for ``--duration`` seconds, works through its own list: claim a task from its queue
   (viewflow's per-task assign URL, POST with the CSRF token), complete it where Cadreflow
   completes it — open the process's page (GET) and post the form found there — and, every
   other action, cast a ballot in an open ballot (GET the ballot paper, fill it, POST).
   A user is a datagen login ``bench-user-NNNN`` (simulated user i signs in as login
   i mod logins, the logins with the most work first); its list is what the datagen JSON says
   that login can do now, restricted to the task types that complete with one form post
   (``TASK_KINDS``: report a missed time limit, review an appraisal, decide a policy request,
   confirm a removal from the plan), shuffled per user. Several users share a unit's queue, so
   two of them may go for the same task: the loser gets a 409 (designed) — or finds the task
   gone when the page opens (``stale``, no request posted);
4. the baseline (``bench.baseline``): the same server setup, same PostgreSQL, same client
   shape — sign in, then GET the form and POST one small transactional write in a loop;
5. memory: psutil samples the RSS of the server's processes (master and workers) and of the
   job worker every 0.25 s during the run; the peak per process is reported.

Counted: completed actions (a claim, a completion, a cast ballot: the issue's "completed task
actions or cast ballots"), 409s, stale tasks, and errors — any other status (5xx, 4xx, an
unexpected redirect, a timeout) with its URL. Reported: actions/s over the timed window, p50 and
p95 per action type (an action's latency includes its GET of the page), Cadreflow's throughput as
a ratio of the baseline's, and the Targets (>= 150 actions/s at 50 users, >= 0.25 of the
baseline, RSS < 300 MB, no errors but 409s). Writes bench/results/load.json and load.md
(``--name`` for another name).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench._setup import COMMITTED_RESULTS, RESULTS

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Databases of this run, named by its process id: two runs at once (a CI run next to a
# measurement) never touch each other's; those of a run that died are dropped by the next.
DB_PREFIX = "cadreflow_load_"
LOAD_DB = f"{DB_PREFIX}{os.getpid()}"
TEMPLATE_DB = f"{DB_PREFIX}{os.getpid()}_template"  # our copy of the source: no one else uses it
BASELINE_DB = f"{DB_PREFIX}{os.getpid()}_baseline"
WORKERS = 2
RSS_TARGET_MB = 300
THROUGHPUT_TARGET = 150  # actions/s at 50 users
RATIO_TARGET = 0.25
SAMPLE_S = 0.25

# action kind (datagen) -> (flow URL segment, node, page, form action) for tasks done by one POST
TASK_KINDS = {
    "appointment.limit_report": (
        "appointment",
        "explain_and_report",
        "/appointments/{p}/",
        "/appointments/{p}/report/",
    ),
    "appointment.appraisal_review": (
        "appointment",
        "appraisal_review",
        "/appointments/{p}/",
        "/appointments/{p}/review/",
    ),
    "appointment.policy_decide": (
        "appointment",
        "decide_policy",
        "/appointments/{p}/",
        "/appointments/{p}/policy/",
    ),
    "planning.removal_confirm": (
        "removal",
        "confirm",
        "/planning/removals/{p}/",  # a removal's own page (``views.removal_url``)
        "/planning/removals/{p}/confirm/",
    ),
}
NODE_KINDS = {
    ("appointment/flows.AppointmentFlow", "explain_and_report"): "appointment.limit_report",
    ("appointment/flows.AppointmentFlow", "appraisal_review"): "appointment.appraisal_review",
    ("appointment/flows.AppointmentFlow", "decide_policy"): "appointment.policy_decide",
    ("planning/flows.RemovalFlow", "confirm"): "planning.removal_confirm",
}
ACTION_TYPES = ("claim", "complete", "vote")


# =========================================================================== database helpers


def server_uri() -> str:
    """The PostgreSQL server to use, as a URI of its ``postgres`` database."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return with_database(url, "postgres")
    from config import embedded_db

    return embedded_db.start().get_uri("postgres")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    return urlunsplit((scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def admin(sql: str, *, retries: int = 0) -> None:
    import psycopg

    for attempt in range(retries + 1):
        try:
            with psycopg.connect(server_uri(), autocommit=True) as conn:
                conn.execute(sql)
            return
        except psycopg.errors.ObjectInUse:
            if attempt == retries:
                raise
            time.sleep(2)


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(server_uri(), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def copy_database(source: str, target: str) -> float:
    """``target`` as a fresh copy of ``source`` (which must have no other session: retried)."""
    started = time.perf_counter()
    admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{target}" TEMPLATE "{source}"', retries=60)
    return time.perf_counter() - started


def drop_database(name: str) -> None:
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_orphans() -> None:
    """Drop the databases of load runs whose process is gone."""
    import psycopg

    with psycopg.connect(server_uri(), autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [DB_PREFIX + "%"]
            )
        ]
    for name in names:
        pid = name[len(DB_PREFIX) :].split("_")[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            drop_database(name)


def owners(db: str, tasks: list[int]) -> dict[int, int | None]:
    import psycopg

    if not tasks:
        return {}
    with psycopg.connect(with_database(server_uri(), db)) as conn:
        rows = conn.execute(
            "SELECT id, owner_id FROM viewflow_task WHERE id = ANY(%s) "
            "AND status NOT IN ('DONE', 'CANCELED')",
            [tasks],
        ).fetchall()
    return dict(rows)


def user_ids(db: str, usernames: list[str]) -> dict[str, int]:
    import psycopg

    with psycopg.connect(with_database(server_uri(), db)) as conn:
        rows = conn.execute(
            "SELECT username, id FROM personnel_user WHERE username = ANY(%s)", [usernames]
        ).fetchall()
    return dict(rows)


# =========================================================================== the source data


def build_tiny(database: str, logins_out: Path) -> None:
    """(Subprocess) the tiny dataset into ``database`` on the server, its logins to a file —
    for the quick test; nothing is written to bench/results."""
    admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{database}"')
    env = {
        **os.environ,
        "DATABASE_URL": with_database(server_uri(), database),
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "0",
    }
    env.pop("BENCH_DATABASE_URL", None)
    code = (
        "import json, sys, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', interactive=False, verbosity=0)\n"
        "from bench.datagen.build import BENCH_PASSWORD, Generator\n"
        "from bench.datagen.loader import Progress\n"
        "from bench.datagen.sizes import TINY\n"
        "report = Generator(TINY, seed=7, progress=Progress(quiet=True)).run()\n"
        "logins = report['logins']; logins['password'] = BENCH_PASSWORD\n"
        "open(sys.argv[1], 'w').write(json.dumps(logins))\n"
    )
    subprocess.run([PYTHON, "-c", code, str(logins_out)], env=env, cwd=ROOT, check=True)


def source_data(size: str, tmp: Path, source_db=None, logins_path=None) -> tuple[str, dict]:
    """The template database and its logins (the datagen JSON's ``logins``)."""
    if source_db:  # given (the test: a tiny dataset generated into its own database)
        return source_db, json.loads(Path(logins_path).read_text())
    source = f"cadreflow_bench_{size}"
    if size == "tiny":
        path = tmp / "logins-tiny.json"
        build_tiny(source, path)
        return source, json.loads(path.read_text())
    report = RESULTS / f"datagen-{size}.json"
    if not report.exists():
        report = COMMITTED_RESULTS / f"datagen-{size}.json"
    if not database_exists(source) or not report.exists():
        if size == "large":
            raise SystemExit(f"{source} is missing: build it with python -m bench.datagen")
        print(f"building {source} (python -m bench.datagen --size {size})", flush=True)
        subprocess.run(
            [PYTHON, "-m", "bench.datagen", "--size", size, "--quiet"], cwd=ROOT, check=True
        )
    logins = json.loads(report.read_text())["logins"]
    if not logins["password"].strip() or logins["password"].startswith("("):
        raise SystemExit("the datagen ran with --password: pass it with --password")
    if logins["password"].startswith("see "):
        from bench.datagen.build import BENCH_PASSWORD

        logins["password"] = BENCH_PASSWORD
    return source, logins


def work_lists(logins: dict, db: str) -> list[dict]:
    """Per login: its tasks of ``TASK_KINDS`` (claim first where nobody owns them yet) and its
    open ballots. Logins with the most work first."""
    per_login, every_task = [], set()
    for user in logins["users"]:
        tasks = {}
        for action in user["actions"]:
            if action["action"] in TASK_KINDS and action.get("task"):
                tasks[action["task"]] = (action["action"], action["process"])
        for entry in user["queue"]:
            kind = NODE_KINDS.get((entry["flow"], entry["node"]))
            if kind:
                tasks.setdefault(entry["task"], (kind, entry["process"]))
        every_task |= set(tasks)
        per_login.append((user, tasks))
    owner_of = owners(db, sorted(every_task))
    ids = user_ids(db, [u["username"] for u, _ in per_login])
    lists = []
    for user, tasks in per_login:
        me = ids.get(user["username"])
        items = []
        for task, (kind, process) in sorted(tasks.items()):
            if task not in owner_of:  # closed already
                continue
            owner = owner_of[task]
            if owner is not None and owner != me:
                continue
            items.append({"kind": kind, "task": task, "process": process, "claim": owner is None})
        ballots = [b["ballot"] for b in user["open_ballots"]]
        lists.append({"username": user["username"], "tasks": items, "ballots": ballots})
    # Logins that can vote first, then the most work: every run mixes votes with tasks.
    lists.sort(
        key=lambda w: (not w["ballots"], -(len(w["tasks"]) * 2 + len(w["ballots"])), w["username"])
    )
    return [w for w in lists if w["tasks"] or w["ballots"]]


# =========================================================================== the client


class Forms(HTMLParser):
    """Every <form> of a page: its action and the fields a browser would send, filled the way a
    hurried user would: the first choice of each radio group and select, a sentence in every
    empty text field, check boxes left as they are."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": [],
                "radios": {},
            }
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind == "radio":
                form["radios"].setdefault(name, a.get("value", "on"))
                if "checked" in a:
                    form["radios"][name] = a.get("value", "on")
            elif kind == "checkbox":
                if "checked" in a:
                    form["fields"].append((name, a.get("value", "on")))
            elif kind in ("submit", "button", "image", "file", "reset"):
                return
            elif kind in ("text", "search", "") and not a.get("value"):
                if "required" in a:
                    form["fields"].append((name, "Đo tải (benchmark)."))
                else:
                    form["fields"].append((name, ""))
            else:
                form["fields"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = [name, None, None, "multiple" in a]
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if "selected" in a and self._select[2] is None:
                self._select[2] = value
            if self._select[1] is None and value:
                self._select[1] = value
        elif tag == "textarea" and name:
            self._textarea = name

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            name, first, selected, multiple = self._select
            if self._form is not None:
                value = selected if selected is not None else (None if multiple else first)
                if value is not None:
                    self._form["fields"].append((name, value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form["fields"].append(
                    (self._textarea, "Đo tải: giải trình và báo cáo (benchmark).")
                )
            self._textarea = None

    @classmethod
    def find(cls, html: str, action: str, page: str) -> list[tuple[str, str]] | None:
        parser = cls()
        parser.feed(html)
        for form in parser.forms:
            target = urlsplit(form["action"]).path or page
            if form["method"] == "post" and target == action:
                return form["fields"] + list(form["radios"].items())
        return None


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Stats:
    def __init__(self, deadline: float):
        self.deadline = deadline
        self.window_start = 0.0
        self.warmup_s = 0.0
        self.warmup = 0
        self.timeline: dict[int, int] = {}  # actions completed per 5 s since the users started
        self.latency: dict[str, list[float]] = {t: [] for t in (*ACTION_TYPES, "write")}
        self.requests: dict[str, list[float]] = {}
        self.done = {t: 0 for t in (*ACTION_TYPES, "write")}
        self.late = 0
        self.conflicts: dict[str, int] = {}
        self.stale = 0
        self.errors: list[dict] = []
        self.error_count = 0
        self.exhausted = 0
        self.login_s: list[float] = []
        self.claim_404: list[dict] = []

    def request(self, label: str, seconds: float) -> None:
        self.requests.setdefault(label, []).append(seconds)

    def action(self, kind: str, seconds: float) -> None:
        now = time.monotonic()
        if self.window_start:
            bucket = int((now - (self.window_start - self.warmup_s)) // 5) * 5
            self.timeline[bucket] = self.timeline.get(bucket, 0) + 1
        if now < self.window_start:
            self.warmup += 1
        elif now <= self.deadline:
            self.done[kind] += 1
            self.latency[kind].append(seconds)
        else:
            self.late += 1

    def conflict(self, label: str) -> None:
        self.conflicts[label] = self.conflicts.get(label, 0) + 1

    def error(self, method: str, url: str, status, detail: str = "") -> None:
        self.error_count += 1
        if len(self.errors) < 50:
            self.errors.append(
                {"method": method, "url": url, "status": status, "detail": detail[:300]}
            )


class Unexpected(Exception):
    pass


class User:
    def __init__(self, base: str, stats: Stats, timeout: float):
        import aiohttp

        self.base = base
        self.stats = stats
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # keep cookies for 127.0.0.1
            timeout=aiohttp.ClientTimeout(total=timeout),
        )

    async def close(self):
        await self.session.close()

    def csrf(self) -> str:
        for cookie in self.session.cookie_jar:
            if cookie.key == "csrftoken":
                return cookie.value
        return ""

    async def call(self, method, path, label, *, data=None, expect=(200,), passed=()):
        """One request: (status, body). A status outside ``expect`` and other than 409 is
        recorded as an error and raises ``Unexpected`` — but one in ``passed`` is returned for the
        caller to record."""
        url = self.base + path
        headers = {"X-CSRFToken": self.csrf()} if method == "POST" else {}
        started = time.perf_counter()
        try:
            async with self.session.request(
                method, url, data=data, headers=headers, allow_redirects=False
            ) as response:
                body = await response.text()
                status = response.status
        except (TimeoutError, OSError, Exception) as exc:  # noqa: BLE001
            self.stats.error(method, path, "exception", f"{type(exc).__name__}: {exc}")
            raise Unexpected from exc
        self.stats.request(label, time.perf_counter() - started)
        if status == 409:
            self.stats.conflict(label)
            return status, body
        if status in passed:
            return status, body
        if status not in expect:
            self.stats.error(method, path, status, _text(body))
            raise Unexpected
        return status, body

    async def login(self, username, password, login_path="/accounts/login/"):
        self.username = username
        started = time.perf_counter()
        _status, body = await self.call("GET", login_path, "login.get")
        token = CSRF_INPUT.search(body)
        data = {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1) if token else self.csrf(),
        }
        await self.call("POST", login_path, "login.post", data=data, expect=(302,))
        self.stats.login_s.append(time.perf_counter() - started)

    async def post_form(self, page, action, label) -> str:
        """GET ``page``, POST its form for ``action``: 'done', 'conflict' or 'stale'."""
        _status, html = await self.call("GET", page, f"{label}.get")
        fields = Forms.find(html, action, page)
        if fields is None:
            return "stale"  # the task or ballot is gone (someone else was faster)
        status, _body = await self.call(
            "POST", action, f"{label}.post", data=fields, expect=(302, 303)
        )
        return "conflict" if status == 409 else "done"


def _text(body: str) -> str:
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", body, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text).strip()[:300]


async def run_cadreflow_user(user: User, work: dict, stop: float, rng: random.Random) -> None:
    tasks = list(work["tasks"])
    ballots = list(work["ballots"])
    rng.shuffle(tasks)
    rng.shuffle(ballots)
    stats = user.stats
    turn = 0
    while time.monotonic() < stop and (tasks or ballots):
        turn += 1
        try:
            if ballots and (turn % 2 == 1 or not tasks):
                ballot = ballots.pop()
                page = f"/meetings/ballots/{ballot}/vote/"
                started = time.perf_counter()
                outcome = await user.post_form(page, page, "vote")
                if outcome == "done":
                    stats.action("vote", time.perf_counter() - started)
                elif outcome == "stale":
                    stats.stale += 1
                continue
            item = tasks.pop()
            flow, node, page, action = TASK_KINDS[item["kind"]]
            p, t = item["process"], item["task"]
            if item["claim"]:
                started = time.perf_counter()
                status, _ = await user.call(
                    "POST",
                    f"/workflow/flows/{flow}/{p}/{node}/{t}/assign/",
                    "claim",
                    data={"csrfmiddlewaretoken": user.csrf()},
                    expect=(302,),
                    passed=(404,),
                )
                if status == 404:
                    # viewflow refuses to assign a task that has an owner (PermissionDenied,
                    # answered 404 by config.views): a lost race if the task is taken — checked
                    # against the database after the run (``classify_claim_404``).
                    stats.claim_404.append({"task": t, "username": user.username})
                    continue
                if status == 409:
                    continue
                stats.action("claim", time.perf_counter() - started)
            started = time.perf_counter()
            outcome = await user.post_form(page.format(p=p), action.format(p=p), "complete")
            if outcome == "done":
                stats.action("complete", time.perf_counter() - started)
            elif outcome == "stale":
                stats.stale += 1
        except Unexpected:
            await asyncio.sleep(0.05)
    if not tasks and not ballots and time.monotonic() < stop:
        stats.exhausted += 1


async def run_baseline_user(user: User, stop: float) -> None:
    while time.monotonic() < stop:
        started = time.perf_counter()
        try:
            outcome = await user.post_form("/write/", "/write/", "write")
        except Unexpected:
            await asyncio.sleep(0.05)
            continue
        if outcome == "done":
            user.stats.action("write", time.perf_counter() - started)
        else:
            user.stats.error("GET", "/write/", "no form")


async def client_main(spec: dict) -> dict:
    users_n, duration, warmup = spec["users"], spec["duration"], spec.get("warmup", 0)
    stats = Stats(deadline=float("inf"))
    works = spec.get("work") or []
    accounts = (
        [w["username"] for w in works]
        if spec["mode"] == "cadreflow"
        else [f"base-user-{i:04d}" for i in range(spec["accounts"])]
    )[:users_n]
    # One signed-in session per account; simulated users beyond the accounts share them (a
    # person with several tabs). Logins are not timed and run two at a time: the password
    # hasher costs ~0.5 s of CPU each.
    sessions = [User(spec["base"], stats, spec.get("timeout", 60)) for _ in accounts]
    gate = asyncio.Semaphore(spec.get("login_concurrency", 2))
    login_started = time.perf_counter()

    async def sign_in(user, username):
        async with gate:
            try:
                await user.login(username, spec["password"])
                return True
            except Unexpected:
                return False

    signed = await asyncio.gather(*(sign_in(u, a) for u, a in zip(sessions, accounts, strict=True)))
    login_seconds = time.perf_counter() - login_started
    errors_at_login = stats.error_count
    started = time.monotonic()
    stats.window_start = started + warmup
    stats.warmup_s = warmup
    stop = stats.window_start + duration
    stats.deadline = stop
    coroutines = []
    for i in range(users_n):
        k = i % len(sessions)
        if not signed[k]:
            continue
        if spec["mode"] == "cadreflow":
            coroutines.append(run_cadreflow_user(sessions[k], works[k], stop, random.Random(i)))
        else:
            coroutines.append(run_baseline_user(sessions[k], stop))
    try:
        await asyncio.wait_for(asyncio.gather(*coroutines), timeout=warmup + duration + 70)
    except TimeoutError:
        stats.error("-", "-", "timeout", "requests still running 70 s after the end")
    elapsed = time.monotonic() - stats.window_start
    for user in sessions:
        await user.close()
    window = max(0.001, min(duration, elapsed))
    completed = sum(stats.done.values())
    return {
        "users": users_n,
        "accounts": len(accounts),
        "signed_in": sum(signed),
        "warmup_s": warmup,
        "warmup_actions": stats.warmup,
        "timeline_5s": {str(k): v for k, v in sorted(stats.timeline.items())},
        "login_seconds": round(login_seconds, 1),
        "login_p50_ms": _ms(statistics.median(stats.login_s)) if stats.login_s else None,
        "window_s": round(window, 2),
        "completed": completed,
        "actions_per_s": round(completed / window, 2) if window else 0,
        "by_type": {
            kind: {
                "n": stats.done[kind],
                "per_s": round(stats.done[kind] / window, 2) if window else 0,
                "p50_ms": _ms(statistics.median(v)) if v else None,
                "p95_ms": _ms(_pct(v, 95)) if v else None,
            }
            for kind, v in stats.latency.items()
            if stats.done[kind] or kind in (ACTION_TYPES if spec["mode"] == "cadreflow" else ())
        },
        "requests": {
            label: {"n": len(v), "p50_ms": _ms(statistics.median(v)), "p95_ms": _ms(_pct(v, 95))}
            for label, v in sorted(stats.requests.items())
        },
        "conflicts_409": sum(stats.conflicts.values()),
        "conflicts_by_request": stats.conflicts,
        "stale": stats.stale,
        "late": stats.late,
        "errors": stats.error_count,
        "errors_at_login": errors_at_login,
        "error_samples": stats.errors,
        "users_out_of_work": stats.exhausted,
        "claim_404": stats.claim_404,
    }


def _pct(values, pct):
    from bench._setup import percentile

    return percentile(values, pct)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# =========================================================================== servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(server: str, app: str, port: int) -> list[str]:
    module = {"cadreflow": "config", "baseline": "bench.baseline"}[app]
    if server == "gunicorn":
        return [
            PYTHON,
            "-m",
            "gunicorn",
            f"{module}.wsgi:application",
            "--config",
            str(ROOT / "config" / "gunicorn.conf.py"),  # production's (decision 0008)
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
        ]
    return [
        PYTHON,
        "-m",
        "uvicorn",
        f"{module}.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--lifespan",
        "off",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def app_env(app: str, db: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": with_database(server_uri(), db),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": (
            "config.settings.dev" if app == "cadreflow" else "bench.baseline.settings"
        ),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("BENCH_DATABASE_URL", "CADREFLOW_INPROCESS_WORKER", "REDIS_URL"):
        env.pop(name, None)
    return env


class Process:
    """A child process in its own process group, its output to a log file."""

    def __init__(self, command, env, log: Path):
        self.log = log
        self.handle = open(log, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.handle.close()

    def tail(self, lines: int = 15) -> str:
        self.handle.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def wait_ready(port: int, proc: Process, timeout: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"the server exited:\n{proc.tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer /healthz in {timeout:.0f} s:\n{proc.tail()}")


class RssSampler(threading.Thread):
    """Peak RSS of each process of the given trees, sampled every SAMPLE_S."""

    def __init__(self, roots: dict[str, int]):
        super().__init__(daemon=True)
        self.roots = roots
        self.peaks: dict[int, dict] = {}
        self.halt = threading.Event()

    def run(self):
        import psutil

        while not self.halt.is_set():
            for role, pid in self.roots.items():
                try:
                    root = psutil.Process(pid)
                    tree = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for proc in tree:
                    try:
                        rss = proc.memory_info().rss
                        cmd = " ".join(proc.cmdline()[:3])
                    except psutil.Error:
                        continue
                    entry = self.peaks.setdefault(
                        proc.pid,
                        {
                            "role": role,
                            "kind": "master" if proc.pid == pid else "worker",
                            "pid": proc.pid,
                            "cmd": cmd,
                            "peak_mb": 0.0,
                        },
                    )
                    entry["peak_mb"] = max(entry["peak_mb"], round(rss / 2**20, 1))
            self.halt.wait(SAMPLE_S)

    def result(self) -> list[dict]:
        self.halt.set()
        self.join(5)
        return sorted(self.peaks.values(), key=lambda e: (e["role"], e["kind"], e["pid"]))


def classify_claim_404(result: dict, db: str) -> None:
    """A claim answered 404 is a lost race when the task has an owner by now (someone else, or
    the same login in another simulated user's session) or is closed; otherwise an error."""
    import psycopg

    refused = result.pop("claim_404", [])
    taken = set()
    if refused:
        with psycopg.connect(with_database(server_uri(), db)) as conn:
            rows = conn.execute(
                "SELECT id FROM viewflow_task WHERE id = ANY(%s) AND (owner_id IS NOT NULL "
                "OR status IN ('DONE', 'CANCELED'))",
                [[r["task"] for r in refused]],
            ).fetchall()
        taken = {row[0] for row in rows}
    lost = [r for r in refused if r["task"] in taken]
    wrong = [r for r in refused if r["task"] not in taken]
    result["claim_lost_race_404"] = len(lost)
    result["errors"] += len(wrong)
    for r in wrong[:20]:
        result["error_samples"].append(
            {
                "method": "POST",
                "url": f"claim of task {r['task']}",
                "status": 404,
                "detail": f"{r['username']}: refused although the task is still free",
            }
        )


def run_client(spec: dict, tmp: Path) -> dict:
    spec_path = tmp / "client-spec.json"
    out_path = tmp / "client-out.json"
    out_path.unlink(missing_ok=True)
    spec_path.write_text(json.dumps(spec))
    subprocess.run(
        [PYTHON, "-m", "bench.load", "--client", str(spec_path), "--client-out", str(out_path)],
        cwd=ROOT,
        check=True,
    )
    return json.loads(out_path.read_text())


def one_run(
    *, app, server, users, accounts, duration, warmup, db, work, password, tmp, job_worker
) -> dict:
    port = free_port()
    logs = tmp / f"{app}-{server}-{users}"
    logs.mkdir(exist_ok=True)
    web = Process(server_command(server, app, port), app_env(app, db), logs / "server.log")
    worker = None
    try:
        wait_ready(port, web)
        roots = {"web": web.proc.pid}
        if job_worker:
            worker = Process(
                [
                    PYTHON,
                    "manage.py",
                    "procrastinate",
                    "worker",
                    "--queues",
                    "email,periodic,default",
                    "--delete-jobs",
                    "successful",
                ],
                app_env(app, db),
                logs / "worker.log",
            )
            roots["job_worker"] = worker.proc.pid
        sampler = RssSampler(roots)
        sampler.start()
        spec = {
            "mode": app,
            "base": f"http://127.0.0.1:{port}",
            "users": users,
            "duration": duration,
            "warmup": warmup,
            "password": password,
            "work": work,
            "accounts": accounts,
        }
        started = time.perf_counter()
        result = run_client(spec, tmp)
        result["run_seconds"] = round(time.perf_counter() - started, 1)
        result["rss"] = sampler.result()
        if app == "cadreflow":
            classify_claim_404(result, db)
        if worker is not None and worker.proc.poll() is not None:
            result["job_worker_exit"] = worker.proc.returncode
        server_errors = [
            line for line in web.tail(400).splitlines() if "Traceback" in line or "ERROR" in line
        ]
        result["server_log_errors"] = len(server_errors)
        return result
    finally:
        if worker is not None:
            worker.stop()
        web.stop()


def prepare_baseline(users: int, password: str) -> None:
    drop_database(BASELINE_DB)
    admin(f'CREATE DATABASE "{BASELINE_DB}"')
    subprocess.run(
        [
            PYTHON,
            "-m",
            "bench.baseline.prepare",
            "--users",
            str(users),
            "--password",
            password,
        ],
        env=app_env("baseline", BASELINE_DB),
        cwd=ROOT,
        check=True,
    )


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def measure(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    drop_orphans()
    source, logins = source_data(args.size, tmp, args.source_db, args.logins)
    copy_database(source, TEMPLATE_DB)
    # The working tree may carry migrations newer than the benchmark database: apply them to
    # the copy (never to the source).
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"],
        env=app_env("cadreflow", TEMPLATE_DB),
        cwd=ROOT,
        check=True,
    )
    work = work_lists(logins, TEMPLATE_DB)
    if not work:
        raise SystemExit(f"{source}: the logins have no work of the kinds the load test uses")
    password = args.password or logins["password"]
    prepare_baseline(max(args.users), password)
    servers = ["gunicorn", "uvicorn"] if args.server == "both" else [args.server]
    runs = []
    try:
        for server in servers:
            for users in args.users:
                entry = {"server": server, "users": users, "load_before": load_average()}
                entry["copy_seconds"] = round(copy_database(TEMPLATE_DB, LOAD_DB), 1)
                print(f"[{server}] {users} users: Cadreflow ...", flush=True)
                entry["cadreflow"] = one_run(
                    app="cadreflow",
                    server=server,
                    users=users,
                    accounts=min(users, len(work)),  # the same accounts count for both
                    duration=args.duration,
                    warmup=args.warmup,
                    db=LOAD_DB,
                    work=work,
                    password=password,
                    tmp=tmp,
                    job_worker=not args.no_job_worker,
                )
                print(f"[{server}] {users} users: baseline ...", flush=True)
                entry["baseline"] = one_run(
                    app="baseline",
                    server=server,
                    users=users,
                    accounts=min(users, len(work)),  # the same accounts count for both
                    duration=args.duration,
                    warmup=args.warmup,
                    db=BASELINE_DB,
                    work=None,
                    password=password,
                    tmp=tmp,
                    job_worker=False,
                )
                entry["load_after"] = load_average()
                c, b = entry["cadreflow"], entry["baseline"]
                entry["ratio"] = (
                    round(c["actions_per_s"] / b["actions_per_s"], 3)
                    if b["actions_per_s"]
                    else None
                )
                print(
                    f"[{server}] {users} users: Cadreflow {c['actions_per_s']}/s "
                    f"(409 {c['conflicts_409']}, errors {c['errors']}), "
                    f"baseline {b['actions_per_s']}/s, ratio {entry['ratio']}",
                    flush=True,
                )
                runs.append(entry)
    finally:
        drop_database(LOAD_DB)
        drop_database(TEMPLATE_DB)
        drop_database(BASELINE_DB)
        if args.size == "tiny" and not args.source_db:
            drop_database(source)
    import django

    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    dirty = subprocess.run(["git", "status", "--short"], cwd=ROOT, capture_output=True)
    return {
        "git": {
            "head": head.stdout.decode().strip(),
            "changed_files": len(dirty.stdout.decode().splitlines()),
        },
        "quick": args.quick,
        "size": args.size,
        "source_database": source,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "users": args.users,
        "servers": servers,
        "workers_per_server": WORKERS,
        "logins_with_work": len(work),
        "work_items": sum(len(w["tasks"]) for w in work),
        "ballots": sum(len(w["ballots"]) for w in work),
        "django": django.get_version(),
        "logs": str(tmp),
        "runs": runs,
    }


# =========================================================================== the summary


def peak(rss: list[dict], role: str, kind: str | None = None) -> float:
    values = [
        e["peak_mb"] for e in rss if e["role"] == role and (kind is None or e["kind"] == kind)
    ]
    return max(values) if values else 0.0


def overall(result: dict) -> str:
    """Actions/s from the users' start to the last completed action, warm-up and the actions
    that ended after the window included: the rate when one action takes longer than the
    window (then the windowed rate is 0)."""
    timeline = result.get("timeline_5s") or {}
    if not timeline:
        return "–"
    span = max(int(k) for k in timeline) + 5
    return f"{sum(timeline.values()) / span:.2f}"


def ratio(run: dict) -> float | None:
    """Cadreflow's rate over the baseline's: the window's, or all/s where the window has none."""
    if run["ratio"]:
        return run["ratio"]
    c, b = run["cadreflow"], run["baseline"]
    if overall(c) == "–" or not b["actions_per_s"]:
        return run["ratio"]
    return round(float(overall(c)) / b["actions_per_s"], 3)


def targets(payload: dict) -> list[tuple[str, str, str]]:
    rows = []
    runs = payload["runs"]
    for server in payload["servers"]:
        mine = [r for r in runs if r["server"] == server]
        at50 = next((r for r in mine if r["users"] == 50), None)
        if at50 is None:
            rows.append(
                (f"{server}: ≥ {THROUGHPUT_TARGET} actions/s at 50 users", "not run (no 50)", "")
            )
        else:
            rate = at50["cadreflow"]["actions_per_s"]
            if not rate and overall(at50["cadreflow"]) != "–":  # one action outlasted the window
                rate = float(overall(at50["cadreflow"]))
            verdict = (
                "met"
                if rate >= THROUGHPUT_TARGET
                else f"**missed** by {THROUGHPUT_TARGET - rate:,.1f}/s "
                f"(×{THROUGHPUT_TARGET / rate:.1f} short)"
                if rate
                else "**missed** (nothing completed)"
            )
            rows.append(
                (f"{server}: ≥ {THROUGHPUT_TARGET} actions/s at 50 users", f"{rate}", verdict)
            )
        ratios = [(r["users"], ratio(r)) for r in mine if ratio(r) is not None]
        if ratios:
            worst = min(ratios, key=lambda x: x[1])
            verdict = (
                "met"
                if worst[1] >= RATIO_TARGET
                else f"**missed** at {worst[0]} users by {RATIO_TARGET - worst[1]:.3f} "
                f"(×{RATIO_TARGET / worst[1]:.1f} short)"
                if worst[1]
                else "**missed**"
            )
            rows.append(
                (
                    f"{server}: ≥ {RATIO_TARGET} of the baseline",
                    ", ".join(f"{u}: {x}" for u, x in ratios),
                    verdict,
                )
            )
        web = max((peak(r["cadreflow"]["rss"], "web", "worker") for r in mine), default=0)
        job = max((peak(r["cadreflow"]["rss"], "job_worker") for r in mine), default=0)
        rows.append(
            (
                f"{server}: web process RSS < {RSS_TARGET_MB} MB",
                f"{web} MB (job worker {job} MB)",
                "met" if web < RSS_TARGET_MB else f"**missed** by {web - RSS_TARGET_MB:.0f} MB",
            )
        )
        errors = sum(r["cadreflow"]["errors"] for r in mine)
        conflicts = sum(r["cadreflow"]["conflicts_409"] for r in mine)
        lost = sum(r["cadreflow"].get("claim_lost_race_404", 0) for r in mine)
        rows.append(
            (
                f"{server}: no errors but 409s",
                f"{errors} errors, {conflicts} × 409, {lost} lost claims answered 404",
                "met" if errors == 0 else f"**missed**: {errors} errors (samples in load.json)",
            )
        )
    return rows


def markdown(payload: dict) -> str:
    out = [
        "# Throughput under load (issue #9, benchmarks 2, 3 and 6)",
        "",
        f"{payload['when']}; {payload['machine']['cpus']} CPUs, Python "
        f"{payload['machine']['python']}, Django {payload['django']}; PostgreSQL embedded (unix "
        f"socket), a fresh copy of `{payload['source_database']}` per run; server and load "
        f"generator (asyncio + aiohttp, separate process) on the same machine over loopback; "
        f"{payload['workers_per_server']} worker processes per server, `config.settings.dev` "
        "with DEBUG=0, psycopg pool (CONN_MAX_AGE 0), a procrastinate job worker running; "
        f"{payload['duration_s']} s timed per run, after every user signed in (logins not timed) "
        f"and {payload['warmup_s']} s of warm-up; users beyond the logins share their sessions; "
        "the baseline run right after Cadreflow's on the same server setup. The machine was "
        "shared with other work: load average before → after each run is given.",
        "",
        f"Work: {payload['logins_with_work']} logins with work, {payload['work_items']:,} tasks "
        f"(claim + complete), {payload['ballots']:,} open ballots. An action is a claim, a "
        "completion (GET the process page + POST its form) or a cast ballot (GET the paper + "
        "POST); the baseline's is GET its form + POST one write.",
        "",
    ]
    for server in payload["servers"]:
        out += [
            f"## {server}",
            "",
            "| users | actions/s | all/s | claim p50/p95 ms | complete p50/p95 ms | "
            "vote p50/p95 ms | 409s | lost claims (404) | stale | errors | "
            "web RSS MB (per worker) | job worker MB | baseline /s | "
            "baseline p95 ms | baseline RSS MB | ratio | load |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
        ]
        for r in [r for r in payload["runs"] if r["server"] == server]:
            c, b = r["cadreflow"], r["baseline"]

            def lat(kind, c=c):
                t = c["by_type"].get(kind)
                return f"{t['p50_ms']:,} / {t['p95_ms']:,}" if t and t["n"] else "–"

            web = ", ".join(
                f"{e['peak_mb']}" for e in c["rss"] if e["role"] == "web" and e["kind"] == "worker"
            )
            bw = max((e["peak_mb"] for e in b["rss"] if e["kind"] == "worker"), default=0)
            bl = b["by_type"].get("write", {})
            out.append(
                f"| {r['users']} | {c['actions_per_s']} | {overall(c)} | {lat('claim')} | "
                f"{lat('complete')} | "
                f"{lat('vote')} | {c['conflicts_409']} | {c.get('claim_lost_race_404', 0)} | "
                f"{c['stale']} | {c['errors']} | {web} | "
                f"{peak(c['rss'], 'job_worker')} | {b['actions_per_s']} | "
                f"{bl.get('p95_ms', '–')} | {bw} | {r['ratio']} | "
                f"{r['load_before']} → {r['load_after']} |"
            )
        out.append("")
        for r in [r for r in payload["runs"] if r["server"] == server]:
            c = r["cadreflow"]
            notes = []
            if c["users_out_of_work"]:
                notes.append(f"{c['users_out_of_work']} users ran out of work before the end")
            if c["errors"]:
                samples = "; ".join(
                    f"{e['method']} {e['url']} → {e['status']}" for e in c["error_samples"][:5]
                )
                notes.append(f"errors: {samples}")
            if r["baseline"]["errors"]:
                notes.append(f"baseline errors: {r['baseline']['errors']}")
            if notes:
                out.append(f"- {r['users']} users: " + "; ".join(notes))
        out.append("")
    out += [
        "## Targets (issue #9)",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        *[f"| {t} | {m} | {v} |" for t, m, v in targets(payload)],
        "",
        "*actions/s*: completed in the timed window; *all/s*: every action completed from the "
        "users' start to the last one (warm-up and those ending after the window included) — "
        "the rate to read where one action takes longer than the window. Per-request p50/p95 "
        "(page GETs and POSTs separately), actions per 5 s, login times, error samples with "
        "their URLs, and every process's peak RSS: load.json.",
        "",
    ]
    if payload.get("notes"):
        out += [payload["notes"].strip(), ""]
    return "\n".join(out)


# =========================================================================== command line


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--size", default="small", choices=("tiny", "small", "medium", "large"))
    parser.add_argument("--users", default="10,50,200")
    parser.add_argument("--duration", type=float, default=30, help="timed seconds per run")
    parser.add_argument(
        "--warmup", type=float, default=10, help="seconds of work before the timed window"
    )
    parser.add_argument("--server", default="both", choices=("gunicorn", "uvicorn", "both"))
    parser.add_argument(
        "--quick", action="store_true", help="CI: small (or --size), 5 users, 5 s, gunicorn"
    )
    parser.add_argument("--password", default=None)
    parser.add_argument("--name", default="load", help="results file name (bench/results/NAME.*)")
    parser.add_argument("--no-job-worker", action="store_true")
    parser.add_argument("--out", help="also write the results' JSON to this path")
    parser.add_argument(
        "--source-db", help="copy this database instead of cadreflow_bench_<size> (with --logins)"
    )
    parser.add_argument("--logins", help="the source's logins (the datagen report's 'logins')")
    parser.add_argument(
        "--render", action="store_true", help="rewrite NAME.md from NAME.json, measure nothing"
    )
    parser.add_argument("--notes", help="a Markdown file added to the summary (with --render)")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--client-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        if "--users" not in (argv or sys.argv):
            args.users = "5"
        if "--duration" not in (argv or sys.argv):
            args.duration = 5
        if "--server" not in (argv or sys.argv):
            args.server = "gunicorn"
        if "--warmup" not in (argv or sys.argv):
            args.warmup = 2
    args.users = [int(u) for u in str(args.users).split(",") if u.strip()]
    return args


def main(argv=None) -> int:
    args = parse(argv)
    if args.client:
        spec = json.loads(Path(args.client).read_text())
        result = asyncio.run(client_main(spec))
        Path(args.client_out).write_text(json.dumps(result))
        keep = f"client-{spec['mode']}-{spec['users']}-{int(time.time())}.json"
        Path(args.client_out).with_name(keep).write_text(json.dumps(result))
        return 0
    if args.render:
        path = RESULTS / f"{args.name}.json"
        data = json.loads(path.read_text())
        if args.notes:
            data["notes"] = Path(args.notes).read_text()
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        (RESULTS / f"{args.name}.md").write_text(markdown(data))
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["DEBUG"] = "0"
    payload = measure(args)
    if args.out:
        Path(args.out).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    from bench._setup import write

    path = write(args.name, payload)
    data = json.loads(path.read_text())
    md = RESULTS / f"{args.name}.md"
    md.write_text(markdown(data))
    print(f"Results: {path}, {md}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
