"""Who a queued task is offered to, stored.

A human node's ``Queue(candidates)`` names the people who may take its task (the organisation
board of the unit, the appraisal's reviewers, ...). Computing that per task on every page made
the queue and the menu's counter cost several queries per open task in the user's scope —
seconds for a district, minutes for a province. So the candidates are stored as
``QueueEntry`` rows when the task is created (the same list its notification goes to), and the
queue is one indexed query.

Kept true by:

- ``queue_offer`` when a task is created, ``queue_withdraw`` when it is done or cancelled;
- ``queue_refresh_for_user`` after a person's scope changes (a membership added or ended: the
  ``personnel.signals.scope_changed`` signal defers the ``queue-refresh-user`` job after
  commit), for the open tasks in their scope;
- ``queue_refresh`` every night (``queue-refresh``), for everything else that can change a
  candidate list without a membership service: a membership ending by date, a unit's first
  organisation board taking over from the one above.

The rows only decide what is *listed*. Claiming a task still checks its candidates afresh
(``flow_views._queued_for``), so a stale row can never let the wrong person take a task.
"""

from __future__ import annotations

import logging

from django.db import transaction
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from personnel.models import OrgUnit
from personnel.scope_cache import scope_cache

from .models import QueueEntry

logger = logging.getLogger(__name__)


def has_queue(node) -> bool:
    return getattr(node, "_queue", None) is not None


def candidates_of(task) -> set[int]:
    """The user ids ``task``'s node offers it to, computed now."""
    node = task.flow_task
    activation = node.activation_class(task)
    return {user.pk for user in node.queue_candidates(activation)}


def queue_offer(task, people) -> None:
    """Store who ``task`` is offered to (called as it is created)."""
    QueueEntry.objects.bulk_create(
        [QueueEntry(task=task, user_id=pk) for pk in sorted({p.pk for p in people})],
        ignore_conflicts=True,
    )


def queue_withdraw(task) -> None:
    """The task is done or cancelled: it is no longer offered to anyone."""
    QueueEntry.objects.filter(task=task).delete()


def _open_queued_tasks(tasks=None):
    """Open human tasks: waiting in the queue, or claimed (released, they return to it)."""
    tasks = Task.objects.all() if tasks is None else tasks
    return tasks.filter(
        finished__isnull=True, status__in=[STATUS.NEW, STATUS.ASSIGNED], flow_task_type="HUMAN"
    ).select_related("process")


def _refresh(tasks, *, only_user: int | None = None) -> tuple[list[int], int, int]:
    """Sync the stored candidates of open queued ``tasks`` (all of them, or ``only_user``'s
    rows), 500 tasks per transaction. Returns the tasks checked and the rows added, removed."""
    seen: list[int] = []
    added = removed = 0
    chunk: list = []

    def flush() -> None:
        nonlocal added, removed
        _load_processes(chunk)
        with transaction.atomic():
            rows = QueueEntry.objects.filter(task__in=[t.pk for t in chunk])
            if only_user is not None:
                rows = rows.filter(user_id=only_user)
            have: dict[int, dict[int, int]] = {}
            for pk, task_id, user_id in rows.values_list("pk", "task_id", "user_id"):
                have.setdefault(task_id, {})[user_id] = pk
            stale, fresh = [], []
            for task in chunk:
                wanted = candidates_of(task)
                if only_user is not None:
                    wanted &= {only_user}
                current = have.get(task.pk, {})
                stale += [pk for user_id, pk in current.items() if user_id not in wanted]
                fresh += [QueueEntry(task=task, user_id=u) for u in wanted - current.keys()]
            if stale:
                QueueEntry.objects.filter(pk__in=stale).delete()
            QueueEntry.objects.bulk_create(fresh, ignore_conflicts=True)
        added, removed = added + len(fresh), removed + len(stale)
        chunk.clear()

    # One memory per run of who sits on which board (the selectors remember it in a scope
    # cache): thousands of tasks share a few hundred units.
    with scope_cache():
        for task in _open_queued_tasks(tasks).iterator(chunk_size=500):
            if not has_queue(task.flow_task):
                continue
            seen.append(task.pk)
            chunk.append(task)
            if len(chunk) == 500:
                flush()
        if chunk:
            flush()
    return seen, added, removed


def _load_processes(tasks) -> None:
    """Give each task its process as its flow's own model, with its units, in one query per
    flow (not ``process.coerced`` and its unit per task)."""
    by_model: dict = {}
    for task in tasks:
        flow_class = task.process.flow_class
        if flow_class is not None:
            by_model.setdefault(flow_class.process_class, []).append(task)
    for model, group in by_model.items():
        # Only the process's own units (what the queue rules read), not every reference: a
        # join per reference made a plan that took minutes on a table without statistics.
        related = [
            field.name
            for field in model._meta.local_concrete_fields
            if field.many_to_one and field.related_model is OrgUnit
        ]
        found = model._default_manager.select_related(*related).in_bulk(
            {task.process_id for task in group}
        )
        for task in group:
            if task.process_id in found:
                task.process = found[task.process_id]


def queue_refresh(*, tasks=None) -> dict:
    """Recompute the stored candidates of every open queued task (or of ``tasks``); rows of
    finished tasks are removed. Returns counts."""
    seen, added, removed = _refresh(tasks)
    if tasks is None:
        removed += QueueEntry.objects.filter(task__finished__isnull=False).delete()[0]
    return {"tasks": len(seen), "added": added, "removed": removed}


def queue_refresh_for_user(user) -> dict:
    """Bring ``user``'s rows in line with their scope now: every open queued task in scope is
    offered to them exactly when they are among its candidates; rows for tasks outside their
    scope go."""
    from .flow_views import scoped_open_tasks

    seen, added, removed = _refresh(scoped_open_tasks(user), only_user=user.pk)
    outside = QueueEntry.objects.filter(user=user).exclude(task__in=scoped_open_tasks(user))
    removed += outside.delete()[0]
    return {"tasks": len(seen), "added": added, "removed": removed}
