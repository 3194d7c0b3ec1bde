"""Removal from the plan (I-19, Q8): each automatic ground found by the scan and confirmed by
the organisation board, the scan's idempotency and its nightly job, and the board's
discretionary removal with a written reason and a second pair of eyes."""

import datetime as dt

import pytest
from django.utils import timezone
from procrastinate.contrib.django import app
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from personnel.audit.models import AuditEvent
from personnel.models import (
    DisciplineKind,
    PlanningStatus,
    PoliticalStandardOutcome,
)
from tests.factories import (
    DisciplineRecordFactory,
    PoliticalStandardConclusionFactory,
    UserFactory,
    member_of,
)
from tests.workflows.planning import kit
from workflows.core import calendar
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import Deadline
from workflows.planning import services
from workflows.planning.flows import REMOVAL_WITHIN, RemovalFlow
from workflows.planning.models import RemovalProposal, RemovalReason, RemovalStatus
from workflows.planning.tasks import planning_removal_scan

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


def _term():
    """A plan in force: it started last year, so its cadres entered it on 1 January then."""
    year = TODAY().year
    return (year - 1, year + 4)


@pytest.fixture
def entry(world):
    return kit.approved_entry(world.cadres[0], world.posts[0], term=_term())


def _open_nodes(process):
    return sorted(
        t.flow_task.name
        for t in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    )


def test_nothing_to_remove_when_no_ground_holds(entry):
    assert services.removal_scan() == []
    assert not RemovalProposal.objects.exists()


# --------------------------------------------------------------------------- the three grounds


def test_over_the_planning_age_gets_a_removal_task_and_confirming_it_removes_the_entry(
    world, entry, django_capture_on_commit_callbacks
):
    cadre = entry.cadre
    cadre.user = UserFactory()
    # a man who turns 58 today retires at 62: four years left, five needed
    today = TODAY()
    cadre.date_of_birth = today.replace(year=today.year - 58)
    cadre.save()
    with django_capture_on_commit_callbacks(execute=True):
        [removal] = services.removal_scan()
    assert removal.kind == RemovalReason.AGE
    assert removal.proposed_by is None
    assert "planning age" in removal.reason or "quy hoạch" in removal.reason
    assert _open_nodes(removal) == ["confirm"]
    # the board hears of the task in its queue
    assert Notification.objects.filter(kind="task.queued", recipient=world.staff).exists()
    # ... with a limit in working days, the board responsible for it
    deadline = Deadline.objects.get(process_id=removal.pk)
    assert deadline.due == calendar.add_working_days(today, REMOVAL_WITHIN)
    assert world.staff in deadline.responsible.all()
    assert deadline.met_at is None
    entry.refresh_from_db()
    assert entry.status == PlanningStatus.APPROVED  # not before the board confirms
    with django_capture_on_commit_callbacks(execute=True):
        removal = services.removal_confirm(actor=world.staff, removal=removal)
    assert removal.state == RemovalStatus.CONFIRMED
    deadline.refresh_from_db()
    assert deadline.met_at is not None
    assert removal.status == STATUS.DONE
    entry.refresh_from_db()
    assert entry.status == PlanningStatus.REMOVED
    assert removal.reason in entry.removal_reason
    status_event = AuditEvent.objects.get(action="planning.status", target_id=str(entry.pk))
    assert status_event.changes["status"] == [PlanningStatus.APPROVED, PlanningStatus.REMOVED]
    assert status_event.process_id == removal.pk
    assert AuditEvent.objects.filter(
        action="planning.removal_confirm", process_id=removal.pk, actor_id=world.staff.pk
    ).exists()
    assert AuditEvent.objects.filter(action="planning.removal", process_id=removal.pk).exists()
    assert Notification.objects.filter(kind="planning.removed", recipient=cadre.user).exists()
    # removed from the plan: the next scan has nothing more to say
    assert services.removal_scan() == []


@pytest.mark.parametrize("kind", list(DisciplineKind))
def test_a_discipline_of_reprimand_or_above_while_in_the_plan_is_a_ground(world, entry, kind):
    DisciplineRecordFactory(
        cadre=entry.cadre, kind=kind, effective_on=TODAY() - dt.timedelta(days=10)
    )
    [removal] = services.removal_scan()
    assert removal.kind == RemovalReason.DISCIPLINE
    services.removal_confirm(actor=world.staff, removal=removal)
    entry.refresh_from_db()
    assert entry.status == PlanningStatus.REMOVED


def test_reprimand_is_the_lightest_discipline_and_one_served_before_the_plan_is_no_ground(entry):
    # nothing lighter than a reprimand exists to be ignored
    assert min(DisciplineKind) == DisciplineKind.REPRIMAND
    entered = dt.date(_term()[0], 1, 1)
    DisciplineRecordFactory(
        cadre=entry.cadre,
        kind=DisciplineKind.REPRIMAND,
        effective_on=entered - dt.timedelta(days=1),
    )
    assert services.removal_scan() == []


def test_a_cadre_planned_by_a_review_entered_the_plan_on_its_decision(world):
    cadre, post = world.cadres[0], world.posts[0]
    review = kit.open_review(world, term_start_year=TODAY().year, term_end_year=TODAY().year + 5)
    kit.propose(world, review, post, cadre)
    kit.decide(world, kit.walk_to_vote(world, review))
    # a reprimand a year before the approval was weighed then (and its cooling-off passed)
    DisciplineRecordFactory(
        cadre=cadre,
        kind=DisciplineKind.REPRIMAND,
        effective_on=TODAY() - dt.timedelta(days=900),
    )
    assert services.removal_scan() == []
    DisciplineRecordFactory(cadre=cadre, kind=DisciplineKind.REPRIMAND, effective_on=TODAY())
    [removal] = services.removal_scan()
    assert removal.kind == RemovalReason.DISCIPLINE


def test_failing_the_political_standard_is_a_ground_until_a_later_conclusion_clears_it(
    world, entry
):
    PoliticalStandardConclusionFactory(
        cadre=entry.cadre,
        concluded_on=TODAY() - dt.timedelta(days=5),
        outcome=PoliticalStandardOutcome.DOES_NOT_MEET,
    )
    [removal] = services.removal_scan()
    assert removal.kind == RemovalReason.POLITICAL_STANDARD
    # an automatic ground that holds cannot be dismissed
    with pytest.raises(Invalid):
        services.removal_dismiss(actor=world.staff, removal=removal, reason="Không đồng ý")
    # a later conclusion finds the standards met: the ground is gone
    PoliticalStandardConclusionFactory(
        cadre=entry.cadre, concluded_on=TODAY(), outcome=PoliticalStandardOutcome.MEETS
    )
    with pytest.raises(Conflict):
        services.removal_confirm(actor=world.staff, removal=removal)
    with pytest.raises(Invalid):  # a dismissal says why
        services.removal_dismiss(actor=world.staff, removal=removal, reason=" ")
    removal = services.removal_dismiss(
        actor=world.staff, removal=removal, reason="Kết luận bổ sung: đủ tiêu chuẩn"
    )
    assert removal.state == RemovalStatus.DISMISSED
    entry.refresh_from_db()
    assert entry.status == PlanningStatus.APPROVED
    assert services.removal_scan() == []


def test_an_expired_plan_or_an_entry_not_approved_is_not_scanned(world):
    today = TODAY()
    old = kit.eligible_cadre(world.unit, "Hết hạn", born=today.replace(year=today.year - 61))
    kit.approved_entry(old, world.posts[0], term=(today.year - 6, today.year - 1))
    removed = kit.eligible_cadre(world.unit, "Đã đưa ra", born=today.replace(year=today.year - 61))
    kit.approved_entry(
        removed, world.posts[1], term=_term(), status=PlanningStatus.REMOVED, removal_reason="x"
    )
    assert services.removal_scan() == []


# --------------------------------------------------------------------------- idempotency, the job


def test_the_scan_is_idempotent(world, entry):
    DisciplineRecordFactory(cadre=entry.cadre, effective_on=TODAY())
    first = services.removal_scan()
    assert len(first) == 1
    assert services.removal_scan() == []
    assert planning_removal_scan(timestamp=0) == 0
    assert RemovalProposal.objects.count() == 1
    assert first[0].task_set.filter(flow_task=RemovalFlow.confirm).count() == 1


def test_the_scan_is_a_nightly_job_of_the_job_engine(world, entry):
    registered = {
        periodic_id: pt for (_name, periodic_id), pt in app.periodic_registry.periodic_tasks.items()
    }
    job = registered["planning-removals"]
    assert job.task.name == "workflows.planning.tasks.planning_removal_scan"
    assert job.task.queue == "periodic"
    assert job.task.queueing_lock == "planning-removals"
    DisciplineRecordFactory(cadre=entry.cadre, effective_on=TODAY())
    assert planning_removal_scan(timestamp=0) == 1


def test_the_database_keeps_one_open_removal_per_entry(world, entry):
    from django.db import IntegrityError, transaction

    services.removal_propose(actor=world.staff, entry=entry, reason="Không hoàn thành nhiệm vụ")
    with pytest.raises(Conflict):
        services.removal_propose(actor=world.staff2, entry=entry, reason="Lần nữa")
    with pytest.raises(IntegrityError), transaction.atomic():
        RemovalProposal.objects.create(
            entry=entry, unit=world.unit, kind=RemovalReason.DISCRETIONARY, reason="x"
        )


# --------------------------------------------------------------------------- discretionary


def test_a_discretionary_removal_needs_a_written_reason(world, entry):
    for reason in ("", "   "):
        with pytest.raises(Invalid):
            services.removal_propose(actor=world.staff, entry=entry, reason=reason)
    assert not RemovalProposal.objects.exists()


def test_a_discretionary_removal_is_confirmed_by_another_board_member(world, entry):
    removal = services.removal_propose(
        actor=world.staff, entry=entry, reason="Vi phạm quy định, không còn đủ tiêu chuẩn"
    )
    assert removal.kind == RemovalReason.DISCRETIONARY
    assert removal.proposed_by == world.staff
    with pytest.raises(Forbidden):  # separation of duties
        services.removal_confirm(actor=world.staff, removal=removal)
    with pytest.raises(Forbidden):  # a committee member in scope is not the board
        services.removal_confirm(actor=world.chair, removal=removal)
    removal = services.removal_confirm(actor=world.staff2, removal=removal, note="Đồng ý")
    entry.refresh_from_db()
    assert entry.status == PlanningStatus.REMOVED
    assert "Vi phạm quy định" in entry.removal_reason
    with pytest.raises(Conflict):  # decided once
        services.removal_confirm(actor=world.staff2, removal=removal)


def test_only_an_entry_in_the_approved_plan_can_be_removed(world):
    proposed = kit.approved_entry(
        world.cadres[1], world.posts[0], term=_term(), status=PlanningStatus.PROPOSED
    )
    with pytest.raises(Conflict):
        services.removal_propose(actor=world.staff, entry=proposed, reason="Lý do")


def test_the_board_of_another_unit_cannot_remove(world, entry, district_b):
    from tests.workflows.ballot_kit import board_staff

    outsider = board_staff(district_b)
    with pytest.raises(Forbidden):
        services.removal_propose(actor=outsider, entry=entry, reason="Lý do")
    removal = services.removal_propose(actor=world.staff, entry=entry, reason="Lý do")
    with pytest.raises(Forbidden):
        services.removal_confirm(actor=outsider, removal=removal)
    stranger = member_of(world.standing.committee)
    with pytest.raises(Forbidden):
        services.removal_dismiss(actor=stranger, removal=removal, reason="x")
