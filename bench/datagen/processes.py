"""viewflow process and task rows, as the flows and ``workflows.core.nodes`` leave them.

Node references and task types come from the flow classes themselves
(``viewflow.workflow.fields.get_task_ref``), so a renamed node fails the generator instead of
writing tasks no flow knows. What a task row looks like in each state was read off tasks the
services created (``seed_demo``):

- a human task in a queue is ``NEW`` without owner; claimed it is ``ASSIGNED`` with an owner and
  ``assigned`` time; done it is ``DONE`` with ``started`` and ``finished``; a task assigned on
  creation (``.Assign``) is ``ASSIGNED`` from the start and has no ``assigned`` time;
- gateways are ``DONE`` with ``finished`` only; start, function and end tasks are ``DONE`` with
  ``started`` and ``finished``; a timer is ``SCHEDULED`` with its ``scheduled`` moment until it
  fires (``DONE``) or the procedure ends (``CANCELED``);
- after a ``Split`` each branch's tasks carry the token ``start/<split task id>_<branch>``;
- each task's ``previous`` is the task that led to it; the process is ``DONE`` once its end task
  ran with nothing else open, ``CANCELED`` (every open task cancelled) when withdrawn.

Every task transition a person makes is audited as ``workflows.core.nodes`` does
(``task.assign`` when claimed from a queue, ``task.execute``, ``task.cancel``).
"""

from __future__ import annotations

import datetime as dt

from viewflow.workflow.fields import get_flow_ref, get_task_ref
from viewflow.workflow.status import PROCESS, STATUS

DONE, OPEN, CANCEL = "done", "open", "cancel"


class FlowInfo:
    """A flow's reference and its nodes' references and task types."""

    def __init__(self, flow_class):
        self.flow_class = flow_class
        self.ref = get_flow_ref(flow_class)
        self.procedure = flow_class.procedure
        self.nodes = {n.name: n for n in flow_class.instance.nodes()}
        self.refs = {name: get_task_ref(n) for name, n in self.nodes.items()}
        self.types = {name: n.task_type for name, n in self.nodes.items()}

    def title(self, node: str) -> str:
        node = self.nodes[node]
        return str(node.task_title) if node.task_title else node.name


class Tasks:
    """The process, task and task-link tables shared by every flow."""

    def __init__(self, gen):
        self.gen = gen
        loader = gen.loader
        self.processes = loader.table(
            "viewflow_process",
            [
                "id",
                "flow_class",
                "status",
                "created",
                "finished",
                "artifact_content_type_id",
                "artifact_object_id",
                "data",
                "parent_task_id",
                "seed_content_type_id",
                "seed_object_id",
            ],
        )
        self.tasks = loader.table(
            "viewflow_task",
            [
                "id",
                "flow_task",
                "flow_task_type",
                "status",
                "created",
                "started",
                "finished",
                "token",
                "external_task_id",
                "owner_permission",
                "owner_id",
                "process_id",
                "owner_permission_content_type_id",
                "owner_permission_obj_pk",
                "assigned",
                "artifact_content_type_id",
                "artifact_object_id",
                "data",
                "seed_content_type_id",
                "seed_object_id",
                "scheduled",
            ],
        )
        self.previous = loader.table("viewflow_task_previous", ["id", "from_task_id", "to_task_id"])
        #: open human tasks, for the load test: (task id, process id, flow ref, node, owner,
        #: the people it is queued for)
        self.open_human: list[tuple] = []

    def process(self, flow: FlowInfo, created: dt.datetime) -> Process:
        return Process(self, flow, self.processes.new_id(), created)


class Process:
    """One process being written: its tasks in order, with their links and audit events."""

    def __init__(self, tasks: Tasks, flow: FlowInfo, pid: int, created: dt.datetime):
        self.t = tasks
        self.gen = tasks.gen
        self.flow = flow
        self.id = pid
        self.created = created
        self.count = 0
        self.last: int | None = None
        self.open_tasks: list[tuple[int, str]] = []  # (task id, node) not finished
        #: audit context: the cadre the process concerns and its unit
        self.cadre: int | None = None

    def task(
        self,
        node: str,
        state: str,
        created: dt.datetime,
        *,
        finished: dt.datetime | None = None,
        owner: int | None = None,
        claimed: dt.datetime | None = None,
        token: str = "start",
        prev: int | list[int] | None = -1,
        scheduled: dt.datetime | None = None,
        preassigned: bool = False,
        actor: int | None = None,
        queue=(),
    ) -> int:
        """Write one task. ``state``: DONE (with ``finished``), OPEN or CANCEL (``finished`` is
        the cancellation). A human task done or claimed has an ``owner``; ``claimed`` is when
        it was taken from the queue (None for tasks assigned on creation); ``queue`` are the
        people an open task is queued for (the node's ``Queue(...)``)."""
        kind = self.flow.types[node]
        tid = self.t.tasks.new_id()
        human = kind == "HUMAN"
        started = None
        assigned = claimed if human and not preassigned else None
        if state == DONE:
            status = STATUS.DONE
            if kind in ("START", "FUNCTION", "END"):
                started = created + dt.timedelta(microseconds=800)
            elif human:
                started = finished - dt.timedelta(microseconds=40)
        elif state == CANCEL:
            status = STATUS.CANCELED
        elif kind == "TIMER":
            status = STATUS.SCHEDULED
        elif human:
            status = STATUS.ASSIGNED if owner is not None else STATUS.NEW
        else:
            raise ValueError(f"{node}: an open {kind} task")
        if state == CANCEL and human and owner is not None and not preassigned:
            assigned = claimed
        self.t.tasks.add(
            tid,
            self.flow.refs[node],
            kind,
            status,
            created,
            started,
            finished if state != OPEN else None,
            token,
            None,
            None,
            owner if human else None,
            self.id,
            None,
            None,
            assigned,
            None,
            None,
            {},
            None,
            None,
            scheduled,
        )
        previous = self.last if prev == -1 else prev
        for p in [previous] if isinstance(previous, int) else previous or []:
            self.t.previous.add(self.t.previous.new_id(), tid, p)
        self.last = tid
        self.count += 1
        if state == OPEN:
            self.open_tasks.append((tid, node))
            if human:
                self.t.open_human.append((tid, self.id, self.flow.ref, node, owner, tuple(queue)))
        if human:
            self._audit_task(tid, state, owner, claimed, finished, preassigned, actor)
        return tid

    def _audit_task(self, tid, state, owner, claimed, finished, preassigned, actor) -> None:
        trail = self.gen.trail
        names = self.gen.world.user_names
        # As ``workflows.core.nodes._record`` files them: under the process and its cadre; a
        # task has no unit of its own, so these events carry none.
        common = dict(procedure=self.flow.procedure, process=self.id, cadre=self.cadre)

        def who(user):
            return None if user is None else {"id": user, "username": names[user][0]}

        if owner is not None and claimed is not None and not preassigned:
            trail.add(
                claimed,
                owner,
                "task.assign",
                "viewflow.task",
                tid,
                changes={"owner": [None, who(owner)]},
                **common,
            )
        if state == DONE:
            trail.add(
                finished,
                owner,
                "task.execute",
                "viewflow.task",
                tid,
                changes={"owner": [who(owner), None]},
                **common,
            )
        elif state == CANCEL:
            trail.add(
                finished,
                actor,
                "task.cancel",
                "viewflow.task",
                tid,
                changes={"owner": [who(owner), None]},
                **common,
            )

    def finish(self, status: str, when: dt.datetime | None) -> None:
        """Write the process row (``status`` NEW, DONE or CANCELED)."""
        self.t.processes.add(
            self.id,
            self.flow.ref,
            status,
            self.created,
            when if status != PROCESS.NEW else None,
            None,
            None,
            {},
            None,
            None,
            None,
        )


class Deadlines:
    """Limits in working days (``workflows.core.deadlines``) with the people responsible."""

    def __init__(self, gen):
        self.gen = gen
        self.table = gen.loader.table(
            "core_deadline",
            [
                "id",
                "title",
                "subject",
                "link",
                "source",
                "starts_on",
                "working_days",
                "due",
                "met_at",
                "created",
                "process_id",
                "task_id",
            ],
        )
        self.responsible = gen.loader.table(
            "core_deadline_responsible", ["id", "deadline_id", "user_id"]
        )

    def add(
        self,
        *,
        title: str,
        subject: str,
        created: dt.datetime,
        working_days: int,
        responsible,
        process: int,
        actor: int | None,
        task: int | None = None,
        link: str = "",
        source: str = "",
        met: dt.datetime | None = None,
        met_by: int | None = None,
    ) -> tuple[int, dt.date]:
        from .clock import add_working_days

        gen = self.gen
        starts_on = gen.clock.local_date(created)
        due = add_working_days(starts_on, working_days)
        did = self.table.new_id()
        self.table.add(
            did,
            title,
            subject[:300],
            link,
            source[:200],
            starts_on,
            working_days,
            due,
            met,
            created,
            process,
            task,
        )
        for user in dict.fromkeys(responsible):
            self.responsible.add(self.responsible.new_id(), did, user)
        gen.trail.add(
            created,
            actor,
            "deadline.set",
            "core.deadline",
            did,
            process=process,
            changes={"due": [None, due.isoformat()], "working_days": [None, working_days]},
        )
        if met is not None:
            gen.trail.add(
                met,
                met_by,
                "deadline.met",
                "core.deadline",
                did,
                process=process,
                changes={
                    "met_at": [None, met.isoformat(timespec="microseconds")],
                    "late": [None, gen.clock.local_date(met) > due],
                },
            )
        return did, due
