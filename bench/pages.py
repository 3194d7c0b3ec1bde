"""Page latency against data size (issue #9, benchmark 1): measure only.

For each size, against the generated database ``cadreflow_bench_<size>`` (``bench.datagen``;
reused, built only when missing), signs in with the bench password as representative users —
the district organisation-board member with the most claimable queue tasks, a standing-committee
member of that district, the province organisation board (the widest directory scope) and a
province inspection-committee member (the audit explorer) — through Django's test client
(in-process, session auth, DEBUG off), warms each page up, then times N requests of:

- the inbox and the queue (``/workflow/inbox/``, ``/workflow/queue/``), for the board member
  and the standing-committee member (``--pages inbox.province,queue.province``: a province
  standing-committee member, the whole province in scope; not in the default set, a request
  takes minutes at large);
- a process page (``/appointments/<pk>/``): an internal-source appointment at the same stage at
  every size (``PROCESS_PAGE``), from the user's inbox when it has one;
- the personnel directory searched for a Vietnamese name (``/personnel/cadres/?q=...``);
- the audit explorer filtered by actor (the standing-committee member) and by action, each within
  a two-week date range (``/audit/events/``).
- two lists shown a page at a time (not among the issue's pages; judged like the search, < 200 ms
  at large): the meetings of the province standing member (``/meetings/``) and the board
  member's appointments (``/appointments/``).

Per page: p50 / p95 / max in ms, the SQL query count of one request (an ``execute_wrapper``),
the most repeated statements (N+1 hints), the time PostgreSQL took for them and the response
size. To keep a run short, a slow page is timed fewer times (``--page-budget`` seconds per page,
at least 5; at most 5 past 5 s a request), recorded as ``reduced`` with its ``n``. A page that
fails (an exception or a status other than 200) is recorded with its error and the run goes on.

    .venv/bin/python -m bench.pages --sizes small,medium,large [--requests 50]
    .venv/bin/python -m bench.pages --sizes large --profile queue.board [--requests 3]

Writes bench/results/pages.json and pages.md (``--name`` for another name). Each size runs in a
process of its own (Django is configured once per process). ``--profile PAGE`` prints a cProfile
(or pyinstrument, when installed) of one page at the first size and writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench._setup import RESULTS, percentile

SIZES = ("small", "medium", "large")
SLOW_S = 5.0  # a page slower than this per request is timed at most REDUCED_N times
REDUCED_N = 5
SEARCH_QUERY = "nguyễn văn"  # the most common family + middle name: a page of results at every size
EXPLORER_ACTION = "task.execute"
EXPLORER_DAYS = 14


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    user: str  # a key of the users picked per size (_users)
    kind: str  # the target group: "task" (p95 < 50 ms at every size) or "search"
    # (p95 < 200 ms at large)
    default: bool = True  # measured unless --pages names others


PAGES = (
    Page("inbox.board", "Inbox — district board member", "board", "task"),
    Page("queue.board", "Queue — district board member", "board", "task"),
    Page("process.board", "Process page (appointment) — board member", "board", "task"),
    Page("inbox.standing", "Inbox — district standing-committee member", "standing", "task"),
    Page("queue.standing", "Queue — district standing-committee member", "standing", "task"),
    Page("process.standing", "Process page (appointment) — standing member", "standing", "task"),
    # The whole province in scope: at large one request takes minutes (not in the default set).
    Page("inbox.province", "Inbox — province standing member", "province_standing", "task", False),
    Page("queue.province", "Queue — province standing member", "province_standing", "task", False),
    Page("search", "Directory search (province board)", "province_board", "search"),
    # Lists a page at a time (not among the pages; judged like the search): the meetings
    # of a whole province (173 k at large, once rendered in full) and the board's appointments.
    Page(
        "meetings.province", "Meetings list — province standing member", "province_standing", "list"
    ),
    Page("appointments.board", "Appointments list — district board member", "board", "list"),
    Page("explorer.actor", "Audit explorer: actor + 2 weeks", "auditor", "search"),
    Page("explorer.action", "Audit explorer: action + 2 weeks", "auditor", "search"),
)
PAGE_KEYS = [p.key for p in PAGES]
TARGET_MS = {"task": 50, "search": 200, "list": 200}


# --------------------------------------------------------------------------- the database


def _db_name(size: str) -> str:
    return f"cadreflow_bench_{size}"


def _datagen_report(size: str) -> dict:
    path = RESULTS / f"datagen-{size}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _ensure_database(size: str) -> None:
    """Reuse ``cadreflow_bench_<size>``; build it with bench.datagen only when it is missing (or
    holds no cadres: an interrupted build)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return  # the caller's server: the databases must exist
    import psycopg

    from config import embedded_db

    name = _db_name(size)
    with psycopg.connect(embedded_db.start().get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists:
        with psycopg.connect(embedded_db.start().get_uri(name), autocommit=True) as conn:
            has_table = conn.execute("SELECT to_regclass('personnel_cadre')").fetchone()[0]
            populated = (
                has_table
                and conn.execute("SELECT EXISTS (SELECT 1 FROM personnel_cadre)").fetchone()[0]
            )
        if populated:
            return
    print(f"[{size}] {name} missing: building it with bench.datagen", file=sys.stderr, flush=True)
    subprocess.run(
        [sys.executable, "-m", "bench.datagen", "--size", size, "--quiet"],
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )


def _setup(size: str) -> None:
    """Django on the size's database, DEBUG off; never dropped (``fresh=False``)."""
    from bench._setup import setup

    if os.environ.get("BENCH_DATABASE_URL"):
        url = os.environ["BENCH_DATABASE_URL"]
        os.environ["BENCH_DATABASE_URL"] = re.sub(r"/[^/?]*(\?|$)", rf"/{_db_name(size)}\1", url)
    setup(_db_name(size), fresh=False)


# --------------------------------------------------------------------------- who and what


def _users(size: str) -> dict:
    """The representative logins of this size, picked by rule so every size is comparable."""
    from django.db.models import Q

    from personnel.models import CommitteeMembership

    report = _datagen_report(size)
    logins = report.get("logins", {}).get("users", [])
    if not logins:
        raise SystemExit(f"bench/results/datagen-{size}.json lists no logins: rebuild the data")

    def kinds(login):
        return {m["kind"] for m in login["memberships"]}

    # The district board member with the most claimable tasks (ties: the larger inbox).
    boards = [u for u in logins if "org_board" in kinds(u) and u["inbox"]]
    board = max(boards, key=lambda u: (u["queue_count"], u["inbox_count"], u["username"]))
    open_members = CommitteeMembership.objects.filter(ended_on__isnull=True, user__isnull=False)
    board_units = open_members.filter(
        user__username=board["username"], committee__kind="org_board"
    ).values("committee__unit")

    def standing_member(committees):
        """The first (by username) plain member of these standing committees, not on a board,
        with an inbox task."""
        names = set(
            open_members.filter(committees, committee__kind="standing", role="member").values_list(
                "user__username", flat=True
            )
        )
        found = [
            u
            for u in logins
            if u["username"] in names and "org_board" not in kinds(u) and u["inbox"]
        ]
        return min(found, key=lambda u: u["username"]) if found else None

    # A standing-committee member of the board member's own district (the same scope; else of
    # any district), and one of the province's (the whole province: the widest task scope).
    standing = standing_member(Q(committee__unit__in=board_units)) or standing_member(
        Q(committee__unit__depth=2)
    )
    province_standing = standing_member(Q(committee__unit__depth=1))
    province_board = (
        open_members.filter(committee__kind="org_board", committee__unit__depth=1, role="member")
        .order_by("user__username")
        .values_list("user__username", flat=True)
        .first()
    )
    auditor = (
        open_members.filter(committee__kind="inspection", committee__unit__depth=1)
        .order_by("user__username")
        .values_list("user__username", flat=True)
        .first()
    )
    by_name = {u["username"]: u for u in logins}
    return {
        "board": board,
        "standing": standing,
        "province_standing": province_standing,
        "province_board": by_name.get(province_board) or {"username": province_board},
        "auditor": {"username": auditor},
    }


# The process page of each user: an internal-source appointment (the full five-step path) at the
# same stage at every size — the board member's at step 3 (its call/record form), the standing
# member's at the appraisal review — from the user's own inbox when it has one, else the first in
# the user's scope. The page's query count depends on the source and stage, not the data size.
PROCESS_PAGE = {"board": ("internal", "step2_done"), "standing": ("internal", "step4_done")}


def _process_of(role: str, login: dict) -> int:
    from personnel.models import User
    from workflows.appointment.selectors import appointments_for_user

    source, stage = PROCESS_PAGE[role]
    user = User.objects.get(username=login["username"])
    candidates = appointments_for_user(user=user).filter(source=source, stage=stage).order_by("pk")
    inbox = [t["process"] for t in login["inbox"] if t["flow"].startswith("appointment/")]
    pk = candidates.filter(pk__in=inbox).values_list("pk", flat=True).first()
    pk = pk or candidates.values_list("pk", flat=True).first()
    if pk is None:
        raise SystemExit(f"no {source} appointment at {stage} in {login['username']}'s scope")
    return pk


def _urls(users: dict, anchor: dt.date) -> dict[str, tuple[str, dict]]:
    dates = {
        "date_from": (anchor - dt.timedelta(days=EXPLORER_DAYS)).isoformat(),
        "date_to": (anchor - dt.timedelta(days=1)).isoformat(),
    }
    return {
        "inbox.board": ("/workflow/inbox/", {}),
        "queue.board": ("/workflow/queue/", {}),
        "process.board": (f"/appointments/{_process_of('board', users['board'])}/", {}),
        "inbox.standing": ("/workflow/inbox/", {}),
        "queue.standing": ("/workflow/queue/", {}),
        "process.standing": (
            f"/appointments/{_process_of('standing', users['standing'])}/",
            {},
        ),
        "inbox.province": ("/workflow/inbox/", {}),
        "queue.province": ("/workflow/queue/", {}),
        "search": ("/personnel/cadres/", {"q": SEARCH_QUERY}),
        "meetings.province": ("/meetings/", {}),
        "appointments.board": ("/appointments/", {}),
        "explorer.actor": ("/audit/events/", {"actor": users["standing"]["username"], **dates}),
        "explorer.action": ("/audit/events/", {"action": EXPLORER_ACTION, **dates}),
    }


def _clients(users: dict, password: str) -> dict:
    """One signed-in test client per user: a real login (password hash checked once), then the
    session cookie on every request."""
    from django.test import Client

    clients = {}
    for role, login in users.items():
        client = Client(SERVER_NAME="localhost")
        if not client.login(username=login["username"], password=password):
            raise SystemExit(f"cannot sign in as {login['username']} ({role})")
        clients[role] = client
    return clients


# --------------------------------------------------------------------------- measuring

_NUMBERS = re.compile(r"\b\d+\b|'[^']*'")


class _Statements:
    """Every statement run inside ``with connection.execute_wrapper(recorder)``, with its time.

    Not ``CaptureQueriesContext``: Django's debug log keeps the last 9,000 statements only."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((sql, time.perf_counter() - started))

    @property
    def seconds(self) -> float:
        return sum(elapsed for _sql, elapsed in self.rows)

    def repeated(self, top: int) -> list[tuple[str, int]]:
        shapes = Counter(_shape(sql) for sql, _elapsed in self.rows)
        return [(sql, count) for sql, count in shapes.most_common(top) if count > 1]


def _shape(sql: str) -> str:
    return _NUMBERS.sub("?", sql)[:160]


class PageError(Exception):
    pass


def _get(client, path: str, params: dict):
    try:
        response = client.get(path, params)
    except Exception as exc:  # the view raised: a 500 in production
        raise PageError(f"500: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise PageError(f"{response.status_code}")
    return response


def _measure(client, path: str, params: dict, requests: int, budget_s: float) -> dict:
    """Warm up, count the queries of one request, time ``requests`` requests.

    Fewer when that would take more than ``budget_s`` (as many as fit, at least REDUCED_N; one
    for a request longer than the budget). A page slower than SLOW_S is timed at most REDUCED_N
    times, its queries counted on the first timed request rather than on one of their own."""
    from django.db import connection

    started = time.perf_counter()
    _get(client, path, params)  # warm-up (templates, caches, the plan cache of PostgreSQL)
    first = time.perf_counter() - started
    slow = first >= SLOW_S
    n = requests
    if first * requests > budget_s:  # keep the run short: at least 5 (1 past the budget)
        n = max(1 if first > budget_s else REDUCED_N, int(budget_s / first))
    if slow:
        n = min(n, REDUCED_N)
    else:
        _get(client, path, params)
    samples, queries, response = [], None, None
    for _ in range(n if slow else n + 1):
        if queries is None:
            queries = _Statements()
            with connection.execute_wrapper(queries):
                started = time.perf_counter()
                response = _get(client, path, params)
                elapsed = time.perf_counter() - started
            if not slow:
                continue  # fast pages: counted on a request of its own, not timed
        else:
            started = time.perf_counter()
            _get(client, path, params)
            elapsed = time.perf_counter() - started
        samples.append(elapsed * 1000)
    return {
        "n": n,
        "reduced": n < requests,
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "max_ms": round(max(samples), 2),
        "first_ms": round(first * 1000, 2),
        "queries": len(queries.rows),
        "sql_ms": round(queries.seconds * 1000, 1),
        "bytes": len(response.content),
        "repeated_queries": [{"count": count, "sql": sql} for sql, count in queries.repeated(3)],
    }


def _run_size(size: str, requests: int, keys: list[str], budget_s: float) -> dict:
    _ensure_database(size)
    _setup(size)
    from django.conf import settings
    from django.db import connection

    assert not settings.DEBUG
    report = _datagen_report(size)
    password = report["logins"]["password"]
    anchor = dt.date.fromisoformat(report["anchor"][:10])
    users = _users(size)
    urls = _urls(users, anchor)
    selected = [p for p in PAGES if p.key in keys]
    users = {role: users[role] for role in dict.fromkeys(p.user for p in selected)}
    clients = _clients(users, password)
    load_before = os.getloadavg()
    started = time.perf_counter()
    pages = {}
    for page in selected:
        path, params = urls[page.key]
        t0 = time.perf_counter()
        pages[page.key] = {"url": path, "params": params, "user": users[page.user]["username"]}
        try:
            result = _measure(clients[page.user], path, params, requests, budget_s)
        except PageError as exc:
            pages[page.key]["error"] = str(exc)[:300]
            print(f"[{size}] {page.key:<17} FAILED {exc}", file=sys.stderr, flush=True)
            continue
        pages[page.key].update(result)
        print(
            f"[{size}] {page.key:<17} p50 {result['p50_ms']:>9.1f}  p95 {result['p95_ms']:>9.1f}"
            f"  max {result['max_ms']:>9.1f} ms  {result['queries']:>5} queries"
            f"  {result['bytes']:>8} B  n={result['n']}  ({time.perf_counter() - t0:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        db_bytes = cursor.fetchone()[0]
    rows = report.get("rows", {})
    return {
        "database": connection.settings_dict["NAME"],
        "database_mb": round(db_bytes / 2**20),
        "data": {
            **report.get("built", {}),
            **{
                name: rows[name]
                for name in ("viewflow_process", "viewflow_task", "personnel_user")
                if name in rows
            },
        },
        "users": {
            role: {
                "username": login["username"],
                **{k: login[k] for k in ("inbox_count", "queue_count") if k in login},
            }
            for role, login in users.items()
        },
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(time.perf_counter() - started, 1),
        "pages": pages,
    }


# --------------------------------------------------------------------------- profiling


def _profile(size: str, key: str, requests: int) -> None:
    """Profile one page at one size (after a warm-up) and print the top of the profile."""
    _ensure_database(size)
    _setup(size)
    from django.db import connection

    report = _datagen_report(size)
    users = _users(size)
    page = next(p for p in PAGES if p.key == key)
    path, params = _urls(users, dt.date.fromisoformat(report["anchor"][:10]))[key]
    client = _clients({page.user: users[page.user]}, report["logins"]["password"])[page.user]
    started = time.perf_counter()
    _get(client, path, params)
    warm = time.perf_counter() - started
    rounds = max(1, min(requests, 3 if warm > 1 else 20))
    print(f"{key} at {size}: {path} {params} as {users[page.user]['username']}")
    print(f"warm-up {warm * 1000:.0f} ms; profiling {rounds} request(s)\n")
    queries = _Statements()
    with connection.execute_wrapper(queries):
        _get(client, path, params)
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        profiler = Profiler()
        profiler.start()
        for _ in range(rounds):
            _get(client, path, params)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(rounds):
            _get(client, path, params)
        profiler.disable()
        _print_cprofile(pstats.Stats(profiler))
    print(
        f"\nSQL of one request: {len(queries.rows)} queries, "
        f"{queries.seconds * 1000:.0f} ms waiting for the database"
    )
    for sql, count in queries.repeated(8):
        print(f"  {count:>6} x  {sql}")


def _print_cprofile(stats, top: int = 30) -> None:
    """cProfile's cumulative and own times, with their share of the whole profile."""
    total = stats.total_tt or 1.0
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        where = _short(filename)
        rows.append((cumtime, tottime, ncalls, f"{where}:{line}({name})"))
    print(f"total {total:.3f} s (cProfile; its overhead inflates Python-heavy code)\n")
    print(f"{'cum %':>6} {'cum s':>8} {'own %':>6} {'calls':>9}  function (by cumulative time)")
    for cumtime, tottime, ncalls, where in sorted(rows, reverse=True)[:top]:
        print(
            f"{100 * cumtime / total:>6.1f} {cumtime:>8.3f} {100 * tottime / total:>6.1f}"
            f" {ncalls:>9}  {where}"
        )
    print(f"\n{'own %':>6} {'own s':>8} {'calls':>9}  function (by own time)")
    for _cum, tottime, ncalls, where in sorted(rows, key=lambda r: r[1], reverse=True)[:15]:
        print(f"{100 * tottime / total:>6.1f} {tottime:>8.3f} {ncalls:>9}  {where}")


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/", str(Path.cwd()) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --------------------------------------------------------------------------- the summary


def _verdict(p95: float | None, target: float) -> str:
    if p95 is None:
        return "not measured"
    if p95 < target:
        return f"met ({p95:,.0f} < {target} ms)"
    return f"**missed** by {p95 - target:,.0f} ms (×{p95 / target:,.1f})"


def _markdown(payload: dict) -> str:
    measured = [p for p in PAGES if any(p.key in run["pages"] for run in payload["sizes"].values())]
    sizes = [s for s in SIZES if s in payload["sizes"]] + [
        s for s in payload["sizes"] if s not in SIZES
    ]
    largest = "large" if "large" in sizes else sizes[-1]
    machine = payload["machine"]
    lines = [
        "# Page latency against data size (issue #9, benchmark 1)",
        "",
        f"{payload['when']}; {machine['cpus']} CPUs, Python {machine['python']}, "
        f"PostgreSQL (embedded, unix socket); Django test client in-process (no HTTP server, "
        f"session auth, DEBUG off, one database connection kept); "
        f"N = {payload['requests']} timed requests per page after a warm-up "
        f"(fewer where N requests would exceed {payload.get('page_budget_s', 30):.0f} s: as many "
        f"as fit, at least {REDUCED_N}; at most {REDUCED_N} where a request took > "
        f"{SLOW_S:.0f} s; 1 where it took longer than that budget).",
        "",
        "| size | cadres | procedures | tasks | audit events | DB | load avg before → after |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for size in sizes:
        run = payload["sizes"][size]
        data = run["data"]
        lines.append(
            f"| {size} | {data.get('cadres', 0):,} | {data.get('procedures', 0):,} | "
            f"{data.get('workflow_tasks', 0):,} | {data.get('audit_events', 0):,} | "
            f"{run['database_mb']:,} MB | {run['loadavg_before'][0]} → {run['loadavg_after'][0]} |"
        )
    lines += [
        "",
        "## p95 (ms) and SQL queries per request",
        "",
        "| page | " + " | ".join(f"{s} p95 | {s} queries" for s in sizes) + " |",
        "|---|" + "---:|---:|" * len(sizes),
    ]
    for page in measured:
        cells = []
        for size in sizes:
            result = payload["sizes"][size]["pages"].get(page.key)
            if result is None or "error" in result:
                cells += ["error" if result else "–", "–"]
                continue
            star = "\\*" if result["reduced"] else ""
            cells += [f"{result['p95_ms']:,.1f}{star}", f"{result['queries']:,}"]
        lines.append(f"| {page.label} | " + " | ".join(cells) + " |")
    reduced = [
        f"{page.key} at {size} (n = {result['n']})"
        for size in sizes
        for page in measured
        if (result := payload["sizes"][size]["pages"].get(page.key, {})).get("reduced")
    ]
    if reduced:
        lines += [
            "",
            f"\\* timed fewer than {payload['requests']} times (with 5 samples, p95 = max): "
            + ", ".join(reduced)
            + ".",
        ]
    lines += [
        "",
        f"p50, max, first (cold) request, SQL time and response sizes: "
        f"{payload['benchmark']}.json.",
        "",
        "## Targets (issue #9)",
        "",
        "| page | p95 target | verdict | queries constant in the size |",
        "|---|---|---|---|",
    ]
    for page in measured:
        results = {
            s: payload["sizes"][s]["pages"][page.key]
            for s in sizes
            if "p95_ms" in payload["sizes"][s]["pages"].get(page.key, {})
        }
        errors = [
            f"{s}: {payload['sizes'][s]['pages'][page.key]['error']}"
            for s in sizes
            if "error" in payload["sizes"][s]["pages"].get(page.key, {})
        ]
        if page.kind == "task":
            target = f"< {TARGET_MS['task']} ms at every size"
            verdict = "; ".join(
                f"{s}: {_verdict(r['p95_ms'], TARGET_MS['task'])}" for s, r in results.items()
            )
        else:
            target = f"< {TARGET_MS[page.kind]} ms at {largest}"
            if page.kind == "list":
                target += " (ours: not an issue target)"
            verdict = (
                _verdict(results.get(largest, {}).get("p95_ms"), TARGET_MS[page.kind])
                + f" — at {largest}"
            )
        counts = [results[s]["queries"] for s in sizes if s in results]
        if not counts:
            constant = "not measured"
        elif len(set(counts)) <= 1:
            constant = f"met ({counts[0]})"
        elif max(counts) - min(counts) <= 2:
            constant = (
                f"met ({min(counts)}–{max(counts)}: the object's own rows, not the size; "
                + " → ".join(map(str, counts))
                + ")"
            )
        else:
            constant = (
                "**missed**: "
                + " → ".join(f"{c:,}" for c in counts)
                + (f" (+{counts[-1] - counts[0]:,} from {sizes[0]} to {sizes[-1]})")
            )
        if errors:
            verdict += "; **failed** (" + "; ".join(errors) + ")"
        lines.append(f"| {page.label} | {target} | {verdict} | {constant} |")
    lines += ["", "## Users and pages", ""]
    for size in sizes:
        run = payload["sizes"][size]
        users = ", ".join(
            f"{role} `{u['username']}`"
            + (
                f" (inbox {u['inbox_count']}, queue {u['queue_count']})"
                if "queue_count" in u
                else ""
            )
            for role, u in run["users"].items()
        )
        lines.append(f"- {size} ({run['seconds']:.0f} s): {users}")
    lines += [
        "",
        "Process pages: an internal-source appointment, the board member's at "
        f"`{PROCESS_PAGE['board'][1]}` (step 3 to call), the standing member's at "
        f"`{PROCESS_PAGE['standing'][1]}` (appraisal to review), from the user's inbox when "
        f"there is one, else the first in scope. Search: `q={SEARCH_QUERY}`. Explorer: the last "
        f"{EXPLORER_DAYS} days before the "
        f"data's anchor, by the standing-committee member's username, and by action "
        f"`{EXPLORER_ACTION}`.",
        "",
        "Most repeated statements per page (largest size) — where the query count grows:",
        "",
    ]
    for page in measured:
        result = payload["sizes"][sizes[-1]]["pages"].get(page.key) or {}
        for item in result.get("repeated_queries", [])[:2]:
            lines.append(f"- {page.key}: {item['count']:,} × `{item['sql'][:120]}`")
    if payload.get("note"):
        lines += ["", payload["note"]]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- entry points


def _worker(size: str, requests: int, keys: list[str], budget_s: float, out: Path) -> int:
    out.write_text(json.dumps(_run_size(size, requests, keys, budget_s), ensure_ascii=False))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default=None, help="default small,medium,large")
    parser.add_argument(
        "--requests", type=int, default=None, help="timed requests per page (default 50)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI mode: proves the pages still render (--sizes small --requests 3 unless given)",
    )
    parser.add_argument(
        "--pages",
        default=",".join(p.key for p in PAGES if p.default),
        help=f"pages to measure, of: {', '.join(PAGE_KEYS)} (default: all but *.province)",
    )
    parser.add_argument(
        "--page-budget",
        type=float,
        default=30,
        help="seconds of timed requests per page: a slower page is timed fewer times (at least"
        f" {REDUCED_N}; once if one request exceeds it; at most {REDUCED_N} past {SLOW_S:.0f} s)",
    )
    parser.add_argument(
        "--profile", choices=PAGE_KEYS, help="profile one page at the first size; write nothing"
    )
    parser.add_argument(
        "--name", default="pages", help="results file name: bench/results/<name>.json|md"
    )
    parser.add_argument(
        "--note", default="", help="a line for the Markdown summary (e.g. what else ran)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = "small" if args.quick else "small,medium,large"
    if args.requests is None:
        args.requests = 3 if args.quick else 50
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    keys = [k.strip() for k in args.pages.split(",") if k.strip()]
    unknown = sorted(set(keys) - set(PAGE_KEYS))
    if unknown:
        parser.error(f"unknown pages: {', '.join(unknown)}")

    if args.worker:
        return _worker(args.worker, args.requests, keys, args.page_budget, args.out)
    if args.profile:
        _profile(sizes[0], args.profile, args.requests)
        return 0

    runs = {}
    for size in sizes:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run(
                [
                    sys.executable,
                    *("-m", "bench.pages", "--worker", size, "--out", out.name),
                    *("--requests", str(args.requests), "--pages", ",".join(keys)),
                    *("--page-budget", str(args.page_budget)),
                ],
                check=True,
                cwd=Path(__file__).resolve().parent.parent,
            )
            runs[size] = json.loads(Path(out.name).read_text())
    from bench._setup import write

    path = write(
        args.name,
        {
            "requests": args.requests,
            "page_budget_s": args.page_budget,
            "targets": {
                "inbox_queue_process_p95_ms": TARGET_MS["task"],
                "search_explorer_p95_ms_at_large": TARGET_MS["search"],
                "queries": "constant in the data size",
            },
            "client": "django.test.Client in-process, session auth, DEBUG off",
            "platform": platform.platform(),
            "note": args.note,
            "sizes": runs,
        },
    )
    payload = json.loads(path.read_text())
    md = RESULTS / f"{args.name}.md"
    md.write_text(_markdown(payload))
    print(md.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
