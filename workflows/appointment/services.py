"""Writes of the appointment procedure. Keyword-only; each checks who may act, locks the
process, writes its audit event in the same transaction and notifies after commit."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from viewflow.workflow.status import STATUS

from notifications import kinds
from notifications.services import notify
from personnel.audit.actions import Action
from personnel.audit.context import acting_as
from personnel.audit.services import audit_record
from workflows.core import rules
from workflows.core.deadlines import deadline_meet, deadline_set
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import ParameterKey
from workflows.core.services import is_org_board_for, ruleset_mark_in_use

from . import selectors
from .models import Appointment, Source, Stage

POLICY_DECIDED = kinds.register(
    kinds.Kind(
        "appointment.policy_decided",
        title=gettext_lazy("Policy decided: %(post)s"),
        body=gettext_lazy("%(decision)s"),
        label=gettext_lazy("A policy request for an appointment is decided"),
        email_default=True,
        translated=("decision",),
    )
)
LIMIT_TITLE = gettext_noop("Complete the appointment procedure")
APPROVED, REJECTED = gettext_noop("Approved"), gettext_noop("Rejected")


def _audit(*, actor, action: Action, appointment: Appointment, **extra) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=appointment,
        process=appointment.pk,
        procedure="appointment",
        cadre=appointment.candidate_id,
        **extra,
    )


def appointment_start(
    *, actor, position, source: str, memo: str, track: str | None = None, ruleset=None
) -> Appointment:
    """The organisation board of the post's unit asks the competent body for the policy."""
    from .flows import AppointmentFlow

    competent = position.managing_committee
    if competent is None:
        raise Invalid(_("This post has no managing body to decide on its appointment."))
    unit = competent.unit
    if not is_org_board_for(actor, unit):
        raise Forbidden(_("Only the organisation board of this unit can start an appointment."))
    if source not in Source.values:
        raise Invalid(_("Choose an internal or an external source."))
    if not memo.strip():
        raise Invalid(_("The policy request needs its memo."))
    if ruleset is None:
        ruleset = selectors.newest_ruleset(track=track or "party")
        if ruleset is None:
            raise Invalid(_("No rule-set is in force for this track."))
    elif track and ruleset.track != track:
        raise Invalid(_("The rule-set belongs to another track."))
    with transaction.atomic(), acting_as(actor):
        appointment = AppointmentFlow.start.run(
            unit=unit,
            position=position,
            source=source,
            track=ruleset.track,
            ruleset=ruleset,
            competent_body=competent,
            policy_memo=memo.strip(),
            stage=Stage.POLICY_REQUESTED,
            prepared_by=actor,
        )
        ruleset_mark_in_use(ruleset)
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_START,
            appointment=appointment,
            changes={
                "position": [None, position.pk],
                "source": [None, source],
                "ruleset": [None, str(ruleset)],
            },
        )
    return Appointment.objects.get(pk=appointment.pk)


def _open_task(appointment: Appointment, node):
    return (
        appointment.task_set.filter(flow_task=node)
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
        .first()
    )


def appointment_policy_decide(
    *, actor, appointment: Appointment, approve: bool, note: str = ""
) -> Appointment:
    """The competent body's chair approves or rejects the policy. On approval the time limit
    (rule-set, in working days) starts; when it passes, the board must explain and report."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.stage != Stage.POLICY_REQUESTED:
            raise Conflict(_("The policy has already been decided."))
        task = _open_task(appointment, AppointmentFlow.decide_policy)
        if task is None:
            raise Conflict(_("The policy has already been decided."))
        if selectors.competent_chair(appointment) != actor:
            raise Forbidden(_("Only the chair of the competent body decides on the policy."))
        if not approve and not note.strip():
            raise Invalid(_("Give the reason for rejecting the policy request."))
        appointment.stage = Stage.POLICY_APPROVED if approve else Stage.CLOSED_REJECTED
        appointment.policy_decided_at = timezone.now()
        appointment.policy_decision_note = note.strip()
        if not approve:
            appointment.closed_reason = note.strip()
        if approve:
            days = rules.get(appointment.ruleset, ParameterKey.APPOINTMENT_DEADLINE)
            appointment.deadline = deadline_set(
                actor=actor,
                title=LIMIT_TITLE,
                subject=str(appointment.position.title),
                starts_on=timezone.localdate(),
                working_days=days,
                responsible=selectors.org_board_members(appointment),
                source=rules.parameter(
                    appointment.ruleset, ParameterKey.APPOINTMENT_DEADLINE
                ).citation,
                process=appointment,
            )
        appointment.save(
            update_fields=[
                "stage",
                "policy_decided_at",
                "policy_decision_note",
                "closed_reason",
                "deadline",
            ]
        )
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_POLICY_DECIDE,
            appointment=appointment,
            changes={"stage": [Stage.POLICY_REQUESTED, appointment.stage]},
            reason=note.strip(),
        )
        task_complete(task=task, actor=actor)
        notify(
            recipients=selectors.org_board_members(appointment),
            kind=POLICY_DECIDED,
            params={
                "post": appointment.position.title,
                "decision": APPROVED if approve else REJECTED,
            },
        )
    return Appointment.objects.get(pk=appointment.pk)


def task_complete(*, task, actor) -> None:
    """Complete a human task as ``actor`` (claiming it first from the queue), the way its page
    does; the caller holds the process lock and has checked ``actor`` may act."""
    activation = task.flow_task.activation_class(task)
    if task.owner_id is None:
        activation.assign(actor)
    activation.start(None)
    activation.execute()


def limit_disarm(*, appointment: Appointment) -> None:
    """Called when the procedure ends: its time limit is met (reminders stop)."""
    if appointment.deadline_id:
        deadline_meet(actor=None, deadline=appointment.deadline)
