"""The commitment to serve after post-graduate study, tracked to its end by the nightly job:
a cadre who leaves the unit before it ends gets a breach task for the organisation board (with
until when they were committed, when they left and how many months short), a commitment served
to its end is closed as fulfilled; the board decides on reimbursement, or dismisses the breach
once the records show the cadre serves the unit again."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from procrastinate.contrib.django import app
from viewflow.workflow.status import STATUS

from personnel import services as personnel
from personnel.audit.models import AuditEvent
from personnel.models import PositionHolding
from tests.factories import PositionFactory, UserFactory
from tests.workflows.ballot_kit import board_staff
from tests.workflows.training import kit
from workflows.core import calendar
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import Deadline
from workflows.training import services
from workflows.training.flows import BREACH_WITHIN
from workflows.training.models import (
    BreachDecision,
    BreachState,
    Commitment,
    CommitmentBreach,
    CommitmentStatus,
)
from workflows.training.tasks import training_commitment_scan

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: dt.date):
    """Travel to ``day`` in Vietnam (time stands still while there)."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 10, tzinfo=HANOI), tick=False
    )


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


def _master(world):
    plan = kit.open_plan(world)
    course = kit.course(world, plan, kind="degree")
    candidate = kit.propose(world, plan, course, world.cadres[0])
    kit.approved(world, plan)
    return kit.sent(world, kit.dispatch_of(candidate))


@pytest.fixture
def studying(world):
    """A master's student (commitment signed, study under way)."""
    return kit.enrolled(world, _master(world), starts_on=TODAY() - dt.timedelta(days=300))


@pytest.fixture
def serving(world, studying):
    """Completed today: 72 months to serve, until today + 6 years."""
    services.dispatch_complete(actor=world.staff, dispatch=studying, ended_on=TODAY())
    return Commitment.objects.get(dispatch=studying)


def _holding(commitment) -> PositionHolding:
    return PositionHolding.objects.get(cadre=commitment.cadre, ended_on__isnull=True)


def _leave(commitment, on: dt.date) -> None:
    personnel.holding_end(actor=None, holding=_holding(commitment), ended_on=on)


def _open(process):
    return [
        t.flow_task.name
        for t in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    ]


def test_a_cadre_who_serves_raises_nothing(serving):
    assert serving.ends_on == TODAY() + relativedelta(months=72)
    result = services.commitment_scan(on_date=TODAY() + relativedelta(years=3))
    assert result.breaches == [] and result.fulfilled == []
    assert Commitment.objects.get(pk=serving.pk).status == CommitmentStatus.SERVING


def test_leaving_before_the_end_raises_a_breach_task_with_its_details(world, serving):
    left = TODAY() + relativedelta(months=30)
    _leave(serving, left)
    scan_day = left + dt.timedelta(days=1)
    assert services.commitment_scan(on_date=left).breaches == []  # still in post that day
    [breach] = services.commitment_scan(on_date=scan_day).breaches
    assert breach.state == BreachState.OPEN
    assert breach.committed_until == serving.ends_on
    assert breach.left_on == left
    assert breach.months_short == 42
    assert breach.unit == world.unit and breach.cadre == serving.cadre
    assert "Holds no post in" in breach.ground
    assert _open(breach) == ["review"]
    task = breach.task_set.get(status=STATUS.NEW)
    deadline = Deadline.objects.get(task=task)
    assert set(deadline.responsible.all()) == {world.staff, world.staff2}
    assert deadline.working_days == BREACH_WITHIN
    assert deadline.due == calendar.add_working_days(TODAY(), BREACH_WITHIN)
    event = AuditEvent.objects.get(action="training.breach")
    assert event.actor_id is None and event.cadre_id == serving.cadre_id
    assert event.changes["months_short"] == [None, 42]
    # idempotent: the open breach is not raised again
    assert services.commitment_scan(on_date=scan_day).breaches == []
    assert services.commitment_scan(on_date=scan_day + dt.timedelta(days=9)).breaches == []
    assert CommitmentBreach.objects.count() == 1


def test_leaving_the_day_before_the_end_is_a_breach_and_on_the_day_is_not(world, district_a):
    first = _master(world)
    first = kit.enrolled(world, first, starts_on=TODAY() - dt.timedelta(days=300))
    services.dispatch_complete(actor=world.staff, dispatch=first, ended_on=TODAY())
    commitment = Commitment.objects.get(dispatch=first)
    end = commitment.ends_on
    _leave(commitment, end - dt.timedelta(days=1))
    [breach] = services.commitment_scan(on_date=end).breaches
    assert breach.months_short == 1 and breach.left_on == end - dt.timedelta(days=1)

    PositionHolding.objects.filter(cadre=commitment.cadre).update(ended_on=end)
    CommitmentBreach.objects.filter(pk=breach.pk).update(state=BreachState.DISMISSED)
    result = services.commitment_scan(on_date=end + dt.timedelta(days=1))
    assert result.breaches == []
    assert [c.pk for c in result.fulfilled] == [commitment.pk]


def test_a_commitment_served_to_its_end_is_fulfilled(serving):
    assert services.commitment_scan(on_date=serving.ends_on - dt.timedelta(days=1)).fulfilled == []
    [done] = services.commitment_scan(on_date=serving.ends_on).fulfilled
    assert done.status == CommitmentStatus.FULFILLED
    assert AuditEvent.objects.filter(action="training.fulfilled").count() == 1
    # a fulfilled commitment is no longer watched
    _leave(serving, serving.ends_on + dt.timedelta(days=5))
    assert (
        services.commitment_scan(on_date=serving.ends_on + relativedelta(months=1)).breaches == []
    )


def test_moving_to_another_unit_is_a_breach(world, serving, district_b):
    personnel.cadre_update(actor=None, cadre=serving.cadre, unit=district_b)
    [breach] = services.commitment_scan().breaches
    assert breach.left_on == TODAY()
    assert f"Works in {district_b.name}" in breach.ground


def test_leaving_during_the_study_breaks_the_whole_commitment(studying):
    commitment = Commitment.objects.get(dispatch=studying)
    assert commitment.status == CommitmentStatus.SIGNED
    _leave(commitment, TODAY())
    [breach] = services.commitment_scan(on_date=TODAY() + dt.timedelta(days=1)).breaches
    assert breach.committed_until is None and breach.months_short == 72


def test_a_move_within_the_unit_is_not_a_departure(world, serving):
    _leave(serving, TODAY() + relativedelta(months=12))
    new_post = PositionFactory(unit=world.unit)
    personnel.holding_start(
        actor=None,
        cadre=serving.cadre,
        position=new_post,
        started_on=TODAY() + relativedelta(months=12, days=1),
    )
    assert services.commitment_scan(on_date=TODAY() + relativedelta(months=13)).breaches == []


def test_the_board_decides_on_reimbursement(world, serving):
    _leave(serving, TODAY())
    [breach] = services.commitment_scan(on_date=TODAY() + dt.timedelta(days=1)).breaches
    with pytest.raises(Forbidden):
        services.breach_decide(
            actor=world.chair, breach=breach, decision=BreachDecision.REIMBURSE, note="x"
        )
    with pytest.raises(Invalid):
        services.breach_decide(
            actor=world.staff, breach=breach, decision=BreachDecision.REIMBURSE, note=""
        )
    breach = services.breach_decide(
        actor=world.staff,
        breach=breach,
        decision=BreachDecision.REIMBURSE,
        note="Bồi hoàn chi phí đào tạo theo quy định",
    )
    assert breach.state == BreachState.DECIDED and breach.decided_by == world.staff
    assert Commitment.objects.get(pk=serving.pk).status == CommitmentStatus.BREACHED
    assert _open(breach) == []
    assert Deadline.objects.get(task__process=breach).met_at is not None
    assert AuditEvent.objects.get(action="training.breach_decide").reason.startswith("Bồi hoàn")
    with pytest.raises(Conflict):
        services.breach_dismiss(actor=world.staff2, breach=breach, reason="x")
    # a breached commitment is no longer watched
    assert services.commitment_scan(on_date=TODAY() + relativedelta(months=2)).breaches == []


def test_nobody_decides_on_their_own_breach(world, serving):
    serving.cadre.user = world.staff2
    serving.cadre.save()
    _leave(serving, TODAY())
    [breach] = services.commitment_scan(on_date=TODAY() + dt.timedelta(days=1)).breaches
    with pytest.raises(Forbidden):
        services.breach_decide(
            actor=world.staff2, breach=breach, decision=BreachDecision.WAIVE, note="x"
        )


def test_a_breach_is_dismissed_only_once_the_cadre_serves_again(world, serving):
    today = TODAY()
    _leave(serving, today)
    [breach] = services.commitment_scan(on_date=today + dt.timedelta(days=1)).breaches
    with at(today + dt.timedelta(days=2)):
        with pytest.raises(Invalid) as refused:
            services.breach_dismiss(actor=world.staff, breach=breach, reason="Nhầm")
        assert "still show" in refused.value.message
        # the new post, taken the day after, was recorded late
        personnel.holding_start(
            actor=None,
            cadre=serving.cadre,
            position=PositionFactory(unit=world.unit),
            started_on=today + dt.timedelta(days=1),
        )
        breach = services.breach_dismiss(
            actor=world.staff, breach=breach, reason="Đã bổ nhiệm chức vụ mới trong đơn vị"
        )
    assert breach.state == BreachState.DISMISSED
    assert Commitment.objects.get(pk=serving.pk).status == CommitmentStatus.SERVING
    assert services.commitment_scan(on_date=today + dt.timedelta(days=3)).breaches == []


def test_another_board_cannot_decide(world, serving, district_b):
    _leave(serving, TODAY())
    [breach] = services.commitment_scan(on_date=TODAY() + dt.timedelta(days=1)).breaches
    with pytest.raises(Forbidden):
        services.breach_decide(
            actor=board_staff(district_b), breach=breach, decision=BreachDecision.WAIVE, note="x"
        )
    with pytest.raises(Forbidden):
        services.breach_decide(
            actor=UserFactory(), breach=breach, decision=BreachDecision.WAIVE, note="x"
        )


def test_the_database_keeps_one_open_breach_per_commitment(world, serving):
    _leave(serving, TODAY())
    [breach] = services.commitment_scan(on_date=TODAY() + dt.timedelta(days=1)).breaches
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentBreach.objects.create(
            commitment=serving,
            cadre=serving.cadre,
            unit=serving.unit,
            left_on=TODAY(),
            months_short=1,
            ground="x",
        )


# --------------------------------------------------------------------------- the job


def test_the_scan_is_a_nightly_job_of_the_job_engine(serving):
    registered = {
        periodic_id: pt for (_name, periodic_id), pt in app.periodic_registry.periodic_tasks.items()
    }
    job = registered["training-commitments"]
    assert job.task.name == "workflows.training.tasks.training_commitment_scan"
    assert job.task.queue == "periodic"
    assert job.task.queueing_lock == "training-commitments"
    assert training_commitment_scan(timestamp=0) == 0
    today = TODAY()
    _leave(serving, today)
    with at(today + dt.timedelta(days=1)):
        assert training_commitment_scan(timestamp=0) == 1
        assert training_commitment_scan(timestamp=0) == 0


def test_the_scan_runs_from_the_command_line(serving):
    today = TODAY()
    _leave(serving, today)
    out = io.StringIO()
    with at(today + dt.timedelta(days=1)):
        call_command("training_commitment_scan", stdout=out)
    assert out.getvalue().strip() == "1 breach(es) found, 0 fulfilled."
