"""Reads for the appointment procedure: who acts, what the user may see."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from personnel.models import Committee, CommitteeKind, CommitteeMembership, MembershipRole
from personnel.scope_cache import remembered
from personnel.selectors import active_on, units_for_user
from workflows.core.models import RuleSet

from .models import Appointment


def competent_chair(appointment: Appointment):
    """The chair of the body that decides (today), or None."""
    return chair_of(appointment.competent_body)


def org_board_members(appointment: Appointment) -> QuerySet:
    """Active organisation-board staff of the procedure's unit."""
    today = timezone.localdate()

    def members():
        people = (
            get_user_model()
            .objects.filter(
                memberships__in=CommitteeMembership.objects.filter(
                    active_on(today),
                    committee__unit_id=appointment.unit_id,
                    committee__kind=CommitteeKind.ORGANISATION_BOARD,
                ),
                is_active=True,
            )
            .distinct()
        )
        len(people)  # evaluated: a remembered answer is not read again
        return people

    return remembered(("unit board", appointment.unit_id, today), members)


def newest_ruleset(*, track: str, on_date=None) -> RuleSet | None:
    on_date = on_date or timezone.localdate()
    return (
        RuleSet.objects.filter(track=track, effective_from__lte=on_date)
        .order_by("-effective_from", "-version")
        .first()
    )


def appointments_for_user(*, user) -> QuerySet[Appointment]:
    """Procedures in the user's scope (their units' subtree); nothing for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return Appointment.objects.none()
    qs = Appointment.objects.select_related("position", "unit", "competent_body", "ruleset")
    if user.is_superuser:
        return qs
    return qs.filter(unit__in=units_for_user(user=user))


def competent_members(appointment: Appointment) -> QuerySet:
    return members_of(appointment.competent_body)


def appraisal_reviewers(appointment: Appointment) -> QuerySet:
    """Who may approve the appraisal: the organisation board and the competent body, less the
    person who prepared the dossier (separation of duties)."""
    people = org_board_members(appointment) | competent_members(appointment)
    if appointment.prepared_by_id:
        people = people.exclude(pk=appointment.prepared_by_id)
    return people.distinct()


def leadership_for(unit) -> Committee | None:
    """The unit's leadership collective, if it has one (steps 1 and 3)."""
    return Committee.objects.filter(unit=unit, kind=CommitteeKind.LEADERSHIP).order_by("pk").first()


def appointment_get_for_user(*, user, pk) -> Appointment:
    """The procedure if it is in the user's scope; 404 otherwise (never 403: that confirms it
    exists)."""
    from django.http import Http404

    try:
        return appointments_for_user(user=user).get(pk=pk)
    except (Appointment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def chair_of(committee) -> object | None:
    if committee is None:
        return None
    membership = (
        CommitteeMembership.objects.filter(
            active_on(timezone.localdate()), committee=committee, role=MembershipRole.CHAIR
        )
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def members_of(committee) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(
            memberships__in=CommitteeMembership.objects.filter(
                active_on(timezone.localdate()), committee=committee
            ),
            is_active=True,
        )
        .distinct()
    )


def appointment_url(appointment: Appointment) -> str:
    from django.urls import reverse

    return reverse("appointments:appointment:detail", kwargs={"appointment_id": appointment.pk})


def may_read_dossier(*, user, appointment: Appointment) -> bool:
    """Who reads the dossier (asset declarations, Party-cell comments) and the gate results of
    an appointment already in the user's scope: the organisation board, the competent body and
    the inspection committee's auditors (who review the whole decision history) — not every
    committee member whose scope covers the unit."""
    from personnel.audit.selectors import can_explore
    from workflows.core.services import is_org_board_for

    return (
        user.is_superuser
        or is_org_board_for(user, appointment.unit)
        or competent_members(appointment).filter(pk=user.pk).exists()
        or can_explore(user=user)
    )
