"""The notifications application inside viewflow's frontend Site: /notifications/...

The inbox is at ``/notifications/`` (e-mails link to it). Every page shows only the signed-in
user's own notifications; another person's notification id answers 404.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from . import views


class InboxViewset(AppMenuMixin, Viewset):
    title = _("My notifications")
    icon = Icon("notifications")
    app_name = "inbox"

    index_path = path("", views.inbox, name="index")
    read_path = path("<int:notification_id>/read/", views.mark_read, name="read")
    read_all_path = path("read-all/", views.mark_all_read, name="read_all")


class PreferencesViewset(AppMenuMixin, Viewset):
    title = _("Notification settings")
    icon = Icon("tune")
    app_name = "preferences"

    index_path = path("", views.preferences, name="index")


class NotificationsApplication(Application):
    title = _("Notifications")
    icon = Icon("notifications")
    app_name = "notifications"

    inbox_path = route("", InboxViewset())
    preferences_path = route("preferences/", PreferencesViewset())
