"""Meetings: who may call and run them, the summoned snapshot, attendance, quorum (M1, I-1),
adjourning and reconvening, closing — each transition with exactly its audit event."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db.models import Max
from django.utils import translation

from personnel import services as personnel_services
from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from personnel.models import CommitteeMembership
from tests.factories import UserFactory, member_of
from tests.workflows import ballot_kit as kit
from workflows.core import services
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import (
    Attendance,
    BallotKind,
    BallotMode,
    BallotStatus,
    Choice,
    Meeting,
    MeetingStatus,
    ParameterKey,
    Summons,
)
from workflows.core.services import AttendanceEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(province, district_a, district_b):
    """A district standing committee of 7, the province's organisation board (scope covers the
    district) and the other district's board (scope does not)."""
    return SimpleNamespace(
        unit=district_a,
        body=kit.body_with_members(district_a, 7),
        staff=kit.board_staff(province),
        other_staff=kit.board_staff(district_b),
    )


@pytest.fixture
def meeting(world):
    return kit.call_meeting(
        actor=world.staff, unit=world.unit, body=world.body.committee, chair=world.body.chair
    )


class Trail:
    """The audit events written since it was made."""

    def __init__(self):
        self.since = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0

    def events(self):
        return list(AuditEvent.objects.filter(seq__gt=self.since).order_by("seq"))

    def actions(self):
        return [e.action for e in self.events()]


def _present(meeting, users):
    return kit.take_attendance(meeting, chair=meeting.chair, present=users)


# --------------------------------------------------------------------------- calling a meeting


def test_org_board_staff_in_scope_calls_a_meeting(world):
    trail = Trail()
    meeting = kit.call_meeting(
        actor=world.staff, unit=world.unit, body=world.body.committee, chair=world.body.chair
    )
    assert (meeting.status, meeting.session, meeting.collective_total) == (
        MeetingStatus.SCHEDULED,
        0,
        None,
    )
    summoned = set(meeting.summons.values_list("user_id", flat=True))
    assert summoned == {u.pk for u in world.body.members}
    assert set(meeting.summons.values_list("attendance", flat=True)) == {Attendance.UNKNOWN}
    [event] = trail.events()
    assert event.action == Action.MEETING_CREATE and event.actor == world.staff
    assert event.target_id == str(meeting.pk) and event.unit_id == world.unit.pk
    assert event.changes["ruleset"] == [None, kit.ruleset().pk]


def test_a_meeting_records_its_rule_set_which_becomes_in_use(world):
    ruleset = kit.ruleset("nd170-2025")
    assert not ruleset.in_use
    meeting = kit.call_meeting(
        actor=world.staff,
        unit=world.unit,
        body=world.body.committee,
        chair=world.body.chair,
        rules=ruleset,
    )
    assert Meeting.objects.get(pk=meeting.pk).ruleset == ruleset
    assert kit.ruleset("nd170-2025").in_use


def test_the_chair_may_call_their_own_meeting(world):
    meeting = kit.call_meeting(
        actor=world.body.chair, unit=world.unit, body=world.body.committee, chair=world.body.chair
    )
    assert meeting.chair == world.body.chair


@pytest.mark.parametrize(
    "who",
    ["member", "other_district_board", "outsider", "chair_outside_scope"],
)
def test_others_may_not_call_a_meeting(world, who):
    chair = world.body.chair
    actor = {
        "member": lambda: world.body.others[0],
        "other_district_board": lambda: world.other_staff,
        "outsider": UserFactory,
        "chair_outside_scope": lambda: world.other_staff,
    }[who]()
    if who == "chair_outside_scope":
        chair = actor  # calling themselves as chair, of a unit outside their scope
    trail = Trail()
    with pytest.raises(Forbidden):
        kit.call_meeting(actor=actor, unit=world.unit, body=world.body.committee, chair=chair)
    assert not Meeting.objects.exists()
    assert trail.events() == []
    assert not kit.ruleset().in_use


def test_summoned_are_the_body_members_active_that_day(world):
    gone = world.body.others[-1]
    membership = CommitteeMembership.objects.get(committee=world.body.committee, user=gone)
    personnel_services.membership_end(
        actor=None, membership=membership, ended_on=dt.date.today() - dt.timedelta(days=1)
    )
    member_of(world.body.committee, started_on=dt.date.today() + dt.timedelta(days=30))
    meeting = kit.call_meeting(
        actor=world.staff, unit=world.unit, body=world.body.committee, chair=world.body.chair
    )
    summoned = set(meeting.summons.values_list("user_id", flat=True))
    assert summoned == {u.pk for u in world.body.members if u != gone}
    # A snapshot: someone joining afterwards is not summoned to this meeting.
    member_of(world.body.committee)
    assert meeting.summons.count() == 6


def test_an_explicit_roster_is_summoned_with_the_chair(world):
    roster = world.body.others[:3]
    meeting = kit.call_meeting(
        actor=world.staff, unit=world.unit, chair=world.body.chair, summoned=roster
    )
    summoned = set(meeting.summons.values_list("user_id", flat=True))
    assert summoned == {u.pk for u in [*roster, world.body.chair]}


# --------------------------------------------------------------------------- convening


def test_only_the_chair_convenes(world, meeting):
    for actor in (world.staff, world.body.others[0]):
        with pytest.raises(Forbidden):
            services.meeting_convene(actor=actor, meeting=meeting)
    trail = Trail()
    convened = services.meeting_convene(actor=world.body.chair, meeting=meeting)
    assert (convened.status, convened.session, convened.collective_total) == (
        MeetingStatus.CONVENED,
        1,
        7,
    )
    [event] = trail.events()
    assert (event.action, event.actor, event.changes) == (
        Action.MEETING_CONVENE,
        world.body.chair,
        {"session": [0, 1]},
    )
    with pytest.raises(Conflict):
        services.meeting_convene(actor=world.body.chair, meeting=meeting)


# --------------------------------------------------------------------------- attendance


def test_attendance_is_recorded_by_the_chair(world, meeting):
    chair, others = world.body.chair, world.body.others
    services.meeting_convene(actor=chair, meeting=meeting)
    trail = Trail()
    kit.take_attendance(meeting, chair=chair, present=[chair, *others[:4]], absent=others[4:])
    rows = dict(meeting.summons.values_list("user_id", "attendance"))
    assert sorted(rows.values()).count(Attendance.PRESENT) == 5
    assert {rows[u.pk] for u in others[4:]} == {Attendance.ABSENT}
    reasons = set(
        meeting.summons.filter(attendance="absent").values_list("absence_reason", flat=True)
    )
    assert reasons == {"Đi công tác"}
    [event] = trail.events()
    assert event.action == Action.MEETING_ATTENDANCE
    assert event.changes[str(others[0].pk)] == [Attendance.UNKNOWN, Attendance.PRESENT]
    assert event.changes[str(others[5].pk)] == [Attendance.UNKNOWN, Attendance.ABSENT]


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("absent_without_reason", Invalid),
        ("absent_with_blank_reason", Invalid),
        ("not_summoned", Invalid),
        ("unknown_value", Invalid),
        ("not_the_chair", Forbidden),
        ("before_convening", Conflict),
    ],
)
def test_attendance_refusals(world, meeting, case, error):
    chair, member = world.body.chair, world.body.others[0]
    if case != "before_convening":
        services.meeting_convene(actor=chair, meeting=meeting)
    entries = {
        "absent_without_reason": [AttendanceEntry(member.pk, Attendance.ABSENT)],
        "absent_with_blank_reason": [AttendanceEntry(member.pk, Attendance.ABSENT, reason="  ")],
        "not_summoned": [AttendanceEntry(UserFactory().pk, Attendance.PRESENT)],
        "unknown_value": [AttendanceEntry(member.pk, "late")],
        "not_the_chair": [AttendanceEntry(member.pk, Attendance.PRESENT)],
        "before_convening": [AttendanceEntry(member.pk, Attendance.PRESENT)],
    }[case]
    # A valid entry first: a refusal leaves nothing half-recorded.
    entries = [AttendanceEntry(chair.pk, Attendance.PRESENT), *entries]
    actor = member if case == "not_the_chair" else chair
    trail = Trail()
    with pytest.raises(error):
        services.meeting_record_attendance(actor=actor, meeting=meeting, entries=entries)
    assert set(meeting.summons.values_list("attendance", flat=True)) == {Attendance.UNKNOWN}
    assert trail.events() == []


def test_attendance_is_frozen_while_a_ballot_is_open(world, meeting):
    chair, others = world.body.chair, world.body.others
    kit.in_session(meeting, chair=chair, present=world.body.members)
    ballot = kit.open_ballot(
        meeting,
        actor=chair,
        chair=chair,
        kind=BallotKind.APPROVAL,
        motion="Thông qua danh sách",
    )
    with pytest.raises(Conflict, match="ballot is open"):
        kit.take_attendance(meeting, chair=chair, present=[], absent=[others[0]])
    assert meeting.summons.get(user=others[0]).attendance == Attendance.PRESENT
    services.ballot_close(actor=chair, ballot=ballot)
    kit.take_attendance(meeting, chair=chair, present=[], absent=[others[0]])
    assert meeting.summons.get(user=others[0]).attendance == Attendance.ABSENT


# --------------------------------------------------------------------------- quorum


@pytest.mark.parametrize(
    ("size", "present", "needed", "met"),
    [
        pytest.param(7, 5, 5, True, id="7-summoned-5-present"),
        pytest.param(7, 4, 5, False, id="7-summoned-4-present"),
        pytest.param(9, 6, 6, True, id="9-summoned-6-present"),
        pytest.param(11, 8, 8, True, id="11-summoned-8-present"),
        pytest.param(11, 7, 8, False, id="11-summoned-7-present"),
        pytest.param(13, 9, 9, True, id="13-summoned-9-present"),
        pytest.param(13, 8, 9, False, id="13-summoned-8-present"),
    ],
)
def test_quorum_of_the_meeting(province, district_a, size, present, needed, met):
    body = kit.body_with_members(district_a, size)
    meeting = kit.call_meeting(
        actor=body.chair, unit=district_a, body=body.committee, chair=body.chair
    )
    kit.in_session(
        meeting,
        chair=body.chair,
        present=body.members[:present],
        absent=body.members[present:],
    )
    assert services.meeting_quorum(meeting) == services.Quorum(
        summoned=size, present=present, needed=needed, met=met
    )


def test_quorum_comes_from_the_meetings_rule_set(world):
    three_quarters = services.ruleset_new_version(actor=None, base=kit.ruleset())
    services.ruleset_parameter_set(
        actor=None,
        ruleset=three_quarters,
        key=ParameterKey.QUORUM,
        value={"numerator": 3, "denominator": 4},
        citation="thử nghiệm",
    )
    meeting = kit.call_meeting(
        actor=world.staff,
        unit=world.unit,
        body=world.body.committee,
        chair=world.body.chair,
        rules=three_quarters,
    )
    kit.in_session(meeting, chair=world.body.chair, present=world.body.members[:5])
    assert services.meeting_quorum(meeting) == services.Quorum(
        summoned=7, present=5, needed=6, met=False
    )


def test_no_ballot_opens_without_a_quorum(world, meeting):
    chair, members = world.body.chair, world.body.members
    kit.in_session(meeting, chair=chair, present=members[:4], absent=members[4:])
    ballot = services.ballot_create(
        actor=world.staff,
        meeting=meeting,
        kind=BallotKind.APPROVAL,
        mode=BallotMode.ELECTRONIC,
        title="Thông qua",
        motion="Thông qua danh sách",
    )
    trail = Trail()
    with pytest.raises(Conflict) as refused:
        services.ballot_open(actor=chair, ballot=ballot)
    assert refused.value.message == "No quorum: 4 of 7 present, 5 needed."
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.DRAFT and ballot.issued is None
    assert trail.events() == []

    kit.take_attendance(meeting, chair=chair, present=[members[4]])
    trail = Trail()
    opened = services.ballot_open(actor=chair, ballot=ballot)
    assert (opened.status, opened.issued) == (BallotStatus.OPEN, 5)
    [event] = trail.events()
    assert event.action == Action.BALLOT_OPEN
    assert event.changes == {"present": [None, 5], "summoned": [None, 7]}


# --------------------------------------------------------------------------- adjourn, reconvene


def test_adjourn_and_reconvene(world, meeting):
    chair, members = world.body.chair, world.body.members
    kit.in_session(meeting, chair=chair, present=members[:6], absent=members[6:])
    ballot = services.ballot_create(
        actor=chair,
        meeting=meeting,
        kind=BallotKind.APPROVAL,
        mode=BallotMode.ELECTRONIC,
        title="Thông qua",
        motion="Thông qua danh sách",
    )
    services.ballot_open(actor=chair, ballot=ballot)
    with pytest.raises(Conflict, match="Close the open ballot"):
        services.meeting_adjourn(actor=chair, meeting=meeting, reason="Hết giờ")
    services.ballot_close(actor=chair, ballot=ballot)

    with pytest.raises(Invalid):
        services.meeting_adjourn(actor=chair, meeting=meeting, reason="  ")
    with pytest.raises(Forbidden):
        services.meeting_adjourn(actor=world.staff, meeting=meeting, reason="Hết giờ")
    trail = Trail()
    adjourned = services.meeting_adjourn(actor=chair, meeting=meeting, reason="Hết giờ")
    assert adjourned.status == MeetingStatus.ADJOURNED
    [event] = trail.events()
    assert (event.action, event.reason) == (Action.MEETING_ADJOURN, "Hết giờ")
    with pytest.raises(Conflict):
        services.meeting_adjourn(actor=chair, meeting=meeting, reason="Hết giờ")
    with pytest.raises(Conflict):  # no attendance while adjourned
        kit.take_attendance(meeting, chair=chair, present=members)

    trail = Trail()
    again = services.meeting_convene(actor=chair, meeting=meeting)
    assert (again.status, again.session) == (MeetingStatus.CONVENED, 2)
    assert set(meeting.summons.values_list("attendance", "absence_reason")) == {
        (Attendance.UNKNOWN, "")
    }
    [event] = trail.events()
    assert (event.action, event.changes) == (Action.MEETING_CONVENE, {"session": [1, 2]})
    # Attendance is taken afresh: without it there is no quorum.
    second = services.ballot_create(
        actor=chair,
        meeting=meeting,
        kind=BallotKind.APPROVAL,
        mode=BallotMode.ELECTRONIC,
        title="Thông qua lần 2",
        motion="Thông qua danh sách",
    )
    with pytest.raises(Conflict, match="0 of 7 present, 5 needed"):
        services.ballot_open(actor=chair, ballot=second)


# --------------------------------------------------------------------------- closing


def test_close_only_when_no_ballot_is_open(world, meeting):
    chair, members = world.body.chair, world.body.members
    kit.in_session(meeting, chair=chair, present=members)
    ballot = kit.open_ballot(
        meeting, actor=chair, chair=chair, kind=BallotKind.APPROVAL, motion="Thông qua"
    )
    with pytest.raises(Conflict, match="Every ballot must be closed"):
        services.meeting_close(actor=chair, meeting=meeting)
    services.ballot_cast(
        actor=members[1],
        ballot=ballot,
        marks=kit.answer(Choice.APPROVE, ballot.candidates.get().pk),
    )
    services.ballot_close(actor=chair, ballot=ballot)
    with pytest.raises(Forbidden):
        services.meeting_close(actor=world.staff, meeting=meeting)
    trail = Trail()
    closed = services.meeting_close(actor=chair, meeting=meeting)
    assert closed.status == MeetingStatus.CLOSED
    assert trail.actions() == [Action.MEETING_CLOSE]
    with pytest.raises(Conflict):
        services.meeting_close(actor=chair, meeting=meeting)
    with pytest.raises(Conflict):
        services.meeting_convene(actor=chair, meeting=meeting)
    with pytest.raises(Conflict):
        services.ballot_create(
            actor=chair,
            meeting=meeting,
            kind=BallotKind.APPROVAL,
            mode=BallotMode.ELECTRONIC,
            title="Sau khi bế mạc",
            motion="x",
        )


def test_close_waits_for_paper_counts_to_be_confirmed(world, meeting):
    chair, members = world.body.chair, world.body.members
    counters = members[1:3]
    kit.in_session(meeting, chair=chair, present=members, counters=counters)
    ballot = kit.open_ballot(
        meeting,
        actor=chair,
        chair=chair,
        kind=BallotKind.APPROVAL,
        mode=BallotMode.PAPER,
        motion="Thông qua",
    )
    motion = ballot.candidates.get().pk
    services.ballot_paper_enter(
        actor=counters[0],
        ballot=ballot,
        counts=services.PaperCounts(
            issued=7, returned=7, valid=7, invalid=0, per_candidate={(motion, "approve"): 7}
        ),
    )
    with pytest.raises(Conflict):
        services.meeting_close(actor=chair, meeting=meeting)
    services.ballot_paper_confirm(actor=counters[1], ballot=ballot)
    services.meeting_close(actor=chair, meeting=meeting)


def test_a_full_meeting_writes_exactly_its_events(world):
    chair, members = world.body.chair, world.body.members
    trail = Trail()
    meeting = kit.call_meeting(
        actor=world.staff, unit=world.unit, body=world.body.committee, chair=chair
    )
    services.meeting_convene(actor=chair, meeting=meeting)
    kit.take_attendance(meeting, chair=chair, present=members)
    services.meeting_adjourn(actor=chair, meeting=meeting, reason="Nghỉ giữa giờ")
    services.meeting_convene(actor=chair, meeting=meeting)
    kit.take_attendance(meeting, chair=chair, present=members)
    services.meeting_close(actor=chair, meeting=meeting)
    assert trail.actions() == [
        Action.MEETING_CREATE,
        Action.MEETING_CONVENE,
        Action.MEETING_ATTENDANCE,
        Action.MEETING_ADJOURN,
        Action.MEETING_CONVENE,
        Action.MEETING_ATTENDANCE,
        Action.MEETING_CLOSE,
    ]
    assert {e.target_id for e in trail.events()} == {str(meeting.pk)}
    assert {e.procedure for e in trail.events()} == {"meeting"}
    assert {e.unit_id for e in trail.events()} == {world.unit.pk}
    assert Summons.objects.filter(meeting=meeting).count() == 7
