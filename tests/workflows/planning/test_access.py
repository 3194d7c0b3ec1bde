"""Who may see and do what in the planning review: another unit sees nothing (404, nothing
listed, no flow view); in scope without the role the action is 403; only the competent chair
approves, and not the one who submitted the list; a planned cadre sees their own published
entry, not the review; sealed results stay with the board and the competent body."""

import pytest
from django.http import Http404

from personnel.models import MembershipRole
from tests.factories import UserFactory, member_of
from tests.workflows.ballot_kit import board_staff
from tests.workflows.planning import kit
from workflows.core.errors import Forbidden
from workflows.planning import selectors, services
from workflows.planning.flows import PlanningReviewFlow, RemovalFlow

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


@pytest.fixture
def outsider(district_b):
    """The organisation board of the neighbouring district."""
    return board_staff(district_b)


@pytest.fixture
def member(world):
    """A standing-committee member: in scope, not the board, not the chair."""
    return world.standing.others[0]


def test_another_unit_sees_nothing(world, outsider):
    review = kit.open_review(world)
    entry = kit.approved_entry(world.cadres[0], world.posts[0])
    removal = services.removal_propose(actor=world.staff, entry=entry, reason="Lý do")
    assert not selectors.reviews_for_user(user=outsider).exists()
    assert not selectors.removals_for_user(user=outsider).exists()
    with pytest.raises(Http404):
        selectors.review_get_for_user(user=outsider, pk=review.pk)
    with pytest.raises(Http404):
        selectors.removal_get_for_user(user=outsider, pk=removal.pk)
    assert not PlanningReviewFlow.instance.has_view_permission(outsider, review)
    assert not RemovalFlow.instance.has_view_permission(outsider, removal)
    assert PlanningReviewFlow.instance.has_view_permission(world.staff, review)
    assert selectors.review_get_for_user(user=world.staff, pk=review.pk) == review
    with pytest.raises(Http404):
        selectors.review_get_for_user(user=world.staff, pk="nope")


def test_another_units_board_cannot_act(world, outsider):
    with pytest.raises(Forbidden):
        services.review_open(
            actor=outsider, unit=world.unit, term_start_year=2026, term_end_year=2031
        )
    review = kit.open_review(world)
    with pytest.raises(Forbidden):
        kit.propose(world, review, world.posts[0], world.cadres[0], actor=outsider)


def test_in_scope_without_the_board_role_every_board_action_is_403(world, member):
    with pytest.raises(Forbidden):
        services.review_open(
            actor=member, unit=world.unit, term_start_year=2026, term_end_year=2031
        )
    review = kit.open_review(world)
    candidate = kit.propose(world, review, world.posts[0], world.cadres[0])
    with pytest.raises(Forbidden):
        kit.propose(world, review, world.posts[0], world.cadres[1], actor=member)
    with pytest.raises(Forbidden):
        services.candidate_withdraw(actor=member, review=review, candidate=candidate, reason="x")
    with pytest.raises(Forbidden):
        services.source_list_submit(actor=member, review=review)
    services.source_list_submit(actor=world.staff, review=review)
    with pytest.raises(Forbidden):
        services.step_call(actor=member, review=review, scheduled_at=None)
    steps = kit.call(world, review)
    kit.run_meeting(steps, kit.approve_everything)
    with pytest.raises(Forbidden):
        services.step_record(actor=member, review=review)
    with pytest.raises(Forbidden):
        services.review_withdraw(actor=member, review=review, reason="x")


def test_only_the_competent_chair_approves_the_plan(world, member):
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    review = kit.walk_to_vote(world, review)
    for actor in (world.staff, member):
        with pytest.raises(Forbidden):
            services.review_decide(actor=actor, review=review, approve=True, decision_ref="1")
    kit.decide(world, review)
    with pytest.raises(Forbidden):  # publication is the board's
        services.review_publish(actor=world.chair, review=review)
    services.review_publish(actor=world.staff, review=review)


def test_whoever_submitted_the_list_cannot_approve_it(world):
    # the competent chair also works on the organisation board and submitted the list
    board = world.staff.memberships.first().committee
    member_of(board, user=world.chair)
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    services.source_list_submit(actor=world.chair, review=review)
    kit.run_meeting(kit.call(world, review), kit.approve_everything)
    services.step_record(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.nominate_everyone)
    services.step_record(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.approve_everything)
    services.step_record(actor=world.staff, review=review)
    with pytest.raises(Forbidden) as refused:
        kit.decide(world, kit.refresh(review))
    assert "submitted" in refused.value.message or "trình" in refused.value.message


def test_a_competent_body_of_a_higher_unit_approves(world, province):
    from tests.workflows.ballot_kit import body_with_members

    provincial = body_with_members(province, 3)
    review = kit.open_review(world, competent_body=provincial.committee)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    review = kit.walk_to_vote(world, review)
    with pytest.raises(Forbidden):  # the district's own chair is not the competent level
        kit.decide(world, review)
    services.review_decide(
        actor=provincial.chair, review=review, approve=True, decision_ref="12-QĐ/TU"
    )


def test_the_planned_cadre_sees_their_own_published_entry_not_the_review(world, outsider):
    account = UserFactory()
    cadre = world.cadres[0]
    cadre.user = account
    cadre.save()
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], cadre)
    kit.propose(world, review, world.posts[1], world.cadres[1])
    review = kit.decide(world, kit.walk_to_vote(world, review))
    services.review_publish(actor=world.staff, review=review)
    assert not selectors.reviews_for_user(user=account).exists()
    assert [e.cadre for e in selectors.published_plan_for_user(user=account)] == [cadre]
    assert not selectors.published_plan_for_user(user=outsider).exists()
    assert selectors.published_plan_for_user(user=world.chair).count() == 2


def test_sealed_key_officials_results_are_for_the_board_and_the_competent_body(world):
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    services.source_list_submit(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.approve_everything)
    services.step_record(actor=world.staff, review=review)
    key_official = UserFactory()
    roster = [*world.leadership.members, *world.standing.members, key_official]
    [step] = kit.call(world, review, summoned=roster)
    kit.run_meeting([step], kit.nominate_everyone)
    step.ballot.refresh_from_db()
    assert step.ballot.sealed
    assert selectors.step_results(user=key_official, step=step) is None
    assert selectors.step_results(user=world.leadership.others[0], step=step) is None
    assert selectors.step_results(user=world.staff, step=step) is not None
    assert selectors.step_results(user=world.chair, step=step) is not None  # competent body
    # the leadership's vote on the list is not sealed: its members see it
    leadership_step = review.steps.get(code="leadership")
    assert selectors.step_results(user=world.leadership.others[0], step=leadership_step)


def test_the_chair_of_the_leadership_is_the_head_of_its_meeting(world):
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    services.source_list_submit(actor=world.staff, review=review)
    [step] = kit.call(world, review)
    assert step.meeting.chair == world.leadership.chair
    assert step.meeting.body == world.leadership.committee
    assert step.meeting.competent_body == world.standing.committee
    assert world.leadership.committee.memberships.filter(
        user=world.leadership.chair, role=MembershipRole.CHAIR
    ).exists()
