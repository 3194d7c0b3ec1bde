"""Task and process transitions that viewflow does not record end up in the audit trail."""

import pytest
from viewflow.workflow.status import STATUS

from personnel.audit.actions import Action
from personnel.audit.context import acting_as
from personnel.audit.models import AuditEvent
from tests.factories import UserFactory
from tests.workflows.probe.flows import ProbeFlow

pytestmark = pytest.mark.django_db


def _review_task(process):
    return process.task_set.get(flow_task=ProbeFlow.review)


def _activation(task):
    task.refresh_from_db()
    return task.flow_task.activation_class(task)


def _events():
    return list(AuditEvent.objects.order_by("seq"))


@pytest.fixture
def process():
    return ProbeFlow.start.run()


def test_assign_fills_task_assigned_and_records_previous_owner(process):
    clerk, chair = UserFactory(username="clerk"), UserFactory(username="chair")
    task = _review_task(process)
    with acting_as(clerk):
        _activation(task).assign(clerk)
    task.refresh_from_db()
    assert task.assigned is not None and task.owner == clerk
    with acting_as(chair):
        _activation(task).reassign(chair)
        _activation(task).unassign()
    events = _events()
    assert [e.action for e in events] == [
        Action.TASK_ASSIGN,
        Action.TASK_REASSIGN,
        Action.TASK_UNASSIGN,
    ]
    assert events[0].actor == clerk and events[0].changes["owner"] == [
        None,
        {"id": clerk.pk, "username": "clerk"},
    ]
    assert events[1].actor == chair and events[1].changes["owner"][0]["username"] == "clerk"
    assert events[2].changes["owner"] == [{"id": chair.pk, "username": "chair"}, None]
    assert {e.process_id for e in events} == {process.pk}
    assert {e.procedure for e in events} == {"appointment"}
    task.refresh_from_db()
    assert task.assigned is None and task.status == STATUS.NEW


def test_cancel_undo_revive_and_process_cancel(process):
    admin = UserFactory(username="admin", is_superuser=True)
    task = _review_task(process)
    with acting_as(admin):
        _activation(task).cancel()
        revived = _activation(task).revive()
        ProbeFlow.instance.cancel(process)
    actions = [e.action for e in _events()]
    assert actions == [
        Action.TASK_CANCEL,
        Action.TASK_REVIVE,
        Action.TASK_CANCEL,
        Action.PROCESS_CANCEL,
    ]
    assert all(e.actor == admin for e in _events())
    assert _events()[1].changes == {"revived_task": [None, revived.pk]}


def test_completed_task_is_recorded(process):
    from django.test import RequestFactory

    clerk = UserFactory()
    task = _review_task(process)
    with acting_as(clerk):
        activation = _activation(task)
        activation.assign(clerk)
        activation = _activation(task)
        activation.start(RequestFactory().get("/"))
        activation.execute()
    assert [e.action for e in _events()] == [Action.TASK_ASSIGN, Action.TASK_EXECUTE]


def test_flows_are_titled_from_their_own_docstring_not_the_base_class():
    from tests.workflows.probe.flows import ProbeFlow, TimeoutProbeFlow

    assert ProbeFlow.process_title == "Probe"
    assert TimeoutProbeFlow.process_title.startswith("A task that must be done within two days")
    assert "Base of every procedure" not in str(ProbeFlow.process_title)
