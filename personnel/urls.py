"""The personnel application inside viewflow's frontend Site."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from . import views


class DirectoryViewset(AppMenuMixin, Viewset):
    title = _("Directory")
    icon = Icon("people")
    app_name = "cadres"

    index_path = path("", views.cadre_directory, name="index")
    detail_path = path("<int:pk>/", views.cadre_detail, name="detail")


class CommitteeViewset(AppMenuMixin, Viewset):
    title = _("Committees")
    icon = Icon("groups")
    app_name = "committees"

    index_path = path("", views.committee_list, name="index")
    detail_path = path("<int:pk>/", views.committee_detail, name="detail")


class PersonnelApplication(Application):
    title = _("Personnel")
    icon = Icon("badge")
    app_name = "personnel"

    cadres_path = route("cadres/", DirectoryViewset())
    committees_path = route("committees/", CommitteeViewset())
