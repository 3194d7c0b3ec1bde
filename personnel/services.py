"""Writes to the personnel registry. Every state change goes through one of these functions.

Each service runs in one transaction, validates with ``full_clean()`` (which also checks the
database constraints), and turns a constraint the database enforces on its own (the seat-count
trigger) into a ``ValidationError`` a person can act on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from .models import (
    SEATS_TAKEN,
    Cadre,
    Committee,
    CommitteeMembership,
    DisciplineRecord,
    EvaluationResult,
    InvestigationCase,
    MembershipRole,
    OrgUnit,
    PlanningEntry,
    PoliticalStandardConclusion,
    Position,
    PositionHolding,
    TrainingRecord,
)
from .selectors import active_on

User = get_user_model()

# Database constraints enforced only in PostgreSQL, with the message a person should see.
_DB_ONLY_CONSTRAINTS = {"holding_seats_not_exceeded": SEATS_TAKEN}


def _save(instance, *, update_fields: Iterable[str] | None = None):
    """Validate and save; database-only constraint failures become ``ValidationError``."""
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        if constraint in _DB_ONLY_CONSTRAINTS:
            raise ValidationError(_DB_ONLY_CONSTRAINTS[constraint]) from exc
        raise
    return instance


def _apply(instance, changes: dict[str, Any]) -> list[str]:
    changed = []
    for field, value in changes.items():
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


# --------------------------------------------------------------------------- units & positions


@transaction.atomic
def org_unit_create(
    *, actor, name: str, code: str, kind: str, management_level: str, parent: OrgUnit | None = None
) -> OrgUnit:
    unit = OrgUnit(name=name, code=code, kind=kind, management_level=management_level)
    unit.full_clean(exclude=["path", "depth", "numchild"])
    if parent is None:
        return OrgUnit.objects.add_root(instance=unit)
    # Re-read the parent: treebeard works from its stored path and child count.
    return OrgUnit.objects.add_child(OrgUnit.objects.get(pk=parent.pk), instance=unit)


@transaction.atomic
def position_create(*, actor, **fields) -> Position:
    return _save(Position(**fields))


# --------------------------------------------------------------------------- cadres


@transaction.atomic
def cadre_create(*, actor, **fields) -> Cadre:
    return _save(Cadre(**fields))


@transaction.atomic
def cadre_update(*, actor, cadre: Cadre, **changes) -> Cadre:
    cadre = Cadre.objects.select_for_update().get(pk=cadre.pk)
    changed = _apply(cadre, changes)
    if changed:
        _save(cadre, update_fields=changed)
    return cadre


@transaction.atomic
def cadre_link_user(*, actor, cadre: Cadre, user) -> Cadre:
    return cadre_update(actor=actor, cadre=cadre, user=user)


# --------------------------------------------------------------------------- holdings


@transaction.atomic
def holding_start(
    *,
    actor,
    cadre: Cadre,
    position: Position,
    started_on: dt.date,
    term_ends_on: dt.date | None = None,
    decision_ref: str = "",
) -> PositionHolding:
    if term_ends_on is None:
        term_ends_on = _add_years(started_on, position.term_years)
    holding = PositionHolding(
        cadre=cadre,
        position=position,
        started_on=started_on,
        term_ends_on=term_ends_on,
        decision_ref=decision_ref,
    )
    return _save(holding)


@transaction.atomic
def holding_end(*, actor, holding: PositionHolding, ended_on: dt.date) -> PositionHolding:
    holding = PositionHolding.objects.select_for_update().get(pk=holding.pk)
    if holding.ended_on is not None:
        raise ValidationError(_("This holding has already ended."))
    holding.ended_on = ended_on
    return _save(holding, update_fields=["ended_on"])


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- committees & scope


@transaction.atomic
def committee_create(*, actor, **fields) -> Committee:
    return _save(Committee(**fields))


@transaction.atomic
def membership_add(
    *,
    actor,
    committee: Committee,
    user,
    role: str = MembershipRole.MEMBER,
    started_on: dt.date,
    ended_on: dt.date | None = None,
) -> CommitteeMembership:
    """Add a member and grant the scope that comes with it (see ``selectors`` docstring)."""
    membership = _save(
        CommitteeMembership(
            committee=committee, user=user, role=role, started_on=started_on, ended_on=ended_on
        )
    )
    scope_sync_for_user(user=user)
    return membership


@transaction.atomic
def membership_end(
    *, actor, membership: CommitteeMembership, ended_on: dt.date
) -> CommitteeMembership:
    membership = CommitteeMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_on is not None and membership.ended_on <= ended_on:
        raise ValidationError(_("This membership has already ended."))
    membership.ended_on = ended_on
    _save(membership, update_fields=["ended_on"])
    scope_sync_for_user(user=membership.user)
    return membership


def scope_sync_for_user(*, user, day: dt.date | None = None) -> None:
    """Make the user's guardian grants match their memberships active on ``day``.

    Grants: ``access_unit`` on the committee's unit and ``view_committee`` on the committee for
    every active membership, plus ``chair_committee`` for chairs. Grants no longer backed by an
    active membership are removed. Idempotent; ``manage.py sync_scopes`` runs it for everyone.
    """
    from django.utils import timezone

    day = day or timezone.localdate()
    active = list(
        CommitteeMembership.objects.filter(active_on(day), user=user).select_related("committee")
    )
    want_units = {m.committee.unit_id for m in active}
    want_committees = {m.committee_id for m in active}
    want_chairs = {m.committee_id for m in active if m.role == MembershipRole.CHAIR}

    from .models import CommitteeUserObjectPermission, OrgUnitUserObjectPermission

    have_units = set(
        OrgUnitUserObjectPermission.objects.filter(
            user=user, permission__codename="access_unit"
        ).values_list("content_object_id", flat=True)
    )
    have = CommitteeUserObjectPermission.objects.filter(user=user).values_list(
        "permission__codename", "content_object_id"
    )
    have_committees = {pk for code, pk in have if code == "view_committee"}
    have_chairs = {pk for code, pk in have if code == "chair_committee"}

    for unit in OrgUnit.objects.filter(pk__in=want_units - have_units):
        assign_perm("personnel.access_unit", user, unit)
    for unit in OrgUnit.objects.filter(pk__in=have_units - want_units):
        remove_perm("personnel.access_unit", user, unit)
    for committee in Committee.objects.filter(pk__in=want_committees - have_committees):
        assign_perm("personnel.view_committee", user, committee)
    for committee in Committee.objects.filter(pk__in=have_committees - want_committees):
        remove_perm("personnel.view_committee", user, committee)
    for committee in Committee.objects.filter(pk__in=want_chairs - have_chairs):
        assign_perm("personnel.chair_committee", user, committee)
    for committee in Committee.objects.filter(pk__in=have_chairs - want_chairs):
        remove_perm("personnel.chair_committee", user, committee)


# --------------------------------------------------------------------------- records


@transaction.atomic
def discipline_record_add(*, actor, cadre: Cadre, **fields) -> DisciplineRecord:
    return _save(DisciplineRecord(cadre=cadre, **fields))


@transaction.atomic
def investigation_open(*, actor, cadre: Cadre, **fields) -> InvestigationCase:
    return _save(InvestigationCase(cadre=cadre, **fields))


@transaction.atomic
def investigation_close(*, actor, case: InvestigationCase, closed_on: dt.date) -> InvestigationCase:
    case = InvestigationCase.objects.select_for_update().get(pk=case.pk)
    if case.closed_on is not None:
        raise ValidationError(_("This case is already closed."))
    case.closed_on = closed_on
    return _save(case, update_fields=["closed_on"])


@transaction.atomic
def political_conclusion_add(*, actor, cadre: Cadre, **fields) -> PoliticalStandardConclusion:
    return _save(PoliticalStandardConclusion(cadre=cadre, **fields))


@transaction.atomic
def evaluation_result_add(*, actor, cadre: Cadre, **fields) -> EvaluationResult:
    return _save(EvaluationResult(cadre=cadre, **fields))


@transaction.atomic
def planning_entry_add(*, actor, cadre: Cadre, **fields) -> PlanningEntry:
    return _save(PlanningEntry(cadre=cadre, **fields))


@transaction.atomic
def training_record_add(*, actor, cadre: Cadre, **fields) -> TrainingRecord:
    return _save(TrainingRecord(cadre=cadre, **fields))
