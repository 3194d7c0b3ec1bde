"""The appointments application inside viewflow's frontend Site: /appointments/...

Object URLs take ``appointment_id``; every page answers 404 outside the user's scope.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from . import views


class AppointmentViewset(AppMenuMixin, Viewset):
    title = _("Appointments")
    icon = Icon("assignment_ind")
    app_name = "appointment"

    index_path = path("", views.appointment_list, name="index")
    detail_path = path("<int:appointment_id>/", views.appointment_detail, name="detail")


class AppointmentsApplication(Application):
    title = _("Appointments")
    icon = Icon("assignment_ind")
    app_name = "appointments"

    appointments_path = route("", AppointmentViewset())
