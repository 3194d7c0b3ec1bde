from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from . import selectors, views


class ExplorerViewset(AppMenuMixin, Viewset):
    title = _("Audit trail")
    icon = Icon("policy")
    app_name = "events"

    index_path = path("", views.explorer, name="index")
    export_path = path("export.csv", views.export_csv, name="export")
    report_path = path("report/", views.report, name="report")
    cadre_path = path("cadre/<int:cadre_id>/", views.cadre_history, name="cadre")
    process_path = path("process/<int:process_id>/", views.process_timeline, name="process")


class AuditApplication(Application):
    title = _("Inspection")
    icon = Icon("policy")
    app_name = "audit"

    events_path = route("events/", ExplorerViewset())

    def has_view_permission(self, user, obj=None):
        # Hides the menu entry; the views themselves answer 404 to everyone else.
        return selectors.can_explore(user=user)
