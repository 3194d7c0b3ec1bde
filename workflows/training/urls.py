"""The training application inside viewflow's frontend Site: /training/... (the plans),
/training/dispatches/... (each cadre sent to study) and /training/breaches/... (commitment
breaches), and the flows' own viewflow pages (mounted under /workflow/ through
``workflows.core.flow_views``, limited to the user's scope).

Object URLs take ``plan_id``, ``dispatch_id`` or ``breach_id``; every page answers 404 outside
the user's scope.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from workflows.core.flow_views import ScopedFlowViewset

from . import selectors, views


class PlanViewset(AppMenuMixin, Viewset):
    title = _("Training plans")
    icon = Icon("school")
    app_name = "plan"

    index_path = path("", views.plan_list, name="index")
    open_path = path("open/", views.plan_open, name="open")
    detail_path = path("<int:plan_id>/", views.plan_detail, name="detail")
    course_path = path("<int:plan_id>/course/", views.course_add, name="course")
    quota_path = path("<int:plan_id>/quota/", views.quota_set, name="quota")
    propose_path = path("<int:plan_id>/propose/", views.candidate_propose, name="propose")
    unpropose_path = path("<int:plan_id>/unpropose/", views.candidate_withdraw, name="unpropose")
    submit_path = path("<int:plan_id>/submit/", views.plan_submit, name="submit")
    decide_path = path("<int:plan_id>/decide/", views.plan_decide, name="decide")
    withdraw_path = path("<int:plan_id>/withdraw/", views.plan_withdraw, name="withdraw")


class DispatchViewset(AppMenuMixin, Viewset):
    title = _("Sent to study")
    icon = Icon("local_library")
    app_name = "dispatch"

    index_path = path("", views.dispatch_list, name="index")
    detail_path = path("<int:dispatch_id>/", views.dispatch_detail, name="detail")
    commitment_path = path(
        "<int:dispatch_id>/commitment/", views.commitment_record, name="commitment"
    )
    decide_path = path("<int:dispatch_id>/decide/", views.dispatch_decide, name="decide")
    enrol_path = path("<int:dispatch_id>/enrol/", views.dispatch_enrol, name="enrol")
    complete_path = path("<int:dispatch_id>/complete/", views.dispatch_complete, name="complete")
    not_completed_path = path(
        "<int:dispatch_id>/not-completed/", views.dispatch_not_completed, name="not_completed"
    )
    withdraw_path = path("<int:dispatch_id>/withdraw/", views.dispatch_withdraw, name="withdraw")


class BreachViewset(AppMenuMixin, Viewset):
    title = _("Commitment breaches")
    icon = Icon("assignment_late")
    app_name = "breach"

    index_path = path("", views.breach_list, name="index")
    detail_path = path("<int:breach_id>/", views.breach_detail, name="detail")
    decide_path = path("<int:breach_id>/decide/", views.breach_decide, name="decide")
    dismiss_path = path("<int:breach_id>/dismiss/", views.breach_dismiss, name="dismiss")


class TrainingApplication(Application):
    title = _("Training")
    icon = Icon("school")
    app_name = "training"

    dispatches_path = route("dispatches/", DispatchViewset())
    breaches_path = route("breaches/", BreachViewset())
    plans_path = route("", PlanViewset())


# --------------------------------------------------------------------------- the flows, scoped


class TrainingPlanFlowViewset(ScopedFlowViewset):
    def scope(self, user):
        return selectors.plans_for_user(user=user)

    def process_url(self, process) -> str:
        return selectors.plan_url(process)


class DispatchFlowViewset(ScopedFlowViewset):
    def scope(self, user):
        return selectors.dispatches_for_user(user=user)

    def process_url(self, process) -> str:
        return selectors.dispatch_url(process)


class BreachFlowViewset(ScopedFlowViewset):
    def scope(self, user):
        return selectors.breaches_for_user(user=user)

    def process_url(self, process) -> str:
        return selectors.breach_url(process)


def flow_viewsets() -> list[ScopedFlowViewset]:
    """The three flows' viewflow pages, for ``workflows.core.flow_views.workflow_app``."""
    from .flows import BreachFlow, DispatchFlow, TrainingPlanFlow

    return [
        TrainingPlanFlowViewset(TrainingPlanFlow, icon=Icon("school")),
        DispatchFlowViewset(DispatchFlow, icon=Icon("local_library")),
        BreachFlowViewset(BreachFlow, icon=Icon("assignment_late")),
    ]
