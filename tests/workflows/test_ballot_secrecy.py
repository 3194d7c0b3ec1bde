"""Secret ballots (M3, I-6; architecture guide §5; docs/ballot-secrecy.md): nothing the system
stores or logs links a voter to a choice — not the schema, not the rows, not the audit trail, not
the outcome, not the transaction ids once the ballot is closed, not the logs."""

import json
import logging
import uuid
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils import translation

from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from tests.workflows import ballot_kit as kit
from workflows.core import services
from workflows.core.errors import Refused
from workflows.core.models import (
    Candidate,
    Choice,
    Mark,
    MeetingKind,
    Participation,
)
from workflows.core.services import PaperMark

User = get_user_model()

TIME_TYPES = {
    "date",
    "time without time zone",
    "time with time zone",
    "timestamp without time zone",
    "timestamp with time zone",
    "interval",
}
TIME_FIELDS = (models.DateField, models.TimeField, models.DurationField)  # DateTimeField too


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _columns(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, column_default, is_identity "
            "FROM information_schema.columns WHERE table_name = %s",
            [table],
        )
        return {name: (kind, default, identity) for name, kind, default, identity in cursor}


def _references(table):
    """Tables the foreign keys of ``table`` point at."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT confrelid::regclass::text FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        return {row[0] for row in cursor}


def _referenced_by(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint "
            "WHERE confrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        return {row[0] for row in cursor}


def _sequences(table, columns):
    with connection.cursor() as cursor:
        found = []
        for column in columns:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            found += [row[0] for row in cursor if row[0]]
        return found


# --------------------------------------------------------------------------- the schema


@pytest.mark.django_db
def test_mark_model_has_no_voter_no_time_no_order():
    fields = Mark._meta.concrete_fields
    assert {f.name for f in fields} == {"id", "ballot", "candidate", "choice"}
    assert isinstance(Mark._meta.pk, models.UUIDField)
    assert uuid.UUID(str(Mark._meta.pk.default())).version == 4  # random, not time-based
    for f in fields:
        assert not (f.is_relation and issubclass(f.related_model, User)), f.name
        assert not isinstance(f, TIME_FIELDS), f.name
        assert not isinstance(f, models.AutoField | models.BigAutoField), f.name
    assert not Mark._meta.ordering


@pytest.mark.django_db
def test_core_mark_table_has_no_voter_no_time_no_sequence():
    columns = _columns("core_mark")
    assert set(columns) == {"id", "ballot_id", "candidate_id", "choice"}
    assert columns["id"][0] == "uuid"
    for name, (kind, default, identity) in columns.items():
        assert kind not in TIME_TYPES, name
        assert default is None, f"{name} has a default ({default}): a sequence or a clock"
        assert identity == "NO", name
    assert _sequences("core_mark", columns) == []
    assert User._meta.db_table not in _references("core_mark")
    assert _references("core_mark") == {"core_ballot", "core_candidate"}
    assert _referenced_by("core_mark") == set()


@pytest.mark.django_db
def test_core_participation_has_no_choice_no_candidate_no_time():
    fields = {f.name for f in Participation._meta.concrete_fields}
    assert fields == {"id", "ballot", "user"}
    assert isinstance(Participation._meta.pk, models.UUIDField)
    columns = _columns("core_participation")
    assert set(columns) == {"id", "ballot_id", "user_id"}
    assert not any("choice" in c or "candidate" in c or "mark" in c for c in columns)
    for name, (kind, default, identity) in columns.items():
        assert kind not in TIME_TYPES, name
        assert default is None and identity == "NO", name
    assert _sequences("core_participation", columns) == []
    assert _references("core_participation") == {"core_ballot", User._meta.db_table}
    assert _referenced_by("core_participation") == set()


# --------------------------------------------------------------------------- a ballot, voted


def _distinctive_ids():
    """Candidate and cadre ids no other number in a record will match by accident."""
    with connection.cursor() as cursor:
        for table, start in (("core_candidate", 7_700_000), ("personnel_cadre", 8_800_000)):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "GREATEST(%s, (SELECT COALESCE(MAX(id), 0) FROM " + table + ")))",
                [table, start],
            )


def _prepared(district_a, province, *, kind=MeetingKind.STANDING_COMMITTEE):
    """Nine members present, a nomination ballot open on three of four cadres."""
    _distinctive_ids()
    body = kit.body_with_members(district_a, 9)
    staff = kit.board_staff(province)
    cadres = kit.cadres(district_a, 4, prefix="Bí mật")
    meeting = kit.call_meeting(
        actor=staff, unit=district_a, body=body.committee, chair=body.chair, kind=kind
    )
    kit.in_session(meeting, chair=body.chair, present=body.members)
    ballot = kit.open_ballot(meeting, actor=staff, chair=body.chair, candidates=cadres[:3])
    candidates = tuple(ballot.candidates.get(cadre=x).pk for x in cadres[:3])
    return SimpleNamespace(
        body=body, staff=staff, cadres=cadres, ballot=ballot, candidates=candidates
    )


def _vote(prepared):
    """Eight vote for different candidates or abstain, one writes in the fourth cadre."""
    a, b, c = prepared.candidates
    plan = [a, a, a, b, b, c, c, None, "write_in"]
    for voter, pick in zip(prepared.body.members, plan, strict=True):
        if pick is None:
            marks = [PaperMark(choice=Choice.ABSTAIN)]
        elif pick == "write_in":
            marks = [PaperMark(choice=Choice.NOMINATE, write_in_cadre_id=prepared.cadres[3].pk)]
        else:
            marks = kit.nominate(pick)
        services.ballot_cast(actor=voter, ballot=prepared.ballot, marks=marks)
    return prepared


def _voted(district_a, province, **kwargs):
    return _vote(_prepared(district_a, province, **kwargs))


def _secrets(voted):
    """What must never sit next to a voter: candidate ids and names, and the cadres' ids."""
    ids = [str(c.pk) for c in Candidate.objects.filter(ballot=voted.ballot)]
    ids += [str(c.pk) for c in voted.cadres]
    names = [c.full_name for c in voted.cadres]
    return ids, names


@pytest.mark.django_db
def test_rows_audit_and_outcome_link_no_voter_to_a_choice(district_a, province):
    voted = _voted(district_a, province)
    closed = services.ballot_close(actor=voted.body.chair, ballot=voted.ballot)
    voters = voted.body.members

    marks = list(Mark.objects.filter(ballot=closed).values())
    assert len(marks) == 9
    assert {tuple(sorted(m)) for m in marks} == {("ballot_id", "candidate_id", "choice", "id")}
    assert all(uuid.UUID(str(m["id"])).version == 4 for m in marks)

    participations = list(Participation.objects.filter(ballot=closed).values())
    assert {p["user_id"] for p in participations} == {u.pk for u in voters}
    assert {tuple(sorted(p)) for p in participations} == {("ballot_id", "id", "user_id")}
    # Nothing shared between the two tables but the ballot.
    assert not {m["id"] for m in marks} & {p["id"] for p in participations}

    ids, names = _secrets(voted)
    casts = AuditEvent.objects.filter(action=Action.BALLOT_CAST, target_id=str(closed.pk))
    assert sorted(casts.values_list("actor_id", flat=True)) == sorted(u.pk for u in voters)
    for event in casts:
        assert event.changes == {} and event.reason == ""
        assert (event.target_type, event.cadre_id) == ("core.ballot", None)
    # No event since the ballot opened carries a candidate, a cadre or a choice.
    opened = AuditEvent.objects.get(action=Action.BALLOT_OPEN, target_id=str(closed.pk))
    for event in AuditEvent.objects.filter(seq__gte=opened.seq):
        text = json.dumps([event.changes, event.reason, event.target_id], ensure_ascii=False)
        assert not any(i in text for i in ids), (event.action, text)
        assert not any(n in text for n in names), (event.action, text)
        assert not any(f'"{choice}"' in text for choice in Choice.values), (event.action, text)
        assert event.cadre_id is None

    # The outcome holds counts per candidate, never a person who voted.
    text = json.dumps(closed.outcome, ensure_ascii=False)
    for voter in voters:
        assert voter.username not in text and voter.get_full_name() not in text

    def keys(value):
        if isinstance(value, dict):
            return set(value) | set().union(*(keys(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(keys(v) for v in value)) if value else set()
        return set()

    assert not keys(closed.outcome) & {"user", "users", "voter", "voters", "user_id", "actor"}


@pytest.mark.django_db
def test_nothing_logged_while_voting_names_a_candidate(district_a, province, caplog):
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    for logger in loggers:
        caplog.set_level(logging.DEBUG, logger=logger.name)
    quiet = [lg for lg in loggers if not lg.propagate]
    for logger in quiet:
        logger.addHandler(caplog.handler)
    try:
        voted = _prepared(district_a, province, kind=MeetingKind.EXPANDED_COLLECTIVE)
        caplog.clear()
        logging.getLogger("workflows.core.probe").debug("capturing at DEBUG")
        _vote(voted)
        # Refusals are part of voting too.
        for marks in (kit.nominate(voted.candidates[0]), kit.nominate(99_999_999)):
            with pytest.raises(Refused):
                services.ballot_cast(actor=voted.body.members[0], ballot=voted.ballot, marks=marks)
        closed = services.ballot_close(actor=voted.body.chair, ballot=voted.ballot)
        services.ballot_results_view(user=voted.staff, ballot=closed)
    finally:
        for logger in quiet:
            logger.removeHandler(caplog.handler)
    assert caplog.records[0].getMessage() == "capturing at DEBUG"
    ids, names = _secrets(voted)
    for record in caplog.records:
        text = record.getMessage() + " " + repr(getattr(record, "args", ""))
        assert not any(i in text for i in ids), (record.name, text)
        assert not any(n in text for n in names), (record.name, text)


# --------------------------------------------------------------------------- transaction ids


def _xmins(table, ballot_id):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT xmin::text FROM {table} WHERE ballot_id = %s",  # noqa: S608 - fixed names
            [ballot_id],
        )
        return [row[0] for row in cursor]


def _cast_xmins(ballot_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text FROM audit_event WHERE action = %s AND target_id = %s",
            [Action.BALLOT_CAST.value, str(ballot_id)],
        )
        return {row[0] for row in cursor}


def _rows_written_by(low, high):
    """Rows, per table of the schema, written by a transaction or subtransaction with an id
    between ``low`` and ``high`` (the voting transactions, savepoints included)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor]
        found = {}
        for table in tables:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" '  # noqa: S608 - names from the catalogue
                "WHERE xmin::text::bigint BETWEEN %s AND %s",
                [low, high],
            )
            count = cursor.fetchone()[0]
            if count:
                found[table] = count
        return found


@pytest.mark.django_db(transaction=True)
def test_close_rewrites_marks_and_participations_in_one_transaction(district_a, province):
    kit.load_rulesets()
    voted = _voted(district_a, province)
    ballot_id = voted.ballot.pk

    # While open, each voter's transaction wrote their participation and marks: the pairing
    # is in the system columns (docs/ballot-secrecy.md, "while the ballot is open").
    marks, people = _xmins("core_mark", ballot_id), _xmins("core_participation", ballot_id)
    assert len(set(people)) == 9 and sorted(marks) == sorted(people)
    assert set(people) == _cast_xmins(ballot_id)

    services.ballot_close(actor=voted.body.chair, ballot=voted.ballot)

    marks, people = _xmins("core_mark", ballot_id), _xmins("core_participation", ballot_id)
    assert len(marks) == len(people) == 9
    assert len(set(marks)) == 1 and set(marks) == set(people)
    [close_xmin] = set(marks)
    assert close_xmin not in _cast_xmins(ballot_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text FROM audit_event WHERE action = %s AND target_id = %s",
            [Action.BALLOT_CLOSE.value, str(ballot_id)],
        )
        assert cursor.fetchone()[0] == close_xmin


@pytest.mark.django_db(transaction=True)
def test_after_close_no_row_keeps_a_voters_transaction_id(district_a, province):
    """Only the voter's own "cast a ballot" event may keep the voting transaction's id — not a
    written-in candidate (created in a savepoint of the first voter who named them), nor
    anything else the vote touched. The votes are cast one after another, so every
    transaction id between the first and the last cast (plus a savepoint) is a voter's."""
    kit.load_rulesets()
    voted = _voted(district_a, province)
    written_in = Candidate.objects.get(ballot=voted.ballot, written_in=True)
    assert written_in.cadre == voted.cadres[3]
    casts = sorted(int(x) for x in _cast_xmins(voted.ballot.pk))
    low, high = casts[0], casts[-1] + 1
    # The probe sees what the vote wrote while the ballot is open...
    assert _rows_written_by(low, high)["core_candidate"] == 1
    services.ballot_close(actor=voted.body.chair, ballot=voted.ballot)
    # ...and after close only the audit trail's "X cast a ballot" remains.
    assert _rows_written_by(low, high) == {"audit_event": 9}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT action FROM audit_event WHERE xmin::text::bigint BETWEEN %s AND %s",
            [low, high],
        )
        assert [row[0] for row in cursor] == [Action.BALLOT_CAST.value]
