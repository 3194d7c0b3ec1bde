"""The yearly evaluation (issue #7) in the browser, from the open form to the rating on the
cadre's record (domain §3):

- the organisation board opens the 2026 campaign over the district on /evaluation/open/ and
  lands on the campaign page: four evaluations (the leadership collective and three cadres),
  none self-assessed yet;
- a cadre who sits on the district's leadership collective finds their evaluation in "to
  self-assess" on /evaluation/ from a 390 px phone and files it: a score over the group's most
  points is refused by the form, a level above the one the total reaches is refused by the
  service on the form (both 400, everything typed kept), then it is filed and the page reads
  "self-assessed" with the scores on the timeline;
- the board appraises it on the desk; the district standing committee's chair opens it from
  "to decide" on a phone and is told the collective comes first (I-22, a collective before its
  members): deciding anyway is refused (409). The collective's evaluation is walked through the
  services (off the page thread) to the province chair's decision; then the chair decides;
- a second cadre is rated through the services, the third is excused on the page, the board
  publishes, and the cadre reads the rating on the evaluation page, on the unit's results and
  on their own record (an ``EvaluationResult`` for 2026);
- the campaign page shows per-unit progress and the distribution of the decided levels.

The list, the evaluation page (with the form's errors, and after each step) and the record
are checked for horizontal overflow at 390 px, and so is the board's campaign page with its
progress and distribution tables.
"""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from personnel.models import EvaluationLevel, EvaluationResult, ManagementLevel, UnitKind
from tests.browser.kit import no_overflow, off_the_page_thread
from tests.factories import OrgUnitFactory, member_of
from tests.workflows.ballot_kit import START, load_rulesets
from tests.workflows.evaluation import kit
from tests.workflows.evaluation.kit import COMPLETED, EXCELLENT, GOOD, NOT_COMPLETED
from workflows.evaluation.models import CampaignStage, EvaluationCampaign, EvaluationState

YEAR = 2026


def vi(message, **params) -> str:
    """``message`` (a lazy msgid) as the Vietnamese pages show it."""
    with translation.override("vi"):
        text = str(message)
        return text % params if params else text


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
    world = kit.build_world(province, district, n_cadres=0)
    world.cadres = [
        kit.cadre(district, name=name)
        for name in ("Nguyễn Thị Hoa", "Trần Văn Bình", "Lê Minh Châu")
    ]
    # The journey's cadre sits on the district's leadership collective: the collective's
    # rating is decided before theirs.
    member_of(world.district.leadership.committee, user=world.cadres[0].user, started_on=START)
    return world


def _walk_the_collective(world, evaluation) -> None:
    """The collective's chair files its self-assessment, the board proposes, the province's
    chair (the standing committee above the district) decides."""
    proposed = kit.propose(world, evaluation, GOOD)
    kit.decide(proposed, GOOD, actor=world.province_chair)


def _rate(world, evaluation, level) -> None:
    kit.decide(kit.propose(world, evaluation, level), level, actor=world.district_chair)


def test_a_cadre_is_rated_from_the_open_form_to_their_record(
    live_server, world, browser_of, output_dir
):
    url = live_server.url
    unit = world.district.unit
    me, second, third = world.cadres
    collective_name = world.district.leadership.committee.name

    # 1. The organisation board opens the campaign over the district.
    board = browser_of(world.staff)
    board.goto(f"{url}/evaluation/")
    board.get_by_test_id("open-link").click()
    form = board.get_by_test_id("open-form")
    form.locator("#id_open_title").fill(f"Đánh giá, xếp loại chất lượng năm {YEAR}")
    form.locator("#id_open_period").select_option("year")
    form.locator("#id_open_year").fill(str(YEAR))
    form.locator("#id_open_units").select_option([str(unit.pk)])
    expect(form.locator("#id_open_self_assessment_days")).to_have_value("10")
    board.get_by_test_id("open-submit").click()
    board.wait_for_url(re.compile(r"/evaluation/\d+/$"))
    campaign_id = int(re.search(r"/evaluation/(\d+)/$", board.url).group(1))
    campaign_page = f"{url}/evaluation/{campaign_id}/"
    campaign = EvaluationCampaign.objects.get(pk=campaign_id)
    assert (campaign.period, campaign.year, campaign.opened_by) == ("year", YEAR, world.staff)
    assert list(campaign.units.all()) == [unit]

    expect(board.get_by_test_id("stage")).to_have_text(vi(CampaignStage.OPEN.label))
    expect(board.get_by_test_id(f"progress-{unit.pk}-total")).to_have_text("4")
    expect(board.get_by_test_id(f"progress-{unit.pk}-self_assessed")).to_have_text("0")
    expect(board.get_by_test_id(f"progress-{unit.pk}-decided")).to_have_text("0")
    expect(board.get_by_test_id("waiting")).to_be_visible()  # nothing to publish yet
    expect(board.get_by_test_id("publish-form")).to_have_count(0)
    evaluation = {c.pk: kit.evaluation_of(campaign, c) for c in world.cadres}
    collective = kit.evaluation_of(campaign, world.district.leadership.committee)
    mine = evaluation[me.pk]

    # 2. The cadre self-assesses on a phone, from "to self-assess".
    phone = browser_of(me.user, phone=True)
    phone.goto(f"{url}/evaluation/")
    todo = phone.get_by_test_id("to-self-assess")
    expect(todo.locator("a")).to_have_count(1)  # their own, not the collective's (not chair)
    no_overflow(phone)
    todo.get_by_test_id(f"self-assess-{mine.pk}").click()
    phone.wait_for_url(f"{url}/evaluation/e/{mine.pk}/")
    expect(phone.get_by_test_id("state")).to_have_text(vi(EvaluationState.DRAFT.label))
    sheet = phone.get_by_test_id("self-assess-form")
    general, tasks = sheet.locator("#id_self_score_general"), sheet.locator("#id_self_score_tasks")
    review, level = sheet.locator("#id_self_review"), sheet.locator("#id_self_level")
    expect(sheet.locator("input[inputmode=decimal]")).to_have_count(2)  # one per group
    words = "Hoàn thành tốt các nhiệm vụ được giao; còn chậm trong cải cách hành chính."
    no_overflow(phone)

    # Over the group's 30 points: the form refuses it, next to the field; nothing is lost.
    general.fill("35")
    tasks.fill("55,5")
    review.fill(words)
    phone.get_by_test_id("self-assess-submit").click()
    error = sheet.locator(".cf-field--error")
    expect(error).to_have_count(1)
    expect(error.locator("#id_self_score_general")).to_have_count(1)
    expect(error.get_by_role("alert")).to_have_text(
        vi(translation.gettext_lazy("Between 0 and %(most)s points."), most=30)
    )
    expect(general).to_have_value("35")
    expect(tasks).to_have_value("55,5")
    expect(review).to_have_value(words)
    no_overflow(phone)
    phone.screenshot(path=str(output_dir / "evaluation-phone-form-error.png"), full_page=True)
    assert kit.refresh(mine).state == EvaluationState.DRAFT

    # 80.5 points reach "good": asking for "excellent" is refused by the service, on the form.
    general.fill("25")
    level.select_option(str(EXCELLENT))
    phone.get_by_test_id("self-assess-submit").click()
    refusal = sheet.get_by_test_id("form-errors")
    expect(refusal).to_contain_text(vi(EvaluationLevel.GOOD.label))
    expect(refusal).to_contain_text("80")
    expect(sheet.locator(".cf-field--error")).to_have_count(0)
    expect(general).to_have_value("25")
    expect(tasks).to_have_value("55,5")
    expect(review).to_have_value(words)
    expect(level).to_have_value(str(EXCELLENT))
    no_overflow(phone)
    assert kit.refresh(mine).state == EvaluationState.DRAFT

    # The level the total reaches: filed.
    level.select_option("")
    phone.get_by_test_id("self-assess-submit").click()
    expect(phone.get_by_test_id("state")).to_have_text(vi(EvaluationState.SELF_RATED.label))
    expect(phone.get_by_test_id("timeline-self")).to_be_visible()
    # Points read with the Vietnamese decimal comma, the scores as the total ("55.5" would
    # read as fifty-five thousand five hundred).
    expect(phone.get_by_test_id("total")).to_have_text("80,50")
    expect(phone.get_by_test_id("timeline-self")).to_contain_text("55,50 / 70")
    expect(phone.get_by_test_id("timeline-self")).to_contain_text("25 / 30")
    expect(phone.get_by_test_id("self-level")).to_have_text(vi(EvaluationLevel.GOOD.label))
    expect(phone.get_by_test_id("timeline-self")).to_contain_text(words)
    no_overflow(phone)
    mine = kit.refresh(mine)
    assert (mine.scores, mine.self_level, mine.self_assessed_by) == (
        {"general": "25", "tasks": "55.5"},
        GOOD,
        me.user,
    )
    phone.goto(f"{url}/evaluation/")
    no_overflow(phone)

    # 3. The board appraises on the desk: it proposes the self-rated level.
    board.goto(f"{url}/evaluation/e/{mine.pk}/")
    appraisal = board.get_by_test_id("appraise-form")
    expect(appraisal.locator("input[name=level][value='30']")).to_be_checked()
    appraisal.locator("#id_appraise_note").fill("Đúng với kết quả thực hiện nhiệm vụ.")
    board.get_by_test_id("appraise-submit").click()
    expect(board.get_by_test_id("state")).to_have_text(vi(EvaluationState.PROPOSED.label))
    expect(board.get_by_test_id("proposed-level")).to_have_text(vi(EvaluationLevel.GOOD.label))
    expect(board.get_by_test_id("decide-form")).to_have_count(0)  # the board never decides

    # The district's chair opens it from "to decide" on a phone: the collective comes first.
    chair = browser_of(world.district_chair, phone=True)
    chair.goto(f"{url}/evaluation/")
    chair.get_by_test_id(f"decide-{mine.pk}").click()
    chair.wait_for_url(f"{url}/evaluation/e/{mine.pk}/")
    expect(chair.get_by_test_id("blockers")).to_contain_text(collective_name)
    no_overflow(chair)
    chair.screenshot(path=str(output_dir / "evaluation-phone-blocked.png"), full_page=True)
    chair.get_by_test_id("decide-submit").click()  # deciding anyway: refused
    expect(chair.get_by_test_id("error-text")).to_contain_text(collective_name)
    assert kit.refresh(mine).state == EvaluationState.PROPOSED
    chair.get_by_test_id("error-back").click()

    # The collective's rating is decided by the standing committee above (the province's).
    off_the_page_thread(_walk_the_collective, world, collective)
    assert kit.refresh(collective).state == EvaluationState.DECIDED

    chair.reload()
    expect(chair.get_by_test_id("blockers")).to_have_count(0)
    decision = chair.get_by_test_id("decide-form")
    expect(decision.locator("input[name=level][value='30']")).to_be_checked()
    chair.get_by_test_id("decide-submit").click()
    expect(chair.get_by_test_id("state")).to_have_text(vi(EvaluationState.DECIDED.label))
    expect(chair.get_by_test_id("decided-level")).to_have_text(vi(EvaluationLevel.GOOD.label))
    expect(chair.get_by_test_id("rating")).to_have_text(vi(EvaluationLevel.GOOD.label))
    no_overflow(chair)
    mine = kit.refresh(mine)
    assert (mine.decided_level, mine.decided_by) == (GOOD, world.district_chair)

    # 4. The second cadre is rated through the services; the board excuses the third on the
    #    page; it then publishes.
    off_the_page_thread(_rate, world, evaluation[second.pk], COMPLETED)
    board.goto(f"{url}/evaluation/e/{evaluation[third.pk].pk}/")
    excuse = board.get_by_test_id("excuse-form")
    board.locator("details", has=excuse).locator("summary").click()
    excuse.locator("#id_excuse_reason").fill("Nghỉ ốm dài ngày, không đủ thời gian công tác.")
    board.get_by_test_id("excuse-submit").click()
    expect(board.get_by_test_id("state")).to_have_text(vi(EvaluationState.EXCUSED.label))
    expect(board.get_by_test_id("timeline-excused")).to_be_visible()

    board.goto(campaign_page)
    expect(board.get_by_test_id("waiting")).to_have_count(0)
    board.get_by_test_id("publish-submit").click()
    expect(board.get_by_test_id("stage")).to_have_text(vi(CampaignStage.PUBLISHED.label))
    expect(board.get_by_test_id("published-at")).to_be_visible()
    expect(board.get_by_test_id("actions")).to_have_count(0)
    result = EvaluationResult.objects.get(cadre=me, year=YEAR)
    assert (result.period, result.level) == ("year", GOOD)
    assert not EvaluationResult.objects.filter(cadre=third).exists()

    # The cadre reads the rating on the evaluation page, the unit's results and the record.
    phone.goto(f"{url}/evaluation/e/{mine.pk}/")
    expect(phone.get_by_test_id("state")).to_have_text(vi(EvaluationState.PUBLISHED.label))
    expect(phone.get_by_test_id("rating")).to_have_text(vi(EvaluationLevel.GOOD.label))
    expect(phone.get_by_test_id("timeline-published")).to_be_visible()
    expect(phone.get_by_test_id("actions")).to_have_count(0)
    no_overflow(phone)
    phone.screenshot(path=str(output_dir / "evaluation-phone-published.png"), full_page=True)
    phone.get_by_test_id("campaign-link").click()
    results = phone.get_by_test_id("my-results")
    expect(results.get_by_test_id(f"result-{mine.pk}")).to_contain_text(
        vi(EvaluationLevel.GOOD.label)
    )
    expect(results.get_by_test_id(f"result-{evaluation[third.pk].pk}")).to_have_count(0)
    no_overflow(phone)
    phone.go_back()
    phone.get_by_test_id("record-link").click()
    phone.wait_for_url(re.compile(rf"/{me.pk}/$"))
    with translation.override("vi"):
        heading = translation.gettext("Evaluation results")
    record = phone.locator("section", has=phone.get_by_role("heading", name=heading))
    row = record.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(str(YEAR))
    expect(row).to_contain_text(vi(EvaluationLevel.GOOD.label))
    expect(row).to_contain_text(re.compile(r"80[.,]5"))
    no_overflow(phone)

    # 5. The campaign page: progress per unit and the distribution of the decided levels (the
    #    collective and two cadres decided, one excused), on the board's phone too.
    board.goto(campaign_page)
    progress = {"total": "4", "self_assessed": "3", "appraised": "3", "decided": "3"}
    for column, count in {**progress, "excused": "1", "under_complaint": "0"}.items():
        expect(board.get_by_test_id(f"progress-{unit.pk}-{column}")).to_have_text(count)
    for level, count in ((EXCELLENT, 0), (GOOD, 2), (COMPLETED, 1), (NOT_COMPLETED, 0)):
        for key in (unit.pk, "all"):
            expect(board.get_by_test_id(f"dist-{key}-{level}")).to_have_text(str(count))
    expect(board.get_by_test_id(f"progress-{unit.pk}")).to_contain_text("100%")

    board_phone = browser_of(world.staff, phone=True)
    board_phone.goto(campaign_page)
    expect(board_phone.get_by_test_id("distribution")).to_be_visible()
    expect(board_phone.get_by_test_id(f"dist-{unit.pk}-{GOOD}")).to_have_text("2")
    no_overflow(board_phone)
    board_phone.screenshot(path=str(output_dir / "evaluation-phone-campaign.png"), full_page=True)
