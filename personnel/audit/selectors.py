"""Reading the audit trail: only inspection auditors (and administrators), only within scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from personnel.expressions import PlainText
from personnel.selectors import (
    Role,
    cadres_for_user,
    committees_for_user,
    unaccent_text,
    units_for_user,
    user_roles,
)

from .models import AuditEvent

PAGE_SIZE = 50


def can_explore(*, user) -> bool:
    roles = user_roles(user=user)
    return Role.INSPECTION_AUDITOR in roles or Role.ADMINISTRATOR in roles


def require_auditor(*, user) -> None:
    """The explorer does not exist for anyone else (404, not 403)."""
    if not can_explore(user=user):
        raise Http404


def events_for_user(*, user) -> QuerySet:
    """Events about units in the auditor's scope; events tied to no unit need a root scope."""
    require_auditor(user=user)
    if user.is_superuser:
        return AuditEvent.objects.all()
    units = units_for_user(user=user)
    in_scope = Q(unit_id__in=units.values("pk"))
    if units.filter(depth=1).exists():
        in_scope |= Q(unit_id__isnull=True)
    return AuditEvent.objects.filter(in_scope)


@dataclass(frozen=True)
class EventFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    procedure: str = ""
    process_id: int | None = None
    cadre_name: str = ""
    cadre_id: int | None = None
    actor: str = ""
    action: str = ""
    committee_id: int | None = None
    text: str = ""


def _day_start(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def events_filtered(*, user, filters: EventFilters) -> QuerySet:
    qs = events_for_user(user=user)
    # Dates also become bounds on `seq` (two index probes): "newest first by seq" then walks
    # only the range instead of every later event. The bounds hold even if the clock ever ran
    # backwards: they are the min/max seq of the events inside the dates.
    if filters.date_from:
        start = _day_start(filters.date_from)
        qs = qs.filter(occurred_at__gte=start)
        first = (
            AuditEvent.objects.filter(occurred_at__gte=start)
            .order_by("occurred_at")
            .values_list("seq", flat=True)
            .first()
        )
        qs = qs.filter(seq__gte=first) if first is not None else qs.none()
    if filters.date_to:
        end = _day_start(filters.date_to + dt.timedelta(days=1))
        qs = qs.filter(occurred_at__lt=end)
        last = (
            AuditEvent.objects.filter(occurred_at__lt=end)
            .order_by("-occurred_at")
            .values_list("seq", flat=True)
            .first()
        )
        qs = qs.filter(seq__lte=last) if last is not None else qs.none()
    if filters.procedure:
        qs = qs.filter(procedure=filters.procedure)
    if filters.process_id is not None:
        qs = qs.filter(process_id=filters.process_id)
    if filters.cadre_id is not None:
        qs = qs.filter(cadre_id=filters.cadre_id)
    if filters.cadre_name:
        # Materialised, so the planner sees how many cadres match and can walk seq backwards.
        cadre_ids = list(
            cadres_for_user(user=user)
            .alias(plain=PlainText("full_name"))  # the trigram index cadre_plain_name_trgm
            .filter(plain__icontains=unaccent_text(filters.cadre_name))
            .values_list("pk", flat=True)
        )
        qs = qs.filter(cadre_id__in=cadre_ids)
    if filters.actor:
        qs = qs.filter(actor_username=filters.actor)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.committee_id is not None:
        qs = qs.filter(actor_committee_id=filters.committee_id)
    if filters.text:
        qs = qs.filter(reason__icontains=filters.text)
    return qs


def events_page(*, user, filters: EventFilters, before: int | None = None) -> list[AuditEvent]:
    """One page, newest first, by keyset (``seq < before``): constant cost at any depth."""
    qs = events_filtered(user=user, filters=filters)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    return list(qs.order_by("-seq")[: PAGE_SIZE + 1])


def committees_for_filter(*, user) -> QuerySet:
    return committees_for_user(user=user).select_related("unit")


def cadre_history(*, user, cadre_id: int):
    cadre = cadres_for_user(user=user).filter(pk=cadre_id).first()
    if cadre is None:
        raise Http404
    events = events_for_user(user=user).filter(cadre_id=cadre_id).order_by("seq")
    return cadre, events


def process_timeline(*, user, process_id: int):
    events = list(events_for_user(user=user).filter(process_id=process_id).order_by("seq"))
    if not events:
        raise Http404
    return events
