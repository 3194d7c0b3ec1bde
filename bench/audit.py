"""Audit trail benchmarks (issues #3, #9):

- write overhead: what ``audit_record`` costs inside a service call (median, target < 2 ms),
  next to the service call it belongs to (``cadre_update``), and the events one call writes;
- verification: ``verify_chain`` throughput over the whole chain, 1,000,000 events by default
  (target >= 50,000 events/s);
- explorer: filtered pages of ``/audit/events/`` with the chain loaded (target p95 < 200 ms).

    .venv/bin/python -m bench.audit [--events 1000000]      # its own database, rebuilt
    .venv/bin/python -m bench.audit --size large            # on the datagen database
    .venv/bin/python -m bench.audit --quick                 # CI: 20,000 events, few samples

By default it uses its own database (``cadreflow_bench``), rebuilt each run, with a chain of
``--events`` events written by COPY. With ``--size S`` it runs on ``cadreflow_bench_<S>`` as
``bench.datagen`` built it (the size's own chain, 1,000,000 events at large; nothing loaded):
the recording runs inside one transaction rolled back at the end, so the chain and the data
are left as they were; the explorer signs in as the province inspection-committee member.

Writes audit.json and audit.md to bench/results/ (BENCH_RESULTS; ``--name`` for another name).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import sys
import time

from bench._setup import setup, summary_ms, write


def _reset_audit_tables(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # bench only: bypass triggers
        cursor.execute("DELETE FROM audit_checkpoint")
        cursor.execute("DELETE FROM audit_event")
        cursor.execute("SET session_replication_role = origin")


def _world():
    from personnel import models, services
    from tests.factories import CadreFactory, CommitteeFactory, OrgUnitFactory, UserFactory

    models.CommitteeMembership.objects.all().delete()
    province = OrgUnitFactory(
        name="Tỉnh Bench",
        code=f"bench-{time.time_ns()}",
        kind="province_party",
        management_level="province",
    )
    districts = [OrgUnitFactory(parent=province) for _ in range(8)]
    units = [province, *districts]
    cadres = models.Cadre.objects.bulk_create(
        [
            CadreFactory.build(unit=random.choice(units), full_name=f"Nguyễn Văn Bench {i}")
            for i in range(2000)
        ]
    )
    inspection = CommitteeFactory(unit=province, kind="inspection")
    auditor = UserFactory(username=f"bench-auditor-{time.time_ns()}")
    services.membership_add(
        actor=None, committee=inspection, user=auditor, started_on=dt.date(2025, 1, 1)
    )
    return units, cadres, auditor


def bench_recording(n: int = 2000) -> dict:
    from django.db import transaction

    from personnel import services
    from personnel.audit.actions import Action
    from personnel.audit.models import AuditEvent
    from personnel.audit.services import audit_record
    from tests.factories import CadreFactory

    cadre = CadreFactory()
    record, service = [], []
    before = AuditEvent.objects.count()
    for i in range(n):
        with transaction.atomic():
            started = time.perf_counter()
            audit_record(actor=None, action=Action.CADRE_VIEW, target=cadre)
            record.append(time.perf_counter() - started)
        started = time.perf_counter()
        services.cadre_update(actor=None, cadre=cadre, home_town=f"Xã {i}")
        service.append(time.perf_counter() - started)
    # Each round: one event of its own, and whatever the service call wrote.
    events_per_call = (AuditEvent.objects.count() - before - n) / n
    result = {
        "audit_record": summary_ms(record),
        "cadre_update_service": summary_ms(service),
        "events_per_service_call": round(events_per_call, 2),
    }
    per_call = result["audit_record"]["median_ms"] * events_per_call
    result["overhead_per_service_call_ms"] = round(per_call, 3)
    result["overhead_share_of_service_call"] = round(
        per_call / result["cadre_update_service"]["median_ms"], 3
    )
    return result


def bench_recording_rolled_back(n: int) -> dict:
    """The recording on a database that must stay as it is: one transaction, rolled back (the
    service calls then commit nothing: a savepoint each, not a commit)."""
    from django.db import transaction

    with transaction.atomic():
        result = bench_recording(n)
        transaction.set_rollback(True)
    result["note"] = "in one transaction rolled back at the end (savepoints, no commits)"
    return result


def load_events(total: int, units, cadres, actor) -> float:
    """Write a valid chain of `total` events with COPY (hashes computed as audit_record does)."""
    from django.db import connection
    from django.utils import timezone

    from personnel.audit.actions import Action
    from personnel.audit.canonical import FIELDS, GENESIS, event_hash, format_time
    from personnel.audit.export import _cell

    rng = random.Random(7)
    actions = [a.value for a in Action]
    reasons = [
        "",
        "",
        "",
        "Bổ sung theo CCCD",
        "Theo kết luận của UBKT",
        "Điều chỉnh quy hoạch",
        "Kiện toàn Ban Thường vụ",
        "Sai sót nhập liệu",
    ]
    start = timezone.now() - dt.timedelta(days=365 * 3)
    step = dt.timedelta(days=365 * 3) / total
    prev = GENESIS
    columns = [*FIELDS, "hash"]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        batch = io.StringIO()
        for seq in range(1, total + 1):
            cadre = rng.choice(cadres)
            values = {
                "seq": seq,
                "occurred_at": format_time(start + step * seq),
                "actor_id": actor.pk,
                "actor_username": actor.username,
                "actor_committee_id": None,
                "actor_role": "",
                "action": rng.choice(actions),
                "target_type": "personnel.cadre",
                "target_id": str(cadre.pk),
                "procedure": rng.choice(["", "appointment", "evaluation", "planning"]),
                "process_id": rng.randrange(1, 20000) if rng.random() < 0.5 else None,
                "cadre_id": cadre.pk,
                "unit_id": cadre.unit_id,
                "changes": {"home_town": ["Cao Lãnh", f"Xã {seq % 97}"]},
                "reason": rng.choice(reasons),
                "ip": "10.0.0.1",
                "user_agent": "bench",
                "request_id": f"{seq:032x}",
                "prev_hash": prev,
            }
            values["hash"] = prev = event_hash(values)
            row = [
                "\\N"
                if values[name] is None
                else values[name]
                if name == "occurred_at"
                else _cell(name, values[name])
                for name in columns
            ]
            batch.write("\t".join(_escape(c) for c in row) + "\n")
            if seq % 50_000 == 0 or seq == total:
                batch.seek(0)
                with cursor.copy(f"COPY audit_event ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write(batch.read())
                batch = io.StringIO()
                sys.stderr.write(f"\rloaded {seq}/{total}")
        cursor.execute("SET session_replication_role = origin")
        cursor.execute("ANALYZE audit_event")
    sys.stderr.write("\n")
    return time.perf_counter() - started


def _escape(cell: str) -> str:
    if cell == "\\N":
        return cell
    return cell.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def bench_verify() -> dict:
    from personnel.audit.verify import verify_chain

    started = time.perf_counter()
    result = verify_chain()
    elapsed = time.perf_counter() - started
    assert result.ok, result.problems
    return {
        "events": result.checked,
        "seconds": round(elapsed, 2),
        "events_per_second": round(result.checked / elapsed),
    }


def bench_explorer(auditor, cadres, rounds: int = 40) -> dict:
    from django.db.models import Max
    from django.test import Client
    from django.utils import timezone

    from personnel.audit.models import AuditEvent

    client = Client(SERVER_NAME="localhost")
    client.force_login(auditor)
    sample = random.Random(3)
    last = AuditEvent.objects.aggregate(seq=Max("seq"), at=Max("occurred_at"))
    date_to = timezone.localdate(last["at"]) if last["at"] else dt.date.today()
    date_from = date_to - dt.timedelta(days=30)
    deep = str(max(2, (last["seq"] or 0) // 50))  # a page 98 % of the way back
    cases = {
        "no filter": lambda: {},
        "by cadre name": lambda: {"cadre": sample.choice(cadres).full_name},
        "by action": lambda: {"action": "discipline.add"},
        "by date range": lambda: {"date_from": str(date_from), "date_to": str(date_to)},
        "by text in reason": lambda: {"q": "UBKT"},
        "by process": lambda: {"process": str(sample.randrange(1, 20000))},
        "action + procedure": lambda: {"action": "cadre.update", "procedure": "appointment"},
        "deep page (keyset)": lambda: {"before": deep},
    }
    out = {}
    client.get("/audit/events/")  # warm-up
    for name, params in cases.items():
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get("/audit/events/", params())
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, (name, response.status_code)
        out[name] = summary_ms(samples)
    return out


def _previous() -> dict:
    import json

    from bench._setup import RESULTS

    path = RESULTS / "audit.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _datagen_world():
    """The datagen database's province inspection-committee member and a sample of cadres."""
    from personnel.models import Cadre, CommitteeMembership

    auditor = (
        CommitteeMembership.objects.filter(
            ended_on__isnull=True,
            user__isnull=False,
            committee__kind="inspection",
            committee__unit__depth=1,
        )
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if auditor is None:
        raise SystemExit("no province inspection-committee member with an account")
    cadres = list(Cadre.objects.order_by("pk")[:2000])
    return auditor.user, cadres


TARGETS = {"recording_median_ms": 2, "verify_events_per_second": 50_000, "explorer_p95_ms": 200}


def _verdicts(payload: dict) -> dict:
    def verdict(ok: bool, how: str) -> str:
        return "met" if ok else f"missed ({how})"

    out = {}
    rec = (payload.get("recording") or {}).get("audit_record")
    if rec:
        median = rec["median_ms"]
        out["recording"] = verdict(
            median < TARGETS["recording_median_ms"],
            f"{median / TARGETS['recording_median_ms']:.1f}× the target",
        )
    rate = payload["verify"]["events_per_second"]
    out["verify"] = verdict(
        rate >= TARGETS["verify_events_per_second"],
        f"{rate / TARGETS['verify_events_per_second']:.2f} of the target",
    )
    worst = max(c["p95_ms"] for c in payload["explorer_filtered_page"].values())
    out["explorer"] = verdict(
        worst < TARGETS["explorer_p95_ms"],
        f"worst p95 {worst / TARGETS['explorer_p95_ms']:.1f}× the target",
    )
    return out


def _markdown(p: dict) -> str:
    rec = p.get("recording") or {}
    lines = [
        "# Audit trail: write overhead, verification, explorer",
        "",
        f"Database: {p['database']} ({p['source']}); {p['verify']['events']:,} events in the "
        "chain." + (" **Quick run (CI): no verdicts.**" if p.get("quick") else ""),
        "",
        "| measure | value | target | verdict |",
        "|---|---|---|---|",
    ]
    v = {} if p.get("quick") else p["verdicts"]
    if rec:
        lines += [
            f"| `audit_record` median (p95) | {rec['audit_record']['median_ms']:.2f} ms "
            f"({rec['audit_record']['p95_ms']:.2f} ms) | < {TARGETS['recording_median_ms']} ms "
            f"| {v.get('recording', '—')} |",
            f"| service call `cadre_update` median (p95) | "
            f"{rec['cadre_update_service']['median_ms']:.2f} ms "
            f"({rec['cadre_update_service']['p95_ms']:.2f} ms) | | |",
            f"| audit events per service call; overhead per call | "
            f"{rec['events_per_service_call']:g}; {rec['overhead_per_service_call_ms']:.2f} ms "
            f"({rec['overhead_share_of_service_call']:.0%} of the call) | | |",
        ]
    lines.append(
        f"| `verify_chain` | {p['verify']['events_per_second']:,} events/s "
        f"({p['verify']['events']:,} in {p['verify']['seconds']} s) | "
        f">= {TARGETS['verify_events_per_second']:,}/s | {v.get('verify', '—')} |"
    )
    worst_name, worst = max(p["explorer_filtered_page"].items(), key=lambda kv: kv[1]["p95_ms"])
    lines.append(
        f"| explorer p95, worst filter ({worst_name}) | {worst['p95_ms']:.1f} ms | "
        f"< {TARGETS['explorer_p95_ms']} ms | {v.get('explorer', '—')} |"
    )
    lines += ["", "| explorer filter | n | median ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for name, c in p["explorer_filtered_page"].items():
        lines.append(
            f"| {name} | {c['n']} | {c['median_ms']:.1f} | {c['p95_ms']:.1f} | {c['max_ms']:.1f} |"
        )
    if rec.get("note"):
        lines += ["", f"Recording: {rec['note']}."]
    if p.get("note"):
        lines += ["", p["note"]]
    if p.get("load_seconds"):
        lines += [
            "",
            f"Chain of {p['events_loaded']:,} events loaded by COPY in {p['load_seconds']} s.",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.audit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--events", type=int, default=None, help="events to load (default 1,000,000)"
    )
    parser.add_argument(
        "--size",
        choices=["tiny", "small", "medium", "large"],
        help="run on the datagen database cadreflow_bench_<size> (left unchanged)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of the last run (skip recording and loading)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="CI mode: 20,000 events, few samples, no verdicts"
    )
    parser.add_argument("--name", default="audit", help="results file name")
    parser.add_argument("--note", default="", help="a line for the Markdown summary")
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = 20_000 if args.quick else 1_000_000
    recording_n, rounds = (100, 5) if args.quick else (2000, 40)
    load_seconds = None
    if args.size:
        setup(f"cadreflow_bench_{args.size}", fresh=False)
        from personnel.audit.models import AuditEvent

        if not AuditEvent.objects.exists():
            raise SystemExit(
                f"cadreflow_bench_{args.size} holds no audit events: run bench.datagen"
            )
        auditor, cadres = _datagen_world()
        recording = bench_recording_rolled_back(recording_n)
        source = f"bench.datagen --size {args.size}, unchanged"
        events_loaded = None
    else:
        setup(fresh=not args.reuse)
        from django.db import connection

        from personnel.audit.models import AuditEvent
        from personnel.models import Cadre, User

        events_loaded = args.events
        source = "its own, rebuilt: a chain written by COPY"
        if args.reuse and AuditEvent.objects.count() >= args.events:
            cadres = list(Cadre.objects.filter(full_name__startswith="Nguyễn Văn Bench"))
            auditor = User.objects.filter(username__startswith="bench-auditor").latest("pk")
            # Keep the recording figures of the last full run.
            previous = _previous()
            recording, load_seconds = previous.get("recording"), previous.get("load_seconds")
        else:
            _reset_audit_tables(connection)
            units, cadres, auditor = _world()
            recording = bench_recording(recording_n)
            _reset_audit_tables(connection)
            load_seconds = load_events(args.events, units, cadres, auditor)
    from django.conf import settings

    verify = bench_verify()
    explorer = bench_explorer(auditor, cadres, rounds)
    payload = {
        "database": settings.DATABASES["default"]["NAME"],
        "source": source,
        "quick": args.quick,
        "events_loaded": events_loaded,
        "load_seconds": load_seconds and round(load_seconds, 1),
        "recording": recording,
        "verify": verify,
        "explorer_filtered_page": explorer,
        "targets": TARGETS,
        "note": args.note,
    }
    payload["verdicts"] = _verdicts(payload)
    path = write(args.name, payload)
    from bench._setup import RESULTS

    md = RESULTS / f"{args.name}.md"
    md.write_text(_markdown(payload))
    print(md.read_text())
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
