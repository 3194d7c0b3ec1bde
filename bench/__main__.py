"""Run every benchmark (issue #9), each in its own process, and index their results.

    .venv/bin/python -m bench [--size small|medium|large] [--quick] [--only a,b] [--results DIR]

In order (``BENCHMARKS``; ``--only`` picks some, by name):

- ``datagen``: the size's benchmark database(s), ``cadreflow_bench_<size>``. An existing one is
  reused (its ``datagen-<size>.json`` reports how long it took to build); a missing one is built
  with ``python -m bench.datagen --size S``. Pages measure every size up to ``--size``.
- ``pages``: ``bench.pages --sizes small,...,S`` (page latency against the data size);
- ``load``: ``bench.load --size S`` (throughput under load against a bare-Django baseline);
- ``websockets``: ``bench.websockets`` (500 and 2,000 clients; where a burst's time goes);
- ``audit``: ``bench.audit`` (write overhead, verification, explorer; on the datagen database
  at large, on its own with 1,000,000 events otherwise).

``--quick`` is the CI mode: the small size and each benchmark's own ``--quick`` (tiny request
counts, few clients, short): it proves every benchmark still runs, without thresholds. The
runner exits non-zero when any benchmark it ran failed (exit status, crash or ``--timeout``). A
benchmark whose module is not there is listed as absent and does not fail the run.

Results: each benchmark's JSON and Markdown in bench/results/ — or ``--results DIR``, passed
down as BENCH_RESULTS (bench/_setup.py) so a CI run leaves the committed results alone — then
``runner.json`` (what ran, how, how long, with which exit status) and the index ``README.md``
(every benchmark: when it ran, size, headline numbers, target verdicts, links).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
COMMITTED = BASE_DIR / "bench" / "results"
SIZES = ("small", "medium", "large")
QUICK_SIZE = "small"
QUICK_TIMEOUT_S = 600


@dataclass(frozen=True)
class Benchmark:
    name: str
    module: str  # run as ``python -m <module> <argv>``
    what: str
    argv: Callable[[str, bool], list[str]]  # (size, quick) -> arguments
    results: tuple[str, ...]  # result names: <name>.json and <name>.md
    runs_in_runner: bool = False  # datagen: the runner checks the databases itself
    # Failures the benchmark records and survives (exit status 0): what makes the run fail.
    problems: Callable[[Path], list[str]] | None = None


def _page_errors(results: Path) -> list[str]:
    """Pages records a page that fails (an exception, a status other than 200) and goes on."""
    try:
        payload = json.loads((results / "pages.json").read_text())
    except (OSError, ValueError):
        return ["pages.json missing"]
    return [
        f"{size} {key}: {result['error']}"
        for size, run in payload.get("sizes", {}).items()
        for key, result in run.get("pages", {}).items()
        if "error" in result
    ]


def _sizes_up_to(size: str) -> list[str]:
    return list(SIZES[: SIZES.index(size) + 1]) if size in SIZES else [size]


BENCHMARKS = (
    Benchmark(
        "datagen",
        "bench.datagen",
        "benchmark databases: built when missing, their build time",
        lambda size, quick: ["--size", size, "--quiet"],
        (),
        runs_in_runner=True,
    ),
    Benchmark(
        "pages",
        "bench.pages",
        "page latency and query counts against the data size",
        lambda size, quick: (
            ["--quick", "--sizes", size] if quick else ["--sizes", ",".join(_sizes_up_to(size))]
        ),
        ("pages",),
        problems=_page_errors,
    ),
    Benchmark(
        "load",
        "bench.load",
        "throughput and memory under load, against a bare-Django baseline",
        lambda size, quick: ["--size", size, *(["--quick"] if quick else [])],
        ("load",),
    ),
    Benchmark(
        "websockets",
        "bench.websockets",
        "websocket commit-to-browser latency, 500 and 2,000 clients",
        lambda size, quick: ["--quick"] if quick else ["--clients", "500,2000", "--diagnose"],
        ("websockets",),
    ),
    Benchmark(
        "audit",
        "bench.audit",
        "audit trail: write overhead, verify throughput, explorer",
        lambda size, quick: (
            ["--quick"]
            if quick
            else (["--size", size] if size == "large" else ["--events", "1000000"])
        ),
        ("audit",),
    ),
)
NAMES = [b.name for b in BENCHMARKS]


def available(benchmark: Benchmark) -> bool:
    """Whether the benchmark's module is there (``bench.load`` may not be, yet)."""
    try:
        return importlib.util.find_spec(benchmark.module) is not None
    except ModuleNotFoundError:
        return False


def select(only: str | None) -> list[Benchmark]:
    if not only:
        return list(BENCHMARKS)
    wanted = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown benchmarks: {', '.join(unknown)} (of {', '.join(NAMES)})")
    return [b for b in BENCHMARKS if b.name in wanted]


# --------------------------------------------------------------------------- running


def run_process(cmd: list[str], env: dict, timeout: float | None) -> tuple[int | None, str]:
    """Run ``cmd`` in its own process group (the benchmarks start servers and workers of their
    own: a timeout ends them all). Returns (exit status or None on timeout, status)."""
    proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, start_new_session=True)  # noqa: S603
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=20)
                break
            except subprocess.TimeoutExpired:
                continue
        return None, "timed out"
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        raise
    return code, "ok" if code == 0 else "failed"


def _database_state(size: str) -> str:
    """``populated``, ``empty`` (exists without cadres: an interrupted build) or ``missing``."""
    import psycopg

    from config import embedded_db

    name = f"cadreflow_bench_{size}"
    with psycopg.connect(embedded_db.start().get_uri("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return "missing"
    with psycopg.connect(embedded_db.start().get_uri(name), autocommit=True) as conn:
        if not conn.execute("SELECT to_regclass('personnel_cadre')").fetchone()[0]:
            return "empty"
        populated = conn.execute("SELECT EXISTS (SELECT 1 FROM personnel_cadre)").fetchone()[0]
    return "populated" if populated else "empty"


def run_datagen(
    benchmark: Benchmark, sizes: list[str], results: Path, env: dict, timeout: float | None
) -> dict:
    """Build each size's database when missing; make its report available in ``results``."""
    outcome = {"status": "ok", "sizes": {}}
    for size in sizes:
        report = f"datagen-{size}.json"
        # On the caller's server (BENCH_DATABASE_URL) the databases must exist.
        state = "populated" if os.environ.get("BENCH_DATABASE_URL") else _database_state(size)
        if state == "populated":
            if not (results / report).exists() and (COMMITTED / report).exists():
                results.mkdir(parents=True, exist_ok=True)
                shutil.copy2(COMMITTED / report, results / report)
            if (results / report).exists():
                outcome["sizes"][size] = "reused"
                continue
            outcome["sizes"][size] = f"exists but {report} is missing: rebuild it"
            outcome["status"] = "failed"
            continue
        print(f"[bench] cadreflow_bench_{size} {state}: building it", file=sys.stderr, flush=True)
        cmd = [sys.executable, "-m", benchmark.module, *benchmark.argv(size, False)]
        code, status = run_process(cmd, env, timeout)
        outcome["sizes"][size] = "built" if status == "ok" else status
        if status != "ok":
            outcome["status"] = status
            outcome["returncode"] = code
    return outcome


def run_all(
    benchmarks: list[Benchmark],
    *,
    size: str,
    quick: bool,
    results: Path,
    timeout: float | None,
) -> dict[str, dict]:
    path = os.pathsep.join(p for p in (str(BASE_DIR), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, BENCH_RESULTS=str(results), PYTHONPATH=path)
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
    outcomes = {}
    for benchmark in benchmarks:
        started = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        record = {"size": size, "quick": quick, "started": stamp, "module": benchmark.module}
        if not available(benchmark):
            record.update(status="absent", seconds=0)
            print(f"[bench] {benchmark.name}: {benchmark.module} is absent", file=sys.stderr)
        elif benchmark.runs_in_runner:
            # The databases of the size (and, for pages, the sizes below it).
            sizes = [size] if quick else _sizes_up_to(size)
            record.update(run_datagen(benchmark, sizes, results, env, timeout))
        else:
            cmd = [sys.executable, "-m", benchmark.module, *benchmark.argv(size, quick)]
            if not {"--size", "--sizes"} & set(cmd):
                record["size"] = "—"  # its own data (websockets; audit below large)
            record["command"] = " ".join(["python", *cmd[1:]])
            print(f"\n[bench] === {benchmark.name}: {record['command']}", file=sys.stderr)
            code, status = run_process(cmd, env, timeout)
            record.update(status=status, returncode=code)
            if status == "ok" and benchmark.problems and (problems := benchmark.problems(results)):
                record.update(status="failed", problems=problems)
                print(f"[bench] {benchmark.name}: {'; '.join(problems)}", file=sys.stderr)
        record["seconds"] = round(time.time() - started, 1)
        print(
            f"[bench] {benchmark.name}: {record['status']} in {record['seconds']} s",
            file=sys.stderr,
            flush=True,
        )
        outcomes[benchmark.name] = record
    return outcomes


def failed(outcomes: dict[str, dict]) -> list[str]:
    return [name for name, o in outcomes.items() if o["status"] not in ("ok", "absent")]


# --------------------------------------------------------------------------- the index


def _load(results: Path, name: str) -> dict | None:
    path = results / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _summary_datagen(results: Path, record: dict) -> tuple[str, str]:
    parts = []
    for size in [*SIZES, "tiny"]:
        report = _load(results, f"datagen-{size}")
        if report:
            rows = sum(report.get("rows", {}).values())
            total = report.get("seconds", {}).get("total")
            parts.append(f"{size}: {rows:,} rows in {total:,.0f} s")
    return "; ".join(parts) or "no report", "—"


def _summary_pages(results: Path, record: dict) -> tuple[str, str]:
    payload = _load(results, "pages")
    if not payload:
        return "no results", "—"
    targets = {"task": 50, "search": 200}
    kinds = {
        "inbox": "task",
        "queue": "task",
        "process": "task",
        "search": "search",
        "explorer": "search",
    }
    heads, verdicts = [], []
    sizes = list(payload.get("sizes", {}))
    for size in sizes:
        pages = payload["sizes"][size].get("pages", {})
        worst: dict[str, tuple[float, str]] = {}
        for key, result in pages.items():
            kind = kinds.get(key.split(".")[0])
            if kind and "p95_ms" in result and result["p95_ms"] > worst.get(kind, (-1, ""))[0]:
                worst[kind] = (result["p95_ms"], key)
        errors = [k for k, r in pages.items() if "error" in r]
        head = ", ".join(
            f"{kind} worst p95 {ms:,.0f} ms ({key})" for kind, (ms, key) in worst.items()
        )
        heads.append(f"{size}: {head}" + (f", {len(errors)} failed" if errors else ""))
        for kind, (ms, _key) in worst.items():
            if kind == "task" or size == sizes[-1]:
                ok = ms < targets[kind]
                verdicts.append(
                    f"{kind} < {targets[kind]} ms at {size}: "
                    + ("met" if ok else f"**missed** ({ms / targets[kind]:.1f}×)")
                )
    return "; ".join(heads), "; ".join(verdicts)


def _summary_websockets(results: Path, record: dict) -> tuple[str, str]:
    payload = _load(results, "websockets")
    if not payload:
        return "no results", "—"
    runs = payload.get("runs") or {str(payload.get("clients")): payload}  # older single-count form
    heads, verdicts = [], []
    target = payload.get("target_p95_ms", 100)
    for count, run in runs.items():
        paced, burst = run.get("paced", {}), run.get("burst", {})
        rss = run.get("server_rss_mb_peak")
        heads.append(
            f"{count} clients: paced p95 {paced.get('p95_ms', 0):,.0f} ms, burst p95 "
            f"{burst.get('p95_ms', 0):,.0f} ms, lost {paced.get('lost', 0) + burst.get('lost', 0)}"
            + (f", server RSS {rss:,.0f} MB" if rss else "")
        )
        for name, s in (("paced", paced), ("burst", burst)):
            ok = s.get("p95_ms", 0) < target and not s.get("lost")
            verdicts.append(
                f"{name} at {count}: "
                + ("met" if ok else f"**missed** ({s.get('p95_ms', 0) / target:.1f}×)")
            )
    return "; ".join(heads), "; ".join(verdicts)


def _summary_audit(results: Path, record: dict) -> tuple[str, str]:
    payload = _load(results, "audit")
    if not payload:
        return "no results", "—"
    rec = (payload.get("recording") or {}).get("audit_record", {})
    verify = payload.get("verify", {})
    explorer = payload.get("explorer_filtered_page", {})
    worst = max((c["p95_ms"] for c in explorer.values()), default=0)
    head = (
        f"audit_record median {rec.get('median_ms', 0):.2f} ms; verify "
        f"{verify.get('events_per_second', 0):,}/s over {verify.get('events', 0):,} events; "
        f"explorer worst p95 {worst:,.0f} ms"
    )
    verdicts = payload.get("verdicts") or {}
    return head, "; ".join(f"{k}: {v}" for k, v in verdicts.items()) or "—"


def _summary_generic(name: str) -> Callable[[Path, dict], tuple[str, str]]:
    """A benchmark's own ``headline`` and ``verdicts`` (strings, or a dict of verdicts), when its
    JSON has them; otherwise a pointer to its Markdown."""

    def summary(results: Path, record: dict) -> tuple[str, str]:
        payload = _load(results, name)
        if not payload:
            return "no results", "—"
        verdicts = payload.get("verdicts") or "—"
        if isinstance(verdicts, dict):
            verdicts = "; ".join(f"{k}: {v}" for k, v in verdicts.items())
        return str(payload.get("headline") or f"see {name}.md"), str(verdicts)

    return summary


SUMMARIES = {
    "datagen": _summary_datagen,
    "pages": _summary_pages,
    "websockets": _summary_websockets,
    "audit": _summary_audit,
}


def _when(stamp: str | None) -> dt.datetime | None:
    """A results file's ``when`` (local time of the process that wrote it, with its offset:
    Django sets the project's time zone) in UTC, so the index compares like with like."""
    try:
        return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").astimezone(dt.UTC)
    except (TypeError, ValueError):
        return None


def _sizes_in(results: Path, name: str) -> str:
    """The sizes a benchmark's results cover, for one the runner has no record of."""
    if name == "datagen":
        found = [s for s in SIZES if (results / f"datagen-{s}.json").exists()]
    else:
        found = list((_load(results, name) or {}).get("sizes") or {})
    return ", ".join(found) or "—"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def index(results: Path, runs: dict[str, dict]) -> str:
    """The index's Markdown: every benchmark, from ``runs`` (runner.json) and its results."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `.venv/bin/python -m bench` (bench/README.md: how to run them). One row per "
        "benchmark: the runner's last run of it, the headline numbers and target verdicts read "
        "from its results. A quick (CI) run proves a benchmark works and gives no verdicts.",
        "",
        "| benchmark | what | last run | size | mode | status | headline | targets | results |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for benchmark in BENCHMARKS:
        record = runs.get(benchmark.name, {})
        names = list(benchmark.results)
        if benchmark.name == "datagen":
            names = [s for s in [*SIZES, "tiny"] if (results / f"datagen-{s}.json").exists()]
            names = [f"datagen-{s}" for s in names]
        stamps = [_when((_load(results, n) or {}).get("when")) for n in names]
        when = max((s for s in stamps if s), default=None) or _when(record.get("started"))
        summary = SUMMARIES.get(benchmark.name) or _summary_generic(
            (benchmark.results or (benchmark.name,))[0]
        )
        headline, verdicts = summary(results, record)
        if record.get("quick"):
            verdicts = "— (quick run: no thresholds)"
        links = ", ".join(
            f"[{n}.{ext}]({n}.{ext})"
            for n in names
            for ext in ("md", "json")
            if (results / f"{n}.{ext}").exists()
        )
        status = record.get("status", "not run")
        if record.get("seconds"):
            status += f" ({record['seconds']:,.0f} s)"
        if record.get("sizes"):
            status += " — " + ", ".join(f"{s}: {v}" for s, v in record["sizes"].items())
        lines.append(
            "| "
            + " | ".join(
                _cell(c)
                for c in (
                    f"`{benchmark.name}`",
                    benchmark.what,
                    when.strftime("%Y-%m-%d %H:%M UTC") if when else "—",
                    record.get("size") or _sizes_in(results, benchmark.name),
                    ("quick" if record.get("quick") else "full") if record else "—",
                    status,
                    headline,
                    verdicts,
                    links or "—",
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def write_index(results: Path, outcomes: dict[str, dict]) -> Path:
    """Merge this run into runner.json (benchmarks not run keep their last record) and write
    the index README.md."""
    results.mkdir(parents=True, exist_ok=True)
    state_path = results / "runner.json"
    try:
        runs = json.loads(state_path.read_text()).get("benchmarks", {})
    except (OSError, ValueError):
        runs = {}
    runs.update(outcomes)
    state_path.write_text(
        json.dumps({"benchmarks": runs}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    path = results / "README.md"
    path.write_text(index(results, runs), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- entry point


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", choices=SIZES, default=None, help="default large (quick: small)")
    parser.add_argument("--quick", action="store_true", help="CI mode: small and short, no targets")
    parser.add_argument("--only", default=None, help=f"comma-separated, of: {', '.join(NAMES)}")
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="results directory (default bench/results/, or BENCH_RESULTS)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"seconds per benchmark before it is ended (default: none; quick {QUICK_TIMEOUT_S})",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = QUICK_SIZE if args.quick else "large"
    if args.timeout is None and args.quick:
        args.timeout = QUICK_TIMEOUT_S
    try:
        args.benchmarks = select(args.only)
    except ValueError as exc:
        parser.error(str(exc))
    args.results = Path(args.results or os.environ.get("BENCH_RESULTS") or COMMITTED).resolve()
    return args


def main(argv=None) -> int:
    args = parse(argv)
    if args.list:
        for b in BENCHMARKS:
            state = "available" if available(b) else "absent"
            print(f"{b.name:<11} {b.module:<17} {state:<9} {b.what}")
        return 0
    started = time.time()
    outcomes = run_all(
        args.benchmarks,
        size=args.size,
        quick=args.quick,
        results=args.results,
        timeout=args.timeout,
    )
    path = write_index(args.results, outcomes)
    bad = failed(outcomes)
    print(f"\n[bench] {len(outcomes)} benchmarks in {time.time() - started:,.0f} s; index: {path}")
    for name, o in outcomes.items():
        print(f"[bench]   {name:<11} {o['status']:<10} {o['seconds']:>7,.1f} s")
    if bad:
        print(f"[bench] FAILED: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
