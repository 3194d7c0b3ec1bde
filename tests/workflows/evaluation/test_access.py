"""Who may do what in an evaluation campaign, and who sees what: a cadre self-assesses only
their own; another unit's board neither opens, appraises, excuses nor publishes; only the
competent chair decides, never the appraiser nor the person evaluated; only the superior
committee's chair re-evaluates; out of scope every selector answers nothing (or 404)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from personnel.audit.models import AuditEvent
from tests.factories import CadreFactory
from tests.workflows.ballot_kit import START
from tests.workflows.evaluation import kit
from tests.workflows.evaluation.kit import EXCELLENT, GOOD
from workflows.core.errors import Conflict, Forbidden
from workflows.evaluation import selectors, services
from workflows.evaluation.flows import EvaluationFlow
from workflows.evaluation.models import EvaluationState

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(province, district_a):
    return kit.build_world(province, district_a)


@pytest.fixture
def other_board(district_b):
    staff, _staff2 = kit.board_of(district_b)
    return staff


def test_a_cadre_self_assesses_only_their_own(world):
    campaign = kit.open_campaign(world)
    mine, theirs = world.cadres[0], world.cadres[1]
    with pytest.raises(Forbidden, match="Only the person evaluated"):
        kit.self_assess(kit.evaluation_of(campaign, theirs), actor=mine.user)
    # the board does not file for someone who has an account
    with pytest.raises(Forbidden):
        kit.self_assess(kit.evaluation_of(campaign, theirs), actor=world.staff)
    # a collective's self-assessment is its chair's, not any member's
    collective = kit.evaluation_of(campaign, world.district.leadership.committee)
    with pytest.raises(Forbidden, match="chair of the collective"):
        kit.self_assess(collective, actor=world.district.leadership.others[0])
    kit.self_assess(collective, actor=world.district.leadership.chair)
    assert kit.self_assess(kit.evaluation_of(campaign, mine)).state == EvaluationState.SELF_RATED
    assert kit.refresh(kit.evaluation_of(campaign, theirs)).state == EvaluationState.DRAFT


def test_another_units_board_cannot_open_appraise_excuse_or_publish(world, other_board):
    with pytest.raises(Forbidden, match="organisation board"):
        kit.open_campaign(world, actor=other_board)
    # a board covering only part of the units cannot open over all of them
    with pytest.raises(Forbidden):
        kit.open_campaign(
            world, actor=world.staff, units=[world.district.unit, world.province.unit]
        )
    campaign = kit.open_campaign(world)
    evaluation = kit.self_assess(kit.evaluation_of(campaign, world.cadres[0]))
    events = AuditEvent.objects.count()
    with pytest.raises(Forbidden):
        services.evaluation_appraise(actor=other_board, evaluation=evaluation, level=GOOD)
    with pytest.raises(Forbidden):
        services.evaluation_excuse(actor=other_board, evaluation=evaluation, reason="x")
    with pytest.raises(Forbidden):
        services.evaluation_comments_record(actor=other_board, evaluation=evaluation, text="x")
    with pytest.raises(Forbidden):
        services.campaign_publish(actor=other_board, campaign=campaign)
    with pytest.raises(Forbidden):
        services.campaign_cancel(actor=other_board, campaign=campaign, reason="x")
    # nor may a cadre appraise, even their own
    with pytest.raises(Forbidden):
        services.evaluation_appraise(
            actor=world.cadres[0].user, evaluation=evaluation, level=EXCELLENT
        )
    assert AuditEvent.objects.count() == events
    # the province's board covers the district
    services.evaluation_appraise(actor=world.province.staff, evaluation=evaluation, level=GOOD)


def test_only_the_competent_chair_decides(world):
    head = kit.cadre(world.district.unit, post=world.district.top_post)
    campaign = kit.open_campaign(world)
    collective = kit.propose(
        world, kit.evaluation_of(campaign, world.district.leadership.committee)
    )
    kit.decide(collective, GOOD, actor=world.province_chair)
    evaluation = kit.propose(world, kit.evaluation_of(campaign, world.cadres[0]))
    for outsider in (
        world.district.standing.others[0],  # a member, not the chair
        world.province_chair,  # the level above, not the competent one
        world.staff,
        world.cadres[1].user,
    ):
        with pytest.raises(Forbidden, match="Only the chair of"):
            kit.decide(evaluation, GOOD, actor=outsider)
    assert kit.refresh(evaluation).state == EvaluationState.PROPOSED
    # the head's post is on the province's list: the district's chair does not decide it
    on_province_list = kit.propose(world, kit.evaluation_of(campaign, head))
    with pytest.raises(Forbidden):
        kit.decide(on_province_list, GOOD, actor=world.district_chair)
    kit.decide(on_province_list, GOOD, actor=world.province_chair)
    kit.decide(evaluation, GOOD, actor=world.district_chair)


def test_whoever_appraised_does_not_decide(world):
    chair = world.district_chair
    kit.member_of(world.district.staff.memberships.first().committee, user=chair, started_on=START)
    campaign = kit.open_campaign(world)
    evaluation = kit.propose(world, kit.evaluation_of(campaign, world.cadres[0]), staff=chair)
    with pytest.raises(Forbidden, match="appraised"):
        kit.decide(evaluation, GOOD, actor=chair)
    assert kit.refresh(evaluation).state == EvaluationState.PROPOSED


def test_nobody_decides_or_appraises_their_own_evaluation(world):
    chair = world.district_chair
    own = CadreFactory(unit=world.district.unit, full_name="Chủ tịch tự đánh giá", user=chair)
    staff_cadre = CadreFactory(
        unit=world.district.unit, full_name="Cán bộ Ban Tổ chức", user=world.staff
    )
    campaign = kit.open_campaign(world)
    evaluation = kit.self_assess(kit.evaluation_of(campaign, staff_cadre))
    with pytest.raises(Forbidden, match="own"):
        services.evaluation_appraise(actor=world.staff, evaluation=evaluation, level=GOOD)
    evaluation = kit.propose(world, kit.evaluation_of(campaign, own))
    assert evaluation.competent_body == world.district.standing.committee
    with pytest.raises(Forbidden, match="own"):
        kit.decide(evaluation, GOOD, actor=chair)


def test_only_the_superior_chair_re_evaluates(world):
    campaign = kit.open_campaign(world)
    evaluation = kit.decide(
        kit.propose(world, kit.evaluation_of(campaign, world.cadres[0])),
        GOOD,
        actor=world.district_chair,
    )
    services.evaluation_complain(actor=world.staff, evaluation=evaluation, text="Có đơn thư.")
    for outsider in (world.district_chair, world.province.standing.others[0], world.staff):
        with pytest.raises(Forbidden):
            services.evaluation_reevaluate(
                actor=outsider, evaluation=evaluation, level=GOOD, reason="x"
            )
    # and the competent level cannot decide it again meanwhile
    with pytest.raises(Conflict):
        kit.decide(evaluation, GOOD, actor=world.district_chair)


def test_out_of_scope_selectors_answer_nothing(world, district_b, other_board):
    stranger = kit.cadre(district_b).user
    campaign = kit.open_campaign(world)
    cadre = world.cadres[0]
    for user in (other_board, stranger, AnonymousUser()):
        assert not selectors.campaigns_for_user(user=user).exists()
        assert not selectors.evaluations_for_user(user=user).exists()
        assert not selectors.to_self_assess(user=user).exists()
        assert not selectors.to_decide(user=user).exists()
        with pytest.raises(Http404):
            selectors.campaign_get_for_user(user=user, pk=campaign.pk)
        with pytest.raises(Http404):
            selectors.evaluation_get_for_user(user=user, pk=kit.evaluation_of(campaign, cadre).pk)
        with pytest.raises(Http404):
            selectors.campaign_progress(user=user, campaign=campaign)
        assert not EvaluationFlow.instance.has_view_permission(user, campaign)
    # a cadre sees the campaign and their own evaluation, nobody else's, and no unit's progress
    assert selectors.campaign_get_for_user(user=cadre.user, pk=campaign.pk) == campaign
    assert list(selectors.evaluations_for_user(user=cadre.user)) == [
        kit.evaluation_of(campaign, cadre)
    ]
    with pytest.raises(Http404):
        selectors.evaluation_get_for_user(
            user=cadre.user, pk=kit.evaluation_of(campaign, world.cadres[1]).pk
        )
    assert selectors.campaign_progress(user=cadre.user, campaign=campaign) == []
    # the boards in scope see everything of the unit
    for user in (world.staff, world.province.staff):
        assert selectors.evaluations_for_user(user=user, campaign=campaign).count() == 4
        assert EvaluationFlow.instance.has_view_permission(user, campaign)
    # published results: the unit's people see the list, another unit's do not
    collective = kit.propose(
        world, kit.evaluation_of(campaign, world.district.leadership.committee)
    )
    kit.decide(collective, GOOD, actor=world.province_chair)
    for person in world.cadres:
        kit.decide(
            kit.propose(world, kit.evaluation_of(campaign, person)),
            GOOD,
            actor=world.district_chair,
        )
    unit = world.district.unit
    assert not selectors.unit_results(user=cadre.user, campaign=campaign, unit=unit).exists()
    campaign = services.campaign_publish(actor=world.staff, campaign=campaign)
    assert selectors.unit_results(user=cadre.user, campaign=campaign, unit=unit).count() == 4
    assert selectors.unit_results(user=world.staff, campaign=campaign, unit=unit).count() == 4
    for user in (other_board, stranger, AnonymousUser()):
        assert not selectors.unit_results(user=user, campaign=campaign, unit=unit).exists()
    assert not selectors.unit_results(user=cadre.user, campaign=campaign, unit=district_b).exists()
