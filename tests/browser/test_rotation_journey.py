"""Rotation (issue #8) in the browser, from the draft plan to the cadre back in their former
post (domain §6, invariants I-20, I-24):

- the province's organisation board drafts a rotation plan on /rotation/plans/open/ and puts
  two cadres of a district in it on the plan page: one for 24 months (under the rule-set's 36),
  whose duration gate reads "fails" with its source on the plan page, and one for 36 months,
  whose duration gate passes; it submits the plan;
- the standing committee approves it by secret ballot: the board calls the vote on the plan
  page, the chair convenes, takes attendance and opens the ballot (one approval row per
  cadre), three members vote from 390 px phones, the chair closes it and the board records the
  outcome: both cadres carried;
- for the short-duration cadre the board records the conversation (their view), both units'
  opinions and the five dossier documents (the health certificate with its date) on the
  cadre's page and submits the cadre; the competent chair on a phone tries to decide and is
  refused (409) naming the duration gate and its source, records the exception with a written
  reason (the gate then reads "exception") and decides;
- the sending district's board hands the cadre over, the receiving district's board confirms
  the reception (the dates are the forms' defaults: today), and the cadre — on a phone, landing
  on their own record — holds the post at the destination and finds their rotation (without
  the gates or the dossier) on /rotation/; the receiving board records a periodic report, the
  plan's board records the end-of-rotation review proposing "return", the chair places the
  cadre on a phone from tomorrow and the cadre's record shows the former post held again;
- a transfer (the short path) runs through the services (off the page thread) and is checked
  on the board's list.

Checked for horizontal overflow at 390 px: the vote paper (before and after voting), the plan
page with its gates (a voter's), the cadre's page on the chair's phone (with the exception and
decision forms, the refusal, the placement form, after the decision and the placement), the
cadre's own record and their list and rotation page.
"""

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import formats, translation
from playwright.sync_api import expect

from personnel.models import ManagementLevel, PositionHolding, PositionLevel, UnitKind
from tests.browser.kit import no_overflow, off_the_page_thread
from tests.factories import OrgUnitFactory, PositionFactory, UserFactory
from tests.workflows.ballot_kit import load_rulesets
from tests.workflows.rotation import kit
from workflows.core import rules
from workflows.core.models import BallotStatus, Choice, ParameterKey
from workflows.rotation import gates, services
from workflows.rotation.models import (
    DossierKind,
    Kind,
    Movement,
    Opinion,
    Placement,
    PlanStage,
    PlanVote,
    RotationPlan,
    Side,
    Stage,
)


def vi(message, **params) -> str:
    """``message`` (a msgid, or a lazy one) as the Vietnamese pages show it."""
    with translation.override("vi"):
        text = translation.gettext(message) if isinstance(message, str) else str(message)
        return text % params if params else text


def iso(day: dt.date) -> str:
    """A day as a date field takes it."""
    return day.isoformat()


def shown(day: dt.date) -> str:
    """A day as the Vietnamese pages show it (the locale's short date)."""
    with translation.override("vi"):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


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
    sending = OrgUnitFactory(name="Thành phố Cao Lãnh", code="cao-lanh", parent=province)
    receiving = OrgUnitFactory(name="Huyện Hồng Ngự", code="hong-ngu", parent=province)
    world = kit.build_world(province, sending, receiving)
    # The short rotation's cadre has an account: they read their own record.
    world.luan = kit.cadre_at(world.from_post, "Trần Văn Luân", user=UserFactory(username="luan"))
    office = PositionFactory(
        unit=sending, title="Trưởng Ban Tổ chức Thành ủy", level=PositionLevel.DISTRICT_OFFICE_HEAD
    )
    world.mai = kit.cadre_at(office, "Lê Thị Mai", born=dt.date(1986, 9, 2))
    # The transfer's cadre leaves the sending district for an office of the receiving one.
    deputy = PositionFactory(
        unit=sending,
        title="Phó Trưởng Ban Dân vận Thành ủy",
        level=PositionLevel.DISTRICT_OFFICE_DEPUTY,
    )
    world.transferred = kit.cadre_at(deputy, "Phạm Văn Điều", born=dt.date(1988, 1, 15))
    world.transfer_to = PositionFactory(
        unit=receiving, title="Phó Trưởng phòng Nội vụ", level=PositionLevel.DISTRICT_OFFICE_DEPUTY
    )
    return world


def _open_details(page, form_testid: str):
    """The form folded in a ``<details>`` on the cadre's page, unfolded."""
    form = page.get_by_test_id(form_testid)
    details = page.locator("details", has=form)
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return form


def _transfer_through_the_services(world) -> Movement:
    """A transfer: proposed, both units consulted, submitted, decided, handed over, received."""
    transfer = services.transfer_propose(
        actor=world.staff,
        unit=world.province,
        cadre=world.transferred,
        to_position=world.transfer_to,
        reason="Yêu cầu nhiệm vụ của Huyện Hồng Ngự.",
    )
    transfer = kit.prepare(world, transfer)
    kit.decide(world, transfer)
    return kit.hand_over_and_receive(world, transfer)


def test_a_cadre_is_rotated_from_the_draft_plan_back_to_their_post(
    live_server, world, browser_of, output_dir
):
    url = live_server.url
    today = kit.today()
    luan, mai = world.luan, world.mai
    voters = world.standing.others[:3]

    # 1. The province's organisation board drafts the plan and puts two cadres in it.
    board = browser_of(world.staff)
    board.goto(f"{url}/rotation/")
    board.get_by_test_id("plan-new").click()
    form = board.get_by_test_id("open-form")
    form.locator("#id_open_unit").select_option(str(world.province.pk))
    form.locator("#id_open_title").fill("Kế hoạch luân chuyển cán bộ 2026–2030")
    form.locator("#id_open_period_start").fill("2026")
    form.locator("#id_open_period_end").fill("2030")
    form.locator("#id_open_note").fill("Luân chuyển cán bộ trong quy hoạch về địa phương khác.")
    board.get_by_test_id("open-submit").click()
    board.wait_for_url(re.compile(r"/rotation/plans/\d+/$"))
    plan_id = int(re.search(r"/rotation/plans/(\d+)/$", board.url).group(1))
    plan_page = f"{url}/rotation/plans/{plan_id}/"
    plan = RotationPlan.objects.get(pk=plan_id)
    assert (plan.unit, plan.opened_by, plan.stage) == (world.province, world.staff, PlanStage.DRAFT)
    expect(board.get_by_test_id("stage")).to_have_text(vi(PlanStage.DRAFT.label))
    ruleset = plan.ruleset
    need = rules.get(ruleset, ParameterKey.ROTATION_MIN_DURATION)
    citation = rules.parameter(ruleset, ParameterKey.ROTATION_MIN_DURATION).citation
    assert need == 36

    items = board.get_by_test_id("items")
    for cadre, post, months in ((luan, world.to_post, 24), (mai, world.to_lower, 36)):
        item = board.get_by_test_id("item-form")
        item.locator("#id_item_cadre").select_option(str(cadre.pk))
        item.locator("#id_item_to_position").select_option(str(post.pk))
        item.locator("#id_item_direction").select_option("localities")
        item.locator("#id_item_months").fill(str(months))
        item.locator("#id_item_reason").fill("Rèn luyện qua thực tiễn ở địa phương khác.")
        item.locator("#id_item_expected_after").fill("Bố trí chức danh tương đương.")
        board.get_by_test_id("item-submit").click()
        expect(items).to_contain_text(cadre.full_name)
    short = Movement.objects.get(plan=plan, cadre=luan)
    full = Movement.objects.get(plan=plan, cadre=mai)
    assert (short.months, short.from_position, short.to_position) == (
        24,
        world.from_post,
        world.to_post,
    )
    assert (short.stage, short.ruleset) == (Stage.PROPOSED, ruleset)

    # The short one's duration gate fails, saying why and under which rule; the other passes.
    failing = board.get_by_test_id(f"gate-{short.pk}-{gates.DURATION}")
    expect(failing).to_have_class(re.compile(r"\bcf-gate--fail\b"))
    expect(failing).to_contain_text(vi(gates.LABELS[gates.DURATION]))
    expect(failing).to_contain_text(vi("fails"))
    with translation.override("vi"):
        why = gates.duration_gate(short, ruleset).message
    assert "24" in why and "36" in why
    expect(failing).to_contain_text(why)
    expect(failing).to_contain_text(citation)
    passing = board.get_by_test_id(f"gate-{full.pk}-{gates.DURATION}")
    expect(passing).to_have_class(re.compile(r"\bcf-gate--pass\b"))
    expect(passing).to_contain_text(vi("passes"))
    board.screenshot(path=str(output_dir / "rotation-plan-gates.png"), full_page=True)

    board.get_by_test_id("submit-submit").click()
    expect(board.get_by_test_id("stage")).to_have_text(vi(PlanStage.BALLOT.label))
    expect(board.get_by_test_id("item-form")).to_have_count(0)

    # 2. The standing committee's secret ballot: the board calls it on the plan page.
    call = board.get_by_test_id("call-form")
    call.locator("#id_call_place").fill("Phòng họp Ban Thường vụ Tỉnh ủy")
    board.get_by_test_id("call-submit").click()
    expect(board.get_by_test_id("meeting-running")).to_be_visible()
    vote = PlanVote.objects.select_related("meeting", "ballot").get(plan=plan)
    ballot = vote.ballot
    assert vote.meeting.chair == world.chair and vote.meeting.body == plan.standing
    rows = dict(ballot.candidates.values_list("cadre_id", "pk"))
    assert set(rows) == {luan.pk, mai.pk}

    # The chair opens the meeting from the plan page, convenes, takes attendance, opens it.
    chair = browser_of(world.chair)
    chair.goto(plan_page)
    chair.get_by_test_id(f"meeting-link-{vote.pk}").click()
    chair.wait_for_url(f"{url}/meetings/{vote.meeting.pk}/")
    console = chair.url
    chair.get_by_test_id("convene").click()
    expect(chair.get_by_test_id("convene")).to_have_count(0)
    attendance = chair.get_by_test_id("attendance-form")
    summons = list(vote.meeting.summons.all())
    for s in summons:
        attendance.locator(f"input[name=attendance_{s.user_id}][value=present]").check()
    chair.get_by_test_id("attendance-save").click()
    expect(chair.locator(".cf-quorum--met")).to_be_visible()
    eligible = sum(1 for s in summons if s.votes)
    assert eligible == len(world.standing.members)
    chair.get_by_test_id(f"open-{ballot.pk}").click()
    turnout = chair.get_by_test_id(f"turnout-{ballot.pk}")
    expect(turnout).to_contain_text(f"0 / {eligible}")

    # Three members vote from their phones: the paper has one row per cadre, nobody else.
    names = {luan.pk: luan.full_name, mai.pk: mai.full_name}
    phones = [browser_of(voter, phone=True) for voter in voters]
    for i, phone in enumerate(phones):
        phone.goto(console)
        phone.get_by_test_id(f"vote-link-{ballot.pk}").click()
        paper = phone.get_by_test_id("vote-form")
        expect(paper.locator("fieldset")).to_have_count(len(rows))
        for cadre_id, row in rows.items():
            expect(phone.get_by_test_id(f"candidate-{row}")).to_contain_text(names[cadre_id])
            phone.get_by_test_id(f"choice-{row}-{Choice.APPROVE.value}").click()
        no_overflow(phone)
        if i == 0:
            phone.screenshot(path=str(output_dir / "rotation-phone-paper.png"), full_page=True)
        phone.get_by_test_id("vote-submit").click()
        expect(phone.get_by_test_id("vote-recorded")).to_be_visible()
        no_overflow(phone)
    # The console polls the turnout (live_server has no websockets).
    expect(turnout).to_contain_text(f"{len(voters)} / {eligible}", timeout=10_000)
    chair.get_by_test_id(f"close-{ballot.pk}").click()
    expect(chair.get_by_test_id(f"results-{ballot.pk}")).to_be_visible()
    ballot.refresh_from_db()
    assert (ballot.status, ballot.turnout) == (BallotStatus.CLOSED, len(voters))

    # The board records the outcome: both cadres carried, the plan approved.
    board.goto(plan_page)
    board.get_by_test_id("record-form").locator("#id_record_note").fill(
        "Ban Thường vụ thông qua kế hoạch bằng phiếu kín."
    )
    board.get_by_test_id("record-submit").click()
    expect(board.get_by_test_id("stage")).to_have_text(vi(PlanStage.APPROVED.label))
    outcome = board.get_by_test_id(f"outcome-{vote.pk}")
    expect(outcome).to_contain_text(luan.full_name)
    expect(outcome).to_contain_text(mai.full_name)
    for movement in (short, full):
        expect(board.get_by_test_id(f"item-stage-{movement.pk}")).to_have_text(
            vi(Stage.APPROVED.label)
        )
    assert kit.refresh_plan(plan).stage == PlanStage.APPROVED

    # A voter reads the approved plan, gates included, on their phone.
    voter = phones[0]
    voter.goto(plan_page)
    expect(voter.get_by_test_id(f"outcome-{vote.pk}")).to_contain_text(luan.full_name)
    expect(voter.get_by_test_id(f"gate-{short.pk}-{gates.DURATION}")).to_be_visible()
    expect(voter.get_by_test_id("actions")).to_have_count(0)
    # The gates' summary (a flex row) holds its words in one item, so they flow as one text
    # ("… 2 of 5 pass · blocks the decision") instead of splitting into two narrow columns.
    summary = voter.get_by_test_id(f"gates-summary-{short.pk}")
    expect(summary).to_contain_text(vi("blocks the decision"))
    assert summary.evaluate(
        "s => s.children.length === 1 && s.children[0].textContent === s.textContent"
    ), "the gates' summary splits into flex columns"
    no_overflow(voter)
    voter.screenshot(path=str(output_dir / "rotation-phone-plan.png"), full_page=True)
    for phone in phones:
        phone.context.close()

    # 3. The board prepares the short rotation's cadre on their page.
    cadre_page = f"{url}/rotation/{short.pk}/"
    board.get_by_test_id(f"item-{short.pk}").get_by_role("link", name=luan.full_name).click()
    board.wait_for_url(cadre_page)
    expect(board.get_by_test_id("stage")).to_have_text(vi(Stage.APPROVED.label))
    expect(board.get_by_test_id("months")).to_contain_text("24")
    expect(board.get_by_test_id("decide-form")).to_have_count(0)  # the board never decides

    view = "Đồng ý với chủ trương luân chuyển; xin được bố trí nhà công vụ."
    talk = _open_details(board, "conversation-form")
    talk.locator("#id_conversation_held_on").fill(iso(today - dt.timedelta(days=3)))
    talk.locator("#id_conversation_cadre_view").fill(view)
    board.get_by_test_id("conversation-form-submit").click()
    expect(board.get_by_test_id("conversations")).to_contain_text(view)

    for side, body in (
        (Side.SENDING, "Ban Thường vụ Thành ủy Cao Lãnh"),
        (Side.RECEIVING, "Ban Thường vụ Huyện ủy Hồng Ngự"),
    ):
        opinion = _open_details(board, "consultation-form")
        opinion.locator("#id_consultation_side").select_option(side.value)
        opinion.locator("#id_consultation_consulted_on").fill(iso(today - dt.timedelta(days=2)))
        opinion.locator("#id_consultation_body").fill(body)
        opinion.locator(f"input[name=opinion][value={Opinion.AGREES.value}]").check()
        board.get_by_test_id("consultation-form-submit").click()
        expect(board.get_by_test_id(f"consultation-{side.value}")).to_contain_text(body)

    health_on = today - dt.timedelta(days=30)
    for n, kind in enumerate(DossierKind, start=1):
        dossier = _open_details(board, "dossier-form")
        dossier.locator("#id_dossier_kind").select_option(kind.value)
        dated = health_on if kind == DossierKind.HEALTH else today - dt.timedelta(days=20)
        dossier.locator("#id_dossier_dated").fill(iso(dated))
        dossier.locator("#id_dossier_reference").fill(f"{n}/HS-LC")
        board.get_by_test_id("dossier-form-submit").click()
        expect(board.get_by_test_id(f"dossier-{n}")).to_contain_text(f"{n}/HS-LC")
    health = board.get_by_test_id(f"gate-{gates.HEALTH}")
    expect(health).to_have_class(re.compile(r"\bcf-gate--pass\b"))
    expect(health).to_contain_text(health_on.strftime("%d/%m/%Y"))
    expect(board.get_by_test_id(f"gate-{gates.DOSSIER}")).to_have_class(
        re.compile(r"\bcf-gate--pass\b")
    )
    expect(board.get_by_test_id(f"gate-{gates.DURATION}")).to_have_class(
        re.compile(r"\bcf-gate--fail\b")
    )

    board.get_by_test_id("submit-form-submit").click()
    expect(board.get_by_test_id("stage")).to_have_text(vi(Stage.SUBMITTED.label))
    assert kit.refresh(short).submitted_by == world.staff

    # The competent chair, on a phone: deciding is refused while the duration gate fails.
    chair_phone = browser_of(world.chair, phone=True)
    chair_phone.goto(cadre_page)
    expect(chair_phone.get_by_test_id("exception-form")).to_be_visible()
    no_overflow(chair_phone)
    decide = chair_phone.get_by_test_id("decide-form")
    expect(decide.locator("#id_decide_decision_date")).to_have_value(iso(today))
    expect(decide.locator("#id_decide_starts_on")).to_have_value(iso(today))
    decide.locator("#id_decide_decision_number").fill("125-QĐ/TU")
    with chair_phone.expect_response(lambda r: r.request.method == "POST") as answer:
        chair_phone.get_by_test_id("decide-form-submit").click()
    assert answer.value.status == 409
    refusal = chair_phone.get_by_test_id("error-text")
    expect(refusal).to_contain_text(vi(gates.LABELS[gates.DURATION]))
    expect(refusal).to_contain_text(citation)
    for other in (gates.HEALTH, gates.DOSSIER, gates.REMAINING_SERVICE, gates.INVESTIGATION):
        expect(refusal).not_to_contain_text(vi(gates.LABELS[other]))
    no_overflow(chair_phone)
    chair_phone.screenshot(path=str(output_dir / "rotation-phone-refused.png"), full_page=True)
    assert kit.refresh(short).stage == Stage.SUBMITTED

    # The chair records the competent level's exception with its reason, then decides.
    chair_phone.get_by_test_id("error-back").click()
    chair_phone.wait_for_url(cadre_page)
    reason = "Yêu cầu nhiệm vụ chính trị đặc biệt của địa phương (Ban Thường vụ đồng ý)."
    chair_phone.get_by_test_id("exception-form").locator("#id_exception_reason").fill(reason)
    chair_phone.get_by_test_id("exception-form-submit").click()
    waived = chair_phone.get_by_test_id(f"gate-{gates.DURATION}")
    expect(waived).to_have_class(re.compile(r"\bcf-gate--pass\b"))
    expect(waived).to_contain_text(vi("exception"))
    expect(waived).to_contain_text(reason)
    expect(chair_phone.get_by_test_id("exception-form")).to_have_count(0)
    chair_phone.get_by_test_id("decide-form").locator("#id_decide_decision_number").fill(
        "125-QĐ/TU"
    )
    chair_phone.get_by_test_id("decide-form-submit").click()
    expect(chair_phone.get_by_test_id("stage")).to_have_text(vi(Stage.DECIDED.label))
    expect(chair_phone.get_by_test_id("decision")).to_contain_text("125-QĐ/TU")
    expect(chair_phone.get_by_test_id("timeline-decision")).to_be_visible()
    no_overflow(chair_phone)
    short = kit.refresh(short)
    assert (short.decided_by, short.decision_date, short.duration_exception) == (
        world.chair,
        today,
        reason,
    )
    assert short.planned_end == today + relativedelta(months=24)
    assert [g["code"] for g in short.gates if g["waived"]] == [gates.DURATION]

    # 4. The sending district's board hands the cadre over; the receiving one confirms.
    sending = browser_of(world.sending.board)
    sending.goto(cadre_page)
    handover = sending.get_by_test_id("handover-form")
    expect(handover.locator("#id_handover_handed_over_on")).to_have_value(iso(today))
    handover.locator("#id_handover_note").fill("Đã bàn giao công việc và hồ sơ.")
    sending.get_by_test_id("handover-form-submit").click()
    expect(sending.get_by_test_id("stage")).to_have_text(vi(Stage.HANDED_OVER.label))
    expect(sending.get_by_test_id("receive-form")).to_have_count(0)  # not who handed over

    receiving = browser_of(world.receiving.board)
    receiving.goto(cadre_page)
    reception = receiving.get_by_test_id("receive-form")
    expect(reception.locator("#id_receive_received_on")).to_have_value(iso(today))
    reception.locator("#id_receive_note").fill("Đã tiếp nhận, phân công nhiệm vụ.")
    receiving.get_by_test_id("receive-form-submit").click()
    expect(receiving.get_by_test_id("stage")).to_have_text(vi(Stage.IN_ROTATION.label))
    expect(receiving.get_by_test_id("timeline-reception")).to_be_visible()
    short = kit.refresh(short)
    assert (short.received_by, short.received_on) == (world.receiving.board, today)

    # The cadre, on a phone, lands on their own record: they hold the post at the destination.
    own = browser_of(luan.user, phone=True)
    own.wait_for_url(f"{url}/personnel/cadres/{luan.pk}/")
    with translation.override("vi"):
        held = own.locator(
            "section", has=own.get_by_role("heading", name=translation.gettext("Positions held"))
        )
        current = translation.gettext("current")
    now_held = held.locator("tbody tr", has_text=current)
    expect(now_held).to_have_count(1)
    expect(now_held).to_contain_text(world.to_post.title)
    expect(now_held).to_contain_text(shown(today))
    expect(held.locator("tbody tr", has_text=world.from_post.title)).not_to_contain_text(current)
    no_overflow(own)
    own.screenshot(path=str(output_dir / "rotation-phone-record.png"), full_page=True)
    # Their rotation, from the list: the decision, without the gates or the dossier.
    own.goto(f"{url}/rotation/")
    mine = own.get_by_test_id("rotation-list").get_by_test_id(f"movement-{short.pk}")
    expect(mine).to_contain_text(vi(Stage.IN_ROTATION.label))
    expect(own.get_by_test_id("plan-list")).to_have_count(0)  # the plan is not theirs to read
    no_overflow(own)
    mine.get_by_role("link", name=luan.full_name).click()
    own.wait_for_url(cadre_page)
    expect(own.get_by_test_id("decision")).to_contain_text("125-QĐ/TU")
    expect(own.get_by_test_id("gates")).to_have_count(0)
    expect(own.get_by_test_id("dossier")).to_have_count(0)
    expect(own.get_by_test_id("actions")).to_have_count(0)
    no_overflow(own)

    # The receiving board records the first periodic report.
    receiving.reload()
    report = receiving.get_by_test_id("report-form")
    expect(report.locator("#id_report_reported_on")).to_have_value(iso(today))
    report.locator("#id_report_text").fill("Hoàn thành tốt nhiệm vụ được phân công.")
    receiving.get_by_test_id("report-form-submit").click()
    expect(receiving.get_by_test_id("report-1")).to_contain_text("Hoàn thành tốt nhiệm vụ")
    expect(receiving.get_by_test_id("next-report")).to_be_visible()

    # The plan's board records the end-of-rotation review, proposing the return.
    board.goto(cadre_page)
    review = board.get_by_test_id("review-form")
    expect(review.locator("#id_review_reviewed_on")).to_have_value(iso(today))
    review.locator("#id_review_review").fill("Hoàn thành xuất sắc; đề nghị trở về vị trí cũ.")
    review.locator(f"input[name=proposed_placement][value={Placement.RETURN.value}]").check()
    board.get_by_test_id("review-form-submit").click()
    expect(board.get_by_test_id("stage")).to_have_text(vi(Stage.REVIEWED.label))
    expect(board.get_by_test_id("place-form")).to_have_count(0)  # the board never places

    # The chair places the cadre on a phone: the proposed return, to the former post, from
    # tomorrow (a placement takes effect after the reception).
    tomorrow = today + dt.timedelta(days=1)
    chair_phone.goto(cadre_page)
    place = chair_phone.get_by_test_id("place-form")
    expect(place.locator(f"input[name=placement][value={Placement.RETURN.value}]")).to_be_checked()
    expect(place.locator("#id_place_position")).to_have_value("")
    place.locator("#id_place_effective_on").fill(iso(tomorrow))
    place.locator("#id_place_decision_number").fill("300-QĐ/TU")
    no_overflow(chair_phone)
    chair_phone.get_by_test_id("place-form-submit").click()
    expect(chair_phone.get_by_test_id("stage")).to_have_text(vi(Stage.COMPLETED.label))
    expect(chair_phone.get_by_test_id("placement")).to_contain_text(world.from_post.title)
    expect(chair_phone.get_by_test_id("placement")).to_contain_text("300-QĐ/TU")
    no_overflow(chair_phone)
    chair_phone.screenshot(path=str(output_dir / "rotation-phone-placed.png"), full_page=True)
    short = kit.refresh(short)
    assert (short.placement, short.placement_position, short.placed_by) == (
        Placement.RETURN,
        world.from_post,
        world.chair,
    )

    # The cadre's record: the former post held again from tomorrow, the destination ends today.
    own.goto(f"{url}/")
    own.wait_for_url(f"{url}/personnel/cadres/{luan.pk}/")
    now_held = held.locator("tbody tr", has_text=current)
    expect(now_held).to_have_count(1)
    expect(now_held).to_contain_text(world.from_post.title)
    expect(now_held).to_contain_text(shown(tomorrow))
    ended = held.locator("tbody tr", has_text=world.to_post.title)
    expect(ended).to_have_count(1)
    expect(ended).not_to_contain_text(current)
    no_overflow(own)
    holdings = PositionHolding.objects.filter(cadre=luan).order_by("started_on", "pk")
    assert [(h.position, h.started_on, h.ended_on) for h in holdings[1:]] == [
        (world.to_post, today, today),
        (world.from_post, tomorrow, None),
    ]
    yesterday = today - dt.timedelta(days=1)
    assert (holdings[0].position, holdings[0].ended_on) == (world.from_post, yesterday)

    # 5. A transfer, the short path, through the services; the board's list shows it done.
    transfer = off_the_page_thread(_transfer_through_the_services, world)
    assert (transfer.kind, transfer.stage) == (Kind.TRANSFER, Stage.TRANSFERRED)
    board.goto(f"{url}/rotation/")
    row = board.get_by_test_id("transfer-list").get_by_test_id(f"movement-{transfer.pk}")
    expect(row).to_contain_text(world.transferred.full_name)
    expect(row).to_contain_text(vi(Stage.TRANSFERRED.label))
    rotation = board.get_by_test_id("rotation-list")
    expect(rotation.get_by_test_id(f"movement-{short.pk}")).to_contain_text(
        vi(Stage.COMPLETED.label)
    )
    expect(rotation.get_by_test_id(f"movement-{full.pk}")).to_contain_text(vi(Stage.APPROVED.label))
