"""The load test (issue #9, benchmarks 2, 3 and 6) end to end in its quick mode, on the tiny
dataset: real servers (gunicorn, two sync workers) for Cadreflow and the bare-Django baseline, a
job worker, and the client process signing in through the login form, then claiming, completing
and voting with the session's CSRF token. Asserts that work got done, memory was sampled and
nothing failed but designed conflicts.

The tiny data is generated into the test database (committed: a transactional test, flushed
afterwards), which ``bench.load`` copies as its source and never writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, connections

from bench.datagen.build import BENCH_PASSWORD, Generator
from bench.datagen.loader import Progress
from bench.datagen.sizes import TINY
from bench.load import Forms

ROOT = Path(__file__).resolve().parents[2]


def _close_connections():
    """The source of a copy must have no session: hand back and close the pool's too."""
    for conn in connections.all():
        conn.close()
        if hasattr(conn, "close_pool"):
            conn.close_pool()


@pytest.mark.django_db(transaction=True)
def test_quick_mode_claims_completes_votes_and_reports_no_errors(tmp_path, settings):
    # The servers run the project's settings: the accounts need its hasher, not the tests' MD5.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    report = Generator(TINY, seed=7, progress=Progress(quiet=True)).run()
    logins = {**report["logins"], "password": BENCH_PASSWORD}
    (tmp_path / "logins.json").write_text(json.dumps(logins))
    source = connection.settings_dict["NAME"]
    _close_connections()
    out = tmp_path / "load.json"
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": os.environ["DATABASE_URL"],
        "BENCH_RESULTS": str(tmp_path / "results"),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--quick",
            "--size",
            "tiny",
            "--source-db",
            source,
            "--logins",
            str(tmp_path / "logins.json"),
            "--users",
            "6",
            "--duration",
            "20",  # every kind of action at least once, even on a slow CI machine
            # Counted from the start: on the tiny data the users run out of work within
            # seconds, and a warm-up would leave the fast actions (votes) uncounted.
            "--warmup",
            "0",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    payload = json.loads(out.read_text())
    (run,) = payload["runs"]
    cadreflow, baseline = run["cadreflow"], run["baseline"]
    assert cadreflow["signed_in"] == baseline["signed_in"] == 6
    assert cadreflow["errors"] == 0, cadreflow["error_samples"]
    assert baseline["errors"] == 0, baseline["error_samples"]
    done = {kind: t["n"] for kind, t in cadreflow["by_type"].items()}
    assert done["claim"] > 0 and done["complete"] > 0 and done["vote"] > 0, done
    assert baseline["by_type"]["write"]["n"] > 0
    assert run["ratio"] is not None and run["ratio"] > 0
    roles = {(e["role"], e["kind"]) for e in cadreflow["rss"]}
    assert {("web", "master"), ("web", "worker"), ("job_worker", "master")} <= roles
    assert all(e["peak_mb"] > 0 for e in cadreflow["rss"])
    # The summary is written where BENCH_RESULTS says, not over the committed results.
    assert "## Targets" in (tmp_path / "results" / "load.md").read_text()


def test_the_form_filler_posts_what_a_browser_would():
    html = """
    <form method="get" action="/search/"><input name="q"></form>
    <form method="post" action="/appointments/5/review/#review">
      <input type="hidden" name="csrfmiddlewaretoken" value="tok">
      <input type="radio" name="decision" value="yes"><input type="radio" name="decision"
        value="no">
      <input type="checkbox" name="abstain"><input type="checkbox" name="keep" checked>
      <select name="pick"><option value="">—</option><option value="7">A</option></select>
      <textarea name="note"></textarea>
      <input type="text" name="title" required><input type="submit" name="go" value="Go">
    </form>"""
    fields = dict(Forms.find(html, "/appointments/5/review/", "/appointments/5/"))
    assert fields["csrfmiddlewaretoken"] == "tok"
    assert fields["decision"] == "yes"
    assert fields["keep"] == "on" and "abstain" not in fields and "go" not in fields
    assert fields["pick"] == "7"
    assert fields["note"] and fields["title"]
    assert Forms.find(html, "/appointments/5/report/", "/appointments/5/") is None
