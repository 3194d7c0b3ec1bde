"""A secret ballot in the browser: the chair opens it, three members vote from their phones, the
chair watches the turnout move by itself, closes the ballot and reads the outcome."""

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from personnel.models import MembershipRole
from tests.factories import CadreFactory, CommitteeFactory, OrgUnitFactory, UserFactory, member_of
from workflows.core import services
from workflows.core.models import Attendance, BallotKind, BallotMode, MeetingKind, RuleSet

PHONE = {
    "locale": "vi-VN",
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


@pytest.fixture
def scene(transactional_db):
    # An earlier transactional test's flush empties every table, rule-sets from the data
    # migration included: load them again (idempotent).
    import_module("workflows.core.migrations.0002_rulesets").load(apps, None)
    province = OrgUnitFactory(name="Tỉnh Đồng Tháp", code="dt")
    body = CommitteeFactory(unit=province, name="Ban Thường vụ Tỉnh ủy")
    chair = member_of(
        body,
        role=MembershipRole.CHAIR,
        user=UserFactory(username="chutich", last_name="Lê Minh", first_name="Hoan"),
    )
    voters = [
        member_of(body, user=UserFactory(username=f"uyvien{i}", last_name="Trần Văn", first_name=n))
        for i, n in enumerate(["An", "Bình", "Cường"])
    ]
    first = CadreFactory(unit=province, full_name="Nguyễn Thị Thu Hà")
    second = CadreFactory(unit=province, full_name="Phạm Văn Bảo")
    other = CadreFactory(unit=province, full_name="Võ Văn Người Khác")
    meeting = services.meeting_create(
        actor=chair,
        title="Hội nghị Ban Thường vụ Tỉnh ủy — giới thiệu nhân sự",
        kind=MeetingKind.STANDING_COMMITTEE,
        unit=province,
        body=body,
        ruleset=RuleSet.objects.get(code="qd377-2025"),
        chair=chair,
        scheduled_at=timezone.now(),
    )
    services.meeting_convene(actor=chair, meeting=meeting)
    services.meeting_record_attendance(
        actor=chair,
        meeting=meeting,
        entries=[
            services.AttendanceEntry(user_id=s.user_id, attendance=Attendance.PRESENT)
            for s in meeting.summons.all()
        ],
    )
    ballot = services.ballot_create(
        actor=chair,
        meeting=meeting,
        kind=BallotKind.NOMINATION,
        mode=BallotMode.ELECTRONIC,
        title="Giới thiệu nhân sự Phó Trưởng Ban Tổ chức Tỉnh ủy",
        cadres=[first, second],
    )
    candidates = {c.cadre_id: c.pk for c in ballot.candidates.all()}
    return {
        "meeting": meeting,
        "ballot": ballot,
        "voters": voters,
        "picks": [candidates[first.pk], candidates[first.pk], candidates[second.pk]],
        "other": other,
    }


def test_chair_opens_members_vote_on_phones_chair_sees_turnout_and_outcome(
    live_server, page, chromium, scene, log_in, output_dir
):
    meeting, ballot = scene["meeting"], scene["ballot"]
    detail = f"{live_server.url}/meetings/{meeting.pk}/"

    log_in(page, "chutich")
    page.goto(detail)
    page.get_by_test_id(f"open-{ballot.pk}").click()
    turnout = page.get_by_test_id(f"turnout-{ballot.pk}")
    expect(turnout).to_contain_text("0 / 4")  # chair and three members present
    # A marker that a reload would wipe: the number must move without one.
    page.evaluate("window.__noReload = true")
    page.screenshot(path=str(output_dir / "ballot-chair-open.png"), full_page=True)

    phones = []
    try:
        for i, (voter, pick) in enumerate(zip(scene["voters"], scene["picks"], strict=True)):
            context = chromium.new_context(**PHONE)
            context.set_default_timeout(15_000)
            phones.append(context)
            phone = context.new_page()
            log_in(phone, voter.username)
            phone.goto(detail)
            vote_link = phone.get_by_test_id(f"vote-link-{ballot.pk}")
            expect(vote_link).to_be_visible()
            box = vote_link.bounding_box()
            assert box["height"] >= 56 and box["width"] >= 300  # a big touch target
            vote_link.click()
            expect(phone.get_by_test_id("vote-form")).to_be_visible()
            choice = phone.get_by_test_id(f"choice-{pick}")
            assert choice.bounding_box()["height"] >= 48
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1
            if i == 0:
                phone.screenshot(path=str(output_dir / "ballot-phone-paper.png"), full_page=True)
            choice.click()
            phone.get_by_test_id("vote-submit").click()
            recorded = phone.get_by_test_id("vote-recorded")
            expect(recorded).to_be_visible()
            # Never echo the choice back.
            expect(phone.get_by_test_id("ballot-paper")).not_to_contain_text("Nguyễn Thị Thu Hà")
            expect(phone.get_by_test_id("ballot-paper")).not_to_contain_text("Phạm Văn Bảo")
            if i == 0:
                phone.screenshot(path=str(output_dir / "ballot-phone-recorded.png"), full_page=True)
            # The member's meeting page now says they voted, with no vote link.
            phone.goto(detail)
            expect(phone.get_by_test_id(f"voted-{ballot.pk}")).to_be_visible()
            expect(phone.get_by_test_id(f"vote-link-{ballot.pk}")).to_have_count(0)
    finally:
        for context in phones:
            context.close()

    # The chair's counter moved by itself.
    expect(turnout).to_contain_text("3 / 4", timeout=10_000)
    assert page.evaluate("window.__noReload === true")
    page.screenshot(path=str(output_dir / "ballot-chair-turnout.png"), full_page=True)

    page.get_by_test_id(f"close-{ballot.pk}").click()
    page.get_by_test_id(f"results-{ballot.pk}").click()
    summary = page.get_by_test_id("outcome-summary")
    # 2 of 4 summoned is not more than half: both go forward to the next step.
    expect(summary).to_contain_text("Nguyễn Thị Thu Hà")
    expect(summary).to_contain_text("Phạm Văn Bảo")
    table = page.get_by_test_id("per-candidate")
    expect(table).to_contain_text("50.00 %")
    expect(table).to_contain_text("25.00 %")
    expect(page.get_by_test_id("denominator-value")).to_have_text("4")
    page.screenshot(path=str(output_dir / "ballot-results.png"), full_page=True)
    ballot.refresh_from_db()
    assert ballot.outcome["result"]["result"] == "carried_forward"
    assert sorted(ballot.outcome["result"]["forward"]) == sorted(set(scene["picks"]))
    assert ballot.turnout == 3


def test_a_member_names_another_cadre_from_a_phone(
    live_server, chromium, scene, log_in, output_dir
):
    """The paper lists no write-in cadre until the voter looks a name up on it: Enter in the
    look-up box finds (it never casts), the choice made stays made, and the name looked up
    never appears in an address."""
    ballot, other = scene["ballot"], scene["other"]
    services.ballot_open(actor=scene["meeting"].chair, ballot=ballot)
    context = chromium.new_context(**PHONE)
    context.set_default_timeout(15_000)
    try:
        phone = context.new_page()
        log_in(phone, scene["voters"][0].username)
        phone.goto(f"{live_server.url}/meetings/ballots/{ballot.pk}/vote/")
        write_in = phone.locator('select[name="write_in"]')
        expect(write_in.locator("option")).to_have_count(1)  # nothing listed yet
        phone.get_by_test_id("choice-other").click()
        phone.locator('input[name="find"]').fill("nguoi khac")
        phone.locator('input[name="find"]').press("Enter")
        expect(phone.get_by_test_id("write-in-matches")).to_be_visible()
        assert "nguoi" not in phone.url.lower()
        expect(phone.locator('input[name="pick"][value="other"]')).to_be_checked()
        expect(write_in.locator("option")).to_have_count(2)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1
        phone.screenshot(path=str(output_dir / "ballot-phone-write-in.png"), full_page=True)
        write_in.select_option(str(other.pk))
        phone.get_by_test_id("vote-submit").click()
        expect(phone.get_by_test_id("vote-recorded")).to_be_visible()
        expect(phone.get_by_test_id("ballot-paper")).not_to_contain_text("Người Khác")
    finally:
        context.close()
    from workflows.core.models import Participation

    assert Participation.objects.filter(ballot=ballot).count() == 1
