"""Reads for the planning review: scope, who acts, the counts the caps read, the structure
targets and the published plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from personnel.models import (
    Cadre,
    Committee,
    CommitteeKind,
    CommitteeMembership,
    Gender,
    OrgUnit,
    PlanningEntry,
    PlanningStatus,
    Position,
)
from personnel.scope_cache import remembered
from personnel.selectors import active_on, units_for_user
from workflows.appointment.models import Appointment, AppointmentCandidate
from workflows.appointment.models import CandidateStatus as AppointmentCandidateStatus
from workflows.appointment.selectors import chair_of, leadership_for, members_of, newest_ruleset
from workflows.appointment.services import FINISHED as APPOINTMENT_FINISHED
from workflows.core import rules
from workflows.core.models import ParameterKey, RuleSet
from workflows.core.services import can_see_results

from .models import (
    RUNNING,
    CandidateStatus,
    PlanningReview,
    RemovalProposal,
    ReviewCandidate,
    ReviewStep,
)

__all__ = [
    "chair_of",
    "leadership_for",
    "members_of",
    "newest_ruleset",
]


# --------------------------------------------------------------------------- scope


def reviews_for_user(*, user) -> QuerySet[PlanningReview]:
    """Reviews in the user's scope (their units' subtree); nothing for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return PlanningReview.objects.none()
    qs = PlanningReview.objects.select_related(
        "unit", "ruleset", "leadership", "standing", "competent_body"
    )
    if user.is_superuser:
        return qs
    return qs.filter(unit__in=units_for_user(user=user))


def review_get_for_user(*, user, pk) -> PlanningReview:
    """The review if it is in the user's scope; 404 otherwise (never 403: that confirms it
    exists)."""
    try:
        return reviews_for_user(user=user).get(pk=pk)
    except (PlanningReview.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def removals_for_user(*, user) -> QuerySet[RemovalProposal]:
    if not user.is_authenticated or not user.is_active:
        return RemovalProposal.objects.none()
    qs = RemovalProposal.objects.select_related("entry", "entry__cadre", "entry__position", "unit")
    if user.is_superuser:
        return qs
    return qs.filter(unit__in=units_for_user(user=user))


def removal_get_for_user(*, user, pk) -> RemovalProposal:
    try:
        return removals_for_user(user=user).get(pk=pk)
    except (RemovalProposal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --------------------------------------------------------------------------- who acts


def board_members(unit: OrgUnit) -> QuerySet:
    """Active organisation-board staff of ``unit``, or of the nearest unit above it that has
    any (whose scope covers it)."""
    today = timezone.localdate()

    def nearest():
        users = get_user_model().objects.filter(is_active=True)
        step = OrgUnit.steplen
        for end in range(len(unit.path), 0, -step):  # the unit itself, then upwards
            people = users.filter(
                memberships__in=CommitteeMembership.objects.filter(
                    active_on(today),
                    committee__unit__path=unit.path[:end],
                    committee__kind=CommitteeKind.ORGANISATION_BOARD,
                )
            ).distinct()
            if people.exists():
                len(people)  # evaluated: a remembered answer is not read again
                return people
        return users.none()

    return remembered(("board members", unit.path, today), nearest)


def standing_for(unit: OrgUnit) -> Committee | None:
    """The unit's standing committee (it votes on the list), if it has one."""
    return Committee.objects.filter(unit=unit, kind=CommitteeKind.STANDING).order_by("pk").first()


def competent_chair(review: PlanningReview):
    return chair_of(review.competent_body)


def review_url(review: PlanningReview) -> str:
    """The review's page (links in notifications and task pages)."""
    from django.urls import reverse

    return reverse("planning:review:detail", kwargs={"review_id": review.pk})


# --------------------------------------------------------------------------- caps and guards


def approved_entries(*, term_start_year: int) -> QuerySet[PlanningEntry]:
    """Entries in the approved plan of a term (the term is named by its first year, as in
    ``PlanningEntry``'s uniqueness)."""
    return PlanningEntry.objects.filter(
        status=PlanningStatus.APPROVED, term_start_year=term_start_year
    )


def active_candidates(review: PlanningReview) -> QuerySet[ReviewCandidate]:
    return review.candidates.filter(status=CandidateStatus.ACTIVE).select_related(
        "cadre", "position", "position__unit"
    )


def appointment_under_way(*, cadre: Cadre, position: Position) -> Appointment | None:
    """An appointment of ``cadre`` to ``position`` not finished yet (I-18: no planning while
    it runs), or None."""
    return (
        Appointment.objects.filter(position=position, finished__isnull=True)
        .exclude(stage__in=APPOINTMENT_FINISHED)
        .filter(
            pk__in=AppointmentCandidate.objects.filter(
                cadre=cadre, status=AppointmentCandidateStatus.ACTIVE
            ).values("appointment_id")
        )
        .first()
    )


# --------------------------------------------------------------------------- results


def step_results(*, user, step: ReviewStep) -> dict | None:
    """The ballot's outcome if the rule-set's sealing lets ``user`` see it, else None."""
    if not can_see_results(user=user, ballot=step.ballot):
        return None
    return step.ballot.outcome


# --------------------------------------------------------------------------- structure targets


@dataclass(frozen=True)
class Targets:
    young_under: int
    young_percent: int
    women_percent: int


@dataclass
class PlannedCadre:
    cadre: Cadre
    age: int
    young: bool
    woman: bool
    proposed: bool = False  # on this review's list, not yet approved


@dataclass
class Ratios:
    total: int = 0
    young: int = 0
    women: int = 0
    young_short: bool = True
    women_short: bool = True

    @property
    def young_ratio(self) -> float | None:
        return None if not self.total else self.young * 100 / self.total

    @property
    def women_ratio(self) -> float | None:
        return None if not self.total else self.women * 100 / self.total

    @property
    def short(self) -> bool:
        return self.young_short or self.women_short


def _ratios(people: list[PlannedCadre], targets: Targets) -> Ratios:
    total = len(people)
    young = sum(1 for p in people if p.young)
    women = sum(1 for p in people if p.woman)
    # Integer arithmetic: at least p % of n is ``count * 100 >= p * n``. Nobody planned is short.
    return Ratios(
        total=total,
        young=young,
        women=women,
        young_short=not total or young * 100 < targets.young_percent * total,
        women_short=not total or women * 100 < targets.women_percent * total,
    )


@dataclass
class PostStructure:
    position: Position
    targets: Targets
    cadres: list[PlannedCadre] = field(default_factory=list)
    ratios: Ratios = field(default_factory=Ratios)


@dataclass
class PlanStructure:
    unit: OrgUnit
    term_start_year: int
    targets: Targets
    posts: list[PostStructure]
    ratios: Ratios  # over the distinct cadres of the unit's plan
    source: str  # the parameter's citation
    unverified: bool


def targets_for(ruleset: RuleSet, management_level: str) -> Targets:
    value = rules.get(ruleset, ParameterKey.PLANNING_STRUCTURE)
    return Targets(
        young_under=value["young_under"][management_level],
        young_percent=value["young_percent"],
        women_percent=value["women_percent"],
    )


def plan_structure(
    *,
    user,
    unit: OrgUnit,
    term_start_year: int,
    ruleset: RuleSet | None = None,
    review: PlanningReview | None = None,
    on_date: dt.date | None = None,
) -> PlanStructure:
    """Per post of ``unit`` (and the units below it) and for the unit, the planned cadres of
    the term and the shares of young cadres and women against the rule-set's targets, each
    flagged when short. With ``review`` still running, its active proposals are counted too
    (marked ``proposed``), so the board sees the effect of its list. Out of scope: 404."""
    if not units_for_user(user=user).filter(pk=unit.pk).exists():
        raise Http404
    on_date = on_date or timezone.localdate()
    if review is not None:
        ruleset = review.ruleset
        term_start_year = review.term_start_year
    ruleset = ruleset or newest_ruleset(track="party", on_date=on_date)
    parameter = rules.parameter(ruleset, ParameterKey.PLANNING_STRUCTURE)
    positions = list(
        Position.objects.filter(unit__path__startswith=unit.path)
        .select_related("unit")
        .order_by("unit__path", "-level", "title")
    )
    by_post: dict[int, list[tuple[Cadre, bool]]] = {p.pk: [] for p in positions}
    entries = (
        approved_entries(term_start_year=term_start_year)
        .filter(position__in=positions)
        .select_related("cadre")
    )
    for entry in entries:
        by_post[entry.position_id].append((entry.cadre, False))
    if review is not None and review.stage in RUNNING:
        for candidate in active_candidates(review):
            if candidate.position_id in by_post:
                by_post[candidate.position_id].append((candidate.cadre, True))

    def planned(cadre: Cadre, proposed: bool, targets: Targets) -> PlannedCadre:
        age = cadre.age_on(on_date)
        return PlannedCadre(
            cadre=cadre,
            age=age,
            young=age < targets.young_under,
            woman=cadre.gender == Gender.FEMALE,
            proposed=proposed,
        )

    posts = []
    for position in positions:
        targets = targets_for(ruleset, position.unit.management_level)
        people = [planned(c, proposed, targets) for c, proposed in by_post[position.pk]]
        posts.append(
            PostStructure(
                position=position,
                targets=targets,
                cadres=people,
                ratios=_ratios(people, targets),
            )
        )
    unit_targets = targets_for(ruleset, unit.management_level)
    distinct: dict[int, tuple[Cadre, bool]] = {}
    for rows in by_post.values():
        for cadre, proposed in rows:
            # approved beats proposed when a cadre is in both
            if cadre.pk not in distinct or not proposed:
                distinct[cadre.pk] = (cadre, proposed)
    unit_people = [planned(c, p, unit_targets) for c, p in distinct.values()]
    return PlanStructure(
        unit=unit,
        term_start_year=term_start_year,
        targets=unit_targets,
        posts=posts,
        ratios=_ratios(unit_people, unit_targets),
        source=parameter.citation,
        unverified=parameter.unverified,
    )


# --------------------------------------------------------------------------- publication


def published_plan_for_user(*, user, unit: OrgUnit | None = None) -> QuerySet[PlanningEntry]:
    """Approved entries of published reviews that the user may see: those of reviews in their
    scope, and a planned cadre's own entries. Removed or fulfilled entries drop out."""
    if not user.is_authenticated or not user.is_active:
        return PlanningEntry.objects.none()
    published = ReviewCandidate.objects.filter(
        status=CandidateStatus.PLANNED,
        review__published_at__isnull=False,
        entry__isnull=False,
    )
    if unit is not None:
        published = published.filter(review__unit__path__startswith=unit.path)
    if not user.is_superuser:
        published = published.filter(
            Q(review__unit__in=units_for_user(user=user)) | Q(cadre__user=user)
        )
    return (
        PlanningEntry.objects.filter(
            pk__in=published.values("entry_id"), status=PlanningStatus.APPROVED
        )
        .select_related("cadre", "position", "position__unit")
        .order_by("position__unit__path", "-position__level", "position__title", "cadre__full_name")
    )
