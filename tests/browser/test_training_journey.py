"""Training dispatch (issue #8) in the browser, from the yearly plan to a breach of the commitment
to serve (domain §5; docs/design/training.md):

- the organisation board opens the district's plan for the year on /training/ (desk), adds a
  master's course (post-graduate) and an advanced political-theory course, and gives units
  seats on them (the district on both, a ward below it on the second);
- it proposes cadres on the master's course: one over the rule-set's post-graduate age
  (``TRAINING_POSTGRADUATE.max_age``), proposed and flagged — the failing gate, why and its
  source on the page — and a young woman, flagged as priority and listed first though proposed
  second; a cadre outside the planning pool is refused on the form without a reason (400,
  everything kept) and accepted with one (an "exception"); a fourth cadre finds the quota full
  (409 with the numbers) and goes on the other course;
- submitting the list is refused while the over-age cadre blocks it (the gate on the form); the
  board takes him off the list with the reason and submits;
- the submitter has no approval form and a POST of it anyway is refused (403); the competent
  chair (the district standing committee's) approves the list on a 390 px phone;
- the board records the young woman's written commitment (too few months refused on the form:
  at least the multiple × the study months, as the page says), the dispatch decision, the
  enrolment and the completion; on her phone she sees the dispatch under "my training", then
  the completed course on her own record with her education level raised to master's;
- she is transferred to another district (the personnel services, off the page thread); the
  nightly job runs (off the page thread) and the board finds the breach task with the date she
  was committed until, the day she left and the months short, and decides on reimbursement.

The plan page (the chair's, with its gates and quota tables), the dispatch page and the record
are checked for horizontal overflow at 390 px.
"""

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy
from playwright.sync_api import expect

from personnel import services as personnel
from personnel.models import (
    EducationLevel,
    Gender,
    ManagementLevel,
    PoliticalTheoryLevel,
    PositionHolding,
    TrainingKind,
    TrainingRecord,
    UnitKind,
)
from tests.browser.kit import no_overflow, off_the_page_thread
from tests.factories import OrgUnitFactory, UserFactory
from tests.workflows.ballot_kit import load_rulesets
from tests.workflows.training import kit
from workflows.core import rules
from workflows.core.models import ParameterKey
from workflows.training import selectors
from workflows.training.gates import LABELS, Gate, planning_gate
from workflows.training.models import (
    BreachDecision,
    BreachState,
    Candidate,
    CandidateStatus,
    CommitmentBreach,
    CommitmentStatus,
    Course,
    CourseQuota,
    Dispatch,
    DispatchState,
    PlanStage,
    TrainingPlan,
)
from workflows.training.tasks import training_commitment_scan

MASTER = f"{TrainingKind.DEGREE.value}:{EducationLevel.MASTER.value}"
ADVANCED = f"{TrainingKind.POLITICAL_THEORY.value}:{PoliticalTheoryLevel.ADVANCED.value}"
MASTER_TITLE = "Thạc sĩ Quản lý công"
THEORY_TITLE = "Cao cấp lý luận chính trị"


def vi(message, **params) -> str:
    """``message`` (a lazy msgid) as the Vietnamese pages show it."""
    with translation.override("vi"):
        text = str(message)
        return text % params if params else text


def vi_date(day: dt.date) -> str:
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
    district = OrgUnitFactory(name="Thành phố Cao Lãnh", code="cao-lanh", parent=province)
    world = kit.build_world(district, n_cadres=0)
    world.ward = OrgUnitFactory(name="Phường 1", code="phuong-1", parent=district)
    world.elsewhere = OrgUnitFactory(name="Huyện Hồng Ngự", code="hong-ngu", parent=province)
    ruleset = selectors.newest_ruleset(track="party")
    max_age = rules.get(ruleset, ParameterKey.TRAINING_POSTGRADUATE)["max_age"]
    post = world.post
    world.cadres = {
        "hoa": kit.eligible_cadre(
            district,
            "Võ Thị Hoa",
            age=32,
            gender=Gender.FEMALE,
            planned_for=post,
            user=UserFactory(username="vothihoa", first_name="Hoa", last_name="Võ Thị"),
        ),
        "binh": kit.eligible_cadre(district, "Phạm Văn Bình", age=max_age + 2, planned_for=post),
        "chau": kit.eligible_cadre(district, "Lê Minh Châu", age=42),  # not in the pool
        "dung": kit.eligible_cadre(district, "Đỗ Văn Dũng", age=41, planned_for=post),
    }
    return world


# --------------------------------------------------------------------------- steps


def _add_course(page, kind_level: str, title: str, months: int, institution: str) -> Course:
    details = page.locator("details", has=page.get_by_test_id("course-form"))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = page.get_by_test_id("course-form")
    form.locator("#id_course_kind_level").select_option(kind_level)
    form.locator("#id_course_title").fill(title)
    form.locator("#id_course_institution").fill(institution)
    form.locator("#id_course_months").fill(str(months))
    page.get_by_test_id("course-submit").click()
    expect(page.get_by_test_id("courses").get_by_role("heading", name=title)).to_be_visible()
    return Course.objects.get(title=title)


def _set_seats(page, course: Course, unit, seats: int) -> None:
    form = page.get_by_test_id("quota-form")
    form.locator("#id_quota_course").select_option(str(course.pk))
    form.locator("#id_quota_unit").select_option(str(unit.pk))
    form.locator("#id_quota_seats").fill(str(seats))
    page.get_by_test_id("quota-submit").click()
    row = page.get_by_test_id(f"quotas-{course.pk}").locator("tbody tr", has_text=unit.name)
    expect(row.locator("td").nth(1)).to_have_text(str(seats))
    quota = CourseQuota.objects.get(course=course, unit=unit)
    expect(row).to_have_attribute("data-testid", f"quota-{quota.pk}")


def _propose(page, course: Course, cadre, reason: str = "") -> int:
    """Propose ``cadre`` on the plan page and return the status the POST got; once accepted
    (303), wait for them on the course's list."""
    form = page.get_by_test_id("propose-form")
    form.locator("#id_propose_course").select_option(str(course.pk))
    form.locator("#id_propose_cadre").select_option(str(cadre.pk))
    form.locator("#id_propose_off_plan_reason").fill(reason)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/propose/")
    ) as response:
        page.get_by_test_id("propose-submit").click()
    status = response.value.status
    if status == 303:
        box = page.get_by_test_id(f"course-{course.pk}")
        expect(box.locator(".cf-candidate", has_text=cadre.full_name)).to_be_visible()
    return status


def _candidate(course: Course, cadre) -> Candidate:
    return Candidate.objects.get(course=course, cadre=cadre)


def _post_from_page(page, url: str, data: dict) -> int:
    """POST ``data`` to ``url`` the way a form of the page would (same origin, its CSRF
    token) and return the status: what a hand-made request gets when no form is offered."""
    return page.evaluate(
        """async ([url, data]) => {
            const body = new URLSearchParams(data);
            body.set('csrfmiddlewaretoken',
                     document.querySelector('input[name=csrfmiddlewaretoken]').value);
            const response = await fetch(url, {method: 'POST', body, credentials: 'same-origin'});
            return response.status;
        }""",
        [url, data],
    )


def _fact(page, label):
    """The value (``dd``) of a fact on the cadre's record, by its (Vietnamese) label."""
    profile = page.get_by_test_id("cadre-profile")
    return profile.locator("dt", has_text=vi(label)).locator("xpath=following-sibling::dd[1]")


def _record_training_rows(page):
    heading = vi(gettext_lazy("Training"))
    section = page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))
    return section.locator("tbody tr")


def _transfer(cadre, unit) -> None:
    """The cadre's post in the district ends today and they now work in ``unit``."""
    holding = PositionHolding.objects.get(cadre=cadre, ended_on__isnull=True)
    personnel.holding_end(actor=None, holding=holding, ended_on=timezone.localdate())
    personnel.cadre_update(actor=None, cadre=cadre, unit=unit, reason="Điều động công tác")


# --------------------------------------------------------------------------- the journey


def test_a_cadre_is_sent_to_study_from_the_yearly_plan_to_a_breach(
    live_server, world, browser_of, output_dir
):
    url = live_server.url
    today = timezone.localdate()
    district, ward = world.unit, world.ward
    hoa, binh, chau, dung = (world.cadres[k] for k in ("hoa", "binh", "chau", "dung"))

    # 1. The organisation board opens this year's plan of the district from /training/.
    board = browser_of(world.staff)
    board.goto(f"{url}/training/")
    form = board.get_by_test_id("open-form")
    form.locator("#id_open_unit").select_option(str(district.pk))
    expect(form.locator("#id_open_year")).to_have_value(str(today.year))
    form.locator("#id_open_note").fill("Đào tạo, bồi dưỡng cán bộ trong quy hoạch")
    board.get_by_test_id("open-submit").click()
    board.wait_for_url(re.compile(r"/training/\d+/$"))
    plan = TrainingPlan.objects.get(pk=int(re.search(r"/training/(\d+)/$", board.url).group(1)))
    plan_page = f"{url}/training/{plan.pk}/"
    assert (plan.unit, plan.year, plan.competent_body) == (
        district,
        today.year,
        world.standing.committee,
    )
    expect(board.get_by_test_id("stage")).to_have_text(vi(PlanStage.DRAFT.label))
    postgraduate = rules.get(plan.ruleset, ParameterKey.TRAINING_POSTGRADUATE)
    citation = rules.parameter(plan.ruleset, ParameterKey.TRAINING_POSTGRADUATE).citation
    max_age, multiple = postgraduate["max_age"], postgraduate["commitment_multiple"]

    # Two courses; seats for the district on both and for a ward below it on the second.
    master = _add_course(board, MASTER, MASTER_TITLE, 24, "Học viện Hành chính Quốc gia")
    theory = _add_course(board, ADVANCED, THEORY_TITLE, 8, "Học viện Chính trị khu vực IV")
    assert master.is_postgraduate and not theory.is_postgraduate
    expect(board.get_by_test_id(f"course-{master.pk}")).to_contain_text(MASTER_TITLE)
    _set_seats(board, master, district, 3)
    _set_seats(board, theory, district, 1)
    _set_seats(board, theory, ward, 2)
    expect(board.get_by_test_id(f"quotas-{theory.pk}").locator("tbody tr")).to_have_count(2)

    # Over the post-graduate age: proposed, the failing gate shown with why and its source.
    assert _propose(board, master, binh) == 303
    over_age = _candidate(master, binh)
    gate = board.get_by_test_id(f"gate-{over_age.pk}-{Gate.AGE}")
    expect(gate).to_be_visible()  # the gates of a blocked proposal are open
    expect(gate).to_contain_text(vi(LABELS[Gate.AGE]))
    expect(gate).to_contain_text(f"{max_age + 2}")
    expect(gate).to_contain_text(str(max_age))
    expect(gate).to_contain_text(citation)
    expect(gate).to_have_class(re.compile(r"\bcf-gate--fail\b"))
    assert binh.age_on(today) > max_age

    # The young woman, proposed second, is flagged and listed first.
    assert _propose(board, master, hoa) == 303
    mine = _candidate(master, hoa)
    course_box = board.get_by_test_id(f"course-{master.pk}")
    expect(course_box.locator(".cf-candidate").first).to_have_attribute(
        "data-testid", f"candidate-{mine.pk}"
    )
    expect(board.get_by_test_id(f"priority-woman-{mine.pk}")).to_be_visible()
    expect(board.get_by_test_id(f"priority-young-{mine.pk}")).to_be_visible()
    expect(board.get_by_test_id(f"priority-woman-{over_age.pk}")).to_have_count(0)
    expect(board.get_by_test_id(f"priority-young-{over_age.pk}")).to_have_count(0)
    # Her only open gate is the commitment, signed before the dispatch decision: pending, not
    # failing, and it does not block the list.
    expect(board.get_by_test_id(f"gate-{mine.pk}-{Gate.COMMITMENT}")).to_have_class(
        re.compile(r"\bcf-gate--pending\b")
    )

    # Outside the planning pool: refused on the form without a reason, everything kept.
    assert _propose(board, master, chau) == 400
    propose_form = board.get_by_test_id("propose-form")
    with translation.override("vi"):
        outside = planning_gate(chau, today).message
    expect(propose_form.get_by_test_id("form-errors")).to_have_text(outside)
    expect(propose_form.locator("#id_propose_course")).to_have_value(str(master.pk))
    expect(propose_form.locator("#id_propose_cadre")).to_have_value(str(chau.pk))
    assert not Candidate.objects.filter(cadre=chau).exists()
    reason = "Đang giữ chức vụ tương đương, cần chuẩn hóa trình độ"
    assert _propose(board, master, chau, reason=reason) == 303
    exception = _candidate(master, chau)
    expect(board.get_by_test_id(f"exception-{exception.pk}")).to_be_visible()
    waived = board.get_by_test_id(f"gate-{exception.pk}-{Gate.PLANNING}")
    expect(waived).to_contain_text(reason)
    expect(waived).to_have_class(re.compile(r"\bcf-gate--waived\b"))
    quota = CourseQuota.objects.get(course=master, unit=district)
    expect(board.get_by_test_id(f"quota-{quota.pk}")).to_have_class("cf-full")

    # A fourth cadre on the master's course: the quota is full, with its numbers (409).
    assert _propose(board, master, dung) == 409
    expect(board.get_by_test_id("error-text")).to_have_text(
        vi(
            gettext_lazy(
                "The quota is full: %(unit)s has %(seats)d seats on %(course)s and "
                "%(taken)d are taken."
            ),
            unit=district.name,
            seats=3,
            course=MASTER_TITLE,
            taken=3,
        )
    )
    board.get_by_test_id("error-back").click()
    assert (
        _propose(board, theory, dung) == 303
    )  # charged to the district's seat on the other course
    assert _candidate(theory, dung).quota.unit == district

    # Submitting is refused while the over-age cadre blocks the list; he is taken off.
    board.get_by_test_id("submit-submit").click()
    refusal = board.get_by_test_id("submit-form").get_by_test_id("form-errors")
    expect(refusal).to_contain_text(binh.full_name)
    expect(refusal).to_contain_text(vi(LABELS[Gate.AGE]))
    assert TrainingPlan.objects.get(pk=plan.pk).stage == PlanStage.DRAFT
    board.goto(plan_page)
    take_off = board.locator("details", has=board.get_by_test_id(f"unpropose-form-{over_age.pk}"))
    take_off.locator("summary").click()
    take_off.locator("textarea").fill("Quá tuổi cử đi đào tạo sau đại học lần đầu")
    board.get_by_test_id(f"unpropose-submit-{over_age.pk}").click()
    expect(board.get_by_test_id(f"candidate-status-{over_age.pk}")).to_have_text(
        vi(CandidateStatus.WITHDRAWN.label)
    )
    # Off the list, he blocks nothing any more: his gates fold away.
    withdrawn = board.get_by_test_id(f"candidate-{over_age.pk}")
    expect(withdrawn.locator(".cf-gates-box summary .cf-gate--fail")).to_have_count(0)
    expect(withdrawn.get_by_test_id(f"gate-{over_age.pk}-{Gate.AGE}")).to_be_hidden()
    board.get_by_test_id("submit-submit").click()
    expect(board.get_by_test_id("stage")).to_have_text(vi(PlanStage.SUBMITTED.label))

    # 2. The submitter has no approval form, and posting one anyway is refused.
    expect(board.get_by_test_id("decide-form")).to_have_count(0)
    status = _post_from_page(
        board,
        f"{plan_page}decide/",
        {"state": PlanStage.SUBMITTED, "decision": "yes", "decision_ref": "1-QĐ/TU"},
    )
    assert status == 403
    assert TrainingPlan.objects.get(pk=plan.pk).stage == PlanStage.SUBMITTED

    # The competent chair approves the list on a phone; the exception's reason is before them.
    chair = browser_of(world.chair, phone=True)
    chair.goto(plan_page)
    expect(chair.get_by_test_id(f"exception-{exception.pk}")).to_be_visible()
    expect(chair.get_by_test_id(f"exception-reason-{exception.pk}")).to_contain_text(reason)
    decide = chair.get_by_test_id("decide-form")
    expect(decide.locator("input[name=exclude]")).to_have_count(3)
    for tick in (decide.locator("input[name=decision]"), decide.locator("input[name=exclude]")):
        box = tick.first.bounding_box()
        assert box["width"] <= 24 and box["height"] <= 24, f"a stretched radio or tick: {box}"
    no_overflow(chair)
    chair.screenshot(path=str(output_dir / "training-phone-approve.png"), full_page=True)
    decide.locator("input[name=decision][value=yes]").check()
    decide.locator("#id_decide_decision_ref").fill("45-QĐ/TU")
    chair.get_by_test_id("decide-submit").click()
    expect(chair.get_by_test_id("stage")).to_have_text(vi(PlanStage.APPROVED.label))
    expect(chair.get_by_test_id("decision-ref")).to_contain_text("45-QĐ/TU")
    no_overflow(chair)
    plan = TrainingPlan.objects.get(pk=plan.pk)
    assert plan.decided_by == world.chair
    assert set(
        plan.candidates.filter(status=CandidateStatus.APPROVED).values_list("cadre", flat=True)
    ) == {
        hoa.pk,
        chau.pk,
        dung.pk,
    }
    dispatch = Dispatch.objects.get(candidate=mine)
    dispatch_page = f"{url}/training/dispatches/{dispatch.pk}/"

    # 3. The board: the written commitment first (at least the multiple × the study months).
    board.goto(plan_page)
    board.get_by_test_id(f"dispatch-link-{mine.pk}").click()
    board.wait_for_url(dispatch_page)
    expect(board.get_by_test_id("state")).to_have_text(vi(DispatchState.AWAITING.label))
    need = multiple * master.months
    commitment_form = board.get_by_test_id("commitment-form")
    expect(commitment_form).to_contain_text(
        vi(
            gettext_lazy(
                "At least %(need)s months: %(multiple)s × %(months)s months of study, counted "
                "from the completion."
            ),
            need=need,
            multiple=multiple,
            months=master.months,
        )
    )
    months = commitment_form.locator("#id_commitment_months")
    expect(months).to_have_value(str(need))
    commitment_form.locator("#id_commitment_reference").fill("CK-07/2026")
    months.fill(str(need - 1))
    board.get_by_test_id("commitment-submit").click()
    commitment_form = board.get_by_test_id("commitment-form")
    expect(commitment_form.get_by_test_id("form-errors")).to_contain_text(str(need))
    expect(commitment_form.locator("#id_commitment_months")).to_have_value(str(need - 1))
    expect(commitment_form.locator("#id_commitment_reference")).to_have_value("CK-07/2026")
    commitment_form.locator("#id_commitment_months").fill(str(need))
    board.get_by_test_id("commitment-submit").click()
    expect(board.get_by_test_id("commitment-months")).to_contain_text(f"{need} ({multiple} × 24")
    expect(board.get_by_test_id("commitment-status")).to_have_text(
        vi(CommitmentStatus.SIGNED.label)
    )

    # The dispatch decision (its date defaults to today).
    decision = board.get_by_test_id("decide-form")
    expect(decision.locator("#id_dispatch_decided_on")).to_have_value(today.isoformat())
    decision.locator("#id_dispatch_decision_ref").fill("120-QĐ/TU")
    decision.locator("#id_dispatch_signed_by").fill("Phó Bí thư Thường trực")
    board.get_by_test_id("decide-submit").click()
    expect(board.get_by_test_id("state")).to_have_text(vi(DispatchState.DISPATCHED.label))
    expect(board.get_by_test_id("dispatch-decision")).to_contain_text("120-QĐ/TU")

    # The cadre sees it from "my training" on her phone.
    cadre = browser_of(hoa.user, phone=True)
    cadre.goto(f"{url}/training/")
    mine_row = cadre.get_by_test_id(f"mine-{dispatch.pk}")
    expect(mine_row).to_contain_text(MASTER_TITLE)
    expect(mine_row).to_contain_text(vi(DispatchState.DISPATCHED.label))
    no_overflow(cadre)
    mine_row.locator("a").click()
    cadre.wait_for_url(dispatch_page)
    expect(cadre.get_by_test_id("dispatch-decision")).to_contain_text("120-QĐ/TU")
    expect(cadre.get_by_test_id("commitment-months")).to_contain_text(str(need))
    expect(cadre.get_by_test_id("actions")).to_have_count(0)
    no_overflow(cadre)
    cadre.screenshot(path=str(output_dir / "training-phone-dispatch.png"), full_page=True)
    cadre.get_by_test_id("record-link").click()
    cadre.wait_for_url(re.compile(rf"/{hoa.pk}/$"))
    expect(_fact(cadre, gettext_lazy("Education level"))).to_have_text(
        vi(EducationLevel.BACHELOR.label)
    )
    expect(_record_training_rows(cadre)).to_have_count(0)

    # Enrolment (the institution is the course's) and completion.
    board.reload()
    enrol = board.get_by_test_id("enrol-form")
    expect(enrol.locator("#id_enrol_institution")).to_have_value("Học viện Hành chính Quốc gia")
    board.get_by_test_id("enrol-submit").click()
    expect(board.get_by_test_id("state")).to_have_text(vi(DispatchState.ENROLLED.label))
    complete = board.get_by_test_id("complete-form")
    complete.locator("#id_complete_result").fill("Tốt nghiệp loại Giỏi")
    board.get_by_test_id("complete-submit").click()
    expect(board.get_by_test_id("state")).to_have_text(vi(DispatchState.COMPLETED.label))
    expect(board.get_by_test_id("training-record")).to_have_text(MASTER_TITLE)
    ends_on = today + relativedelta(months=need)
    expect(board.get_by_test_id("committed-until")).to_contain_text(vi_date(ends_on))
    record = TrainingRecord.objects.get(cadre=hoa)
    assert (record.kind, record.title, record.ended_on) == (
        TrainingKind.DEGREE,
        MASTER_TITLE,
        today,
    )

    # The cadre: the course on her record and her level raised.
    cadre.goto(dispatch_page)
    expect(cadre.get_by_test_id("state")).to_have_text(vi(DispatchState.COMPLETED.label))
    no_overflow(cadre)
    cadre.get_by_test_id("record-link").click()
    cadre.wait_for_url(re.compile(rf"/{hoa.pk}/$"))
    expect(_fact(cadre, gettext_lazy("Education level"))).to_have_text(
        vi(EducationLevel.MASTER.label)
    )
    rows = _record_training_rows(cadre)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(MASTER_TITLE)
    expect(rows).to_contain_text("Học viện Hành chính Quốc gia")
    no_overflow(cadre)
    cadre.screenshot(path=str(output_dir / "training-phone-record.png"), full_page=True)

    # 4. She is transferred out of the district; the nightly scan finds the breach.
    off_the_page_thread(_transfer, hoa, world.elsewhere)
    assert off_the_page_thread(training_commitment_scan, timestamp=0) == 1
    breach = CommitmentBreach.objects.get(commitment__dispatch=dispatch)

    board.goto(f"{url}/training/")
    expect(board.get_by_test_id("breaches-link")).to_contain_text("(1)")
    board.get_by_test_id("breaches-link").click()
    board.get_by_test_id(f"breach-{breach.pk}").locator("a").click()
    board.wait_for_url(f"{url}/training/breaches/{breach.pk}/")
    expect(board.get_by_test_id("state")).to_have_text(vi(BreachState.OPEN.label))
    expect(board.get_by_test_id("committed-until")).to_have_text(vi_date(ends_on))
    expect(board.get_by_test_id("left-on")).to_have_text(vi_date(today))
    expect(board.get_by_test_id("months-short")).to_have_text(str(need))
    expect(board.get_by_test_id("ground")).to_contain_text(world.elsewhere.name)
    verdict = board.get_by_test_id("decide-form")
    verdict.locator(f"input[name=decision][value={BreachDecision.REIMBURSE}]").check()
    verdict.locator("textarea").fill(
        "Chuyển công tác theo nguyện vọng cá nhân khi chưa đủ thời gian"
    )
    board.get_by_test_id("decide-submit").click()
    expect(board.get_by_test_id("state")).to_have_text(vi(BreachState.DECIDED.label))
    expect(board.get_by_test_id("decision")).to_contain_text(vi(BreachDecision.REIMBURSE.label))
    breach = CommitmentBreach.objects.get(pk=breach.pk)
    assert (breach.decision, breach.decided_by) == (BreachDecision.REIMBURSE, world.staff)
