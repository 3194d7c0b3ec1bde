"""The planning application inside viewflow's frontend Site: /planning/... (the reviews) and
/planning/removals/... (removals from the plan), and the flows' own viewflow pages (mounted
under /workflow/ through ``workflows.core.flow_views``, limited to the user's scope).

Object URLs take ``review_id`` or ``removal_id``; every page answers 404 outside the user's
scope.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from workflows.core.flow_views import ScopedFlowViewset

from . import selectors, views

# --------------------------------------------------------------------------- the pages


class ReviewViewset(AppMenuMixin, Viewset):
    title = _("Planning reviews")
    icon = Icon("account_tree")
    app_name = "review"

    index_path = path("", views.review_list, name="index")
    open_path = path("open/", views.review_open, name="open")
    plan_path = path("plan/", views.plan_published, name="plan")
    detail_path = path("<int:review_id>/", views.review_detail, name="detail")
    propose_path = path("<int:review_id>/propose/", views.candidate_propose, name="propose")
    unpropose_path = path("<int:review_id>/unpropose/", views.candidate_withdraw, name="unpropose")
    submit_path = path("<int:review_id>/submit/", views.source_list_submit, name="submit")
    call_path = path("<int:review_id>/call/", views.step_call, name="call")
    record_path = path("<int:review_id>/record/", views.step_record, name="record")
    tie_path = path("<int:review_id>/tie/", views.tie_decide, name="tie")
    decide_path = path("<int:review_id>/decide/", views.review_decide, name="decide")
    publish_path = path("<int:review_id>/publish/", views.review_publish, name="publish")
    withdraw_path = path("<int:review_id>/withdraw/", views.review_withdraw, name="withdraw")


class RemovalViewset(AppMenuMixin, Viewset):
    title = _("Removals from the plan")
    icon = Icon("person_remove")
    app_name = "removal"

    index_path = path("", views.removal_list, name="index")
    propose_path = path("propose/", views.removal_propose, name="propose")
    detail_path = path("<int:removal_id>/", views.removal_detail, name="detail")
    confirm_path = path("<int:removal_id>/confirm/", views.removal_confirm, name="confirm")
    dismiss_path = path("<int:removal_id>/dismiss/", views.removal_dismiss, name="dismiss")


class PlanningApplication(Application):
    title = _("Planning")
    icon = Icon("account_tree")
    app_name = "planning"

    removals_path = route("removals/", RemovalViewset())
    reviews_path = route("", ReviewViewset())


# --------------------------------------------------------------------------- the flows, scoped


class PlanningReviewFlowViewset(ScopedFlowViewset):
    """The review flow's pages, limited to the user's reviews."""

    def scope(self, user):
        return selectors.reviews_for_user(user=user)

    def process_url(self, process) -> str:
        return selectors.review_url(process)


class RemovalFlowViewset(ScopedFlowViewset):
    """The removal flow's pages, limited to the removals of the user's units."""

    def scope(self, user):
        return selectors.removals_for_user(user=user)

    def process_url(self, process) -> str:
        return views.removal_url(process)


def flow_viewset() -> PlanningReviewFlowViewset:
    """The review flow's viewflow pages, for ``workflows.core.flow_views.workflow_app``."""
    from .flows import PlanningReviewFlow

    return PlanningReviewFlowViewset(PlanningReviewFlow, icon=Icon("account_tree"))


def removal_flow_viewset() -> RemovalFlowViewset:
    from .flows import RemovalFlow

    return RemovalFlowViewset(RemovalFlow, icon=Icon("person_remove"))
