"""Reads for the appointment procedure: who acts, what the user may see."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from personnel.models import CommitteeKind, CommitteeMembership, MembershipRole
from personnel.selectors import active_on, units_for_user
from workflows.core.models import RuleSet

from .models import Appointment


def competent_chair(appointment: Appointment):
    """The chair of the body that decides (today), or None."""
    membership = (
        CommitteeMembership.objects.filter(
            active_on(timezone.localdate()),
            committee=appointment.competent_body,
            role=MembershipRole.CHAIR,
        )
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def org_board_members(appointment: Appointment) -> QuerySet:
    """Active organisation-board staff of the procedure's unit."""
    return (
        get_user_model()
        .objects.filter(
            memberships__in=CommitteeMembership.objects.filter(
                active_on(timezone.localdate()),
                committee__unit=appointment.unit,
                committee__kind=CommitteeKind.ORGANISATION_BOARD,
            ),
            is_active=True,
        )
        .distinct()
    )


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
