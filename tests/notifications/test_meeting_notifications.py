"""Meetings tell the right people: the summoned when a meeting is called (when and where), the
present voters when a ballot opens, every voting member when it closes — never more, and never
a list that depends on who voted."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tests.workflows import ballot_kit as kit
from workflows.core import services
from workflows.core.errors import Forbidden
from workflows.core.models import MeetingKind

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _rulesets(transactional_db):
    kit.load_rulesets()


def _recipients(kind: str, **params) -> list[int]:
    qs = Notification.objects.filter(kind=kind)
    for key, value in params.items():
        qs = qs.filter(**{f"params__{key}": value})
    return sorted(qs.values_list("recipient_id", flat=True))


def _ids(users) -> list[int]:
    return sorted(u.pk for u in users)


@pytest.fixture
def session(district_a, province):
    """A committee of nine in session: one absent, one adviser (present, does not vote), one
    excluded from the count (present) — six present voters."""
    body = kit.body_with_members(district_a, 9)
    staff = kit.board_staff(province)
    meeting = kit.call_meeting(
        actor=staff, unit=district_a, body=body.committee, chair=body.chair, title="Hội nghị 9"
    )
    chair, members = body.chair, body.members
    absent, adviser, excluded = members[-1], members[-2], members[-3]
    meeting = services.meeting_convene(actor=chair, meeting=meeting)
    services.meeting_summons_set(
        actor=chair, meeting=meeting, user_id=adviser.pk, votes=False, excluded=False
    )
    services.meeting_summons_set(
        actor=chair,
        meeting=meeting,
        user_id=excluded.pk,
        votes=True,
        excluded=True,
        reason="Đang tạm đình chỉ",
    )
    kit.take_attendance(meeting, chair=chair, present=members[:-1], absent=[absent])
    return SimpleNamespace(
        body=body,
        staff=staff,
        meeting=meeting,
        chair=chair,
        absent=absent,
        adviser=adviser,
        excluded=excluded,
        present_voters=[m for m in members[:-1] if m not in (adviser, excluded)],
        district=district_a,
    )


def test_calling_a_meeting_summons_everyone_but_the_caller_with_time_and_place(
    district_a, province
):
    body = kit.body_with_members(district_a, 4)
    staff = kit.board_staff(province)
    when = timezone.now() + dt.timedelta(days=2)
    meeting = services.meeting_create(
        actor=staff,
        title="Hội nghị Ban Thường vụ",
        kind=MeetingKind.STANDING_COMMITTEE,
        unit=district_a,
        ruleset=kit.ruleset(),
        chair=body.chair,
        scheduled_at=when,
        body=body.committee,
        place="Hội trường A, Thành ủy",
    )
    assert _recipients("meeting.summoned") == _ids(body.members)
    note = Notification.objects.filter(kind="meeting.summoned").first()
    assert note.params == {
        "meeting": "Hội nghị Ban Thường vụ",
        "when": meeting.scheduled_at.isoformat(),
        "place": "Hội trường A, Thành ủy",
    }
    assert note.link == reverse("meetings:meeting:detail", kwargs={"meeting_id": meeting.pk})
    title, body_text = note.rendered("en")
    assert title == "You are summoned: Hội nghị Ban Thường vụ"
    local = timezone.localtime(when)
    assert local.strftime("%m/%d/%Y") in body_text
    assert body_text.endswith("Hội trường A, Thành ủy")

    # The chair calling their own meeting is not told about it; the others are. Without a
    # place, the unit stands in.
    Notification.objects.all().delete()
    kit.call_meeting(
        actor=body.chair, unit=district_a, body=body.committee, chair=body.chair, title="Họp 2"
    )
    assert _recipients("meeting.summoned") == _ids(body.others)
    assert {n.params["place"] for n in Notification.objects.all()} == {district_a.name}


def test_calling_a_meeting_that_fails_summons_nobody(district_a, province):
    body = kit.body_with_members(district_a, 3)
    outsider = kit.fresh_user()
    with pytest.raises(Forbidden):
        kit.call_meeting(actor=outsider, unit=district_a, body=body.committee, chair=body.chair)
    assert not Notification.objects.exists()


def test_opening_a_ballot_tells_exactly_the_present_voters(session):
    before = Notification.objects.count()
    candidates = kit.cadres(session.district, 2)
    ballot = kit.open_ballot(
        session.meeting, actor=session.staff, chair=session.chair, candidates=candidates
    )
    assert _recipients("ballot.opened") == _ids(session.present_voters)
    assert len(session.present_voters) == 6
    for left_out in (session.absent, session.adviser, session.excluded, session.staff):
        assert left_out.pk not in _recipients("ballot.opened")
    note = Notification.objects.filter(kind="ballot.opened").first()
    assert note.params == {"ballot": ballot.title, "meeting": "Hội nghị 9"}
    assert note.link == reverse("meetings:ballot:vote", kwargs={"ballot_id": ballot.pk})
    assert Notification.objects.count() == before + 6


@pytest.mark.parametrize("voting", ["nobody", "some", "everyone"])
def test_closing_a_ballot_tells_every_voting_member_whoever_voted(session, voting):
    candidates = kit.cadres(session.district, 2)
    ballot = kit.open_ballot(
        session.meeting, actor=session.staff, chair=session.chair, candidates=candidates
    )
    a, b = kit.candidate_ids(ballot).values()
    voters = {"nobody": [], "some": session.present_voters[:2], "everyone": session.present_voters}
    for voter, pick in zip(voters[voting], [a, b] * 3, strict=False):
        services.ballot_cast(actor=voter, ballot=ballot, marks=kit.nominate(pick))
    assert not Notification.objects.filter(kind="ballot.closed").exists()  # voting said nothing

    services.ballot_close(actor=session.chair, ballot=ballot)
    # Every summoned voting member — absent and excluded included, the adviser not: the list is
    # the same however many voted, so it tells nobody who did.
    expected = [m for m in session.body.members if m != session.adviser]
    assert _recipients("ballot.closed") == _ids(expected)
    assert all(
        n.params == {"ballot": ballot.title, "meeting": "Hội nghị 9"}
        for n in Notification.objects.filter(kind="ballot.closed")
    )
