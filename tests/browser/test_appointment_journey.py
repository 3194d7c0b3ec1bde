"""The appointment procedure (internal source) in the browser, from the policy request to the
new post on the cadre's profile:

- the organisation board starts "appointment to post P" through the start form;
- the competent chair approves the policy on the process page and the 30-working-day
  countdown shows;
- the board lists the candidates and calls step 1; its meeting runs in the browser (the chair
  convenes, takes attendance, opens the ballot; three members vote from their phones; the
  chair closes) and the board records the outcome on the process page; steps 2–4 run through
  the services;
- the dossier (one file through the upload form, the rest through the services), the
  appraisal submitted by one staff member and approved by another;
- the final vote of the standing committee in the browser, recorded by the board, and the
  chair's decision; the board then reads the new post on the cadre's profile.

The process page is checked for horizontal overflow on a 390 px wide phone.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from personnel.models import ManagementLevel, PositionHolding, UnitKind
from tests.browser.kit import no_overflow, off_the_page_thread
from tests.factories import OrgUnitFactory
from tests.workflows.appointment import kit
from tests.workflows.ballot_kit import load_rulesets
from workflows.appointment import services
from workflows.appointment.models import (
    REQUIRED_DOSSIER,
    Appointment,
    AppointmentStep,
    DossierKind,
    Stage,
)
from workflows.core.calendar import working_days_left
from workflows.core.models import BallotStatus, Choice

# "30" as the count of working days left, not as part of the due date next to it.
THIRTY_DAYS = re.compile(r"(?<![\d/.-])30(?![\d/.-])")


@pytest.fixture
def world(transactional_db):
    # An earlier transactional test's flush empties every table, the rule-sets from the data
    # migration included: load them again (idempotent).
    load_rulesets()
    province = OrgUnitFactory(
        name="Tỉnh Đồng Tháp",
        code="dong-thap",
        kind=UnitKind.PROVINCE_PARTY,
        management_level=ManagementLevel.PROVINCE,
    )
    district = OrgUnitFactory(name="Thành phố Cao Lãnh", code="cao-lanh", parent=province)
    return kit.build_world(district)


def _last_step(appointment_id: int) -> AppointmentStep:
    return (
        AppointmentStep.objects.select_related("meeting", "ballot")
        .filter(appointment_id=appointment_id)
        .order_by("-pk")
        .first()
    )


def _run_meeting_in_browser(url, chair_page, browser_of, step, voters, output_dir, name):
    """The chair's console: convene, everyone present, open the ballot; each voter approves
    every row of the paper on a phone of their own; the chair closes the ballot."""
    meeting, ballot = step.meeting, step.ballot
    console = f"{url}/meetings/{meeting.pk}/"
    chair_page.goto(console)
    chair_page.get_by_test_id("convene").click()
    expect(chair_page.get_by_test_id("convene")).to_have_count(0)
    attendance = chair_page.get_by_test_id("attendance-form")
    summons = list(meeting.summons.all())
    for s in summons:
        attendance.locator(f"input[name=attendance_{s.user_id}][value=present]").check()
    chair_page.get_by_test_id("attendance-save").click()
    expect(chair_page.locator(".cf-quorum--met")).to_be_visible()
    chair_page.get_by_test_id(f"open-{ballot.pk}").click()
    eligible = sum(1 for s in summons if s.votes)
    turnout = chair_page.get_by_test_id(f"turnout-{ballot.pk}")
    expect(turnout).to_contain_text(f"0 / {eligible}")

    rows = list(ballot.candidates.values_list("pk", flat=True))
    for i, voter in enumerate(voters):
        phone = browser_of(voter, phone=True)
        phone.goto(console)
        phone.get_by_test_id(f"vote-link-{ballot.pk}").click()
        expect(phone.get_by_test_id("vote-form")).to_be_visible()
        for row in rows:
            phone.get_by_test_id(f"choice-{row}-{Choice.APPROVE.value}").click()
        no_overflow(phone)
        if i == 0:
            phone.screenshot(path=str(output_dir / f"{name}-phone-paper.png"), full_page=True)
        phone.get_by_test_id("vote-submit").click()
        expect(phone.get_by_test_id("vote-recorded")).to_be_visible()
        phone.context.close()

    # The console polls the turnout (live_server has no websockets): wait for every vote.
    expect(turnout).to_contain_text(f"{len(voters)} / {eligible}", timeout=10_000)
    chair_page.get_by_test_id(f"close-{ballot.pk}").click()
    expect(chair_page.get_by_test_id(f"results-{ballot.pk}")).to_be_visible()
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.CLOSED
    assert ballot.turnout == len(voters)


def _record_on_process_page(page, detail, step) -> None:
    page.goto(detail)
    form = page.get_by_test_id("record-form")
    form.locator("textarea").fill(f"Biên bản {step.code}")
    page.get_by_test_id("record-submit").click()
    expect(page.get_by_test_id(f"outcome-{step.pk}")).to_be_visible()


def _steps_2_to_4(world, appointment):
    for code in ("step2", "step3", "step4"):
        step = kit.call(world, appointment)
        assert step.code == code
        n = step.meeting.summons.filter(votes=True).count()
        kit.run_ballot(step, votes=kit.nominate_each(step.ballot, [world.cadres[0]] * n))
        services.step_record(actor=world.staff, appointment=appointment)
    return kit.refresh(appointment)


def _rest_of_dossier(world, appointment):
    for kind in REQUIRED_DOSSIER:
        if kind != DossierKind.RESUME:
            services.dossier_add(
                actor=world.staff, appointment=appointment, kind=kind, upload=kit.upload(kind)
            )


def test_internal_appointment_from_policy_to_profile(live_server, world, browser_of, output_dir):
    url = live_server.url
    winner = world.cadres[0]
    title = world.position.title

    # 1. The organisation board starts the procedure from the list.
    board = browser_of(world.staff)
    board.goto(f"{url}/appointments/")
    board.get_by_test_id("appointment-new").click()
    form = board.get_by_test_id("start-form")
    form.locator("#id_start_position").select_option(str(world.position.pk))
    form.locator("#id_start_source").select_option("internal")
    form.locator("#id_start_memo").fill("Tờ trình xin chủ trương bổ nhiệm Trưởng phòng Nội vụ")
    board.get_by_test_id("start-submit").click()
    board.wait_for_url(re.compile(r"/appointments/\d+/$"))
    appointment_id = int(re.search(r"/appointments/(\d+)/$", board.url).group(1))
    detail = f"{url}/appointments/{appointment_id}/"
    expect(board.get_by_role("heading", name=title)).to_be_visible()
    expect(board.get_by_test_id("policy-form")).to_have_count(0)  # the chair's to decide
    appointment = Appointment.objects.get(pk=appointment_id)
    assert appointment.position == world.position and appointment.source == "internal"
    assert appointment.stage == Stage.POLICY_REQUESTED
    board.goto(f"{url}/appointments/")
    expect(board.get_by_test_id(f"appointment-{appointment_id}")).to_contain_text(title)

    # 2. The competent chair approves the policy; the countdown starts at 30 working days.
    chair = browser_of(world.chair)
    chair.goto(detail)
    policy = chair.get_by_test_id("policy-form")
    policy.locator("input[name=decision][value=yes]").check()
    chair.get_by_test_id("policy-submit").click()
    expect(chair.get_by_test_id("timeline-policy")).to_be_visible()
    expect(chair.get_by_test_id("limit")).to_contain_text(THIRTY_DAYS)
    expect(chair.get_by_test_id("policy-form")).to_have_count(0)
    deadline = kit.refresh(appointment).deadline
    assert working_days_left(timezone.localdate(), deadline.due) == 30

    # 3. The board lists the candidates and calls step 1.
    board.goto(detail)
    expect(board.get_by_test_id("limit")).to_contain_text(THIRTY_DAYS)
    board.get_by_test_id("candidates-form").locator("select").select_option(
        [str(c.pk) for c in world.cadres]
    )
    board.get_by_test_id("candidates-submit").click()
    for cadre in world.cadres:
        expect(board.get_by_test_id(f"candidate-{cadre.pk}")).to_be_visible()
    call = board.get_by_test_id("call-form")
    call.locator("input[name=place]").fill("Hội trường Thành ủy")
    board.get_by_test_id("call-submit").click()
    expect(board.get_by_test_id("meeting-running")).to_be_visible()
    step = _last_step(appointment_id)
    assert step.code == "step1" and step.meeting.chair == world.leadership.chair

    # Step 1's meeting in the browser: the leadership collective approves the list.
    head = browser_of(world.leadership.chair)
    _run_meeting_in_browser(
        url, head, browser_of, step, world.leadership.others[:3], output_dir, "appointment-step1"
    )
    _record_on_process_page(board, detail, step)
    assert kit.refresh(appointment).stage == Stage.STEP1_DONE

    # The process page on a phone, candidates and their gates shown: no sideways scrolling.
    board_phone = browser_of(world.staff, phone=True)
    board_phone.goto(detail)
    expect(board_phone.get_by_test_id(f"candidate-{winner.pk}")).to_be_visible()
    no_overflow(board_phone)
    board_phone.screenshot(path=str(output_dir / "appointment-phone-step1.png"), full_page=True)

    # Steps 2–4 through the services, everyone naming the winner.
    appointment = off_the_page_thread(_steps_2_to_4, world, appointment)
    assert appointment.stage == Stage.STEP4_DONE and appointment.candidate == winner

    # 4. The dossier: the résumé through the upload form, the rest through the services.
    board.goto(detail)
    upload = board.get_by_test_id("upload-form")
    upload.locator("select[name=kind]").select_option(DossierKind.RESUME.value)
    upload.locator("input[type=file]").set_input_files(
        {"name": "so-yeu-ly-lich.pdf", "mimeType": "application/pdf", "buffer": kit.PDF}
    )
    board.get_by_test_id("upload-submit").click()
    expect(board.get_by_test_id(f"check-{DossierKind.RESUME.value}")).to_have_class(
        re.compile("cf-check--present")
    )
    expect(board.get_by_test_id("dossier-files")).to_contain_text("so-yeu-ly-lich.pdf")
    off_the_page_thread(_rest_of_dossier, world, appointment)

    # The appraisal: one staff member submits it, another approves it.
    board.goto(detail)
    expect(board.locator(".cf-check--missing")).to_have_count(0)
    appraisal = board.get_by_test_id("appraisal-form")
    appraisal.locator("textarea[name=standing_evaluation]").fill(
        "Ban Thường vụ đánh giá: đủ tiêu chuẩn, điều kiện."
    )
    appraisal.locator("textarea[name=new_issues_conclusion]").fill("Không có vấn đề mới phát sinh.")
    board.get_by_test_id("appraisal-submit").click()
    expect(board.get_by_test_id("timeline-appraisal")).to_be_visible()
    expect(board.get_by_test_id("review-form")).to_have_count(0)  # not the preparer's to approve

    reviewer = browser_of(world.staff2)
    reviewer.goto(detail)
    review = reviewer.get_by_test_id("review-form")
    expect(review).to_contain_text("Không có vấn đề mới phát sinh.")
    review.locator("input[name=decision][value=yes]").check()
    reviewer.get_by_test_id("review-submit").click()
    expect(reviewer.get_by_test_id("review-form")).to_have_count(0)
    assert kit.refresh(appointment).stage == Stage.APPRAISED

    # 5. The final vote: the board calls it, the standing committee votes on phones.
    board.goto(detail)
    board.get_by_test_id("call-form").locator("input[name=place]").fill("Phòng họp Ban Thường vụ")
    board.get_by_test_id("call-submit").click()
    expect(board.get_by_test_id("meeting-running")).to_be_visible()
    step = _last_step(appointment_id)
    assert step.code == "final" and step.meeting.chair == world.chair
    _run_meeting_in_browser(
        url, chair, browser_of, step, world.standing.others[:3], output_dir, "appointment-final"
    )
    _record_on_process_page(board, detail, step)
    expect(board.get_by_test_id(f"outcome-{step.pk}")).to_contain_text(winner.full_name)
    assert kit.refresh(appointment).stage == Stage.VOTE_PASSED

    # The chair issues the decision (signed and effective today, as the form proposes).
    chair.goto(detail)
    decision = chair.get_by_test_id("decision-form")
    decision.locator("input[name=number]").fill("123-QĐ/TU")
    chair.get_by_test_id("decision-submit").click()
    expect(chair.get_by_test_id("timeline-decision")).to_contain_text("123-QĐ/TU")
    expect(chair.get_by_test_id("actions")).to_have_count(0)
    appointment = kit.refresh(appointment)
    assert appointment.stage == Stage.DECISION_ISSUED
    holding = PositionHolding.objects.get(cadre=winner, position=world.position)
    assert holding.decision_ref == "123-QĐ/TU"

    # The finished process page on a phone: still no sideways scrolling.
    board_phone.goto(detail)
    expect(board_phone.get_by_test_id("timeline-decision")).to_be_visible()
    no_overflow(board_phone)
    board_phone.screenshot(path=str(output_dir / "appointment-phone-done.png"), full_page=True)

    # 6. The board reads the new post on the cadre's profile.
    board.goto(f"{url}/personnel/cadres/{winner.pk}/")
    profile = board.get_by_test_id("cadre-profile")
    expect(profile).to_contain_text(winner.full_name)
    # The positions held (the planning table names the post too, with its unit).
    row = board.locator("tr", has=board.get_by_role("cell", name=title, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(world.unit.name)
    board.screenshot(path=str(output_dir / "appointment-profile.png"), full_page=True)
