"""The inspection committee's audit explorer. Read-only; anyone but auditors gets 404."""

from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import presenters, selectors
from .actions import Action
from .export import HEADER, csv_rows
from .forms import EventFilterForm
from .services import audit_record

REPORT_LIMIT = 5000


def _rows(events):
    return presenters.rows(events, system_label=_("system"))


def _form(request):
    selectors.require_auditor(user=request.user)
    form = EventFilterForm(
        request.GET or None, committees=selectors.committees_for_filter(user=request.user)
    )
    if form.is_bound:
        form.is_valid()
    else:
        form.cleaned_data = {}
    return form


def _query_without(request, *names):
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@require_GET
def explorer(request):
    form = _form(request)
    if form.errors:
        return render(request, "audit/explorer.html", {"form": form, "events": []}, status=400)
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        before = None
    events = selectors.events_page(user=request.user, filters=form.to_filters(), before=before)
    has_more = len(events) > selectors.PAGE_SIZE
    events = events[: selectors.PAGE_SIZE]
    return render(
        request,
        "audit/explorer.html",
        {
            "form": form,
            "events": events,
            "rows": _rows(events),
            "next_before": events[-1].seq if has_more and events else None,
            "query": _query_without(request, "before"),
        },
    )


@require_GET
def cadre_history(request, cadre_id: int):
    selectors.require_auditor(user=request.user)
    cadre, events = selectors.cadre_history(user=request.user, cadre_id=cadre_id)
    return render(
        request, "audit/history.html", {"cadre": cadre, "events": events, "rows": _rows(events)}
    )


@require_GET
def process_timeline(request, process_id: int):
    selectors.require_auditor(user=request.user)
    events = selectors.process_timeline(user=request.user, process_id=process_id)
    return render(
        request,
        "audit/history.html",
        {"process_id": process_id, "events": events, "rows": _rows(events)},
    )


def _record_export(request, form, fmt: str) -> None:
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action=Action.AUDIT_EXPORT,
            target=("audit.export", None),
            changes={"format": fmt, "filters": form.describe()},
        )


@require_GET
def export_csv(request):
    form = _form(request)
    if form.errors:
        return render(request, "audit/explorer.html", {"form": form, "events": []}, status=400)
    _record_export(request, form, "csv")  # the export is itself an audited read
    rows = (
        selectors.events_filtered(user=request.user, filters=form.to_filters())
        .order_by("seq")
        .values_list(*HEADER)
        .iterator(chunk_size=2000)
    )
    response = StreamingHttpResponse(csv_rows(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


@require_GET
def report(request):
    form = _form(request)
    if form.errors:
        return render(request, "audit/explorer.html", {"form": form, "events": []}, status=400)
    _record_export(request, form, "report")
    qs = selectors.events_filtered(user=request.user, filters=form.to_filters()).order_by("seq")
    events = list(qs[: REPORT_LIMIT + 1])
    return render(
        request,
        "audit/report.html",
        {
            "form": form,
            "events": events[:REPORT_LIMIT],
            "rows": _rows(events[:REPORT_LIMIT]),
            "truncated": len(events) > REPORT_LIMIT,
            "limit": REPORT_LIMIT,
            "generated": timezone.localtime(),
        },
    )
