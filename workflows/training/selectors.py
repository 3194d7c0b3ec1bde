"""Reads for training dispatch: scope, who acts, the quota counts, the priority flags and the
test of whether a cadre still serves the unit they committed to.

Scope (deny by default, decision 0002): a plan is visible to the people whose committee
memberships cover its unit (the organisation board, the committees of the unit and above) and
to superusers; a dispatch to them, to those whose scope covers the sending unit, and to the
cadre sent (their own only); a commitment breach to those whose scope covers the unit the
cadre committed to serve, and to those who see the plan — never to the cadre (the board's
deliberation). ``*_get_for_user`` answer 404 outside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from personnel.models import Cadre, Gender, OrgUnit, PositionHolding
from personnel.selectors import units_for_user
from workflows.appointment.selectors import chair_of, members_of, newest_ruleset
from workflows.core.models import RuleSet
from workflows.planning.selectors import board_members, standing_for, targets_for

from .models import (
    SEATED,
    BreachState,
    Candidate,
    Commitment,
    CommitmentBreach,
    CourseQuota,
    Dispatch,
    TrainingPlan,
)

__all__ = ["board_members", "chair_of", "members_of", "newest_ruleset", "standing_for"]


# --------------------------------------------------------------------------- scope


def _active(user) -> bool:
    return user.is_authenticated and user.is_active


def plans_for_user(*, user) -> QuerySet[TrainingPlan]:
    if not _active(user):
        return TrainingPlan.objects.none()
    qs = TrainingPlan.objects.select_related("unit", "ruleset", "competent_body")
    if user.is_superuser:
        return qs
    return qs.filter(unit__in=units_for_user(user=user))


def plan_get_for_user(*, user, pk) -> TrainingPlan:
    try:
        return plans_for_user(user=user).get(pk=pk)
    except (TrainingPlan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def dispatches_for_user(*, user) -> QuerySet[Dispatch]:
    if not _active(user):
        return Dispatch.objects.none()
    qs = Dispatch.objects.select_related(
        "plan", "plan__unit", "plan__ruleset", "course", "cadre", "cadre__unit", "sending_unit"
    )
    if user.is_superuser:
        return qs
    units = units_for_user(user=user)
    return qs.filter(Q(plan__unit__in=units) | Q(sending_unit__in=units) | Q(cadre__user=user))


def dispatch_get_for_user(*, user, pk) -> Dispatch:
    try:
        return dispatches_for_user(user=user).get(pk=pk)
    except (Dispatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def own_dispatches(*, user) -> QuerySet[Dispatch]:
    """The user's own dispatches (as the cadre sent), newest first."""
    if not _active(user):
        return Dispatch.objects.none()
    return (
        Dispatch.objects.filter(cadre__user=user)
        .select_related("course", "plan", "plan__unit")
        .order_by("-created")
    )


def breaches_for_user(*, user) -> QuerySet[CommitmentBreach]:
    if not _active(user):
        return CommitmentBreach.objects.none()
    qs = CommitmentBreach.objects.select_related(
        "commitment",
        "commitment__dispatch",
        "commitment__dispatch__course",
        "commitment__dispatch__plan",
        "commitment__dispatch__plan__unit",
        "cadre",
        "unit",
    )
    if user.is_superuser:
        return qs
    units = units_for_user(user=user)
    return qs.filter(Q(unit__in=units) | Q(commitment__dispatch__plan__unit__in=units))


def breach_get_for_user(*, user, pk) -> CommitmentBreach:
    try:
        return breaches_for_user(user=user).get(pk=pk)
    except (CommitmentBreach.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def open_breaches_for_user(*, user) -> QuerySet[CommitmentBreach]:
    return breaches_for_user(user=user).filter(state=BreachState.OPEN)


# --------------------------------------------------------------------------- who acts


def competent_chair(plan: TrainingPlan):
    return chair_of(plan.competent_body)


def plan_url(plan: TrainingPlan, anchor: str = "") -> str:
    from django.urls import reverse

    url = reverse("training:plan:detail", kwargs={"plan_id": plan.pk})
    return f"{url}#{anchor}" if anchor else url


def dispatch_url(dispatch: Dispatch, anchor: str = "") -> str:
    from django.urls import reverse

    url = reverse("training:dispatch:detail", kwargs={"dispatch_id": dispatch.pk})
    return f"{url}#{anchor}" if anchor else url


def breach_url(breach: CommitmentBreach) -> str:
    from django.urls import reverse

    return reverse("training:breach:detail", kwargs={"breach_id": breach.pk})


# --------------------------------------------------------------------------- quotas


def quota_for(course, cadre: Cadre) -> CourseQuota | None:
    """The quota a cadre of ``cadre.unit`` is charged to on ``course``: that of the nearest
    unit at or above the cadre's working unit that has seats on it."""
    path = cadre.unit.path
    step = OrgUnit.steplen
    quotas = {q.unit.path: q for q in course.quotas.select_related("unit")}
    for end in range(len(path), 0, -step):
        if path[:end] in quotas:
            return quotas[path[:end]]
    return None


def seated(quota: CourseQuota) -> QuerySet[Candidate]:
    """The candidates taking a seat of ``quota`` (proposed or approved)."""
    return quota.candidates.filter(status__in=SEATED)


@dataclass
class QuotaRow:
    quota: CourseQuota
    taken: int

    @property
    def free(self) -> int:
        return max(self.quota.seats - self.taken, 0)

    @property
    def full(self) -> bool:
        return self.taken >= self.quota.seats


def quota_rows(plan: TrainingPlan) -> dict[int, list[QuotaRow]]:
    """Per course id, its quotas with the seats taken."""
    quotas = (
        CourseQuota.objects.filter(course__plan=plan)
        .select_related("unit")
        .annotate(taken=Count("candidates", filter=Q(candidates__status__in=SEATED)))
        .order_by("course_id", "unit__path")
    )
    rows: dict[int, list[QuotaRow]] = {}
    for quota in quotas:
        rows.setdefault(quota.course_id, []).append(QuotaRow(quota=quota, taken=quota.taken))
    return rows


# --------------------------------------------------------------------------- priority


@dataclass(frozen=True)
class Priority:
    """Priority to young and women cadres (§5 [S1][S2][S3]): shown and used to order the
    list, never a rule that refuses anyone."""

    young: bool
    woman: bool
    age: int
    young_under: int

    @property
    def rank(self) -> int:
        return int(self.young) + int(self.woman)


def priority(cadre: Cadre, ruleset: RuleSet, unit: OrgUnit, on_date: dt.date) -> Priority:
    """Young is under the planning structure's age for the unit's management level (the
    rule-set's ``planning_structure``)."""
    young_under = targets_for(ruleset, unit.management_level).young_under
    age = cadre.age_on(on_date)
    return Priority(
        young=age < young_under,
        woman=cadre.gender == Gender.FEMALE,
        age=age,
        young_under=young_under,
    )


def by_priority(rows: list[dict]) -> list[dict]:
    """Rows (each with its ``candidate`` and ``priority``) ordered women and young cadres
    first (both, then either), then by name."""
    return sorted(rows, key=lambda row: (-row["priority"].rank, row["candidate"].cadre.full_name))


# --------------------------------------------------------------------------- commitments


@dataclass(frozen=True)
class Departure:
    """How a cadre left the unit they committed to serve."""

    left_on: dt.date
    detail: str


def _in(unit: OrgUnit, other: OrgUnit) -> bool:
    return other.path.startswith(unit.path)


def departure(cadre: Cadre, unit: OrgUnit, *, since: dt.date, on_date: dt.date) -> Departure | None:
    """Whether ``cadre`` has left ``unit`` (and the units below it) by ``on_date``, having
    been sent to study on ``since``:

    - they work in a unit outside it (``Cadre.unit``), or
    - they held a post in it on or after ``since`` and hold none there on ``on_date``.

    The day they left is the end of their last post there; a move of working unit with no post
    ended is dated ``on_date`` (the day it was found). None while they serve the unit.
    """
    holdings = list(
        PositionHolding.objects.filter(
            cadre=cadre, position__unit__path__startswith=unit.path, started_on__lte=on_date
        ).select_related("position")
    )
    relevant = [h for h in holdings if h.ended_on is None or h.ended_on >= since]
    running = [h for h in relevant if h.is_active_on(on_date)]
    ended = [h for h in relevant if h.ended_on is not None and h.ended_on < on_date]
    last = max(ended, key=lambda h: h.ended_on, default=None)
    moved = not _in(unit, cadre.unit)
    if moved:
        left_on = last.ended_on if last is not None and not running else on_date
        detail = _("Works in %(other)s, outside %(unit)s.") % {
            "other": cadre.unit.name,
            "unit": unit.name,
        }
        if last is not None and not running:
            detail += " " + _("Last post there, %(post)s, ended on %(day)s.") % {
                "post": last.position.title,
                "day": last.ended_on.strftime("%d/%m/%Y"),
            }
        return Departure(left_on, detail)
    if relevant and not running and last is not None:
        detail = _("Holds no post in %(unit)s since %(post)s ended on %(day)s.") % {
            "unit": unit.name,
            "post": last.position.title,
            "day": last.ended_on.strftime("%d/%m/%Y"),
        }
        return Departure(last.ended_on, detail)
    return None


def months_short(left_on: dt.date, until: dt.date | None, commitment: Commitment) -> int:
    """Whole months (rounded up) between leaving and the end of the commitment; the whole
    commitment when the study was not completed."""
    if until is None:
        return commitment.months
    gap = relativedelta(until, left_on)
    months = gap.years * 12 + gap.months
    return months + (1 if gap.days > 0 else 0)


def today() -> dt.date:
    return timezone.localdate()
