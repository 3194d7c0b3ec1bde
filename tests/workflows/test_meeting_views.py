"""The meetings and ballots pages over HTTP: who sees what, the chair's console, voting, paper
counts, results and minutes. Refusals come back with their status and message, never a 500."""

import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from personnel.models import CommitteeKind, MembershipRole
from tests.factories import CadreFactory, CommitteeFactory, UserFactory, member_of
from workflows.core import selectors, services
from workflows.core.models import (
    Attendance,
    Ballot,
    BallotKind,
    BallotMode,
    BallotStatus,
    Mark,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Participation,
    RuleSet,
)

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- scene


@pytest.fixture
def s(province, district_a, district_b):
    body = CommitteeFactory(unit=province, name="Ban Thường vụ Tỉnh ủy")
    board = CommitteeFactory(
        unit=province, name="Ban Tổ chức Tỉnh ủy", kind=CommitteeKind.ORGANISATION_BOARD
    )
    chair = member_of(
        body,
        role=MembershipRole.CHAIR,
        user=UserFactory(username="chutich", last_name="Lê Minh", first_name="Chủ"),
    )
    members = [
        member_of(
            body, user=UserFactory(username=f"uyvien{i}", last_name="Trần", first_name=f"Ủy{i}")
        )
        for i in range(5)
    ]
    staff = member_of(board, user=UserFactory(username="tochuc"))
    outsider = member_of(CommitteeFactory(unit=district_b), user=UserFactory(username="ngoai"))
    candidates = [
        CadreFactory(unit=district_a, full_name="Nguyễn Thị Ứng Viên"),
        CadreFactory(unit=district_a, full_name="Phạm Văn Đề Cử"),
    ]
    other_cadre = CadreFactory(unit=district_a, full_name="Võ Văn Người Khác")
    return SimpleNamespace(
        province=province,
        body=body,
        board=board,
        chair=chair,
        members=members,
        staff=staff,
        outsider=outsider,
        candidates=candidates,
        other_cadre=other_cadre,
        ruleset=RuleSet.objects.get(code="qd377-2025"),
    )


def client_for(user) -> Client:
    """A logged-in client reading English, so that assertions on messages do not depend on the
    state of the Vietnamese catalogue."""
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_meeting(s, *, kind=MeetingKind.STANDING_COMMITTEE, competent_body=None) -> Meeting:
    return services.meeting_create(
        actor=s.staff,
        title="Hội nghị Ban Thường vụ — nhân sự",
        kind=kind,
        unit=s.province,
        body=s.body,
        competent_body=competent_body,
        ruleset=s.ruleset,
        chair=s.chair,
        scheduled_at=timezone.now(),
    )


def in_session(s, meeting, *, absent=(), counters=()) -> Meeting:
    services.meeting_convene(actor=s.chair, meeting=meeting)
    entries = [
        services.AttendanceEntry(
            user_id=summons.user_id,
            attendance=Attendance.ABSENT if summons.user in absent else Attendance.PRESENT,
            reason="Đi công tác" if summons.user in absent else "",
            counts_votes=summons.user in counters,
        )
        for summons in meeting.summons.select_related("user")
    ]
    services.meeting_record_attendance(actor=s.chair, meeting=meeting, entries=entries)
    meeting.refresh_from_db()
    return meeting


def open_ballot(s, meeting, *, kind=BallotKind.NOMINATION, mode=BallotMode.ELECTRONIC, **kwargs):
    if kind != BallotKind.APPROVAL or "cadres" in kwargs:
        kwargs.setdefault("cadres", s.candidates)
    ballot = services.ballot_create(
        actor=s.staff, meeting=meeting, kind=kind, mode=mode, title="Giới thiệu nhân sự", **kwargs
    )
    return services.ballot_open(actor=s.chair, ballot=ballot)


def url(name, **kwargs):
    return reverse(f"meetings:{name}", kwargs=kwargs)


def candidate_ids(ballot):
    return [c.pk for c in ballot.candidates.order_by("order")]


def text(response) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------- reach


def test_anonymous_is_sent_to_login(client, s):
    meeting = make_meeting(s)
    for path in (url("meeting:index"), url("meeting:detail", meeting_id=meeting.pk)):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_shows_only_meetings_within_reach(s):
    meeting = make_meeting(s)
    for user in (s.chair, s.members[0], s.staff):
        page = client_for(user).get(url("meeting:index"))
        assert page.status_code == 200 and meeting.title in text(page), user
    page = client_for(s.outsider).get(url("meeting:index"))
    assert page.status_code == 200 and meeting.title not in text(page)


def test_the_list_is_shown_a_page_at_a_time_newest_first(s, monkeypatch):
    """A province sees tens of thousands of meetings: the list pages (it used to render every
    one), the newest first, and a page number it cannot read gives a page, not an error."""
    from workflows.core import pages

    monkeypatch.setattr(pages, "PER_PAGE", 2)
    made = [make_meeting(s) for _ in range(3)]
    Meeting.objects.filter(pk=made[0].pk).update(
        scheduled_at=timezone.now() - timezone.timedelta(days=2)
    )
    client = client_for(s.staff)
    index = reverse("meetings:meeting:index")

    def shown(page) -> list[int]:
        text = client.get(index, {"page": page}).content.decode()
        return [m.pk for m in made if reverse("meetings:meeting:detail", args=[m.pk]) in text]

    first = client.get(index).content.decode()
    assert 'rel="next"' in first and "Page 1 of 2" in first
    assert shown(1) == sorted(m.pk for m in made[1:]) and shown(2) == [made[0].pk]
    assert shown("x") == shown(1) and shown(99) == shown(2)  # never a 404 or a 500


def test_competent_body_member_sees_the_meeting(s, district_a):
    competent = CommitteeFactory(unit=s.province, name="Ban Chấp hành")
    reader = member_of(competent)
    meeting = make_meeting(s, competent_body=competent)
    assert client_for(reader).get(url("meeting:detail", meeting_id=meeting.pk)).status_code == 200


def test_non_member_gets_404_on_every_meeting_page(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting)
    client = client_for(s.outsider)
    gets = [
        url("meeting:detail", meeting_id=meeting.pk),
        url("ballot:vote", ballot_id=ballot.pk),
        url("ballot:results", ballot_id=ballot.pk),
        url("ballot:minutes", ballot_id=ballot.pk),
        url("ballot:turnout", ballot_id=ballot.pk),
        url("ballot:paper", ballot_id=ballot.pk),
    ]
    for path in gets:
        assert client.get(path).status_code == 404, path
    posts = [
        url("meeting:convene", meeting_id=meeting.pk),
        url("meeting:adjourn", meeting_id=meeting.pk),
        url("meeting:close", meeting_id=meeting.pk),
        url("meeting:attendance", meeting_id=meeting.pk),
        url("meeting:ballot_create", meeting_id=meeting.pk),
        url("ballot:open", ballot_id=ballot.pk),
        url("ballot:close", ballot_id=ballot.pk),
        url("ballot:vote", ballot_id=ballot.pk),
        url("ballot:paper", ballot_id=ballot.pk),
        url("ballot:paper_confirm", ballot_id=ballot.pk),
        url("ballot:decide", ballot_id=ballot.pk),
    ]
    for path in posts:
        assert client.post(path, {"reason": "x", "pick": "abstain"}).status_code == 404, path
    # Nothing exists to the outsider, not even a missing id.
    assert client.get(url("meeting:detail", meeting_id=999999)).status_code == 404
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.OPEN and not ballot.participations.exists()


def test_call_a_meeting_is_404_without_any_scope(s):
    assert client_for(UserFactory()).get(url("meeting:create")).status_code == 404


# --------------------------------------------------------------------------- chair only


def test_member_who_is_not_the_chair_gets_403_and_nothing_changes(s):
    meeting = make_meeting(s)
    member = client_for(s.members[0])
    events = AuditEvent.objects.count()

    response = member.post(url("meeting:convene", meeting_id=meeting.pk))
    assert response.status_code == 403
    assert "Only the chair of this meeting can do this." in text(response)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED and meeting.session == 0

    meeting = in_session(s, meeting)
    ballot = services.ballot_create(
        actor=s.staff,
        meeting=meeting,
        kind=BallotKind.NOMINATION,
        mode=BallotMode.ELECTRONIC,
        title="Giới thiệu",
        cadres=s.candidates,
    )
    events = AuditEvent.objects.count()
    assert member.post(url("ballot:open", ballot_id=ballot.pk)).status_code == 403
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.DRAFT
    services.ballot_open(actor=s.chair, ballot=ballot)
    events = AuditEvent.objects.count()
    assert member.post(url("ballot:close", ballot_id=ballot.pk)).status_code == 403
    assert member.get(url("ballot:turnout", ballot_id=ballot.pk)).status_code == 403
    assert (
        member.post(url("meeting:adjourn", meeting_id=meeting.pk), {"reason": ""}).status_code
        == 403
    )
    assert member.post(url("meeting:close", meeting_id=meeting.pk)).status_code == 403
    assert member.post(url("meeting:attendance", meeting_id=meeting.pk), {}).status_code == 403
    assert member.post(url("ballot:decide", ballot_id=ballot.pk), {}).status_code == 403
    ballot.refresh_from_db()
    meeting.refresh_from_db()
    assert ballot.status == BallotStatus.OPEN and meeting.status == MeetingStatus.CONVENED
    assert AuditEvent.objects.count() == events


def test_member_sees_a_read_only_page_with_a_vote_link(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting)
    page = text(client_for(s.members[0]).get(url("meeting:detail", meeting_id=meeting.pk)))
    assert f'data-testid="vote-link-{ballot.pk}"' in page
    for control in (
        'data-testid="convene"',
        "attendance-form",
        "ballot-form",
        "turnout-",
        "close-",
    ):
        assert control not in page, control
    chair_page = text(client_for(s.chair).get(url("meeting:detail", meeting_id=meeting.pk)))
    assert f'data-testid="turnout-{ballot.pk}"' in chair_page
    assert f'data-testid="close-{ballot.pk}"' in chair_page


def test_org_board_staff_may_prepare_ballots_but_not_run_the_meeting(s):
    meeting = in_session(s, make_meeting(s))
    staff = client_for(s.staff)
    page = text(staff.get(url("meeting:detail", meeting_id=meeting.pk)))
    assert "ballot-form" in page and 'data-testid="adjourn"' not in page
    response = staff.post(
        url("meeting:ballot_create", meeting_id=meeting.pk),
        {
            "kind": "confidence",
            "mode": "electronic",
            "title": "Lấy phiếu tín nhiệm",
            "seats": "1",
            "candidates": [s.candidates[0].pk],
        },
    )
    assert response.status_code == 303
    assert meeting.ballots.get().kind == BallotKind.CONFIDENCE
    assert staff.post(url("meeting:convene", meeting_id=meeting.pk)).status_code == 403


# --------------------------------------------------------------------------- the chair's flow


def test_chair_flow_over_http(s):
    chair = client_for(s.chair)

    # Call the meeting (the chair may call their own meeting).
    page = chair.get(url("meeting:create"))
    assert page.status_code == 200
    response = chair.post(
        url("meeting:create"),
        {
            "title": "Hội nghị Ban Thường vụ tháng 11",
            "kind": MeetingKind.STANDING_COMMITTEE,
            "body": s.body.pk,
            "competent_body": "",
            "ruleset": s.ruleset.pk,
            "chair": s.chair.pk,
            "scheduled_at": "2025-11-20T08:00",
        },
    )
    assert response.status_code == 303
    meeting = Meeting.objects.get(title="Hội nghị Ban Thường vụ tháng 11")
    assert response["Location"] == url("meeting:detail", meeting_id=meeting.pk)
    assert meeting.summons.count() == 6
    assert timezone.localtime(meeting.scheduled_at).hour == 8

    # Convene, then take attendance: one member absent, two count the votes.
    assert chair.post(url("meeting:convene", meeting_id=meeting.pk)).status_code == 303
    absent = s.members[4]
    data = {}
    for summons in meeting.summons.all():
        uid = summons.user_id
        data[f"attendance_{uid}"] = "absent" if uid == absent.pk else "present"
        data[f"reason_{uid}"] = "Ốm" if uid == absent.pk else ""
        if uid in (s.members[0].pk, s.members[1].pk):
            data[f"counts_{uid}"] = "on"
    assert chair.post(url("meeting:attendance", meeting_id=meeting.pk), data).status_code == 303
    quorum = services.meeting_quorum(meeting)
    assert (quorum.present, quorum.summoned, quorum.met) == (5, 6, True)
    page = text(chair.get(url("meeting:detail", meeting_id=meeting.pk)))
    assert "5 present of 6 summoned; 4 needed." in page and "Quorum met." in page

    # Prepare a nomination ballot and open it.
    response = chair.post(
        url("meeting:ballot_create", meeting_id=meeting.pk),
        {
            "kind": "nomination",
            "mode": "electronic",
            "title": "Giới thiệu Phó Trưởng Ban",
            "candidates": [c.pk for c in s.candidates],
            "motion": "",
            "seats": "1",
        },
    )
    assert response.status_code == 303
    ballot = meeting.ballots.get()
    assert ballot.candidates.count() == 2 and not ballot.sealed
    assert chair.post(url("ballot:open", ballot_id=ballot.pk)).status_code == 303
    turnout = chair.get(url("ballot:turnout", ballot_id=ballot.pk))
    assert turnout.json() == {"voted": 0, "eligible": 5, "status": "open"}

    # Nobody sees results while the ballot is open.
    early = client_for(s.members[0]).get(url("ballot:results", ballot_id=ballot.pk))
    assert early.status_code == 403

    first, second = candidate_ids(ballot)
    picks = {s.members[0]: first, s.members[1]: first, s.members[2]: first, s.members[3]: second}
    for member, pick in picks.items():
        voter = client_for(member)
        paper = voter.get(url("ballot:vote", ballot_id=ballot.pk))
        assert paper.status_code == 200 and 'data-testid="vote-form"' in text(paper)
        response = voter.post(url("ballot:vote", ballot_id=ballot.pk), {"pick": str(pick)})
        assert response.status_code == 303
        after = voter.get(response["Location"])
        assert 'data-testid="vote-recorded"' in text(after)
        # The choice is never echoed back.
        for cadre in s.candidates:
            assert cadre.full_name not in text(after)
    assert chair.get(url("ballot:turnout", ballot_id=ballot.pk)).json()["voted"] == 4

    # A second attempt is a 409 with the service's message.
    again = client_for(s.members[0]).post(
        url("ballot:vote", ballot_id=ballot.pk), {"pick": str(second)}
    )
    assert again.status_code == 409
    assert "You have already voted in this ballot." in text(again)
    assert Participation.objects.filter(ballot=ballot).count() == 4

    # The absent member cannot vote.
    refused = client_for(absent).post(url("ballot:vote", ballot_id=ballot.pk), {"pick": str(first)})
    assert refused.status_code == 403
    assert client_for(absent).get(url("ballot:vote", ballot_id=ballot.pk)).status_code == 403

    # Close; the turnout endpoint now says so.
    assert chair.post(url("ballot:close", ballot_id=ballot.pk)).status_code == 303
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.CLOSED
    assert chair.get(url("ballot:turnout", ballot_id=ballot.pk)).json()["status"] == "closed"

    # Voting after close: 409.
    late = client_for(s.chair).post(url("ballot:vote", ballot_id=ballot.pk), {"pick": str(first)})
    assert late.status_code == 409

    # Announced (not sealed): everyone summoned sees the results and the minutes.
    for user in (s.members[3], absent, s.staff):
        results = client_for(user).get(url("ballot:results", ballot_id=ballot.pk))
        assert results.status_code == 200, user
        body = text(results)
        assert "Nguyễn Thị Ứng Viên" in body and 'data-testid="outcome"' in body
        assert 'data-testid="denominator-value">6<' in body  # summoned
    assert ballot.outcome["result"]["result"] == "carried_forward"  # 3 of 6 is not more than half
    minutes = client_for(s.members[0]).get(url("ballot:minutes", ballot_id=ballot.pk))
    assert minutes.status_code == 200
    body = text(minutes)
    assert "<!DOCTYPE html>" in body and s.members[0].get_full_name() in body  # counting group
    assert not AuditEvent.objects.filter(action=Action.BALLOT_RESULTS_VIEW).exists()

    # Adjourn needs a reason; then reconvene and close the meeting.
    assert (
        chair.post(url("meeting:adjourn", meeting_id=meeting.pk), {"reason": ""}).status_code == 400
    )
    assert (
        chair.post(
            url("meeting:adjourn", meeting_id=meeting.pk), {"reason": "Nghỉ trưa"}
        ).status_code
        == 303
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.ADJOURNED
    assert chair.post(url("meeting:convene", meeting_id=meeting.pk)).status_code == 303
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CONVENED and meeting.session == 2
    assert chair.post(url("meeting:close", meeting_id=meeting.pk)).status_code == 303
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert chair.post(url("meeting:close", meeting_id=meeting.pk)).status_code == 409


def test_nominated_outcome_in_words(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting)
    first, _second = candidate_ids(ballot)
    for member in s.members[:4]:
        assert (
            client_for(member)
            .post(url("ballot:vote", ballot_id=ballot.pk), {"pick": first})
            .status_code
            == 303
        )
    client_for(s.chair).post(url("ballot:close", ballot_id=ballot.pk))
    body = text(client_for(s.members[0]).get(url("ballot:results", ballot_id=ballot.pk)))
    assert "Nominated: Nguyễn Thị Ứng Viên." in body
    assert "66.67 %" in body  # 4 of 6 summoned


def test_write_in_and_abstain(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting)
    voter = client_for(s.members[0])
    page = text(voter.get(url("ballot:vote", ballot_id=ballot.pk)))
    assert s.other_cadre.full_name not in page  # listed once looked up by name:
    found = voter.post(
        url("ballot:vote", ballot_id=ballot.pk),
        {"pick": "other", "find": "nguoi khac", "search": "1"},
    )
    assert found.status_code == 200
    assert s.other_cadre.full_name in text(found)  # may be named instead
    assert not Participation.objects.filter(ballot=ballot).exists()  # nothing cast
    assert voter.post(url("ballot:vote", ballot_id=ballot.pk), {"pick": "other"}).status_code == 400
    response = voter.post(
        url("ballot:vote", ballot_id=ballot.pk), {"pick": "other", "write_in": s.other_cadre.pk}
    )
    assert response.status_code == 303
    # The name written in does not appear on the next voter's paper as a candidate.
    next_paper = text(client_for(s.members[1]).get(url("ballot:vote", ballot_id=ballot.pk)))
    assert 'data-testid="choice-other"' in next_paper
    assert (
        client_for(s.members[1])
        .post(url("ballot:vote", ballot_id=ballot.pk), {"pick": "abstain"})
        .status_code
        == 303
    )
    client_for(s.chair).post(url("ballot:close", ballot_id=ballot.pk))
    body = text(client_for(s.members[2]).get(url("ballot:results", ballot_id=ballot.pk)))
    assert "Võ Văn Người Khác" in body
    ballot.refresh_from_db()
    assert ballot.outcome["counts"]["abstained"] == 1


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"', select)


def test_a_paper_lists_write_ins_only_once_looked_up(s):
    """A paper never lists every cadre it accepts (a province: some 50,000): the voter looks a
    name up on the paper itself; what they had marked stays marked, nothing is cast, and the
    name looked up travels in the POST body, never in an address."""
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting)
    for i in range(40):
        CadreFactory(unit=s.other_cadre.unit, full_name=f"Đặng Văn Thứ {i}")
    voter = client_for(s.members[0])
    vote_url = url("ballot:vote", ballot_id=ballot.pk)
    paper = voter.get(vote_url).content.decode()
    assert _options(paper, "write_in") == [""]
    assert 'name="search"' in paper and 'name="find"' in paper
    found = voter.post(vote_url, {"pick": "other", "find": "DANG van", "search": "1"})
    body = found.content.decode()
    assert found.status_code == 200
    listed = _options(body, "write_in")[1:]
    assert len(listed) == selectors.WRITE_IN_MATCHES  # 40 match; a page of them
    assert str(s.other_cadre.pk) not in listed
    assert re.search(r'<input type="radio" name="pick" value="other"[^>]*checked', body)
    assert 'value="DANG van"' in body  # the look-up stays in its box
    assert 'role="alert"' not in body  # a paper not cast is not judged
    assert not Participation.objects.filter(ballot=ballot).exists()
    # The paper accepts any cadre it may name, listed or not; what was chosen stays listed.
    again = voter.post(
        vote_url, {"pick": "other", "write_in": s.other_cadre.pk, "find": "", "search": "1"}
    )
    assert _options(again.content.decode(), "write_in")[1:] == [str(s.other_cadre.pk)]
    cast = voter.post(vote_url, {"pick": "other", "write_in": s.other_cadre.pk, "find": "dang"})
    assert cast.status_code == 303
    assert Participation.objects.filter(ballot=ballot).count() == 1
    # Looking up after voting is refused like the paper itself.
    assert voter.post(vote_url, {"find": "dang", "search": "1"}).status_code == 409


def test_a_look_up_lists_no_cadre_outside_the_meetings_unit(s):
    from tests.factories import OrgUnitFactory

    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting)
    elsewhere = OrgUnitFactory(name="Tỉnh Khác", code="other-province")
    stranger = CadreFactory(unit=elsewhere, full_name="Võ Văn Người Khác Tỉnh")
    body = (
        client_for(s.members[0])
        .post(url("ballot:vote", ballot_id=ballot.pk), {"find": "nguoi khac", "search": "1"})
        .content.decode()
    )
    listed = _options(body, "write_in")[1:]
    assert listed == [str(s.other_cadre.pk)]
    assert str(stranger.pk) not in listed


def test_a_paper_for_two_posts_looks_names_up_too(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting, seats=2)
    a, _b = candidate_ids(ballot)
    voter = client_for(s.members[0])
    vote_url = url("ballot:vote", ballot_id=ballot.pk)
    assert _options(voter.get(vote_url).content.decode(), "write_ins") == []
    body = voter.post(
        vote_url, {"picks": [a], "find": "người khác", "search": "1"}
    ).content.decode()
    assert _options(body, "write_ins") == [str(s.other_cadre.pk)]
    assert re.search(rf'<input type="checkbox" name="picks" value="{a}"[^>]*checked', body)
    cast = voter.post(vote_url, {"picks": [a], "write_ins": [s.other_cadre.pk]})
    assert cast.status_code == 303


def test_nomination_for_two_posts_limits_the_names(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting, seats=2)
    voter = client_for(s.members[0])
    a, b = candidate_ids(ballot)
    too_many = {"picks": [a, b], "write_ins": [s.other_cadre.pk]}
    assert voter.post(url("ballot:vote", ballot_id=ballot.pk), too_many).status_code == 400
    assert voter.post(url("ballot:vote", ballot_id=ballot.pk), {}).status_code == 400
    both = {"picks": [a], "abstain": "on"}
    assert voter.post(url("ballot:vote", ballot_id=ballot.pk), both).status_code == 400
    assert not Participation.objects.filter(ballot=ballot).exists()
    assert voter.post(url("ballot:vote", ballot_id=ballot.pk), {"picks": [a, b]}).status_code == 303
    assert Mark.objects.filter(ballot=ballot).count() == 2


# --------------------------------------------------------------------------- sealed results


def test_sealed_results_only_for_the_board_and_competent_body_and_audited(s):
    competent = CommitteeFactory(unit=s.province, name="Ban Chấp hành Tỉnh ủy")
    reader = member_of(competent)
    meeting = in_session(
        s, make_meeting(s, kind=MeetingKind.KEY_OFFICIALS, competent_body=competent)
    )
    ballot = open_ballot(s, meeting)
    assert ballot.sealed
    first, _ = candidate_ids(ballot)
    for member in s.members[:3]:
        client_for(member).post(url("ballot:vote", ballot_id=ballot.pk), {"pick": first})
    client_for(s.chair).post(url("ballot:close", ballot_id=ballot.pk))

    member_view = client_for(s.members[0]).get(url("ballot:results", ballot_id=ballot.pk))
    assert member_view.status_code == 403
    assert "sealed" in text(member_view)
    assert (
        client_for(s.members[0]).get(url("ballot:minutes", ballot_id=ballot.pk)).status_code == 403
    )
    detail = text(client_for(s.members[0]).get(url("meeting:detail", meeting_id=meeting.pk)))
    assert f'data-testid="results-{ballot.pk}"' not in detail
    assert client_for(s.outsider).get(url("ballot:results", ballot_id=ballot.pk)).status_code == 404

    for user in (s.staff, reader):
        assert client_for(user).get(url("ballot:results", ballot_id=ballot.pk)).status_code == 200
    assert client_for(s.staff).get(url("ballot:minutes", ballot_id=ballot.pk)).status_code == 200
    reads = AuditEvent.objects.filter(action=Action.BALLOT_RESULTS_VIEW, target_id=str(ballot.pk))
    assert reads.count() == 3
    assert set(reads.values_list("actor_username", flat=True)) == {"tochuc", reader.username}


# --------------------------------------------------------------------------- other kinds


def test_confidence_ballot(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting, kind=BallotKind.CONFIDENCE)
    a, b = candidate_ids(ballot)
    voter = client_for(s.members[0])
    page = text(voter.get(url("ballot:vote", ballot_id=ballot.pk)))
    assert f'data-testid="choice-{a}-high"' in page and f'data-testid="choice-{b}-low"' in page
    missing = voter.post(url("ballot:vote", ballot_id=ballot.pk), {f"c_{a}": "high"})
    assert missing.status_code == 400 and 'role="alert"' in text(missing)
    wrong = voter.post(
        url("ballot:vote", ballot_id=ballot.pk), {f"c_{a}": "approve", f"c_{b}": "low"}
    )
    assert wrong.status_code == 400
    ok = voter.post(url("ballot:vote", ballot_id=ballot.pk), {f"c_{a}": "high", f"c_{b}": "low"})
    assert ok.status_code == 303
    for member in s.members[1:4]:
        client_for(member).post(
            url("ballot:vote", ballot_id=ballot.pk), {f"c_{a}": "confidence", f"c_{b}": "low"}
        )
    client_for(s.chair).post(url("ballot:close", ballot_id=ballot.pk))
    body = text(client_for(s.members[0]).get(url("ballot:results", ballot_id=ballot.pk)))
    assert "Retains confidence" in body
    assert "to be considered for dismissal" in body  # 4 low of 4 valid


def test_approval_tie_goes_to_the_head(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting, kind=BallotKind.APPROVAL, motion="Thông qua danh sách")
    (motion,) = candidate_ids(ballot)
    votes = ["approve", "approve", "approve", "disapprove", "disapprove", "abstain"]
    for user, choice in zip([s.chair, *s.members], votes, strict=True):
        response = client_for(user).post(
            url("ballot:vote", ballot_id=ballot.pk), {f"c_{motion}": choice}
        )
        assert response.status_code == 303
    chair = client_for(s.chair)
    chair.post(url("ballot:close", ballot_id=ballot.pk))
    ballot.refresh_from_db()
    assert ballot.outcome["needs_head_decision"]  # 3 of 6 (collective total)

    page = chair.get(url("ballot:results", ballot_id=ballot.pk))
    assert 'data-testid="decision-form"' in text(page)
    assert "the head decides" in text(page)
    member_page = text(client_for(s.members[0]).get(url("ballot:results", ballot_id=ballot.pk)))
    assert "decision-form" not in member_page
    assert (
        client_for(s.members[0]).post(url("ballot:decide", ballot_id=ballot.pk), {}).status_code
        == 403
    )

    empty = chair.post(
        url("ballot:decide", ballot_id=ballot.pk), {"decision": "Đồng ý", "differing_opinions": ""}
    )
    assert empty.status_code == 400
    done = chair.post(
        url("ballot:decide", ballot_id=ballot.pk),
        {"decision": "Đồng ý thông qua", "differing_opinions": "Hai đồng chí không tán thành."},
    )
    assert done.status_code == 303
    ballot.refresh_from_db()
    assert ballot.head_decision == "Đồng ý thông qua"
    again = chair.post(
        url("ballot:decide", ballot_id=ballot.pk), {"decision": "x", "differing_opinions": "y"}
    )
    assert again.status_code == 409
    minutes = text(chair.get(url("ballot:minutes", ballot_id=ballot.pk)))
    assert "Đồng ý thông qua" in minutes and "Hai đồng chí không tán thành." in minutes


# --------------------------------------------------------------------------- paper ballots


def paper_data(ballot, *, issued, returned, valid, invalid, counts):
    data = {"issued": issued, "returned": returned, "valid": valid, "invalid": invalid}
    for cid, n in zip(candidate_ids(ballot), counts, strict=True):
        data[f"n_{cid}_nominate"] = n
    return data


def test_paper_flow(s):
    counters = s.members[:2]
    meeting = in_session(s, make_meeting(s), counters=counters)
    ballot = open_ballot(s, meeting, mode=BallotMode.PAPER)
    first, second = (client_for(u) for u in counters)
    paper = url("ballot:paper", ballot_id=ballot.pk)

    # Only the counting group.
    assert client_for(s.members[2]).get(paper).status_code == 403
    assert (
        client_for(s.chair)
        .post(paper, paper_data(ballot, issued=6, returned=6, valid=6, invalid=0, counts=[4, 2]))
        .status_code
        == 403
    )
    # No electronic voting and no chair's close on paper.
    assert client_for(s.members[2]).get(url("ballot:vote", ballot_id=ballot.pk)).status_code == 409
    assert client_for(s.chair).post(url("ballot:close", ballot_id=ballot.pk)).status_code == 409

    page = first.get(paper)
    assert page.status_code == 200 and 'value="6"' in text(page)  # issued, from the opening

    wrong = first.post(
        paper, paper_data(ballot, issued=6, returned=6, valid=5, invalid=0, counts=[3, 2])
    )
    assert wrong.status_code == 400
    assert "The counts do not add up" in text(wrong)
    too_many = first.post(
        paper, paper_data(ballot, issued=6, returned=6, valid=5, invalid=1, counts=[5, 2])
    )
    assert too_many.status_code == 400
    assert "More nominations counted than valid ballots allow." in text(too_many)
    negative = first.post(
        paper, paper_data(ballot, issued=6, returned=6, valid=5, invalid=1, counts=[-1, 2])
    )
    assert negative.status_code == 400
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.OPEN

    good = first.post(
        paper, paper_data(ballot, issued=6, returned=6, valid=5, invalid=1, counts=[4, 1])
    )
    assert good.status_code == 303
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.COUNTED and ballot.entered_by == counters[0]

    # The same member cannot confirm.
    same = first.post(url("ballot:paper_confirm", ballot_id=ballot.pk))
    assert same.status_code == 403
    assert "second member" in text(same)
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.COUNTED and ballot.confirmed_by is None
    assert 'data-testid="paper-confirm"' in text(second.get(paper))
    assert 'data-testid="paper-confirm"' not in text(first.get(paper))

    assert second.post(url("ballot:paper_confirm", ballot_id=ballot.pk)).status_code == 303
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.CLOSED and ballot.confirmed_by == counters[1]
    assert ballot.outcome["result"]["nominated"] == [candidate_ids(ballot)[0]]
    minutes = text(client_for(s.chair).get(url("ballot:minutes", ballot_id=ballot.pk)))
    assert counters[0].get_full_name() in minutes and counters[1].get_full_name() in minutes
    assert 'data-testid="confirmation"' in minutes
    # Entering counts after close is refused.
    assert first.get(paper).status_code == 409


# --------------------------------------------------------------------------- bad input


BASE_MEETING = {
    "title": "Hội nghị",
    "kind": MeetingKind.STANDING_COMMITTEE,
    "competent_body": "",
    "scheduled_at": "2025-11-20T08:00",
}


@pytest.mark.parametrize(
    "change",
    [
        {"title": ""},
        {"title": "x" * 500},
        {"kind": "party"},
        {"body": "999999"},
        {"body": "abc"},
        {"ruleset": "0"},
        {"chair": "abc"},
        {"chair": ""},
        {"scheduled_at": "tomorrow"},
        {"scheduled_at": ""},
        {"competent_body": "-4"},
    ],
)
def test_call_a_meeting_bad_input_is_a_form_error(s, change):
    data = {
        **BASE_MEETING,
        "body": s.body.pk,
        "ruleset": s.ruleset.pk,
        "chair": s.chair.pk,
        **change,
    }
    response = client_for(s.staff).post(url("meeting:create"), data)
    assert response.status_code == 400
    assert 'role="alert"' in text(response)
    assert not Meeting.objects.exists()


def test_call_a_meeting_outside_scope_or_with_a_chair_outside_the_body(s, district_b):
    staff = client_for(s.staff)
    other = CommitteeFactory(unit=district_b)
    # A district committee is inside the province board's scope, but the chair is not its member.
    data = {**BASE_MEETING, "body": other.pk, "ruleset": s.ruleset.pk, "chair": s.chair.pk}
    assert staff.post(url("meeting:create"), data).status_code == 400
    # The outsider cannot pick the province body at all.
    data = {**BASE_MEETING, "body": s.body.pk, "ruleset": s.ruleset.pk, "chair": s.outsider.pk}
    assert client_for(s.outsider).post(url("meeting:create"), data).status_code == 400
    # A plain member may call only a meeting they chair: the service says so, as a form error.
    data = {**BASE_MEETING, "body": s.body.pk, "ruleset": s.ruleset.pk, "chair": s.chair.pk}
    response = client_for(s.members[0]).post(url("meeting:create"), data)
    assert response.status_code == 403
    assert "Only the organisation board or the chair can call this meeting." in text(response)
    assert not Meeting.objects.exists()


def test_console_bad_input_is_a_form_error(s):
    meeting = make_meeting(s)
    chair = client_for(s.chair)
    chair.post(url("meeting:convene", meeting_id=meeting.pk))
    # Convening twice is a conflict.
    assert chair.post(url("meeting:convene", meeting_id=meeting.pk)).status_code == 409
    uid = s.members[0].pk
    response = chair.post(
        url("meeting:attendance", meeting_id=meeting.pk), {f"attendance_{uid}": "absent"}
    )
    assert response.status_code == 400 and 'role="alert"' in text(response)
    assert (
        chair.post(
            url("meeting:attendance", meeting_id=meeting.pk), {f"attendance_{uid}": "maybe"}
        ).status_code
        == 400
    )
    assert meeting.summons.get(user_id=uid).attendance == Attendance.UNKNOWN

    create = url("meeting:ballot_create", meeting_id=meeting.pk)
    bad = [
        {"kind": "nomination", "mode": "electronic", "title": "T", "seats": "1"},  # no candidate
        {
            "kind": "approval",
            "mode": "electronic",
            "title": "T",
            "seats": "1",
        },  # nothing to approve
        {
            "kind": "nomination",
            "mode": "electronic",
            "title": "T",
            "seats": "1",
            "motion": "M",
            "candidates": [s.candidates[0].pk],
        },
        {"kind": "nomination", "mode": "electronic", "title": "T", "seats": "zero"},
        {"kind": "nomination", "mode": "pigeon", "title": "T", "seats": "1"},
        {"kind": "nomination", "mode": "electronic", "title": "", "seats": "1"},
        {
            "kind": "nomination",
            "mode": "electronic",
            "title": "T",
            "seats": "1",
            "candidates": ["999999"],
        },
        {},
    ]
    for data in bad:
        response = chair.post(create, data)
        assert response.status_code == 400, data
        assert 'role="alert"' in text(response), data
    assert not meeting.ballots.exists()

    # Opening without quorum (nobody recorded present) is a conflict with the numbers.
    ballot = services.ballot_create(
        actor=s.chair,
        meeting=meeting,
        kind=BallotKind.NOMINATION,
        mode=BallotMode.ELECTRONIC,
        title="T",
        cadres=s.candidates,
    )
    response = chair.post(url("ballot:open", ballot_id=ballot.pk))
    assert response.status_code == 409 and "No quorum" in text(response)


def test_vote_bad_input_is_a_form_error(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting)
    voter = client_for(s.members[0])
    vote = url("ballot:vote", ballot_id=ballot.pk)
    for data in (
        {},
        {"pick": "999999"},
        {"pick": "banana"},
        {"pick": "other", "write_in": "abc"},
        {"pick": "other", "write_in": s.candidates[0].pk},
    ):
        response = voter.post(vote, data)
        assert response.status_code == 400, data
        assert 'role="alert"' in text(response), data
    assert not Participation.objects.filter(ballot=ballot).exists()
    # Once voted (or when voting is not possible at all) junk gets the refusal, not a form error.
    assert voter.post(vote, {"pick": "abstain"}).status_code == 303
    assert voter.post(vote, {}).status_code == 409
    assert client_for(s.staff).post(vote, {}).status_code == 403  # not summoned
    assert Participation.objects.filter(ballot=ballot).count() == 1


def test_turnout_json_carries_nothing_else(s):
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting)
    client_for(s.members[0]).post(url("ballot:vote", ballot_id=ballot.pk), {"pick": "abstain"})
    response = client_for(s.chair).get(url("ballot:turnout", ballot_id=ballot.pk))
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"voted": 1, "eligible": 6, "status": "open"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_refused_votes_write_nothing(s):
    """Refused requests write nothing: no participation, no mark, no audit event."""
    meeting = in_session(s, make_meeting(s))
    ballot = open_ballot(s, meeting)
    events = AuditEvent.objects.count()
    client_for(s.staff).post(
        url("ballot:vote", ballot_id=ballot.pk), {"pick": "abstain"}
    )  # not summoned
    client_for(s.outsider).post(url("ballot:vote", ballot_id=ballot.pk), {"pick": "abstain"})
    assert AuditEvent.objects.count() == events
    assert not Participation.objects.exists() and not Mark.objects.exists()
    assert Ballot.objects.get().status == BallotStatus.OPEN
