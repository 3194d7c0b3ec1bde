from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog, set_language
from viewflow.contrib.auth import AuthViewset
from viewflow.urls import Site

from notifications.urls import NotificationsApplication
from personnel.audit.urls import AuditApplication
from personnel.urls import PersonnelApplication
from workflows.appointment import urls as appointment_urls
from workflows.appointment.urls import AppointmentsApplication
from workflows.core.flow_views import workflow_app
from workflows.core.urls import MeetingsApplication
from workflows.evaluation import urls as evaluation_urls
from workflows.evaluation.urls import EvaluationApplication
from workflows.planning import urls as planning_urls
from workflows.planning.urls import PlanningApplication
from workflows.rotation import urls as rotation_urls
from workflows.rotation.urls import RotationApplication
from workflows.training import urls as training_urls
from workflows.training.urls import TrainingApplication

from . import views

site = Site(
    title=_("Cadreflow"),
    viewsets=[
        PersonnelApplication(),
        AuditApplication(),
        MeetingsApplication(),
        AppointmentsApplication(),
        PlanningApplication(),
        RotationApplication(),
        EvaluationApplication(),
        TrainingApplication(),
        workflow_app(
            [
                appointment_urls.flow_viewset(),
                planning_urls.flow_viewset(),
                planning_urls.removal_flow_viewset(),
                *rotation_urls.flow_viewsets(),
                evaluation_urls.flow_viewset(),
                *training_urls.flow_viewsets(),
            ]
        ),
        NotificationsApplication(),
    ],
    primary_color="#8b1a1a",
    secondary_color="#c9a227",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", AuthViewset(with_profile_view=False).urls),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("jsi18n/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", site.urls),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

admin.site.site_header = _("Cadreflow administration")
admin.site.site_title = _("Cadreflow")

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
