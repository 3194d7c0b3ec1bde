"""The appointment procedure's first stage: policy request, decision, the 30-working-day limit."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from viewflow.workflow import timers
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from personnel.audit.models import AuditEvent
from personnel.models import CommitteeKind, MembershipRole
from tests.factories import CommitteeFactory, PositionFactory, UserFactory, member_of
from workflows.appointment import selectors, services
from workflows.appointment.flows import AppointmentFlow
from workflows.appointment.models import Appointment, Stage
from workflows.core import calendar
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import Deadline, RuleSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(province, district_a, district_b):
    standing = CommitteeFactory(unit=district_a, kind=CommitteeKind.STANDING)
    board = CommitteeFactory(unit=district_a, kind=CommitteeKind.ORGANISATION_BOARD, name="BTC")
    other_board = CommitteeFactory(unit=district_b, kind=CommitteeKind.ORGANISATION_BOARD)
    return {
        "position": PositionFactory(unit=district_a, managing_committee=standing),
        "chair": member_of(standing, role=MembershipRole.CHAIR),
        "member": member_of(standing),
        "staff": member_of(board),
        "staff2": member_of(board),
        "outsider": member_of(other_board),
    }


def _start(world, **kwargs):
    return services.appointment_start(
        actor=world["staff"],
        position=world["position"],
        source="internal",
        memo="Tờ trình xin chủ trương bổ nhiệm",
        **kwargs,
    )


def _open(appointment, node):
    return appointment.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]).filter(
        flow_task=node
    )


def test_the_board_starts_and_the_competent_chair_is_asked_to_decide(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = _start(world, track="party")
    assert appointment.stage == Stage.POLICY_REQUESTED
    newest = RuleSet.objects.filter(track="party").order_by("-effective_from").first()
    assert appointment.ruleset == newest  # the newest for the track by default
    assert RuleSet.objects.get(pk=newest.pk).in_use
    [task] = _open(appointment, AppointmentFlow.decide_policy)
    assert task.owner == world["chair"]
    assert list(
        Notification.objects.filter(kind="task.assigned").values_list("recipient", flat=True)
    ) == [world["chair"].pk]
    assert AuditEvent.objects.filter(action="appointment.start", process_id=appointment.pk).exists()


@pytest.mark.parametrize(
    ("actor", "kwargs", "error"),
    [
        ("outsider", {}, Forbidden),  # another unit's organisation board
        ("member", {}, Forbidden),  # a committee member is not the board
        ("staff", {"memo": "  "}, Invalid),
    ],
)
def test_who_may_start_and_what_a_start_needs(world, actor, kwargs, error):
    with pytest.raises(error):
        services.appointment_start(
            actor=world[actor],
            position=world["position"],
            source="internal",
            memo=kwargs.get("memo", "Tờ trình"),
        )
    assert not Appointment.objects.exists()


def test_a_post_without_a_managing_body_cannot_be_started(world, district_a):
    with pytest.raises(Invalid):
        services.appointment_start(
            actor=world["staff"],
            position=PositionFactory(unit=district_a, managing_committee=None),
            source="internal",
            memo="Tờ trình",
        )


def test_approval_starts_the_limit_in_working_days_and_step_one(
    world, django_capture_on_commit_callbacks
):
    appointment = _start(world)
    tz = timezone.get_current_timezone()
    with (
        time_machine.travel(dt.datetime(2026, 2, 11, 9, tzinfo=tz)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        appointment = services.appointment_policy_decide(
            actor=world["chair"], appointment=appointment, approve=True
        )
    assert appointment.stage == Stage.POLICY_APPROVED
    deadline = appointment.deadline
    # 30 working days from 11 Feb 2026 skip the weekends and Tết (16–20 Feb).
    assert deadline.due == calendar.add_working_days(dt.date(2026, 2, 11), 30)
    assert deadline.due == dt.date(2026, 4, 1)
    assert set(deadline.responsible.all()) == {world["staff"], world["staff2"]}
    [step1] = _open(appointment, AppointmentFlow.step1)
    assert step1.owner is None  # in the board's queue
    assert _open(appointment, AppointmentFlow.limit).get().status == STATUS.SCHEDULED
    queued = Notification.objects.filter(kind="task.queued").values_list("recipient", flat=True)
    assert set(queued) == {world["staff"].pk, world["staff2"].pk}


def test_only_the_competent_chair_decides_and_only_once(world):
    appointment = _start(world)
    for who in ("member", "staff", "outsider"):
        with pytest.raises(Forbidden):
            services.appointment_policy_decide(
                actor=world[who], appointment=appointment, approve=True
            )
    services.appointment_policy_decide(actor=world["chair"], appointment=appointment, approve=True)
    with pytest.raises(Conflict):
        services.appointment_policy_decide(
            actor=world["chair"], appointment=appointment, approve=False, note="muộn"
        )
    assert Deadline.objects.count() == 1


def test_rejection_needs_a_reason_and_closes_the_procedure(world):
    appointment = _start(world)
    with pytest.raises(Invalid):
        services.appointment_policy_decide(
            actor=world["chair"], appointment=appointment, approve=False
        )
    appointment = services.appointment_policy_decide(
        actor=world["chair"], appointment=appointment, approve=False, note="Chưa cần thiết"
    )
    assert appointment.stage == Stage.CLOSED_REJECTED
    assert appointment.closed_reason == "Chưa cần thiết"
    assert appointment.status == STATUS.DONE  # the process finished
    assert appointment.deadline is None
    assert not _open(appointment, AppointmentFlow.step1).exists()


def test_when_the_limit_passes_the_board_must_explain_and_report(
    world, django_capture_on_commit_callbacks
):
    appointment = _start(world)
    tz = timezone.get_current_timezone()
    with time_machine.travel(dt.datetime(2026, 2, 11, 9, tzinfo=tz)):
        appointment = services.appointment_policy_decide(
            actor=world["chair"], appointment=appointment, approve=True
        )
    # The 30th working day (1 April) is still within the limit...
    with time_machine.travel(dt.datetime(2026, 4, 1, 23, 0, tzinfo=tz)):
        assert timers.fire_due_timers() == 0
    assert not _open(appointment, AppointmentFlow.explain_and_report).exists()
    # ...the next morning it has passed.
    with (
        time_machine.travel(dt.datetime(2026, 4, 2, 0, 5, tzinfo=tz)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert timers.fire_due_timers() == 1
    [report] = _open(appointment, AppointmentFlow.explain_and_report)
    assert report.owner is None
    notified = [
        n.recipient_id
        for n in Notification.objects.filter(kind="task.queued")
        if n.params["task"]["en"] == "Explain and report the missed time limit"
    ]
    assert sorted(notified) == sorted([world["staff"].pk, world["staff2"].pk])
    # the board explains; the report is on the audit trail and the procedure goes on
    with pytest.raises(Invalid):
        services.limit_report(actor=world["staff"], appointment=appointment, report=" ")
    with pytest.raises(Forbidden):
        services.limit_report(actor=world["member"], appointment=appointment, report="x")
    services.limit_report(
        actor=world["staff2"],
        appointment=appointment,
        report="Chậm do chờ kết luận tiêu chuẩn chính trị; đã báo cáo Ban Thường vụ.",
    )
    assert not _open(appointment, AppointmentFlow.explain_and_report).exists()
    assert _open(appointment, AppointmentFlow.step1).exists()
    assert AuditEvent.objects.get(action="appointment.report").reason.startswith("Chậm")


def test_procedures_are_visible_only_within_scope(world):
    appointment = _start(world)
    assert list(selectors.appointments_for_user(user=world["staff"])) == [appointment]
    assert list(selectors.appointments_for_user(user=world["outsider"])) == []
    assert list(selectors.appointments_for_user(user=UserFactory())) == []
