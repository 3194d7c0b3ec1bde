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

from functools import wraps

from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext_lazy as _
from viewflow.utils import Icon
from viewflow.workflow import STATUS, chart
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.flow.viewset import FlowViewset, WorkflowAppViewset
from viewflow.workflow.models import Task


def _queued_for(user, task) -> bool:
    """Whether ``user`` may take ``task`` from the queue: the node's ``Queue(...)`` people, or
    anyone in scope for nodes that name none."""
    node = task.flow_task
    if getattr(node, "_queue", None) is None:
        return True
    activation = node.activation_class(task)
    return any(u.pk == user.pk for u in node.queue_candidates(activation))


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


class ScopedProcessListView(flow_views.DashboardProcessListView):
    def get_queryset(self):
        scope = self.viewset.scope(self.request.user).values("pk")
        processes = super().get_queryset().filter(pk__in=scope)
        return processes if processes.ordered else processes.order_by("-created", "-pk")


class ScopedTaskListView(flow_views.DashboardTaskListView):
    def get_queryset(self):
        return self.viewset.filter_tasks(super().get_queryset(), self.request.user)


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
            if human and name == "assign" and not _queued_for(request.user, task):
                raise Http404
            return view(request, *args, **kwargs)

        scoped.scoped = True
        return scoped


# ---- the common inbox, queue and archive of every mounted flow


def _scoped_tasks(app, tasks, user):
    """Tasks of processes in the user's scope, flow by flow; a flow without a scope shows
    nothing (deny by default)."""
    allowed = Q(pk__in=[])
    for viewset in app.flow_viewsets:
        allowed |= Q(
            process__flow_class=viewset._flow_class,
            process__in=viewset.scope(user).values("pk"),
        )
    return tasks.filter(allowed)


def _queue(app, tasks, user):
    """The scoped queue, less the tasks queued for other people."""
    tasks = _scoped_tasks(app, tasks, user)
    mine = [task.pk for task in tasks.select_related("process") if _queued_for(user, task)]
    return tasks.filter(pk__in=mine)


class ScopedInboxView(flow_views.WorkflowInboxListView):
    def get_queryset(self):
        return _scoped_tasks(self.viewset, super().get_queryset(), self.request.user)


class ScopedQueueView(flow_views.WorkflowQueueListView):
    def get_queryset(self):
        return _queue(self.viewset, super().get_queryset(), self.request.user)


class ScopedArchiveView(flow_views.WorkflowArchiveListView):
    def get_queryset(self):
        return _scoped_tasks(self.viewset, super().get_queryset(), self.request.user)


class ScopedAssignView(flow_views.BulkAssignTasksActionView):
    def get_queryset(self):
        return _queue(self.viewset, super().get_queryset(), self.request.user)


class ScopedUnassignView(flow_views.BulkUnassignTasksActionView):
    def get_queryset(self):
        return _scoped_tasks(self.viewset, super().get_queryset(), self.request.user)


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

    def get_context_data(self, request):
        # The menu's counters.
        user = request.user
        return {
            "user_inbox": _scoped_tasks(self, Task.objects.inbox(self.flow_classes, user), user),
            "user_queue": _queue(self, Task.objects.queue(self.flow_classes, user), user),
        }


def workflow_app(flow_viewsets) -> ScopedWorkflowAppViewset:
    """The /workflow/ application: the common task lists and every procedure's flow."""
    return ScopedWorkflowAppViewset(
        flow_viewsets=flow_viewsets, title=_("Tasks"), icon=Icon("assignment")
    )
