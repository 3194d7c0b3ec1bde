"""The meetings application inside viewflow's frontend Site: /meetings/...

URL parameters are named ``meeting_id`` and ``ballot_id`` (not ``pk``): every object page here
answers 404 outside the user's reach, which tests/workflows/test_meeting_views.py checks.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application, AppMenuMixin, Viewset, route
from viewflow.utils import Icon

from . import views


class MeetingViewset(AppMenuMixin, Viewset):
    title = _("Meetings")
    icon = Icon("how_to_vote")
    app_name = "meeting"

    index_path = path("", views.meeting_list, name="index")
    create_path = path("new/", views.meeting_create, name="create")
    detail_path = path("<int:meeting_id>/", views.meeting_detail, name="detail")
    convene_path = path("<int:meeting_id>/convene/", views.meeting_convene, name="convene")
    adjourn_path = path("<int:meeting_id>/adjourn/", views.meeting_adjourn, name="adjourn")
    close_path = path("<int:meeting_id>/close/", views.meeting_close, name="close")
    attendance_path = path(
        "<int:meeting_id>/attendance/", views.meeting_attendance, name="attendance"
    )
    ballot_create_path = path(
        "<int:meeting_id>/ballots/new/", views.ballot_create, name="ballot_create"
    )


class BallotViewset(Viewset):
    app_name = "ballot"

    open_path = path("<int:ballot_id>/open/", views.ballot_open, name="open")
    close_path = path("<int:ballot_id>/close/", views.ballot_close, name="close")
    turnout_path = path("<int:ballot_id>/turnout.json", views.ballot_turnout, name="turnout")
    vote_path = path("<int:ballot_id>/vote/", views.ballot_vote, name="vote")
    paper_path = path("<int:ballot_id>/paper/", views.ballot_paper, name="paper")
    paper_confirm_path = path(
        "<int:ballot_id>/paper/confirm/", views.ballot_paper_confirm, name="paper_confirm"
    )
    results_path = path("<int:ballot_id>/results/", views.ballot_results, name="results")
    decide_path = path("<int:ballot_id>/decide/", views.ballot_decide, name="decide")
    minutes_path = path("<int:ballot_id>/minutes/", views.ballot_minutes, name="minutes")


class MeetingsApplication(Application):
    title = _("Meetings")
    icon = Icon("how_to_vote")
    app_name = "meetings"

    ballots_path = route("ballots/", BallotViewset())
    meetings_path = route("", MeetingViewset())
