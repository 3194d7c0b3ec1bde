"""The appointment procedure through its services: the internal source to a decision."""

import pytest
from django.utils import timezone
from viewflow.workflow.status import STATUS

from personnel.models import PlanningEntry, PlanningStatus, PositionHolding
from tests.workflows.appointment import kit
from workflows.appointment import services
from workflows.appointment.models import Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


def test_the_internal_source_runs_to_a_decision(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = kit.approved(world)
        appointment = kit.walk_to_final(world, appointment)
        assert appointment.stage == Stage.APPRAISED
        step = kit.call(world, appointment)
        kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.standing.members)))
        services.step_record(actor=world.staff, appointment=appointment)
        appointment = kit.refresh(appointment)
        assert appointment.stage == Stage.VOTE_PASSED
        today = timezone.localdate()
        appointment = services.decision_issue(
            actor=world.chair,
            appointment=appointment,
            number="123-QĐ/TU",
            decision_date=today,
            effective_date=today,
        )
    assert appointment.stage == Stage.DECISION_ISSUED
    assert appointment.status == STATUS.DONE
    holding = PositionHolding.objects.get(cadre=world.cadres[0], position=world.position)
    assert holding.term_ends_on.year == today.year + 5
    assert PlanningEntry.objects.get(cadre=world.cadres[0], position=world.position).status == (
        PlanningStatus.FULFILLED
    )
