"""The appointments application inside viewflow's frontend Site: /appointments/..., and the
flow's own viewflow pages (mounted under /workflow/ through ``workflows.core.flow_views``,
limited to the user's appointments).

Object URLs take ``appointment_id``; every page answers 404 outside the user's scope.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from workflows.core.flow_views import ScopedFlowViewset

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


class AppointmentFlowViewset(ScopedFlowViewset):
    """The appointment flow's pages, limited to the user's appointments."""

    def scope(self, user):
        return selectors.appointments_for_user(user=user)

    def process_url(self, process) -> str:
        return selectors.appointment_url(process)


def flow_viewset() -> AppointmentFlowViewset:
    """The appointment flow's viewflow pages, for ``workflows.core.flow_views.workflow_app``."""
    from .flows import AppointmentFlow

    return AppointmentFlowViewset(AppointmentFlow, icon=Icon("assignment_ind"))
