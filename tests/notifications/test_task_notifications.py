"""Workflow tasks tell people about themselves (``workflows.core.nodes.View``): a new task its
owner, a queued task its candidates, a claim nobody, an assignment by someone else the new
owner; ``.Within(n)`` sets a deadline in working days that closes when the task is done.

Runs the test-only ``NoticeProbeFlow`` (tests/workflows/probe/flows.py) with real commits.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import RequestFactory
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from personnel.audit.context import acting_as
from tests.factories import UserFactory
from tests.workflows.probe.flows import NoticeProbeFlow
from workflows.core import calendar
from workflows.core.models import Deadline

pytestmark = pytest.mark.django_db(transaction=True)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# Wednesday 29 April 2026, before Reunification Day (Thu 30), Labour Day (Fri 1 May) and a
# weekend: the next working days are Mon 4, Tue 5 and Wed 6 May.
BEFORE_THE_HOLIDAYS = dt.datetime(2026, 4, 29, 10, 0, tzinfo=HANOI)


@pytest.fixture
def people():
    return {
        name: UserFactory(username=name, language=language, email=f"{name}@example.org")
        for name, language in (
            ("clerk", "vi"),
            ("deputy", "en"),
            ("head", "vi"),
            ("candidate_a", "en"),
            ("candidate_b", "vi"),
            ("bystander", "vi"),
        )
    }


def _start(people):
    return NoticeProbeFlow.start.run(
        _process_data={
            "assignee": people["clerk"].pk,
            "queue": [people["candidate_a"].pk, people["candidate_b"].pk],
        }
    )


def _task(process, node):
    return process.task_set.get(flow_task=node)


def _activation(task):
    task.refresh_from_db()
    return task.flow_task.activation_class(task)


def _notified():
    """(recipient username, kind) of every notification, oldest first."""
    return [
        (n.recipient.username, n.kind)
        for n in Notification.objects.select_related("recipient").order_by("id")
    ]


def _finish(task, user):
    """What the task view does on POST: under the process lock, in one transaction."""
    with acting_as(user), NoticeProbeFlow.lock(task.process_id), transaction.atomic():
        activation = _activation(task)
        activation.start(RequestFactory().get("/"))
        activation.execute()


def _transition(user, task, name, *args):
    """assign / reassign / cancel as their views run them, by ``user``."""
    with acting_as(user), NoticeProbeFlow.lock(task.process_id), transaction.atomic():
        return getattr(_activation(task), name)(*args)


def test_a_task_assigned_on_creation_tells_its_owner_only(people):
    process = _start(people)
    prepare = _task(process, NoticeProbeFlow.prepare)
    assert prepare.owner == people["clerk"] and prepare.status == STATUS.ASSIGNED
    assert _notified() == [("clerk", "task.assigned")]
    [note] = Notification.objects.all()
    # The task's name is stored in every language and shown in the recipient's.
    assert set(note.params["task"]) == {"vi", "en"}
    assert note.rendered("en")[0] == f"Task assigned to you: {prepare.title}"


def test_a_queued_task_tells_each_candidate_and_not_the_previous_owner(people):
    process = _start(people)
    _finish(_task(process, NoticeProbeFlow.prepare), people["clerk"])
    decide = _task(process, NoticeProbeFlow.decide)
    assert decide.owner is None and decide.status == STATUS.NEW
    assert _notified() == [
        ("clerk", "task.assigned"),
        ("candidate_a", "task.queued"),
        ("candidate_b", "task.queued"),
    ]


def test_a_claim_by_the_user_themself_tells_nobody(people):
    process = _start(people)
    _finish(_task(process, NoticeProbeFlow.prepare), people["clerk"])
    before = _notified()
    decide = _task(process, NoticeProbeFlow.decide)
    _transition(people["candidate_a"], decide, "assign", people["candidate_a"])
    assert _notified() == before


def test_an_assignment_or_reassignment_by_someone_else_tells_the_new_owner(people):
    process = _start(people)
    _finish(_task(process, NoticeProbeFlow.prepare), people["clerk"])
    decide = _task(process, NoticeProbeFlow.decide)
    before = len(_notified())

    # The head hands the queued task to candidate A, then moves it to the deputy.
    _transition(people["head"], decide, "assign", people["candidate_a"])
    assert _notified()[before:] == [("candidate_a", "task.assigned")]

    _transition(people["head"], decide, "reassign", people["deputy"])
    assert _notified()[before + 1 :] == [("deputy", "task.assigned")]
    english = Notification.objects.filter(recipient=people["deputy"]).get()
    assert english.rendered("en")[0] == f"Task assigned to you: {decide.title}"


def test_taking_a_task_over_oneself_tells_nobody(people):
    process = _start(people)
    prepare = _task(process, NoticeProbeFlow.prepare)
    before = _notified()
    _transition(people["head"], prepare, "reassign", people["head"])
    assert _activation(prepare).task.owner == people["head"]
    assert _notified() == before


def test_within_sets_a_deadline_in_working_days_that_closes_when_the_task_is_done(people):
    with time_machine.travel(BEFORE_THE_HOLIDAYS, tick=False):
        process = _start(people)
        prepare = _task(process, NoticeProbeFlow.prepare)
        deadline = Deadline.objects.get(task=prepare)
        assert deadline.starts_on == dt.date(2026, 4, 29) and deadline.working_days == 3
        assert (
            deadline.due
            == dt.date(2026, 5, 6)
            == calendar.add_working_days(dt.date(2026, 4, 29), 3)
        )
        assert list(deadline.responsible.all()) == [people["clerk"]]
        assert deadline.process_id == process.pk and deadline.met_at is None

        _finish(prepare, people["clerk"])
        deadline.refresh_from_db()
        assert deadline.met_at is not None

        decide = _task(process, NoticeProbeFlow.decide)
        queued = Deadline.objects.get(task=decide)
        assert queued.due == dt.date(2026, 5, 5)
        assert set(queued.responsible.all()) == {people["candidate_a"], people["candidate_b"]}
        assert queued.met_at is None

        # Cancelling the task closes its deadline too: nobody is reminded of a dead task.
        _transition(people["head"], decide, "cancel")
        queued.refresh_from_db()
        assert queued.met_at is not None
    assert Deadline.objects.filter(met_at__isnull=True).count() == 0
