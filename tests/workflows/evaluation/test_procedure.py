"""The evaluation procedure through its services (domain §3, I-21, I-22): the opening, the
self-assessment and its bands, the appraisal and the decision, the "excellent" quota at its
boundary, the order rules, a complaint and its re-evaluation, publication to each person's
record, the progress of a campaign, cancellation."""

from decimal import Decimal

import pytest
from django.utils import translation
from viewflow.workflow.status import STATUS

from notifications import kinds
from notifications.models import Notification
from personnel.audit.models import AuditEvent
from personnel.models import EvaluationResult
from tests.factories import OrgUnitFactory
from tests.workflows.ballot_kit import call_meeting
from tests.workflows.evaluation import kit
from tests.workflows.evaluation.kit import COMPLETED, EXCELLENT, GOOD, NOT_COMPLETED
from workflows.core import rules
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import Deadline, ParameterKey, RuleSet
from workflows.evaluation import notices, selectors, services
from workflows.evaluation.flows import EvaluationFlow
from workflows.evaluation.models import (
    CampaignStage,
    Evaluation,
    EvaluationComplaint,
    EvaluationState,
    Subject,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(province, district_a):
    return kit.build_world(province, district_a)


def _actions(campaign):
    return list(
        AuditEvent.objects.filter(process_id=campaign.pk, procedure="evaluation")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def _notified(kind):
    return list(Notification.objects.filter(kind=kind.code).values_list("recipient_id", "params"))


# --------------------------------------------------------------------------- opening


def test_opening_creates_an_evaluation_per_collective_and_per_cadre(
    world, district_b, django_capture_on_commit_callbacks
):
    head = kit.cadre(world.district.unit, post=world.district.top_post, name="Bí thư")
    office = kit.cadre(world.district.unit, post=world.district.office_post, name="Trưởng phòng")
    paper = kit.cadre(world.district.unit, user=False, name="Chưa có tài khoản")
    elsewhere = kit.cadre(district_b, name="Ở huyện khác")
    with django_capture_on_commit_callbacks(execute=True):
        campaign = kit.open_campaign(world, self_assessment_days=5)
    assert campaign.stage == CampaignStage.OPEN
    assert campaign.unit == world.district.unit
    assert list(campaign.units.all()) == [world.district.unit]
    assert campaign.ruleset == RuleSet.objects.get(code="qd377-2025")
    assert RuleSet.objects.get(pk=campaign.ruleset_id).in_use
    assert campaign.self_assessment_due is not None
    evaluations = campaign.evaluations.all()
    # one collective (the leadership collective) and every cadre of the unit, nobody else's
    assert evaluations.filter(subject=Subject.COLLECTIVE).count() == 1
    collective = kit.evaluation_of(campaign, world.district.leadership.committee)
    assert {e.cadre for e in evaluations.filter(subject=Subject.INDIVIDUAL)} == {
        *world.cadres,
        head,
        office,
        paper,
    }
    assert not evaluations.filter(cadre=elsewhere).exists()
    # competent levels: a collective by the standing committee above; a cadre by the committee
    # managing their post, else by the unit's standing committee
    assert collective.competent_body == world.province.standing.committee
    assert kit.evaluation_of(campaign, head).competent_body == world.province.standing.committee
    assert kit.evaluation_of(campaign, office).competent_body == world.district.standing.committee
    assert (
        kit.evaluation_of(campaign, world.cadres[0]).competent_body
        == world.district.standing.committee
    )
    # peer groups: unit + post level for cadres, committee kind + unit kind for collectives
    unit_id = world.district.unit.pk
    assert kit.evaluation_of(campaign, office).peer_group == f"unit:{unit_id}:level:40"
    assert kit.evaluation_of(campaign, world.cadres[0]).peer_group == f"unit:{unit_id}:level:none"
    assert collective.peer_group == "collective:leadership:district_party"
    assert kit.evaluation_of(campaign, office).position == world.district.office_post
    # every evaluation is waiting for its self-assessment, with a limit in working days
    assert set(evaluations.values_list("state", flat=True)) == {EvaluationState.DRAFT}
    for evaluation in evaluations:
        deadline = Deadline.objects.get(pk=evaluation.deadline_id)
        assert deadline.working_days == 5
        assert deadline.due == campaign.self_assessment_due
    own = Deadline.objects.get(pk=kit.evaluation_of(campaign, office).deadline_id)
    assert list(own.responsible.all()) == [office.user]
    board = Deadline.objects.get(pk=kit.evaluation_of(campaign, paper).deadline_id)
    assert set(board.responsible.all()) == {world.district.staff, world.district.staff2}
    # each self-assessor is asked, about their own evaluation only
    asked = _notified(notices.SELF_ASSESSMENT_DUE)
    assert sorted(r for r, _ in asked) == sorted(
        [c.user_id for c in [*world.cadres, head, office]] + [world.district.leadership.chair.pk]
    )
    for recipient, params in asked:
        if recipient == office.user_id:
            assert params["subject"] == str(office)
    # the board finds the publication task in its queue; the opening is audited
    task = campaign.task_set.get(flow_task=EvaluationFlow.publish)
    assert task.status == STATUS.NEW
    assert _actions(campaign)[-1] == "evaluation.open"


def test_the_opening_checks_its_input(world):
    with pytest.raises(Invalid, match="quarter"):
        kit.open_campaign(world, period="quarter")
    with pytest.raises(Invalid, match="quarter"):
        kit.open_campaign(world, period="year", quarter=2)
    with pytest.raises(Invalid, match="units"):
        services.campaign_open(actor=world.staff, title="x", period="year", year=2026, units=[])
    with pytest.raises(Invalid, match="working days"):
        kit.open_campaign(world, self_assessment_days=0)
    campaign = kit.open_campaign(world, period="quarter", quarter=3)
    assert campaign.period_label == "Quarter 3/2026"
    assert (
        not AuditEvent.objects.filter(action="evaluation.open")
        .exclude(process_id=campaign.pk)
        .exists()
    )


def test_a_unit_is_evaluated_once_per_period(world):
    kit.open_campaign(world)
    with pytest.raises(Conflict, match=world.district.unit.name):
        kit.open_campaign(world, actor=world.province.staff)
    # another period is another campaign
    kit.open_campaign(world, period="quarter", quarter=1)


# --------------------------------------------------------------------------- self-assessment


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (Decimal("100"), EXCELLENT),
        (Decimal("90"), EXCELLENT),
        (Decimal("89.99"), GOOD),
        (Decimal("70"), GOOD),
        (Decimal("69.5"), COMPLETED),
        (Decimal("50"), COMPLETED),
        (Decimal("49.99"), NOT_COMPLETED),
        (Decimal("0"), NOT_COMPLETED),
    ],
)
def test_the_rule_sets_bands_give_the_level(total, level):
    bands = rules.get(RuleSet.objects.get(code="qd377-2025"), ParameterKey.EVALUATION_SCORE_BANDS)
    assert bands == {"excellent": 90, "good": 70, "completed": 50}
    assert services.level_for_score(total, bands) == level


def test_the_self_assessment_stores_scores_total_and_the_band_level(world):
    campaign = kit.open_campaign(world)
    cadre = world.cadres[0]
    evaluation = services.evaluation_self_assess(
        actor=cadre.user,
        evaluation=kit.evaluation_of(campaign, cadre),
        scores={"general": "27,5", "tasks": 62.5},
        review="Tự đánh giá.",
    )
    assert evaluation.state == EvaluationState.SELF_RATED
    assert evaluation.scores == {"general": "27.5", "tasks": "62.5"}
    assert evaluation.total == Decimal("90.00")
    assert evaluation.self_level == EXCELLENT
    assert evaluation.self_assessed_by == cadre.user
    # the limit is met: reminders stop
    assert Deadline.objects.get(pk=evaluation.deadline_id).met_at is not None
    # a lower level may be chosen (the higher levels carry further conditions), not a higher one
    evaluation = services.evaluation_self_assess(
        actor=cadre.user,
        evaluation=evaluation,
        scores=kit.SCORES[EXCELLENT],
        review="x",
        level=GOOD,
    )
    assert evaluation.self_level == GOOD
    with pytest.raises(Invalid, match="reaches at most"):
        services.evaluation_self_assess(
            actor=cadre.user,
            evaluation=evaluation,
            scores=kit.SCORES[GOOD],
            review="x",
            level=EXCELLENT,
        )
    event = AuditEvent.objects.filter(action="evaluation.self", cadre_id=cadre.pk).order_by("seq")
    event = event.last()
    assert event.changes["total"] == [None, "93.00"]


@pytest.mark.parametrize(
    ("scores", "review", "message"),
    [
        ({"general": 20}, "x", "Give a score for"),
        ({"general": 20, "tasks": 50, "extra": 1}, "x", "Unknown criteria groups: extra"),
        ({"general": -1, "tasks": 50}, "x", "between 0 and 30"),
        ({"general": 31, "tasks": 50}, "x", "between 0 and 30"),
        ({"general": 20, "tasks": 70.5}, "x", "between 0 and 70"),
        ({"general": "nhiều", "tasks": 50}, "x", "not a number"),
        ({"general": True, "tasks": 50}, "x", "not a number"),
        ({"general": "NaN", "tasks": 50}, "x", "between 0 and 30"),
        ({"general": "20.125", "tasks": 50}, "x", "two decimals"),
        ([20, 50], "x", "Give a score"),
        ({"general": 20, "tasks": 50}, "  ", "self-review"),
    ],
)
def test_bad_scores_are_refused_with_a_message_and_nothing_written(world, scores, review, message):
    campaign = kit.open_campaign(world)
    cadre = world.cadres[0]
    evaluation = kit.evaluation_of(campaign, cadre)
    events = AuditEvent.objects.count()
    with pytest.raises(Invalid) as refused:
        services.evaluation_self_assess(
            actor=cadre.user, evaluation=evaluation, scores=scores, review=review
        )
    assert message in refused.value.message
    evaluation = kit.refresh(evaluation)
    assert evaluation.state == EvaluationState.DRAFT
    assert evaluation.scores == {} and evaluation.total is None
    assert AuditEvent.objects.count() == events


def test_a_cadre_without_an_account_is_self_assessed_by_the_board(world):
    paper = kit.cadre(world.district.unit, user=False)
    campaign = kit.open_campaign(world)
    evaluation = kit.evaluation_of(campaign, paper)
    with pytest.raises(Forbidden):
        kit.self_assess(evaluation, actor=world.cadres[0].user)
    evaluation = kit.self_assess(evaluation, actor=world.staff)
    assert evaluation.self_assessed_by == world.staff


def test_the_collectives_comments_are_recorded_from_the_review_meeting(world):
    campaign = kit.open_campaign(world)
    cadre = world.cadres[0]
    evaluation = kit.self_assess(kit.evaluation_of(campaign, cadre))
    leadership = world.district.leadership
    meeting = call_meeting(
        actor=world.staff,
        unit=world.district.unit,
        chair=leadership.chair,
        body=leadership.committee,
        kind="leadership_collective",
        title="Hội nghị kiểm điểm",
    )
    with pytest.raises(Forbidden):
        services.evaluation_comments_record(actor=cadre.user, evaluation=evaluation, text="Tự khen")
    evaluation = services.evaluation_comments_record(
        actor=leadership.chair,
        evaluation=evaluation,
        text="Tập thể góp ý: đồng ý mức tự xếp loại.",
        meeting=meeting,
    )
    assert evaluation.state == EvaluationState.UNDER_APPRAISAL
    assert evaluation.comments_meeting == meeting
    # the self-assessment is closed once the comments are in
    with pytest.raises(Conflict):
        kit.self_assess(evaluation)
    # the appraisal follows
    evaluation = services.evaluation_appraise(actor=world.staff, evaluation=evaluation, level=GOOD)
    assert evaluation.state == EvaluationState.PROPOSED


def test_the_appraisal_needs_a_note_to_propose_another_level(world):
    campaign = kit.open_campaign(world)
    evaluation = kit.evaluation_of(campaign, world.cadres[0])
    with pytest.raises(Conflict, match="not been filed"):
        services.evaluation_appraise(actor=world.staff, evaluation=evaluation, level=GOOD)
    evaluation = kit.self_assess(evaluation, EXCELLENT)
    with pytest.raises(Invalid, match="reason"):
        services.evaluation_appraise(actor=world.staff, evaluation=evaluation, level=GOOD)
    evaluation = services.evaluation_appraise(
        actor=world.staff, evaluation=evaluation, level=GOOD, note="Chưa có sản phẩm cụ thể."
    )
    assert (evaluation.proposed_level, evaluation.appraised_by) == (GOOD, world.staff)
    with pytest.raises(Invalid, match="reason"):
        kit.decide(evaluation, EXCELLENT, actor=world.district_chair)


# --------------------------------------------------------------------------- the quota (I-21)


def _group_of(world, n):
    return [kit.cadre(world.district.unit) for _ in range(n)]


def test_the_quota_holds_exactly_at_its_boundary(world):
    """20 % of 10 good is 2: the second excellent passes, the third is refused with the
    numbers; a cadre of another peer group does not count."""
    good, excellent = _group_of(world, 10), _group_of(world, 3)
    other_group = kit.cadre(world.district.unit, post=world.district.office_post)
    campaign = kit.open_campaign(world)
    chair = world.district_chair
    first = kit.propose(world, kit.evaluation_of(campaign, excellent[0]), EXCELLENT)
    # before any good, not even one excellent
    with pytest.raises(Conflict) as refused:
        kit.decide(first, EXCELLENT, actor=chair)
    assert refused.value.message == (
        "1 excellent would exceed 20 % of 0 good in the peer group: at most 0."
    )
    for cadre in good:
        kit.decide(kit.propose(world, kit.evaluation_of(campaign, cadre)), GOOD, actor=chair)
    kit.decide(first, EXCELLENT, actor=chair)
    second = kit.propose(world, kit.evaluation_of(campaign, excellent[1]), EXCELLENT)
    assert kit.decide(second, EXCELLENT, actor=chair).decided_level == EXCELLENT  # 2 = 20 % of 10
    third = kit.propose(world, kit.evaluation_of(campaign, excellent[2]), EXCELLENT)
    with pytest.raises(Conflict) as refused:
        kit.decide(third, EXCELLENT, actor=chair)
    assert refused.value.message == (
        "3 excellent would exceed 20 % of 10 good in the peer group: at most 2."
    )
    assert kit.refresh(third).state == EvaluationState.PROPOSED
    assert not AuditEvent.objects.filter(action="evaluation.decide", cadre_id=excellent[2].pk)
    # the refused one may still be decided at another level
    third = services.evaluation_decide(actor=chair, evaluation=third, level=GOOD, note="Hạn mức.")
    assert third.decided_level == GOOD
    # another peer group has its own count: no good there, so no excellent
    other = kit.propose(world, kit.evaluation_of(campaign, other_group), EXCELLENT)
    with pytest.raises(Conflict, match="1 excellent would exceed 20 % of 0 good"):
        kit.decide(other, EXCELLENT, actor=chair)


def test_the_quota_follows_the_rule_set(world):
    qd377 = RuleSet.objects.get(code="qd377-2025")
    from workflows.core import services as core

    mine = core.ruleset_new_version(actor=None, base=qd377, title="Tỉnh: 50 %")
    core.ruleset_parameter_set(
        actor=None, ruleset=mine, key=ParameterKey.EXCELLENT_QUOTA, value=50, citation="test"
    )
    good, excellent = _group_of(world, 2), _group_of(world, 2)
    campaign = kit.open_campaign(world, ruleset=mine)
    chair = world.district_chair
    for cadre in good:
        kit.decide(kit.propose(world, kit.evaluation_of(campaign, cadre)), GOOD, actor=chair)
    kit.decide(
        kit.propose(world, kit.evaluation_of(campaign, excellent[0]), EXCELLENT),
        EXCELLENT,
        actor=chair,
    )
    with pytest.raises(Conflict, match="2 excellent would exceed 50 % of 2 good"):
        kit.decide(
            kit.propose(world, kit.evaluation_of(campaign, excellent[1]), EXCELLENT),
            EXCELLENT,
            actor=chair,
        )


# --------------------------------------------------------------------------- order (I-22)


def test_a_collective_is_decided_before_its_members(world):
    member = kit.cadre(world.district.unit)
    kit.member_of(world.district.leadership.committee, user=member.user)
    campaign = kit.open_campaign(world)
    evaluation = kit.propose(world, kit.evaluation_of(campaign, member))
    with pytest.raises(Conflict) as refused:
        kit.decide(evaluation, GOOD, actor=world.district_chair)
    name = world.district.leadership.committee.name
    assert refused.value.message == (
        f"The order of evaluation requires deciding first: {name} "
        "(a collective before its members)."
    )
    # a cadre who is not a member is not held back
    kit.decide(
        kit.propose(world, kit.evaluation_of(campaign, world.cadres[0])),
        GOOD,
        actor=world.district_chair,
    )
    collective = kit.propose(
        world, kit.evaluation_of(campaign, world.district.leadership.committee)
    )
    kit.decide(collective, GOOD, actor=world.province_chair)
    assert kit.decide(evaluation, GOOD, actor=world.district_chair).state == EvaluationState.DECIDED


def test_a_unit_is_decided_before_its_head(world):
    head = kit.cadre(world.district.unit, post=world.district.top_post, name="Bí thư Huyện")
    campaign = kit.open_campaign(world)
    evaluation = kit.propose(world, kit.evaluation_of(campaign, head))
    with pytest.raises(Conflict) as refused:
        kit.decide(evaluation, GOOD, actor=world.province_chair)
    assert "the unit Thành phố Cao Lãnh before its head" in refused.value.message
    assert world.district.leadership.committee.name in refused.value.message
    collective = kit.propose(
        world, kit.evaluation_of(campaign, world.district.leadership.committee)
    )
    kit.decide(collective, GOOD, actor=world.province_chair)
    assert kit.decide(evaluation, GOOD, actor=world.province_chair).state == EvaluationState.DECIDED


def test_lower_level_collectives_are_decided_before_higher(world):
    commune = OrgUnitFactory(name="Xã Tân Thuận", code="tan-thuan", parent=world.district.unit)
    below = kit.unit_world(commune)
    campaign = kit.open_campaign(world, units=[world.district.unit, commune])
    district = kit.propose(world, kit.evaluation_of(campaign, world.district.leadership.committee))
    with pytest.raises(Conflict, match="lower-level collectives before higher") as refused:
        kit.decide(district, GOOD, actor=world.province_chair)
    assert below.leadership.committee.name in refused.value.message
    # the commune's collective is rated by the district's standing committee
    local = kit.propose(world, kit.evaluation_of(campaign, below.leadership.committee))
    assert local.competent_body == world.district.standing.committee
    kit.decide(local, GOOD, actor=world.district_chair)
    assert kit.decide(district, GOOD, actor=world.province_chair).state == EvaluationState.DECIDED


# --------------------------------------------------------------------------- complaint


def test_a_complaint_is_re_evaluated_by_the_superior_committee(
    world, django_capture_on_commit_callbacks
):
    cadre, *good = _group_of(world, 6)
    campaign = kit.open_campaign(world)
    chair = world.district_chair
    for other in good:
        kit.decide(kit.propose(world, kit.evaluation_of(campaign, other)), GOOD, actor=chair)
    evaluation = kit.propose(world, kit.evaluation_of(campaign, cadre), EXCELLENT)
    evaluation = services.evaluation_decide(
        actor=chair, evaluation=evaluation, level=GOOD, note="Chưa vượt 50 % chỉ tiêu."
    )
    with pytest.raises(Forbidden):
        services.evaluation_complain(actor=good[0].user, evaluation=evaluation, text="x")
    with pytest.raises(Invalid):
        services.evaluation_complain(actor=cadre.user, evaluation=evaluation, text=" ")
    with django_capture_on_commit_callbacks(execute=True):
        complaint = services.evaluation_complain(
            actor=cadre.user, evaluation=evaluation, text="Tôi đã vượt 60 % chỉ tiêu."
        )
    assert complaint.superior_body == world.province.standing.committee
    assert complaint.level_before == GOOD
    evaluation = kit.refresh(evaluation)
    assert evaluation.state == EvaluationState.REEVALUATION
    told = {r for r, _ in _notified(notices.COMPLAINT_FILED)}
    assert told == {world.province_chair.pk, world.district.staff.pk, world.district.staff2.pk}
    with pytest.raises(Conflict, match="already under re-evaluation"):
        services.evaluation_complain(actor=world.staff, evaluation=evaluation, text="x")
    # the body that decided does not re-evaluate; the superior's chair does, with a reason
    with pytest.raises(Forbidden):
        services.evaluation_reevaluate(
            actor=chair, evaluation=evaluation, level=EXCELLENT, reason="x"
        )
    with pytest.raises(Invalid, match="reason"):
        services.evaluation_reevaluate(
            actor=world.province_chair, evaluation=evaluation, level=EXCELLENT, reason=""
        )
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = services.evaluation_reevaluate(
            actor=world.province_chair,
            evaluation=evaluation,
            level=EXCELLENT,
            reason="Kiểm tra lại: đã vượt 60 % chỉ tiêu, có sản phẩm cụ thể.",
        )
    assert evaluation.state == EvaluationState.DECIDED
    assert (evaluation.decided_level, evaluation.decided_by) == (EXCELLENT, world.province_chair)
    complaint = EvaluationComplaint.objects.get(pk=complaint.pk)
    assert complaint.level_after == EXCELLENT and complaint.resolved_by == world.province_chair
    event = AuditEvent.objects.filter(action="evaluation.reevaluate").get()
    assert event.changes["decided_level"] == [GOOD, EXCELLENT]
    assert event.reason.startswith("Kiểm tra lại")
    [(recipient, params)] = _notified(notices.REEVALUATED)
    assert recipient == cadre.user_id and params["level"] == "Excellently completed tasks"
    # quota applies again: 5 good allow one excellent, a second complaint cannot make two
    second = kit.evaluation_of(campaign, good[0])
    services.evaluation_complain(actor=good[0].user, evaluation=second, text="Xin xem lại.")
    with pytest.raises(Conflict, match="2 excellent would exceed 20 % of 4 good"):
        services.evaluation_reevaluate(
            actor=world.province_chair, evaluation=second, level=EXCELLENT, reason="x"
        )
    # nor may a re-evaluation take a good away when that breaks it: 1 excellent needs 5 good
    with pytest.raises(Conflict, match="1 excellent would exceed 20 % of 4 good"):
        services.evaluation_reevaluate(
            actor=world.province_chair, evaluation=second, level=COMPLETED, reason="x"
        )
    services.evaluation_reevaluate(
        actor=world.province_chair, evaluation=second, level=GOOD, reason="Giữ nguyên."
    )


def test_a_complaint_needs_a_decided_rating_and_a_committee_above(world):
    campaign = kit.open_campaign(world)
    evaluation = kit.propose(
        world, kit.evaluation_of(campaign, world.district.leadership.committee)
    )
    with pytest.raises(Conflict, match="decided"):
        services.evaluation_complain(actor=world.staff, evaluation=evaluation, text="x")
    evaluation = kit.decide(evaluation, GOOD, actor=world.province_chair)
    # decided by the province, the top of this tree: nobody above in Cadreflow
    with pytest.raises(Conflict, match="no committee above"):
        services.evaluation_complain(
            actor=world.district.leadership.chair, evaluation=evaluation, text="x"
        )


# --------------------------------------------------------------------------- publication


def test_publication_writes_each_cadres_record_and_tells_each_only_their_own(
    world, django_capture_on_commit_callbacks
):
    excused = kit.cadre(world.district.unit)
    campaign = kit.open_campaign(world)
    district_chair, province_chair = world.district_chair, world.province_chair
    collective = kit.propose(
        world, kit.evaluation_of(campaign, world.district.leadership.committee)
    )
    kit.decide(collective, GOOD, actor=province_chair)
    levels = [GOOD, COMPLETED, NOT_COMPLETED]
    for cadre, level in zip(world.cadres, levels, strict=True):
        kit.decide(
            kit.propose(world, kit.evaluation_of(campaign, cadre), level),
            level,
            actor=district_chair,
        )
    with pytest.raises(Conflict, match="Not every evaluation is decided"):
        services.campaign_publish(actor=world.staff, campaign=campaign)
    with pytest.raises(Invalid, match="reason"):
        services.evaluation_excuse(
            actor=world.staff, evaluation=kit.evaluation_of(campaign, excused), reason=""
        )
    services.evaluation_excuse(
        actor=world.staff, evaluation=kit.evaluation_of(campaign, excused), reason="Nghỉ ốm dài."
    )
    with pytest.raises(Forbidden):
        services.campaign_publish(actor=world.cadres[0].user, campaign=campaign)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        campaign = services.campaign_publish(actor=world.staff, campaign=campaign)
    assert campaign.stage == CampaignStage.PUBLISHED
    assert campaign.status == STATUS.DONE
    # the records: one result per cadre decided, with the period, the level and the score
    for cadre, level in zip(world.cadres, levels, strict=True):
        result = EvaluationResult.objects.get(cadre=cadre)
        assert (result.period, result.year, result.quarter, result.level) == (
            "year",
            2026,
            None,
            level,
        )
        assert result.score == Decimal(sum(kit.SCORES[level].values()))
        assert kit.evaluation_of(campaign, cadre).result == result
    assert not EvaluationResult.objects.filter(cadre=excused).exists()
    assert set(campaign.evaluations.values_list("state", flat=True)) == {
        EvaluationState.PUBLISHED,
        EvaluationState.EXCUSED,
    }
    # every notification goes to the person concerned, about their own rating only
    told = _notified(notices.PUBLISHED)
    assert len(told) == 4
    by_recipient = {recipient: params for recipient, params in told}
    for cadre, level in zip(world.cadres, levels, strict=True):
        params = by_recipient[cadre.user_id]
        assert params["subject"] == str(cadre)
        assert params["level"] == notices.level_msgid(level)
    assert by_recipient[world.district.leadership.chair.pk]["subject"] == str(
        world.district.leadership.committee
    )
    assert excused.user_id not in by_recipient
    assert world.staff.pk not in by_recipient
    assert Notification.objects.exclude(kind=notices.PUBLISHED.code).count() == 0
    # audited: the publication and each record written
    assert _actions(campaign)[-3:] == ["evaluation.publish", "task.assign", "task.execute"]
    assert AuditEvent.objects.filter(action="evaluation.add").count() == 3
    # the unit sees the list; nothing changes any more
    assert set(
        selectors.unit_results(
            user=world.cadres[0].user, campaign=campaign, unit=world.district.unit
        )
    ) == set(campaign.evaluations.filter(state=EvaluationState.PUBLISHED))
    with pytest.raises(Conflict, match="published"):
        services.campaign_publish(actor=world.staff, campaign=campaign)
    with pytest.raises(Conflict, match="published"):
        services.evaluation_complain(
            actor=world.cadres[0].user,
            evaluation=kit.evaluation_of(campaign, world.cadres[0]),
            text="x",
        )


def test_the_notifications_render_in_both_languages(world, django_capture_on_commit_callbacks):
    campaign = kit.open_campaign(world)
    with django_capture_on_commit_callbacks(execute=True):
        kit.decide(
            kit.propose(world, kit.evaluation_of(campaign, world.cadres[0])),
            GOOD,
            actor=world.district_chair,
        )
    notification = Notification.objects.get(kind=notices.DECIDED.code)
    assert notification.recipient == world.cadres[0].user
    title, body = notification.rendered("en")
    assert title == f"Rating decided: {campaign.title}"
    assert body == f"{world.cadres[0]}: Well completed tasks"
    for kind in (
        notices.SELF_ASSESSMENT_DUE,
        notices.AWAITING_DECISION,
        notices.DECIDED,
        notices.COMPLAINT_FILED,
        notices.REEVALUATED,
        notices.PUBLISHED,
    ):
        assert kinds.get(kind.code) is kind
        for language in ("vi", "en"):
            with translation.override(language):
                title, _body = kind.render(
                    {
                        "campaign": "C",
                        "subject": "S",
                        "level": "Completed tasks",
                        "due": "2026-12-20",
                    }
                )
            assert "…" not in title


# --------------------------------------------------------------------------- progress, cancel


def test_the_progress_counts_per_unit_and_the_distribution(world):
    campaign = kit.open_campaign(world)
    chair = world.district_chair
    a, b, c = world.cadres
    kit.self_assess(kit.evaluation_of(campaign, a))
    kit.propose(world, kit.evaluation_of(campaign, b))
    kit.decide(
        kit.propose(world, kit.evaluation_of(campaign, c), COMPLETED), COMPLETED, actor=chair
    )
    [row] = selectors.campaign_progress(user=world.staff, campaign=campaign)
    assert row["unit"] == world.district.unit
    assert (row["total"], row["self_assessed"], row["appraised"], row["decided"]) == (4, 3, 2, 1)
    assert row["levels"] == {EXCELLENT: 0, GOOD: 0, COMPLETED: 1, NOT_COMPLETED: 0}
    # to-do lists
    assert list(selectors.to_self_assess(user=a.user)) == [kit.evaluation_of(campaign, a)]
    assert set(selectors.to_self_assess(user=world.district.leadership.chair)) == {
        kit.evaluation_of(campaign, world.district.leadership.committee)
    }
    assert list(selectors.to_decide(user=chair)) == [kit.evaluation_of(campaign, b)]
    assert list(selectors.to_decide(user=world.province_chair)) == []


def test_a_campaign_can_be_cancelled_with_a_reason(world):
    campaign = kit.open_campaign(world)
    with pytest.raises(Invalid):
        services.campaign_cancel(actor=world.staff, campaign=campaign, reason="")
    with pytest.raises(Forbidden):
        services.campaign_cancel(actor=world.district_chair, campaign=campaign, reason="x")
    campaign = services.campaign_cancel(actor=world.staff, campaign=campaign, reason="Mở nhầm.")
    assert campaign.stage == CampaignStage.CANCELLED
    assert campaign.status == STATUS.CANCELED
    assert not Deadline.objects.filter(process=campaign, met_at__isnull=True).exists()
    with pytest.raises(Conflict, match="cancelled"):
        kit.self_assess(kit.evaluation_of(campaign, world.cadres[0]))
    # the units may be evaluated for the period again
    again = kit.open_campaign(world)
    assert again.evaluations.count() == Evaluation.objects.filter(campaign=campaign).count() == 4
