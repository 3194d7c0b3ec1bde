"""The trail is append-only in PostgreSQL and its hash chain exposes any rewrite."""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from personnel.audit.actions import Action
from personnel.audit.canonical import FIELDS
from personnel.audit.models import AuditEvent
from personnel.audit.services import audit_checkpoint_create, audit_record
from personnel.audit.verify import verify_chain
from tests.factories import UserFactory


def _record(n, actor=None):
    for i in range(n):
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=Action.CADRE_UPDATE,
                target=("personnel.cadre", i),
                changes={"home_town": ["Cao Lãnh", f"Xã {i}"]},
                reason=f"lý do {i}",
            )


COLUMNS = [*FIELDS, "hash"]


def _copy_of(source: int, **overrides: str) -> str:
    """SQL inserting a copy of event ``source`` with some columns replaced by SQL expressions."""
    select = ", ".join(overrides.get(name, name) for name in COLUMNS)
    return (
        f"INSERT INTO audit_event ({', '.join(COLUMNS)}) "  # noqa: S608 - test-only SQL
        f"SELECT {select} FROM audit_event WHERE seq = {source}"
    )


def _as_superuser_without_triggers(sql, params=None):
    """What an attacker with the owner's or a superuser's access could do."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])
        cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.mark.django_db
def test_chain_verifies():
    _record(30, actor=UserFactory())
    result = verify_chain()
    assert result.ok and result.checked == 30 and result.head_seq == 30


@pytest.mark.django_db
def test_edited_event_is_named():
    _record(10)
    _as_superuser_without_triggers("UPDATE audit_event SET reason = 'sửa lén' WHERE seq = 4")
    result = verify_chain()
    assert not result.ok
    assert (result.problems[0].seq, result.problems[0].kind) == (4, "edited")


@pytest.mark.django_db
def test_edited_event_with_recomputed_hash_breaks_the_next_link():
    from personnel.audit.canonical import event_hash
    from personnel.audit.export import HEADER

    _record(10)
    row = AuditEvent.objects.values(*HEADER).get(seq=4)
    row["reason"] = "sửa lén"
    forged = event_hash(row)
    _as_superuser_without_triggers(
        "UPDATE audit_event SET reason = %s, hash = %s WHERE seq = 4", [row["reason"], forged]
    )
    problem = verify_chain().problems[0]
    assert (problem.seq, problem.kind) == (5, "out_of_order")


@pytest.mark.django_db
def test_deleted_event_is_named():
    _record(10)
    _as_superuser_without_triggers("DELETE FROM audit_event WHERE seq = 6")
    problem = verify_chain().problems[0]
    assert (problem.seq, problem.kind) == (6, "missing")


@pytest.mark.django_db
def test_swapped_events_are_named():
    _record(10)
    _as_superuser_without_triggers(
        "UPDATE audit_event SET seq = CASE seq WHEN 3 THEN 1003 ELSE 1007 END WHERE seq IN (3, 7)"
    )
    _as_superuser_without_triggers(
        "UPDATE audit_event SET seq = CASE seq WHEN 1003 THEN 7 ELSE 3 END WHERE seq > 1000"
    )
    problem = verify_chain().problems[0]
    assert (problem.seq, problem.kind) == (3, "out_of_order")


@pytest.mark.django_db
def test_inserted_event_is_named():
    _record(6)
    # Make room for a forged event #4 by renumbering #4.. to #5..
    _as_superuser_without_triggers("UPDATE audit_event SET seq = seq + 100 WHERE seq >= 4")
    _as_superuser_without_triggers("UPDATE audit_event SET seq = seq - 99 WHERE seq >= 104")
    _as_superuser_without_triggers(
        _copy_of(3, seq="4", target_id="'999'", reason="'chèn thêm'", hash="md5('x') || md5('y')")
    )
    problem = verify_chain().problems[0]
    assert problem.seq == 4 and problem.kind in {"edited", "out_of_order"}


@pytest.mark.django_db
def test_checkpoints_are_checked():
    _record(5)
    checkpoint = audit_checkpoint_create(actor=None, note="Biên bản họp BTV 12/2026")
    assert verify_chain().ok and verify_chain().checkpoints_checked == 1
    _as_superuser_without_triggers(
        "UPDATE audit_checkpoint SET hash = %s WHERE id = %s", ["0" * 64, checkpoint.pk]
    )
    problem = verify_chain().problems[0]
    assert (problem.seq, problem.kind) == (checkpoint.seq, "checkpoint")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET reason = 'x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
        "TRUNCATE audit_event",
        "UPDATE audit_checkpoint SET note = 'x'",
        "DELETE FROM audit_checkpoint",
        "TRUNCATE audit_checkpoint",
    ],
)
def test_postgres_refuses_rewrites(sql):
    _record(2)
    audit_checkpoint_create(actor=None)
    with (
        pytest.raises(DatabaseError, match="Cannot"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert verify_chain().ok


@pytest.mark.django_db
def test_an_insert_that_does_not_extend_the_head_is_refused():
    _record(3)
    with (
        pytest.raises(DatabaseError, match="does not extend"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(_copy_of(3, seq="4", prev_hash="repeat('a', 64)", hash="repeat('b', 64)"))


RUNTIME_ROLE = "cadreflow_runtime_test"


@pytest.mark.django_db
def test_runtime_role_cannot_alter_or_delete_events():
    """The role the app serves with (docs/operations.md) owns nothing and may only add."""
    _record(3)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN CREATE ROLE {RUNTIME_ROLE} NOLOGIN; "
            f"EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {RUNTIME_ROLE}")
        cursor.execute(f"REVOKE ALL ON audit_event, audit_checkpoint FROM {RUNTIME_ROLE}")
        cursor.execute(f"GRANT SELECT, INSERT ON audit_event, audit_checkpoint TO {RUNTIME_ROLE}")
    attempts = [
        "UPDATE audit_event SET reason = 'x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
        "TRUNCATE audit_event",
        "ALTER TABLE audit_event DISABLE TRIGGER ALL",
        "SET session_replication_role = replica",
    ]
    for sql in attempts:
        with (
            pytest.raises(DatabaseError) as error,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"SET LOCAL ROLE {RUNTIME_ROLE}")
            cursor.execute(sql)
        assert "permission denied" in str(error.value) or "must be owner" in str(error.value), sql
    # ...while it can still append through the normal path.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {RUNTIME_ROLE}")
        audit_record(actor=None, action=Action.CADRE_VIEW, target=("personnel.cadre", 1))
    assert verify_chain().ok and verify_chain().checked == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    threads, per_thread = 24, 5
    barrier = threading.Barrier(threads)
    errors = []

    def writer(n):
        try:
            barrier.wait(timeout=30)
            _record(per_thread)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    result = verify_chain()
    assert result.ok, result.problems
    assert result.checked == threads * per_thread
    assert AuditEvent.objects.values("prev_hash").distinct().count() == threads * per_thread


@pytest.mark.django_db
def test_audit_verify_command_exit_codes(capsys):
    _record(5)
    call_command("audit_verify", "--no-progress")
    assert "OK: 5 events" in capsys.readouterr().out
    _as_superuser_without_triggers("UPDATE audit_event SET reason = 'x' WHERE seq = 2")
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", "--no-progress")
    assert exit_info.value.code == 1
    assert "event #2: edited" in capsys.readouterr().err


@pytest.mark.django_db
def test_audit_checkpoint_command_prints_and_stores_the_head():
    _record(3)
    out = io.StringIO()
    call_command("audit_checkpoint", "--note", "gửi UBKT tỉnh", stdout=out)
    head = AuditEvent.objects.order_by("-seq").first()
    assert head.action == Action.AUDIT_CHECKPOINT
    assert f"#{head.seq} sha256:{head.hash}" in out.getvalue()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (None, None),
        ("UPDATE audit_event SET reason = 'x' WHERE seq = 57", (57, "edited")),
        ("DELETE FROM audit_event WHERE seq = 50", (50, "missing")),  # last of a segment
        ("DELETE FROM audit_event WHERE seq BETWEEN 49 AND 51", (49, "missing")),
        ("DELETE FROM audit_event WHERE seq BETWEEN 51 AND 100", (51, "missing")),  # whole one
        (
            "UPDATE audit_event SET prev_hash = repeat('c', 64) WHERE seq = 101",
            (101, "out_of_order"),
        ),
    ],
)
def test_parallel_segments_find_the_same_first_break(tamper, expected):
    _record(130)
    if tamper:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(tamper)
            cursor.execute("SET session_replication_role = origin")
    result = verify_chain(workers=2, segment_size=50)
    if expected is None:
        assert result.ok and result.checked == 130 and result.head_seq == 130
    else:
        assert (result.problems[0].seq, result.problems[0].kind) == expected
        assert verify_chain(workers=1).problems[0].seq == expected[0]


@pytest.mark.django_db(transaction=True)
def test_a_break_found_early_stops_the_parallel_workers_without_hanging():
    """A break in the first segment, with many segments still queued for the workers: the
    verification returns, and leaves no worker behind. (``Pool.terminate`` with queued segments
    could hang for good; a test run froze on it.)"""
    import multiprocessing

    _record(200)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audit_event SET reason = 'x' WHERE seq = 3")
        cursor.execute("SET session_replication_role = origin")

    def verify(outcome):
        try:
            outcome.append(verify_chain(workers=2, segment_size=2))
        finally:
            connections.close_all()

    for _ in range(5):
        outcome = []
        runner = threading.Thread(target=verify, args=(outcome,), daemon=True)
        runner.start()
        runner.join(timeout=60)
        assert not runner.is_alive(), "the verification hung after finding the break"
        assert (outcome[0].problems[0].seq, outcome[0].problems[0].kind) == (3, "edited")
        assert multiprocessing.active_children() == []
