"""Writes to the personnel registry. Every state change goes through one of these functions.

Each service runs in one transaction, validates with ``full_clean()`` (which also checks the
database constraints), turns a constraint the database enforces on its own (the seat-count
trigger) into a ``ValidationError`` a person can act on, and writes its audit event last, in
the same transaction: a refused change writes no event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from .audit.actions import Action
from .audit.services import audit_record, changes_between, created, snapshot
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
    PlanningStatus,
    PoliticalStandardConclusion,
    Position,
    PositionHolding,
    TrainingRecord,
)
from .selectors import active_on

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


def _fields(instance) -> list[str]:
    return [f.name for f in instance._meta.concrete_fields if not f.primary_key]


def _create(instance, *, actor, action: Action, **audit):
    _save(instance)
    audit_record(
        actor=actor,
        action=action,
        target=instance,
        changes=created(instance, _fields(instance)),
        **audit,
    )
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
        unit = OrgUnit.objects.add_root(instance=unit)
    else:
        # Re-read the parent: treebeard works from its stored path and child count.
        unit = OrgUnit.objects.add_child(OrgUnit.objects.get(pk=parent.pk), instance=unit)
    audit_record(
        actor=actor,
        action=Action.UNIT_CREATE,
        target=unit,
        changes=created(unit, ["name", "code", "kind", "management_level", "path"]),
    )
    return unit


@transaction.atomic
def position_create(*, actor, **fields) -> Position:
    return _create(Position(**fields), actor=actor, action=Action.POSITION_CREATE)


# --------------------------------------------------------------------------- cadres


@transaction.atomic
def cadre_create(*, actor, **fields) -> Cadre:
    return _create(Cadre(**fields), actor=actor, action=Action.CADRE_CREATE)


@transaction.atomic
def cadre_update(*, actor, cadre: Cadre, reason: str = "", **changes) -> Cadre:
    cadre = Cadre.objects.select_for_update().get(pk=cadre.pk)
    before = snapshot(cadre, changes)
    changed = _apply(cadre, changes)
    if changed:
        _save(cadre, update_fields=changed)
        audit_record(
            actor=actor,
            action=Action.CADRE_UPDATE,
            target=cadre,
            changes=changes_between(before, snapshot(cadre, changes)),
            reason=reason,
        )
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
    return _create(holding, actor=actor, action=Action.HOLDING_START, unit=position.unit_id)


@transaction.atomic
def holding_end(*, actor, holding: PositionHolding, ended_on: dt.date) -> PositionHolding:
    holding = PositionHolding.objects.select_for_update().get(pk=holding.pk)
    if holding.ended_on is not None:
        raise ValidationError(_("This holding has already ended."))
    holding.ended_on = ended_on
    _save(holding, update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action=Action.HOLDING_END,
        target=holding,
        changes={"ended_on": [None, ended_on]},
        unit=holding.position.unit_id,
    )
    return holding


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- committees & scope


@transaction.atomic
def committee_create(*, actor, **fields) -> Committee:
    return _create(Committee(**fields), actor=actor, action=Action.COMMITTEE_CREATE)


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
    membership = _create(
        CommitteeMembership(
            committee=committee, user=user, role=role, started_on=started_on, ended_on=ended_on
        ),
        actor=actor,
        action=Action.MEMBERSHIP_ADD,
    )
    scope_sync_for_user(user=user, actor=actor)
    return membership


@transaction.atomic
def membership_end(
    *, actor, membership: CommitteeMembership, ended_on: dt.date
) -> CommitteeMembership:
    membership = CommitteeMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_on is not None and membership.ended_on <= ended_on:
        raise ValidationError(_("This membership has already ended."))
    before = membership.ended_on
    membership.ended_on = ended_on
    _save(membership, update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action=Action.MEMBERSHIP_END,
        target=membership,
        changes={"ended_on": [before, ended_on]},
    )
    scope_sync_for_user(user=membership.user, actor=actor)
    return membership


@transaction.atomic
def scope_sync_for_user(*, user, actor=None, day: dt.date | None = None) -> None:
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

    granted = {
        "access_unit": sorted(want_units - have_units),
        "view_committee": sorted(want_committees - have_committees),
        "chair_committee": sorted(want_chairs - have_chairs),
    }
    revoked = {
        "access_unit": sorted(have_units - want_units),
        "view_committee": sorted(have_committees - want_committees),
        "chair_committee": sorted(have_chairs - want_chairs),
    }
    granted = {k: v for k, v in granted.items() if v}
    revoked = {k: v for k, v in revoked.items() if v}
    if granted or revoked:
        from .scope_cache import forget
        from .signals import scope_changed

        forget()
        scope_changed.send(sender=scope_sync_for_user, user=user)
        audit_record(
            actor=actor,
            action=Action.SCOPE_UPDATE,
            target=user,
            changes={"granted": [None, granted], "revoked": [None, revoked]},
        )


# --------------------------------------------------------------------------- records


@transaction.atomic
def discipline_record_add(*, actor, cadre: Cadre, **fields) -> DisciplineRecord:
    return _create(
        DisciplineRecord(cadre=cadre, **fields), actor=actor, action=Action.DISCIPLINE_ADD
    )


@transaction.atomic
def investigation_open(*, actor, cadre: Cadre, **fields) -> InvestigationCase:
    return _create(
        InvestigationCase(cadre=cadre, **fields), actor=actor, action=Action.INVESTIGATION_OPEN
    )


@transaction.atomic
def investigation_close(*, actor, case: InvestigationCase, closed_on: dt.date) -> InvestigationCase:
    case = InvestigationCase.objects.select_for_update().get(pk=case.pk)
    if case.closed_on is not None:
        raise ValidationError(_("This case is already closed."))
    case.closed_on = closed_on
    _save(case, update_fields=["closed_on"])
    audit_record(
        actor=actor,
        action=Action.INVESTIGATION_CLOSE,
        target=case,
        changes={"closed_on": [None, closed_on]},
    )
    return case


@transaction.atomic
def political_conclusion_add(*, actor, cadre: Cadre, **fields) -> PoliticalStandardConclusion:
    return _create(
        PoliticalStandardConclusion(cadre=cadre, **fields),
        actor=actor,
        action=Action.POLITICAL_CONCLUSION_ADD,
    )


@transaction.atomic
def evaluation_result_add(*, actor, cadre: Cadre, **fields) -> EvaluationResult:
    return _create(
        EvaluationResult(cadre=cadre, **fields), actor=actor, action=Action.EVALUATION_ADD
    )


@transaction.atomic
def planning_entry_add(*, actor, cadre: Cadre, **fields) -> PlanningEntry:
    return _create(PlanningEntry(cadre=cadre, **fields), actor=actor, action=Action.PLANNING_ADD)


@transaction.atomic
def planning_entry_status_set(
    *, actor, entry: PlanningEntry, status: str, reason: str = "", **audit
) -> PlanningEntry:
    """Move a planning entry to ``status`` (approved, removed, ...). A removal keeps its reason
    on the entry; any other status clears it. ``audit`` (process, procedure) files the event
    under the procedure that made the change."""
    entry = PlanningEntry.objects.select_for_update().get(pk=entry.pk)
    before = snapshot(entry, ["status", "removal_reason"])
    entry.status = status
    entry.removal_reason = reason.strip() if status == PlanningStatus.REMOVED else ""
    if status == PlanningStatus.REMOVED and not entry.removal_reason:
        raise ValidationError(_("A removal from the plan needs its reason."))
    _save(entry, update_fields=["status", "removal_reason"])
    audit_record(
        actor=actor,
        action=Action.PLANNING_ENTRY_STATUS,
        target=entry,
        changes=changes_between(before, snapshot(entry, ["status", "removal_reason"])),
        reason=reason.strip(),
        unit=entry.position.unit_id,
        **audit,
    )
    return entry


@transaction.atomic
def training_record_add(*, actor, cadre: Cadre, **fields) -> TrainingRecord:
    return _create(TrainingRecord(cadre=cadre, **fields), actor=actor, action=Action.TRAINING_ADD)


# --------------------------------------------------------------------------- audited reads


@transaction.atomic
def cadre_dossier_open(*, user, pk: int) -> Cadre:
    """The cadre's full record for ``user`` (404 outside scope); the opening is audited."""
    from .selectors import cadre_get_for_user

    cadre = cadre_get_for_user(user=user, pk=pk)
    audit_record(actor=user, action=Action.CADRE_VIEW, target=cadre)
    return cadre
