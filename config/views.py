from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.http import require_GET

from personnel.selectors import Role, user_roles


@require_GET
def home(request):
    """The landing page: what the user can do today, by role."""
    roles = user_roles(user=request.user)
    if not roles:
        return render(request, "home.html", {"roles": roles})
    return redirect("personnel:cadres:index") if roles - {Role.CADRE} else _own_profile(request)


def _own_profile(request):
    cadre = getattr(request.user, "cadre", None)
    if cadre is None:
        return render(request, "home.html", {"roles": frozenset()})
    return redirect("personnel:cadres:detail", pk=cadre.pk)


@login_not_required
@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    # Outside the user's scope is indistinguishable from nonexistent (deny by default).
    return render(request, "404.html", status=404)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No request context: the page must render even when the database is what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())
