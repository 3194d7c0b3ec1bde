"""Writes of training dispatch (domain §5): the plan, its courses, quotas and candidates, the
committee's approval, each cadre's dispatch, and the commitments to serve.

Keyword-only; each checks who may act, takes the process lock (``Flow.lock``: the row with
``SELECT ... FOR UPDATE``, waiting), writes its audit event in the same transaction, completes
the viewflow task and notifies after commit. Refusals are ``workflows.core.errors``: Conflict
409 (the state moved on, a quota is full), Forbidden 403 (not yours to do), Invalid 400 (the
input is wrong), each with a message naming the rule and its numbers.

Who acts:

- the organisation board of the plan's unit (``is_org_board_for``) prepares the plan, records
  each dispatch's decision, enrolment and outcome, and decides on commitment breaches;
- the chair of the competent body (the unit's standing committee unless another is named)
  approves the candidate list for the body — not whoever submitted it, and not a chair who is
  on it (separation of duties);
- nobody records a decision on their own training or their own breach.

Quotas: every candidate takes a seat of the quota of the nearest unit at or above their working
unit that has seats on the course; proposing into a full quota is refused with the numbers
(409). The plan's row lock serialises proposals, so two boards cannot both take the last seat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from viewflow.workflow.status import STATUS

from notifications.kinds import in_every_language
from notifications.services import notify
from personnel.audit.actions import Action
from personnel.audit.context import acting_as
from personnel.audit.services import audit_record
from personnel.models import Cadre, CommitteeKind, OrgUnit, TrainingKind
from personnel.selectors import cadres_for_user
from personnel.services import cadre_update, training_record_add
from workflows.appointment.services import task_complete
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import RuleSet
from workflows.core.services import is_org_board_for, ruleset_mark_in_use

from . import gates as training_gates
from . import notices, selectors
from .gates import CommitmentTerms, Stage
from .models import (
    RUNNING,
    SEATED,
    UNDER_WAY,
    WATCHED,
    BreachDecision,
    BreachState,
    Candidate,
    CandidateStatus,
    Commitment,
    CommitmentBreach,
    CommitmentStatus,
    Course,
    CourseQuota,
    Dispatch,
    DispatchState,
    Outcome,
    PlanStage,
    TrainingPlan,
)

PROCEDURE = "training"
APPROVED, RETURNED = gettext_noop("Approved"), gettext_noop("Returned to the board")


# --------------------------------------------------------------------------- helpers


def _audit(*, actor, action: Action, target, process, unit, **extra) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=target,
        process=process,
        procedure=PROCEDURE,
        unit=unit,
        **extra,
    )


def _open_task(process, node):
    return (
        process.task_set.filter(flow_task=node)
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
        .first()
    )


def _require_board(actor, unit: OrgUnit) -> None:
    if not is_org_board_for(actor, unit):
        raise Forbidden(_("Only the organisation board of this unit can do this."))


def _not_own(actor, cadre: Cadre) -> None:
    if cadre.user_id is not None and cadre.user_id == actor.pk:
        raise Forbidden(_("Nobody records a decision on their own training."))


def _today() -> dt.date:
    return timezone.localdate()


def _not_future(day: dt.date, what: str) -> None:
    if day > _today():
        raise Invalid(_("%(what)s cannot be in the future.") % {"what": what})


def _invalid(exc: ValidationError) -> Invalid:
    return Invalid(" ".join(exc.messages))


# --------------------------------------------------------------------------- the plan


def _locked_plan(plan: TrainingPlan) -> TrainingPlan:
    return (
        TrainingPlan.objects.select_for_update(of=("self",))
        .select_related("unit", "ruleset", "competent_body")
        .get(pk=plan.pk)
    )


def _require_draft(plan: TrainingPlan) -> None:
    from .flows import TrainingPlanFlow

    if plan.stage != PlanStage.DRAFT or _open_task(plan, TrainingPlanFlow.prepare) is None:
        raise Conflict(
            _("The plan is “%(stage)s”: its courses and candidates can no longer change.")
            % {"stage": plan.get_stage_display()}
        )


def plan_open(
    *,
    actor,
    unit: OrgUnit,
    year: int,
    track: str = "party",
    ruleset: RuleSet | None = None,
    competent_body=None,
    note: str = "",
) -> TrainingPlan:
    """The organisation board opens ``unit``'s training plan for ``year``, under the newest
    rule-set of the track (kept to the end, I-24). The unit's standing committee approves the
    list unless another body (of this unit or one above) is named."""
    from .flows import TrainingPlanFlow

    if not is_org_board_for(actor, unit):
        raise Forbidden(_("Only the organisation board of this unit can open a training plan."))
    if ruleset is None:
        ruleset = selectors.newest_ruleset(track=track)
        if ruleset is None:
            raise Invalid(_("No rule-set is in force for this track."))
    elif ruleset.track != track:
        raise Invalid(_("The rule-set belongs to another track."))
    competent_body = competent_body or selectors.standing_for(unit)
    if competent_body is None:
        raise Invalid(_("This unit has no standing committee to approve the plan."))
    if not unit.path.startswith(competent_body.unit.path):
        raise Invalid(_("The competent body must belong to this unit or to a unit above it."))
    if competent_body.kind not in (CommitteeKind.STANDING, CommitteeKind.EXECUTIVE):
        raise Invalid(_("The plan is approved by a standing or an executive committee."))
    with transaction.atomic(), acting_as(actor):
        if (
            TrainingPlan.objects.filter(unit=unit, year=year)
            .exclude(stage=PlanStage.WITHDRAWN)
            .exists()
        ):
            raise Conflict(_("This unit already has a training plan for this year."))
        try:
            with transaction.atomic():
                plan = TrainingPlanFlow.start.run(
                    unit=unit,
                    year=year,
                    track=ruleset.track,
                    ruleset=ruleset,
                    competent_body=competent_body,
                    note=note.strip(),
                    opened_by=actor,
                    stage=PlanStage.DRAFT,
                )
        except IntegrityError:
            raise Conflict(_("This unit already has a training plan for this year.")) from None
        except ValidationError as exc:
            raise _invalid(exc) from exc
        ruleset_mark_in_use(ruleset)
        _audit(
            actor=actor,
            action=Action.TRAINING_PLAN_OPEN,
            target=plan,
            process=plan.pk,
            unit=unit.pk,
            changes={
                "year": [None, year],
                "ruleset": [None, str(ruleset)],
                "competent_body": [None, competent_body.pk],
            },
        )
    return TrainingPlan.objects.get(pk=plan.pk)


def course_add(
    *,
    actor,
    plan: TrainingPlan,
    kind: str,
    level: int | None,
    title: str,
    months: int,
    institution: str = "",
) -> Course:
    """A course of the plan: its kind and the level it leads to (none for fostering)."""
    from .flows import TrainingPlanFlow

    with transaction.atomic(), acting_as(actor), TrainingPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        _require_board(actor, plan.unit)
        _require_draft(plan)
        levels = Course(kind=kind).levels if kind in TrainingKind.values else None
        if kind == TrainingKind.FOSTERING:
            level = None
        elif levels is None or level is None or level not in levels.values or not level:
            raise Invalid(_("Choose the level this course leads to."))
        course = Course(
            plan=plan,
            kind=kind,
            level=level,
            title=title.strip(),
            institution=institution.strip(),
            months=months,
        )
        try:
            course.full_clean()
        except ValidationError as exc:
            raise _invalid(exc) from exc
        course.save()
        _audit(
            actor=actor,
            action=Action.TRAINING_COURSE_ADD,
            target=course,
            process=plan.pk,
            unit=plan.unit_id,
            changes={
                "kind": [None, kind],
                "level": [None, level],
                "title": [None, course.title],
                "months": [None, months],
            },
        )
    return course


def quota_set(
    *, actor, plan: TrainingPlan, course: Course, unit: OrgUnit, seats: int
) -> CourseQuota | None:
    """Give ``unit`` (the plan's unit or one below it) ``seats`` on ``course``; 0 removes its
    quota. Never below the seats its candidates already take (409 with the numbers)."""
    from .flows import TrainingPlanFlow

    with transaction.atomic(), acting_as(actor), TrainingPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        _require_board(actor, plan.unit)
        _require_draft(plan)
        if course.plan_id != plan.pk:
            raise Invalid(_("This course belongs to another plan."))
        if not unit.path.startswith(plan.unit.path):
            raise Invalid(_("Seats go to the plan's unit or to a unit below it."))
        if seats < 0:
            raise Invalid(_("The number of seats cannot be negative."))
        quota = CourseQuota.objects.select_for_update().filter(course=course, unit=unit).first()
        taken = selectors.seated(quota).count() if quota else 0
        if seats < taken:
            raise Conflict(
                _(
                    "%(unit)s already has %(taken)d candidates on %(course)s: its seats cannot "
                    "go below that (asked for %(seats)d). Withdraw candidates first."
                )
                % {"unit": unit.name, "taken": taken, "course": course.title, "seats": seats}
            )
        before = quota.seats if quota else 0
        if seats == 0:
            if quota is not None:
                if quota.candidates.exists():
                    raise Conflict(
                        _("Candidates were charged to these seats: keep at least one seat.")
                    )
                quota.delete()
            result = None
        elif quota is None:
            result = CourseQuota.objects.create(course=course, unit=unit, seats=seats)
        else:
            quota.seats = seats
            quota.save(update_fields=["seats"])
            result = quota
        if before != seats:
            _audit(
                actor=actor,
                action=Action.TRAINING_QUOTA_SET,
                target=course,
                process=plan.pk,
                unit=unit.pk,
                changes={"unit": [None, unit.pk], "seats": [before, seats]},
            )
    return result


def _evaluate(plan: TrainingPlan, candidate: Candidate, *, on_date: dt.date, commitment=None):
    return training_gates.evaluate(
        cadre=candidate.cadre,
        course=candidate.course,
        ruleset=plan.ruleset,
        on_date=on_date,
        off_plan_reason=candidate.off_plan_reason,
        commitment=commitment,
    )


def _with_records(candidates):
    return candidates.select_related(
        "cadre", "cadre__unit", "course", "quota__unit"
    ).prefetch_related(*(f"cadre__{name}" for name in training_gates.GATE_PREFETCH))


def _refresh_gates(plan: TrainingPlan, candidates: Sequence[Candidate]) -> list[str]:
    """Run the gates again for every candidate (on today's records), keep the snapshots, and
    say which block the list."""
    blocked = []
    for candidate in candidates:
        results = _evaluate(plan, candidate, on_date=_today())
        candidate.gates = [r.snapshot(Stage.LIST) for r in results]
        candidate.planning_entry = training_gates.planning_entry(candidate.cadre, _today())
        candidate.save(update_fields=["gates", "planning_entry"])
        stops = training_gates.blocking(results, Stage.LIST)
        if stops:
            reasons = "; ".join(f"{r.label}: {r.message}" for r in stops)
            blocked.append(f"{candidate.cadre} ({candidate.course.title}): {reasons}")
    return blocked


def candidate_propose(
    *, actor, plan: TrainingPlan, course: Course, cadre: Cadre, off_plan_reason: str = ""
) -> Candidate:
    """The board proposes ``cadre`` for ``course``. The cadre takes a seat of their unit's
    quota (409 with the numbers when it is full). A cadre outside the planning pool needs a
    written reason. The gates run and are kept with the proposal: a blocking one stops the
    list's submission, not the proposal, so the board sees why."""
    from .flows import TrainingPlanFlow

    with transaction.atomic(), acting_as(actor), TrainingPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        _require_board(actor, plan.unit)
        _require_draft(plan)
        if course.plan_id != plan.pk:
            raise Invalid(_("This course belongs to another plan."))
        if not cadres_for_user(user=actor).filter(pk=cadre.pk).exists():
            raise Invalid(_("This cadre is outside your scope."))
        cadre = Cadre.objects.select_related("unit").get(pk=cadre.pk)
        if not cadre.unit.path.startswith(plan.unit.path):
            raise Invalid(
                _("%(cadre)s works in %(unit)s, outside the unit of this plan.")
                % {"cadre": cadre, "unit": cadre.unit.name}
            )
        existing = Candidate.objects.filter(course=course, cadre=cadre).first()
        if existing is not None and existing.status in SEATED:
            raise Conflict(_("This cadre is already proposed for this course."))
        quota = selectors.quota_for(course, cadre)
        if quota is None:
            raise Conflict(
                _(
                    "No seats on %(course)s for %(unit)s or a unit above it: give its unit "
                    "seats first (0 seats, 0 free)."
                )
                % {"course": course.title, "unit": cadre.unit.name}
            )
        quota = CourseQuota.objects.select_for_update().select_related("unit").get(pk=quota.pk)
        taken = selectors.seated(quota).count()
        if taken >= quota.seats:
            raise Conflict(
                _(
                    "The quota is full: %(unit)s has %(seats)d seats on %(course)s and "
                    "%(taken)d are taken."
                )
                % {
                    "unit": quota.unit.name,
                    "seats": quota.seats,
                    "course": course.title,
                    "taken": taken,
                }
            )
        draft = Candidate(
            plan=plan,
            course=course,
            quota=quota,
            cadre=cadre,
            off_plan_reason=off_plan_reason.strip(),
            proposed_by=actor,
        )
        cadre_with_records = (
            Cadre.objects.prefetch_related(*training_gates.GATE_PREFETCH)
            .select_related("unit")
            .get(pk=cadre.pk)
        )
        draft.cadre = cadre_with_records
        results = _evaluate(plan, draft, on_date=_today())
        planning = next(r for r in results if r.code == training_gates.Gate.PLANNING)
        if not planning.passed and not planning.waived:
            raise Invalid(planning.message)
        candidate = existing or draft  # a withdrawn proposal is proposed again
        candidate.quota = quota
        candidate.status = CandidateStatus.PROPOSED
        candidate.off_plan_reason = "" if planning.passed else off_plan_reason.strip()
        candidate.reason = ""
        candidate.proposed_by = actor
        candidate.gates = [r.snapshot(Stage.LIST) for r in results]
        candidate.planning_entry = training_gates.planning_entry(cadre_with_records, _today())
        if existing is None:
            candidate.save()
        else:
            candidate.save(
                update_fields=[
                    "quota",
                    "status",
                    "off_plan_reason",
                    "reason",
                    "proposed_by",
                    "gates",
                    "planning_entry",
                ]
            )
        _audit(
            actor=actor,
            action=Action.TRAINING_PROPOSE,
            target=candidate,
            process=plan.pk,
            unit=quota.unit_id,
            cadre=cadre.pk,
            changes={
                "course": [None, course.pk],
                "cadre": [None, cadre.pk],
                "quota": [None, quota.pk],
                "gates_failed": [None, [r.code for r in results if not r.passed]],
            },
            reason=candidate.off_plan_reason,
        )
    return candidate


def candidate_withdraw(
    *, actor, plan: TrainingPlan, candidate: Candidate, reason: str
) -> Candidate:
    """The board takes a proposal off the list, with a reason, before it is submitted; the
    seat is free again."""
    from .flows import TrainingPlanFlow

    with transaction.atomic(), acting_as(actor), TrainingPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        _require_board(actor, plan.unit)
        _require_draft(plan)
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.plan_id != plan.pk:
            raise Invalid(_("This proposal belongs to another plan."))
        if candidate.status != CandidateStatus.PROPOSED:
            raise Conflict(_("This proposal is no longer on the list."))
        if not reason.strip():
            raise Invalid(_("Give the reason for taking the cadre off the list."))
        candidate.status = CandidateStatus.WITHDRAWN
        candidate.reason = reason.strip()
        candidate.save(update_fields=["status", "reason"])
        _audit(
            actor=actor,
            action=Action.TRAINING_UNPROPOSE,
            target=candidate,
            process=plan.pk,
            unit=plan.unit_id,
            cadre=candidate.cadre_id,
            changes={"status": [CandidateStatus.PROPOSED, CandidateStatus.WITHDRAWN]},
            reason=reason.strip(),
        )
    return candidate


def plan_submit(*, actor, plan: TrainingPlan) -> TrainingPlan:
    """The board submits the list to the competent body: the gates run again and none may
    block (the written commitment comes later, before the dispatch decision). Whoever submits
    cannot approve."""
    from .flows import TrainingPlanFlow

    with transaction.atomic(), acting_as(actor), TrainingPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        _require_board(actor, plan.unit)
        _require_draft(plan)
        candidates = list(_with_records(plan.candidates.filter(status=CandidateStatus.PROPOSED)))
        if not candidates:
            raise Invalid(_("Propose at least one cadre."))
        blocked = _refresh_gates(plan, candidates)
        if blocked:
            raise Invalid(
                _("Blocked by the training gates — %(lines)s") % {"lines": " | ".join(blocked)}
            )
        plan.stage = PlanStage.SUBMITTED
        plan.submitted_by = actor
        plan.save(update_fields=["stage", "submitted_by"])
        _audit(
            actor=actor,
            action=Action.TRAINING_PLAN_SUBMIT,
            target=plan,
            process=plan.pk,
            unit=plan.unit_id,
            changes={
                "stage": [PlanStage.DRAFT, PlanStage.SUBMITTED],
                "candidates": [None, [[c.course_id, c.cadre_id] for c in candidates]],
            },
        )
        task_complete(task=_open_task(plan, TrainingPlanFlow.prepare), actor=actor)
    return TrainingPlan.objects.get(pk=plan.pk)


def plan_decide(
    *,
    actor,
    plan: TrainingPlan,
    approve: bool,
    decision_ref: str = "",
    exclude: Collection[int] = (),
    note: str = "",
) -> TrainingPlan:
    """The competent body's chair records its decision on the list.

    Approving: every candidate not in ``exclude`` is approved (the gates are read once more)
    and gets a dispatch of its own, waiting for the dispatch decision; the excluded ones are
    not approved, with ``note`` as the reason. Returning: the list goes back to the board with
    ``note``. Whoever submitted the list, and a chair who is on it, cannot decide."""
    from .flows import DispatchFlow, TrainingPlanFlow

    with transaction.atomic(), acting_as(actor), TrainingPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        task = _open_task(plan, TrainingPlanFlow.approve)
        if task is None or plan.stage != PlanStage.SUBMITTED:
            raise Conflict(_("No candidate list is waiting for approval."))
        if selectors.competent_chair(plan) != actor:
            raise Forbidden(_("Only the chair of the competent body approves the list."))
        if actor.pk == plan.submitted_by_id:
            raise Forbidden(_("Whoever submitted the list cannot approve it."))
        listed = list(_with_records(plan.candidates.filter(status=CandidateStatus.PROPOSED)))
        if any(c.cadre.user_id == actor.pk for c in listed):
            raise Forbidden(
                _(
                    "You are on this list: nobody approves their own training. The list is "
                    "decided by another member of the competent body."
                )
            )
        note = note.strip()
        changes = {}
        if approve:
            if not decision_ref.strip():
                raise Invalid(_("Give the number of the approval decision."))
            exclude = {int(pk) for pk in exclude}
            ids = {c.pk for c in listed}
            if exclude - ids:
                raise Invalid(_("Only candidates on the list can be left out."))
            chosen = [c for c in listed if c.pk not in exclude]
            if not chosen:
                raise Invalid(_("Approve at least one candidate, or return the list."))
            if exclude and not note:
                raise Invalid(_("Give the reason for leaving candidates out."))
            blocked = _refresh_gates(plan, chosen)
            if blocked:
                raise Invalid(
                    _("Blocked by the training gates — %(lines)s") % {"lines": " | ".join(blocked)}
                )
            dispatches = []
            for candidate in chosen:
                candidate.status = CandidateStatus.APPROVED
                candidate.save(update_fields=["status"])
                dispatch = DispatchFlow.start.run(
                    candidate=candidate,
                    plan=plan,
                    course=candidate.course,
                    cadre=candidate.cadre,
                    sending_unit=candidate.quota.unit,
                    state=DispatchState.AWAITING,
                )
                dispatches.append(dispatch.pk)
            for candidate in listed:
                if candidate.pk in exclude:
                    candidate.status = CandidateStatus.NOT_APPROVED
                    candidate.reason = note
                    candidate.save(update_fields=["status", "reason"])
            plan.stage = PlanStage.APPROVED
            plan.decision_ref = decision_ref.strip()
            plan.decided_at = timezone.now()
            plan.decided_by = actor
            plan.returned_reason = ""
            changes = {
                "approved": [None, sorted(c.pk for c in chosen)],
                "not_approved": [None, sorted(exclude)],
                "dispatches": [None, dispatches],
                "decision_ref": [None, plan.decision_ref],
            }
        else:
            if not note:
                raise Invalid(_("Give the reason for returning the list."))
            plan.stage = PlanStage.DRAFT
            plan.returned_reason = note
            plan.submitted_by = None
        plan.save(
            update_fields=[
                "stage",
                "decision_ref",
                "decided_at",
                "decided_by",
                "returned_reason",
                "submitted_by",
            ]
        )
        _audit(
            actor=actor,
            action=Action.TRAINING_PLAN_DECIDE,
            target=plan,
            process=plan.pk,
            unit=plan.unit_id,
            changes={"stage": [PlanStage.SUBMITTED, plan.stage], **changes},
            reason=note,
        )
        task_complete(task=task, actor=actor)
        board = [u for u in selectors.board_members(plan.unit) if u.pk != actor.pk]
        notify(
            recipients=board,
            kind=notices.PLAN_DECIDED,
            params={"plan": str(plan), "decision": APPROVED if approve else RETURNED},
            link=selectors.plan_url(plan),
        )
    return TrainingPlan.objects.get(pk=plan.pk)


def plan_withdraw(*, actor, plan: TrainingPlan, reason: str) -> TrainingPlan:
    """Stop the plan before its approval: the board or the competent chair, with a reason.
    Its open task is cancelled; nobody is sent."""
    from .flows import TrainingPlanFlow

    with transaction.atomic(), acting_as(actor), TrainingPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        if plan.stage not in RUNNING or plan.finished is not None:
            raise Conflict(_("This plan is approved or closed: it can no longer be withdrawn."))
        if not (is_org_board_for(actor, plan.unit) or selectors.competent_chair(plan) == actor):
            raise Forbidden(
                _("Only the organisation board or the competent chair can withdraw a plan.")
            )
        if not reason.strip():
            raise Invalid(_("Give the reason for the withdrawal."))
        before = plan.stage
        TrainingPlanFlow.instance.cancel(plan)
        plan.refresh_from_db(fields=["status", "finished"])
        plan.stage = PlanStage.WITHDRAWN
        plan.closed_reason = reason.strip()
        plan.save(update_fields=["stage", "closed_reason"])
        plan.candidates.filter(status=CandidateStatus.PROPOSED).update(
            status=CandidateStatus.WITHDRAWN, reason=reason.strip()
        )
        _audit(
            actor=actor,
            action=Action.TRAINING_PLAN_CLOSE,
            target=plan,
            process=plan.pk,
            unit=plan.unit_id,
            changes={"stage": [before, PlanStage.WITHDRAWN]},
            reason=reason.strip(),
        )
    return TrainingPlan.objects.get(pk=plan.pk)


# --------------------------------------------------------------------------- dispatch


def _locked_dispatch(dispatch: Dispatch) -> Dispatch:
    return (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related(
            "plan", "plan__unit", "plan__ruleset", "course", "cadre", "sending_unit", "candidate"
        )
        .get(pk=dispatch.pk)
    )


def _dispatch_step(actor, dispatch: Dispatch, node, states: Collection[str]) -> object:
    """Who may act and whether the dispatch stands where the step needs it; the open task."""
    _require_board(actor, dispatch.plan.unit)
    _not_own(actor, dispatch.cadre)
    task = _open_task(dispatch, node) if node is not None else None
    if dispatch.state not in states or (node is not None and task is None):
        raise Conflict(
            _("This dispatch is now “%(state)s”: reload the page.")
            % {"state": dispatch.get_state_display()}
        )
    return task


def _dispatch_audit(actor, action, dispatch, **extra) -> None:
    _audit(
        actor=actor,
        action=action,
        target=dispatch,
        process=dispatch.pk,
        unit=dispatch.sending_unit_id,
        cadre=dispatch.cadre_id,
        **extra,
    )


def _commitment_of(dispatch: Dispatch) -> Commitment | None:
    return Commitment.objects.select_for_update().filter(dispatch=dispatch).first()


def commitment_record(
    *, actor, dispatch: Dispatch, signed_on: dt.date, months: int, reference: str = ""
) -> Commitment:
    """The written commitment of a cadre sent to post-graduate study to serve the sending unit
    for ``months`` after completing it — at least the rule-set's multiple of the study time.
    Recorded (or corrected) before the dispatch decision."""
    from .flows import DispatchFlow

    with transaction.atomic(), acting_as(actor), DispatchFlow.lock(dispatch.pk):
        dispatch = _locked_dispatch(dispatch)
        _dispatch_step(actor, dispatch, DispatchFlow.decide, [DispatchState.AWAITING])
        course = dispatch.course
        if not course.is_postgraduate:
            raise Invalid(_("Only post-graduate study carries a written commitment to serve."))
        _not_future(signed_on, _("The signing date"))
        need, multiple = training_gates.minimum_commitment(course, dispatch.plan.ruleset)
        if months < need:
            raise Invalid(
                _(
                    "The commitment must cover at least %(need)d months (%(multiple)d × "
                    "%(study)d months of study): %(months)d given."
                )
                % {"need": need, "multiple": multiple, "study": course.months, "months": months}
            )
        commitment = _commitment_of(dispatch)
        before = None if commitment is None else [commitment.months, commitment.signed_on]
        if commitment is None:
            commitment = Commitment(dispatch=dispatch, cadre=dispatch.cadre)
        commitment.unit = dispatch.sending_unit
        commitment.signed_on = signed_on
        commitment.reference = reference.strip()
        commitment.study_months = course.months
        commitment.multiple = multiple
        commitment.months = months
        commitment.recorded_by = actor
        commitment.status = CommitmentStatus.SIGNED
        try:
            commitment.full_clean()
        except ValidationError as exc:
            raise _invalid(exc) from exc
        commitment.save()
        _dispatch_audit(
            actor,
            Action.TRAINING_COMMITMENT,
            dispatch,
            changes={
                "commitment": [before, [months, signed_on]],
                "unit": [None, commitment.unit_id],
            },
        )
    return commitment


def dispatch_decide(
    *, actor, dispatch: Dispatch, decision_ref: str, decided_on: dt.date, signed_by: str = ""
) -> Dispatch:
    """The decision to send the cadre to study ("cử đi học"), as issued: its number, date and
    signatory. The gates are read as they stand on the decision's date (age at dispatch),
    the written commitment included; the cadre is told after commit."""
    from .flows import DispatchFlow

    with transaction.atomic(), acting_as(actor), DispatchFlow.lock(dispatch.pk):
        dispatch = _locked_dispatch(dispatch)
        task = _dispatch_step(actor, dispatch, DispatchFlow.decide, [DispatchState.AWAITING])
        if not decision_ref.strip():
            raise Invalid(_("Give the number of the dispatch decision."))
        _not_future(decided_on, _("The decision date"))
        commitment = _commitment_of(dispatch)
        terms = (
            CommitmentTerms(months=commitment.months, signed_on=commitment.signed_on)
            if commitment
            else None
        )
        candidate = dispatch.candidate
        candidate.cadre = Cadre.objects.prefetch_related(*training_gates.GATE_PREFETCH).get(
            pk=dispatch.cadre_id
        )
        results = _evaluate(dispatch.plan, candidate, on_date=decided_on, commitment=terms)
        stops = training_gates.blocking(results, Stage.DISPATCH)
        if stops:
            raise Invalid(
                _("Blocked by the training gates on %(day)s — %(lines)s")
                % {
                    "day": decided_on.strftime("%d/%m/%Y"),
                    "lines": "; ".join(f"{r.label}: {r.message}" for r in stops),
                }
            )
        Candidate.objects.filter(pk=candidate.pk).update(
            gates=[r.snapshot(Stage.DISPATCH) for r in results]
        )
        dispatch.state = DispatchState.DISPATCHED
        dispatch.decision_ref = decision_ref.strip()
        dispatch.decided_on = decided_on
        dispatch.signed_by = signed_by.strip()
        dispatch.decision_recorded_by = actor
        dispatch.save(
            update_fields=[
                "state",
                "decision_ref",
                "decided_on",
                "signed_by",
                "decision_recorded_by",
            ]
        )
        _dispatch_audit(
            actor,
            Action.TRAINING_DISPATCH,
            dispatch,
            changes={
                "state": [DispatchState.AWAITING, DispatchState.DISPATCHED],
                "decision_ref": [None, dispatch.decision_ref],
                "decided_on": [None, decided_on],
            },
        )
        task_complete(task=task, actor=actor)
        if dispatch.cadre.user_id:
            notify(
                recipients=[dispatch.cadre.user_id],
                kind=notices.DISPATCHED,
                params={
                    "course": dispatch.course.title,
                    "decision": dispatch.decision_ref,
                    "on": decided_on.isoformat(),
                },
                link=selectors.dispatch_url(dispatch),
            )
    return Dispatch.objects.get(pk=dispatch.pk)


def dispatch_enrol(
    *,
    actor,
    dispatch: Dispatch,
    institution: str,
    starts_on: dt.date,
    expected_end_on: dt.date | None = None,
) -> Dispatch:
    """The cadre enrols: where, from when, and until when the study is expected to last (by
    default the course's length from the start)."""
    from .flows import DispatchFlow

    with transaction.atomic(), acting_as(actor), DispatchFlow.lock(dispatch.pk):
        dispatch = _locked_dispatch(dispatch)
        task = _dispatch_step(actor, dispatch, DispatchFlow.enrol, [DispatchState.DISPATCHED])
        if not institution.strip():
            raise Invalid(_("Give the institution."))
        expected_end_on = expected_end_on or (
            starts_on + relativedelta(months=dispatch.course.months)
        )
        if expected_end_on < starts_on:
            raise Invalid(_("The study cannot end before it starts."))
        dispatch.state = DispatchState.ENROLLED
        dispatch.institution = institution.strip()
        dispatch.starts_on = starts_on
        dispatch.expected_end_on = expected_end_on
        dispatch.save(update_fields=["state", "institution", "starts_on", "expected_end_on"])
        _dispatch_audit(
            actor,
            Action.TRAINING_ENROL,
            dispatch,
            changes={
                "state": [DispatchState.DISPATCHED, DispatchState.ENROLLED],
                "institution": [None, dispatch.institution],
                "starts_on": [None, starts_on],
                "expected_end_on": [None, expected_end_on],
            },
        )
        task_complete(task=task, actor=actor)
    return Dispatch.objects.get(pk=dispatch.pk)


def _check_end(dispatch: Dispatch, ended_on: dt.date) -> None:
    _not_future(ended_on, _("The end of the study"))
    if dispatch.starts_on and ended_on < dispatch.starts_on:
        raise Invalid(
            _("The study cannot end before it started (%(day)s).")
            % {"day": dispatch.starts_on.strftime("%d/%m/%Y")}
        )


def dispatch_complete(
    *, actor, dispatch: Dispatch, ended_on: dt.date, result: str = ""
) -> Dispatch:
    """The cadre completed the course: a ``TrainingRecord`` is added to their file and their
    level raised to the course's (through the personnel services, audited there), so the
    standards read by planning and appointment see it; a commitment to serve starts to run
    from ``ended_on``."""
    from .flows import DispatchFlow

    with transaction.atomic(), acting_as(actor), DispatchFlow.lock(dispatch.pk):
        dispatch = _locked_dispatch(dispatch)
        task = _dispatch_step(actor, dispatch, DispatchFlow.complete, [DispatchState.ENROLLED])
        _check_end(dispatch, ended_on)
        course = dispatch.course
        try:
            record = training_record_add(
                actor=actor,
                cadre=dispatch.cadre,
                kind=course.kind,
                title=course.title,
                institution=dispatch.institution,
                started_on=dispatch.starts_on,
                ended_on=ended_on,
            )
            raised = None
            field_name = course.cadre_field
            if field_name is not None:
                cadre = Cadre.objects.get(pk=dispatch.cadre_id)
                held = getattr(cadre, field_name)
                if course.level > held:
                    cadre_update(
                        actor=actor,
                        cadre=cadre,
                        reason=_("Completed %(course)s (%(decision)s).")
                        % {"course": course.title, "decision": dispatch.decision_ref},
                        **{field_name: course.level},
                    )
                    raised = [held, course.level]
        except ValidationError as exc:
            raise _invalid(exc) from exc
        commitment = _commitment_of(dispatch)
        if commitment is not None and commitment.status == CommitmentStatus.SIGNED:
            commitment.starts_on = ended_on
            commitment.ends_on = ended_on + relativedelta(months=commitment.months)
            commitment.status = CommitmentStatus.SERVING
            commitment.save(update_fields=["starts_on", "ends_on", "status"])
        dispatch.state = DispatchState.COMPLETED
        dispatch.outcome = Outcome.COMPLETED
        dispatch.ended_on = ended_on
        dispatch.result = result.strip()
        dispatch.training_record = record
        dispatch.save(update_fields=["state", "outcome", "ended_on", "result", "training_record"])
        _dispatch_audit(
            actor,
            Action.TRAINING_COMPLETE,
            dispatch,
            changes={
                "state": [DispatchState.ENROLLED, DispatchState.COMPLETED],
                "ended_on": [None, ended_on],
                "training_record": [None, record.pk],
                "level": [None, raised],
                "committed_until": [None, commitment.ends_on if commitment else None],
            },
        )
        task_complete(task=task, actor=actor)
        if dispatch.cadre.user_id:
            notify(
                recipients=[dispatch.cadre.user_id],
                kind=notices.COMPLETED,
                params={
                    "course": course.title,
                    "outcome": in_every_language(Outcome.COMPLETED.label),
                },
                link=selectors.dispatch_url(dispatch),
            )
    return Dispatch.objects.get(pk=dispatch.pk)


def dispatch_not_completed(
    *, actor, dispatch: Dispatch, outcome: str, ended_on: dt.date, reason: str
) -> Dispatch:
    """The cadre dropped out or failed: recorded with the reason; no training record, no level;
    a commitment lapses (reimbursement, if any, is the board's call, outside the system)."""
    from .flows import DispatchFlow

    with transaction.atomic(), acting_as(actor), DispatchFlow.lock(dispatch.pk):
        dispatch = _locked_dispatch(dispatch)
        task = _dispatch_step(actor, dispatch, DispatchFlow.complete, [DispatchState.ENROLLED])
        if outcome not in (Outcome.DROPPED_OUT, Outcome.FAILED):
            raise Invalid(_("Say whether the cadre dropped out or failed."))
        if not reason.strip():
            raise Invalid(_("Give the reason."))
        _check_end(dispatch, ended_on)
        commitment = _commitment_of(dispatch)
        if commitment is not None and commitment.status == CommitmentStatus.SIGNED:
            commitment.status = CommitmentStatus.LAPSED
            commitment.save(update_fields=["status"])
        dispatch.state = DispatchState.NOT_COMPLETED
        dispatch.outcome = outcome
        dispatch.ended_on = ended_on
        dispatch.closed_reason = reason.strip()
        dispatch.save(update_fields=["state", "outcome", "ended_on", "closed_reason"])
        _dispatch_audit(
            actor,
            Action.TRAINING_NOT_COMPLETED,
            dispatch,
            changes={
                "state": [DispatchState.ENROLLED, DispatchState.NOT_COMPLETED],
                "outcome": [None, outcome],
                "ended_on": [None, ended_on],
            },
            reason=reason.strip(),
        )
        task_complete(task=task, actor=actor)
        if dispatch.cadre.user_id:
            notify(
                recipients=[dispatch.cadre.user_id],
                kind=notices.COMPLETED,
                params={
                    "course": dispatch.course.title,
                    "outcome": in_every_language(Outcome(outcome).label),
                },
                link=selectors.dispatch_url(dispatch),
            )
    return Dispatch.objects.get(pk=dispatch.pk)


def dispatch_withdraw(*, actor, dispatch: Dispatch, reason: str) -> Dispatch:
    """The board stops a dispatch before the cadre enrols, with a reason (after enrolment the
    outcome is recorded instead); a signed commitment becomes void."""
    from .flows import DispatchFlow

    with transaction.atomic(), acting_as(actor), DispatchFlow.lock(dispatch.pk):
        dispatch = _locked_dispatch(dispatch)
        _dispatch_step(actor, dispatch, None, [DispatchState.AWAITING, DispatchState.DISPATCHED])
        if not reason.strip():
            raise Invalid(_("Give the reason for the withdrawal."))
        before = dispatch.state
        DispatchFlow.instance.cancel(dispatch)
        dispatch.refresh_from_db(fields=["status", "finished"])
        commitment = _commitment_of(dispatch)
        if commitment is not None and commitment.status == CommitmentStatus.SIGNED:
            commitment.status = CommitmentStatus.VOID
            commitment.save(update_fields=["status"])
        dispatch.state = DispatchState.WITHDRAWN
        dispatch.closed_reason = reason.strip()
        dispatch.save(update_fields=["state", "closed_reason"])
        _dispatch_audit(
            actor,
            Action.TRAINING_DISPATCH_WITHDRAW,
            dispatch,
            changes={"state": [before, DispatchState.WITHDRAWN]},
            reason=reason.strip(),
        )
    return Dispatch.objects.get(pk=dispatch.pk)


# --------------------------------------------------------------------------- commitments


@dataclass
class ScanResult:
    breaches: list[CommitmentBreach] = field(default_factory=list)
    fulfilled: list[Commitment] = field(default_factory=list)


def _watched(on_date: dt.date):
    waiting = CommitmentBreach.objects.filter(state=BreachState.OPEN).values("commitment_id")
    return (
        Commitment.objects.filter(
            status__in=WATCHED,
            dispatch__state__in=[*UNDER_WAY, DispatchState.COMPLETED],
        )
        .exclude(pk__in=waiting)
        .select_related("cadre", "cadre__unit", "unit", "dispatch")
        .order_by("pk")
    )


def breach_ground(commitment: Commitment, *, on_date: dt.date):
    """The departure that breaks ``commitment`` on ``on_date`` (left before it ended), or
    None."""
    departure = selectors.departure(
        commitment.cadre,
        commitment.unit,
        since=commitment.dispatch.decided_on or commitment.signed_on,
        on_date=on_date,
    )
    if departure is None:
        return None
    if commitment.ends_on is not None and departure.left_on >= commitment.ends_on:
        return None  # left once the commitment was served
    return departure


def commitment_scan(*, on_date: dt.date | None = None) -> ScanResult:
    """Every commitment still running: a breach task for the organisation board when the cadre
    has left the unit they committed to serve before it ended (with when they left, until when
    they were committed and how many months short), else fulfilled once its end has passed.
    Idempotent: a commitment with a breach awaiting a decision is skipped (and the database
    keeps one open per commitment), so running it again, or on two workers at once, adds
    nothing."""
    on_date = on_date or _today()
    result = ScanResult()
    for commitment in _watched(on_date):
        ground = breach_ground(commitment, on_date=on_date)
        if ground is not None:
            try:
                result.breaches.append(_breach_start(commitment, ground))
            except (Conflict, IntegrityError):
                continue  # raised or decided meanwhile by another run
            continue
        if commitment.ends_on is not None and commitment.ends_on <= on_date:
            fulfilled = _fulfil(commitment)
            if fulfilled is not None:
                result.fulfilled.append(fulfilled)
    return result


def _breach_start(commitment: Commitment, ground) -> CommitmentBreach:
    from .flows import BreachFlow

    with transaction.atomic(), acting_as(None):
        commitment = (
            Commitment.objects.select_for_update(of=("self",))
            .select_related("cadre", "unit", "dispatch")
            .get(pk=commitment.pk)
        )
        if commitment.status not in WATCHED:
            raise Conflict(_("This commitment is no longer running."))
        if commitment.breaches.filter(state=BreachState.OPEN).exists():
            raise Conflict(_("A breach of this commitment is already open."))
        short = selectors.months_short(ground.left_on, commitment.ends_on, commitment)
        breach = BreachFlow.start.run(
            commitment=commitment,
            cadre=commitment.cadre,
            unit=commitment.unit,
            committed_until=commitment.ends_on,
            left_on=ground.left_on,
            months_short=short,
            ground=ground.detail,
        )
        _audit(
            actor=None,
            action=Action.TRAINING_BREACH_RAISE,
            target=breach,
            process=breach.pk,
            unit=commitment.unit_id,
            cadre=commitment.cadre_id,
            changes={
                "commitment": [None, commitment.pk],
                "committed_until": [None, commitment.ends_on],
                "left_on": [None, ground.left_on],
                "months_short": [None, short],
            },
            reason=ground.detail,
        )
    return CommitmentBreach.objects.get(pk=breach.pk)


def _fulfil(commitment: Commitment) -> Commitment | None:
    with transaction.atomic(), acting_as(None):
        commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
        if commitment.status != CommitmentStatus.SERVING:
            return None
        commitment.status = CommitmentStatus.FULFILLED
        commitment.save(update_fields=["status"])
        _audit(
            actor=None,
            action=Action.TRAINING_COMMITMENT_FULFILLED,
            target=commitment,
            process=commitment.dispatch_id,
            unit=commitment.unit_id,
            cadre=commitment.cadre_id,
            changes={"status": [CommitmentStatus.SERVING, CommitmentStatus.FULFILLED]},
        )
    return commitment


def _locked_breach(breach: CommitmentBreach) -> CommitmentBreach:
    return (
        CommitmentBreach.objects.select_for_update(of=("self",))
        .select_related("commitment", "commitment__dispatch__plan__unit", "cadre", "unit")
        .get(pk=breach.pk)
    )


def _breach_step(actor, breach: CommitmentBreach):
    from .flows import BreachFlow

    task = _open_task(breach, BreachFlow.review)
    if breach.state != BreachState.OPEN or task is None:
        raise Conflict(_("This breach has already been decided."))
    _require_board(actor, breach.commitment.dispatch.plan.unit)
    _not_own(actor, breach.cadre)
    return task


def breach_decide(*, actor, breach: CommitmentBreach, decision: str, note: str) -> CommitmentBreach:
    """The organisation board decides on a breach — whether the cadre reimburses the training
    costs — with its reasons; the commitment is closed as breached."""
    from .flows import BreachFlow

    with transaction.atomic(), acting_as(actor), BreachFlow.lock(breach.pk):
        breach = _locked_breach(breach)
        task = _breach_step(actor, breach)
        if decision not in BreachDecision.values:
            raise Invalid(_("Say whether the training costs are to be reimbursed."))
        if not note.strip():
            raise Invalid(_("Give the reasons for the decision."))
        breach.state = BreachState.DECIDED
        breach.decision = decision
        breach.decision_note = note.strip()
        breach.decided_by = actor
        breach.decided_at = timezone.now()
        breach.save(
            update_fields=["state", "decision", "decision_note", "decided_by", "decided_at"]
        )
        commitment = Commitment.objects.select_for_update().get(pk=breach.commitment_id)
        before = commitment.status
        commitment.status = CommitmentStatus.BREACHED
        commitment.save(update_fields=["status"])
        _audit(
            actor=actor,
            action=Action.TRAINING_BREACH_DECIDE,
            target=breach,
            process=breach.pk,
            unit=breach.unit_id,
            cadre=breach.cadre_id,
            changes={
                "state": [BreachState.OPEN, BreachState.DECIDED],
                "decision": [None, decision],
                "commitment": [before, CommitmentStatus.BREACHED],
            },
            reason=note.strip(),
        )
        task_complete(task=task, actor=actor)
    return CommitmentBreach.objects.get(pk=breach.pk)


def breach_dismiss(*, actor, breach: CommitmentBreach, reason: str) -> CommitmentBreach:
    """The board drops a breach, with a reason, once the records show the cadre serves the
    unit again (e.g. the new post was recorded late); the commitment runs on. While the
    records still show the departure, the board decides on it instead."""
    from .flows import BreachFlow

    with transaction.atomic(), acting_as(actor), BreachFlow.lock(breach.pk):
        breach = _locked_breach(breach)
        task = _breach_step(actor, breach)
        if not reason.strip():
            raise Invalid(_("Give the reason for dismissing the breach."))
        if breach_ground(breach.commitment, on_date=_today()) is not None:
            raise Invalid(
                _(
                    "The records still show that the cadre left %(unit)s: decide on the "
                    "breach, or correct the records first."
                )
                % {"unit": breach.unit.name}
            )
        breach.state = BreachState.DISMISSED
        breach.decision_note = reason.strip()
        breach.decided_by = actor
        breach.decided_at = timezone.now()
        breach.save(update_fields=["state", "decision_note", "decided_by", "decided_at"])
        _audit(
            actor=actor,
            action=Action.TRAINING_BREACH_DISMISS,
            target=breach,
            process=breach.pk,
            unit=breach.unit_id,
            cadre=breach.cadre_id,
            changes={"state": [BreachState.OPEN, BreachState.DISMISSED]},
            reason=reason.strip(),
        )
        task_complete(task=task, actor=actor)
    return CommitmentBreach.objects.get(pk=breach.pk)
