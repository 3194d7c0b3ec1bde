"""Reads of the rotation and transfer procedure: scope, who acts, the report schedule.

Scope (deny by default; out of scope is a 404):

- a plan: whoever's units cover the plan's unit (its organisation board, its standing
  committee's members, the bodies above), and superusers;
- a rotation or transfer: the same for the unit that runs it, and also for the sending and the
  receiving unit (their boards and committees: they hand over, receive and report); the cadre
  sees their own from the decision on (before it, the plan is not theirs to read).
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from personnel.models import Cadre, CommitteeKind, CommitteeMembership, OrgUnit
from personnel.selectors import active_on, units_for_user
from workflows.appointment.selectors import chair_of, members_of, newest_ruleset
from workflows.planning.selectors import board_members, standing_for

from .models import DECIDED_ON, Movement, PlanVote, RotationPlan, Stage

__all__ = ["board_members", "chair_of", "members_of", "newest_ruleset", "standing_for"]

#: how often the receiving unit reports on a rotated cadre (design default: the regulations
#: ask for periodic evaluation without a period, §6.3 step 7 ❓)
REPORT_EVERY_MONTHS = 6


# --------------------------------------------------------------------------- scope


def plans_for_user(*, user) -> QuerySet[RotationPlan]:
    if not user.is_authenticated or not user.is_active:
        return RotationPlan.objects.none()
    qs = RotationPlan.objects.select_related("unit", "ruleset", "standing", "competent_body")
    if user.is_superuser:
        return qs
    return qs.filter(unit__in=units_for_user(user=user))


def plan_get_for_user(*, user, pk) -> RotationPlan:
    try:
        return plans_for_user(user=user).get(pk=pk)
    except (RotationPlan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def movements_for_user(*, user) -> QuerySet[Movement]:
    if not user.is_authenticated or not user.is_active:
        return Movement.objects.none()
    qs = Movement.objects.select_related(
        "cadre",
        "cadre__unit",
        "plan",
        "unit",
        "from_unit",
        "from_position",
        "to_unit",
        "to_position",
        "ruleset",
        "competent_body",
    )
    if user.is_superuser:
        return qs
    units = units_for_user(user=user)
    return qs.filter(
        Q(unit__in=units)
        | Q(from_unit__in=units)
        | Q(to_unit__in=units)
        | Q(cadre__user=user, stage__in=DECIDED_ON)
    )


def movement_get_for_user(*, user, pk) -> Movement:
    try:
        return movements_for_user(user=user).get(pk=pk)
    except (Movement.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def sees_details(*, user, movement: Movement) -> bool:
    """Whether ``user`` reads the confidential parts (gates, conversation, consultations,
    dossier, reports, review): everyone in scope through a unit, not a cadre who sees the
    movement only as their own."""
    if user.is_superuser:
        return True
    units = units_for_user(user=user)
    return units.filter(
        pk__in=[movement.unit_id, movement.from_unit_id, movement.to_unit_id]
    ).exists()


# --------------------------------------------------------------------------- who acts


def competent_chair(obj):
    """The chair of the competent body of a plan or a movement (signs the decisions)."""
    return chair_of(obj.competent_body)


def unit_chairs(unit: OrgUnit) -> QuerySet:
    """Chairs of the committees of ``unit`` (its standing committee, leadership collective):
    they may confirm a reception for their unit."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__in=CommitteeMembership.objects.filter(
                active_on(timezone.localdate()),
                committee__unit=unit,
                committee__kind__in=[
                    CommitteeKind.STANDING,
                    CommitteeKind.LEADERSHIP,
                    CommitteeKind.EXECUTIVE,
                ],
                role="chair",
            ),
        )
        .distinct()
    )


def receivers(movement: Movement) -> list:
    """Who may confirm the reception: the receiving unit's organisation board (or the nearest
    above) and the chairs of its committees."""
    people = {u.pk: u for u in board_members(movement.to_unit)}
    for user in unit_chairs(movement.to_unit):
        people.setdefault(user.pk, user)
    return list(people.values())


def current_holding(cadre: Cadre, on_date: dt.date | None = None):
    """The highest-level post the cadre holds on ``on_date`` (the post a move starts from)."""
    on_date = on_date or timezone.localdate()
    held = [h for h in cadre.holdings.select_related("position") if h.is_active_on(on_date)]
    return max(held, key=lambda h: (h.position.level, h.started_on), default=None)


# --------------------------------------------------------------------------- reports


def report_due_dates(movement: Movement) -> list[dt.date]:
    """When the receiving unit owes a report: every ``REPORT_EVERY_MONTHS`` from the reception,
    before the planned end (the end-of-rotation review covers the end)."""
    if movement.received_on is None or movement.planned_end is None:
        return []
    dates = []
    n = 1
    while True:
        due = movement.received_on + relativedelta(months=REPORT_EVERY_MONTHS * n)
        if due >= movement.planned_end:
            return dates
        dates.append(due)
        n += 1


def next_report(movement: Movement) -> tuple[int, dt.date] | None:
    """(number, due date) of the next report owed, or None when none is left."""
    done = movement.reports.count()
    dates = report_due_dates(movement)
    if done >= len(dates):
        return None
    return done + 1, dates[done]


def in_rotation() -> QuerySet[Movement]:
    return Movement.objects.filter(stage=Stage.IN_ROTATION).select_related(
        "cadre", "to_unit", "to_position", "unit"
    )


# --------------------------------------------------------------------------- links


def plan_url(plan: RotationPlan, anchor: str = "") -> str:
    url = reverse("rotation:plan:detail", kwargs={"plan_id": plan.pk})
    return f"{url}#{anchor}" if anchor else url


def movement_url(movement: Movement, anchor: str = "") -> str:
    url = reverse("rotation:movement:detail", kwargs={"movement_id": movement.pk})
    return f"{url}#{anchor}" if anchor else url


def pending_vote(plan: RotationPlan) -> PlanVote | None:
    return plan.votes.filter(recorded_at__isnull=True).select_related("meeting", "ballot").first()
