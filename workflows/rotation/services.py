"""Writes of the rotation and transfer procedure (domain §6, invariants I-8, I-20, I-24).

Keyword-only; each checks who may act, takes the row locks (the plan before its items, each in
primary-key order), writes its audit event in the same transaction, completes the viewflow task
it stands for and notifies after commit (``notifications.services.notify`` delivers on commit).
Refusals are ``workflows.core.errors``: ``Forbidden`` (403, not yours to do), ``Conflict``
(409, the state has moved on, or a hard gate blocks the decision), ``Invalid`` (400, the input
is wrong), with a message that names the rule and its source.

Who does what:

- the organisation board of the plan's unit drafts the plan (items: cadre, destination post,
  direction, why, months, expected arrangement afterwards), submits it and calls the standing
  committee's secret ballot on the meeting and ballot engine (one approval row per cadre, as
  the planning review's standing-committee step); it records the conversation with each cadre,
  the consultation of the sending and the receiving unit, the dossier, and submits each cadre
  for decision; it records the end-of-rotation review and proposes the placement;
- the chair of the competent body records the exception to the minimum duration (QĐ 65 Art. 8)
  and signs the decision and the placement — never on a plan, a proposal or a review they
  drafted, submitted or recorded themselves (separation of duties);
- the sending unit's organisation board hands the cadre over; the receiving unit's board or
  the chair of one of its committees confirms the reception (someone other than who handed
  over), and its board records the periodic reports.

Positions held (decision, documented in docs/design/rotation.md): at the reception the post
the cadre leaves ends the day before and the destination post starts (its term ends at the
rotation's planned end); when the destination post is lower, the previous allowance is
reserved (QĐ 65 Art. 11) and the movement says so. The placement ends the destination post the
day before and starts the next one: the former post or another (return), a new post, or the
same destination post on a normal term (stay: no longer a rotated cadre, Art. 10).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from contextlib import contextmanager

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from notifications.kinds import in_every_language
from notifications.services import notify
from personnel.audit.actions import Action
from personnel.audit.context import acting_as
from personnel.audit.services import audit_record
from personnel.models import Cadre, CommitteeKind, OrgUnit, Position, PositionHolding
from personnel.selectors import cadres_for_user
from personnel.services import holding_end, holding_start
from workflows.appointment.services import task_complete
from workflows.core import rules
from workflows.core import services as core
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import (
    Ballot,
    BallotKind,
    BallotMode,
    BallotStatus,
    MeetingKind,
    MeetingStatus,
    ParameterKey,
    RuleSet,
)
from workflows.core.services import is_org_board_for, ruleset_mark_in_use

from . import gates as rotation_gates
from . import notices, selectors
from .models import (
    BEFORE_DECISION,
    FINISHED,
    PLAN_OPEN,
    Consultation,
    Conversation,
    Direction,
    DossierItem,
    DossierKind,
    Kind,
    Movement,
    Opinion,
    Placement,
    PlanStage,
    PlanVote,
    Report,
    RotationPlan,
    Side,
    Stage,
)

PROCEDURE = "rotation"


# --------------------------------------------------------------------------- helpers


def _audit_plan(*, actor, action: Action, plan: RotationPlan, **extra) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=plan,
        process=plan.pk,
        procedure=PROCEDURE,
        unit=plan.unit_id,
        **extra,
    )


def _audit(*, actor, action: Action, movement: Movement, target=None, **extra) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=target or movement,
        process=movement.pk,
        procedure=PROCEDURE,
        cadre=movement.cadre_id,
        unit=movement.unit_id,
        **extra,
    )


def _flow(movement: Movement):
    from .flows import RotationFlow, TransferFlow

    return RotationFlow if movement.kind == Kind.ROTATION else TransferFlow


def _open_task(process, node):
    return (
        process.task_set.filter(flow_task=node)
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
        .first()
    )


def _locked_plan(plan: RotationPlan) -> RotationPlan:
    return (
        RotationPlan.objects.select_for_update(of=("self",))
        .select_related("unit", "ruleset", "standing", "competent_body")
        .get(pk=plan.pk)
    )


@contextmanager
def _lock(movement: Movement):
    """The movement's process lock, taken after its plan's (the plan before its items, as
    ``vote_record`` and ``plan_withdraw`` take them): two services never wait on each other."""
    from .flows import RotationPlanFlow

    flow = _flow(movement)
    if movement.plan_id is not None:
        with RotationPlanFlow.lock(movement.plan_id), flow.lock(movement.pk):
            yield flow
    else:
        with flow.lock(movement.pk):
            yield flow


def _locked(movement: Movement) -> Movement:
    """The movement re-read under its row lock (the caller holds ``_lock``)."""
    return (
        Movement.objects.select_for_update(of=("self",))
        .select_related(
            "plan",
            "cadre",
            "unit",
            "from_unit",
            "from_position",
            "to_unit",
            "to_position",
            "ruleset",
            "competent_body",
        )
        .get(pk=movement.pk)
    )


def _not_after_today(day: dt.date, what: str) -> None:
    if day > timezone.localdate():
        raise Invalid(_("%(what)s cannot be in the future.") % {"what": what})


def _require_board(actor, unit: OrgUnit) -> None:
    if not is_org_board_for(actor, unit):
        raise Forbidden(_("Only the organisation board of this unit can do this."))


def _require_chair(actor, obj) -> None:
    chair = selectors.competent_chair(obj)
    if chair is None or chair.pk != actor.pk:
        raise Forbidden(_("Only the chair of the competent body can do this."))


def _require_not_own(actor, cadre: Cadre) -> None:
    """Nobody acts on their own rotation or transfer (separation of duties)."""
    if cadre.user_id is not None and cadre.user_id == actor.pk:
        raise Forbidden(_("Nobody acts on their own rotation or transfer."))


def _require_before_decision(movement: Movement) -> None:
    if movement.stage not in BEFORE_DECISION:
        raise Conflict(_("The decision has been issued or the move has ended: this is closed."))


def _in_subtree(unit: OrgUnit, of: OrgUnit) -> bool:
    return unit.path.startswith(of.path)


def _competent(unit: OrgUnit, standing, competent_body):
    """The competent body (by default the unit's standing committee), checked."""
    competent_body = competent_body or standing
    if competent_body is None:
        raise Invalid(_("This unit has no standing committee."))
    if not _in_subtree(unit, competent_body.unit):
        raise Invalid(_("The competent body must belong to this unit or to a unit above it."))
    if competent_body.kind not in (CommitteeKind.STANDING, CommitteeKind.EXECUTIVE):
        raise Invalid(_("The decision is for a standing or an executive committee."))
    return competent_body


def _ruleset(track: str, ruleset: RuleSet | None) -> RuleSet:
    if ruleset is None:
        ruleset = selectors.newest_ruleset(track=track)
        if ruleset is None:
            raise Invalid(_("No rule-set is in force for this track."))
    elif ruleset.track != track:
        raise Invalid(_("The rule-set belongs to another track."))
    return ruleset


def _already_moving(cadre: Cadre) -> Movement | None:
    return Movement.objects.filter(cadre=cadre).exclude(stage__in=FINISHED).first()


def _start_movement(flow, **fields) -> Movement:
    try:
        with transaction.atomic():
            movement = flow.start.run(**fields)
    except IntegrityError:
        raise Conflict(_("This cadre is already in a rotation or a transfer.")) from None
    return movement


def _where_from(cadre: Cadre, to_position: Position):
    holding = selectors.current_holding(cadre)
    if holding is not None and holding.position_id == to_position.pk:
        raise Invalid(_("The cadre already holds this post."))
    if holding is None:
        return cadre.unit, None
    return holding.position.unit, holding.position


# --------------------------------------------------------------------------- the plan


def plan_open(
    *,
    actor,
    unit: OrgUnit,
    title: str,
    period_start: int,
    period_end: int,
    note: str = "",
    track: str = "party",
    ruleset: RuleSet | None = None,
    competent_body=None,
) -> RotationPlan:
    """The organisation board opens ``unit``'s rotation plan for a period (QĐ 65 Art. 7(1)),
    under the newest rule-set of the track, kept to the end (I-24). The unit's standing
    committee approves it; the competent body's chair (by default that committee's) signs the
    decisions."""
    from .flows import RotationPlanFlow

    if not is_org_board_for(actor, unit):
        raise Forbidden(_("Only the organisation board of this unit can draft a rotation plan."))
    if not title.strip():
        raise Invalid(_("Give the plan a title."))
    if period_end < period_start:
        raise Invalid(_("The period must end in or after the year it starts."))
    ruleset = _ruleset(track, ruleset)
    standing = selectors.standing_for(unit)
    if standing is None:
        raise Invalid(_("This unit has no standing committee to approve the plan."))
    competent_body = _competent(unit, standing, competent_body)
    with transaction.atomic(), acting_as(actor):
        plan = RotationPlanFlow.start.run(
            unit=unit,
            title=title.strip(),
            period_start=period_start,
            period_end=period_end,
            track=ruleset.track,
            ruleset=ruleset,
            standing=standing,
            competent_body=competent_body,
            note=note.strip(),
            opened_by=actor,
            stage=PlanStage.DRAFT,
        )
        ruleset_mark_in_use(ruleset)
        _audit_plan(
            actor=actor,
            action=Action.ROTATION_PLAN_OPEN,
            plan=plan,
            changes={
                "title": [None, plan.title],
                "period": [None, f"{period_start}–{period_end}"],
                "ruleset": [None, str(ruleset)],
                "competent_body": [None, competent_body.pk],
            },
        )
    return RotationPlan.objects.get(pk=plan.pk)


def item_add(
    *,
    actor,
    plan: RotationPlan,
    cadre: Cadre,
    to_position: Position,
    direction: str,
    reason: str,
    months: int,
    expected_after: str = "",
) -> Movement:
    """The board puts a cadre in the draft plan: from the post they hold now to ``to_position``,
    the direction, why, for how many months and the arrangement expected afterwards. Both
    sides must lie in the plan's unit; the cadre may be in one rotation or transfer at a time.
    Their rotation flow starts (the board prepares it while the plan is voted on)."""
    from .flows import RotationFlow, RotationPlanFlow

    with transaction.atomic(), acting_as(actor), RotationPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        _require_board(actor, plan.unit)
        if plan.stage != PlanStage.DRAFT:
            raise Conflict(_("The plan has been submitted: its list can no longer change."))
        if not cadres_for_user(user=actor).filter(pk=cadre.pk).exists():
            raise Invalid(_("This cadre is outside your scope."))
        _require_not_own(actor, cadre)
        if not (_in_subtree(cadre.unit, plan.unit) and _in_subtree(to_position.unit, plan.unit)):
            raise Invalid(_("The cadre and the destination post must belong to the plan's unit."))
        if direction not in Direction.values:
            raise Invalid(_("Choose the direction of the rotation."))
        if not reason.strip():
            raise Invalid(_("Say why the cadre is rotated."))
        if not months or months < 1:
            raise Invalid(_("A rotation lasts at least one month."))
        if _already_moving(cadre) is not None:
            raise Conflict(_("This cadre is already in a rotation or a transfer."))
        from_unit, from_position = _where_from(cadre, to_position)
        movement = _start_movement(
            RotationFlow,
            kind=Kind.ROTATION,
            plan=plan,
            unit=plan.unit,
            ruleset=plan.ruleset,
            competent_body=plan.competent_body,
            cadre=cadre,
            from_unit=from_unit,
            from_position=from_position,
            to_unit=to_position.unit,
            to_position=to_position,
            direction=direction,
            reason=reason.strip(),
            months=months,
            expected_after=expected_after.strip(),
            stage=Stage.PROPOSED,
            proposed_by=actor,
        )
        _audit(
            actor=actor,
            action=Action.ROTATION_ITEM_ADD,
            movement=movement,
            changes={
                "plan": [None, plan.pk],
                "from_position": [None, from_position.pk if from_position else None],
                "to_position": [None, to_position.pk],
                "months": [None, months],
                "direction": [None, direction],
            },
        )
    return Movement.objects.get(pk=movement.pk)


def plan_submit(*, actor, plan: RotationPlan) -> RotationPlan:
    """The board submits the draft to the standing committee's vote. Whoever submits it may not
    sign a decision of its rotations later."""
    from .flows import RotationPlanFlow

    with transaction.atomic(), acting_as(actor), RotationPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        _require_board(actor, plan.unit)
        task = _open_task(plan, RotationPlanFlow.draft)
        if plan.stage != PlanStage.DRAFT or task is None:
            raise Conflict(_("The plan has already been submitted."))
        items = list(plan.items.filter(stage=Stage.PROPOSED).order_by("pk"))
        if not items:
            raise Invalid(_("Put at least one cadre in the plan."))
        plan.stage = PlanStage.BALLOT
        plan.submitted_by = actor
        plan.save(update_fields=["stage", "submitted_by"])
        _audit_plan(
            actor=actor,
            action=Action.ROTATION_PLAN_SUBMIT,
            plan=plan,
            changes={
                "stage": [PlanStage.DRAFT, PlanStage.BALLOT],
                "items": [None, [m.pk for m in items]],
            },
        )
        task_complete(task=task, actor=actor)
    return RotationPlan.objects.get(pk=plan.pk)


def vote_call(
    *,
    actor,
    plan: RotationPlan,
    scheduled_at: dt.datetime,
    place: str = "",
    mode: str = BallotMode.ELECTRONIC,
) -> PlanVote:
    """The board calls the standing committee's meeting on the plan with its secret ballot on
    the engine: one approval ballot with a row per cadre (a verdict per cadre), as the planning
    review's standing-committee step. Quorum, denominator and tie rule are the rule-set's."""
    from .flows import RotationPlanFlow

    with transaction.atomic(), acting_as(actor), RotationPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        _require_board(actor, plan.unit)
        if plan.stage != PlanStage.BALLOT or _open_task(plan, RotationPlanFlow.ballot) is None:
            raise Conflict(_("The plan is not waiting for the standing committee's vote."))
        if selectors.pending_vote(plan) is not None:
            raise Conflict(_("The vote on this plan has already been called."))
        items = list(plan.items.filter(stage=Stage.PROPOSED).select_related("cadre").order_by("pk"))
        if not items:
            raise Invalid(_("Nobody is left in the plan."))
        chair = selectors.chair_of(plan.standing)
        if chair is None:
            raise Invalid(_("The standing committee has no chair today."))
        call = max(plan.votes.values_list("call", flat=True), default=0) + 1
        try:
            meeting = core.meeting_create(
                actor=actor,
                title=(_("Rotation plan") + f" — {plan.title}")[:200],
                kind=MeetingKind.STANDING_COMMITTEE,
                unit=plan.unit,
                ruleset=plan.ruleset,
                chair=chair,
                scheduled_at=scheduled_at,
                body=plan.standing,
                competent_body=plan.competent_body,
                place=place,
            )
            ballot = core.ballot_create(
                actor=actor,
                meeting=meeting,
                kind=BallotKind.APPROVAL,
                mode=mode,
                title=(_("Approve the rotation plan") + f" — {plan.title}")[:300],
                cadres=[item.cadre for item in items],
            )
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages)) from exc
        try:
            with transaction.atomic():
                vote = PlanVote.objects.create(plan=plan, call=call, meeting=meeting, ballot=ballot)
        except IntegrityError:
            raise Conflict(_("The vote on this plan has already been called.")) from None
        _audit_plan(
            actor=actor,
            action=Action.ROTATION_VOTE_CALL,
            plan=plan,
            changes={
                "meeting": [None, meeting.pk],
                "ballot": [None, ballot.pk],
                "call": [None, call],
            },
        )
    return vote


def tie_decide(
    *, actor, plan: RotationPlan, approve: Collection[int] = (), differing_opinions: str
) -> PlanVote:
    """Exactly half for a cadre: the head of the meeting decides each tied row — ``approve``
    holds the ballot candidate ids approved, the other tied rows are not — and reports every
    differing opinion (I-3)."""
    from .flows import RotationPlanFlow

    with transaction.atomic(), acting_as(actor), RotationPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        vote = selectors.pending_vote(plan)
        if plan.stage != PlanStage.BALLOT or vote is None:
            raise Conflict(_("No vote on this plan awaits the head's decision."))
        if rules.get(plan.ruleset, ParameterKey.TIE_RULE) != "head_decides":
            raise Conflict(_("Under this rule-set a tie is not decided by the head."))
        ballot = Ballot.objects.get(pk=vote.ballot_id)
        tied = {int(pk) for pk, v in (ballot.outcome.get("result") or {}).items() if v == "tied"}
        approve = {int(pk) for pk in approve}
        if not tied:
            raise Conflict(_("No vote on this plan awaits the head's decision."))
        if approve - tied:
            raise Invalid(_("The head decides only the rows tied at exactly half."))
        names = {c.pk: str(c) for c in ballot.candidates.select_related("cadre")}
        decision = "; ".join(
            f"{names.get(pk, pk)}: {_('Approved') if pk in approve else _('Not approved')}"
            for pk in sorted(tied)
        )
        core.ballot_head_decide(
            actor=actor, ballot=ballot, decision=decision, differing_opinions=differing_opinions
        )
        vote.outcome = {**vote.outcome, "head_approves": sorted(approve)}
        vote.save(update_fields=["outcome"])
        _audit_plan(
            actor=actor,
            action=Action.ROTATION_TIE_DECIDE,
            plan=plan,
            changes={"ballot": [None, ballot.pk], "head_approves": [None, sorted(approve)]},
        )
    return vote


def _approved_candidates(vote: PlanVote, ballot: Ballot) -> set[int]:
    passed = set()
    for candidate_id, verdict in ballot.outcome["result"].items():
        if verdict == "tied":
            if "head_approves" not in vote.outcome:
                raise Conflict(
                    _("A vote is tied at exactly half: the head of the meeting decides it first.")
                )
            if int(candidate_id) in vote.outcome["head_approves"]:
                passed.add(int(candidate_id))
        elif verdict == "approved":
            passed.add(int(candidate_id))
    return passed


def vote_record(*, actor, plan: RotationPlan, note: str = "") -> RotationPlan:
    """The board records the closed ballot. The cadres it approved are in the approved plan;
    the others leave it (their flows are cancelled). A vote that carried nobody leaves the plan
    at the vote, to be called again (or withdrawn)."""
    from .flows import RotationFlow, RotationPlanFlow

    with transaction.atomic(), acting_as(actor), RotationPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        _require_board(actor, plan.unit)
        task = _open_task(plan, RotationPlanFlow.ballot)
        if plan.stage != PlanStage.BALLOT or task is None:
            raise Conflict(_("The plan is not waiting for the standing committee's vote."))
        vote = selectors.pending_vote(plan)
        if vote is None:
            raise Conflict(_("Call the standing committee's vote first."))
        ballot = vote.ballot
        if ballot.status != BallotStatus.CLOSED:
            if vote.meeting.status == MeetingStatus.ADJOURNED:
                raise Conflict(
                    _("The meeting was adjourned (no quorum?): the chair reconvenes it first.")
                )
            raise Conflict(_("The ballot must be closed first."))
        approved = _approved_candidates(vote, ballot)
        approved_cadres = set(
            ballot.candidates.filter(pk__in=approved).values_list("cadre_id", flat=True)
        )
        items = list(
            Movement.objects.select_for_update(of=("self",))
            .filter(plan=plan, stage=Stage.PROPOSED)
            .order_by("pk")
        )
        carried = [m for m in items if m.cadre_id in approved_cadres]
        vote.outcome = {
            **vote.outcome,
            "result": "approved" if carried else "rejected",
            "carried": [m.pk for m in carried],
        }
        vote.note = note.strip()
        vote.recorded_at = timezone.now()
        vote.recorded_by = actor
        vote.save(update_fields=["outcome", "note", "recorded_at", "recorded_by"])
        changes = {"ballot": [None, ballot.pk], "carried": [None, [m.pk for m in carried]]}
        if carried:
            for movement in items:
                if movement in carried:
                    movement.stage = Stage.APPROVED
                    movement.save(update_fields=["stage"])
                    continue
                RotationFlow.instance.cancel(movement)
                movement.stage = Stage.NOT_CARRIED
                movement.closed_reason = str(_("Not carried by the standing committee's vote."))
                movement.save(update_fields=["stage", "closed_reason"])
            plan.stage = PlanStage.APPROVED
            plan.approved_at = timezone.now()
            plan.save(update_fields=["stage", "approved_at"])
            changes["stage"] = [PlanStage.BALLOT, PlanStage.APPROVED]
        _audit_plan(
            actor=actor,
            action=Action.ROTATION_VOTE_RECORD,
            plan=plan,
            # Who is carried, never a count.
            changes=changes,
            reason=note.strip(),
        )
        if carried:
            task_complete(task=task, actor=actor)
            people = set(selectors.board_members(plan.unit)) | set(
                selectors.members_of(plan.standing)
            )
            notify(
                recipients=[p for p in people if p.pk != actor.pk],
                kind=notices.PLAN_VOTED,
                params={"plan": plan.title, "carried": len(carried)},
                link=selectors.plan_url(plan),
            )
    return RotationPlan.objects.get(pk=plan.pk)


def plan_withdraw(*, actor, plan: RotationPlan, reason: str) -> RotationPlan:
    """Stop a plan before the standing committee carries it: the board or the competent chair,
    with a reason. Its cadres leave it; every open task is cancelled."""
    from .flows import RotationFlow, RotationPlanFlow

    with transaction.atomic(), acting_as(actor), RotationPlanFlow.lock(plan.pk):
        plan = _locked_plan(plan)
        if plan.stage not in PLAN_OPEN:
            raise Conflict(_("This plan has been voted on or withdrawn: it cannot be withdrawn."))
        chair = selectors.competent_chair(plan)
        if not (is_org_board_for(actor, plan.unit) or (chair and chair.pk == actor.pk)):
            raise Forbidden(
                _("Only the organisation board or the competent chair can withdraw a plan.")
            )
        if not reason.strip():
            raise Invalid(_("Give the reason for the withdrawal."))
        before = plan.stage
        RotationPlanFlow.instance.cancel(plan)
        items = list(
            Movement.objects.select_for_update(of=("self",))
            .filter(plan=plan, stage=Stage.PROPOSED)
            .order_by("pk")
        )
        for movement in items:
            RotationFlow.instance.cancel(movement)
            movement.stage = Stage.WITHDRAWN
            movement.closed_reason = reason.strip()
            movement.save(update_fields=["stage", "closed_reason"])
        plan.stage = PlanStage.WITHDRAWN
        plan.closed_reason = reason.strip()
        plan.save(update_fields=["stage", "closed_reason"])
        _audit_plan(
            actor=actor,
            action=Action.ROTATION_PLAN_CLOSE,
            plan=plan,
            changes={
                "stage": [before, PlanStage.WITHDRAWN],
                "items": [None, [m.pk for m in items]],
            },
            reason=reason.strip(),
        )
    return RotationPlan.objects.get(pk=plan.pk)


# --------------------------------------------------------------------------- a transfer


def transfer_propose(
    *,
    actor,
    unit: OrgUnit,
    cadre: Cadre,
    to_position: Position,
    reason: str,
    track: str = "party",
    ruleset: RuleSet | None = None,
    competent_body=None,
) -> Movement:
    """The organisation board of ``unit`` proposes to transfer a cadre of its unit to a post of
    its unit (điều động): the shorter path — consultation of both units, decision, handover and
    reception; no plan, no ballot, no periodic reports, no return."""
    from .flows import TransferFlow

    if not is_org_board_for(actor, unit):
        raise Forbidden(_("Only the organisation board of this unit can propose a transfer."))
    if not cadres_for_user(user=actor).filter(pk=cadre.pk).exists():
        raise Invalid(_("This cadre is outside your scope."))
    _require_not_own(actor, cadre)
    if not (_in_subtree(cadre.unit, unit) and _in_subtree(to_position.unit, unit)):
        raise Invalid(_("The cadre and the destination post must belong to this unit."))
    if not reason.strip():
        raise Invalid(_("Say why the cadre is transferred."))
    ruleset = _ruleset(track, ruleset)
    competent_body = _competent(unit, selectors.standing_for(unit), competent_body)
    with transaction.atomic(), acting_as(actor):
        if _already_moving(cadre) is not None:
            raise Conflict(_("This cadre is already in a rotation or a transfer."))
        from_unit, from_position = _where_from(cadre, to_position)
        movement = _start_movement(
            TransferFlow,
            kind=Kind.TRANSFER,
            unit=unit,
            ruleset=ruleset,
            competent_body=competent_body,
            cadre=cadre,
            from_unit=from_unit,
            from_position=from_position,
            to_unit=to_position.unit,
            to_position=to_position,
            reason=reason.strip(),
            stage=Stage.PROPOSED,
            proposed_by=actor,
        )
        ruleset_mark_in_use(ruleset)
        _audit(
            actor=actor,
            action=Action.ROTATION_TRANSFER_PROPOSE,
            movement=movement,
            changes={
                "from_position": [None, from_position.pk if from_position else None],
                "to_position": [None, to_position.pk],
                "ruleset": [None, str(ruleset)],
                "competent_body": [None, competent_body.pk],
            },
        )
    return Movement.objects.get(pk=movement.pk)


# --------------------------------------------------------------------------- preparing the decision


def conversation_record(
    *, actor, movement: Movement, held_on: dt.date, cadre_view: str, objection: str = ""
) -> Conversation:
    """The board records a conversation with the cadre (their view, any objection)."""
    with transaction.atomic(), acting_as(actor), _lock(movement):
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        _require_board(actor, movement.unit)
        _require_before_decision(movement)
        if not cadre_view.strip():
            raise Invalid(_("Write down the cadre's view."))
        _not_after_today(held_on, _("The conversation"))
        conversation = Conversation.objects.create(
            movement=movement,
            held_on=held_on,
            cadre_view=cadre_view.strip(),
            objection=objection.strip(),
            recorded_by=actor,
        )
        _audit(
            actor=actor,
            action=Action.ROTATION_CONVERSATION,
            movement=movement,
            target=conversation,
            changes={"held_on": [None, held_on], "objection": [None, bool(objection.strip())]},
        )
    return conversation


def consultation_record(
    *,
    actor,
    movement: Movement,
    side: str,
    consulted_on: dt.date,
    body: str,
    opinion: str,
    remarks: str = "",
) -> Consultation:
    """The board records the opinion of the sending or the receiving unit; recorded again, it
    replaces the earlier one (the audit trail keeps both). Disagreeing needs the remarks."""
    with transaction.atomic(), acting_as(actor), _lock(movement):
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        _require_board(actor, movement.unit)
        _require_before_decision(movement)
        if side not in Side.values or opinion not in Opinion.values:
            raise Invalid(_("Choose the unit and its opinion."))
        if not body.strip():
            raise Invalid(_("Name the body consulted."))
        if opinion != Opinion.AGREES and not remarks.strip():
            raise Invalid(_("Write down the unit's remarks or objection."))
        _not_after_today(consulted_on, _("The consultation"))
        before = Consultation.objects.filter(movement=movement, side=side).first()
        consultation, _created = Consultation.objects.update_or_create(
            movement=movement,
            side=side,
            defaults={
                "consulted_on": consulted_on,
                "body": body.strip(),
                "opinion": opinion,
                "remarks": remarks.strip(),
                "recorded_by": actor,
            },
        )
        _audit(
            actor=actor,
            action=Action.ROTATION_CONSULTATION,
            movement=movement,
            target=consultation,
            changes={
                "side": [None, side],
                "opinion": [before.opinion if before else None, opinion],
                "consulted_on": [before.consulted_on if before else None, consulted_on],
            },
        )
    return consultation


def dossier_record(
    *,
    actor,
    movement: Movement,
    kind: str,
    dated: dt.date,
    reference: str = "",
    note: str = "",
) -> DossierItem:
    """The board records a document of the rotation dossier as received (§6.5); recorded again,
    it replaces the earlier one (a newer health certificate)."""
    with transaction.atomic(), acting_as(actor), _lock(movement):
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        _require_board(actor, movement.unit)
        _require_before_decision(movement)
        if kind not in DossierKind.values:
            raise Invalid(_("Choose the document."))
        _not_after_today(dated, _("The document's date"))
        before = DossierItem.objects.filter(movement=movement, kind=kind).first()
        item, _created = DossierItem.objects.update_or_create(
            movement=movement,
            kind=kind,
            defaults={
                "dated": dated,
                "reference": reference.strip(),
                "note": note.strip(),
                "recorded_by": actor,
            },
        )
        _audit(
            actor=actor,
            action=Action.ROTATION_DOSSIER,
            movement=movement,
            target=item,
            changes={"kind": [None, kind], "dated": [before.dated if before else None, dated]},
        )
    return item


def duration_exception_record(*, actor, movement: Movement, reason: str) -> Movement:
    """The competent level's exception to the minimum duration of a rotation (QĐ 65 Art. 8:
    "special cases by the competent level"), with a written reason; the chair of the competent
    body records it before the decision."""
    with transaction.atomic(), acting_as(actor), _lock(movement):
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        _require_chair(actor, movement)
        _require_before_decision(movement)
        if movement.kind != Kind.ROTATION:
            raise Invalid(_("Only a rotation has a minimum duration."))
        need = rules.get(movement.ruleset, ParameterKey.ROTATION_MIN_DURATION)
        if movement.months >= need:
            raise Invalid(
                _("The rotation lasts the required %(need)d months: no exception is needed.")
                % {"need": need}
            )
        if not reason.strip():
            raise Invalid(_("An exception needs a written reason."))
        before = movement.duration_exception
        movement.duration_exception = reason.strip()
        movement.duration_exception_by = actor
        movement.save(update_fields=["duration_exception", "duration_exception_by"])
        _audit(
            actor=actor,
            action=Action.ROTATION_EXCEPTION,
            movement=movement,
            changes={"duration_exception": [before or None, movement.duration_exception]},
            reason=movement.duration_exception,
        )
    return Movement.objects.get(pk=movement.pk)


def movement_submit(*, actor, movement: Movement) -> Movement:
    """The board submits a cadre for decision: a rotation once the plan is approved and the
    cadre was carried, with a conversation on record; both units consulted (rotation and
    transfer). The gates are the decision's: the chair sees them, and they are run again on
    the decision date. Whoever submits may not sign."""
    with transaction.atomic(), acting_as(actor), _lock(movement) as flow:
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        _require_board(actor, movement.unit)
        task = _open_task(movement, flow.prepare)
        if task is None or movement.stage == Stage.SUBMITTED:
            raise Conflict(_("This has already been submitted for decision."))
        if movement.kind == Kind.ROTATION:
            if movement.stage != Stage.APPROVED:
                raise Conflict(
                    _("The standing committee has not carried this cadre in the plan yet.")
                )
            if not movement.conversations.exists():
                raise Invalid(_("Record the conversation with the cadre first."))
        elif movement.stage != Stage.PROPOSED:
            raise Conflict(_("This has already been submitted for decision."))
        consulted = set(movement.consultations.values_list("side", flat=True))
        missing = [Side(s).label for s in Side.values if s not in consulted]
        if missing:
            raise Invalid(
                _("Consult both units first: %(missing)s not consulted.")
                % {"missing": ", ".join(str(m) for m in missing)}
            )
        before = movement.stage
        movement.stage = Stage.SUBMITTED
        movement.submitted_by = actor
        movement.save(update_fields=["stage", "submitted_by"])
        _audit(
            actor=actor,
            action=Action.ROTATION_SUBMIT,
            movement=movement,
            changes={"stage": [before, Stage.SUBMITTED]},
        )
        task_complete(task=task, actor=actor)
    return Movement.objects.get(pk=movement.pk)


# --------------------------------------------------------------------------- the decision


def movement_decide(
    *,
    actor,
    movement: Movement,
    decision_number: str,
    decision_date: dt.date,
    starts_on: dt.date,
) -> Movement:
    """The chair of the competent body signs the decision (number, date, the day the cadre
    starts at the destination). The gates run on the decision date; a blocking one refuses
    the decision (409) with its reason. A rotation's planned end is the start plus its months.
    The chair may not sign what they drafted, proposed or submitted. The cadre is told."""
    with transaction.atomic(), acting_as(actor), _lock(movement) as flow:
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        task = _open_task(movement, flow.decide)
        if task is None or movement.stage != Stage.SUBMITTED:
            raise Conflict(_("Nothing is waiting for a decision."))
        _require_chair(actor, movement)
        drafters = {movement.proposed_by_id, movement.submitted_by_id}
        if movement.plan is not None:
            drafters |= {movement.plan.opened_by_id, movement.plan.submitted_by_id}
        if actor.pk in drafters:
            raise Forbidden(
                _("Whoever drafted, proposed or submitted a rotation or transfer cannot decide it.")
            )
        if not decision_number.strip():
            raise Invalid(_("Give the number of the decision."))
        _not_after_today(decision_date, _("The decision date"))
        if starts_on < decision_date:
            raise Invalid(_("The cadre cannot start before the decision."))
        results = rotation_gates.evaluate(movement, on_date=decision_date)
        stops = rotation_gates.blocking(results)
        if stops:
            raise Conflict(
                _("The decision cannot be issued — %(reasons)s")
                % {"reasons": " | ".join(f"{r.label}: {r.message}" for r in stops)}
            )
        movement.stage = Stage.DECIDED
        movement.decision_number = decision_number.strip()
        movement.decision_date = decision_date
        movement.starts_on = starts_on
        movement.planned_end = (
            starts_on + relativedelta(months=movement.months) if movement.months else None
        )
        movement.decided_by = actor
        movement.gates = [r.snapshot() for r in results]
        movement.save(
            update_fields=[
                "stage",
                "decision_number",
                "decision_date",
                "starts_on",
                "planned_end",
                "decided_by",
                "gates",
            ]
        )
        _audit(
            actor=actor,
            action=Action.ROTATION_DECISION,
            movement=movement,
            changes={
                "stage": [Stage.SUBMITTED, Stage.DECIDED],
                "decision_number": [None, movement.decision_number],
                "decision_date": [None, decision_date],
                "starts_on": [None, starts_on],
                "planned_end": [None, movement.planned_end],
                "gates_waived": [None, [r.code for r in results if r.waived]],
            },
        )
        task_complete(task=task, actor=actor)
        if movement.cadre.user_id:
            notify(
                recipients=[movement.cadre.user_id],
                kind=notices.DECIDED,
                params={
                    "kind": in_every_language(Kind(movement.kind).label),
                    "post": movement.to_position.title,
                    "number": movement.decision_number,
                    "date": decision_date.isoformat(),
                    "starts": starts_on.isoformat(),
                },
                link=selectors.movement_url(movement),
            )
    return Movement.objects.get(pk=movement.pk)


# --------------------------------------------------------------------------- handover, reception


def movement_hand_over(
    *, actor, movement: Movement, handed_over_on: dt.date, note: str = ""
) -> Movement:
    """The sending unit's organisation board hands the cadre over; the receiving unit is told
    (its board and the chairs of its committees)."""
    with transaction.atomic(), acting_as(actor), _lock(movement) as flow:
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        task = _open_task(movement, flow.hand_over)
        if task is None or movement.stage != Stage.DECIDED:
            raise Conflict(_("Nothing is waiting to be handed over."))
        if not is_org_board_for(actor, movement.from_unit):
            raise Forbidden(_("Only the organisation board of the sending unit hands over."))
        if handed_over_on < movement.decision_date:
            raise Invalid(_("The handover cannot come before the decision."))
        _not_after_today(handed_over_on, _("The handover"))
        movement.stage = Stage.HANDED_OVER
        movement.handed_over_on = handed_over_on
        movement.handed_over_by = actor
        movement.handover_note = note.strip()
        movement.save(update_fields=["stage", "handed_over_on", "handed_over_by", "handover_note"])
        _audit(
            actor=actor,
            action=Action.ROTATION_HANDOVER,
            movement=movement,
            changes={
                "stage": [Stage.DECIDED, Stage.HANDED_OVER],
                "handed_over_on": [None, handed_over_on],
            },
        )
        task_complete(task=task, actor=actor)
        notify(
            recipients=[u for u in selectors.receivers(movement) if u.pk != actor.pk],
            kind=notices.HANDED_OVER,
            params={
                "cadre": movement.cadre.full_name,
                "post": movement.to_position.title,
                "date": handed_over_on.isoformat(),
            },
            link=selectors.movement_url(movement),
        )
    return Movement.objects.get(pk=movement.pk)


def may_receive(actor, movement: Movement) -> bool:
    return is_org_board_for(actor, movement.to_unit) or (
        selectors.unit_chairs(movement.to_unit).filter(pk=actor.pk).exists()
    )


def movement_receive(
    *, actor, movement: Movement, received_on: dt.date, note: str = ""
) -> Movement:
    """The receiving unit confirms the reception (its organisation board or the chair of one
    of its committees; not whoever handed over). The post left ends the day before; the
    destination post starts (a rotation's to its planned end); a lower destination post keeps
    the previous allowance (QĐ 65 Art. 11). A transfer ends here."""
    with transaction.atomic(), acting_as(actor), _lock(movement) as flow:
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        task = _open_task(movement, flow.receive)
        if task is None or movement.stage != Stage.HANDED_OVER:
            raise Conflict(_("Nobody is waiting to be received."))
        if not may_receive(actor, movement):
            raise Forbidden(
                _("Only the receiving unit's organisation board or chair confirms the reception.")
            )
        if actor.pk == movement.handed_over_by_id:
            raise Forbidden(_("Whoever handed the cadre over cannot also confirm the reception."))
        if received_on < movement.handed_over_on:
            raise Invalid(_("The reception cannot come before the handover."))
        _not_after_today(received_on, _("The reception"))
        previous = None
        if movement.from_position_id:
            previous = (
                PositionHolding.objects.filter(
                    cadre=movement.cadre,
                    position=movement.from_position,
                    started_on__lt=received_on,
                )
                .filter(ended_on__isnull=True)
                .order_by("-started_on")
                .first()
            )
        term_end = received_on + relativedelta(months=movement.months) if movement.months else None
        try:
            if previous is not None:
                holding_end(
                    actor=actor, holding=previous, ended_on=received_on - dt.timedelta(days=1)
                )
            holding = holding_start(
                actor=actor,
                cadre=movement.cadre,
                position=movement.to_position,
                started_on=received_on,
                term_ends_on=term_end,
                decision_ref=movement.decision_number,
            )
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages)) from exc
        reserved = bool(
            movement.from_position_id and movement.to_position.level < movement.from_position.level
        )
        after = Stage.IN_ROTATION if movement.kind == Kind.ROTATION else Stage.TRANSFERRED
        movement.stage = after
        movement.received_on = received_on
        movement.received_by = actor
        movement.reception_note = note.strip()
        movement.previous_holding = previous
        movement.holding = holding
        movement.allowance_reserved = reserved
        movement.save(
            update_fields=[
                "stage",
                "received_on",
                "received_by",
                "reception_note",
                "previous_holding",
                "holding",
                "allowance_reserved",
            ]
        )
        _audit(
            actor=actor,
            action=Action.ROTATION_RECEPTION,
            movement=movement,
            changes={
                "stage": [Stage.HANDED_OVER, after],
                "received_on": [None, received_on],
                "holding": [None, holding.pk],
                "previous_holding_ended": [None, previous.pk if previous else None],
                "allowance_reserved": [None, reserved],
            },
        )
        task_complete(task=task, actor=actor)
    return Movement.objects.get(pk=movement.pk)


# --------------------------------------------------------------------------- during the rotation


def report_record(*, actor, movement: Movement, reported_on: dt.date, text: str) -> Report:
    """The receiving unit's organisation board records the next periodic report on the rotated
    cadre (due every ``selectors.REPORT_EVERY_MONTHS`` from the reception; a report may come
    early, and one more may follow the schedule's last)."""
    with transaction.atomic(), acting_as(actor), _lock(movement):
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        if movement.stage != Stage.IN_ROTATION:
            raise Conflict(_("Reports are recorded while the cadre is in rotation."))
        if not is_org_board_for(actor, movement.to_unit):
            raise Forbidden(_("Only the organisation board of the receiving unit reports."))
        if not text.strip():
            raise Invalid(_("Write the report."))
        if reported_on < movement.received_on:
            raise Invalid(_("A report cannot come before the reception."))
        _not_after_today(reported_on, _("The report"))
        upcoming = selectors.next_report(movement)
        number = movement.reports.count() + 1
        due = upcoming[1] if upcoming else reported_on
        report = Report.objects.create(
            movement=movement,
            number=number,
            due_on=due,
            reported_on=reported_on,
            text=text.strip(),
            recorded_by=actor,
        )
        _audit(
            actor=actor,
            action=Action.ROTATION_REPORT,
            movement=movement,
            target=report,
            changes={
                "number": [None, number],
                "due_on": [None, due],
                "reported_on": [None, reported_on],
            },
        )
    return report


def review_record(
    *,
    actor,
    movement: Movement,
    reviewed_on: dt.date,
    review: str,
    proposed_placement: str,
) -> Movement:
    """The board of the plan's unit records the end-of-rotation review (results, capacity,
    evaluation; QĐ 65 Art. 10) and proposes the placement; the competent chair decides it."""
    with transaction.atomic(), acting_as(actor), _lock(movement) as flow:
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        task = _open_task(movement, flow.in_rotation) if movement.is_rotation else None
        if task is None or movement.stage != Stage.IN_ROTATION:
            raise Conflict(_("No rotation is waiting for its review."))
        _require_board(actor, movement.unit)
        if not review.strip():
            raise Invalid(_("Write the review."))
        if proposed_placement not in Placement.values:
            raise Invalid(_("Propose the placement."))
        if reviewed_on < movement.received_on:
            raise Invalid(_("The review cannot come before the reception."))
        _not_after_today(reviewed_on, _("The review"))
        movement.stage = Stage.REVIEWED
        movement.review = review.strip()
        movement.proposed_placement = proposed_placement
        movement.reviewed_on = reviewed_on
        movement.reviewed_by = actor
        movement.save(
            update_fields=["stage", "review", "proposed_placement", "reviewed_on", "reviewed_by"]
        )
        _audit(
            actor=actor,
            action=Action.ROTATION_REVIEW,
            movement=movement,
            changes={
                "stage": [Stage.IN_ROTATION, Stage.REVIEWED],
                "proposed_placement": [None, proposed_placement],
                "early": [None, bool(movement.planned_end and reviewed_on < movement.planned_end)],
            },
        )
        task_complete(task=task, actor=actor)
    return Movement.objects.get(pk=movement.pk)


def placement_decide(
    *,
    actor,
    movement: Movement,
    placement: str,
    effective_on: dt.date,
    decision_number: str,
    position: Position | None = None,
) -> Movement:
    """The chair of the competent body decides what follows the rotation (QĐ 65 Art. 10), not
    whoever recorded the review: return (to the former post, or ``position``), a new post
    (``position``), or stay at the destination — settled there, no longer a rotated cadre, on
    the post's normal term. The destination post ends the day before ``effective_on`` and the
    next holding starts that day. The cadre is told."""
    with transaction.atomic(), acting_as(actor), _lock(movement) as flow:
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        task = _open_task(movement, flow.place) if movement.is_rotation else None
        if task is None or movement.stage != Stage.REVIEWED:
            raise Conflict(_("No rotation is waiting for its placement."))
        _require_chair(actor, movement)
        if actor.pk == movement.reviewed_by_id:
            raise Forbidden(_("Whoever recorded the review cannot decide the placement."))
        if placement not in Placement.values:
            raise Invalid(_("Choose the placement."))
        if not decision_number.strip():
            raise Invalid(_("Give the number of the placement decision."))
        if placement == Placement.STAY:
            position = movement.to_position
        elif placement == Placement.RETURN:
            position = position or movement.from_position
            if position is None:
                raise Invalid(_("The cadre held no post before: choose the post they return to."))
        elif position is None:
            raise Invalid(_("Choose the new post."))
        if placement != Placement.STAY and position.pk == movement.to_position_id:
            raise Invalid(_("That is the post at the destination: choose “stay” instead."))
        if not _in_subtree(position.unit, movement.unit):
            raise Invalid(_("The post must belong to the plan's unit."))
        if effective_on <= movement.received_on:
            raise Invalid(_("The placement takes effect after the reception."))
        try:
            if movement.holding is not None and movement.holding.ended_on is None:
                holding_end(
                    actor=actor,
                    holding=movement.holding,
                    ended_on=effective_on - dt.timedelta(days=1),
                )
            following = holding_start(
                actor=actor,
                cadre=movement.cadre,
                position=position,
                started_on=effective_on,
                decision_ref=decision_number.strip(),
            )
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages)) from exc
        movement.stage = Stage.COMPLETED
        movement.placement = placement
        movement.placement_position = position
        movement.placement_decision = decision_number.strip()
        movement.placed_on = effective_on
        movement.placed_by = actor
        movement.placement_holding = following
        movement.save(
            update_fields=[
                "stage",
                "placement",
                "placement_position",
                "placement_decision",
                "placed_on",
                "placed_by",
                "placement_holding",
            ]
        )
        _audit(
            actor=actor,
            action=Action.ROTATION_PLACEMENT,
            movement=movement,
            changes={
                "stage": [Stage.REVIEWED, Stage.COMPLETED],
                "placement": [None, placement],
                "position": [None, position.pk],
                "holding": [None, following.pk],
                "decision": [None, movement.placement_decision],
            },
        )
        task_complete(task=task, actor=actor)
        if movement.cadre.user_id:
            notify(
                recipients=[movement.cadre.user_id],
                kind=notices.PLACED,
                params={
                    "post": position.title,
                    "placement": in_every_language(Placement(placement).label),
                    "number": movement.placement_decision,
                    "date": effective_on.isoformat(),
                },
                link=selectors.movement_url(movement),
            )
    return Movement.objects.get(pk=movement.pk)


def movement_withdraw(*, actor, movement: Movement, reason: str) -> Movement:
    """Take a cadre out before the decision: the board or the competent chair, with a reason.
    The flow's open tasks are cancelled; nothing about the cadre's posts changes."""
    with transaction.atomic(), acting_as(actor), _lock(movement) as flow:
        movement = _locked(movement)
        _require_not_own(actor, movement.cadre)
        _require_before_decision(movement)
        chair = selectors.competent_chair(movement)
        if not (is_org_board_for(actor, movement.unit) or (chair and chair.pk == actor.pk)):
            raise Forbidden(_("Only the organisation board or the competent chair can withdraw."))
        if not reason.strip():
            raise Invalid(_("Give the reason for the withdrawal."))
        before = movement.stage
        flow.instance.cancel(movement)
        movement.stage = Stage.WITHDRAWN
        movement.closed_reason = reason.strip()
        movement.save(update_fields=["stage", "closed_reason"])
        _audit(
            actor=actor,
            action=Action.ROTATION_WITHDRAW,
            movement=movement,
            changes={"stage": [before, Stage.WITHDRAWN]},
            reason=reason.strip(),
        )
    return Movement.objects.get(pk=movement.pk)


# --------------------------------------------------------------------------- the nightly job


def reminders_send(*, on_date: dt.date | None = None) -> int:
    """Remind the receiving unit's board of each report due (on or after its due date, until it
    is recorded) and the plan's board of each rotation past its planned end without a review.
    Idempotent: each reminder has its dedupe key (movement, report number / review), so running
    it again, or on two workers, tells nobody twice. Returns how many reminders were due."""
    on_date = on_date or timezone.localdate()
    due = 0
    with transaction.atomic():
        for movement in selectors.in_rotation().order_by("pk"):
            upcoming = selectors.next_report(movement)
            if upcoming is not None and upcoming[1] <= on_date:
                number, day = upcoming
                notify(
                    recipients=selectors.board_members(movement.to_unit),
                    kind=notices.REPORT_DUE,
                    params={
                        "cadre": movement.cadre.full_name,
                        "number": number,
                        "due": day.isoformat(),
                    },
                    link=selectors.movement_url(movement, "reports"),
                    dedupe_key=f"rotation:{movement.pk}:report:{number}",
                )
                due += 1
            if movement.planned_end is not None and movement.planned_end <= on_date:
                notify(
                    recipients=selectors.board_members(movement.unit),
                    kind=notices.REVIEW_DUE,
                    params={
                        "cadre": movement.cadre.full_name,
                        "end": movement.planned_end.isoformat(),
                    },
                    link=selectors.movement_url(movement, "review"),
                    dedupe_key=f"rotation:{movement.pk}:review",
                )
                due += 1
    return due
