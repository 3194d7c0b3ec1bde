"""Voting at once on real PostgreSQL (reliability guide §5): committed transactions, one
connection per thread, a barrier to make them overlap. Every vote is counted exactly once or
refused with a Conflict — never lost, never doubled, never after the close."""

import threading
import time
from collections import Counter

import pytest
from django.db import connections
from django.utils import translation

from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from personnel.audit.verify import verify_chain
from tests.workflows import ballot_kit as kit
from workflows.core import services
from workflows.core.errors import Conflict
from workflows.core.models import Ballot, BallotStatus, Mark, Participation

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = 30


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def session(province, district_a):
    """A committee of 30, all present, in session; the shipped rule-sets reloaded (a
    transactional test's flush removes migration data)."""
    kit.load_rulesets()
    body = kit.body_with_members(district_a, MEMBERS)
    staff = kit.board_staff(province)
    cadres = kit.cadres(district_a, 3)
    meeting = kit.call_meeting(actor=staff, unit=district_a, body=body.committee, chair=body.chair)
    kit.in_session(meeting, chair=body.chair, present=body.members)
    return body, staff, cadres, meeting


def _nomination(session):
    body, staff, cadres, meeting = session
    ballot = kit.open_ballot(meeting, actor=staff, chair=body.chair, candidates=cadres)
    return ballot, [c.pk for c in ballot.candidates.order_by("order")]


def _run_together(jobs, delays=None):
    """Run each ``(function, args)`` in its own thread, released together by a barrier (job
    ``i`` then waits ``delays[i]`` seconds, to spread arrivals around a close).

    Returns what each job returned or raised, in job order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)
    delays = delays or [0] * len(jobs)

    def run(i, function, args):
        try:
            barrier.wait(timeout=60)
            time.sleep(delays[i])
            # Threads start without the test's language: read refusals in English.
            with translation.override("en"):
                results[i] = ("ok", function(*args))
        except Conflict as refused:
            with translation.override("en"):
                results[i] = ("conflict", str(refused.message))
        except Exception as exc:  # pragma: no cover - reported by the assertions
            results[i] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, function, args))
        for i, (function, args) in enumerate(jobs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def _cast(voter, ballot, marks):
    services.ballot_cast(actor=voter, ballot=ballot, marks=marks)
    return voter.pk


def _counted(ballot):
    return (
        Participation.objects.filter(ballot=ballot).count(),
        Mark.objects.filter(ballot=ballot).count(),
    )


def _outcome_total(ballot):
    rows = ballot.outcome["candidates"]
    return sum(sum(r["counts"].values()) for r in rows) + ballot.outcome["counts"]["abstained"]


def test_everyone_votes_at_once_and_each_is_counted_once(session):
    body = session[0]
    ballot, ids = _nomination(session)
    picks = {voter.pk: ids[i % 3] for i, voter in enumerate(body.members)}
    results = _run_together(
        [(_cast, (voter, ballot, kit.nominate(picks[voter.pk]))) for voter in body.members]
    )
    assert [kind for kind, _ in results] == ["ok"] * MEMBERS, results
    assert _counted(ballot) == (MEMBERS, MEMBERS)
    assert AuditEvent.objects.filter(action=Action.BALLOT_CAST).count() == MEMBERS

    closed = services.ballot_close(actor=body.chair, ballot=ballot)
    assert closed.turnout == closed.valid == MEMBERS
    assert _counted(closed) == (MEMBERS, MEMBERS)
    assert _outcome_total(closed) == MEMBERS
    expected = Counter(picks.values())
    assert {r["candidate"]: r["counts"]["nominate"] for r in closed.outcome["candidates"]} == {
        pk: expected[pk] for pk in ids
    }
    assert verify_chain().ok


def test_a_double_submission_racing_itself_counts_once(session):
    body = session[0]
    ballot, ids = _nomination(session)
    doubles = body.members[1:6]
    jobs = []
    for voter in doubles:
        jobs += [
            (_cast, (voter, ballot, kit.nominate(ids[0]))),
            (_cast, (voter, ballot, kit.nominate(ids[1]))),
        ]
    results = _run_together(jobs)
    per_voter = {}
    for (_function, (voter, _b, _m)), (kind, detail) in zip(jobs, results, strict=True):
        assert kind in {"ok", "conflict"}, detail
        per_voter.setdefault(voter.pk, []).append(kind)
        if kind == "conflict":
            assert "already voted" in detail
    assert {pk: sorted(kinds) for pk, kinds in per_voter.items()} == {
        v.pk: ["conflict", "ok"] for v in doubles
    }
    assert _counted(ballot) == (5, 5)
    assert AuditEvent.objects.filter(action=Action.BALLOT_CAST).count() == 5
    closed = services.ballot_close(actor=body.chair, ballot=ballot)
    assert closed.turnout == 5 and _outcome_total(closed) == 5


@pytest.mark.parametrize("round_", range(3))
def test_close_racing_late_votes_loses_none(session, round_):
    body, _staff, _cadres, _meeting = session
    ballot, ids = _nomination(session)
    early, late = body.members[:10], body.members[10:]
    for voter in early:
        services.ballot_cast(actor=voter, ballot=ballot, marks=kit.nominate(ids[0]))

    def close():
        return services.ballot_close(actor=body.chair, ballot=ballot)

    jobs = [(_cast, (voter, ballot, kit.nominate(ids[1]))) for voter in late]
    closer = len(jobs) // 2
    jobs.insert(closer, (close, ()))
    # Votes arrive over ~600 ms, the close at once: some land before it, some after.
    delays = [0 if i == closer else (i % 5) * 0.15 for i in range(len(jobs))]
    results = _run_together(jobs, delays)

    assert results[closer][0] == "ok", results[closer]
    votes = results[:closer] + results[closer + 1 :]
    kinds = Counter(kind for kind, _ in votes)
    assert set(kinds) <= {"ok", "conflict"}, votes
    for kind, detail in votes:
        if kind == "conflict":
            assert "not open" in detail
    accepted = {detail for kind, detail in votes if kind == "ok"}

    closed = Ballot.objects.get(pk=ballot.pk)
    assert closed.status == BallotStatus.CLOSED
    participations, marks = _counted(closed)
    # Counted or refused: never lost, never after the count.
    assert participations == marks == len(early) + len(accepted)
    assert closed.turnout == participations
    assert _outcome_total(closed) == participations
    voted = set(Participation.objects.filter(ballot=closed).values_list("user_id", flat=True))
    assert voted == {v.pk for v in early} | accepted
    nominated = {
        r["candidate"]: r["counts"].get("nominate", 0) for r in closed.outcome["candidates"]
    }
    assert nominated[ids[0]] == len(early) and nominated[ids[1]] == len(accepted)
    assert (
        AuditEvent.objects.filter(action=Action.BALLOT_CAST, target_id=str(ballot.pk)).count()
        == participations
    )


def test_two_closes_at_once_close_once(session):
    body = session[0]
    ballot, ids = _nomination(session)
    for voter in body.members[:5]:
        services.ballot_cast(actor=voter, ballot=ballot, marks=kit.nominate(ids[2]))

    def close():
        return services.ballot_close(actor=body.chair, ballot=ballot).turnout

    results = _run_together([(close, ()), (close, ())])
    assert sorted(kind for kind, _ in results) == ["conflict", "ok"]
    assert AuditEvent.objects.filter(action=Action.BALLOT_CLOSE).count() == 1
    assert _counted(ballot) == (5, 5)
