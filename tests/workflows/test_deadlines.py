"""Deadlines in working days, and the reminders the periodic job sends, with time travel across
weekends and Tết 2026 (Monday 16 – Friday 20 February are public holidays)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy

from notifications import kinds
from notifications.models import Notification
from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from tests.factories import UserFactory
from workflows.core.deadlines import deadline_meet, deadline_reminders_send, deadline_set
from workflows.core.models import Deadline
from workflows.core.tasks import deadline_reminders

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date


def at(day: dt.date, hour: int = 9, minute: int = 0):
    """Travel to ``day`` at ``hour`` o'clock in Vietnam (time stands still while there)."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=HANOI), tick=False
    )


@pytest.fixture
def run_job(django_capture_on_commit_callbacks):
    """Run the periodic job on a given day, as the worker would (notifications after commit)."""

    def run(day: dt.date, hour: int = 9, minute: int = 0) -> int:
        with at(day, hour, minute), django_capture_on_commit_callbacks(execute=True):
            return deadline_reminders(timestamp=0)

    return run


@pytest.fixture
def clerk():
    return UserFactory(username="clerk", language="en")


@pytest.fixture
def board(db):
    return [
        UserFactory(username="board_vi", language="vi"),
        UserFactory(username="board_en", language="en"),
    ]


def _start(clerk, responsible, *, starts_on, working_days, title="Appointment decision"):
    with at(starts_on, 8):
        return deadline_set(
            actor=clerk,
            title=title,
            subject="Nguyễn Văn A — Giám đốc Sở X",
            starts_on=starts_on,
            working_days=working_days,
            responsible=responsible,
            link="/appointments/1/",
            source="QĐ 377-QĐ/TW",
        )


def _sent(deadline=None, **filters):
    qs = Notification.objects.filter(**filters).order_by("id")
    if deadline is not None:
        qs = qs.filter(dedupe_key__startswith=f"deadline:{deadline.pk}:")
    return list(qs)


# --- setting and meeting -------------------------------------------------------------------


def test_deadline_set_counts_working_days_and_is_audited(clerk, board):
    deadline = _start(clerk, board, starts_on=D(2026, 2, 13), working_days=30)
    # 30 working days from Friday 13 February, Tết not counted: Friday 3 April.
    assert deadline.due == D(2026, 4, 3)
    assert set(deadline.responsible.all()) == set(board)
    event = AuditEvent.objects.get(action=Action.DEADLINE_SET)
    assert event.action == "deadline.set"
    assert event.actor == clerk
    assert (event.target_type, event.target_id) == (
        deadline._meta.label_lower,
        str(deadline.pk),
    )
    assert event.changes == {"due": [None, "2026-04-03"], "working_days": [None, 30]}


def test_deadline_set_stores_the_untranslated_title(clerk, board):
    with translation.override("vi"):
        deadline = deadline_set(
            actor=clerk,
            title=gettext_lazy("Appointment decision"),
            starts_on=D(2026, 3, 2),
            working_days=5,
            responsible=board,
        )
    deadline.refresh_from_db()
    assert deadline.title == "Appointment decision"  # each recipient reads it in their language


def test_deadline_set_is_rolled_back_with_its_audit_event(clerk, board):
    with pytest.raises(RuntimeError), transaction.atomic():
        deadline_set(
            actor=clerk, title="x", starts_on=D(2026, 3, 2), working_days=5, responsible=board
        )
        raise RuntimeError
    assert not Deadline.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.DEADLINE_SET).exists()


def test_deadline_meet_is_idempotent_and_audited(clerk, board):
    deadline = _start(clerk, board, starts_on=D(2026, 3, 2), working_days=10)
    with at(D(2026, 3, 10)):
        met = deadline_meet(actor=clerk, deadline=deadline)
    met_at = met.met_at
    assert met_at is not None
    with at(D(2026, 3, 11)):
        again = deadline_meet(actor=clerk, deadline=deadline)
    assert again.met_at == met_at
    events = AuditEvent.objects.filter(action=Action.DEADLINE_MET)
    assert events.count() == 1
    event = events.get()
    assert event.actor == clerk and event.target_id == str(deadline.pk)
    assert event.changes["late"] == [None, False]


def test_deadline_met_after_it_passed_is_recorded_late(clerk, board):
    deadline = _start(clerk, board, starts_on=D(2026, 3, 2), working_days=5)  # due Mon 9 Mar
    with at(D(2026, 3, 10)):
        deadline_meet(actor=clerk, deadline=deadline)
    assert AuditEvent.objects.get(action=Action.DEADLINE_MET).changes["late"] == [None, True]


# --- reminders ------------------------------------------------------------------------------


def test_thirty_working_days_across_tet(clerk, board, run_job):
    """Started on the last working day before Tết; due Friday 3 April 2026."""
    deadline = _start(clerk, board, starts_on=D(2026, 2, 13), working_days=30)
    assert deadline.due == D(2026, 4, 3)

    # Far away (including during Tết and on the day it starts): nothing.
    for day in [D(2026, 2, 13), D(2026, 2, 17), D(2026, 3, 2), D(2026, 3, 20), D(2026, 3, 26)]:
        run_job(day)
    assert _sent(deadline) == []

    # Friday 27 March: 30, 31 March, 1, 2, 3 April are left -> the 5-day reminder, once each.
    for hour in (0, 9, 12, 23):
        run_job(D(2026, 3, 27), hour, 5)
    five = _sent(deadline)
    assert len(five) == 2
    assert {n.recipient for n in five} == set(board)
    assert {n.kind for n in five} == {kinds.DEADLINE_APPROACHING.code}
    assert {n.dedupe_key for n in five} == {f"deadline:{deadline.pk}:5"}
    assert all(n.params["days"] == 5 for n in five)
    assert {n.created.astimezone(HANOI).date() for n in five} == {D(2026, 3, 27)}
    assert all(n.link == "/appointments/1/" for n in five)

    # The weekend and the days after: still 5 then 4, 3, 2 left — nothing new.
    for day in [D(2026, 3, 28), D(2026, 3, 29), D(2026, 3, 30), D(2026, 3, 31), D(2026, 4, 1)]:
        run_job(day)
        run_job(day, 15)
    assert len(_sent(deadline)) == 2

    # Thursday 2 April: one working day left.
    run_job(D(2026, 4, 2))
    run_job(D(2026, 4, 2), 17)
    one = _sent(deadline)[2:]
    assert len(one) == 2
    assert {n.dedupe_key for n in one} == {f"deadline:{deadline.pk}:1"}
    assert all(n.params["days"] == 1 for n in one)

    # Due day, Friday 3 April: nothing more.
    run_job(D(2026, 4, 3))
    run_job(D(2026, 4, 3), 23, 55)
    assert len(_sent(deadline)) == 4

    # Saturday 4 April it has passed: one notice each, and no more on Sunday, Monday, later.
    run_job(D(2026, 4, 4), 0, 5)
    passed = _sent(deadline, kind=kinds.DEADLINE_PASSED.code)
    assert len(passed) == 2 and {n.recipient for n in passed} == set(board)
    assert {n.created.astimezone(HANOI).date() for n in passed} == {D(2026, 4, 4)}
    for day in [D(2026, 4, 4), D(2026, 4, 5), D(2026, 4, 6), D(2026, 4, 7), D(2026, 5, 4)]:
        run_job(day)
    assert len(_sent(deadline)) == 6
    assert len(_sent(deadline, kind=kinds.DEADLINE_PASSED.code)) == 2


def test_the_day_turns_at_midnight_in_vietnam_not_utc(clerk, board, run_job):
    deadline = _start(clerk, board, starts_on=D(2026, 2, 13), working_days=30)
    # 23:55 on Thursday 26 March in Hà Nội: still six working days left.
    run_job(D(2026, 3, 26), 23, 55)
    assert _sent(deadline) == []
    # 00:05 on Friday 27 March in Hà Nội is 17:05 on Thursday in UTC.
    run_job(D(2026, 3, 27), 0, 5)
    assert len(_sent(deadline)) == 2


def test_overdue_after_a_weekend_is_noticed_once(clerk, board, run_job):
    # Due Friday 6 March (5 working days from Friday 27 February).
    deadline = _start(clerk, board, starts_on=D(2026, 2, 27), working_days=5)
    assert deadline.due == D(2026, 3, 6)
    run_job(D(2026, 3, 6), 16)
    assert _sent(deadline, kind=kinds.DEADLINE_PASSED.code) == []
    for day in [D(2026, 3, 7), D(2026, 3, 8), D(2026, 3, 9), D(2026, 3, 10)]:
        run_job(day)
        run_job(day, 18)
    passed = _sent(deadline, kind=kinds.DEADLINE_PASSED.code)
    assert len(passed) == 2
    assert {n.created.astimezone(HANOI).date() for n in passed} == {D(2026, 3, 7)}


def test_overdue_noticed_on_monday_when_the_job_did_not_run_at_the_weekend(clerk, board, run_job):
    deadline = _start(clerk, board, starts_on=D(2026, 2, 27), working_days=5)
    run_job(D(2026, 3, 9))  # Monday: the first run since Friday
    passed = _sent(deadline, kind=kinds.DEADLINE_PASSED.code)
    assert len(passed) == 2
    assert "2026" in passed[0].rendered("en")[1]  # "... it was due <date>"


def test_a_met_deadline_gets_nothing(clerk, board, run_job):
    deadline = _start(clerk, board, starts_on=D(2026, 2, 13), working_days=30)
    with at(D(2026, 3, 20)):
        deadline_meet(actor=clerk, deadline=deadline)
    for day in [D(2026, 3, 27), D(2026, 4, 2), D(2026, 4, 3), D(2026, 4, 4), D(2026, 4, 6)]:
        run_job(day)
    assert _sent(deadline) == []


def test_meeting_it_between_thresholds_stops_the_rest(clerk, board, run_job):
    deadline = _start(clerk, board, starts_on=D(2026, 2, 13), working_days=30)
    run_job(D(2026, 3, 27))
    with at(D(2026, 3, 30)):
        deadline_meet(actor=clerk, deadline=deadline)
    for day in [D(2026, 4, 2), D(2026, 4, 4), D(2026, 4, 6)]:
        run_job(day)
    assert {n.dedupe_key for n in _sent(deadline)} == {f"deadline:{deadline.pk}:5"}


def test_created_with_three_days_left_gets_the_five_day_reminder_saying_three(
    clerk, board, run_job
):
    # Wednesday 18 March + 3 working days = Monday 23 March.
    deadline = _start(clerk, board, starts_on=D(2026, 3, 18), working_days=3)
    run_job(D(2026, 3, 18), 10)
    first = _sent(deadline)
    assert len(first) == 2
    assert {n.dedupe_key for n in first} == {f"deadline:{deadline.pk}:5"}
    assert all(n.params["days"] == 3 for n in first)
    english = next(n for n in first if n.recipient.language == "en")
    assert english.rendered("en")[0] == "3 working day(s) left: Appointment decision"
    # Thursday and Friday (2 left, then 1 left), the weekend, Monday (due): one more each.
    for day in [D(2026, 3, 19), D(2026, 3, 20), D(2026, 3, 21), D(2026, 3, 23)]:
        run_job(day)
    keys = [n.dedupe_key for n in _sent(deadline)]
    assert sorted(keys) == sorted(
        [f"deadline:{deadline.pk}:5"] * 2 + [f"deadline:{deadline.pk}:1"] * 2
    )
    assert all(n.params["days"] == 1 for n in _sent(deadline) if n.dedupe_key.endswith(":1"))


def test_due_today_when_created_gets_the_last_reminder_saying_zero(clerk, board, run_job):
    deadline = _start(clerk, board, starts_on=D(2026, 3, 18), working_days=0)
    run_job(D(2026, 3, 18))
    sent = _sent(deadline)
    assert len(sent) == 2
    assert {n.dedupe_key for n in sent} == {f"deadline:{deadline.pk}:1"}
    assert {n.params["days"] for n in sent} == {0}


def test_each_responsible_person_gets_their_own_in_their_language(clerk, run_job):
    vi, en = UserFactory(username="vi", language="vi"), UserFactory(username="en", language="en")
    gone = UserFactory(username="gone", is_active=False)
    bystander = UserFactory(username="bystander")
    deadline = _start(clerk, [vi, en, gone], starts_on=D(2026, 3, 18), working_days=3)
    run_job(D(2026, 3, 18))
    sent = _sent(deadline)
    assert sorted(n.recipient.username for n in sent) == ["en", "vi"]
    assert len({n.pk for n in sent}) == 2
    assert not Notification.objects.filter(recipient__in=[gone, bystander, clerk]).exists()
    en_title = next(n for n in sent if n.recipient == en).rendered(en.language)[0]
    assert "Appointment decision" in en_title
    for n in sent:
        assert n.params["subject"] == "Nguyễn Văn A — Giám đốc Sở X"
        assert n.params["due"] == "2026-03-23"


def test_responsible_people_added_later_hear_at_the_current_threshold(clerk, board, run_job):
    deadline = _start(clerk, board[:1], starts_on=D(2026, 3, 18), working_days=3)
    run_job(D(2026, 3, 18))
    deadline.responsible.add(board[1])
    run_job(D(2026, 3, 18), 11)
    run_job(D(2026, 3, 18), 12)
    sent = _sent(deadline)
    assert [n.recipient for n in sent] == board


def test_several_deadlines_are_reminded_independently(
    clerk, board, django_capture_on_commit_callbacks
):
    a = _start(clerk, board[:1], starts_on=D(2026, 3, 18), working_days=3)
    b = _start(clerk, board[1:], starts_on=D(2026, 3, 18), working_days=1)
    far = _start(clerk, board, starts_on=D(2026, 3, 18), working_days=20)
    with at(D(2026, 3, 18)), django_capture_on_commit_callbacks(execute=True):
        assert deadline_reminders_send() == 2
    assert [n.recipient for n in _sent(a)] == board[:1]
    assert [n.recipient for n in _sent(b)] == board[1:]
    assert _sent(far) == []


def test_notifications_are_created_only_after_commit(
    clerk, board, django_capture_on_commit_callbacks
):
    deadline = _start(clerk, board, starts_on=D(2026, 3, 18), working_days=3)
    with at(D(2026, 3, 18)):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                deadline_reminders_send()
            assert _sent(deadline) == []  # not yet: the callback runs on commit
        assert len(callbacks) >= 1
    assert len(_sent(deadline)) == 2


def test_nothing_is_sent_when_the_job_rolls_back(clerk, board, django_capture_on_commit_callbacks):
    deadline = _start(clerk, board, starts_on=D(2026, 3, 18), working_days=3)
    with (
        at(D(2026, 3, 18)),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        deadline_reminders_send()
        raise RuntimeError
    assert callbacks == []
    assert _sent(deadline) == []


def test_thresholds_come_from_settings(clerk, board, run_job, settings):
    settings.DEADLINE_REMINDER_DAYS = (10, 2)
    deadline = _start(clerk, board[:1], starts_on=D(2026, 3, 2), working_days=15)  # 23 Mar
    run_job(D(2026, 3, 6))  # 11 left
    assert _sent(deadline) == []
    run_job(D(2026, 3, 9))  # 10 left
    run_job(D(2026, 3, 18))  # 3 left
    run_job(D(2026, 3, 19))  # 2 left
    assert [n.dedupe_key.rsplit(":", 1)[1] for n in _sent(deadline)] == ["10", "2"]
    assert [n.params["days"] for n in _sent(deadline)] == [10, 2]
