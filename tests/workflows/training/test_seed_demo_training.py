"""``seed_demo_training``: the demo province has this year's training plan approved with its
cadres at every stage (one completed with a training record and the level raised, one
enrolled, one sent with the written commitment, ``canbo`` sent to a fostering course, others
awaiting their decision, one left out) and next year's plan awaiting ``chutich`` — built
through the services (issue #8), once, and only in demo mode.

The demo province is seeded once for the module (``seed_demo``, every procedure's demo data
included) inside a transaction rolled back at the end; each test runs in its own savepoint.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.status import STATUS

from personnel.audit.models import AuditEvent
from personnel.audit.verify import verify_chain
from personnel.models import TrainingRecord, User
from tests.workflows.appointment.pages import client_for, text
from workflows.training import demo
from workflows.training.models import (
    CandidateStatus,
    Commitment,
    CommitmentStatus,
    DispatchState,
    PlanStage,
    TrainingPlan,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            err = io.StringIO()
            call_command("seed_demo", verbosity=0, stderr=err)
            yield err.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _this_year() -> TrainingPlan:
    plan = demo.existing(timezone.localdate().year)
    assert plan is not None
    return plan


def test_seed_demo_builds_both_plans_without_warnings(seeded):
    assert "training" not in seeded.lower(), seeded
    this_year = _this_year()
    assert this_year.stage == PlanStage.APPROVED and this_year.decided_by == _user("chutich")
    assert this_year.opened_by == _user("tochuc") and this_year.submitted_by == _user("tochuc")
    assert this_year.courses.count() == 4
    next_year = demo.existing(timezone.localdate().year + 1)
    assert next_year.stage == PlanStage.SUBMITTED
    task = next_year.task_set.get(status=STATUS.ASSIGNED)
    assert task.owner == _user("chutich") and task.flow_task.name == "approve"
    assert verify_chain().ok


def test_the_dispatches_stand_at_every_stage(seeded):
    plan = _this_year()
    states = sorted(plan.dispatches.values_list("state", flat=True))
    for state in (
        DispatchState.COMPLETED,
        DispatchState.ENROLLED,
        DispatchState.DISPATCHED,
        DispatchState.AWAITING,
    ):
        assert state in states, states
    assert plan.candidates.filter(status=CandidateStatus.NOT_APPROVED).count() == 1
    completed = plan.dispatches.get(state=DispatchState.COMPLETED)
    record = completed.training_record
    assert isinstance(record, TrainingRecord) and record.title == completed.course.title
    assert completed.cadre.state_management_level == completed.course.level
    assert AuditEvent.objects.filter(action="cadre.update", cadre_id=completed.cadre_id).exists()
    master = plan.dispatches.get(course__kind="degree", state=DispatchState.DISPATCHED)
    assert Commitment.objects.get(dispatch=master).status == CommitmentStatus.SIGNED


def test_canbo_is_sent_and_sees_only_their_own(seeded):
    canbo = _user("canbo")
    plan = _this_year()
    own = plan.dispatches.get(cadre__user=canbo)
    assert own.state == DispatchState.DISPATCHED and own.sending_unit.code == "demo-caolanh"
    # told after commit (the module's transaction never commits: the callback is queued)
    queued = [
        getattr(callback, "keywords", {})
        for _sids, callback, *_robust in transaction.get_connection().run_on_commit
    ]
    assert any(
        q.get("kind") == "training.dispatched" and canbo.pk in q.get("recipient_ids", [])
        for q in queued
    )
    client = client_for(canbo)
    listing = text(client.get("/training/"))
    assert f'data-testid="mine-{own.pk}"' in listing
    assert client.get(f"/training/{plan.pk}/").status_code == 404


def test_the_demo_pages_open(seeded):
    plan = _this_year()
    board = client_for(_user("tochuc"))
    page = text(board.get(f"/training/{plan.pk}/"))
    assert "Cao cấp lý luận chính trị" in page and "Priority" in page
    for dispatch in plan.dispatches.all():
        assert board.get(f"/training/dispatches/{dispatch.pk}/").status_code == 200
    chair = client_for(_user("chutich"))
    next_year = demo.existing(timezone.localdate().year + 1)
    assert 'data-testid="decide-form"' in text(chair.get(f"/training/{next_year.pk}/"))


def test_running_it_again_creates_nothing(seeded):
    before = (TrainingPlan.objects.count(), AuditEvent.objects.count())
    out = io.StringIO()
    call_command("seed_demo_training", stdout=out)
    assert "already present" in out.getvalue()
    assert (TrainingPlan.objects.count(), AuditEvent.objects.count()) == before


def test_demo_mode_only(seeded, settings):
    settings.CADREFLOW_DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("seed_demo_training")
