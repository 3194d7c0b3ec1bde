"""Reads of the personnel registry, always scoped to what the asking user may see.

Scope (deny by default):
- an active member of a committee may see the committee's unit and every unit below it, and
  the committees of those units — granted as guardian object permissions on the unit and the
  committee when the membership starts (``services.membership_add``), never as global grants;
- a cadre with an account always sees their own record;
- superusers (administrators) see everything;
- anyone else sees nothing: lookups outside the scope raise ``Http404``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from .expressions import PlainText
from .models import (
    Cadre,
    Committee,
    CommitteeKind,
    CommitteeMembership,
    MembershipRole,
    OrgUnit,
    PlanningEntry,
    Position,
    PositionHolding,
)
from .scope_cache import remembered

UserLike = AbstractBaseUser | AnonymousUser


class Role(StrEnum):
    """Roles are derived from memberships and links, never stored separately."""

    ORG_BOARD_STAFF = "org_board_staff"
    COMMITTEE_MEMBER = "committee_member"
    COMMITTEE_CHAIR = "committee_chair"
    INSPECTION_AUDITOR = "inspection_auditor"
    CADRE = "cadre"
    ADMINISTRATOR = "administrator"


def _today() -> dt.date:
    return timezone.localdate()


def active_on(day: dt.date) -> Q:
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))


def memberships_active_for_user(*, user: UserLike, day: dt.date | None = None) -> QuerySet:
    if not user.is_authenticated:
        return CommitteeMembership.objects.none()
    return CommitteeMembership.objects.filter(active_on(day or _today()), user=user).select_related(
        "committee", "committee__unit"
    )


def user_roles(*, user: UserLike) -> frozenset[Role]:
    """The roles a user acts in today, from their active memberships and cadre link."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_cadreflow_roles", None)
    if cached is not None:
        return cached
    roles: set[Role] = set()
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    for membership in memberships_active_for_user(user=user):
        kind = membership.committee.kind
        if kind == CommitteeKind.ORGANISATION_BOARD:
            roles.add(Role.ORG_BOARD_STAFF)
        elif kind == CommitteeKind.INSPECTION:
            roles.add(Role.INSPECTION_AUDITOR)
        else:
            roles.add(Role.COMMITTEE_MEMBER)
        if membership.role == MembershipRole.CHAIR:
            roles.add(Role.COMMITTEE_CHAIR)
    if Cadre.objects.filter(user=user).exists():
        roles.add(Role.CADRE)
    result = frozenset(roles)
    user._cadreflow_roles = result
    return result


def _granted_units(user: UserLike) -> QuerySet:
    return get_objects_for_user(
        user,
        "personnel.access_unit",
        klass=OrgUnit,
        accept_global_perms=False,
        with_superuser=False,
    )


def units_for_user(*, user: UserLike) -> QuerySet:
    """Units the user may see: every unit granted to them, and all units below those."""
    if not user.is_authenticated or not user.is_active:
        return OrgUnit.objects.none()
    if user.is_superuser:
        return OrgUnit.objects.all()
    # A grant counts only while an active membership backs it, so a membership that ends by
    # date loses its scope that day even before `sync_scopes` removes the grant.
    backed = Exists(
        CommitteeMembership.objects.filter(
            active_on(_today()), user=user, committee__unit=OuterRef("pk")
        )
    )
    paths = remembered(
        ("unit_paths", user.pk, _today()),
        lambda: list(_granted_units(user).filter(backed).values_list("path", flat=True)),
    )
    if not paths:
        return OrgUnit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return OrgUnit.objects.filter(condition)


def cadres_for_user(*, user: UserLike, units: QuerySet | None = None) -> QuerySet:
    """``units``: the user's ``units_for_user``, when the caller has it already (a page that
    lists both saves reading the grants again)."""
    if not user.is_authenticated or not user.is_active:
        return Cadre.objects.none()
    if user.is_superuser:
        return Cadre.objects.all()
    units = units_for_user(user=user) if units is None else units
    return Cadre.objects.filter(Q(unit__in=units) | Q(user=user))


def committees_for_user(*, user: UserLike) -> QuerySet:
    if not user.is_authenticated or not user.is_active:
        return Committee.objects.none()
    if user.is_superuser:
        return Committee.objects.all()
    return Committee.objects.filter(unit__in=units_for_user(user=user))


def positions_for_user(*, user: UserLike, units: QuerySet | None = None) -> QuerySet:
    """``units``: as for ``cadres_for_user``."""
    if not user.is_authenticated or not user.is_active:
        return Position.objects.none()
    if user.is_superuser:
        return Position.objects.all()
    units = units_for_user(user=user) if units is None else units
    return Position.objects.filter(unit__in=units)


# --------------------------------------------------------------------------- directory


class AgeBand(StrEnum):
    UNDER_35 = "u35"
    FROM_35_TO_44 = "35-44"
    FROM_45_TO_54 = "45-54"
    FROM_55 = "55+"


AGE_BAND_BOUNDS: dict[AgeBand, tuple[int | None, int | None]] = {
    AgeBand.UNDER_35: (None, 34),
    AgeBand.FROM_35_TO_44: (35, 44),
    AgeBand.FROM_45_TO_54: (45, 54),
    AgeBand.FROM_55: (55, None),
}


def _birth_date_range(band: AgeBand, today: dt.date) -> Q:
    """People aged between ``low`` and ``high`` (inclusive) today."""
    low, high = AGE_BAND_BOUNDS[band]
    condition = Q()
    if low is not None:  # at least `low` years old: born on or before today minus low years
        condition &= Q(date_of_birth__lte=_years_before(today, low))
    if high is not None:  # at most `high`: born after today minus (high + 1) years
        condition &= Q(date_of_birth__gt=_years_before(today, high + 1))
    return condition


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class DirectoryFilters:
    query: str = ""
    unit: OrgUnit | None = None
    position: Position | None = None
    political_theory_level: int | None = None
    education_level: int | None = None
    gender: str = ""
    age_band: AgeBand | None = None


def cadre_directory(
    *, user: UserLike, filters: DirectoryFilters, units: QuerySet | None = None
) -> QuerySet:
    """Cadres in the user's scope matching the filters, with their current posts prefetched.

    The name search ignores Vietnamese diacritics ("nguyen van" finds "Nguyễn Văn") and case:
    ``UPPER(cadreflow_unaccent(full_name)) LIKE UPPER('%nguyen van%')``, the expression of the
    trigram index ``cadre_plain_name_trgm``. The pattern is a constant (stripped in Python), so
    the planner uses the index and its statistics.
    """
    today = _today()
    qs = cadres_for_user(user=user, units=units).select_related("unit")
    if filters.query:
        qs = qs.alias(plain_name=PlainText("full_name")).filter(
            plain_name__icontains=unaccent_text(filters.query)
        )
    if filters.unit is not None:
        qs = qs.filter(unit__path__startswith=filters.unit.path)
    if filters.position is not None:
        qs = qs.filter(
            Exists(
                PositionHolding.objects.filter(
                    active_on(today), cadre=OuterRef("pk"), position=filters.position
                )
            )
        )
    if filters.political_theory_level is not None:
        qs = qs.filter(political_theory_level=filters.political_theory_level)
    if filters.education_level is not None:
        qs = qs.filter(education_level=filters.education_level)
    if filters.gender:
        qs = qs.filter(gender=filters.gender)
    if filters.age_band is not None:
        qs = qs.filter(_birth_date_range(filters.age_band, today))
    current = PositionHolding.objects.filter(active_on(today)).select_related("position")
    return qs.prefetch_related(Prefetch("holdings", queryset=current, to_attr="current_holdings"))


def unaccent_text(text: str) -> str:
    """Strip Vietnamese diacritics in Python, matching PostgreSQL's ``unaccent``."""
    text = text.strip().replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def cadre_get_for_user(*, user: UserLike, pk: int) -> Cadre:
    """One cadre with every record the profile shows; 404 when outside the user's scope."""
    try:
        return (
            cadres_for_user(user=user)
            .select_related("unit", "user")
            .prefetch_related(
                Prefetch(
                    "holdings",
                    queryset=PositionHolding.objects.select_related("position", "position__unit"),
                ),
                "discipline_records",
                "investigations",
                "political_conclusions",
                "evaluations",
                Prefetch(
                    "planning_entries",
                    queryset=PlanningEntry.objects.select_related("position", "position__unit"),
                ),
                "trainings",
            )
            .get(pk=pk)
        )
    except Cadre.DoesNotExist:
        raise Http404 from None


def committee_get_for_user(*, user: UserLike, pk: int) -> Committee:
    try:
        return (
            committees_for_user(user=user)
            .select_related("unit")
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=CommitteeMembership.objects.select_related("user", "user__cadre"),
                )
            )
            .get(pk=pk)
        )
    except Committee.DoesNotExist:
        raise Http404 from None


def committee_list_for_user(*, user: UserLike) -> QuerySet:
    return committees_for_user(user=user).select_related("unit")
