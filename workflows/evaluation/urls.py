"""The evaluation application inside viewflow's frontend Site: /evaluation/... (the campaigns)
and /evaluation/e/... (one evaluation), and the campaign flow's own viewflow pages (mounted
under /workflow/ through ``workflows.core.flow_views``, limited to the user's scope).

Object URLs take ``campaign_id`` or ``evaluation_id``; every page answers 404 outside the user's
scope. Only the campaign list is in the menu: an evaluation is reached from its campaign or from
the user's to-do lists.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from workflows.core.flow_views import ScopedFlowViewset

from . import selectors, views

# --------------------------------------------------------------------------- the pages


class CampaignViewset(AppMenuMixin, Viewset):
    title = _("Evaluation campaigns")
    icon = Icon("grading")
    app_name = "campaign"

    index_path = path("", views.campaign_list, name="index")
    open_path = path("open/", views.campaign_open, name="open")
    detail_path = path("<int:campaign_id>/", views.campaign_detail, name="detail")
    publish_path = path("<int:campaign_id>/publish/", views.campaign_publish, name="publish")
    cancel_path = path("<int:campaign_id>/cancel/", views.campaign_cancel, name="cancel")


class EvaluationViewset(Viewset):
    app_name = "evaluation"

    detail_path = path("<int:evaluation_id>/", views.evaluation_detail, name="detail")
    self_assess_path = path(
        "<int:evaluation_id>/self-assess/", views.evaluation_self_assess, name="self_assess"
    )
    comments_path = path(
        "<int:evaluation_id>/comments/", views.evaluation_comments, name="comments"
    )
    appraise_path = path(
        "<int:evaluation_id>/appraise/", views.evaluation_appraise, name="appraise"
    )
    decide_path = path("<int:evaluation_id>/decide/", views.evaluation_decide, name="decide")
    complain_path = path(
        "<int:evaluation_id>/complain/", views.evaluation_complain, name="complain"
    )
    reevaluate_path = path(
        "<int:evaluation_id>/reevaluate/", views.evaluation_reevaluate, name="reevaluate"
    )
    excuse_path = path("<int:evaluation_id>/excuse/", views.evaluation_excuse, name="excuse")


class EvaluationApplication(Application):
    title = _("Evaluation")
    icon = Icon("grading")
    app_name = "evaluation"

    evaluations_path = route("e/", EvaluationViewset())
    campaigns_path = route("", CampaignViewset())


# --------------------------------------------------------------------------- the flow, scoped


class EvaluationFlowViewset(ScopedFlowViewset):
    """The campaign flow's pages, limited to the campaigns the user may see."""

    def scope(self, user):
        return selectors.campaigns_for_user(user=user)

    def process_url(self, process) -> str:
        return views.campaign_url(process)


def flow_viewset() -> EvaluationFlowViewset:
    """The campaign flow's viewflow pages, for ``workflows.core.flow_views.workflow_app``."""
    from .flows import EvaluationFlow

    return EvaluationFlowViewset(EvaluationFlow, icon=Icon("grading"))
