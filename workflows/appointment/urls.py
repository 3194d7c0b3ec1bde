"""The appointments application inside viewflow's frontend Site: /appointments/..., and the
flow's own task pages (inbox, queue, archive, process and task URLs) under /workflow/.

Object URLs take ``appointment_id``; every page answers 404 outside the user's scope.

viewflow's workflow views build their querysets from the model-wide view permission: anyone
who may view the flow sees every process and task of it, and any logged-in user may claim a
task that has no ``.Permission``. ``ScopedFlowViewset`` and ``ScopedWorkflowAppViewset`` close
that: every list is filtered to the processes the flow viewset's ``scope(user)`` returns, every
URL that names a process (and task) answers 404 outside it, a human task's URL opens the
process's own page, and only the people a task is queued for may claim it.
"""

from __future__ import annotations

from functools import wraps

from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon
from viewflow.workflow import STATUS, chart
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.flow.viewset import FlowViewset, WorkflowAppViewset
from viewflow.workflow.models import Task

from . import selectors, views

# --------------------------------------------------------------------------- the pages


class AppointmentViewset(AppMenuMixin, Viewset):
    title = _("Appointments")
    icon = Icon("assignment_ind")
    app_name = "appointment"

    index_path = path("", views.appointment_list, name="index")
    start_path = path("new/", views.appointment_start, name="start")
    detail_path = path("<int:appointment_id>/", views.appointment_detail, name="detail")
    chart_path = path("<int:appointment_id>/chart.svg", views.appointment_chart, name="chart")
    download_path = path(
        "<int:appointment_id>/dossier/<int:item_id>/",
        views.dossier_download,
        name="download",
    )
    policy_path = path("<int:appointment_id>/policy/", views.policy_decide, name="policy")
    candidates_path = path(
        "<int:appointment_id>/candidates/", views.candidates_set, name="candidates"
    )
    override_path = path("<int:appointment_id>/override/", views.gate_override, name="override")
    call_path = path("<int:appointment_id>/call/", views.step_call, name="call")
    record_path = path("<int:appointment_id>/record/", views.step_record, name="record")
    tie_path = path("<int:appointment_id>/tie/", views.tie_decide, name="tie")
    external_path = path("<int:appointment_id>/external/", views.external_record, name="external")
    upload_path = path("<int:appointment_id>/dossier/", views.dossier_upload, name="upload")
    appraisal_path = path(
        "<int:appointment_id>/appraisal/", views.appraisal_submit, name="appraisal"
    )
    review_path = path("<int:appointment_id>/review/", views.appraisal_review, name="review")
    decision_path = path("<int:appointment_id>/decision/", views.decision_issue, name="decision")
    report_path = path("<int:appointment_id>/report/", views.limit_report, name="report")
    withdraw_path = path(
        "<int:appointment_id>/withdraw/", views.appointment_withdraw, name="withdraw"
    )


class AppointmentsApplication(Application):
    title = _("Appointments")
    icon = Icon("assignment_ind")
    app_name = "appointments"

    appointments_path = route("", AppointmentViewset())


# --------------------------------------------------------------------------- the flow, scoped


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


class AppointmentFlowViewset(ScopedFlowViewset):
    def scope(self, user):
        return selectors.appointments_for_user(user=user)

    def process_url(self, process) -> str:
        return selectors.appointment_url(process)


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


def workflow_app() -> ScopedWorkflowAppViewset:
    """The /workflow/ application: the common task lists and every procedure's flow."""
    return ScopedWorkflowAppViewset(
        flow_viewsets=[AppointmentFlowViewset(_flow(), icon=Icon("assignment_ind"))],
        title=_("Tasks"),
        icon=Icon("assignment"),
    )


def _flow():
    from .flows import AppointmentFlow

    return AppointmentFlow
