"""Flow and node classes every Cadreflow procedure builds on.

viewflow records who completed a task, but not who claimed, released, reassigned, cancelled,
undid or revived one, nor who cancelled a process, and it never fills ``Task.assigned``. These
subclasses add that to the audit trail in the transition's own transaction, with the previous
owner. The acting user comes from the request (``AuditContextMiddleware``) or, outside a
request, from ``personnel.audit.context.acting_as(user)``.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction
from django.urls import NoReverseMatch
from django.utils import timezone
from viewflow.utils import camel_case_to_title
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.view import ViewActivation

from notifications import kinds
from notifications.kinds import in_every_language
from notifications.services import notify
from personnel.audit import context
from personnel.audit.actions import Action
from personnel.audit.services import audit_record

from .queues import has_queue, queue_offer, queue_withdraw


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


def _task_link(task) -> str:
    try:
        return task.reverse("index")
    except NoReverseMatch:  # a flow not mounted in any viewset (tests)
        return ""


def _announce(task, recipients, kind) -> None:
    """Tell people about a task, after commit, in their own language."""
    process = task.process
    notify(
        recipients=recipients,
        kind=kind,
        params={
            "task": in_every_language(lambda: str(task.title)),
            "process": in_every_language(lambda: str(process.coerced)),
        },
        link=_task_link(task),
    )


class AuditedViewActivation(ViewActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        flow_task.on_task_created(activation)
        return activation

    @Activation.status.super()
    def assign(self, user):
        previous = _owner(self.task)
        self.task.assigned = timezone.now()
        super().assign.original(user)
        _record(self, Action.TASK_ASSIGN, changes={"owner": [previous, _owner(self.task)]})
        actor = context.current_user()
        if actor is None or actor.pk != user.pk:  # assigned by someone else: tell the new owner
            _announce(self.task, [user], kinds.TASK_ASSIGNED)

    @Activation.status.super()
    def unassign(self):
        previous, owner = _owner(self.task), self.task.owner
        self.task.assigned = None
        super().unassign.original()
        _record(self, Action.TASK_UNASSIGN, changes={"owner": [previous, None]})
        if owner is not None and not has_queue(self.flow_task):
            # A task assigned by name (``.Assign``) and released waits in its owner's queue.
            queue_offer(self.task, [owner])

    @Activation.status.super()
    def reassign(self, user=None):
        previous = _owner(self.task)
        if user is not None:
            self.task.assigned = timezone.now()
        super().reassign.original(user)
        _record(self, Action.TASK_REASSIGN, changes={"owner": [previous, _owner(self.task)]})
        actor = context.current_user()
        if user is not None and (actor is None or actor.pk != user.pk):
            _announce(self.task, [user], kinds.TASK_ASSIGNED)

    @Activation.status.super()
    def execute(self):
        super().execute.original()
        _record(self, Action.TASK_EXECUTE, changes={"owner": [_owner(self.task), None]})
        _close_deadlines(self.task)
        queue_withdraw(self.task)

    @Activation.status.super()
    def cancel(self):
        previous = _owner(self.task)
        super().cancel.original()
        _record(self, Action.TASK_CANCEL, changes={"owner": [previous, None]})
        _close_deadlines(self.task)
        queue_withdraw(self.task)

    @Activation.status.super()
    def undo(self):
        super().undo.original()
        _record(self, Action.TASK_UNDO, changes={"owner": [_owner(self.task), None]})

    @Activation.status.super()
    def revive(self):
        revived = super().revive.original()
        _record(self, Action.TASK_REVIVE, changes={"revived_task": [None, revived.pk]})
        node = self.flow_task
        if not revived.owner_id and has_queue(node):
            queue_offer(revived, node.queue_candidates(node.activation_class(revived)))
        return revived


def _close_deadlines(task) -> None:
    from .deadlines import deadline_meet
    from .models import Deadline

    for deadline in Deadline.objects.filter(task=task, met_at__isnull=True):
        deadline_meet(actor=context.current_user(), deadline=deadline)


class View(flow.View):
    """A human task whose every transition is audited, whose new owner (or the people whose
    queue it lands in) is notified, and which may carry a time limit in working days."""

    activation_class = AuditedViewActivation
    _queue = None
    _within = None

    def Queue(self, candidates):  # noqa: N802 (viewflow's fluent style)
        """``candidates(activation) -> users`` who may take the task from the queue; they are
        told when it is created (viewflow cannot list who holds a permission in scope)."""
        self._queue = candidates
        return self

    def Within(self, working_days: int, *, title=None, source: str = ""):  # noqa: N802
        """The task must be done within ``working_days``; its owner (or queue) is reminded."""
        self._within = (working_days, title, source)
        return self

    def queue_candidates(self, activation):
        if self._queue is None:
            return []
        return list(self._queue(activation) or [])

    def on_task_created(self, activation) -> None:
        task = activation.task
        if task.owner_id:
            people = [task.owner]
            _announce(task, people, kinds.TASK_ASSIGNED)
        else:
            people = self.queue_candidates(activation)
            queue_offer(task, people)
            _announce(task, people, kinds.TASK_QUEUED)
        if self._within is not None and people:
            from .deadlines import deadline_set

            working_days, title, source = self._within
            deadline_set(
                actor=context.current_user(),
                title=title or task.title,
                subject=str(task.process.coerced),
                starts_on=timezone.localdate(),
                working_days=working_days,
                responsible=people,
                link=_task_link(task),
                source=source,
                process=task.process,
                task=task,
            )


class WaitingRowLock:
    """Lock the process row with ``SELECT ... FOR UPDATE`` and wait for it.

    viewflow's ``SelectForUpdateLock`` asks with NOWAIT and catches the lock error *inside* its
    atomic block; within a service's enclosing transaction that leaves the transaction aborted,
    so the loser of a race crashed with InternalError instead of retrying. Waiting is what the
    services want: the loser proceeds once the winner commits, re-reads the state, and answers
    409 (``Conflict``).
    """

    @contextmanager
    def __call__(self, flow_class, process_pk):
        with transaction.atomic():
            flow_class.process_class._default_manager.filter(
                pk=process_pk
            ).select_for_update().exists()
            yield


class Flow(flow.Flow):
    """Base of every procedure: row locks on the process, audited cancellation.

    Subclasses set ``procedure`` (the audit vocabulary: "appointment", "evaluation", ...) and may
    define ``cadre_of(process)`` so events are filed under the cadre concerned.
    """

    lock_impl = WaitingRowLock()
    procedure = ""

    def __init_subclass__(cls, **kwargs):
        # viewflow titles a flow from its docstring only when no title is inherited, so every
        # subclass would show this base class's docstring. Title each from its own.
        if "process_title" not in cls.__dict__:
            doc = (cls.__dict__.get("__doc__") or "").split("\n\n", 1)[0].strip()
            cls.process_title = doc or camel_case_to_title(cls.__name__.removesuffix("Flow"))
        if "process_description" not in cls.__dict__:
            parts = (cls.__dict__.get("__doc__") or "").split("\n\n", 1)
            cls.process_description = parts[1].strip() if len(parts) > 1 else ""
        super().__init_subclass__(**kwargs)

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
