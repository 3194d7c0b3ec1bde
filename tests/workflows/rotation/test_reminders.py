"""The nightly rotation job: a report due on a rotated cadre reminds the receiving unit's board
once (however often the job runs), the next one when its day comes, nothing once it is
recorded; a rotation past its planned end reminds the plan's board to review it. The job is
registered with its schedule (also in ``tests/workflows/test_jobs.py``)."""

import datetime as dt
import io

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from procrastinate.contrib.django import app

from notifications.models import Notification
from tests.workflows.rotation import kit
from workflows.rotation import selectors, services
from workflows.rotation.models import Placement
from workflows.rotation.tasks import rotation_reminders

pytestmark = pytest.mark.django_db


@pytest.fixture
def rotating(world):
    """In rotation for 18 months from a reception 20 days ago: reports due at 6 and 12 months
    (the one at 18 is the review's)."""
    movement = kit.in_rotation(world, kit.cadre_at(world.from_post))
    movement.months = 18
    movement.planned_end = movement.received_on + relativedelta(months=18)
    movement.save(update_fields=["months", "planned_end"])
    return movement


def _sent(kind: str, user) -> list[dict]:
    return list(
        Notification.objects.filter(kind=kind, recipient=user)
        .order_by("pk")
        .values_list("params", flat=True)
    )


def test_the_report_schedule(rotating):
    received = rotating.received_on
    assert selectors.report_due_dates(rotating) == [
        received + relativedelta(months=6),
        received + relativedelta(months=12),
    ]
    assert selectors.next_report(rotating) == (1, received + relativedelta(months=6))


def test_a_report_due_reminds_the_receiving_board_once(
    world, rotating, django_capture_on_commit_callbacks
):
    first_due = rotating.received_on + relativedelta(months=6)
    board = world.receiving.board
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(on_date=first_due - dt.timedelta(days=1)) == 0
    assert not _sent("rotation.report_due", board)

    for _ in range(3):  # night after night, and twice the same night
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reminders_send(on_date=first_due) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.reminders_send(on_date=first_due + dt.timedelta(days=5))
    sent = _sent("rotation.report_due", board)
    assert [p["number"] for p in sent] == [1]
    assert sent[0]["due"] == first_due.isoformat()
    # The sending unit and the plan's board are not the ones who report.
    assert not _sent("rotation.report_due", world.sending.board)

    services.report_record(
        actor=board, movement=rotating, reported_on=kit.today(), text="Báo cáo lần 1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(on_date=first_due + dt.timedelta(days=6)) == 0
    second_due = rotating.received_on + relativedelta(months=12)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(on_date=second_due) == 1
    assert [p["number"] for p in _sent("rotation.report_due", board)] == [1, 2]


def test_the_end_of_the_rotation_reminds_the_plans_board_to_review(
    world, rotating, django_capture_on_commit_callbacks
):
    end = rotating.planned_end
    for report in (1, 2):
        services.report_record(
            actor=world.receiving.board,
            movement=rotating,
            reported_on=kit.today(),
            text=f"{report}",
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(on_date=end - dt.timedelta(days=1)) == 0
        assert services.reminders_send(on_date=end) == 1
        services.reminders_send(on_date=end + dt.timedelta(days=30))
    (review_due,) = _sent("rotation.review_due", world.staff)
    assert review_due["end"] == end.isoformat()
    # Reviewed, nothing more.
    services.review_record(
        actor=world.staff,
        movement=rotating,
        reviewed_on=kit.today(),
        review="Tốt",
        proposed_placement=Placement.RETURN,
    )
    assert services.reminders_send(on_date=end + dt.timedelta(days=60)) == 0


def test_the_job_and_the_command_run_the_reminders(
    world, rotating, django_capture_on_commit_callbacks
):
    registered = {
        periodic_id: pt for (_name, periodic_id), pt in app.periodic_registry.periodic_tasks.items()
    }
    job = registered["rotation-reminders"]
    assert job.task.name == "workflows.rotation.tasks.rotation_reminders"
    assert job.task.queue == "periodic" and job.cron == "0 19 * * *"
    assert rotation_reminders(timestamp=0) == 0  # nothing due today
    out = io.StringIO()
    call_command("rotation_reminders", stdout=out)
    assert out.getvalue().strip() == "0 reminder(s) due."
