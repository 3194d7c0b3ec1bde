"""The evaluation pages over HTTP with the users of ``kit.build_world``: the board opens a
campaign on its form, a cadre self-assesses on the phone-sized form (errors keep what was
typed), the board appraises, the chair decides, the quota refusal at its boundary lands on the
form with its numbers, a complaint is re-evaluated by the superior chair, the board publishes and
the cadre's record shows the result; the campaign page's progress and distribution match the
database; a stale or double POST is a 409; the pages open in Vietnamese and English."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from personnel.models import EvaluationResult
from tests.workflows.appointment.pages import client_for, see_other, text
from tests.workflows.evaluation import kit
from tests.workflows.evaluation.kit import COMPLETED, EXCELLENT, GOOD
from workflows.evaluation import services
from workflows.evaluation.models import (
    DECIDED_STATES,
    CampaignStage,
    Evaluation,
    EvaluationCampaign,
    EvaluationComplaint,
    EvaluationState,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(province, district_a):
    return kit.build_world(province, district_a)


def campaigns(name: str = "index", campaign=None) -> str:
    kwargs = {"campaign_id": campaign.pk} if campaign is not None else {}
    return reverse(f"evaluation:campaign:{name}", kwargs=kwargs)


def url(name: str, evaluation) -> str:
    return reverse(f"evaluation:evaluation:{name}", kwargs={"evaluation_id": evaluation.pk})


def marked(page: str, name: str) -> str:
    """The text of the element marked ``data-testid=name`` (one without children)."""
    found = re.search(rf'data-testid="{re.escape(name)}"[^>]*>([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


def _scores(level: int) -> dict:
    return {f"score_{code}": str(points) for code, points in kit.SCORES[level].items()}


def _self_assess(client, evaluation, scored=GOOD, **extra):
    """POST the self-assessment form with the kit's scores for the level ``scored``."""
    data = {
        "state": evaluation.state,
        **_scores(scored),
        "review": "Hoàn thành tốt các nhiệm vụ được giao.",
        "level": "",
    }
    return client.post(url("self_assess", evaluation), {**data, **extra})


def _level(client, name, evaluation, level, **extra):
    """POST a level form (appraise, decide, reevaluate) from the page as it stands."""
    data = {"state": kit.refresh(evaluation).state, "level": level, "note": "", **extra}
    return client.post(url(name, evaluation), data)


# --------------------------------------------------------------------------- the whole walk


def test_a_campaign_runs_through_the_pages_to_the_cadres_record(
    world, django_capture_on_commit_callbacks
):
    staff, chair = client_for(world.staff), client_for(world.district_chair)
    cadre, second, third = world.cadres
    me = client_for(cadre.user)

    # The board opens the campaign from its form; a cadre is not offered the form.
    assert 'data-testid="open-link"' in text(staff.get(campaigns()))
    assert 'data-testid="open-link"' not in text(me.get(campaigns()))
    form = text(staff.get(campaigns("open")))
    assert f'<option value="{world.district.unit.pk}">' in form
    assert "When necessary (ad hoc)" in form  # the periods come from EvaluationPeriod
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            campaigns("open"),
            {
                "title": "Đánh giá năm 2026",
                "period": "year",
                "year": 2026,
                "units": [world.district.unit.pk],
                "track": "party",
                "self_assessment_days": 10,
            },
        )
    campaign = EvaluationCampaign.objects.get(title="Đánh giá năm 2026")
    see_other(response, campaigns("detail", campaign))
    assert campaign.stage == CampaignStage.OPEN and campaign.opened_by == world.staff
    assert campaign.evaluations.count() == 4  # the leadership collective and three cadres
    mine = kit.evaluation_of(campaign, cadre)

    # The cadre finds the self-assessment in their work list and files it on the phone form.
    listing = text(me.get(campaigns()))
    assert f'data-testid="self-assess-{mine.pk}"' in listing
    page = text(me.get(url("detail", mine)))
    assert 'data-testid="self-assess-form"' in page
    assert page.count('inputmode="decimal"') == 2  # one per criteria group of the rule-set
    assert "0 to 30 points" in page and "0 to 70 points" in page
    assert "90 points or more" in page and "70 to under 90 points" in page
    see_other(_self_assess(me, mine, score_general="25", score_tasks="55,5"), url("detail", mine))
    mine = kit.refresh(mine)
    assert mine.state == EvaluationState.SELF_RATED
    assert (mine.total, mine.self_level) == (Decimal("80.5"), GOOD)
    assert mine.scores == {"general": "25", "tasks": "55.5"}

    # The board appraises; the chair decides.
    page = text(staff.get(url("detail", mine)))
    assert 'data-testid="appraise-form"' in page and 'data-testid="decide-form"' not in page
    see_other(_level(staff, "appraise", mine, GOOD))
    assert kit.refresh(mine).state == EvaluationState.PROPOSED
    assert f'data-testid="decide-{mine.pk}"' in text(chair.get(campaigns()))
    page = text(chair.get(url("detail", mine)))
    assert 'data-testid="decide-form"' in page and 'data-testid="quota"' in page
    see_other(_level(chair, "decide", mine, GOOD))
    mine = kit.refresh(mine)
    assert (mine.state, mine.decided_level, mine.decided_by) == (
        EvaluationState.DECIDED,
        GOOD,
        world.district_chair,
    )

    # The cadre complains; the province's chair re-evaluates with a reason.
    page = text(me.get(url("detail", mine)))
    assert 'data-testid="complain-form"' in page and 'data-testid="decide-form"' not in page
    see_other(
        me.post(url("complain", mine), {"state": "decided", "text": "Tôi đã vượt 60 % chỉ tiêu."})
    )
    assert kit.refresh(mine).state == EvaluationState.REEVALUATION
    province = client_for(world.province_chair)
    assert 'data-testid="reevaluate-form"' not in text(chair.get(url("detail", mine)))
    assert 'data-testid="reevaluate-form"' in text(province.get(url("detail", mine)))
    see_other(_level(province, "reevaluate", mine, COMPLETED, reason="Chưa đủ minh chứng."))
    complaint = EvaluationComplaint.objects.get(evaluation=mine)
    assert (complaint.level_before, complaint.level_after) == (GOOD, COMPLETED)
    page = text(me.get(url("detail", mine)))
    assert f'data-testid="timeline-complaint-{complaint.pk}"' in page
    assert "Chưa đủ minh chứng." in page and "Tôi đã vượt 60 % chỉ tiêu." in page

    # The rest: the collective decided by the province, one cadre decided, one excused.
    collective = kit.evaluation_of(campaign, world.district.leadership.committee)
    kit.decide(kit.propose(world, collective), GOOD, actor=world.province_chair)
    kit.decide(
        kit.propose(world, kit.evaluation_of(campaign, second)), GOOD, actor=world.district_chair
    )
    excused = kit.evaluation_of(campaign, third)
    page = text(staff.get(campaigns("detail", campaign)))
    assert 'data-testid="publish-form"' not in page
    assert marked(page, "waiting").startswith("The results can be published once")
    assert "Awaiting the self-assessment: <strong>1</strong>" in page  # the third cadre
    see_other(staff.post(url("excuse", excused), {"state": "draft", "reason": "Nghỉ ốm dài ngày."}))

    # The progress and the distribution on the campaign page are the database's.
    page = text(staff.get(campaigns("detail", campaign)))
    unit = world.district.unit.pk
    rows = Evaluation.objects.filter(campaign=campaign, unit_id=unit)
    assert marked(page, f"progress-{unit}-total") == str(rows.count()) == "4"
    assert marked(page, f"progress-{unit}-self_assessed") == "3"
    assert marked(page, f"progress-{unit}-appraised") == "3"
    assert marked(page, f"progress-{unit}-decided") == "3"
    assert marked(page, f"progress-{unit}-excused") == "1"
    assert marked(page, f"progress-{unit}-under_complaint") == "0"
    decided = rows.filter(state__in=DECIDED_STATES)
    for level in (EXCELLENT, GOOD, COMPLETED):
        expected = decided.filter(decided_level=level).count()
        assert marked(page, f"dist-{unit}-{level}") == str(expected)
        assert marked(page, f"dist-all-{level}") == str(expected)
    assert (marked(page, f"dist-{unit}-{GOOD}"), marked(page, f"dist-{unit}-{COMPLETED}")) == (
        "2",
        "1",
    )
    assert 'style="width: 67%"' in page  # two of the three decided are good

    # The board publishes; the cadre's record shows the result, the unit's list too.
    with django_capture_on_commit_callbacks(execute=True):
        see_other(staff.post(campaigns("publish", campaign), {}), campaigns("detail", campaign))
    campaign = EvaluationCampaign.objects.get(pk=campaign.pk)
    assert campaign.stage == CampaignStage.PUBLISHED
    result = EvaluationResult.objects.get(cadre=cadre)
    assert (result.year, result.level, result.score) == (2026, COMPLETED, Decimal("80.5"))
    profile = text(me.get(reverse("personnel:cadres:detail", kwargs={"pk": cadre.pk})))
    assert "Completed tasks" in profile and "2026" in profile and "80.5" in profile
    page = text(me.get(campaigns("detail", campaign)))
    assert 'data-testid="my-results"' in page
    assert second.full_name in page  # published: the unit sees its list
    assert 'data-testid="timeline-published"' in text(me.get(url("detail", mine)))


# --------------------------------------------------------------------------- the forms


def test_the_open_form_keeps_what_was_typed_and_refuses_overlaps(world):
    staff = client_for(world.staff)
    data = {
        "title": "Đánh giá quý",
        "period": "quarter",
        "quarter": "",
        "year": 2026,
        "units": [world.district.unit.pk],
        "track": "party",
        "self_assessment_days": 10,
    }
    response = staff.post(campaigns("open"), data)
    assert response.status_code == 400
    page = text(response)
    assert "Choose the quarter (1–4)." in page and 'value="Đánh giá quý"' in page
    assert re.search(rf'<option value="{world.district.unit.pk}" selected>', page)
    response = staff.post(campaigns("open"), {**data, "period": "ad_hoc"})
    assert response.status_code == 400 and "Say why this ad hoc evaluation is held." in text(
        response
    )
    assert not EvaluationCampaign.objects.exists()
    see_other(staff.post(campaigns("open"), {**data, "quarter": 2}))
    # the same units for the same quarter again: the service's conflict, a refusal page
    again = staff.post(campaigns("open"), {**data, "quarter": 2})
    assert again.status_code == 409
    assert "Already evaluated for this period" in text(again)
    assert EvaluationCampaign.objects.count() == 1


def test_a_self_assessment_error_keeps_the_input(world):
    campaign = kit.open_campaign(world)
    cadre = world.cadres[0]
    me = client_for(cadre.user)
    mine = kit.evaluation_of(campaign, cadre)
    # over a group's maximum: the field says so, everything typed stays
    response = _self_assess(
        me, mine, score_general="35", score_tasks="50", review="Bản tự kiểm điểm X"
    )
    assert response.status_code == 400
    page = text(response)
    assert "Between 0 and 30 points." in page
    assert 'value="35"' in page and 'value="50"' in page and "Bản tự kiểm điểm X" in page
    # a level above the one the total reaches: the service's refusal, on the form
    response = _self_assess(me, mine, GOOD, level=EXCELLENT)
    assert response.status_code == 400
    page = text(response)
    assert "A total of 80.00 reaches at most “Well completed tasks”." in page
    assert re.search(rf'<option value="{EXCELLENT}" selected>', page)
    assert kit.refresh(mine).state == EvaluationState.DRAFT
    # a lower level may be chosen
    see_other(_self_assess(me, mine, GOOD, level=COMPLETED))
    assert kit.refresh(mine).self_level == COMPLETED


def test_the_quota_refusal_shows_its_numbers_on_the_form(world):
    """5 good allow 1 excellent (20 %): the second is refused on the form with the numbers,
    the level and the note kept; another level then passes."""
    good = [kit.cadre(world.district.unit) for _ in range(5)]
    first, second = kit.cadre(world.district.unit), kit.cadre(world.district.unit)
    campaign = kit.open_campaign(world)
    district_chair = world.district_chair
    for cadre in good:
        kit.decide(
            kit.propose(world, kit.evaluation_of(campaign, cadre)), GOOD, actor=district_chair
        )
    kit.decide(
        kit.propose(world, kit.evaluation_of(campaign, first), EXCELLENT),
        EXCELLENT,
        actor=district_chair,
    )
    evaluation = kit.propose(world, kit.evaluation_of(campaign, second), EXCELLENT)
    chair = client_for(district_chair)
    page = text(chair.get(url("detail", evaluation)))
    assert marked(page, "quota").startswith("In the peer group so far: 1 excellent, 5 good")
    response = _level(chair, "decide", evaluation, EXCELLENT, note="Có sáng kiến")
    assert response.status_code == 400
    page = text(response)
    assert "2 excellent would exceed 20 % of 5 good in the peer group: at most 1." in page
    assert re.search(rf'value="{EXCELLENT}"[^>]*checked', page)
    assert "Có sáng kiến" in page and 'data-testid="decide-form"' in page
    assert kit.refresh(evaluation).state == EvaluationState.PROPOSED
    see_other(_level(chair, "decide", evaluation, GOOD, note="Hạn mức xuất sắc."))
    assert kit.refresh(evaluation).decided_level == GOOD


# --------------------------------------------------------------------------- stale pages


def test_a_stale_or_double_post_is_answered_409(world):
    campaign = kit.open_campaign(world)
    cadre = world.cadres[0]
    me, staff, staff2 = (
        client_for(cadre.user),
        client_for(world.staff),
        client_for(world.district.staff2),
    )
    mine = kit.evaluation_of(campaign, cadre)
    # the same self-assessment sent twice: the second comes from a page showing "draft"
    see_other(_self_assess(me, mine))
    again = me.post(
        url("self_assess", mine),
        {"state": "draft", **_scores(COMPLETED), "review": "Lần hai", "level": ""},
    )
    assert again.status_code == 409
    page = text(again)
    assert "already been dealt with" in page and url("detail", mine) in page
    assert kit.refresh(mine).self_level == GOOD  # the second did not overwrite the first
    # two board members appraise from the same page
    see_other(staff.post(url("appraise", mine), {"state": "self_rated", "level": GOOD}))
    again = staff2.post(url("appraise", mine), {"state": "self_rated", "level": COMPLETED})
    assert again.status_code == 409
    assert kit.refresh(mine).proposed_level == GOOD
    # the decision sent twice
    chair = client_for(world.district_chair)
    see_other(chair.post(url("decide", mine), {"state": "proposed", "level": GOOD}))
    assert chair.post(url("decide", mine), {"state": "proposed", "level": GOOD}).status_code == 409
    # publishing twice: the service's own conflict
    for other in world.cadres[1:]:
        services.evaluation_excuse(
            actor=world.staff, evaluation=kit.evaluation_of(campaign, other), reason="Chuyển"
        )
    services.evaluation_excuse(
        actor=world.staff,
        evaluation=kit.evaluation_of(campaign, world.district.leadership.committee),
        reason="Kiện toàn",
    )
    see_other(staff.post(campaigns("publish", campaign), {}))
    assert staff2.post(campaigns("publish", campaign), {}).status_code == 409
    assert EvaluationResult.objects.filter(cadre=cadre).count() == 1


def test_a_cancelled_campaign_takes_no_more_posts(world):
    campaign = kit.open_campaign(world)
    mine = kit.evaluation_of(campaign, world.cadres[0])
    staff = client_for(world.staff)
    response = staff.post(campaigns("cancel", campaign), {"reason": ""})
    assert response.status_code == 400 and 'data-testid="cancel-form"' in text(response)
    see_other(staff.post(campaigns("cancel", campaign), {"reason": "Mở nhầm đợt."}))
    assert EvaluationCampaign.objects.get(pk=campaign.pk).stage == CampaignStage.CANCELLED
    me = client_for(world.cadres[0].user)
    page = text(me.get(url("detail", mine)))
    assert 'data-testid="actions"' not in page and "Mở nhầm đợt." in page
    assert _self_assess(me, mine).status_code == 409
    assert kit.refresh(mine).state == EvaluationState.DRAFT


# --------------------------------------------------------------------------- languages, tasks


def test_the_pages_open_in_vietnamese_and_english(world):
    campaign = kit.open_campaign(world)
    mine = kit.self_assess(kit.evaluation_of(campaign, world.cadres[0]))
    for language in ("vi", "en"):
        for user in (world.staff, world.cadres[0].user):
            client = client_for(user, language)
            for path in (
                campaigns(),
                campaigns("open"),
                campaigns("detail", campaign),
                url("detail", mine),
            ):
                response = client.get(path)
                assert response.status_code == 200, (language, path)
                assert f'lang="{language}"' in text(response), (language, path)
    page = text(client_for(world.staff, "en").get(url("detail", mine)))
    assert "Appraise and propose a level" in page and "Well completed tasks" in page


def test_the_publish_task_opens_the_campaign_page(world):
    campaign = kit.open_campaign(world)
    task = campaign.task_set.get(flow_task__isnull=False, finished__isnull=True)
    staff = client_for(world.staff)
    mine = f"/workflow/flows/evaluation/{campaign.pk}/"
    assert mine in text(staff.get("/workflow/queue/"))
    staff.post("/workflow/queue/assign/", {"pk": [task.pk], "_confirm": "1"})
    assert mine in text(staff.get("/workflow/inbox/"))
    opened = staff.get(f"{mine}publish/{task.pk}/")
    assert opened.status_code == 302 and opened["Location"] == campaigns("detail", campaign)
