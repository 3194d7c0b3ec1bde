"""Audit trail benchmarks (issue #3):

- recording: what `audit_record` adds to a service call (median, target < 2 ms);
- verification: `verify_chain` throughput over 1,000,000 events (target >= 50,000 events/s);
- explorer: filtered pages with 1,000,000 events loaded (target p95 < 200 ms).

    .venv/bin/python -m bench.audit [--events 1000000]

Writes bench/results/audit.json. Uses its own database (cadreflow_bench), rebuilt each run.
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
    from personnel.audit.services import audit_record
    from tests.factories import CadreFactory

    cadre = CadreFactory()
    record, service = [], []
    for i in range(n):
        with transaction.atomic():
            started = time.perf_counter()
            audit_record(actor=None, action=Action.CADRE_VIEW, target=cadre)
            record.append(time.perf_counter() - started)
        started = time.perf_counter()
        services.cadre_update(actor=None, cadre=cadre, home_town=f"Xã {i}")
        service.append(time.perf_counter() - started)
    return {"audit_record": summary_ms(record), "cadre_update_service": summary_ms(service)}


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
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.force_login(auditor)
    sample = random.Random(3)
    cases = {
        "no filter": lambda: {},
        "by cadre name": lambda: {"cadre": sample.choice(cadres).full_name},
        "by action": lambda: {"action": "discipline.add"},
        "by date range": lambda: {"date_from": "2025-01-01", "date_to": "2025-01-31"},
        "by text in reason": lambda: {"q": "UBKT"},
        "by process": lambda: {"process": str(sample.randrange(1, 20000))},
        "action + procedure": lambda: {"action": "cadre.update", "procedure": "appointment"},
        "deep page (keyset)": lambda: {"before": "20000"},
    }
    out = {}
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of the last run (skip recording and loading)",
    )
    args = parser.parse_args(argv)
    setup(fresh=not args.reuse)
    from django.db import connection

    from personnel.audit.models import AuditEvent
    from personnel.models import Cadre, User

    if args.reuse and AuditEvent.objects.count() >= args.events:
        cadres = list(Cadre.objects.filter(full_name__startswith="Nguyễn Văn Bench"))
        auditor = User.objects.filter(username__startswith="bench-auditor").latest("pk")
        # Keep the recording figures of the last full run.
        previous = _previous()
        recording, load_seconds = previous.get("recording"), previous.get("load_seconds")
    else:
        _reset_audit_tables(connection)
        units, cadres, auditor = _world()
        recording = bench_recording()
        _reset_audit_tables(connection)
        load_seconds = load_events(args.events, units, cadres, auditor)
    verify = bench_verify()
    explorer = bench_explorer(auditor, cadres)
    path = write(
        "audit",
        {
            "events_loaded": args.events,
            "load_seconds": load_seconds and round(load_seconds, 1),
            "recording": recording,
            "verify": verify,
            "explorer_filtered_page": explorer,
            "targets": {
                "recording_median_ms": 2,
                "verify_events_per_second": 50_000,
                "explorer_p95_ms": 200,
            },
        },
    )
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
