"""viewflow's workflow pages (inbox, queue, archive, dashboard, process and task URLs) limited to
each user's scope.

viewflow builds these querysets from the model-wide view permission: anyone who may view a flow
sees every process and task of it, and any logged-in user may claim a task that has no
``.Permission``. ``ScopedFlowViewset`` (one per procedure) and ``ScopedWorkflowAppViewset`` (the
common task lists) close that: every list is filtered to the processes the flow viewset's
``scope(user)`` returns, every URL that names a process (and task) answers 404 outside it, a
human task's URL opens the process's own page, and only the people a task is queued for may
claim it. A procedure mounts its flow by subclassing ``ScopedFlowViewset`` (``scope``,
``process_url``) and listing it in ``config.urls``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext_lazy as _
from viewflow.utils import Icon
from viewflow.workflow import STATUS, chart
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.flow.views import filters as flow_filters
from viewflow.workflow.flow.views.mixins import StoreRequestPathMixin
from viewflow.workflow.flow.viewset import FlowViewset, WorkflowAppViewset
from viewflow.workflow.models import Task

from personnel.scope_cache import remembered

from .errors import Conflict
from .models import QueueEntry

_APPS: list = []
PIN_LOCATION = "vf-pin-location"  # viewflow's session key for the list to go back to


def _queued_for(user, task) -> bool:
    """Whether ``user`` may take ``task`` from the queue: the node's ``Queue(...)`` people, or
    anyone in scope for nodes that name none."""
    node = task.flow_task
    if getattr(node, "_queue", None) is None:
        return True
    activation = node.activation_class(task)
    return any(u.pk == user.pk for u in node.queue_candidates(activation))


class _ScopedListMixin:
    """Scope the list *before* its filter form is built. viewflow builds the form (its task
    and process choices) from the unscoped list, so a scope applied after the filter still let
    the dropdowns name every process and task type of the province (and cost a query over
    all of them). Subclasses define ``scope_tasks(queryset)``."""

    def get_filterset(self, filterset_class, queryset):
        return super().get_filterset(filterset_class, self.scope_tasks(queryset))

    def dispatch(self, request, *args, **kwargs):
        # viewflow's ``StoreRequestPathMixin`` pins the list's address in the session on every
        # request, which rewrites the session row each time (an UPDATE and a commit per page
        # view). Pin it only when it changes, then carry on past that mixin.
        path = request.get_full_path()
        if request.session.get(PIN_LOCATION) != path:
            request.session[PIN_LOCATION] = path
        return super(StoreRequestPathMixin, self).dispatch(request, *args, **kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.get_filterset_class() else self.scope_tasks(queryset)


class UserTaskListFilter(flow_filters.FlowUserTaskListFilter):
    """The inbox's and queue's filter without viewflow's process dropdown: one option per
    process with a task waiting — thousands, most of a 780 KB page — where each row already
    names its process. By task type and date."""

    process = None

    class Meta(flow_filters.FlowUserTaskListFilter.Meta):
        fields = ("flow_task", "created")

    def __init__(self, *args, **kwargs):
        # Not viewflow's __init__: it reads the task types too, to label them by attribute name.
        flow_filters.FilterSet.__init__(self, *args, **kwargs)
        # viewflow labels a task type by its node's attribute name ("Appraisal_Review").
        refs = self.queryset.order_by().values_list("flow_task", flat=True).distinct()
        self.filters["flow_task"].field.choices = sorted(
            (
                (
                    get_task_ref(node),
                    f"{node.flow_class.process_title} — {node.task_title or node.name}",
                )
                for node in refs
            ),
            key=lambda choice: str(choice[1]),
        )


class ScopedDashboardView(flow_views.DashboardView):
    def get_context_data(self, **kwargs):
        user = self.request.user
        sorted_nodes, _unused = chart.topsort(self.flow_class)
        nodes = [n for n in sorted_nodes if n.task_type in ["HUMAN", "JOB", "SUBPROCESS"]]
        end_nodes = [n for n in sorted_nodes if n.task_type in ["END"]]
        tasks = self.viewset.filter_tasks(
            self.flow_class.task_class._default_manager.filter_available([self.flow_class], user),
            user,
        )
        columns = [
            {
                "node": node,
                "node_ref": get_task_ref(node),
                "tasks": tasks.filter(
                    Q(finished__isnull=True) | Q(status=STATUS.ERROR), flow_task=node
                )[: self.MAX_ROWS],
            }
            for node in nodes
        ]
        finished = tasks.filter(finished__isnull=False, flow_task__in=end_nodes)[: self.MAX_ROWS]
        start_nodes = [
            {"node": node, "can_execute": node.can_execute(user)}
            for node in self.flow_class.instance.get_start_nodes()
        ]
        return super(flow_views.DashboardView, self).get_context_data(
            columns=columns,
            start_nodes=start_nodes,
            end_nodes=end_nodes,
            finished=finished,
            **kwargs,
        )


class ScopedProcessListView(_ScopedListMixin, flow_views.DashboardProcessListView):
    def scope_tasks(self, processes):  # processes here
        processes = processes.filter(pk__in=self.viewset.scope(self.request.user).values("pk"))
        return processes if processes.ordered else processes.order_by("-created", "-pk")


class ScopedTaskListView(_ScopedListMixin, flow_views.DashboardTaskListView):
    def scope_tasks(self, tasks):
        return self.viewset.filter_tasks(tasks, self.request.user)


class ScopedFlowViewset(FlowViewset):
    """A flow's viewflow pages limited to the processes ``scope(user)`` returns.

    Subclasses define ``scope`` and ``process_url`` (where a human task is done)."""

    def scope(self, user):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def process_url(self, process) -> str:  # pragma: no cover
        raise NotImplementedError

    dashboard_view_class = ScopedDashboardView
    process_list_view_class = ScopedProcessListView
    task_list_view_class = ScopedTaskListView

    def in_scope(self, user, process_pk) -> bool:
        return self.scope(user).filter(pk=process_pk).exists()

    def filter_tasks(self, tasks, user):
        return tasks.filter(
            process__flow_class=self._flow_class, process__in=self.scope(user).values("pk")
        )

    # ---- every URL naming a process: 404 outside the scope
    def _get_urls(self):
        patterns = super()._get_urls()
        self._guard(patterns, node=None)
        return patterns

    def _guard(self, patterns, *, node) -> None:
        nodes = {n.name: n for n in self._flow_class.instance.nodes()}
        for entry in patterns:
            if isinstance(entry, URLResolver):
                self._guard(entry.url_patterns, node=nodes.get(entry.namespace, node))
            elif (
                isinstance(entry, URLPattern)
                and "process_pk" in str(entry.pattern)
                and not getattr(entry.callback, "scoped", False)
            ):
                entry.callback = self._scoped(entry.callback, node=node, name=entry.name)

    def _scoped(self, view, *, node, name):
        viewset = self
        human = node is not None and getattr(node, "task_type", None) == "HUMAN"

        @wraps(view)
        def scoped(request, *args, **kwargs):
            process_pk, task_pk = kwargs.get("process_pk"), kwargs.get("task_pk")
            if not viewset.in_scope(request.user, process_pk):
                raise Http404
            task = None
            if task_pk is not None:
                task = Task.objects.filter(pk=task_pk, process_id=process_pk).first()
                if task is None or (node is not None and task.flow_task != node):
                    raise Http404
            if human and name == "index":
                # The task is done on the process's own page (its service claims it).
                return redirect(viewset.process_url(task.process))
            if human and name == "assign":
                if not _queued_for(request.user, task):
                    raise Http404
                try:
                    return view(request, *args, **kwargs)
                except PermissionDenied:
                    # viewflow refuses a task that is no longer waiting: a lost race is a 409.
                    from .views import refused

                    task.refresh_from_db()
                    if task.owner_id is None and task.status == STATUS.NEW:
                        raise
                    return refused(
                        request,
                        Conflict(_("Someone else has taken this task already.")),
                        back=viewset.process_url(task.process),
                        back_label=_("Back to the procedure"),
                    )
            return view(request, *args, **kwargs)

        scoped.scoped = True
        return scoped


# ---- the common inbox, queue and archive of every mounted flow


def _scoped_tasks(app, tasks, user):
    """Tasks of processes in the user's scope, flow by flow; a flow without a scope shows
    nothing (deny by default)."""
    # A correlated EXISTS per flow, not ``process__in=<scope>``: PostgreSQL hashes an IN
    # subquery under OR over the whole scope (every process of a province) before it looks at
    # a single task; EXISTS lets it check just the tasks the other conditions leave.
    allowed = Q(pk__in=[])
    for viewset in app.flow_viewsets:
        allowed |= Q(process__flow_class=viewset._flow_class) & Q(
            Exists(viewset.scope(user).filter(pk=OuterRef("process_id")))
        )
    return tasks.filter(allowed)


def _scoped_pks(app, tasks, user) -> list[int]:
    """The ids of ``tasks`` — a user's own short list: their inbox, their queue — limited
    to processes in their scope, in one query for the list and one per flow present in it.

    ``_scoped_tasks`` expresses the scope as one condition per flow; PostgreSQL evaluates it by
    hashing every process in scope (the whole province's, for its standing committee) before it
    looks at the few tasks concerned. Here the few tasks are read first and only their
    processes are checked against each flow's scope. The menu's counters and the page share
    the result within a request (``scope_cache``), keyed by the list's own SQL."""

    def allowed_tasks() -> list[int]:
        rows = list(tasks.order_by().values_list("pk", "process_id", "process__flow_class"))
        by_flow: dict = {}
        for _pk, process_id, flow_class in rows:
            by_flow.setdefault(flow_class, set()).add(process_id)
        allowed: set[int] = set()
        for viewset in app.flow_viewsets:
            ids = by_flow.get(viewset._flow_class)
            if ids:
                # Unordered: a scope's own order joined every process to sort them.
                scope = viewset.scope(user).filter(pk__in=_id_array(ids)).order_by()
                allowed.update(scope.values_list("pk", flat=True))
        return sorted(pk for pk, process_id, _flow in rows if process_id in allowed)

    return remembered(("tasks in scope", user.pk, id(app), str(tasks.query)), allowed_tasks)


def _scoped_few(app, tasks, user):
    """``tasks`` limited to the user's scope (``_scoped_pks``)."""
    return tasks.filter(pk__in=_id_array(_scoped_pks(app, tasks, user)))


def _id_array(ids):
    """``pk__in`` a list of ids as one array parameter (not one placeholder per id)."""
    return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])


def _offered(tasks, user):
    """``tasks`` less those queued for other people: one query on the stored candidates
    (``workflows.core.queues``), whatever the number of tasks."""
    # The ids first (an index-only read), then the tasks by primary key: as a subquery,
    # PostgreSQL hashed it against every waiting task of the province instead.
    offered = remembered(
        ("offered", user.pk),
        lambda: list(QueueEntry.objects.filter(user=user).values_list("task_id", flat=True)),
    )
    return tasks.filter(pk__in=_id_array(offered))


def _queue(app, tasks, user):
    """The scoped queue."""
    return _scoped_few(app, _offered(tasks, user), user)


@dataclass(frozen=True)
class MenuCount:
    """A menu counter (``{{ user_queue.count }}``): the length of the list the page computed
    anyway, instead of a COUNT that repeats its conditions (19 ms for the busiest board
    member's queue at large)."""

    count: int


class _OneQueryPerFlowMixin:
    """Each row's ``process_brief`` reads the process as its flow's own model
    (``process.coerced``): one query per row. Load the page's processes per flow instead."""

    def paginate_queryset(self, queryset, page_size):
        paginator, page, tasks, is_paginated = super().paginate_queryset(queryset, page_size)
        tasks = list(tasks)
        by_model: dict = {}
        for task in tasks:
            flow_class = task.process.flow_class
            if flow_class is not None:
                by_model.setdefault(flow_class.process_class, []).append(task)
        for model, group in by_model.items():
            found = model._default_manager.in_bulk({task.process_id for task in group})
            for task in group:
                if task.process_id in found:
                    task.process = found[task.process_id]
        page.object_list = tasks
        return paginator, page, tasks, is_paginated


class ScopedInboxView(_ScopedListMixin, _OneQueryPerFlowMixin, flow_views.WorkflowInboxListView):
    filterset_class = UserTaskListFilter

    def scope_tasks(self, tasks):
        return _scoped_few(self.viewset, tasks, self.request.user)


class ScopedQueueView(_ScopedListMixin, _OneQueryPerFlowMixin, flow_views.WorkflowQueueListView):
    filterset_class = UserTaskListFilter

    def scope_tasks(self, tasks):
        return _queue(self.viewset, tasks, self.request.user)


class ScopedArchiveView(
    _ScopedListMixin, _OneQueryPerFlowMixin, flow_views.WorkflowArchiveListView
):
    def scope_tasks(self, tasks):
        return _scoped_tasks(self.viewset, tasks, self.request.user)


class ScopedAssignView(flow_views.BulkAssignTasksActionView):
    def get_queryset(self):
        tasks = _queue(self.viewset, super().get_queryset(), self.request.user)
        if self.request.method != "POST":
            return tasks
        # Claiming: the stored queue lists, the node's candidates (computed now) decide.
        user = self.request.user
        return tasks.filter(
            pk__in=[task.pk for task in tasks.select_related("process") if _queued_for(user, task)]
        )


class ScopedUnassignView(flow_views.BulkUnassignTasksActionView):
    def get_queryset(self):
        return _scoped_few(self.viewset, super().get_queryset(), self.request.user)


class ScopedWorkflowAppViewset(WorkflowAppViewset):
    """Inbox, queue and archive of the mounted flows, each limited to the user's scope."""

    inbox_view_class = ScopedInboxView
    queue_view_class = ScopedQueueView
    archive_view_class = ScopedArchiveView
    tasks_assign_view_class = ScopedAssignView
    tasks_unassign_view_class = ScopedUnassignView

    def __init__(self, flow_viewsets, **kwargs):
        for viewset in flow_viewsets:
            assert isinstance(viewset, ScopedFlowViewset), "every flow needs its scope"
        self.flow_viewsets = list(flow_viewsets)
        super().__init__(flow_viewsets, **kwargs)
        _APPS.append(self)

    def get_context_data(self, request):
        # The menu's counters.
        user = request.user
        inbox = Task.objects.inbox(self.flow_classes, user)
        queue = _offered(Task.objects.queue(self.flow_classes, user), user)
        return {
            "user_inbox": MenuCount(len(_scoped_pks(self, inbox, user))),
            "user_queue": MenuCount(len(_scoped_pks(self, queue, user))),
        }


def workflow_app(flow_viewsets) -> ScopedWorkflowAppViewset:
    """The /workflow/ application: the common task lists and every procedure's flow."""
    return ScopedWorkflowAppViewset(
        flow_viewsets=flow_viewsets, title=_("Tasks"), icon=Icon("assignment")
    )


def scoped_open_tasks(user):
    """Every task of a mounted flow whose process is in ``user``'s scope (for keeping the
    stored queue true, ``workflows.core.queues``)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - builds the URLconf, which mounts the flows
    if not _APPS:  # pragma: no cover - the URLconf always mounts the workflow app
        return Task.objects.none()
    return _scoped_tasks(_APPS[-1], Task.objects.all(), user)
