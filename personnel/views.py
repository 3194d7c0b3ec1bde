"""Pages of the personnel registry. Views parse input, call one selector, and render."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import selectors, services
from .forms import DirectoryFilterForm

PAGE_SIZE = 25


@require_GET
def cadre_directory(request):
    user = request.user
    units = selectors.units_for_user(user=user)  # the scope, read once for the whole page
    form = DirectoryFilterForm(
        request.GET or None,
        units=units,
        positions=selectors.positions_for_user(user=user, units=units),
    )
    if form.is_bound and not form.is_valid():
        cadres = selectors.cadres_for_user(user=user, units=units).none()
    else:
        if not form.is_bound:
            form.cleaned_data = {}
        cadres = selectors.cadre_directory(user=user, filters=form.to_filters(), units=units)
    page = Paginator(cadres, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "personnel/cadre_directory.html",
        {"form": form, "page": page, "query": query.urlencode(), "today": timezone.localdate()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_GET
def cadre_detail(request, pk: int):
    cadre = services.cadre_dossier_open(user=request.user, pk=pk)
    return render(
        request,
        "personnel/cadre_detail.html",
        {"cadre": cadre, "today": timezone.localdate()},
    )


@require_GET
def committee_list(request):
    committees = selectors.committee_list_for_user(user=request.user)
    return render(request, "personnel/committee_list.html", {"committees": committees})


@require_GET
def committee_detail(request, pk: int):
    committee = selectors.committee_get_for_user(user=request.user, pk=pk)
    today = timezone.localdate()
    memberships = list(committee.memberships.all())
    return render(
        request,
        "personnel/committee_detail.html",
        {
            "committee": committee,
            "current": [m for m in memberships if m.is_active_on(today)],
            "former": [m for m in memberships if not m.is_active_on(today)],
        },
    )
