"""``notify`` and what follows a commit: rows, e-mail jobs on procrastinate, the e-mail itself.

Transactional tests: ``notify`` acts on ``transaction.on_commit`` and e-mail jobs are written by
procrastinate in the committing transaction, so only real commits show what users would get.
procrastinate's tables are unmanaged (the test runner's flush leaves them alone): each test
starts and ends with them empty.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.periodic import PeriodicRegistry

from notifications import kinds
from notifications.jobs import worker_app
from notifications.kinds import in_every_language
from notifications.models import EmailPreference, Notification
from notifications.services import deliver, notify, preferences_set
from notifications.tasks import send_notification_email
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()
EMAIL_TASK = "notifications.tasks.send_notification_email"
PARAMS = {"task": "Appointment", "process": "Nguyễn Văn A — Phó Giám đốc Sở"}


def _truncate_procrastinate():
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
            "procrastinate_workers RESTART IDENTITY CASCADE"
        )


@pytest.fixture(autouse=True)
def _empty_job_tables(transactional_db):
    _truncate_procrastinate()
    yield
    _truncate_procrastinate()


@pytest.fixture
def english():
    return UserFactory(username="english", language="en", email="en@example.org")


@pytest.fixture
def vietnamese():
    return UserFactory(username="vietnamese", language="vi", email="vi@example.org")


class _Abort(Exception):
    pass


def _email_jobs() -> dict[int, ProcrastinateJob]:
    """E-mail jobs by the notification they send."""
    return {
        job.args["notification_id"]: job
        for job in ProcrastinateJob.objects.filter(task_name=EMAIL_TASK)
    }


def _rows(user=None):
    qs = Notification.objects.order_by("id")
    return list(qs.filter(recipient=user) if user is not None else qs)


def _notify(recipients, kind=kinds.TASK_ASSIGNED, **kwargs):
    with transaction.atomic():
        notify(recipients=recipients, kind=kind, params=kwargs.pop("params", PARAMS), **kwargs)


# --------------------------------------------------------------------------- commit or nothing


def test_nothing_is_written_before_commit_and_everything_after(english, vietnamese):
    with transaction.atomic():
        notify(recipients=[english, vietnamese], kind=kinds.TASK_ASSIGNED, params=PARAMS)
        assert _rows() == [] and _email_jobs() == {}
    rows = _rows()
    assert sorted(n.recipient_id for n in rows) == sorted([english.pk, vietnamese.pk])
    assert {n.kind for n in rows} == {"task.assigned"} and all(n.params == PARAMS for n in rows)
    assert set(_email_jobs()) == {n.pk for n in rows}


def test_notify_in_a_rolled_back_transaction_writes_nothing(english, vietnamese, mailoutbox):
    with pytest.raises(_Abort), transaction.atomic():
        notify(recipients=[english, vietnamese], kind=kinds.TASK_ASSIGNED, params=PARAMS)
        raise _Abort
    assert _rows() == [] and _email_jobs() == {} and mailoutbox == []


def test_notify_in_a_rolled_back_savepoint_writes_nothing_though_the_outer_commits(english):
    with transaction.atomic():
        UserFactory(username="made-in-the-outer-transaction")
        try:
            with transaction.atomic():
                notify(recipients=[english], kind=kinds.TASK_ASSIGNED, params=PARAMS)
                raise _Abort
        except _Abort:
            pass
        notify(recipients=[english], kind=kinds.TASK_QUEUED, params=PARAMS)
    assert User.objects.filter(username="made-in-the-outer-transaction").exists()
    assert [n.kind for n in _rows()] == ["task.queued"]


def test_an_unknown_kind_fails_at_call_time_and_takes_the_callers_transaction_down(english):
    with pytest.raises(KeyError), transaction.atomic():
        UserFactory(username="never-committed")
        notify(recipients=[english], kind="no.such.kind", params={})
    assert not User.objects.filter(username="never-committed").exists()
    assert _rows() == []


def test_parameters_that_cannot_be_stored_fail_at_call_time(english):
    with pytest.raises(TypeError):
        notify(recipients=[english], kind=kinds.TASK_ASSIGNED, params={"task": object()})
    with pytest.raises(TypeError):  # a lazy string must be rendered (in_every_language) first
        notify(recipients=[english], kind=kinds.TASK_ASSIGNED, params={"task": _("Appointment")})
    assert _rows() == []


def test_recipients_may_be_users_or_ids_and_each_gets_one(english, vietnamese):
    _notify([english, english.pk, vietnamese, None])
    assert sorted(n.recipient_id for n in _rows()) == sorted([english.pk, vietnamese.pk])


def test_inactive_recipients_get_nothing(english, vietnamese):
    retired = UserFactory(username="retired", is_active=False, email="retired@example.org")
    _notify([english, retired])
    assert [n.recipient_id for n in _rows()] == [english.pk]
    assert len(_email_jobs()) == 1

    # Deactivated in the same transaction, after notify: delivery reads the state at commit.
    with transaction.atomic():
        notify(recipients=[english, vietnamese], kind=kinds.TASK_QUEUED, params=PARAMS)
        User.objects.filter(pk=vietnamese.pk).update(is_active=False)
    assert _rows(vietnamese) == []


# --------------------------------------------------------------------------- dedupe


def test_a_dedupe_key_gives_one_row_per_recipient_however_many_calls(english, vietnamese):
    for _attempt in range(3):
        _notify([english, vietnamese], dedupe_key="deadline:7:5")
    newcomer = UserFactory(username="newcomer", email="new@example.org")
    _notify([english, vietnamese, newcomer], dedupe_key="deadline:7:5")
    _notify([english], dedupe_key="deadline:7:1")  # another threshold: a new reminder

    keys = sorted((n.recipient_id, n.dedupe_key) for n in _rows())
    assert keys == sorted(
        [
            (english.pk, "deadline:7:5"),
            (vietnamese.pk, "deadline:7:5"),
            (newcomer.pk, "deadline:7:5"),
            (english.pk, "deadline:7:1"),
        ]
    )
    # One e-mail per row that was written, none for the calls that found one already.
    assert set(_email_jobs()) == {n.pk for n in _rows()}


def test_racing_deliveries_with_one_dedupe_key_write_one_row(english):
    """Two workers reminding at the same moment: the unique index decides, not a read."""
    barrier = threading.Barrier(2)
    errors = []

    def remind():
        try:
            barrier.wait()
            deliver(
                recipient_ids=[english.pk],
                kind="deadline.passed",
                params={"deadline": "Appointment", "subject": "x", "due": "2026-05-05"},
                dedupe_key="deadline:9:overdue",
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=remind) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert len(_rows(english)) == 1
    assert len(_email_jobs()) == 1


# --------------------------------------------------------------------------- e-mail jobs


def test_email_jobs_follow_each_recipients_preference(english, vietnamese):
    # task.assigned is e-mailed by default, task.queued is not.
    assert kinds.TASK_ASSIGNED.email_default and not kinds.TASK_QUEUED.email_default
    quiet = UserFactory(username="quiet", email="quiet@example.org")
    keen = UserFactory(username="keen", email="keen@example.org")
    preferences_set(user=quiet, email={"task.assigned": False})
    preferences_set(user=keen, email={"task.queued": True})
    # Setting the default again stores nothing (the default applies).
    preferences_set(user=english, email={"task.assigned": True, "task.queued": False})
    assert set(EmailPreference.objects.values_list("user__username", "kind", "enabled")) == {
        ("quiet", "task.assigned", False),
        ("keen", "task.queued", True),
    }

    everyone = [english, vietnamese, quiet, keen]
    _notify(everyone, kinds.TASK_ASSIGNED)
    _notify(everyone, kinds.TASK_QUEUED)

    jobs = _email_jobs()
    emailed = {(n.recipient.username, n.kind) for n in _rows() if n.pk in jobs}
    assert emailed == {
        ("english", "task.assigned"),
        ("vietnamese", "task.assigned"),
        ("keen", "task.assigned"),
        ("keen", "task.queued"),
    }
    for notification_id, job in jobs.items():
        assert job.args == {"notification_id": notification_id}
        assert (job.queue_name, job.status) == ("email", "todo")


def test_a_rolled_back_notify_queues_no_email_and_a_committed_one_does(english):
    with pytest.raises(_Abort), transaction.atomic():
        notify(recipients=[english], kind=kinds.TASK_ASSIGNED, params=PARAMS)
        raise _Abort
    assert ProcrastinateJob.objects.count() == 0
    _notify([english])
    [row] = _rows()
    assert list(_email_jobs()) == [row.pk]


# --------------------------------------------------------------------------- sending


def test_the_email_goes_out_once_in_the_recipients_language(english, vietnamese, mailoutbox):
    _notify([english, vietnamese], link="/tasks/42/")
    mine = {n.recipient_id: n for n in _rows()}

    for user in (english, vietnamese):
        send_notification_email(notification_id=mine[user.pk].pk)
        send_notification_email(notification_id=mine[user.pk].pk)  # a retry: nothing more
    assert [m.to for m in mailoutbox] == [["en@example.org"], ["vi@example.org"]]
    to_english, to_vietnamese = mailoutbox

    assert to_english.subject == "Task assigned to you: Appointment"
    assert "Bổ nhiệm" in to_vietnamese.subject and "Appointment" not in to_vietnamese.subject
    assert to_vietnamese.subject == mine[vietnamese.pk].rendered("vi")[0]
    for message, user in ((to_english, english), (to_vietnamese, vietnamese)):
        assert PARAMS["process"] in message.body
        assert settings.SITE_URL + "/tasks/42/" in message.body
        assert message.subject in message.body
        assert Notification.objects.get(pk=mine[user.pk].pk).emailed_at is not None


def test_the_language_is_the_recipients_not_the_active_one(vietnamese, mailoutbox):
    _notify([vietnamese])
    [row] = _rows()
    with translation.override("en"):
        send_notification_email(notification_id=row.pk)
    assert "Bổ nhiệm" in mailoutbox[0].subject


def test_no_email_without_an_address_or_for_a_deactivated_recipient(english, mailoutbox):
    no_address = UserFactory(username="no-address", email="")
    _notify([english, no_address])
    rows = {n.recipient_id: n for n in _rows()}
    User.objects.filter(pk=english.pk).update(is_active=False)  # left after the notification
    for row in rows.values():
        send_notification_email(notification_id=row.pk)
    assert mailoutbox == []
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()


def test_a_real_worker_sends_each_queued_email_once(english, vietnamese, mailoutbox):
    _notify([english, vietnamese])
    assert len(_email_jobs()) == 2

    def run_worker():
        worker = worker_app()
        worker.periodic_registry = PeriodicRegistry()  # only the jobs this test queued
        worker.run_worker(
            queues=["email"], wait=False, install_signal_handlers=False, name="test-email"
        )

    run_worker()
    assert sorted(m.to[0] for m in mailoutbox) == ["en@example.org", "vi@example.org"]
    assert {m.subject for m in mailoutbox} == {n.rendered(n.recipient.language)[0] for n in _rows()}
    assert {job.status for job in _email_jobs().values()} == {"succeeded"}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()

    run_worker()  # nothing left to do
    assert len(mailoutbox) == 2


# --------------------------------------------------------------------------- rendering


def test_render_picks_the_recipients_language_for_parameters_and_moments():
    params = {
        "meeting": in_every_language(_("Meeting called")),
        "when": "2026-04-29T01:30:00+00:00",  # 08:30 in Vietnam
        "place": "Phòng họp số 1",
    }
    assert kinds.MEETING_SUMMONED.render(params, "en") == (
        "You are summoned: Meeting called",
        "04/29/2026 8:30 a.m., Phòng họp số 1",
    )
    title, body = kinds.MEETING_SUMMONED.render(params, "vi")
    assert title.endswith("Triệu tập hội nghị")
    # Vietnamese order and format of the moment (the sentence around it is the catalogue's).
    assert body.startswith("08:30 29-04-2026") and body.endswith("Phòng họp số 1")
    # Without a language, the active one.
    with translation.override("vi"):
        assert kinds.MEETING_SUMMONED.render(params) == (title, body)


def test_render_translates_msgid_parameters_and_formats_dates_as_dates():
    params = {"deadline": "Appointment", "subject": "Hồ sơ 7", "due": "2026-05-05", "days": 2}
    assert kinds.DEADLINE_APPROACHING.render(params, "en") == (
        "2 working day(s) left: Appointment",
        "Hồ sơ 7 — due 05/05/2026",
    )
    title, body = kinds.DEADLINE_APPROACHING.render(params, "vi")
    assert title.endswith("Bổ nhiệm") and body.endswith("05-05-2026")
    assert "00:00" not in body


def test_render_survives_missing_and_partial_parameters():
    # A parameter translated into one language only falls back to what there is.
    title, body = kinds.TASK_ASSIGNED.render({"task": {"vi": "Chỉ tiếng Việt"}}, "en")
    assert title == "Task assigned to you: Chỉ tiếng Việt"
    assert body == "…"  # "process" is missing: a placeholder, not a KeyError
    # Text from the data is never treated as a template.
    title, _body = kinds.TASK_ASSIGNED.render({"task": "%(process)s 100%", "process": "x"}, "en")
    assert title == "Task assigned to you: %(process)s 100%"
    # A kind removed from the code since: the code is shown, nothing breaks.
    assert Notification(kind="gone.kind", params={}).rendered("en") == ("gone.kind", "")
