"""The benchmark runner (``python -m bench``): which benchmarks it finds and picks, where results
go, and that a failing benchmark fails the run. Fake benchmark modules (a few lines each, in a
temporary directory on PYTHONPATH) stand in for the real ones, which take minutes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench import __main__ as runner

BASE_DIR = Path(runner.__file__).resolve().parent.parent

FAKES = {
    # Writes its results where BENCH_RESULTS says, as the real ones do through bench/_setup.py.
    "fakebench_ok": """
        import json, os, sys
        from pathlib import Path
        out = Path(os.environ["BENCH_RESULTS"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "fake_ok.json").write_text(json.dumps({"when": "2026-12-02T08:00:00+0000",
            "argv": sys.argv[1:], "headline": "42 things/s", "verdicts": {"speed": "met"}}))
        (out / "fake_ok.md").write_text("# ok\\n")
    """,
    "fakebench_fail": "import sys; sys.exit(3)",
    "fakebench_crash": "raise RuntimeError('boom')",
    "fakebench_slow": "import time; time.sleep(60)",
}


def _fake(name: str, module: str) -> runner.Benchmark:
    return runner.Benchmark(
        name,
        module,
        f"fake {name}",
        lambda size, quick: ["--size", size, *(["--quick"] if quick else [])],
        (f"fake_{name}",),
    )


@pytest.fixture
def fakes(tmp_path, monkeypatch):
    modules = tmp_path / "modules"
    modules.mkdir()
    for name, source in FAKES.items():
        (modules / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.setenv("PYTHONPATH", str(modules))
    monkeypatch.syspath_prepend(str(modules))
    benchmarks = (
        _fake("ok", "fakebench_ok"),
        _fake("fail", "fakebench_fail"),
        _fake("crash", "fakebench_crash"),
        _fake("slow", "fakebench_slow"),
        _fake("absent", "fakebench_not_written_yet"),
    )
    monkeypatch.setattr(runner, "BENCHMARKS", benchmarks)
    monkeypatch.setattr(runner, "NAMES", [b.name for b in benchmarks])
    monkeypatch.setattr(runner, "SUMMARIES", {})
    return tmp_path / "results"


# --------------------------------------------------------------------------- the real registry


def test_registry_lists_every_benchmark_of_the_issue_in_order():
    assert runner.NAMES == ["datagen", "pages", "load", "websockets", "audit"]


def test_every_benchmark_module_present_accepts_quick():
    """CI runs each with --quick: a module that lost the option would fail only there."""
    for benchmark in runner.BENCHMARKS:
        if benchmark.runs_in_runner or not runner.available(benchmark):
            continue
        help_text = subprocess.run(
            [sys.executable, "-m", benchmark.module, "--help"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert "--quick" in help_text, benchmark.module
        assert "--quick" in benchmark.argv("small", True)


def test_full_runs_pass_the_size_on():
    by_name = {b.name: b for b in runner.BENCHMARKS}
    assert by_name["pages"].argv("medium", False) == ["--sizes", "small,medium"]
    assert by_name["pages"].argv("small", True) == ["--quick", "--sizes", "small"]
    assert by_name["load"].argv("large", False) == ["--size", "large"]
    assert by_name["audit"].argv("large", False) == ["--size", "large"]
    assert by_name["websockets"].argv("large", False)[:2] == ["--clients", "500,2000"]


# --------------------------------------------------------------------------- discovery, --only


def test_a_missing_module_is_reported_absent(fakes):
    by_name = {b.name: b for b in runner.BENCHMARKS}
    assert runner.available(by_name["ok"])
    assert not runner.available(by_name["absent"])
    assert not runner.available(_fake("x", "no_such_package.bench"))


def test_only_picks_benchmarks_in_registry_order(fakes):
    assert [b.name for b in runner.select("crash, ok")] == ["ok", "crash"]
    assert [b.name for b in runner.select(None)] == runner.NAMES


def test_only_rejects_an_unknown_name(fakes, capsys):
    with pytest.raises(ValueError, match="nope"):
        runner.select("ok,nope")
    with pytest.raises(SystemExit) as exc:
        runner.parse(["--only", "nope"])
    assert exc.value.code == 2
    assert "unknown benchmarks: nope" in capsys.readouterr().err


def test_quick_defaults_to_the_small_size_and_a_timeout():
    args = runner.parse(["--quick"])
    assert (args.size, args.timeout) == ("small", runner.QUICK_TIMEOUT_S)
    args = runner.parse([])
    assert (args.size, args.timeout) == ("large", None)


# --------------------------------------------------------------------------- running, exit status


def test_results_dir_is_passed_down_and_indexed(fakes):
    assert runner.main(["--only", "ok,absent", "--results", str(fakes), "--size", "medium"]) == 0
    written = json.loads((fakes / "fake_ok.json").read_text())
    assert written["argv"] == ["--size", "medium"]
    state = json.loads((fakes / "runner.json").read_text())["benchmarks"]
    assert state["ok"]["status"] == "ok"
    assert state["absent"]["status"] == "absent"
    readme = (fakes / "README.md").read_text()
    assert "42 things/s" in readme and "speed: met" in readme
    assert "[fake_ok.md](fake_ok.md)" in readme
    assert "| `fail` |" in readme and "not run" in readme


def test_quick_is_passed_down_and_verdicts_are_withheld(fakes):
    assert runner.main(["--only", "ok", "--quick", "--results", str(fakes)]) == 0
    assert json.loads((fakes / "fake_ok.json").read_text())["argv"] == [
        "--size",
        "small",
        "--quick",
    ]
    assert "quick run: no thresholds" in (fakes / "README.md").read_text()


@pytest.mark.parametrize("name", ["fail", "crash"])
def test_a_failing_benchmark_fails_the_run_and_the_others_still_run(fakes, name):
    assert runner.main(["--only", f"{name},ok", "--results", str(fakes)]) == 1
    state = json.loads((fakes / "runner.json").read_text())["benchmarks"]
    assert state[name]["status"] == "failed"
    assert state[name]["returncode"] == (3 if name == "fail" else 1)
    assert state["ok"]["status"] == "ok"


def test_a_page_that_failed_fails_the_run_though_pages_exits_0(fakes, monkeypatch):
    """bench.pages records a page's error and goes on; the runner must not call that a pass."""
    pages = runner.Benchmark(
        "ok",
        "fakebench_ok",
        "pages",
        lambda size, quick: [],
        ("fake_ok",),
        problems=runner._page_errors,
    )
    monkeypatch.setattr(runner, "BENCHMARKS", (pages,))
    fakes.mkdir()
    (fakes / "pages.json").write_text(
        json.dumps({"sizes": {"small": {"pages": {"inbox.board": {"error": "status 500"}}}}})
    )
    assert runner.main(["--only", "ok", "--results", str(fakes)]) == 1
    state = json.loads((fakes / "runner.json").read_text())["benchmarks"]["ok"]
    assert state["status"] == "failed"
    assert state["problems"] == ["small inbox.board: status 500"]
    (fakes / "pages.json").write_text(
        json.dumps({"sizes": {"small": {"pages": {"inbox.board": {"p95_ms": 3.0}}}}})
    )
    assert runner.main(["--only", "ok", "--results", str(fakes)]) == 0


def test_a_benchmark_past_its_timeout_is_ended_and_fails(fakes):
    assert runner.main(["--only", "slow", "--timeout", "1", "--results", str(fakes)]) == 1
    state = json.loads((fakes / "runner.json").read_text())["benchmarks"]
    assert state["slow"]["status"] == "timed out"
    assert state["slow"]["seconds"] < 30


def test_a_later_run_keeps_the_records_of_benchmarks_it_did_not_run(fakes):
    runner.main(["--only", "fail", "--results", str(fakes)])
    runner.main(["--only", "ok", "--results", str(fakes)])
    state = json.loads((fakes / "runner.json").read_text())["benchmarks"]
    assert {state["fail"]["status"], state["ok"]["status"]} == {"failed", "ok"}


def test_bench_results_env_redirects_the_shared_results_dir(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", "from bench._setup import RESULTS; print(RESULTS)"],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "BENCH_RESULTS": str(tmp_path / "r")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str((tmp_path / "r").resolve())


# --------------------------------------------------------------------------- the index


def test_index_reads_the_real_benchmarks_results(tmp_path):
    """The summaries of websockets and audit against their JSON shape."""
    (tmp_path / "websockets.json").write_text(
        json.dumps(
            {
                "when": "2026-12-02T08:00:00+0000",
                "target_p95_ms": 100,
                "runs": {
                    "500": {
                        "paced": {"p95_ms": 20.0, "lost": 0},
                        "burst": {"p95_ms": 2414.0, "lost": 0},
                        "server_rss_mb_peak": 180.0,
                    }
                },
            }
        )
    )
    (tmp_path / "audit.json").write_text(
        json.dumps(
            {
                "when": "2026-12-02T08:00:00+0000",
                "recording": {"audit_record": {"median_ms": 1.2}},
                "verify": {"events": 1_000_000, "events_per_second": 67250},
                "explorer_filtered_page": {"a": {"p95_ms": 104.0}, "b": {"p95_ms": 142.0}},
                "verdicts": {"verify": "met"},
            }
        )
    )
    text = runner.index(tmp_path, {"websockets": {"status": "ok", "size": "large"}})
    assert "burst p95 2,414 ms" in text
    assert "burst at 500: **missed** (24.1×)" in text
    assert "paced at 500: met" in text
    assert "verify 67,250/s over 1,000,000 events" in text
    assert "explorer worst p95 142 ms" in text
    assert "2026-12-02 08:00 UTC" in text
