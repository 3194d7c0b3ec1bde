"""The job engine for real: procrastinate workers on the test PostgreSQL run the periodic jobs
(deadline reminders, viewflow timers, audit verification) and the in-process worker of
``make run`` starts and stops with the ASGI server.

Transactional tests: workers use their own connections, so everything is really committed.
procrastinate's tables are unmanaged (the test runner's flush leaves them alone), so each test
starts and ends with them empty.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from zoneinfo import ZoneInfo

import psycopg
import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, connections, transaction
from django.test import RequestFactory
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob, ProcrastinateWorker
from procrastinate.contrib.django.utils import connector_params
from procrastinate.periodic import PeriodicDeferrer, PeriodicRegistry
from viewflow.workflow.status import STATUS

from config.lifespan import WithLifespan
from notifications import kinds
from notifications.jobs import worker_app
from notifications.models import Notification
from personnel.audit import tasks as audit_tasks
from personnel.audit.actions import Action
from personnel.audit.context import acting_as
from personnel.audit.models import AuditEvent
from personnel.models import CommitteeKind, MembershipRole
from personnel.services import membership_end
from tests.factories import CommitteeFactory, UserFactory, member_of
from tests.workflows.probe.flows import TimeoutProbeFlow
from workflows.core.deadlines import deadline_set
from workflows.core.tasks import TIMERS_LOCK_KEY, deadline_reminders, workflow_timers

pytestmark = pytest.mark.django_db(transaction=True)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date
PROCRASTINATE_TABLES = (
    "procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers"
)


def _truncate_procrastinate():
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {PROCRASTINATE_TABLES} RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def _empty_job_tables(transactional_db):
    _truncate_procrastinate()
    yield
    _truncate_procrastinate()


def at(moment: dt.datetime, *, tick=True):
    return time_machine.travel(moment, tick=tick)


def hanoi(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=HANOI)


def run_worker(*queues: str) -> None:
    """A real worker (its own connections, LISTEN/NOTIFY) until the queues are empty.

    Its periodic deferrer is given nothing to defer, so only the jobs a test deferred run;
    ``test_each_tick_is_deferred_once_by_many_workers`` covers the deferrer.
    """
    worker = worker_app()
    worker.periodic_registry = PeriodicRegistry()
    worker.run_worker(
        queues=list(queues) or None,
        wait=False,
        install_signal_handlers=False,
        name="test-worker",
    )


async def _close_connections() -> None:
    """Close what ``sync_to_async`` opened in asgiref's shared thread (else the test database
    cannot be dropped at the end of the run)."""
    await sync_to_async(connections.close_all)()


def jobs(task) -> list[ProcrastinateJob]:
    return list(ProcrastinateJob.objects.filter(task_name=task.name).order_by("id"))


# --- the schedule ---------------------------------------------------------------------------


EXPECTED_SCHEDULE = {
    # periodic id: (task, cron in UTC, first run after 2026-03-10 12:00 in Vietnam)
    "deadline-reminders": (
        "workflows.core.tasks.deadline_reminders",
        "*/10 1-10 * * *",
        hanoi(D(2026, 3, 10), 12, 10),
    ),
    "workflow-timers": (
        "workflows.core.tasks.workflow_timers",
        "* * * * *",
        hanoi(D(2026, 3, 10), 12, 1),
    ),
    "audit-verify": (
        "personnel.audit.tasks.audit_verify_nightly",
        "30 18 * * *",
        hanoi(D(2026, 3, 11), 1, 30),  # at night in Vietnam, not 08:30 in the morning
    ),
    "sync-scopes": (
        "personnel.tasks.sync_scopes_daily",
        "15 18 * * *",
        hanoi(D(2026, 3, 11), 1, 15),
    ),
    "queue-refresh": (
        "workflows.core.tasks.queue_refresh_nightly",
        "20 18 * * *",
        hanoi(D(2026, 3, 11), 1, 20),
    ),
    "planning-removals": (
        "workflows.planning.tasks.planning_removal_scan",
        "45 18 * * *",
        hanoi(D(2026, 3, 11), 1, 45),
    ),
    "rotation-reminders": (
        "workflows.rotation.tasks.rotation_reminders",
        "0 19 * * *",
        hanoi(D(2026, 3, 11), 2, 0),
    ),
    "training-commitments": (
        "workflows.training.tasks.training_commitment_scan",
        "55 18 * * *",
        hanoi(D(2026, 3, 11), 1, 55),
    ),
}


def test_the_periodic_jobs_are_registered_with_their_schedule():
    registered = {
        periodic_id: pt for (_name, periodic_id), pt in app.periodic_registry.periodic_tasks.items()
    }
    assert set(registered) == set(EXPECTED_SCHEDULE)
    noon = hanoi(D(2026, 3, 10), 12).timestamp()
    for periodic_id, (task_name, cron, first_run) in EXPECTED_SCHEDULE.items():
        periodic = registered[periodic_id]
        assert periodic.task.name == task_name
        assert periodic.cron == cron
        assert periodic.task.queue == "periodic"
        assert periodic.task.queueing_lock == periodic_id
        # procrastinate evaluates cron in UTC, as the deferrer does it:
        periodic.croniter.set_current(start_time=noon)
        next_run = periodic.croniter.get_next(ret_type=float)
        assert dt.datetime.fromtimestamp(next_run, HANOI) == first_run, periodic_id


def test_each_tick_is_deferred_once_by_many_workers():
    """Every worker runs a periodic deferrer; the database takes one job per task and tick."""
    tick = hanoi(D(2026, 3, 11), 1, 30).timestamp() + 5  # five seconds after 01:30 in Vietnam

    async def deferrers(n):
        for _ in range(n):  # one deferrer per worker, as on several hosts
            deferrer = PeriodicDeferrer(registry=app.periodic_registry)
            await deferrer.defer_jobs(deferrer.get_previous_tasks(at=tick))
        await _close_connections()

    asyncio.run(deferrers(3))
    deferred = {job.task_name: job for job in ProcrastinateJob.objects.all()}
    # 01:30 is a tick of the audit verification and the timers; reminders wait for office
    # hours, and the scope sync (01:15) is more than ten minutes late and waits for tomorrow.
    assert sorted(deferred) == [
        "personnel.audit.tasks.audit_verify_nightly",
        "workflows.core.tasks.workflow_timers",
    ]
    assert ProcrastinateJob.objects.count() == 2
    assert {job.args["timestamp"] for job in deferred.values()} == {int(tick) - 5}
    assert {job.queue_name for job in deferred.values()} == {"periodic"}


# --- deadline reminders through a worker ----------------------------------------------------


@pytest.fixture
def board():
    return [
        UserFactory(username="board_vi", language="vi", email="vi@example.org"),
        UserFactory(username="board_en", language="en", email="en@example.org"),
    ]


def _deadline(board, *, starts_on, working_days):
    with at(hanoi(starts_on, 8)), transaction.atomic():
        return deadline_set(
            actor=None,
            title="Appointment decision",
            subject="Nguyễn Văn A",
            starts_on=starts_on,
            working_days=working_days,
            responsible=board,
            link="/appointments/1/",
        )


def test_a_worker_runs_the_reminder_job_and_a_second_run_adds_nothing(board, mailoutbox):
    # Started on the last working day before Tết: 30 working days end on Friday 3 April.
    deadline = _deadline(board, starts_on=D(2026, 2, 13), working_days=30)
    assert deadline.due == D(2026, 4, 3)

    with at(hanoi(D(2026, 3, 20))):  # ten working days left: nothing yet
        deadline_reminders.defer(timestamp=int(time.time()))
        run_worker("periodic")
    assert not Notification.objects.exists()

    with at(hanoi(D(2026, 3, 27))):  # five left
        deadline_reminders.defer(timestamp=int(time.time()))
        run_worker("periodic")
        sent = list(Notification.objects.order_by("recipient__username"))
        assert [n.recipient.username for n in sent] == ["board_en", "board_vi"]
        assert {n.kind for n in sent} == {kinds.DEADLINE_APPROACHING.code}
        assert {n.params["days"] for n in sent} == {5}

        deadline_reminders.defer(timestamp=int(time.time()) + 600)
        run_worker("periodic")
        assert Notification.objects.count() == 2

        # The e-mails were queued by the reminder job and go out through the e-mail queue,
        # each in its recipient's language.
        assert mailoutbox == []
        run_worker("email")
    assert [job.status for job in jobs(deadline_reminders)] == ["succeeded"] * 3
    assert sorted(m.to[0] for m in mailoutbox) == ["en@example.org", "vi@example.org"]
    english = next(m for m in mailoutbox if m.to == ["en@example.org"])
    assert english.subject == "5 working day(s) left: Appointment decision"
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0

    with at(hanoi(D(2026, 4, 4), 0, 5)):  # Saturday after the due Friday
        deadline_reminders.defer(timestamp=int(time.time()))
        run_worker("periodic")
        deadline_reminders.defer(timestamp=int(time.time()) + 600)
        run_worker("periodic")
    passed = Notification.objects.filter(kind=kinds.DEADLINE_PASSED.code)
    assert passed.count() == 2


def test_two_workers_running_the_reminder_job_at_once_remind_once(board):
    """Two ticks' jobs run side by side (e.g. on two hosts): still one reminder each."""
    _deadline(board, starts_on=D(2026, 3, 18), working_days=3)
    with at(hanoi(D(2026, 3, 18), 10)):
        now = int(time.time())
        deadline_reminders.configure(queueing_lock="tick-1").defer(timestamp=now)
        deadline_reminders.configure(queueing_lock="tick-2").defer(timestamp=now + 1)

        async def two_workers():
            apps = [worker_app(), worker_app()]
            for w in apps:
                w.periodic_registry = PeriodicRegistry()
            async with apps[0].open_async(), apps[1].open_async():
                await asyncio.gather(
                    *(
                        w.run_worker_async(
                            queues=["periodic"],
                            wait=False,
                            install_signal_handlers=False,
                            name=f"host-{i}",
                        )
                        for i, w in enumerate(apps)
                    )
                )

        asyncio.run(two_workers())
    assert [job.status for job in jobs(deadline_reminders)] == ["succeeded"] * 2
    assert Notification.objects.count() == 2
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "board_en",
        "board_vi",
    ]


# --- viewflow timers ------------------------------------------------------------------------


def _timer_sweep(moment: dt.datetime) -> None:
    with at(moment):
        workflow_timers.defer(timestamp=int(time.time()))
        run_worker("periodic")


def test_a_task_timeout_is_fired_by_the_job_engine():
    started = hanoi(D(2026, 3, 10), 9)
    with at(started, tick=False):
        process = TimeoutProbeFlow.start.run()
    review = process.task_set.get(flow_task=TimeoutProbeFlow.review)
    timer = process.task_set.get(flow_task=TimeoutProbeFlow.review__timeout)
    assert timer.status == STATUS.SCHEDULED
    assert timer.scheduled == started + TimeoutProbeFlow.TIMEOUT

    _timer_sweep(started + dt.timedelta(days=1))  # not yet
    review.refresh_from_db()
    timer.refresh_from_db()
    assert (review.status, timer.status) == (STATUS.NEW, STATUS.SCHEDULED)

    _timer_sweep(started + TimeoutProbeFlow.TIMEOUT + dt.timedelta(minutes=1))
    review.refresh_from_db()
    timer.refresh_from_db()
    process.refresh_from_db()
    assert review.status == STATUS.CANCELED  # the timeout interrupts the task...
    assert timer.status == STATUS.DONE
    escalate = process.task_set.get(flow_task=TimeoutProbeFlow.escalate)
    assert escalate.status == STATUS.DONE  # ...and takes the timeout path
    assert process.data.get("escalated") is True
    assert process.status == STATUS.DONE
    # The cancellation is audited, with no person as the actor (the engine did it).
    cancel = AuditEvent.objects.get(action=Action.TASK_CANCEL, target_id=str(review.pk))
    assert cancel.actor is None and cancel.process_id == process.pk

    _timer_sweep(started + dt.timedelta(days=3))  # fires once only
    assert process.task_set.filter(flow_task=TimeoutProbeFlow.escalate).count() == 1
    assert [job.status for job in jobs(workflow_timers)] == ["succeeded"] * 3


def test_a_sweep_that_finds_another_still_running_skips(django_db_blocker):
    """Start timers have no row to lock: two overlapping sweeps must not both run."""
    started = hanoi(D(2026, 3, 10), 9)
    with at(started, tick=False):
        process = TimeoutProbeFlow.start.run()
    # A sweep running elsewhere holds the lock (its own session, not one of our pool's).
    other_host = psycopg.connect(**connector_params(), autocommit=True)
    try:
        other_host.execute("SELECT pg_advisory_lock(%s)", [TIMERS_LOCK_KEY])
        _timer_sweep(started + dt.timedelta(days=3))
        assert not process.task_set.filter(flow_task=TimeoutProbeFlow.escalate).exists()
        assert [job.status for job in jobs(workflow_timers)] == ["succeeded"]
    finally:
        other_host.close()  # the lock goes with its session, as when a worker dies
    _timer_sweep(started + dt.timedelta(days=3, minutes=1))
    assert process.task_set.filter(flow_task=TimeoutProbeFlow.escalate).count() == 1


def test_a_task_done_in_time_disarms_its_timeout():
    clerk = UserFactory(username="clerk")
    started = hanoi(D(2026, 3, 10), 9)
    with at(started), acting_as(clerk):
        process = TimeoutProbeFlow.start.run()
        review = process.task_set.get(flow_task=TimeoutProbeFlow.review)
        with review.activation() as activation:
            activation.assign(clerk)
        with review.activation() as activation:
            activation.start(RequestFactory().get("/"))
            activation.execute()
    timer = process.task_set.get(flow_task=TimeoutProbeFlow.review__timeout)
    assert timer.status == STATUS.CANCELED
    _timer_sweep(started + dt.timedelta(days=5))
    process.refresh_from_db()
    assert process.status == STATUS.DONE
    assert not process.task_set.filter(flow_task=TimeoutProbeFlow.escalate).exists()


# --- audit verification ---------------------------------------------------------------------


def _tamper(sql: str) -> None:
    """What someone with the owner's or a superuser's access could do."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql)


@pytest.fixture
def people():
    inspection = CommitteeFactory(kind=CommitteeKind.INSPECTION)
    standing = CommitteeFactory(kind=CommitteeKind.STANDING, unit=inspection.unit)
    people = {
        "inspector": member_of(inspection),
        "inspection_chair": member_of(inspection, role=MembershipRole.CHAIR),
        "admin": UserFactory(username="admin", is_superuser=True),
        "standing": member_of(standing),
        "nobody": UserFactory(username="nobody"),
        "former_inspector": member_of(inspection),
        "inactive_inspector": member_of(inspection),
        "inactive_admin": UserFactory(username="inactive_admin", is_superuser=True),
    }
    with transaction.atomic():
        membership_end(
            actor=None,
            membership=people["former_inspector"].memberships.get(),
            ended_on=dt.date(2025, 12, 31),
        )
    get_user_model().objects.filter(
        pk__in=[people["inactive_inspector"].pk, people["inactive_admin"].pk]
    ).update(is_active=False)
    return people


def _alerted() -> list[tuple[str, dict]]:
    return sorted(
        (
            (n.recipient.username, n.params)
            for n in Notification.objects.filter(kind=kinds.AUDIT_CHAIN_BROKEN.code)
        ),
        key=lambda item: (item[0], item[1]["seq"]),
    )


def test_an_intact_chain_alerts_nobody(people):
    assert AuditEvent.objects.count() >= 5
    assert audit_tasks.audit_chain_check() is True
    assert not Notification.objects.exists()


def test_a_broken_chain_alerts_inspectors_and_administrators_once(people):
    expected = sorted(people[name].username for name in ("inspector", "inspection_chair", "admin"))
    _tamper("UPDATE audit_event SET reason = 'sửa lén' WHERE seq = 3")
    assert audit_tasks.audit_chain_check() is False
    alerted = _alerted()
    assert [username for username, _ in alerted] == expected
    assert {str(params) for _, params in alerted} == {str({"seq": 3, "problem": "edited"})}
    notification = Notification.objects.filter(kind=kinds.AUDIT_CHAIN_BROKEN.code).first()
    assert notification.link == "/audit/"

    # Every further night finds the same first break: nobody hears twice.
    assert audit_tasks.audit_chain_check() is False
    assert _alerted() == alerted

    # The nightly job, through a worker, too.
    audit_tasks.audit_verify_nightly.defer(timestamp=int(time.time()))
    run_worker("periodic")
    assert [j.status for j in jobs(audit_tasks.audit_verify_nightly)] == ["succeeded"]
    assert _alerted() == alerted
    assert Notification.objects.count() == len(expected)


def test_another_break_found_first_is_a_new_alert(people):
    _tamper("UPDATE audit_event SET reason = 'sửa lén' WHERE seq = 4")
    audit_tasks.audit_chain_check()
    _tamper("DELETE FROM audit_event WHERE seq = 2")
    audit_tasks.audit_chain_check()
    problems = sorted(
        (n.params["seq"], n.params["problem"])
        for n in Notification.objects.filter(recipient=people["admin"])
    )
    assert problems == [(2, "missing"), (4, "edited")]


# --- the in-process worker of `make run` ----------------------------------------------------


class _Lifespan:
    """An ASGI server's side of the lifespan protocol."""

    def __init__(self, app):
        self.app = app
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.create_task(
            app({"type": "lifespan", "asgi": {"version": "3.0"}}, self.inbox.get, self.outbox.put)
        )

    async def say(self, message_type: str) -> dict:
        await self.inbox.put({"type": message_type})
        return await asyncio.wait_for(self.outbox.get(), 30)


async def _until(predicate, timeout=30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await sync_to_async(predicate)():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_the_lifespan_runs_a_worker_in_process(board):
    http_calls = []

    async def web(scope, receive, send):
        http_calls.append(scope["type"])

    lifespan = WithLifespan(web)
    await lifespan({"type": "http"}, None, None)  # other traffic goes to the application
    assert http_calls == ["http"]

    server = _Lifespan(lifespan)
    assert await server.say("lifespan.startup") == {"type": "lifespan.startup.complete"}
    await _until(lambda: ProcrastinateWorker.objects.exists())

    def queue_an_email():
        notification = Notification.objects.create(
            recipient=board[1], kind=kinds.DEADLINE_APPROACHING.code, params={"days": 2}
        )
        from notifications.tasks import send_notification_email

        send_notification_email.defer(notification_id=notification.pk)
        return notification.pk

    mail.outbox = []
    pk = await sync_to_async(queue_an_email)()
    await _until(lambda: Notification.objects.get(pk=pk).emailed_at is not None)
    assert [m.to for m in mail.outbox] == [["en@example.org"]]

    assert await server.say("lifespan.shutdown") == {"type": "lifespan.shutdown.complete"}
    await asyncio.wait_for(server.task, 10)
    assert lifespan._worker.done()
    # The worker said goodbye: no stale worker row is left for others to prune.
    assert not await sync_to_async(ProcrastinateWorker.objects.exists)()
    job = await sync_to_async(ProcrastinateJob.objects.get)(
        task_name="notifications.tasks.send_notification_email"
    )
    assert job.status == "succeeded"
    await _close_connections()


@pytest.mark.asyncio
async def test_the_lifespan_reports_a_worker_that_cannot_start(monkeypatch):
    def broken():
        raise RuntimeError("database unreachable")

    monkeypatch.setattr("notifications.jobs.worker_app", broken)
    server = _Lifespan(WithLifespan(None))
    answer = await server.say("lifespan.startup")
    assert answer == {"type": "lifespan.startup.failed", "message": "database unreachable"}
    await asyncio.wait_for(server.task, 5)
