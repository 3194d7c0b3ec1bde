"""Ballots end to end through the services: electronic nomination, approval and confidence votes,
write-ins, refusals, turnout and result visibility (I-5), paper counts with a second
confirmation (M11) and the head's decision on a 50 % tie (I-3)."""

from types import SimpleNamespace

import pytest
from django.db.models import Max
from django.utils import translation

from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from personnel.models import CommitteeKind
from tests.factories import CadreFactory, UserFactory
from tests.workflows import ballot_kit as kit
from workflows.core import services
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import (
    Ballot,
    BallotKind,
    BallotMode,
    BallotStatus,
    Candidate,
    Choice,
    Mark,
    MeetingKind,
    Participation,
)
from workflows.core.services import PaperCounts, PaperMark

pytestmark = pytest.mark.django_db

NOMINATE, APPROVE, DISAPPROVE = Choice.NOMINATE, Choice.APPROVE, Choice.DISAPPROVE
HIGH, CONFIDENCE, LOW, ABSTAIN = Choice.HIGH, Choice.CONFIDENCE, Choice.LOW, Choice.ABSTAIN


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(province, district_a, district_b):
    """A district standing committee of 7 deciding on district cadres; the province board
    (scope covers the district), the other district's board (does not), and the province
    standing committee as the competent body."""
    body = kit.body_with_members(district_a, 7)
    competent = kit.body_with_members(province, 2)
    return SimpleNamespace(
        unit=district_a,
        body=body,
        chair=body.chair,
        members=body.members,
        staff=kit.board_staff(province),
        other_staff=kit.board_staff(district_b),
        competent=competent,
        cadres=kit.cadres(district_a, 4),
        outsider_cadre=CadreFactory(unit=district_b, full_name="Người ngoài phạm vi"),
    )


def _meeting(world, *, kind=MeetingKind.STANDING_COMMITTEE, present=None, absent=(), **extra):
    meeting = kit.call_meeting(
        actor=world.staff,
        unit=world.unit,
        body=world.body.committee,
        chair=world.chair,
        competent_body=world.competent.committee,
        kind=kind,
        **{k: v for k, v in extra.items() if k in {"summoned", "rules"}},
    )
    return kit.in_session(
        meeting,
        chair=world.chair,
        present=world.members if present is None else present,
        absent=absent,
        counters=extra.get("counters", ()),
    )


def _ballot(world, meeting, kind, *, cadres=None, mode=BallotMode.ELECTRONIC, **extra):
    return kit.open_ballot(
        meeting,
        actor=world.staff,
        chair=world.chair,
        kind=kind,
        mode=mode,
        candidates=world.cadres[:3] if cadres is None else cadres,
        **extra,
    )


def _ids(ballot):
    """Candidate ids in ballot order (A, B, C, ...)."""
    return [c.pk for c in ballot.candidates.order_by("order", "pk")]


def _cast_all(ballot, papers):
    for voter, marks in papers:
        services.ballot_cast(actor=voter, ballot=ballot, marks=marks)


def _close(world, ballot):
    return services.ballot_close(actor=world.chair, ballot=ballot)


def _since():
    return AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0


def _actions(since):
    return list(
        AuditEvent.objects.filter(seq__gt=since).order_by("seq").values_list("action", flat=True)
    )


# --------------------------------------------------------------------------- electronic votes


def test_nomination_end_to_end(world):
    meeting = _meeting(world)
    since = _since()
    ballot = _ballot(world, meeting, BallotKind.NOMINATION)
    a, b, c = _ids(ballot)
    assert (ballot.status, ballot.issued, ballot.denominator, ballot.sealed) == (
        BallotStatus.OPEN,
        7,
        "summoned",
        False,
    )
    m = world.members
    _cast_all(
        ballot,
        [(m[0], kit.nominate(a)), (m[1], kit.nominate(a)), (m[2], kit.nominate(a))]
        + [(m[3], kit.nominate(a)), (m[4], kit.nominate(b)), (m[5], kit.nominate(b))]
        + [(m[6], [PaperMark(choice=ABSTAIN)])],
    )
    closed = _close(world, ballot)
    assert (closed.status, closed.turnout, closed.returned, closed.valid, closed.invalid) == (
        BallotStatus.CLOSED,
        7,
        7,
        7,
        0,
    )
    outcome = closed.outcome
    assert outcome["rule"] == "more_than_half_else_carry_forward"
    assert outcome["denominator"] == {"rule": "summoned", "value": 7}
    assert outcome["result"] == {
        "result": "nominated",
        "nominated": [a],
        "forward": [],
        "tied_at_cut": [],
        "open_places": 0,
    }
    assert outcome["counts"] == {
        "summoned": 7,
        "present": 7,
        "excluded": 0,
        "collective_total": 7,
        "issued": 7,
        "returned": 7,
        "valid": 7,
        "invalid": 0,
        "abstained": 1,
    }
    rows = {r["candidate"]: r for r in outcome["candidates"]}
    assert rows[a]["counts"] == {"nominate": 4} and rows[a]["name"] == "Ứng viên A"
    assert rows[b]["counts"] == {"nominate": 2}
    assert rows[c]["counts"] == {}
    assert not outcome["needs_head_decision"]
    assert _actions(since) == [
        Action.BALLOT_CREATE,
        Action.BALLOT_OPEN,
        *[Action.BALLOT_CAST] * 7,
        Action.BALLOT_CLOSE,
    ]
    close_event = AuditEvent.objects.get(action=Action.BALLOT_CLOSE)
    assert close_event.changes == {"status": ["open", "closed"], "turnout": [None, 7]}


def test_nomination_denominator_is_those_summoned_not_those_present(world):
    """3 of 5 present is a majority of the room but not of the 7 summoned (§2.2, I-2)."""
    meeting = _meeting(world, present=world.members[:5], absent=world.members[5:])
    ballot = _ballot(world, meeting, BallotKind.NOMINATION)
    a, b, _c = _ids(ballot)
    m = world.members
    _cast_all(ballot, [(m[0], kit.nominate(a)), (m[1], kit.nominate(a)), (m[2], kit.nominate(a))])
    _cast_all(ballot, [(m[3], kit.nominate(b)), (m[4], kit.nominate(b))])
    outcome = _close(world, ballot).outcome
    assert outcome["denominator"] == {"rule": "summoned", "value": 7}
    assert outcome["result"]["result"] == "carried_forward"
    assert outcome["result"]["forward"] == [a, b]
    assert outcome["counts"]["present"] == 5 and outcome["counts"]["valid"] == 5


def test_write_in_nomination_of_another_eligible_cadre(world):
    meeting = _meeting(world)
    ballot = _ballot(world, meeting, BallotKind.NOMINATION)
    a, _b, _c = _ids(ballot)
    other = world.cadres[3]
    m = world.members
    write_in = [PaperMark(choice=NOMINATE, write_in_cadre_id=other.pk)]
    _cast_all(ballot, [(m[0], write_in), (m[1], write_in), (m[2], kit.nominate(a))])
    _cast_all(ballot, [(v, write_in) for v in m[3:6]])
    added = Candidate.objects.get(ballot=ballot, cadre=other)
    assert added.written_in
    outcome = _close(world, ballot).outcome
    assert outcome["result"]["nominated"] == [added.pk]
    row = next(r for r in outcome["candidates"] if r["candidate"] == added.pk)
    assert row["written_in"] and row["counts"] == {"nominate": 5}


def test_write_in_outside_the_voters_scope_is_refused(world):
    meeting = _meeting(world)
    ballot = _ballot(world, meeting, BallotKind.NOMINATION)
    with pytest.raises(Invalid, match="not an eligible cadre"):
        services.ballot_cast(
            actor=world.members[1],
            ballot=ballot,
            marks=[PaperMark(choice=NOMINATE, write_in_cadre_id=world.outsider_cadre.pk)],
        )
    assert not Candidate.objects.filter(cadre=world.outsider_cadre).exists()


def test_writing_in_a_listed_candidate_counts_for_that_candidate(world):
    meeting = _meeting(world)
    ballot = _ballot(world, meeting, BallotKind.NOMINATION)
    a = _ids(ballot)[0]
    services.ballot_cast(
        actor=world.members[1],
        ballot=ballot,
        marks=[PaperMark(choice=NOMINATE, write_in_cadre_id=world.cadres[0].pk)],
    )
    assert ballot.candidates.count() == 3
    outcome = _close(world, ballot).outcome
    assert next(r for r in outcome["candidates"] if r["candidate"] == a)["counts"] == {
        "nominate": 1
    }


def test_approval_end_to_end(world):
    meeting = _meeting(world, present=world.members[:6], absent=world.members[6:])
    ballot = _ballot(world, meeting, BallotKind.APPROVAL, cadres=[], motion="Bổ nhiệm ông A")
    [motion] = _ids(ballot)
    m = world.members
    papers = [(v, kit.answer(APPROVE, motion)) for v in m[:4]]
    papers += [(m[4], kit.answer(DISAPPROVE, motion)), (m[5], kit.answer(ABSTAIN, motion))]
    _cast_all(ballot, papers)
    outcome = _close(world, ballot).outcome
    assert outcome["rule"] == "more_than_half_tie_to_head"
    assert outcome["denominator"] == {"rule": "collective_total", "value": 7}
    assert outcome["result"] == {str(motion): "approved"}
    assert outcome["counts"]["abstained"] == 1 and outcome["counts"]["valid"] == 6
    assert outcome["candidates"][0]["counts"] == {"approve": 4, "disapprove": 1, "abstain": 1}
    assert not outcome["needs_head_decision"]


def test_approval_denominator_is_the_whole_collective(world):
    """3 of the 5 present approve: a majority of the room, not of the collective of 7."""
    meeting = _meeting(world, present=world.members[:5], absent=world.members[5:])
    ballot = _ballot(world, meeting, BallotKind.APPROVAL, cadres=[world.cadres[0]])
    [cadre] = _ids(ballot)
    m = world.members
    _cast_all(ballot, [(v, kit.answer(APPROVE, cadre)) for v in m[:3]])
    _cast_all(ballot, [(v, kit.answer(DISAPPROVE, cadre)) for v in m[3:5]])
    outcome = _close(world, ballot).outcome
    assert outcome["denominator"] == {"rule": "collective_total", "value": 7}
    assert outcome["result"] == {str(cadre): "rejected"}


def test_confidence_end_to_end(world):
    meeting = _meeting(world)
    ballot = _ballot(world, meeting, BallotKind.CONFIDENCE)
    a, b, c = _ids(ballot)
    m = world.members
    # A: 5 low of 7 (≥ 2/3); B: 4 low (> 1/2, < 2/3); C: 3 low.
    lows = {a: 5, b: 4, c: 3}
    for i, voter in enumerate(m):
        marks = []
        for cid in (a, b, c):
            choice = LOW if i < lows[cid] else (HIGH if i == 6 else CONFIDENCE)
            if cid == c and i == 5:
                choice = ABSTAIN
            marks.append(PaperMark(choice=choice, candidate_id=cid))
        services.ballot_cast(actor=voter, ballot=ballot, marks=marks)
    outcome = _close(world, ballot).outcome
    assert outcome["rule"] == "confidence_low_bars"
    assert outcome["denominator"] == {"rule": "valid_ballots", "value": 7}
    assert outcome["result"] == {
        str(a): "consider_dismissal",
        str(b): "not_considered_for_higher_post",
        str(c): "retains_confidence",
    }
    rows = {r["candidate"]: r["counts"] for r in outcome["candidates"]}
    assert rows[a] == {"low": 5, "confidence": 1, "high": 1}
    assert rows[c] == {"low": 3, "confidence": 2, "abstain": 1, "high": 1}
    assert outcome["counts"]["abstained"] == 1
    assert Mark.objects.filter(ballot=ballot).count() == 21
    assert Participation.objects.filter(ballot=ballot).count() == 7


def test_two_seats_each_paper_names_up_to_two(world):
    meeting = _meeting(world)
    ballot = _ballot(world, meeting, BallotKind.NOMINATION, cadres=world.cadres, seats=2)
    a, b, c, d = _ids(ballot)
    m = world.members
    _cast_all(ballot, [(v, kit.nominate(a, b)) for v in m[:4]])
    _cast_all(ballot, [(v, kit.nominate(c, d)) for v in m[4:6]])
    _cast_all(ballot, [(m[6], kit.nominate(c))])
    result = _close(world, ballot).outcome["result"]
    assert result["result"] == "nominated" and result["nominated"] == [a, b]


# --------------------------------------------------------------------------- refusals


@pytest.fixture
def open_nomination(world):
    meeting = _meeting(world, present=world.members[:6], absent=world.members[6:])
    return _ballot(world, meeting, BallotKind.NOMINATION)


def test_second_submission_is_refused(world, open_nomination):
    a, b, _ = _ids(open_nomination)
    voter = world.members[1]
    services.ballot_cast(actor=voter, ballot=open_nomination, marks=kit.nominate(a))
    with pytest.raises(Conflict, match="already voted") as refused:
        services.ballot_cast(actor=voter, ballot=open_nomination, marks=kit.nominate(b))
    assert "Ứng viên" not in refused.value.message
    assert Participation.objects.filter(ballot=open_nomination).count() == 1
    assert Mark.objects.filter(ballot=open_nomination).count() == 1
    assert AuditEvent.objects.filter(action=Action.BALLOT_CAST).count() == 1
    outcome = _close(world, open_nomination).outcome
    assert outcome["counts"]["valid"] == 1
    assert {r["candidate"]: r["counts"] for r in outcome["candidates"]}[a] == {"nominate": 1}


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("after_close", Conflict, "not open"),
        ("not_summoned", Forbidden, "not summoned"),
        ("summoned_but_absent", Forbidden, "recorded as present"),
        ("unknown_candidate", Invalid, "not on the ballot"),
        ("candidate_of_another_ballot", Invalid, "not on the ballot"),
        ("two_marks_for_one_post", Invalid, "one person for each post"),
        ("no_marks", Invalid, "one person for each post"),
        ("approve_on_a_nomination", Invalid, "only names people"),
        ("nobody_named", Invalid, "Choose a candidate"),
        ("abstention_naming_someone", Invalid, "names nobody"),
    ],
)
def test_refused_votes(world, open_nomination, case, error, message):
    ballot = open_nomination
    a, b, _ = _ids(ballot)
    voter = world.members[1]
    marks = kit.nominate(a)
    if case == "after_close":
        _close(world, ballot)
    elif case == "not_summoned":
        voter = UserFactory()
    elif case == "summoned_but_absent":
        voter = world.members[6]
    elif case == "unknown_candidate":
        marks = kit.nominate(max(a, b) + 1000)
    elif case == "candidate_of_another_ballot":
        other = services.ballot_create(
            actor=world.chair,
            meeting=ballot.meeting,
            kind=BallotKind.NOMINATION,
            mode=BallotMode.ELECTRONIC,
            title="Khác",
            cadres=[world.cadres[3]],
        )
        marks = kit.nominate(other.candidates.get().pk)
    elif case == "two_marks_for_one_post":
        marks = kit.nominate(a, b)
    elif case == "no_marks":
        marks = []
    elif case == "approve_on_a_nomination":
        marks = kit.answer(APPROVE, a)
    elif case == "nobody_named":
        marks = [PaperMark(choice=NOMINATE)]
    elif case == "abstention_naming_someone":
        marks = [PaperMark(choice=ABSTAIN, candidate_id=a)]
    with pytest.raises(error, match=message) as refused:
        services.ballot_cast(actor=voter, ballot=ballot, marks=marks)
    # A refusal never repeats what was chosen.
    assert "Ứng viên" not in refused.value.message
    assert not any(str(cid) in refused.value.message for cid in (a, b))
    assert not Participation.objects.filter(ballot=ballot, user=voter).exists()
    assert not AuditEvent.objects.filter(action=Action.BALLOT_CAST).exists()


def test_vote_before_the_ballot_opens_is_refused(world):
    meeting = _meeting(world)
    ballot = services.ballot_create(
        actor=world.staff,
        meeting=meeting,
        kind=BallotKind.NOMINATION,
        mode=BallotMode.ELECTRONIC,
        title="Chưa mở",
        cadres=world.cadres[:2],
    )
    with pytest.raises(Conflict, match="not open"):
        services.ballot_cast(
            actor=world.members[1], ballot=ballot, marks=kit.nominate(_ids(ballot)[0])
        )


def test_the_same_person_cannot_be_named_twice(world):
    meeting = _meeting(world)
    ballot = _ballot(world, meeting, BallotKind.NOMINATION, seats=2)
    a = _ids(ballot)[0]
    twice = [
        kit.nominate(a, a),
        # the listed candidate, and the same cadre written in
        [*kit.nominate(a), PaperMark(choice=NOMINATE, write_in_cadre_id=world.cadres[0].pk)],
    ]
    for marks in twice:
        with pytest.raises(Invalid, match="named twice"):
            services.ballot_cast(actor=world.members[1], ballot=ballot, marks=marks)
    assert not Mark.objects.filter(ballot=ballot).exists()


@pytest.mark.parametrize(
    ("kind", "papers"),
    [
        pytest.param(BallotKind.APPROVAL, lambda a, b: [], id="approval-no-answer"),
        pytest.param(
            BallotKind.APPROVAL,
            lambda a, b: [*kit.answer(APPROVE, a), *kit.answer(DISAPPROVE, a)],
            id="approval-two-answers",
        ),
        pytest.param(BallotKind.APPROVAL, lambda a, b: kit.answer(HIGH, a), id="approval-high"),
        pytest.param(
            BallotKind.CONFIDENCE, lambda a, b: kit.answer(LOW, a), id="confidence-one-missing"
        ),
        pytest.param(
            BallotKind.CONFIDENCE,
            lambda a, b: [*kit.answer(LOW, a), *kit.answer(APPROVE, b)],
            id="confidence-approve",
        ),
        pytest.param(
            BallotKind.CONFIDENCE,
            lambda a, b: [*kit.answer(LOW, a), *kit.answer(LOW, a)],
            id="confidence-twice-for-one",
        ),
    ],
)
def test_malformed_papers_are_invalid(world, kind, papers):
    meeting = _meeting(world)
    cadres = world.cadres[:1] if kind == BallotKind.APPROVAL else world.cadres[:2]
    ballot = _ballot(world, meeting, kind, cadres=cadres)
    ids = _ids(ballot)
    a, b = ids[0], ids[-1]
    with pytest.raises(Invalid):
        services.ballot_cast(actor=world.members[1], ballot=ballot, marks=papers(a, b))
    assert not Participation.objects.filter(ballot=ballot).exists()


# --------------------------------------------------------------------------- preparing ballots


def test_who_prepares_ballots_and_what_they_hold(world):
    meeting = _meeting(world)

    def create(actor, kind=BallotKind.NOMINATION, cadres=None, motion=""):
        return services.ballot_create(
            actor=actor,
            meeting=meeting,
            kind=kind,
            mode=BallotMode.ELECTRONIC,
            title="Phiếu",
            cadres=world.cadres[:2] if cadres is None else cadres,
            motion=motion,
        )

    with pytest.raises(Forbidden):
        create(world.members[1])
    with pytest.raises(Forbidden):
        create(world.other_staff)
    with pytest.raises(Invalid, match="outside your scope"):
        create(world.chair, cadres=[world.outsider_cadre])
    with pytest.raises(Invalid, match="listed twice"):
        create(world.staff, cadres=[world.cadres[0], world.cadres[0]])
    with pytest.raises(Invalid):
        create(world.staff, cadres=[])
    with pytest.raises(Invalid):
        create(world.staff, kind=BallotKind.APPROVAL, cadres=[], motion="   ")
    ballot = create(world.staff, kind=BallotKind.APPROVAL, cadres=[world.cadres[0]], motion="  ")
    assert list(ballot.candidates.values_list("cadre_id", flat=True)) == [world.cadres[0].pk]
    assert create(world.chair).candidates.count() == 2


def test_one_open_ballot_at_a_time(world):
    meeting = _meeting(world)
    _ballot(world, meeting, BallotKind.NOMINATION)
    second = services.ballot_create(
        actor=world.chair,
        meeting=meeting,
        kind=BallotKind.APPROVAL,
        mode=BallotMode.ELECTRONIC,
        title="Thứ hai",
        motion="x",
    )
    with pytest.raises(Conflict, match="other open ballot"):
        services.ballot_open(actor=world.chair, ballot=second)
    with pytest.raises(Forbidden):
        services.ballot_open(actor=world.staff, ballot=second)


def test_approval_by_an_ad_hoc_roster_is_refused_before_anyone_votes(world):
    """A collective decision needs the collective's size (§2.2); an ad-hoc roster (body left
    empty) has none, so the ballot must be refused when prepared, not fail at close."""
    meeting = _meeting(world)
    roster = kit.call_meeting(
        actor=world.staff,
        unit=world.unit,
        chair=world.chair,
        kind=MeetingKind.KEY_OFFICIALS,
        summoned=world.members,
    )
    assert roster.body is None and meeting.body is not None
    with pytest.raises(Invalid, match="total membership"):
        services.ballot_create(
            actor=world.staff,
            meeting=roster,
            kind=BallotKind.APPROVAL,
            mode=BallotMode.ELECTRONIC,
            title="Thông qua",
            motion="Thông qua danh sách",
        )


# --------------------------------------------------------------------------- turnout, results


def test_turnout_only_for_the_chair_and_no_results_while_open(world):
    meeting = _meeting(world)
    ballot = _ballot(world, meeting, BallotKind.NOMINATION)
    a = _ids(ballot)[0]
    _cast_all(ballot, [(v, kit.nominate(a)) for v in world.members[1:4]])
    assert services.ballot_turnout(actor=world.chair, ballot=ballot) == services.Turnout(3, 7)
    for other in (world.staff, world.members[1], world.competent.chair, UserFactory()):
        with pytest.raises(Forbidden):
            services.ballot_turnout(actor=other, ballot=ballot)
    everyone = [world.chair, world.staff, world.competent.chair, *world.members]
    ballot.refresh_from_db()
    assert not any(services.can_see_results(user=u, ballot=ballot) for u in everyone)
    with pytest.raises(Forbidden):
        services.ballot_results_view(user=world.staff, ballot=ballot)
    closed = _close(world, ballot)
    assert services.ballot_turnout(actor=world.chair, ballot=closed) == services.Turnout(3, 7)


WHO = ["board_in_scope", "board_out_of_scope", "competent", "chair", "participant", "outsider"]


def _who(world, name):
    return {
        "board_in_scope": world.staff,
        "board_out_of_scope": world.other_staff,
        "competent": world.competent.others[0],
        "chair": world.chair,
        "participant": world.members[3],
        "outsider": UserFactory(),
    }[name]


def _closed_ballot(world, kind):
    """A nomination closed at a meeting of ``kind``: an expanded collective (sealed, M5) has
    an ad-hoc roster; a standing committee announces its results (M6)."""
    if kind == MeetingKind.EXPANDED_COLLECTIVE:
        extra = [UserFactory(), UserFactory()]
        meeting = kit.call_meeting(
            actor=world.staff,
            unit=world.unit,
            chair=world.chair,
            kind=kind,
            competent_body=world.competent.committee,
            summoned=[*world.members, *extra],
        )
        meeting = kit.in_session(meeting, chair=world.chair, present=[*world.members, *extra])
    else:
        meeting = _meeting(world, kind=kind)
    ballot = _ballot(world, meeting, BallotKind.NOMINATION)
    a = _ids(ballot)[0]
    _cast_all(ballot, [(v, kit.nominate(a)) for v in world.members])
    return _close(world, ballot)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(
    ("meeting_kind", "sealed", "visible_to"),
    [
        pytest.param(
            MeetingKind.EXPANDED_COLLECTIVE,
            True,
            {"board_in_scope", "competent"},
            id="sealed",
        ),
        pytest.param(
            MeetingKind.STANDING_COMMITTEE,
            False,
            {"board_in_scope", "competent", "chair", "participant"},
            id="announced",
        ),
    ],
)
def test_who_sees_results_after_close(world, meeting_kind, sealed, visible_to, who):
    ballot = _closed_ballot(world, meeting_kind)
    assert ballot.sealed is sealed
    user = _who(world, who)
    allowed = who in visible_to
    assert services.can_see_results(user=user, ballot=ballot) is allowed
    since = _since()
    if allowed:
        assert services.ballot_results_view(user=user, ballot=ballot).outcome == ballot.outcome
        expected = [Action.BALLOT_RESULTS_VIEW] if sealed else []
        assert _actions(since) == expected
        if sealed:
            event = AuditEvent.objects.get(seq__gt=since)
            assert (event.actor, event.target_id) == (user, str(ballot.pk))
    else:
        with pytest.raises(Forbidden):
            services.ballot_results_view(user=user, ballot=ballot)
        assert _actions(since) == []


@pytest.mark.parametrize(
    ("meeting_kind", "sealed"),
    [
        (MeetingKind.EXPANDED_COLLECTIVE, True),
        (MeetingKind.KEY_OFFICIALS, True),
        (MeetingKind.LEADERSHIP_COLLECTIVE, False),
        (MeetingKind.STANDING_COMMITTEE, False),
        (MeetingKind.EXECUTIVE_COMMITTEE, False),
    ],
)
def test_sealed_comes_from_the_rule_set(world, meeting_kind, sealed):
    meeting = _meeting(world, kind=meeting_kind)
    ballot = services.ballot_create(
        actor=world.staff,
        meeting=meeting,
        kind=BallotKind.NOMINATION,
        mode=BallotMode.ELECTRONIC,
        title="Phiếu",
        cadres=world.cadres[:2],
    )
    assert ballot.sealed is sealed


def test_close_audit_of_a_sealed_ballot_carries_no_result(world):
    ballot = _closed_ballot(world, MeetingKind.EXPANDED_COLLECTIVE)
    event = AuditEvent.objects.get(action=Action.BALLOT_CLOSE, target_id=str(ballot.pk))
    assert event.changes == {"status": ["open", "closed"], "turnout": [None, 7]}
    assert event.reason == ""


# --------------------------------------------------------------------------- paper ballots


@pytest.fixture
def paper(world):
    counters = world.members[1:3]
    meeting = _meeting(world, counters=counters)
    ballot = _ballot(world, meeting, BallotKind.NOMINATION, mode=BallotMode.PAPER)
    return SimpleNamespace(ballot=ballot, counters=counters, ids=_ids(ballot))


def _counts(ids, issued=7, returned=7, valid=6, invalid=1, a=4, b=2):
    return PaperCounts(
        issued=issued,
        returned=returned,
        valid=valid,
        invalid=invalid,
        per_candidate={(ids[0], NOMINATE): a, (ids[1], NOMINATE): b},
    )


def test_paper_ballot_counted_and_confirmed(world, paper):
    ballot, (first, second) = paper.ballot, paper.counters
    with pytest.raises(Conflict, match="electronic"):
        services.ballot_cast(
            actor=world.members[3], ballot=ballot, marks=kit.nominate(paper.ids[0])
        )
    with pytest.raises(Conflict, match="counting group"):
        services.ballot_close(actor=world.chair, ballot=ballot)
    with pytest.raises(Forbidden, match="counting group"):
        services.ballot_paper_enter(
            actor=world.members[3], ballot=ballot, counts=_counts(paper.ids)
        )
    with pytest.raises(Conflict, match="awaiting confirmation"):
        services.ballot_paper_confirm(actor=second, ballot=ballot)

    since = _since()
    counted = services.ballot_paper_enter(actor=first, ballot=ballot, counts=_counts(paper.ids))
    assert (counted.status, counted.entered_by, counted.confirmed_by) == (
        BallotStatus.COUNTED,
        first,
        None,
    )
    with pytest.raises(Forbidden, match="second member"):
        services.ballot_paper_confirm(actor=first, ballot=ballot)
    with pytest.raises(Forbidden, match="counting group"):
        services.ballot_paper_confirm(actor=world.members[3], ballot=ballot)
    closed = services.ballot_paper_confirm(actor=second, ballot=ballot)
    assert (closed.status, closed.confirmed_by, closed.turnout) == (BallotStatus.CLOSED, second, 7)
    outcome = closed.outcome
    a, b, _c = paper.ids
    assert outcome["denominator"] == {"rule": "summoned", "value": 7}
    assert outcome["result"]["result"] == "nominated" and outcome["result"]["nominated"] == [a]
    assert {k: outcome["counts"][k] for k in ("issued", "returned", "valid", "invalid")} == {
        "issued": 7,
        "returned": 7,
        "valid": 6,
        "invalid": 1,
    }
    rows = {r["candidate"]: r["counts"] for r in outcome["candidates"]}
    assert rows == {a: {"nominate": 4}, b: {"nominate": 2}, paper.ids[2]: {}}
    assert _actions(since) == [Action.BALLOT_COUNTS_ENTER, Action.BALLOT_COUNTS_CONFIRM]
    # Nothing per voter exists for a paper ballot.
    assert not Participation.objects.filter(ballot=ballot).exists()
    assert not Mark.objects.filter(ballot=ballot).exists()


def test_paper_counts_can_be_corrected_before_confirmation(world, paper):
    first, second = paper.counters
    services.ballot_paper_enter(actor=first, ballot=paper.ballot, counts=_counts(paper.ids))
    services.ballot_paper_enter(
        actor=second, ballot=paper.ballot, counts=_counts(paper.ids, valid=7, invalid=0, a=3, b=4)
    )
    with pytest.raises(Forbidden):
        services.ballot_paper_confirm(actor=second, ballot=paper.ballot)
    closed = services.ballot_paper_confirm(actor=first, ballot=paper.ballot)
    assert closed.outcome["result"]["nominated"] == [paper.ids[1]]
    assert closed.paper_tallies.count() == 2


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        pytest.param(dict(valid=5, invalid=1), "do not add up", id="valid-plus-invalid-short"),
        pytest.param(dict(valid=7, invalid=1), "do not add up", id="valid-plus-invalid-over"),
        pytest.param(dict(issued=6), "do not add up", id="returned-above-issued"),
        pytest.param(
            dict(issued=8, returned=8, valid=7), "do not add up", id="issued-above-present"
        ),
        pytest.param(dict(a=5, b=2), "More nominations", id="more-nominations-than-papers"),
        pytest.param(dict(a=-1), "negative", id="negative"),
    ],
)
def test_paper_counts_that_do_not_add_up(world, paper, counts, message):
    with pytest.raises(Invalid, match=message):
        services.ballot_paper_enter(
            actor=paper.counters[0], ballot=paper.ballot, counts=_counts(paper.ids, **counts)
        )
    paper.ballot.refresh_from_db()
    assert paper.ballot.status == BallotStatus.OPEN and paper.ballot.valid is None


def test_paper_count_for_someone_not_on_the_ballot(world, paper):
    counts = _counts(paper.ids)
    counts.per_candidate[(max(paper.ids) + 1000, NOMINATE)] = 1
    with pytest.raises(Invalid, match="not on the ballot"):
        services.ballot_paper_enter(actor=paper.counters[0], ballot=paper.ballot, counts=counts)


def test_paper_confidence_uses_the_valid_papers(world):
    """Confidence bars are shares of the valid ballots: 4 low of 6 valid is 2/3."""
    counters = world.members[1:3]
    meeting = _meeting(world, counters=counters)
    ballot = _ballot(
        world, meeting, BallotKind.CONFIDENCE, cadres=world.cadres[:1], mode=BallotMode.PAPER
    )
    [a] = _ids(ballot)
    services.ballot_paper_enter(
        actor=counters[0],
        ballot=ballot,
        counts=PaperCounts(
            issued=7,
            returned=7,
            valid=6,
            invalid=1,
            per_candidate={(a, LOW): 4, (a, CONFIDENCE): 2},
        ),
    )
    outcome = services.ballot_paper_confirm(actor=counters[1], ballot=ballot).outcome
    assert outcome["denominator"] == {"rule": "valid_ballots", "value": 6}
    assert outcome["result"] == {str(a): "consider_dismissal"}


# --------------------------------------------------------------------------- 50 % tie (I-3)


@pytest.fixture
def tied(province, district_a):
    """A leadership collective of 6; 5 present; 3 approve: 60 % of the room, exactly half of
    the collective."""
    body = kit.body_with_members(district_a, 6, kind=CommitteeKind.LEADERSHIP)
    meeting = kit.call_meeting(
        actor=body.chair,
        unit=district_a,
        body=body.committee,
        chair=body.chair,
        kind=MeetingKind.LEADERSHIP_COLLECTIVE,
    )
    kit.in_session(meeting, chair=body.chair, present=body.members[:5], absent=body.members[5:])
    ballot = kit.open_ballot(
        meeting,
        actor=body.chair,
        chair=body.chair,
        kind=BallotKind.APPROVAL,
        motion="Bổ nhiệm bà B",
    )
    [motion] = _ids(ballot)
    papers = [(v, kit.answer(APPROVE, motion)) for v in body.members[:3]]
    papers += [(v, kit.answer(DISAPPROVE, motion)) for v in body.members[3:5]]
    _cast_all(ballot, papers)
    ballot = services.ballot_close(actor=body.chair, ballot=ballot)
    return SimpleNamespace(ballot=ballot, body=body, motion=motion)


def test_exactly_half_of_the_collective_needs_the_heads_decision(tied):
    outcome = tied.ballot.outcome
    assert outcome["denominator"] == {"rule": "collective_total", "value": 6}
    assert outcome["result"] == {str(tied.motion): "tied"}
    assert outcome["needs_head_decision"] is True


@pytest.mark.parametrize(
    ("who", "decision", "opinions", "error"),
    [
        pytest.param("member", "Đồng ý", "Hai ý kiến không đồng ý", Forbidden, id="not-chair"),
        pytest.param("chair", "", "Hai ý kiến không đồng ý", Invalid, id="no-decision"),
        pytest.param("chair", "Đồng ý", "  ", Invalid, id="no-differing-opinions"),
    ],
)
def test_head_decision_refusals(tied, who, decision, opinions, error):
    actor = tied.body.chair if who == "chair" else tied.body.others[0]
    with pytest.raises(error):
        services.ballot_head_decide(
            actor=actor, ballot=tied.ballot, decision=decision, differing_opinions=opinions
        )
    assert Ballot.objects.get(pk=tied.ballot.pk).head_decision == ""
    assert not AuditEvent.objects.filter(action=Action.BALLOT_HEAD_DECISION).exists()


def test_head_decides_once(tied):
    decided = services.ballot_head_decide(
        actor=tied.body.chair,
        ballot=tied.ballot,
        decision=" Đồng ý bổ nhiệm ",
        differing_opinions="Hai đồng chí không đồng ý vì chưa đủ thời gian giữ chức vụ.",
    )
    assert decided.head_decision == "Đồng ý bổ nhiệm"
    assert decided.differing_opinions.startswith("Hai đồng chí")
    event = AuditEvent.objects.get(action=Action.BALLOT_HEAD_DECISION)
    assert (event.actor, event.target_id) == (tied.body.chair, str(tied.ballot.pk))
    with pytest.raises(Conflict, match="already decided"):
        services.ballot_head_decide(
            actor=tied.body.chair, ballot=tied.ballot, decision="Khác", differing_opinions="x"
        )


def test_no_head_decision_without_a_tie(world):
    meeting = _meeting(world)
    ballot = _ballot(world, meeting, BallotKind.APPROVAL, cadres=[], motion="Thông qua")
    [motion] = _ids(ballot)
    _cast_all(ballot, [(v, kit.answer(APPROVE, motion)) for v in world.members])
    closed = _close(world, ballot)
    with pytest.raises(Conflict, match="does not await"):
        services.ballot_head_decide(
            actor=world.chair, ballot=closed, decision="x", differing_opinions="y"
        )


# --------------------------------------------------------------------------- later fixes


def test_paper_nomination_counts_blank_papers_as_abstentions(world, paper):
    first, second = paper.counters
    counts = PaperCounts(
        issued=7,
        returned=7,
        valid=7,
        invalid=0,
        per_candidate={
            (paper.ids[0], NOMINATE): 4,
            (paper.ids[1], NOMINATE): 1,
            (None, "abstain"): 2,
        },
    )
    services.ballot_paper_enter(actor=first, ballot=paper.ballot, counts=counts)
    closed = services.ballot_paper_confirm(actor=second, ballot=paper.ballot)
    assert closed.outcome["counts"]["abstained"] == 2
    assert closed.outcome["result"]["nominated"] == [paper.ids[0]]


def test_a_motion_is_refused_on_a_nomination_ballot(world):
    meeting = _meeting(world)
    with pytest.raises(Invalid):
        services.ballot_create(
            actor=world.chair,
            meeting=meeting,
            kind=BallotKind.NOMINATION,
            mode=BallotMode.ELECTRONIC,
            title="x",
            cadres=world.cadres[:2],
            motion="Thông qua danh sách",
        )


def test_advisers_and_exclusions_change_the_counts(world):
    meeting = _meeting(world)
    adviser, away = world.members[5], world.members[6]
    with pytest.raises(Forbidden):
        services.meeting_summons_set(
            actor=world.members[1], meeting=meeting, user_id=adviser.pk, votes=False, excluded=False
        )
    with pytest.raises(Invalid):
        services.meeting_summons_set(
            actor=world.chair, meeting=meeting, user_id=away.pk, votes=True, excluded=True
        )
    since = _since()
    services.meeting_summons_set(
        actor=world.chair, meeting=meeting, user_id=adviser.pk, votes=False, excluded=False
    )
    services.meeting_summons_set(
        actor=world.chair,
        meeting=meeting,
        user_id=away.pk,
        votes=True,
        excluded=True,
        reason="Biệt phái tạm thời",
    )
    assert _actions(since) == [Action.MEETING_ATTENDANCE, Action.MEETING_ATTENDANCE]
    assert services.meeting_quorum(meeting).summoned == 6  # the adviser does not count
    assert services.eligible_voters(meeting).filter(user=away).count() == 0
    ballot = _ballot(world, meeting, BallotKind.NOMINATION)
    with pytest.raises(Forbidden):
        services.ballot_cast(actor=adviser, ballot=ballot, marks=kit.nominate(_ids(ballot)[0]))
    with pytest.raises(Conflict):
        services.meeting_summons_set(
            actor=world.chair, meeting=meeting, user_id=adviser.pk, votes=True, excluded=False
        )


def test_the_chair_sees_a_sealed_tie_to_decide_it(world):
    meeting = _meeting(world)
    ballot = _ballot(world, meeting, BallotKind.NOMINATION)
    Ballot.objects.filter(pk=ballot.pk).update(
        status=BallotStatus.CLOSED, sealed=True, outcome={"needs_head_decision": True}
    )
    ballot.refresh_from_db()
    assert services.can_see_results(user=world.chair, ballot=ballot)
    assert not services.can_see_results(user=world.members[1], ballot=ballot)
    Ballot.objects.filter(pk=ballot.pk).update(outcome={"needs_head_decision": False})
    ballot.refresh_from_db()
    assert not services.can_see_results(user=world.chair, ballot=ballot)
