"""The rotation application inside viewflow's frontend Site: /rotation/ (the rotations and
transfers, one page per cadre) and /rotation/plans/ (the plans), and the flows' own viewflow
pages (mounted under /workflow/ through ``workflows.core.flow_views``, limited to the user's
scope).

Object URLs take ``plan_id`` or ``movement_id``; every page answers 404 outside the user's
scope.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from workflows.core.flow_views import ScopedFlowViewset

from . import selectors, views


class PlanViewset(AppMenuMixin, Viewset):
    title = _("Rotation plans")
    icon = Icon("swap_horiz")
    app_name = "plan"

    index_path = path("", views.index, name="index")
    open_path = path("open/", views.plan_open, name="open")
    detail_path = path("<int:plan_id>/", views.plan_detail, name="detail")
    item_path = path("<int:plan_id>/item/", views.item_add, name="item")
    submit_path = path("<int:plan_id>/submit/", views.plan_submit, name="submit")
    call_path = path("<int:plan_id>/call/", views.vote_call, name="call")
    record_path = path("<int:plan_id>/record/", views.vote_record, name="record")
    tie_path = path("<int:plan_id>/tie/", views.tie_decide, name="tie")
    withdraw_path = path("<int:plan_id>/withdraw/", views.plan_withdraw, name="withdraw")


class MovementViewset(AppMenuMixin, Viewset):
    title = _("Rotations and transfers")
    icon = Icon("swap_horiz")
    app_name = "movement"

    index_path = path("", views.index, name="index")
    transfer_path = path("transfer/", views.transfer_propose, name="transfer")
    detail_path = path("<int:movement_id>/", views.movement_detail, name="detail")
    conversation_path = path(
        "<int:movement_id>/conversation/", views.conversation, name="conversation"
    )
    consultation_path = path(
        "<int:movement_id>/consultation/", views.consultation, name="consultation"
    )
    dossier_path = path("<int:movement_id>/dossier/", views.dossier, name="dossier")
    exception_path = path("<int:movement_id>/exception/", views.exception, name="exception")
    submit_path = path("<int:movement_id>/submit/", views.submit, name="submit")
    decide_path = path("<int:movement_id>/decide/", views.decide, name="decide")
    hand_over_path = path("<int:movement_id>/hand-over/", views.hand_over, name="hand_over")
    receive_path = path("<int:movement_id>/receive/", views.receive, name="receive")
    report_path = path("<int:movement_id>/report/", views.report, name="report")
    review_path = path("<int:movement_id>/review/", views.review, name="review")
    place_path = path("<int:movement_id>/place/", views.place, name="place")
    withdraw_path = path("<int:movement_id>/withdraw/", views.withdraw, name="withdraw")


class RotationApplication(Application):
    title = _("Rotation")
    icon = Icon("swap_horiz")
    app_name = "rotation"

    plans_path = route("plans/", PlanViewset())
    movements_path = route("", MovementViewset())


# --------------------------------------------------------------------------- the flows, scoped


class RotationPlanFlowViewset(ScopedFlowViewset):
    def scope(self, user):
        return selectors.plans_for_user(user=user)

    def process_url(self, process) -> str:
        return selectors.plan_url(process)


class MovementFlowViewset(ScopedFlowViewset):
    """A rotation's or a transfer's viewflow pages, limited to the user's movements."""

    def scope(self, user):
        return selectors.movements_for_user(user=user)

    def process_url(self, process) -> str:
        return selectors.movement_url(process)


def flow_viewsets() -> list[ScopedFlowViewset]:
    """The three flows' viewflow pages, for ``workflows.core.flow_views.workflow_app``."""
    from .flows import RotationFlow, RotationPlanFlow, TransferFlow

    return [
        RotationPlanFlowViewset(RotationPlanFlow, icon=Icon("swap_horiz")),
        MovementFlowViewset(RotationFlow, icon=Icon("swap_horiz")),
        MovementFlowViewset(TransferFlow, icon=Icon("swap_horiz")),
    ]
