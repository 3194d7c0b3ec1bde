"""Writes of the planning review and of removals from the plan (domain §4, I-18, I-19).

Keyword-only; each checks who may act, takes the process lock and the rows it counts, writes
its audit event in the same transaction, completes the viewflow task and notifies after
commit. Refusals are ``workflows.core.errors`` (Conflict 409, Forbidden 403, Invalid 400)
with a message that names the rule and its source.

Caps and rules (I-18; ``PLANNING_CAPS`` of the review's rule-set), checked when a cadre is
proposed and again, under row locks on the posts and cadres concerned, when the competent
level approves (another review may have filled a post meanwhile):

- at most ``per_position`` cadres per post: the approved entries of the term plus this
  review's active proposals;
- at most ``per_cadre`` posts of one level per cadre, counted the same way;
- only a post higher than the cadre's current one (``PositionLevel`` order, as the
  appointment gates compare levels);
- no planning of a cadre for a post while an appointment of that cadre to that post runs.

A term is named by its first year (``PlanningEntry`` is unique per cadre, post and first
year). The key officials' ballot per post has as many places as the post has left under the
cap; a cadre goes on when named by more than half (I-2), and only when nobody is does the
engine's carry-forward rule (I-4) apply (❓ §4.3 step 3: threshold not read). Names written in
on a paper are not added to the list (the board adds a cadre through a new review).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from viewflow.workflow.status import STATUS

from notifications import kinds
from notifications.kinds import in_every_language
from notifications.services import notify
from personnel.audit.actions import Action
from personnel.audit.context import acting_as
from personnel.audit.services import audit_record
from personnel.models import (
    Cadre,
    CommitteeKind,
    OrgUnit,
    PlanningEntry,
    PlanningStatus,
    Position,
    PositionLevel,
)
from personnel.selectors import cadres_for_user
from personnel.services import planning_entry_add, planning_entry_status_set
from workflows.appointment.gates import is_first_appointment_or_higher
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

from . import gates as planning_gates
from . import selectors
from .models import (
    AUTOMATIC,
    RUNNING,
    CandidateStatus,
    PlanningReview,
    RemovalProposal,
    RemovalReason,
    RemovalStatus,
    ReviewCandidate,
    ReviewStep,
    Stage,
    StepCode,
)

PROCEDURE = "planning"

REVIEW_DECIDED = kinds.register(
    kinds.Kind(
        "planning.decided",
        title=gettext_lazy("Plan decided: %(unit)s, %(term)s"),
        body=gettext_lazy("%(decision)s"),
        label=gettext_lazy("The competent level decides on a planning review"),
        email_default=True,
        translated=("decision",),
    )
)
PLAN_PUBLISHED = kinds.register(
    kinds.Kind(
        "planning.published",
        title=gettext_lazy("In the approved plan: %(post)s"),
        body=gettext_lazy("Term %(term)s, approved by decision %(decision)s."),
        label=gettext_lazy("You are in a published planning list"),
        email_default=True,
    )
)
REMOVED = kinds.register(
    kinds.Kind(
        "planning.removed",
        title=gettext_lazy("Removed from the plan: %(post)s"),
        body=gettext_lazy("%(ground)s"),
        label=gettext_lazy("You are removed from a plan"),
        email_default=True,
    )
)
APPROVED, REJECTED = gettext_noop("Approved"), gettext_noop("Not approved")

STEP_ORDER = [StepCode.LEADERSHIP, StepCode.KEY_OFFICIALS, StepCode.STANDING]
STAGE_AFTER = {
    StepCode.LEADERSHIP: Stage.LIST_APPROVED,
    StepCode.KEY_OFFICIALS: Stage.NOMINATED,
    StepCode.STANDING: Stage.VOTED,
}


# --------------------------------------------------------------------------- helpers


def _audit(*, actor, action: Action, review: PlanningReview, **extra) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=review,
        process=review.pk,
        procedure=PROCEDURE,
        unit=review.unit_id,
        **extra,
    )


def _locked(review: PlanningReview) -> PlanningReview:
    return (
        PlanningReview.objects.select_for_update(of=("self",))
        .select_related("unit", "ruleset", "leadership", "standing", "competent_body")
        .get(pk=review.pk)
    )


def _open_task(process, node):
    return (
        process.task_set.filter(flow_task=node)
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
        .first()
    )


def _node(code: str):
    from .flows import PlanningReviewFlow

    return getattr(PlanningReviewFlow, code)


def current_step(review: PlanningReview) -> str | None:
    """The code of the meeting step whose task is open, or None."""
    for code in STEP_ORDER:
        if _open_task(review, _node(code)) is not None:
            return code
    return None


def _require_board(actor, unit: OrgUnit) -> None:
    if not is_org_board_for(actor, unit):
        raise Forbidden(_("Only the organisation board of this unit can do this."))


def _require_running(review: PlanningReview) -> None:
    if review.stage not in RUNNING or review.finished is not None:
        raise Conflict(_("This planning review has moved past this point or has ended."))


def _expect(step: str | None, code: str | None) -> None:
    """The page posted for ``step``; if the review has moved on meanwhile (someone else acted
    first), say so instead of acting on the next step."""
    if step is not None and step != code:
        raise Conflict(_("This step has already been dealt with by someone else: reload the page."))


def _term(review: PlanningReview) -> str:
    return f"{review.term_start_year}–{review.term_end_year}"


def _caps(ruleset: RuleSet) -> tuple[dict, str]:
    parameter = rules.parameter(ruleset, ParameterKey.PLANNING_CAPS)
    return parameter.value, parameter.citation


def _lock_rows(*, positions: Collection[int], cadres: Collection[int]) -> None:
    """Lock the posts and cadres whose counts a cap reads, in primary-key order (posts first),
    so that two reviews approving at once count one after the other."""
    list(Position.objects.select_for_update().filter(pk__in=positions).order_by("pk").values("pk"))
    list(Cadre.objects.select_for_update().filter(pk__in=cadres).order_by("pk").values("pk"))


def _level(level: int) -> str:
    return str(PositionLevel(level).label)


def _current_post(cadre: Cadre, on_date: dt.date):
    held = [h for h in cadre.holdings.select_related("position") if h.is_active_on(on_date)]
    return max(held, key=lambda h: h.position.level).position if held else None


def rule_problems(
    review: PlanningReview,
    position: Position,
    cadre: Cadre,
    *,
    others: Sequence[ReviewCandidate],
    on_date: dt.date | None = None,
) -> list[str]:
    """What I-18 says against planning ``cadre`` for ``position`` in ``review``'s term, next
    to ``others`` (this review's other active proposals). Empty when nothing does."""
    on_date = on_date or timezone.localdate()
    caps, source = _caps(review.ruleset)
    problems = []
    if not is_first_appointment_or_higher(cadre=cadre, position=position, on_date=on_date):
        current = _current_post(cadre, on_date)
        problems.append(
            _(
                "Only a post higher than the cadre's current one can be planned (%(source)s): "
                "%(cadre)s holds %(current)s (%(current_level)s); %(post)s is %(level)s."
            )
            % {
                "source": source,
                "cadre": cadre,
                "current": current.title if current else "—",
                "current_level": _level(current.level) if current else "—",
                "post": position.title,
                "level": _level(position.level),
            }
        )
    term = review.term_start_year
    if PlanningEntry.objects.filter(
        cadre=cadre,
        position=position,
        term_start_year=term,
        status__in=[PlanningStatus.APPROVED, PlanningStatus.FULFILLED],
    ).exists():
        problems.append(
            _("%(cadre)s is already in the plan for %(post)s for this term.")
            % {"cadre": cadre, "post": position.title}
        )
        return problems
    approved = selectors.approved_entries(term_start_year=term)
    on_post = approved.filter(position=position).exclude(cadre=cadre).count()
    proposed_post = sum(1 for o in others if o.position_id == position.pk)
    if on_post + proposed_post + 1 > caps["per_position"]:
        problems.append(
            _(
                "At most %(cap)d cadres per post (%(source)s): %(post)s already has %(approved)d "
                "in the approved plan and %(proposed)d proposed in this review."
            )
            % {
                "cap": caps["per_position"],
                "source": source,
                "post": position.title,
                "approved": on_post,
                "proposed": proposed_post,
            }
        )
    same_level = (
        approved.filter(cadre=cadre, position__level=position.level)
        .exclude(position=position)
        .values("position_id")
        .distinct()
        .count()
    )
    proposed_level = len(
        {
            o.position_id
            for o in others
            if o.cadre_id == cadre.pk
            and o.position.level == position.level
            and o.position_id != position.pk
        }
    )
    if same_level + proposed_level + 1 > caps["per_cadre"]:
        problems.append(
            _(
                "At most %(cap)d posts of one level per cadre (%(source)s): %(cadre)s is already "
                "in the approved plan for %(approved)d and proposed in this review for "
                "%(proposed)d posts of this level (%(level)s)."
            )
            % {
                "cap": caps["per_cadre"],
                "source": source,
                "cadre": cadre,
                "approved": same_level,
                "proposed": proposed_level,
                "level": _level(position.level),
            }
        )
    appointment = selectors.appointment_under_way(cadre=cadre, position=position)
    if appointment is not None:
        problems.append(
            _(
                "No planning of a cadre for a post while their appointment to it is under way "
                "(%(source)s): appointment procedure no. %(number)s for %(post)s."
            )
            % {"source": source, "number": appointment.pk, "post": position.title}
        )
    return problems


def _gates(review: PlanningReview, candidate: ReviewCandidate):
    return planning_gates.evaluate(
        cadre=candidate.cadre,
        position=candidate.position,
        ruleset=review.ruleset,
        term_start_year=review.term_start_year,
        on_date=timezone.localdate(),
    )


def _refresh_gates(review: PlanningReview, candidates: Sequence[ReviewCandidate]) -> list[str]:
    """Run the gates again for every candidate, keep the snapshots, and say which block."""
    blocked = []
    for candidate in candidates:
        results = _gates(review, candidate)
        candidate.gates = [r.snapshot() for r in results]
        candidate.save(update_fields=["gates"])
        stops = [r for r in results if r.blocking]
        if stops:
            reasons = "; ".join(f"{r.label}: {r.message}" for r in stops)
            blocked.append(f"{candidate.cadre} ({candidate.position.title}): {reasons}")
    return blocked


def _all_problems(review: PlanningReview, candidates: Sequence[ReviewCandidate]) -> list[str]:
    problems = []
    for candidate in candidates:
        others = [c for c in candidates if c.pk != candidate.pk]
        problems += rule_problems(review, candidate.position, candidate.cadre, others=others)
    return list(dict.fromkeys(problems))


# --------------------------------------------------------------------------- opening


def review_open(
    *,
    actor,
    unit: OrgUnit,
    term_start_year: int,
    term_end_year: int,
    review_year: int | None = None,
    track: str = "party",
    ruleset: RuleSet | None = None,
    competent_body=None,
    note: str = "",
) -> PlanningReview:
    """The organisation board opens the annual review of ``unit``'s plan for a term, under the
    newest rule-set of the track (kept to the end). The unit's standing committee votes; the
    competent body (by default that committee; a body of a unit above for cadres it manages)
    approves."""
    from .flows import PlanningReviewFlow

    if not is_org_board_for(actor, unit):
        raise Forbidden(_("Only the organisation board of this unit can open a planning review."))
    if term_end_year <= term_start_year:
        raise Invalid(_("The planning term must end after it starts."))
    review_year = review_year or timezone.localdate().year
    if ruleset is None:
        ruleset = selectors.newest_ruleset(track=track)
        if ruleset is None:
            raise Invalid(_("No rule-set is in force for this track."))
    elif ruleset.track != track:
        raise Invalid(_("The rule-set belongs to another track."))
    standing = selectors.standing_for(unit)
    if standing is None:
        raise Invalid(_("This unit has no standing committee to vote on the plan."))
    competent_body = competent_body or standing
    if not unit.path.startswith(competent_body.unit.path):
        raise Invalid(_("The competent body must belong to this unit or to a unit above it."))
    if competent_body.kind not in (CommitteeKind.STANDING, CommitteeKind.EXECUTIVE):
        raise Invalid(_("The plan is approved by a standing or an executive committee."))
    with transaction.atomic(), acting_as(actor):
        if PlanningReview.objects.filter(
            unit=unit, term_start_year=term_start_year, stage__in=RUNNING
        ).exists():
            raise Conflict(_("A review of this unit's plan for this term is already under way."))
        try:
            with transaction.atomic():
                review = PlanningReviewFlow.start.run(
                    unit=unit,
                    term_start_year=term_start_year,
                    term_end_year=term_end_year,
                    review_year=review_year,
                    track=ruleset.track,
                    ruleset=ruleset,
                    leadership=selectors.leadership_for(unit) or standing,
                    standing=standing,
                    competent_body=competent_body,
                    note=note.strip(),
                    opened_by=actor,
                    stage=Stage.SOURCE_LIST,
                )
        except IntegrityError:
            raise Conflict(
                _("A review of this unit's plan for this term is already under way.")
            ) from None
        ruleset_mark_in_use(ruleset)
        _audit(
            actor=actor,
            action=Action.PLANNING_REVIEW_OPEN,
            review=review,
            changes={
                "term": [None, f"{term_start_year}–{term_end_year}"],
                "review_year": [None, review_year],
                "ruleset": [None, str(ruleset)],
                "competent_body": [None, competent_body.pk],
            },
        )
    return PlanningReview.objects.get(pk=review.pk)


# --------------------------------------------------------------------------- the source list


def candidate_propose(
    *, actor, review: PlanningReview, position: Position, cadre: Cadre
) -> ReviewCandidate:
    """The board proposes ``cadre`` for ``position``. The caps and rules (I-18) refuse with
    their numbers; the gates run and are kept with the proposal (a blocking gate stops the
    list's submission, not the proposal, so the board sees why)."""
    from .flows import PlanningReviewFlow

    with transaction.atomic(), acting_as(actor), PlanningReviewFlow.lock(review.pk):
        review = _locked(review)
        _require_running(review)
        _require_board(actor, review.unit)
        if _open_task(review, PlanningReviewFlow.source_list) is None:
            raise Conflict(_("The source list can no longer change."))
        if not position.unit.path.startswith(review.unit.path):
            raise Invalid(_("This post is not a post of the unit under review."))
        if not cadres_for_user(user=actor).filter(pk=cadre.pk).exists():
            raise Invalid(_("This cadre is outside your scope."))
        if review.candidates.filter(
            position=position, cadre=cadre, status=CandidateStatus.ACTIVE
        ).exists():
            raise Conflict(_("This cadre is already proposed for this post."))
        _lock_rows(positions=[position.pk], cadres=[cadre.pk])
        others = list(selectors.active_candidates(review))
        problems = rule_problems(review, position, cadre, others=others)
        if problems:
            raise Invalid(" ".join(problems))
        candidate, _created = ReviewCandidate.objects.get_or_create(
            review=review, position=position, cadre=cadre, defaults={"proposed_by": actor}
        )
        candidate.status = CandidateStatus.ACTIVE
        candidate.reason = ""
        candidate.proposed_by = actor
        results = _gates(review, candidate)
        candidate.gates = [r.snapshot() for r in results]
        candidate.save(update_fields=["status", "reason", "proposed_by", "gates"])
        _audit(
            actor=actor,
            action=Action.PLANNING_PROPOSE,
            review=review,
            cadre=cadre.pk,
            changes={
                "position": [None, position.pk],
                "cadre": [None, cadre.pk],
                "gates_failed": [None, [r.code for r in results if not r.passed]],
            },
        )
    return candidate


def candidate_withdraw(
    *, actor, review: PlanningReview, candidate: ReviewCandidate, reason: str
) -> ReviewCandidate:
    """The board takes a proposal off the list, with a reason, at any point before the
    competent level decides."""
    from .flows import PlanningReviewFlow

    with transaction.atomic(), acting_as(actor), PlanningReviewFlow.lock(review.pk):
        review = _locked(review)
        _require_running(review)
        _require_board(actor, review.unit)
        candidate = ReviewCandidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.review_id != review.pk:
            raise Invalid(_("This proposal belongs to another review."))
        if candidate.status != CandidateStatus.ACTIVE:
            raise Conflict(_("This proposal is no longer on the list."))
        if not reason.strip():
            raise Invalid(_("Give the reason for taking the cadre off the list."))
        candidate.status = CandidateStatus.WITHDRAWN
        candidate.reason = reason.strip()
        candidate.save(update_fields=["status", "reason"])
        _audit(
            actor=actor,
            action=Action.PLANNING_UNPROPOSE,
            review=review,
            cadre=candidate.cadre_id,
            changes={"position": [candidate.position_id, None]},
            reason=reason.strip(),
        )
    return candidate


def source_list_submit(*, actor, review: PlanningReview) -> PlanningReview:
    """The board submits the list to the leadership collective: the gates run again and none
    may block, and the caps still hold. The submitter may not approve the plan later."""
    from .flows import PlanningReviewFlow

    with transaction.atomic(), acting_as(actor), PlanningReviewFlow.lock(review.pk):
        review = _locked(review)
        _require_running(review)
        _require_board(actor, review.unit)
        task = _open_task(review, PlanningReviewFlow.source_list)
        if task is None:
            raise Conflict(_("The source list has already been submitted."))
        candidates = list(selectors.active_candidates(review))
        if not candidates:
            raise Invalid(_("Propose at least one cadre."))
        blocked = _refresh_gates(review, candidates)
        if blocked:
            raise Invalid(
                _("Blocked by the planning gates — %(lines)s") % {"lines": " | ".join(blocked)}
            )
        problems = _all_problems(review, candidates)
        if problems:
            raise Invalid(" ".join(problems))
        review.submitted_by = actor
        review.save(update_fields=["submitted_by"])
        _audit(
            actor=actor,
            action=Action.PLANNING_LIST_SUBMIT,
            review=review,
            changes={"candidates": [None, [[c.position_id, c.cadre_id] for c in candidates]]},
        )
        task_complete(task=task, actor=actor)
    return PlanningReview.objects.get(pk=review.pk)


# --------------------------------------------------------------------------- steps with meetings


def _step_meeting(review: PlanningReview, code: str):
    """(meeting kind, body, chair) for a step."""
    if code == StepCode.LEADERSHIP:
        body = review.leadership
        kind = (
            MeetingKind.LEADERSHIP_COLLECTIVE
            if body.kind == CommitteeKind.LEADERSHIP
            else MeetingKind.STANDING_COMMITTEE
        )
        return kind, body, selectors.chair_of(body)
    if code == StepCode.STANDING:
        return MeetingKind.STANDING_COMMITTEE, review.standing, selectors.chair_of(review.standing)
    head = selectors.chair_of(review.leadership) or selectors.chair_of(review.standing)
    return MeetingKind.KEY_OFFICIALS, None, head


def _default_roster(review: PlanningReview) -> list:
    """Who the key officials' meeting summons when the board names nobody: the leadership
    collective and the standing committee."""
    people = selectors.members_of(review.leadership) | selectors.members_of(review.standing)
    return list(people.distinct())


def _by_post(candidates: Sequence[ReviewCandidate]) -> dict[int, list[ReviewCandidate]]:
    posts: dict[int, list[ReviewCandidate]] = {}
    for candidate in candidates:
        posts.setdefault(candidate.position_id, []).append(candidate)
    return posts


def step_call(
    *,
    actor,
    review: PlanningReview,
    scheduled_at: dt.datetime,
    place: str = "",
    summoned: Sequence | None = None,
    mode: str = BallotMode.ELECTRONIC,
    step: str | None = None,
) -> list[ReviewStep]:
    """The board calls the current step's meeting with its ballots on the engine: the
    leadership collective one approval ballot on the list; the key officials one nomination
    ballot per post (sealed as the rule-set says), with as many places as the post has left
    under the cap; the standing committee one approval ballot per post (a verdict per cadre).
    The meeting then runs on its own pages."""
    from .flows import PlanningReviewFlow

    with transaction.atomic(), acting_as(actor), PlanningReviewFlow.lock(review.pk):
        review = _locked(review)
        _require_running(review)
        _require_board(actor, review.unit)
        code = current_step(review)
        _expect(step, code)
        if code is None:
            raise Conflict(_("No step is waiting for a meeting."))
        if review.steps.filter(code=code, recorded_at__isnull=True).exists():
            raise Conflict(_("This step's meeting has already been called."))
        candidates = list(selectors.active_candidates(review))
        if not candidates:
            raise Invalid(_("Nobody is left on the list."))
        kind, body, chair = _step_meeting(review, code)
        if chair is None:
            raise Invalid(_("The meeting has no chair: the collective has no head today."))
        label = StepCode(code).label
        roster = summoned
        if body is None and not roster:
            roster = _default_roster(review)
        call = max(review.steps.filter(code=code).values_list("call", flat=True), default=0) + 1
        caps, _source = _caps(review.ruleset)
        rows = []
        try:
            meeting = core.meeting_create(
                actor=actor,
                title=f"{label} — {review.unit.name} {_term(review)}"[:200],
                kind=kind,
                unit=review.unit,
                ruleset=review.ruleset,
                chair=chair,
                scheduled_at=scheduled_at,
                body=body,
                competent_body=review.competent_body,
                summoned=roster if body is None else None,
                place=place,
            )
            if code == StepCode.LEADERSHIP:
                posts = _by_post(candidates)
                motion = _(
                    "Approve the source list for the %(term)s plan: %(cadres)d cadres for "
                    "%(posts)d posts"
                ) % {"term": _term(review), "cadres": len(candidates), "posts": len(posts)}
                ballot = core.ballot_create(
                    actor=actor,
                    meeting=meeting,
                    kind=BallotKind.APPROVAL,
                    mode=mode,
                    title=str(label)[:300],
                    motion=motion[:300],
                )
                rows.append((None, ballot))
            else:
                for position_id, group in _by_post(candidates).items():
                    position = group[0].position
                    cadres = [c.cadre for c in group]
                    title = f"{label} — {position.title}"[:300]
                    if code == StepCode.KEY_OFFICIALS:
                        taken = (
                            selectors.approved_entries(term_start_year=review.term_start_year)
                            .filter(position_id=position_id)
                            .count()
                        )
                        seats = max(1, min(len(cadres), caps["per_position"] - taken))
                        ballot = core.ballot_create(
                            actor=actor,
                            meeting=meeting,
                            kind=BallotKind.NOMINATION,
                            mode=mode,
                            title=title,
                            cadres=cadres,
                            seats=seats,
                        )
                    else:
                        ballot = core.ballot_create(
                            actor=actor,
                            meeting=meeting,
                            kind=BallotKind.APPROVAL,
                            mode=mode,
                            title=title,
                            cadres=cadres,
                        )
                    rows.append((position, ballot))
        except ValidationError as exc:
            raise Invalid(" ".join(exc.messages)) from exc
        steps = [
            ReviewStep.objects.create(
                review=review,
                code=code,
                call=call,
                position=position,
                meeting=meeting,
                ballot=ballot,
            )
            for position, ballot in rows
        ]
        _audit(
            actor=actor,
            action=Action.PLANNING_STEP_CALL,
            review=review,
            changes={
                "step": [None, code],
                "meeting": [None, meeting.pk],
                "ballots": [None, [b.pk for _p, b in rows]],
            },
        )
    return steps


def tie_decide(
    *,
    actor,
    review: PlanningReview,
    ballot: Ballot,
    approve: Collection[int] = (),
    differing_opinions: str,
    step: str | None = None,
) -> ReviewStep:
    """Exactly half in a collective vote (the leadership's list, a cadre at the standing
    committee): the head of the meeting decides each tied row — ``approve`` holds the ballot
    candidate ids approved, the other tied rows are rejected — and reports every differing
    opinion (I-3)."""
    from .flows import PlanningReviewFlow

    with transaction.atomic(), acting_as(actor), PlanningReviewFlow.lock(review.pk):
        review = _locked(review)
        _require_running(review)
        code = current_step(review)
        _expect(step, code)
        row = (
            review.steps.filter(code=code, ballot_id=ballot.pk, recorded_at__isnull=True).first()
            if code
            else None
        )
        if row is None:
            raise Conflict(_("No vote of this review awaits the head's decision."))
        if rules.get(review.ruleset, ParameterKey.TIE_RULE) != "head_decides":
            raise Conflict(_("Under this rule-set a tie is not decided by the head."))
        ballot = Ballot.objects.get(pk=ballot.pk)
        tied = {int(pk) for pk, v in (ballot.outcome.get("result") or {}).items() if v == "tied"}
        approve = {int(pk) for pk in approve}
        if not tied:
            raise Conflict(_("No vote of this review awaits the head's decision."))
        if approve - tied:
            raise Invalid(_("The head decides only the rows tied at exactly half."))
        names = dict(ballot.candidates.values_list("pk", "label"))
        cadre_names = {
            c.pk: str(c.cadre) for c in ballot.candidates.select_related("cadre") if c.cadre_id
        }
        names.update(cadre_names)
        decision = "; ".join(
            f"{names.get(pk, pk)}: {_('Approved') if pk in approve else _('Not approved')}"
            for pk in sorted(tied)
        )
        core.ballot_head_decide(
            actor=actor, ballot=ballot, decision=decision, differing_opinions=differing_opinions
        )
        row.outcome = {**row.outcome, "head_approves": sorted(approve)}
        row.save(update_fields=["outcome"])
        _audit(
            actor=actor,
            action=Action.PLANNING_TIE_DECIDE,
            review=review,
            changes={"ballot": [None, ballot.pk], "head_approves": [None, sorted(approve)]},
        )
    return row


def _approved_rows(row: ReviewStep, ballot: Ballot) -> list[int]:
    """Ballot candidate ids approved (a tie counts as the head decided it)."""
    passed = []
    for candidate_id, verdict in ballot.outcome["result"].items():
        if verdict == "tied":
            if "head_approves" not in row.outcome:
                raise Conflict(
                    _("A vote is tied at exactly half: the head of the meeting decides it first.")
                )
            if int(candidate_id) in row.outcome["head_approves"]:
                passed.append(int(candidate_id))
        elif verdict == "approved":
            passed.append(int(candidate_id))
    return passed


def step_record(
    *, actor, review: PlanningReview, note: str = "", step: str | None = None
) -> list[ReviewStep]:
    """Record the outcome of the current step's closed ballots and move on; cadres not carried
    leave the list. A step that carried nobody (the list rejected, nobody nominated or
    approved) stays open to be called again."""
    from .flows import PlanningReviewFlow

    with transaction.atomic(), acting_as(actor), PlanningReviewFlow.lock(review.pk):
        review = _locked(review)
        _require_running(review)
        _require_board(actor, review.unit)
        code = current_step(review)
        _expect(step, code)
        if code is None:
            raise Conflict(_("No step is waiting for a vote to be recorded."))
        rows = list(
            review.steps.filter(code=code, recorded_at__isnull=True).select_related(
                "ballot", "meeting"
            )
        )
        if not rows:
            raise Conflict(_("Call this step's meeting first."))
        for row in rows:
            if row.ballot.status != BallotStatus.CLOSED:
                if row.meeting.status == MeetingStatus.ADJOURNED:
                    raise Conflict(
                        _("The meeting was adjourned (no quorum?): the chair reconvenes it first.")
                    )
                raise Conflict(_("Every ballot of the step must be closed first."))
        active = {(c.position_id, c.cadre_id): c for c in selectors.active_candidates(review)}
        forward: set[tuple[int, int]] = set()
        results = []
        per_row = {}
        for row in rows:
            ballot = row.ballot
            by_candidate = dict(ballot.candidates.values_list("pk", "cadre_id"))
            if code == StepCode.LEADERSHIP:
                goes = set(active) if _approved_rows(row, ballot) else set()
                result = "approved" if goes else "rejected"
            elif code == StepCode.KEY_OFFICIALS:
                outcome = ballot.outcome["result"]
                chosen = outcome["nominated"] or [*outcome["forward"], *outcome["tied_at_cut"]]
                goes = {
                    (row.position_id, by_candidate[pk])
                    for pk in chosen
                    if by_candidate.get(pk) and (row.position_id, by_candidate[pk]) in active
                }
                result = outcome["result"]
            else:
                goes = {
                    (row.position_id, by_candidate[pk])
                    for pk in _approved_rows(row, ballot)
                    if by_candidate.get(pk) and (row.position_id, by_candidate[pk]) in active
                }
                result = "approved" if goes else "rejected"
            forward |= goes
            results.append(result)
            per_row[row.pk] = (result, sorted(cadre for _p, cadre in goes))
        done = bool(forward)
        now = timezone.now()
        for row in rows:
            result, cadres = per_row[row.pk]
            row.outcome = {**row.outcome, "result": result, "forward": cadres}
            row.note = note.strip()
            row.recorded_at = now
            row.recorded_by = actor
            row.save(update_fields=["outcome", "note", "recorded_at", "recorded_by"])
        if done:
            dropped = [c for key, c in active.items() if key not in forward]
            for candidate in dropped:
                candidate.status = CandidateStatus.NOT_CARRIED
                candidate.reason = str(StepCode(code).label)
                candidate.save(update_fields=["status", "reason"])
            before = review.stage
            review.stage = STAGE_AFTER[code]
            review.save(update_fields=["stage"])
        _audit(
            actor=actor,
            action=Action.PLANNING_STEP_RECORD,
            review=review,
            # Categories and who goes on, never a count of a sealed step.
            changes={"step": [None, code], "result": [None, sorted(set(results))]}
            | ({"stage": [before, review.stage]} if done else {}),
            reason=note.strip(),
        )
        if done:
            task_complete(task=_open_task(review, _node(code)), actor=actor)
    return rows


# --------------------------------------------------------------------------- decision


def review_decide(
    *,
    actor,
    review: PlanningReview,
    approve: bool,
    decision_ref: str = "",
    note: str = "",
) -> PlanningReview:
    """The competent level's chair records its decision. On approval every cadre still on the
    list enters the plan for the term (``PlanningEntry`` APPROVED, audited by the personnel
    service), after the gates and the caps are checked once more with the posts and cadres
    locked. Whoever submitted the source list cannot approve it."""
    from .flows import PlanningReviewFlow

    with transaction.atomic(), acting_as(actor), PlanningReviewFlow.lock(review.pk):
        review = _locked(review)
        task = _open_task(review, PlanningReviewFlow.decide)
        if task is None or review.stage != Stage.VOTED:
            raise Conflict(_("No plan is waiting for approval."))
        if selectors.competent_chair(review) != actor:
            raise Forbidden(_("Only the chair of the competent body approves the plan."))
        if actor.pk == review.submitted_by_id:
            raise Forbidden(_("Whoever submitted the source list cannot approve the plan."))
        if approve and not decision_ref.strip():
            raise Invalid(_("Give the number of the approval decision."))
        if not approve and not note.strip():
            raise Invalid(_("Give the reason for not approving the plan."))
        entries = []
        if approve:
            candidates = list(selectors.active_candidates(review))
            if not candidates:
                raise Invalid(_("Nobody is left on the list."))
            _lock_rows(
                positions={c.position_id for c in candidates},
                cadres={c.cadre_id for c in candidates},
            )
            blocked = _refresh_gates(review, candidates)
            problems = _all_problems(review, candidates)
            if blocked or problems:
                lines = [" | ".join(blocked)] if blocked else []
                raise Invalid(" ".join([*lines, *problems]))
            for candidate in candidates:
                entry = _enter(actor=actor, review=review, candidate=candidate)
                candidate.entry = entry
                candidate.status = CandidateStatus.PLANNED
                candidate.save(update_fields=["entry", "status"])
                entries.append(entry.pk)
        before = review.stage
        review.stage = Stage.APPROVED if approve else Stage.REJECTED
        review.decision_ref = decision_ref.strip()
        review.decided_at = timezone.now()
        review.decided_by = actor
        review.closed_reason = "" if approve else note.strip()
        review.save(
            update_fields=["stage", "decision_ref", "decided_at", "decided_by", "closed_reason"]
        )
        _audit(
            actor=actor,
            action=Action.PLANNING_APPROVE,
            review=review,
            changes={
                "stage": [before, review.stage],
                "decision_ref": [None, review.decision_ref],
                "entries": [None, entries],
            },
            reason=note.strip(),
        )
        task_complete(task=task, actor=actor)
        people = set(selectors.board_members(review.unit)) | set(
            selectors.members_of(review.standing)
        )
        notify(
            recipients=[p for p in people if p.pk != actor.pk],
            kind=REVIEW_DECIDED,
            params={
                "unit": review.unit.name,
                "term": _term(review),
                "decision": APPROVED if approve else REJECTED,
            },
            link=selectors.review_url(review),
        )
    return PlanningReview.objects.get(pk=review.pk)


def _enter(*, actor, review: PlanningReview, candidate: ReviewCandidate) -> PlanningEntry:
    """The candidate's entry in the plan: new, or an earlier one of the same term (removed, or
    only proposed) put back in the approved plan."""
    existing = PlanningEntry.objects.filter(
        cadre=candidate.cadre,
        position=candidate.position,
        term_start_year=review.term_start_year,
    ).first()
    try:
        if existing is None:
            return planning_entry_add(
                actor=actor,
                cadre=candidate.cadre,
                position=candidate.position,
                term_start_year=review.term_start_year,
                term_end_year=review.term_end_year,
                status=PlanningStatus.APPROVED,
            )
        return planning_entry_status_set(
            actor=actor,
            entry=existing,
            status=PlanningStatus.APPROVED,
            reason=review.decision_ref,
            process=review.pk,
            procedure=PROCEDURE,
        )
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from exc


def review_publish(*, actor, review: PlanningReview) -> PlanningReview:
    """The board publishes the approved list within its scope (``selectors.
    published_plan_for_user``); each planned cadre with an account is told."""
    from .flows import PlanningReviewFlow

    with transaction.atomic(), acting_as(actor), PlanningReviewFlow.lock(review.pk):
        review = _locked(review)
        _require_board(actor, review.unit)
        task = _open_task(review, PlanningReviewFlow.publish)
        if task is None or review.stage != Stage.APPROVED:
            raise Conflict(_("No approved list is waiting to be published."))
        review.stage = Stage.PUBLISHED
        review.published_at = timezone.now()
        review.save(update_fields=["stage", "published_at"])
        planned = list(
            review.candidates.filter(status=CandidateStatus.PLANNED).select_related(
                "cadre", "position"
            )
        )
        _audit(
            actor=actor,
            action=Action.PLANNING_PUBLISH,
            review=review,
            changes={"stage": [Stage.APPROVED, Stage.PUBLISHED], "entries": [None, len(planned)]},
        )
        task_complete(task=task, actor=actor)
        for candidate in planned:
            if candidate.cadre.user_id:
                notify(
                    recipients=[candidate.cadre.user_id],
                    kind=PLAN_PUBLISHED,
                    params={
                        "post": candidate.position.title,
                        "term": _term(review),
                        "decision": review.decision_ref,
                    },
                )
    return PlanningReview.objects.get(pk=review.pk)


def review_withdraw(*, actor, review: PlanningReview, reason: str) -> PlanningReview:
    """Stop the review before the decision: the board or the competent chair, with a reason.
    Its open tasks are cancelled; nothing enters the plan."""
    from .flows import PlanningReviewFlow

    with transaction.atomic(), acting_as(actor), PlanningReviewFlow.lock(review.pk):
        review = _locked(review)
        _require_running(review)
        if not (is_org_board_for(actor, review.unit) or selectors.competent_chair(review) == actor):
            raise Forbidden(
                _("Only the organisation board or the competent chair can withdraw a review.")
            )
        if not reason.strip():
            raise Invalid(_("Give the reason for the withdrawal."))
        before = review.stage
        PlanningReviewFlow.instance.cancel(review)
        review.refresh_from_db(fields=["status", "finished"])
        review.stage = Stage.WITHDRAWN
        review.closed_reason = reason.strip()
        review.save(update_fields=["stage", "closed_reason"])
        review.candidates.filter(status=CandidateStatus.ACTIVE).update(
            status=CandidateStatus.WITHDRAWN, reason=reason.strip()
        )
        _audit(
            actor=actor,
            action=Action.PLANNING_REVIEW_CLOSE,
            review=review,
            changes={"stage": [before, Stage.WITHDRAWN]},
            reason=reason.strip(),
        )
    return PlanningReview.objects.get(pk=review.pk)


# --------------------------------------------------------------------------- removal


def _origin(entry: PlanningEntry) -> ReviewCandidate | None:
    return (
        ReviewCandidate.objects.filter(entry=entry, status=CandidateStatus.PLANNED)
        .select_related("review", "review__ruleset")
        .order_by("-pk")
        .first()
    )


def grounds_now(
    entry: PlanningEntry, *, on_date: dt.date | None = None, origin: ReviewCandidate | None = None
) -> list[planning_gates.Ground]:
    """The automatic removal grounds (I-19) that hold for ``entry`` today, under the rule-set
    of the review that planned it (else the newest Party rule-set). The cadre entered the plan
    on that review's decision (else on the first day of the term)."""
    on_date = on_date or timezone.localdate()
    origin = origin if origin is not None else _origin(entry)
    if origin is not None:
        ruleset = origin.review.ruleset
        since = (
            timezone.localdate(origin.review.decided_at)
            if origin.review.decided_at
            else dt.date(entry.term_start_year, 1, 1)
        )
    else:
        ruleset = selectors.newest_ruleset(track="party", on_date=on_date)
        since = dt.date(entry.term_start_year, 1, 1)
    if ruleset is None:
        return []
    return planning_gates.removal_grounds(entry, ruleset, on_date=on_date, in_plan_since=since)


def _removal_start(*, actor, entry: PlanningEntry, kind: str, reason: str) -> RemovalProposal:
    from .flows import RemovalFlow

    with transaction.atomic(), acting_as(actor):
        entry = (
            PlanningEntry.objects.select_for_update(of=("self",))
            .select_related("position", "position__unit", "cadre")
            .get(pk=entry.pk)
        )
        if entry.status != PlanningStatus.APPROVED:
            raise Conflict(_("Only an entry in the approved plan can be removed from it."))
        if RemovalProposal.objects.filter(entry=entry, state=RemovalStatus.OPEN).exists():
            raise Conflict(_("A removal of this entry is already awaiting a decision."))
        removal = RemovalFlow.start.run(
            entry=entry,
            unit=entry.position.unit,
            kind=kind,
            reason=reason,
            proposed_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.PLANNING_REMOVAL_PROPOSE,
            target=removal,
            process=removal.pk,
            procedure=PROCEDURE,
            cadre=entry.cadre_id,
            unit=entry.position.unit_id,
            changes={"entry": [None, entry.pk], "ground": [None, kind]},
            reason=reason,
        )
    return RemovalProposal.objects.get(pk=removal.pk)


def removal_propose(*, actor, entry: PlanningEntry, reason: str) -> RemovalProposal:
    """The board's discretionary removal (Q8: no longer meets the standards, fails its tasks,
    a violation), with a written reason; another board member confirms it."""
    entry = PlanningEntry.objects.select_related("position__unit").get(pk=entry.pk)
    _require_board(actor, entry.position.unit)
    if not reason.strip():
        raise Invalid(
            _("A removal from the plan at the board's discretion needs a written reason.")
        )
    return _removal_start(
        actor=actor, entry=entry, kind=RemovalReason.DISCRETIONARY, reason=reason.strip()
    )


def removal_scan(*, on_date: dt.date | None = None) -> list[RemovalProposal]:
    """Every approved entry of a plan not yet over whose cadre meets an automatic ground
    (I-19) gets a removal task for the organisation board, with the reason. Idempotent: an
    entry with a removal awaiting a decision is skipped (and the database keeps one open per
    entry), so running it again, or on two workers at once, adds nothing."""
    on_date = on_date or timezone.localdate()
    waiting = RemovalProposal.objects.filter(state=RemovalStatus.OPEN).values("entry_id")
    entries = list(
        PlanningEntry.objects.filter(
            status=PlanningStatus.APPROVED, term_end_year__gte=on_date.year
        )
        .exclude(pk__in=waiting)
        .select_related("cadre", "position", "position__unit")
        .prefetch_related("cadre__discipline_records", "cadre__political_conclusions")
        .order_by("pk")
    )
    origins = {
        c.entry_id: c
        for c in ReviewCandidate.objects.filter(
            entry__in=entries, status=CandidateStatus.PLANNED
        ).select_related("review", "review__ruleset")
    }
    created = []
    for entry in entries:
        grounds = grounds_now(entry, on_date=on_date, origin=origins.get(entry.pk))
        if not grounds:
            continue
        try:
            removal = _removal_start(
                actor=None,
                entry=entry,
                kind=grounds[0].kind,
                reason=" ".join(g.message for g in grounds),
            )
        except (Conflict, IntegrityError):
            continue  # decided or proposed meanwhile by someone else
        created.append(removal)
    return created


def _locked_removal(removal: RemovalProposal) -> RemovalProposal:
    return (
        RemovalProposal.objects.select_for_update(of=("self",))
        .select_related("entry", "entry__position", "entry__cadre", "unit")
        .get(pk=removal.pk)
    )


def removal_confirm(*, actor, removal: RemovalProposal, note: str = "") -> RemovalProposal:
    """The organisation board confirms a removal: the entry leaves the plan with the reason
    (audited through the personnel service) and the cadre is told. An automatic ground must
    still hold; a discretionary removal is confirmed by someone other than its proposer."""
    from .flows import RemovalFlow

    with transaction.atomic(), acting_as(actor), RemovalFlow.lock(removal.pk):
        removal = _locked_removal(removal)
        task = _open_task(removal, RemovalFlow.confirm)
        if removal.state != RemovalStatus.OPEN or task is None:
            raise Conflict(_("This removal has already been decided."))
        _require_board(actor, removal.unit)
        if removal.kind == RemovalReason.DISCRETIONARY and removal.proposed_by_id == actor.pk:
            raise Forbidden(_("Whoever proposed a removal cannot confirm it."))
        entry = removal.entry
        if entry.status != PlanningStatus.APPROVED:
            raise Conflict(_("The entry is no longer in the approved plan: dismiss the removal."))
        if removal.kind in AUTOMATIC and removal.kind not in {g.kind for g in grounds_now(entry)}:
            raise Conflict(
                _("The ground for this removal no longer holds: dismiss it with the reason.")
            )
        planning_entry_status_set(
            actor=actor,
            entry=entry,
            status=PlanningStatus.REMOVED,
            reason=f"{RemovalReason(removal.kind).label}: {removal.reason}",
            process=removal.pk,
            procedure=PROCEDURE,
        )
        removal.state = RemovalStatus.CONFIRMED
        removal.decided_by = actor
        removal.decided_at = timezone.now()
        removal.decision_note = note.strip()
        removal.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action=Action.PLANNING_REMOVAL_CONFIRM,
            target=removal,
            process=removal.pk,
            procedure=PROCEDURE,
            cadre=entry.cadre_id,
            unit=removal.unit_id,
            changes={"state": [RemovalStatus.OPEN, RemovalStatus.CONFIRMED]},
            reason=note.strip(),
        )
        task_complete(task=task, actor=actor)
        if entry.cadre.user_id:
            notify(
                recipients=[entry.cadre.user_id],
                kind=REMOVED,
                params={
                    "post": entry.position.title,
                    "ground": in_every_language(RemovalReason(removal.kind).label),
                },
            )
    return RemovalProposal.objects.get(pk=removal.pk)


def removal_dismiss(*, actor, removal: RemovalProposal, reason: str) -> RemovalProposal:
    """The board drops a removal, with a reason: a discretionary one at any time, an automatic
    one only once its ground no longer holds (or the entry has left the plan otherwise)."""
    from .flows import RemovalFlow

    with transaction.atomic(), acting_as(actor), RemovalFlow.lock(removal.pk):
        removal = _locked_removal(removal)
        task = _open_task(removal, RemovalFlow.confirm)
        if removal.state != RemovalStatus.OPEN or task is None:
            raise Conflict(_("This removal has already been decided."))
        _require_board(actor, removal.unit)
        if not reason.strip():
            raise Invalid(_("Give the reason for dismissing the removal."))
        entry = removal.entry
        if (
            removal.kind in AUTOMATIC
            and entry.status == PlanningStatus.APPROVED
            and removal.kind in {g.kind for g in grounds_now(entry)}
        ):
            raise Invalid(
                _("The ground for this removal still holds: the rule removes the cadre (I-19).")
            )
        removal.state = RemovalStatus.DISMISSED
        removal.decided_by = actor
        removal.decided_at = timezone.now()
        removal.decision_note = reason.strip()
        removal.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action=Action.PLANNING_REMOVAL_DISMISS,
            target=removal,
            process=removal.pk,
            procedure=PROCEDURE,
            cadre=entry.cadre_id,
            unit=removal.unit_id,
            changes={"state": [RemovalStatus.OPEN, RemovalStatus.DISMISSED]},
            reason=reason.strip(),
        )
        task_complete(task=task, actor=actor)
    return RemovalProposal.objects.get(pk=removal.pk)
