"""Flow and node classes every Cadreflow procedure builds on.

viewflow records who completed a task, but not who claimed, released, reassigned, cancelled,
undid or revived one, nor who cancelled a process, and it never fills ``Task.assigned``. These
subclasses add that to the audit trail in the transition's own transaction, with the previous
owner. The acting user comes from the request (``AuditContextMiddleware``) or, outside a
request, from ``personnel.audit.context.acting_as(user)``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.view import ViewActivation

from personnel.audit import context
from personnel.audit.actions import Action
from personnel.audit.services import audit_record


def _owner(task):
    owner = task.owner
    return None if owner is None else {"id": owner.pk, "username": owner.get_username()}


def _record(activation, action: Action, *, changes=None, reason: str = "") -> None:
    task = activation.task
    flow_class = activation.flow_class
    audit_record(
        actor=context.current_user(),
        action=action,
        target=task,
        changes=changes or {},
        reason=reason,
        process=task.process_id,
        procedure=getattr(flow_class, "procedure", ""),
        cadre=getattr(flow_class, "cadre_of", lambda process: None)(activation.process),
    )


class AuditedViewActivation(ViewActivation):
    @Activation.status.super()
    def assign(self, user):
        previous = _owner(self.task)
        self.task.assigned = timezone.now()
        super().assign.original(user)
        _record(self, Action.TASK_ASSIGN, changes={"owner": [previous, _owner(self.task)]})

    @Activation.status.super()
    def unassign(self):
        previous = _owner(self.task)
        self.task.assigned = None
        super().unassign.original()
        _record(self, Action.TASK_UNASSIGN, changes={"owner": [previous, None]})

    @Activation.status.super()
    def reassign(self, user=None):
        previous = _owner(self.task)
        if user is not None:
            self.task.assigned = timezone.now()
        super().reassign.original(user)
        _record(self, Action.TASK_REASSIGN, changes={"owner": [previous, _owner(self.task)]})

    @Activation.status.super()
    def execute(self):
        super().execute.original()
        _record(self, Action.TASK_EXECUTE, changes={"owner": [_owner(self.task), None]})

    @Activation.status.super()
    def cancel(self):
        previous = _owner(self.task)
        super().cancel.original()
        _record(self, Action.TASK_CANCEL, changes={"owner": [previous, None]})

    @Activation.status.super()
    def undo(self):
        super().undo.original()
        _record(self, Action.TASK_UNDO, changes={"owner": [_owner(self.task), None]})

    @Activation.status.super()
    def revive(self):
        revived = super().revive.original()
        _record(self, Action.TASK_REVIVE, changes={"revived_task": [None, revived.pk]})
        return revived


class View(flow.View):
    """A human task whose every transition is audited."""

    activation_class = AuditedViewActivation


class Flow(flow.Flow):
    """Base of every procedure: row locks on the process, audited cancellation.

    Subclasses set ``procedure`` (the audit vocabulary: "appointment", "evaluation", ...) and may
    define ``cadre_of(process)`` so events are filed under the cadre concerned.
    """

    lock_impl = lock.select_for_update_lock
    procedure = ""

    @staticmethod
    def cadre_of(process):
        return None

    def cancel(self, process) -> None:
        super().cancel(process)
        with self.lock(process.pk), transaction.atomic():
            audit_record(
                actor=context.current_user(),
                action=Action.PROCESS_CANCEL,
                target=process,
                process=process.pk,
                procedure=self.procedure,
                cadre=self.cadre_of(process),
            )
