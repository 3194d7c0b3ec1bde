"""Who sees and does what, at the selectors and the services: the plan within its unit's scope;
a rotation also for the sending and the receiving unit; the cadre their own from the decision
on, without the confidential parts; everyone else nothing. Wrong roles are refused (403)."""

import pytest

from tests.factories import CommitteeFactory, OrgUnitFactory, UserFactory, member_of
from tests.workflows.ballot_kit import board_staff
from tests.workflows.rotation import kit
from workflows.core.errors import Forbidden
from workflows.rotation import selectors, services
from workflows.rotation.models import Opinion, Side

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(world):
    user = UserFactory(username="rotated")
    cadre = kit.cadre_at(world.from_post, user=user)
    plan, (movement,) = kit.approved_plan(world, cadre)
    return plan, movement, user


def test_the_plan_is_seen_within_its_unit_only(world, decided):
    plan, movement, _user = decided
    province_member = world.standing.others[0]
    assert selectors.plans_for_user(user=province_member).filter(pk=plan.pk).exists()
    assert selectors.plans_for_user(user=world.staff).filter(pk=plan.pk).exists()
    # A district's board sees the rotations touching its district, not the province's plan.
    assert not selectors.plans_for_user(user=world.receiving.board).exists()
    assert selectors.movements_for_user(user=world.receiving.board).filter(pk=movement.pk).exists()
    assert (
        selectors.movements_for_user(user=world.sending.standing.chair)
        .filter(pk=movement.pk)
        .exists()
    )


def test_another_province_and_a_user_without_scope_see_nothing(world, decided):
    _plan, movement, _user = decided
    elsewhere = OrgUnitFactory(name="Tỉnh khác", code="other-province")
    outsider = board_staff(elsewhere)
    stranger = UserFactory()
    for user in (outsider, stranger):
        assert not selectors.plans_for_user(user=user).exists()
        assert not selectors.movements_for_user(user=user).exists()
    # A third district of the same province is not the sending nor the receiving unit.
    third = OrgUnitFactory(name="Huyện thứ ba", code="third", parent=world.province)
    assert not selectors.movements_for_user(user=member_of(CommitteeFactory(unit=third))).exists()


def test_the_cadre_sees_their_own_from_the_decision_on_without_the_details(world, decided):
    _plan, movement, user = decided
    assert not selectors.movements_for_user(user=user).exists()  # in the plan: not yet theirs
    movement = kit.prepare(world, movement)
    assert not selectors.movements_for_user(user=user).exists()
    kit.decide(world, movement)
    assert selectors.movements_for_user(user=user).filter(pk=movement.pk).exists()
    assert selectors.sees_details(user=user, movement=movement) is False
    assert selectors.sees_details(user=world.receiving.board, movement=movement) is True
    assert not selectors.plans_for_user(user=user).exists()


def test_wrong_roles_are_refused(world, decided):
    plan, movement, _user = decided
    member = world.standing.others[0]
    with pytest.raises(Forbidden):
        services.plan_open(
            actor=member, unit=world.province, title="x", period_start=2026, period_end=2027
        )
    with pytest.raises(Forbidden):
        services.conversation_record(
            actor=member, movement=movement, held_on=kit.today(), cadre_view="x"
        )
    with pytest.raises(Forbidden):
        services.consultation_record(
            actor=world.receiving.board,  # the receiving district is consulted, not consulting
            movement=movement,
            side=Side.RECEIVING,
            consulted_on=kit.today(),
            body="x",
            opinion=Opinion.AGREES,
        )
    movement = kit.prepare(world, movement)
    for someone in (world.staff, member, world.receiving.standing.chair):
        with pytest.raises(Forbidden):
            services.movement_decide(
                actor=someone,
                movement=movement,
                decision_number="1",
                decision_date=kit.today(),
                starts_on=kit.today(),
            )
