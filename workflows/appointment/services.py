"""Writes of the appointment procedure. Keyword-only; each checks who may act, locks the
process, writes its audit event in the same transaction and notifies after commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from viewflow.workflow.status import STATUS

from notifications import kinds
from notifications.services import notify
from personnel.audit.actions import Action
from personnel.audit.context import acting_as
from personnel.audit.services import audit_record
from personnel.models import (
    Cadre,
    CommitteeKind,
    PlanningEntry,
    PlanningStatus,
    PositionHolding,
)
from personnel.selectors import cadres_for_user
from personnel.services import holding_end, holding_start
from workflows.core import rules
from workflows.core import services as core
from workflows.core.deadlines import deadline_meet, deadline_set
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import (
    Ballot,
    BallotKind,
    BallotMode,
    BallotStatus,
    MeetingKind,
    MeetingStatus,
    ParameterKey,
)
from workflows.core.services import is_org_board_for, ruleset_mark_in_use

from . import gates as gate_rules
from . import selectors
from .models import (
    REQUIRED_DOSSIER,
    Appointment,
    AppointmentCandidate,
    AppointmentStep,
    CandidateStatus,
    DossierItem,
    DossierKind,
    GateOverride,
    Source,
    Stage,
    StepCode,
)

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
            leadership=selectors.leadership_for(unit),
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


# --------------------------------------------------------------------------- notifications

DECISION_ISSUED = kinds.register(
    kinds.Kind(
        "appointment.decision_issued",
        title=gettext_lazy("Appointment decided: %(post)s"),
        body=gettext_lazy("Decision %(number)s: %(cadre)s, effective %(effective)s."),
        label=gettext_lazy("An appointment decision is issued"),
        email_default=True,
    )
)
DOSSIER_MISSING = kinds.register(
    kinds.Kind(
        "appointment.dossier_missing",
        title=gettext_lazy("Dossier incomplete: %(post)s"),
        body=gettext_lazy("%(count)s documents are still missing before the appraisal."),
        label=gettext_lazy("Documents are missing from an appointment dossier"),
        email_default=True,
    )
)
CANDIDATE_WITHDRAWN = kinds.register(
    kinds.Kind(
        "appointment.withdrawn",
        title=gettext_lazy("Appointment stopped: %(post)s"),
        body=gettext_lazy("The candidate was withdrawn."),
        label=gettext_lazy("An appointment procedure is stopped by a withdrawal"),
        email_default=True,
    )
)

# --------------------------------------------------------------------------- helpers


#: the node of each step, by code
def _node(code: str):
    from .flows import AppointmentFlow

    return getattr(AppointmentFlow, "final_vote" if code == StepCode.FINAL else code)


STEP_ORDER = {
    Source.INTERNAL: [StepCode.STEP1, StepCode.STEP2, StepCode.STEP3, StepCode.STEP4],
    Source.EXTERNAL: [StepCode.CONVERSATION, StepCode.CONSULTATION, StepCode.VERIFICATION],
}
MEETING_STEPS = {StepCode.STEP1, StepCode.STEP2, StepCode.STEP3, StepCode.STEP4, StepCode.FINAL}
STAGE_AFTER = {
    StepCode.STEP1: Stage.STEP1_DONE,
    StepCode.STEP2: Stage.STEP2_DONE,
    StepCode.STEP3: Stage.STEP3_DONE,
    StepCode.STEP4: Stage.STEP4_DONE,
}
FINISHED = {Stage.DECISION_ISSUED, Stage.CLOSED_REJECTED, Stage.CLOSED_FAILED, Stage.WITHDRAWN}


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("position", "unit", "competent_body", "ruleset")
        .get(pk=appointment.pk)
    )


def open_node_names(appointment: Appointment) -> set[str]:
    """Names of the flow nodes with an open task (one query)."""
    return {
        task.flow_task.name
        for task in appointment.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    }


def current_step(appointment: Appointment, open_nodes: set[str] | None = None) -> str | None:
    """The code of the step whose task is open (meeting steps, external records, final vote).
    ``open_nodes``: ``open_node_names(appointment)``, when the caller has it."""
    if open_nodes is None:
        open_nodes = open_node_names(appointment)
    for code in [*STEP_ORDER[appointment.source], StepCode.FINAL]:
        if _node(code).name in open_nodes:
            return code
    return None


def _require_board(actor, appointment: Appointment) -> None:
    if not is_org_board_for(actor, appointment.unit):
        raise Forbidden(_("Only the organisation board of this unit can do this."))


def _require_open(appointment: Appointment) -> None:
    if appointment.stage in FINISHED or appointment.finished is not None:
        raise Conflict(_("This appointment procedure has ended."))


def _expect(step: str | None, code: str | None) -> None:
    """The page posted for ``step``; if the procedure has moved on meanwhile (someone else
    acted first), say so instead of acting on the next step."""
    if step is not None and step != code:
        raise Conflict(_("This step has already been dealt with by someone else: reload the page."))


def _require_chair(actor, appointment: Appointment) -> None:
    if selectors.competent_chair(appointment) != actor:
        raise Forbidden(_("Only the chair of the competent body can do this."))


def gates_for(appointment: Appointment, cadre: Cadre, *, final: bool = False):
    """The gates for ``cadre`` now; before the final vote, with the dossier."""
    today = timezone.localdate()
    received = (
        timezone.localdate(appointment.appraisal_submitted_at)
        if appointment.appraisal_submitted_at
        else today
    )
    return gate_rules.evaluate_gates(
        cadre=cadre,
        position=appointment.position,
        ruleset=appointment.ruleset,
        on_date=today,
        dossier_received_on=received,
        dossier_complete=(not dossier_missing(appointment)) if final else None,
        first_appointment_or_higher=gate_rules.is_first_appointment_or_higher(
            cadre=cadre, position=appointment.position, on_date=today
        ),
    )


def _snapshot(results) -> list[dict]:
    return [
        {
            "code": r.code,
            "passed": r.passed,
            "message": r.message,
            "source": r.source,
            "overridable": r.overridable,
        }
        for r in results
    ]


def _overridden(appointment: Appointment, cadre_id: int) -> set[str]:
    return set(
        GateOverride.objects.filter(appointment=appointment, cadre_id=cadre_id).values_list(
            "gate", flat=True
        )
    )


def _blocked_message(blocked: dict) -> str:
    """One line per cadre: the gates that block, each with its rule and source."""
    lines = []
    for cadre, results in blocked.items():
        reasons = "; ".join(f"{r.label}: {r.message} ({r.source})" for r in results)
        lines.append(f"{cadre}: {reasons}")
    return _("Blocked by the eligibility gates — %(lines)s") % {"lines": " | ".join(lines)}


def _check_gates(appointment: Appointment, candidates, *, final: bool) -> None:
    blocked = {}
    for candidate in candidates:
        results = gates_for(appointment, candidate.cadre, final=final)
        if final:
            candidate.gates_before_final = _snapshot(results)
        else:
            candidate.gates_at_start = _snapshot(results)
        candidate.save(update_fields=["gates_before_final" if final else "gates_at_start"])
        stops = gate_rules.blocking(
            results, overridden=_overridden(appointment, candidate.cadre_id)
        )
        if stops:
            blocked[candidate.cadre] = stops
    if blocked:
        raise Invalid(_blocked_message(blocked))


def _active(appointment: Appointment):
    return appointment.candidates.filter(status=CandidateStatus.ACTIVE).select_related("cadre")


def _last_step(appointment: Appointment, code: str) -> AppointmentStep | None:
    return appointment.steps.filter(code=code).order_by("-pk").first()


# --------------------------------------------------------------------------- candidates, gates


def candidates_set(*, actor, appointment: Appointment, cadres: Sequence[Cadre]) -> Appointment:
    """The organisation board's list of cadres for step 1 (internal: the planned source; external:
    the one person proposed). The gates run for each and are kept with the candidate; a cadre a
    gate blocks may stay on the list (the page shows why) but step 1 cannot be called until the
    gate passes or the competent body waives it."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        _require_board(actor, appointment)
        step = current_step(appointment)
        first = STEP_ORDER[appointment.source][0]
        if step != first or appointment.steps.filter(code=first, recorded_at__isnull=True).exists():
            raise Conflict(_("The list of candidates can no longer change."))
        ids = list(dict.fromkeys(c.pk for c in cadres))
        if not ids:
            raise Invalid(_("List at least one candidate."))
        if appointment.source == Source.EXTERNAL and len(ids) != 1:
            raise Invalid(_("An external-source appointment considers one person."))
        found = list(cadres_for_user(user=actor).filter(pk__in=ids))
        if len(found) != len(ids):
            raise Invalid(_("A candidate is outside your scope."))
        before = sorted(appointment.candidates.values_list("cadre_id", flat=True))
        appointment.candidates.exclude(cadre_id__in=ids).delete()
        for cadre in found:
            candidate, _created = AppointmentCandidate.objects.get_or_create(
                appointment=appointment, cadre=cadre
            )
            candidate.gates_at_start = _snapshot(gates_for(appointment, cadre))
            candidate.status = CandidateStatus.ACTIVE
            candidate.save(update_fields=["gates_at_start", "status"])
        if appointment.source == Source.EXTERNAL:
            appointment.candidate = found[0]
            appointment.save(update_fields=["candidate"])
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_CANDIDATES,
            appointment=appointment,
            changes={"candidates": [before, sorted(ids)]},
        )
    return Appointment.objects.get(pk=appointment.pk)


def gate_override(
    *, actor, appointment: Appointment, cadre: Cadre, gate: str, reason: str
) -> GateOverride:
    """The competent body's special case (its chair records it, with a written reason): lifts
    one overridable gate (planning, time in post, full term) for one candidate."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        _require_chair(actor, appointment)
        if gate not in gate_rules.OVERRIDABLE:
            raise Invalid(_("This gate cannot be waived: it is a hard rule."))
        if not reason.strip():
            raise Invalid(_("A special case needs a written reason."))
        if not appointment.candidates.filter(cadre=cadre).exists():
            raise Invalid(_("This cadre is not a candidate in this procedure."))
        failed = {r.code for r in gates_for(appointment, cadre) if not r.passed}
        if gate not in failed:
            raise Invalid(_("This gate passes for the cadre: there is nothing to waive."))
        if GateOverride.objects.filter(appointment=appointment, cadre=cadre, gate=gate).exists():
            raise Conflict(_("This gate has already been waived for the cadre."))
        override = GateOverride.objects.create(
            appointment=appointment, cadre=cadre, gate=gate, reason=reason.strip(), decided_by=actor
        )
        audit_record(
            actor=actor,
            action=Action.APPOINTMENT_GATE_OVERRIDE,
            target=override,
            process=appointment.pk,
            procedure="appointment",
            cadre=cadre.pk,
            changes={"gate": [None, gate]},
            reason=reason.strip(),
        )
    return override


# --------------------------------------------------------------------------- steps with meetings


def _step_meeting(appointment: Appointment, code: str):
    """(meeting kind, body, chair) for a step."""
    leadership = appointment.leadership or appointment.competent_body
    head = selectors.chair_of(leadership) or selectors.competent_chair(appointment)
    if code == StepCode.FINAL:
        kind = (
            MeetingKind.STANDING_COMMITTEE
            if appointment.competent_body.kind == CommitteeKind.STANDING
            else MeetingKind.LEADERSHIP_COLLECTIVE
        )
        return kind, appointment.competent_body, selectors.competent_chair(appointment)
    if code in (StepCode.STEP1, StepCode.STEP3):
        return MeetingKind.LEADERSHIP_COLLECTIVE, leadership, head
    if code == StepCode.STEP2:
        return MeetingKind.EXPANDED_COLLECTIVE, None, head
    return MeetingKind.KEY_OFFICIALS, None, head


def _default_roster(appointment: Appointment):
    """Who an ad-hoc meeting (steps 2 and 4) summons when the board names nobody: the
    leadership collective and the competent body."""
    leadership = appointment.leadership or appointment.competent_body
    people = selectors.members_of(leadership) | selectors.competent_members(appointment)
    return list(people.distinct())


def step_call(
    *,
    actor,
    appointment: Appointment,
    scheduled_at: dt.datetime,
    place: str = "",
    summoned: Sequence | None = None,
    mode: str = BallotMode.ELECTRONIC,
    step: str | None = None,
) -> AppointmentStep:
    """The organisation board calls the current step's meeting with its ballot on the engine.
    The meeting then runs on its own pages (convene, attendance, open, vote, close); quorum
    failure adjourns it and the chair reconvenes the same meeting. Before the final vote the
    gates run again, the dossier included."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        _require_board(actor, appointment)
        code = current_step(appointment)
        _expect(step, code)
        if code not in MEETING_STEPS:
            raise Conflict(_("No step is waiting for a meeting."))
        if appointment.steps.filter(code=code, recorded_at__isnull=True).exists():
            raise Conflict(_("This step's meeting has already been called."))
        candidates = list(_active(appointment))
        if not candidates:
            raise Invalid(_("List the candidates first."))
        if code == StepCode.STEP1:
            _check_gates(appointment, candidates, final=False)
        if code == StepCode.FINAL:
            _check_gates(appointment, candidates, final=True)
        kind, body, chair = _step_meeting(appointment, code)
        if chair is None:
            raise Invalid(_("The meeting has no chair: the collective has no head today."))
        label = StepCode(code).label
        title = f"{label} — {appointment.position.title}"
        roster = summoned
        if body is None and not roster:
            roster = _default_roster(appointment)
        try:
            meeting = core.meeting_create(
                actor=actor,
                title=title[:200],
                kind=kind,
                unit=appointment.unit,
                ruleset=appointment.ruleset,
                chair=chair,
                scheduled_at=scheduled_at,
                body=body,
                competent_body=appointment.competent_body,
                summoned=roster if body is None else None,
                place=place,
            )
            cadres = [c.cadre for c in candidates]
            if code == StepCode.STEP1:
                names = ", ".join(str(c) for c in cadres)
                ballot = core.ballot_create(
                    actor=actor,
                    meeting=meeting,
                    kind=BallotKind.APPROVAL,
                    mode=mode,
                    title=str(label)[:200],
                    motion=(
                        _("Approve the criteria and the list of eligible cadres: %(names)s")
                        % {"names": names}
                    )[:200],
                )
            elif code == StepCode.FINAL:
                ballot = core.ballot_create(
                    actor=actor,
                    meeting=meeting,
                    kind=BallotKind.APPROVAL,
                    mode=mode,
                    title=str(label)[:200],
                    cadres=cadres,
                )
            else:
                ballot = core.ballot_create(
                    actor=actor,
                    meeting=meeting,
                    kind=BallotKind.NOMINATION,
                    mode=mode,
                    title=str(label)[:200],
                    cadres=cadres,
                )
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages)) from exc
        step = AppointmentStep.objects.create(
            appointment=appointment, code=code, meeting=meeting, ballot=ballot
        )
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_STEP_CALL,
            appointment=appointment,
            changes={"step": [None, code], "meeting": [None, meeting.pk]},
        )
    return step


def tie_decide(
    *,
    actor,
    appointment: Appointment,
    approve: bool,
    differing_opinions: str,
    step: str | None = None,
) -> AppointmentStep:
    """Exactly 50 % in a collective vote (step 1 or the final vote): the head of the meeting
    decides and reports every differing opinion (I-3)."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        code = current_step(appointment)
        _expect(step, code)
        step = _last_step(appointment, code) if code else None
        if step is None or step.ballot is None or step.recorded_at is not None:
            raise Conflict(_("No vote of this procedure awaits the head's decision."))
        if rules.get(appointment.ruleset, ParameterKey.TIE_RULE) != "head_decides":
            raise Conflict(_("Under this rule-set a tie is not decided by the head."))
        core.ballot_head_decide(
            actor=actor,
            ballot=step.ballot,
            decision=str(APPROVED if approve else REJECTED),
            differing_opinions=differing_opinions,
        )
        step.outcome = {**step.outcome, "head_approves": approve}
        step.save(update_fields=["outcome"])
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_TIE_DECIDE,
            appointment=appointment,
            changes={"head_approves": [None, approve]},
        )
    return step


def _approval_passed(step: AppointmentStep, ballot: Ballot) -> list[int]:
    """Ballot candidate ids approved (a tie counts as the head decided)."""
    passed = []
    for candidate_id, verdict in ballot.outcome["result"].items():
        if verdict == "tied":
            if "head_approves" not in step.outcome:
                raise Conflict(
                    _("The vote is tied at exactly 50 %%: the head must decide it first.")
                )
            if step.outcome["head_approves"]:
                passed.append(int(candidate_id))
        elif verdict == "approved":
            passed.append(int(candidate_id))
    return passed


def step_record(
    *, actor, appointment: Appointment, note: str = "", step: str | None = None
) -> AppointmentStep:
    """Record the outcome of the current step's closed ballot and move on (or, when the vote
    produced nobody or rejected the list, keep the step open to be called again)."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        _require_board(actor, appointment)
        code = current_step(appointment)
        _expect(step, code)
        if code not in MEETING_STEPS:
            raise Conflict(_("No step is waiting for a vote to be recorded."))
        step = _last_step(appointment, code)
        if step is None or step.recorded_at is not None:
            raise Conflict(_("Call this step's meeting first."))
        ballot = Ballot.objects.select_related("meeting").get(pk=step.ballot_id)
        if ballot.status != BallotStatus.CLOSED:
            if ballot.meeting.status == MeetingStatus.ADJOURNED:
                raise Conflict(
                    _("The meeting was adjourned (no quorum?): the chair reconvenes it first.")
                )
            raise Conflict(_("The step's ballot is not closed yet."))
        by_candidate = dict(ballot.candidates.values_list("pk", "cadre_id"))
        outcome: dict = {"result": "", "forward": []}
        stage = appointment.stage
        done = True
        if code == StepCode.STEP1:
            passed = _approval_passed(step, ballot)
            outcome["result"] = "approved" if passed else "rejected"
            done = bool(passed)
            if done:
                outcome["forward"] = list(_active(appointment).values_list("cadre_id", flat=True))
        elif code == StepCode.FINAL:
            passed = _approval_passed(step, ballot)
            approvals = {
                row["candidate"]: row["counts"].get("approve", 0)
                for row in ballot.outcome["candidates"]
            }
            passed.sort(key=lambda pk: -approvals.get(pk, 0))
            outcome["result"] = "passed" if passed else "failed"
            outcome["forward"] = [by_candidate[passed[0]]] if passed else []
        else:
            result = ballot.outcome["result"]
            goes = [
                by_candidate[pk]
                for pk in [*result["nominated"], *result["forward"], *result["tied_at_cut"]]
                if by_candidate.get(pk)
            ]
            if code == StepCode.STEP4:
                # Key officials give their opinion: it is recorded for the final vote, and
                # nobody is dropped by it.
                goes = list(_active(appointment).values_list("cadre_id", flat=True))
            outcome["result"] = result["result"]
            outcome["forward"] = goes
            done = bool(goes)
        step.outcome = {**step.outcome, **outcome}
        step.note = note.strip()
        step.recorded_at = timezone.now()
        step.recorded_by = actor
        step.save(update_fields=["outcome", "note", "recorded_at", "recorded_by"])
        if done:
            forward = set(outcome["forward"])
            for cadre_id in forward - set(
                appointment.candidates.values_list("cadre_id", flat=True)
            ):
                # Written in at step 3: another cadre who meets the standards.
                cadre = Cadre.objects.get(pk=cadre_id)
                AppointmentCandidate.objects.create(
                    appointment=appointment,
                    cadre=cadre,
                    gates_at_start=_snapshot(gates_for(appointment, cadre)),
                )
            appointment.candidates.filter(status=CandidateStatus.ACTIVE).exclude(
                cadre_id__in=forward
            ).update(status=CandidateStatus.NOT_CARRIED)
            if code == StepCode.FINAL:
                if forward:
                    stage = Stage.VOTE_PASSED
                    appointment.candidate_id = outcome["forward"][0]
                else:
                    stage = Stage.CLOSED_FAILED
                    appointment.closed_reason = str(_("The final vote did not pass."))
            else:
                stage = STAGE_AFTER[code]
                if len(forward) == 1:
                    appointment.candidate_id = next(iter(forward))
            appointment.stage = stage
            appointment.save(update_fields=["stage", "candidate", "closed_reason"])
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_STEP_RECORD,
            appointment=appointment,
            # Who goes forward and the result's category, never a count of a sealed step.
            changes={"step": [None, code], "result": [None, outcome["result"]]},
            reason=note.strip(),
        )
        if done:
            task_complete(task=_open_task(appointment, _node(code)), actor=actor)
            if code == StepCode.STEP4:
                _notify_missing(appointment)
    return step


def external_record(
    *, actor, appointment: Appointment, note: str, step: str | None = None
) -> AppointmentStep:
    """External source (§7.7): the conversation with the candidate, the consultation of their
    current unit, the background verification — each a written record by the board."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        _require_board(actor, appointment)
        code = current_step(appointment)
        _expect(step, code)
        if code not in STEP_ORDER[Source.EXTERNAL]:
            raise Conflict(_("No conversation or verification step is waiting."))
        if appointment.candidate_id is None:
            raise Invalid(_("Name the candidate first."))
        if not note.strip():
            raise Invalid(_("Write what was said and concluded."))
        if code == StepCode.CONVERSATION:
            _check_gates(appointment, list(_active(appointment)), final=False)
        step = AppointmentStep.objects.create(
            appointment=appointment,
            code=code,
            note=note.strip(),
            recorded_at=timezone.now(),
            recorded_by=actor,
            outcome={"result": "recorded", "forward": [appointment.candidate_id]},
        )
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_STEP_RECORD,
            appointment=appointment,
            changes={"step": [None, code]},
            reason=note.strip(),
        )
        task_complete(task=_open_task(appointment, _node(code)), actor=actor)
        if code == StepCode.VERIFICATION:
            _notify_missing(appointment)
    return step


# --------------------------------------------------------------------------- dossier, appraisal


def dossier_missing(appointment: Appointment) -> list[str]:
    """The §7.8 documents not uploaded yet (vote summaries are generated from the steps)."""
    have = set(appointment.dossier.values_list("kind", flat=True))
    return [k.value for k in REQUIRED_DOSSIER if k.value not in have]


def _notify_missing(appointment: Appointment) -> None:
    missing = dossier_missing(appointment)
    if missing:
        notify(
            recipients=selectors.org_board_members(appointment),
            kind=DOSSIER_MISSING,
            params={"post": appointment.position.title, "count": len(missing)},
            link=selectors.appointment_url(appointment),
            dedupe_key=f"appointment:{appointment.pk}:dossier:{len(missing)}",
        )


_MAGIC = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
}


def _validate_upload(upload) -> tuple[str, str]:
    """(extension, content type) of an allowed document, checked by its first bytes too."""
    name = PurePath(upload.name or "").name
    suffix = PurePath(name).suffix.lower()
    allowed = settings.DOSSIER_CONTENT_TYPES
    if suffix not in allowed:
        raise Invalid(
            _("This kind of file is not accepted. Upload one of: %(kinds)s.")
            % {"kinds": ", ".join(sorted(allowed))}
        )
    if upload.size == 0:
        raise Invalid(_("The file is empty."))
    if upload.size > settings.DOSSIER_MAX_BYTES:
        raise Invalid(
            _("The file is too large: at most %(mb)s MB.")
            % {"mb": settings.DOSSIER_MAX_BYTES // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in _MAGIC.get(suffix, (b"",))):
        raise Invalid(
            _("The file's content does not match its type (%(suffix)s).") % {"suffix": suffix}
        )
    return suffix, allowed[suffix]


def dossier_add(*, actor, appointment: Appointment, kind: str, upload) -> DossierItem:
    """Add a document to the dossier. Stored on disk under a random name (``MEDIA_ROOT``), never
    in the database; type and size are checked."""
    from .flows import AppointmentFlow

    if kind not in DossierKind.values:
        raise Invalid(_("Choose which document this is."))
    _suffix, content_type = _validate_upload(upload)
    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        _require_board(actor, appointment)
        if appointment.stage in (Stage.POLICY_REQUESTED, Stage.APPRAISED, Stage.VOTE_PASSED):
            raise Conflict(_("The dossier cannot change at this stage."))
        item = DossierItem(
            appointment=appointment,
            kind=kind,
            filename=PurePath(upload.name).name[:200],
            size=upload.size,
            content_type=content_type,
            uploaded_by=actor,
        )
        item.file.save(upload.name, upload, save=False)
        try:
            item.save()
            audit_record(
                actor=actor,
                action=Action.APPOINTMENT_DOSSIER_UPLOAD,
                target=item,
                process=appointment.pk,
                procedure="appointment",
                cadre=appointment.candidate_id,
                changes={
                    "kind": [None, kind],
                    "file": [None, item.filename],
                    "size": [None, item.size],
                },
            )
        except BaseException:
            # The row is rolled back: the file must not stay behind.
            item.file.storage.delete(item.file.name)
            raise
    return item


def dossier_open(*, user, appointment: Appointment, item_id) -> DossierItem:
    """A dossier document for a reader allowed to see it (``selectors.may_read_dossier``);
    the reading is audited, like opening a cadre's record. ``DossierItem.DoesNotExist`` for
    anyone else or any other id, so the page answers 404."""
    if not selectors.may_read_dossier(user=user, appointment=appointment):
        raise DossierItem.DoesNotExist
    item = appointment.dossier.get(pk=item_id)
    with transaction.atomic():
        audit_record(
            actor=user,
            action=Action.APPOINTMENT_DOSSIER_READ,
            target=item,
            process=appointment.pk,
            procedure="appointment",
            cadre=appointment.candidate_id,
        )
    return item


def appraisal_submit(
    *, actor, appointment: Appointment, standing_evaluation: str, new_issues_conclusion: str
) -> Appointment:
    """The board submits the appraisal: the dossier complete, the standing committee's written
    evaluation and its conclusion on newly arising issues recorded, the gates passed again.
    The submitter becomes the dossier's preparer, who cannot approve it."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        _require_board(actor, appointment)
        task = _open_task(appointment, AppointmentFlow.appraisal)
        if task is None:
            raise Conflict(_("The appraisal is not waiting to be submitted."))
        missing = dossier_missing(appointment)
        if missing:
            raise Invalid(
                _("The dossier is incomplete: %(items)s.")
                % {"items": ", ".join(str(DossierKind(k).label) for k in missing)}
            )
        if not standing_evaluation.strip() or not new_issues_conclusion.strip():
            raise Invalid(
                _(
                    "Record the standing committee's written evaluation and its conclusion on "
                    "newly arising issues."
                )
            )
        appointment.appraisal_submitted_at = timezone.now()
        _check_gates(appointment, list(_active(appointment)), final=True)
        appointment.standing_evaluation = standing_evaluation.strip()
        appointment.new_issues_conclusion = new_issues_conclusion.strip()
        appointment.prepared_by = actor
        appointment.save(
            update_fields=[
                "appraisal_submitted_at",
                "standing_evaluation",
                "new_issues_conclusion",
                "prepared_by",
            ]
        )
        _audit(actor=actor, action=Action.APPOINTMENT_APPRAISAL, appointment=appointment)
        task_complete(task=task, actor=actor)
    return Appointment.objects.get(pk=appointment.pk)


def appraisal_review(
    *, actor, appointment: Appointment, approve: bool, note: str = ""
) -> Appointment:
    """Someone other than the preparer (organisation board or competent body) approves the
    appraisal, or sends it back with a reason."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        task = _open_task(appointment, AppointmentFlow.appraisal_review)
        if task is None:
            raise Conflict(_("No appraisal is waiting for approval."))
        if actor.pk == appointment.prepared_by_id:
            raise Forbidden(_("Whoever prepared the dossier cannot approve its appraisal."))
        if not selectors.appraisal_reviewers(appointment).filter(pk=actor.pk).exists():
            raise Forbidden(
                _("Only the organisation board or the competent body approves the appraisal.")
            )
        if not approve and not note.strip():
            raise Invalid(_("Say what must be corrected."))
        before = appointment.stage
        if approve:
            appointment.stage = Stage.APPRAISED
            appointment.appraisal_approved_by = actor
        appointment.appraisal_note = note.strip()
        appointment.save(update_fields=["stage", "appraisal_approved_by", "appraisal_note"])
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_APPRAISAL_REVIEW,
            appointment=appointment,
            changes={"stage": [before, appointment.stage]},
            reason=note.strip(),
        )
        task_complete(task=task, actor=actor)
    return Appointment.objects.get(pk=appointment.pk)


# --------------------------------------------------------------------------- decision, withdrawal


def decision_issue(
    *,
    actor,
    appointment: Appointment,
    number: str,
    decision_date: dt.date,
    effective_date: dt.date,
    ends_previous: bool = True,
) -> Appointment:
    """The competent chair signs the decision: the cadre holds the post from the effective date
    for a term (5 years), and their planning entry for the post is fulfilled. Unless the
    decision keeps them in it concurrently (``ends_previous=False``), the posts they held end
    the day before."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        task = _open_task(appointment, AppointmentFlow.decide)
        if task is None or appointment.stage != Stage.VOTE_PASSED:
            raise Conflict(_("No decision is waiting to be issued."))
        _require_chair(actor, appointment)
        if not number.strip():
            raise Invalid(_("Give the decision's number."))
        if effective_date < decision_date:
            raise Invalid(_("The decision cannot take effect before it is signed."))
        cadre = appointment.candidate
        ended = []
        try:
            if ends_previous:
                for previous in PositionHolding.objects.filter(
                    cadre=cadre, ended_on__isnull=True, started_on__lt=effective_date
                ).exclude(position=appointment.position):
                    holding_end(
                        actor=actor,
                        holding=previous,
                        ended_on=effective_date - dt.timedelta(days=1),
                    )
                    ended.append(previous.pk)
            holding = holding_start(
                actor=actor,
                cadre=cadre,
                position=appointment.position,
                started_on=effective_date,
                decision_ref=number.strip(),
            )
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages)) from exc
        fulfilled = list(
            PlanningEntry.objects.filter(
                Q(position=appointment.position), cadre=cadre, status=PlanningStatus.APPROVED
            ).values_list("pk", flat=True)
        )
        PlanningEntry.objects.filter(pk__in=fulfilled).update(status=PlanningStatus.FULFILLED)
        appointment.stage = Stage.DECISION_ISSUED
        appointment.decision_number = number.strip()
        appointment.decision_date = decision_date
        appointment.effective_date = effective_date
        appointment.term_end = holding.term_ends_on
        appointment.save(
            update_fields=[
                "stage",
                "decision_number",
                "decision_date",
                "effective_date",
                "term_end",
            ]
        )
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_DECISION,
            appointment=appointment,
            changes={
                "stage": [Stage.VOTE_PASSED, Stage.DECISION_ISSUED],
                "decision_number": [None, appointment.decision_number],
                "effective_date": [None, effective_date.isoformat()],
                "planning_fulfilled": [None, fulfilled],
                "holdings_ended": [None, ended],
            },
        )
        task_complete(task=task, actor=actor)
        people = set(selectors.org_board_members(appointment)) | set(
            selectors.competent_members(appointment)
        )
        if cadre.user_id:
            people.add(cadre.user)
        notify(
            recipients=[p for p in people if p.pk != actor.pk],
            kind=DECISION_ISSUED,
            params={
                "post": appointment.position.title,
                "number": appointment.decision_number,
                "cadre": str(cadre),
                "effective": effective_date.isoformat(),
            },
            link=selectors.appointment_url(appointment),
        )
    return Appointment.objects.get(pk=appointment.pk)


def appointment_withdraw(*, actor, appointment: Appointment, reason: str) -> Appointment:
    """Stop the procedure at any point (e.g. an investigation opens): the organisation board or
    the competent chair, with a reason. Open tasks are cancelled and the time limit disarmed."""
    from .flows import AppointmentFlow, disarm_timer

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_open(appointment)
        if not (
            is_org_board_for(actor, appointment.unit)
            or selectors.competent_chair(appointment) == actor
        ):
            raise Forbidden(
                _("Only the organisation board or the competent chair can withdraw a candidate.")
            )
        if not reason.strip():
            raise Invalid(_("Give the reason for the withdrawal."))
        before = appointment.stage
        disarm_timer(appointment)
        AppointmentFlow.instance.cancel(appointment)
        limit_disarm(appointment=appointment)
        appointment.refresh_from_db(fields=["status", "finished"])
        appointment.stage = Stage.WITHDRAWN
        appointment.closed_reason = reason.strip()
        appointment.save(update_fields=["stage", "closed_reason"])
        appointment.candidates.filter(status=CandidateStatus.ACTIVE).update(
            status=CandidateStatus.WITHDRAWN, reason=reason.strip()
        )
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_WITHDRAW,
            appointment=appointment,
            changes={"stage": [before, Stage.WITHDRAWN]},
            reason=reason.strip(),
        )
        people = set(selectors.org_board_members(appointment)) | set(
            selectors.competent_members(appointment)
        )
        notify(
            recipients=[p for p in people if p.pk != actor.pk],
            kind=CANDIDATE_WITHDRAWN,
            params={"post": appointment.position.title},
            link=selectors.appointment_url(appointment),
        )
    return Appointment.objects.get(pk=appointment.pk)


def limit_report(*, actor, appointment: Appointment, report: str) -> Appointment:
    """The board explains why the time limit passed and reports it to the competent level."""
    from .flows import AppointmentFlow

    with transaction.atomic(), acting_as(actor), AppointmentFlow.lock(appointment.pk):
        appointment = _locked(appointment)
        _require_board(actor, appointment)
        task = _open_task(appointment, AppointmentFlow.explain_and_report)
        if task is None:
            raise Conflict(_("No report on the time limit is waiting."))
        if not report.strip():
            raise Invalid(_("Write the explanation."))
        _audit(
            actor=actor,
            action=Action.APPOINTMENT_REPORT,
            appointment=appointment,
            reason=report.strip(),
        )
        task_complete(task=task, actor=actor)
    return Appointment.objects.get(pk=appointment.pk)
