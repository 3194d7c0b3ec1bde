"""Writes of the evaluation and quality-rating procedure (domain §3; I-21 quota, I-22 order).

Keyword-only. Each service checks who may act, takes the campaign's process lock (every
evaluation of a campaign is written under it, so the quota and order checks, which read other
evaluations, cannot race), writes its audit event in the same transaction and notifies after
commit. Refusals are ``workflows.core.errors`` with a message a person can act on.

Who does what (the decisions the lead should know, with their source):

- **Opening**: organisation-board staff whose scope covers every unit evaluated. It creates one
  evaluation per unit's collective (``selectors.evaluated_collective``: leadership collective,
  else standing, else executive committee) and one per cadre whose record belongs to a unit
  evaluated (``Cadre.unit``; all of them, post or not — QĐ 366 evaluates every cadre — except
  those past retirement and those whose record already holds a result for the period).
- **Self-assessment** (§3.2 step 1): the cadre's own account; for a collective its chair. A
  cadre without an account (or a collective without a chair) has it filed by the board from the
  paper review.
- **Appraisal** (step 2): organisation-board staff whose scope covers the unit, not the person
  evaluated.
- **Decision** (step 3), the competent level: for a cadre, the chair of the committee managing
  the cadre's post (``Position.managing_committee``, the management list "diện quản lý"), or,
  without one, of the nearest standing committee at or above the unit; for a collective, the
  chair of the nearest standing committee *above* its unit (a collective is rated by the level
  above it). Never the appraiser, never the person (or a member of the collective) evaluated.
- **Peer groups** (I-21 "groups with similar roles/functions", NĐ 335 "same agency"): a cadre
  is compared with the cadres of the same unit at the same post level
  (``unit:<id>:level:<level>``, ``level:none`` without a post); a collective with the
  collectives of the same committee kind in units of the same kind
  (``collective:<committee kind>:<unit kind>``).
- **Quota** (I-21): counted among the campaign's evaluations of the peer group whose level is
  decided (decided, published, or under re-evaluation — the level complained about stands
  until the superior committee decides anew):
  excellent × 100 ≤ quota × good, i.e. at most ⌊quota % of the good⌋. A decision that would
  break it — rating one more excellent, or taking one away from the good — is refused.
- **Order** (I-22, QĐ 124 Art. 11): lower-level collectives before higher; a collective before
  its members (cadres whose account is an active member of it); a unit before its head (the
  cadres holding its top post — the unit's highest post level — or chairing its collective).
- **Complaint**: the person evaluated (the chair, for a collective) or the board, on a decided
  rating before publication; the standing committee directly above the deciding body
  re-evaluates (QĐ 124 Art. 11 exception), with a reason; quota and order apply again.
- **Publication**: when every evaluation is decided or excused; writes ``EvaluationResult``
  through ``personnel.services.evaluation_result_add`` (audited), tells each person their own
  rating only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from viewflow.workflow.status import STATUS

from notifications.services import notify
from personnel.audit.actions import Action
from personnel.audit.context import acting_as
from personnel.audit.services import audit_record
from personnel.models import (
    Cadre,
    CommitteeMembership,
    EvaluationLevel,
    EvaluationPeriod,
    EvaluationResult,
    MembershipRole,
    OrgUnit,
    Position,
    PositionHolding,
)
from personnel.selectors import active_on
from personnel.services import evaluation_result_add
from workflows.core import calendar, rules
from workflows.core.deadlines import deadline_meet, deadline_set
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import ParameterKey, Track
from workflows.core.services import is_org_board_for, ruleset_mark_in_use

from . import notices, selectors
from .models import (
    DECIDED_STATES,
    OPEN_STATES,
    QUOTA_STATES,
    CampaignStage,
    Evaluation,
    EvaluationCampaign,
    EvaluationComplaint,
    EvaluationState,
    Subject,
    criteria_label,
)

PROCEDURE = "evaluation"
SELF_ASSESSMENT_TITLE = gettext_noop("File the self-assessment")
MAX_SELF_ASSESSMENT_DAYS = 60


class QuotaExceeded(Conflict):
    """The level chosen breaks the "excellent" quota (I-21). Still a ``Conflict`` (409) for
    every caller; the pages tell it apart because another level may pass: they show it on the
    decision's form (400), the level kept, rather than as a refusal page."""


# --------------------------------------------------------------------------- helpers


def _audit(*, actor, action: Action, campaign: EvaluationCampaign, target=None, **extra) -> None:
    evaluation = target if isinstance(target, Evaluation) else None
    audit_record(
        actor=actor,
        action=action,
        target=target if target is not None else campaign,
        process=campaign.pk,
        procedure=PROCEDURE,
        cadre=evaluation.cadre_id if evaluation is not None else None,
        unit=evaluation.unit_id if evaluation is not None else campaign.unit_id,
        **extra,
    )


def _flow():
    from .flows import EvaluationFlow

    return EvaluationFlow


def _locked(evaluation: Evaluation) -> Evaluation:
    return (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related(
            "campaign",
            "campaign__ruleset",
            "unit",
            "cadre",
            "cadre__user",
            "committee",
            "competent_body",
            "position",
        )
        .get(pk=evaluation.pk)
    )


def _campaign_id(evaluation: Evaluation) -> int:
    return evaluation.campaign_id


def _require_open(campaign: EvaluationCampaign) -> None:
    if campaign.stage == CampaignStage.PUBLISHED:
        raise Conflict(_("The campaign's results are published: nothing more can change."))
    if campaign.stage != CampaignStage.OPEN:
        raise Conflict(_("This evaluation campaign has been cancelled."))


def _level(level) -> int:
    try:
        return EvaluationLevel(int(level)).value
    except (TypeError, ValueError):
        raise Invalid(_("Choose one of the four rating levels.")) from None


def _label(level: int) -> str:
    return str(EvaluationLevel(level).label)


def _is_own(user, evaluation: Evaluation) -> bool:
    """The user is the person evaluated, or a member of the collective evaluated."""
    if evaluation.subject == Subject.COLLECTIVE:
        return selectors.is_member(user, evaluation.committee)
    return evaluation.cadre.user_id == user.pk


def _person_concerned(evaluation: Evaluation):
    """Who hears about a rating: the cadre's account, or the collective's chair."""
    return selectors.self_assessor(evaluation)


def _open_task(campaign: EvaluationCampaign, node):
    return (
        campaign.task_set.filter(flow_task=node)
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
        .first()
    )


def task_complete(*, task, actor) -> None:
    """Complete a human task as ``actor`` (claiming it first from the queue); the caller holds
    the process lock and has checked ``actor`` may act."""
    activation = task.flow_task.activation_class(task)
    if task.owner_id is None:
        activation.assign(actor)
    activation.start(None)
    activation.execute()


# --------------------------------------------------------------------------- opening


def peer_group_for(*, unit: OrgUnit, committee=None, position: Position | None = None) -> str:
    """The key of the group an evaluation is compared within for the quota (module docstring)."""
    if committee is not None:
        return f"collective:{committee.kind}:{unit.kind}"
    return f"unit:{unit.pk}:level:{position.level if position is not None else 'none'}"


def _post_of(cadre: Cadre, unit: OrgUnit, day: dt.date) -> Position | None:
    """The cadre's highest post held today, one in the evaluated unit first."""
    holdings = list(
        PositionHolding.objects.filter(active_on(day), cadre=cadre).select_related(
            "position", "position__managing_committee"
        )
    )
    if not holdings:
        return None
    holdings.sort(key=lambda h: (h.position.unit_id == unit.pk, h.position.level), reverse=True)
    return holdings[0].position


def _organising_unit(actor, units: list[OrgUnit]) -> OrgUnit | None:
    """The deepest unit whose organisation board the actor sits on and that covers every unit."""
    from workflows.core.selectors import org_board_paths

    covering = [
        path for path in org_board_paths(actor) if all(unit.path.startswith(path) for unit in units)
    ]
    if not covering:
        return None
    return OrgUnit.objects.get(path=max(covering, key=len))


def _overlapping(units: list[OrgUnit], period: str, year: int, quarter) -> list[OrgUnit]:
    through = EvaluationCampaign.units.through
    unit_ids = set(
        through.objects.filter(
            orgunit_id__in=[u.pk for u in units],
            evaluationcampaign__period=period,
            evaluationcampaign__year=year,
            evaluationcampaign__quarter=quarter,
            evaluationcampaign__stage__in=[CampaignStage.OPEN, CampaignStage.PUBLISHED],
        ).values_list("orgunit_id", flat=True)
    )
    return [u for u in units if u.pk in unit_ids]


def _read_rules(ruleset) -> None:
    """Every parameter the campaign will need exists and is well-formed, before anything runs."""
    try:
        for key in (
            ParameterKey.EVALUATION_SCORE_BANDS,
            ParameterKey.EVALUATION_CRITERIA,
            ParameterKey.EXCELLENT_QUOTA,
        ):
            rules.validate(key.value, rules.get(ruleset, key))
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from exc


def campaign_open(
    *,
    actor,
    title: str,
    period: str,
    year: int,
    units: Iterable[OrgUnit],
    quarter: int | None = None,
    occasion: str = "",
    cadres: Iterable[Cadre] | None = None,
    track: str = Track.PARTY,
    ruleset=None,
    self_assessment_days: int = 10,
) -> EvaluationCampaign:
    """The organisation board opens a campaign for a period over ``units``: one evaluation per
    unit's collective and per cadre of those units, each with its peer group and competent
    level; each self-assessor is asked to file within ``self_assessment_days`` working days.

    An ad hoc evaluation ("when necessary", QĐ 366) names its ``occasion`` and may be limited to
    some ``cadres`` of the units (then only they are evaluated, not the collectives); it never
    overlaps the periodic ones, and a cadre may be evaluated ad hoc several times a year."""
    units = sorted({u.pk: u for u in units}.values(), key=lambda u: u.path)
    occasion = (occasion or "").strip()
    if not units:
        raise Invalid(_("Choose the units to evaluate."))
    if not title.strip():
        raise Invalid(_("Give the campaign a title."))
    if period not in EvaluationPeriod.values:
        raise Invalid(_("Choose the period: a year, a quarter, a term or an ad hoc evaluation."))
    if period == EvaluationPeriod.QUARTER:
        if quarter not in (1, 2, 3, 4):
            raise Invalid(_("Choose the quarter (1–4)."))
    elif quarter is not None:
        raise Invalid(_("A quarter is given for quarterly evaluations only."))
    if period == EvaluationPeriod.AD_HOC:
        if not occasion:
            raise Invalid(_("Say why this ad hoc evaluation is held."))
    elif occasion:
        raise Invalid(_("An occasion is given for ad hoc evaluations only."))
    elif cadres is not None:
        raise Invalid(_("Only an ad hoc evaluation can be limited to some cadres."))
    if cadres is not None:
        cadres = sorted({c.pk: c for c in cadres}.values(), key=lambda c: c.pk)
        if not cadres:
            raise Invalid(_("Choose the cadres to evaluate."))
        outside = [c for c in cadres if c.unit_id not in {u.pk for u in units}]
        if outside:
            raise Invalid(
                _("Not working in the units evaluated: %(names)s.")
                % {"names": ", ".join(str(c) for c in outside)}
            )
    if not isinstance(year, int) or not 1975 <= year <= 2100:
        raise Invalid(_("The year is not plausible."))
    if not 1 <= self_assessment_days <= MAX_SELF_ASSESSMENT_DAYS:
        raise Invalid(
            _("Allow between 1 and %(max)s working days for the self-assessment.")
            % {"max": MAX_SELF_ASSESSMENT_DAYS}
        )
    organiser = _organising_unit(actor, units)
    if organiser is None:
        raise Forbidden(
            _(
                "Only the organisation board whose scope covers every unit evaluated can open "
                "the campaign."
            )
        )
    if ruleset is None:
        ruleset = selectors.newest_ruleset(track=track)
        if ruleset is None:
            raise Invalid(_("No rule-set is in force for this track."))
    elif ruleset.track != track:
        raise Invalid(_("The rule-set belongs to another track."))
    _read_rules(ruleset)
    today = timezone.localdate()
    flow = _flow()
    with transaction.atomic(), acting_as(actor):
        # Two boards opening overlapping campaigns at once: the unit rows serialise them.
        list(
            OrgUnit.objects.select_for_update().filter(pk__in=[u.pk for u in units]).order_by("pk")
        )
        overlap = (
            [] if period == EvaluationPeriod.AD_HOC else _overlapping(units, period, year, quarter)
        )
        if overlap:
            raise Conflict(
                _("Already evaluated for this period in another campaign: %(units)s.")
                % {"units": ", ".join(u.name for u in overlap)}
            )
        campaign = flow.start.run(
            title=title.strip(),
            unit=organiser,
            period=period,
            year=year,
            quarter=quarter,
            occasion=occasion,
            track=ruleset.track,
            ruleset=ruleset,
            stage=CampaignStage.OPEN,
            self_assessment_days=self_assessment_days,
            self_assessment_due=calendar.add_working_days(today, self_assessment_days),
            opened_by=actor,
        )
        campaign = EvaluationCampaign.objects.get(pk=campaign.pk)
        campaign.units.set(units)
        ruleset_mark_in_use(ruleset)
        evaluations, skipped = _build_evaluations(campaign, units, today, cadres=cadres)
        Evaluation.objects.bulk_create(evaluations)
        _set_deadlines(actor, campaign, evaluations, today)
        _audit(
            actor=actor,
            action=Action.EVALUATION_CAMPAIGN_OPEN,
            campaign=campaign,
            changes={
                "units": [None, [u.pk for u in units]],
                "period": [None, campaign.period_label],
                "ruleset": [None, str(ruleset)],
                "collectives": [None, sum(1 for e in evaluations if e.committee_id)],
                "cadres": [None, sum(1 for e in evaluations if e.cadre_id)],
                "not_evaluated": [None, skipped],
            },
        )
    return campaign


def _build_evaluations(campaign, units, today, *, cadres=None) -> tuple[list[Evaluation], dict]:
    skipped: dict[str, list] = {"no_competent_level": [], "retired": [], "already_rated": []}
    rated = (
        set()  # ad hoc evaluations may repeat
        if campaign.period == EvaluationPeriod.AD_HOC
        else set(
            EvaluationResult.objects.filter(
                period=campaign.period, year=campaign.year, quarter=campaign.quarter
            ).values_list("cadre_id", flat=True)
        )
    )
    chosen = None if cadres is None else {c.pk for c in cadres}
    evaluations = []
    for unit in units:
        collective = selectors.evaluated_collective(unit) if chosen is None else None
        if collective is not None:
            above = selectors.standing_committee_above(unit, include_self=False)
            if above is None:
                skipped["no_competent_level"].append(f"committee:{collective.pk}")
            else:
                evaluations.append(
                    Evaluation(
                        campaign=campaign,
                        subject=Subject.COLLECTIVE,
                        unit=unit,
                        committee=collective,
                        peer_group=peer_group_for(unit=unit, committee=collective),
                        competent_body=above,
                    )
                )
        standing = selectors.standing_committee_above(unit)
        people = Cadre.objects.filter(unit=unit).select_related("user").order_by("pk")
        if chosen is not None:
            people = people.filter(pk__in=chosen)
        for cadre in people:
            if cadre.retirement_date < today:
                skipped["retired"].append(cadre.pk)
                continue
            if cadre.pk in rated:
                skipped["already_rated"].append(cadre.pk)
                continue
            position = _post_of(cadre, unit, today)
            competent = (
                position.managing_committee
                if position is not None and position.managing_committee_id
                else standing
            )
            if competent is None:
                skipped["no_competent_level"].append(f"cadre:{cadre.pk}")
                continue
            evaluations.append(
                Evaluation(
                    campaign=campaign,
                    subject=Subject.INDIVIDUAL,
                    unit=unit,
                    cadre=cadre,
                    position=position,
                    peer_group=peer_group_for(unit=unit, position=position),
                    competent_body=competent,
                )
            )
    return evaluations, {k: v for k, v in skipped.items() if v}


def _set_deadlines(actor, campaign, evaluations, today) -> None:
    """One limit per evaluation, met when its self-assessment is filed; the self-assessor is
    told (the board is responsible when there is nobody with an account)."""
    for evaluation in evaluations:
        person = selectors.self_assessor(evaluation)
        responsible = (
            [person] if person is not None else list(selectors.org_board_members(evaluation.unit))
        )
        if responsible:
            evaluation.deadline = deadline_set(
                actor=actor,
                title=SELF_ASSESSMENT_TITLE,
                subject=f"{evaluation} — {campaign}",
                starts_on=today,
                working_days=campaign.self_assessment_days,
                responsible=responsible,
                process=campaign,
            )
        if person is not None:
            notify(
                recipients=[person],
                kind=notices.SELF_ASSESSMENT_DUE,
                params={
                    "campaign": campaign.title,
                    "subject": str(evaluation),
                    "due": campaign.self_assessment_due.isoformat(),
                },
                dedupe_key=f"evaluation:{evaluation.pk}:self",
            )
    Evaluation.objects.bulk_update([e for e in evaluations if e.deadline_id], ["deadline"])


# --------------------------------------------------------------------------- self-assessment


def _bands(ruleset) -> dict:
    return rules.get(ruleset, ParameterKey.EVALUATION_SCORE_BANDS)


def level_for_score(total: Decimal, bands: Mapping[str, int]) -> int:
    """The level a total reaches on the rule-set's bands (≥ excellent, ≥ good, ≥ completed)."""
    if total >= bands["excellent"]:
        return EvaluationLevel.EXCELLENT
    if total >= bands["good"]:
        return EvaluationLevel.GOOD
    if total >= bands["completed"]:
        return EvaluationLevel.COMPLETED
    return EvaluationLevel.NOT_COMPLETED


def scores_clean(*, ruleset, scores: Mapping) -> tuple[dict[str, str], Decimal]:
    """Per-group scores checked against the rule-set's criteria groups: every group scored,
    no other, each between 0 and its points with at most two decimals; the total ≤ 100.
    Returns the scores as decimal strings and their total."""
    groups = rules.get(ruleset, ParameterKey.EVALUATION_CRITERIA)
    if not isinstance(scores, Mapping):
        raise Invalid(_("Give a score for each criteria group."))
    unknown = sorted(set(scores) - set(groups))
    if unknown:
        raise Invalid(
            _("Unknown criteria groups: %(groups)s.") % {"groups": ", ".join(map(str, unknown))}
        )
    missing = [code for code in groups if code not in scores or scores[code] in (None, "")]
    if missing:
        raise Invalid(
            _("Give a score for: %(groups)s.")
            % {"groups": ", ".join(criteria_label(code) for code in missing)}
        )
    clean: dict[str, str] = {}
    total = Decimal(0)
    for code, most in groups.items():
        raw = scores[code]
        try:
            if isinstance(raw, bool):
                raise InvalidOperation
            value = Decimal(str(raw).strip().replace(",", "."))
        except (InvalidOperation, ValueError):
            raise Invalid(
                _("The score for %(group)s is not a number.") % {"group": criteria_label(code)}
            ) from None
        if not value.is_finite() or value < 0 or value > most:
            raise Invalid(
                _("The score for %(group)s must be between 0 and %(most)s.")
                % {"group": criteria_label(code), "most": most}
            )
        if value != value.quantize(Decimal("0.01")):
            raise Invalid(
                _("The score for %(group)s has more than two decimals.")
                % {"group": criteria_label(code)}
            )
        value = value.quantize(Decimal("0.01")).normalize()
        clean[code] = format(value, "f")
        total += value
    if total > 100:
        raise Invalid(_("The scores add up to %(total)s, more than 100.") % {"total": total})
    return clean, total.quantize(Decimal("0.01"))


def evaluation_self_assess(
    *, actor, evaluation: Evaluation, scores: Mapping, review: str, level=None
) -> Evaluation:
    """File (or, until comments or an appraisal exist, correct) the self-assessment: the scores
    per criteria group, the self-review and the level proposed. The level is the one the total
    reaches on the rule-set's bands; a lower one may be chosen (the higher levels carry further
    conditions, §3.3), never a higher one."""
    with transaction.atomic(), acting_as(actor), _flow().lock(_campaign_id(evaluation)):
        evaluation = _locked(evaluation)
        campaign = evaluation.campaign
        _require_open(campaign)
        if evaluation.state not in (EvaluationState.DRAFT, EvaluationState.SELF_RATED):
            raise Conflict(_("The self-assessment can no longer change: the appraisal has begun."))
        person = selectors.self_assessor(evaluation)
        if person is not None:
            if actor.pk != person.pk:
                raise Forbidden(
                    _("Only the person evaluated files this self-assessment.")
                    if evaluation.subject == Subject.INDIVIDUAL
                    else _("Only the chair of the collective files its self-assessment.")
                )
        elif not is_org_board_for(actor, evaluation.unit):
            raise Forbidden(
                _(
                    "Only the organisation board files a self-assessment for someone without an "
                    "account."
                )
            )
        clean, total = scores_clean(ruleset=campaign.ruleset, scores=scores)
        if not (review or "").strip():
            raise Invalid(_("Write the self-review."))
        reached = level_for_score(total, _bands(campaign.ruleset))
        chosen = reached if level in (None, "") else _level(level)
        if chosen > reached:
            raise Invalid(
                _("A total of %(total)s reaches at most “%(level)s”.")
                % {"total": total, "level": _label(reached)}
            )
        before = evaluation.state
        evaluation.scores = clean
        evaluation.total = total
        evaluation.self_level = chosen
        evaluation.self_review = review.strip()
        evaluation.self_assessed_at = timezone.now()
        evaluation.self_assessed_by = actor
        evaluation.state = EvaluationState.SELF_RATED
        evaluation.full_clean()
        evaluation.save(
            update_fields=[
                "scores",
                "total",
                "self_level",
                "self_review",
                "self_assessed_at",
                "self_assessed_by",
                "state",
            ]
        )
        if evaluation.deadline_id:
            deadline_meet(actor=actor, deadline=evaluation.deadline)
        _audit(
            actor=actor,
            action=Action.EVALUATION_SELF_ASSESS,
            campaign=campaign,
            target=evaluation,
            changes={
                "state": [before, evaluation.state],
                "scores": [None, clean],
                "total": [None, str(total)],
                "self_level": [None, chosen],
            },
        )
    return Evaluation.objects.get(pk=evaluation.pk)


def evaluation_comments_record(
    *, actor, evaluation: Evaluation, text: str, meeting=None
) -> Evaluation:
    """Record the collective's comments from the review meeting (§3.2: collective comments,
    opinions of relevant agencies), optionally linked to the core meeting that held it. The
    organisation board or the chair of the unit's collective records them."""
    with transaction.atomic(), acting_as(actor), _flow().lock(_campaign_id(evaluation)):
        evaluation = _locked(evaluation)
        campaign = evaluation.campaign
        _require_open(campaign)
        if evaluation.state not in (EvaluationState.SELF_RATED, EvaluationState.UNDER_APPRAISAL):
            raise Conflict(
                _("Comments are recorded after the self-assessment and before the appraisal.")
            )
        collective = selectors.evaluated_collective(evaluation.unit)
        if not (
            is_org_board_for(actor, evaluation.unit)
            or (collective is not None and selectors.chair_of(collective) == actor)
        ):
            raise Forbidden(
                _("Only the organisation board or the chair of the collective records comments.")
            )
        if not (text or "").strip():
            raise Invalid(_("Write the comments."))
        if meeting is not None and meeting.unit_id != evaluation.unit_id:
            raise Invalid(_("The review meeting must be one of this unit's meetings."))
        before = evaluation.state
        evaluation.comments = text.strip()
        evaluation.comments_meeting = meeting
        evaluation.comments_recorded_at = timezone.now()
        evaluation.state = EvaluationState.UNDER_APPRAISAL
        evaluation.save(
            update_fields=["comments", "comments_meeting", "comments_recorded_at", "state"]
        )
        _audit(
            actor=actor,
            action=Action.EVALUATION_COMMENTS,
            campaign=campaign,
            target=evaluation,
            changes={
                "state": [before, evaluation.state],
                "meeting": [None, meeting.pk if meeting is not None else None],
            },
        )
    return Evaluation.objects.get(pk=evaluation.pk)


# --------------------------------------------------------------------------- appraisal, decision


def evaluation_appraise(*, actor, evaluation: Evaluation, level, note: str = "") -> Evaluation:
    """The organisation board verifies the self-assessment and proposes a level (§3.2 step 2);
    proposing another level than the self-rated one needs a note."""
    level = _level(level)
    with transaction.atomic(), acting_as(actor), _flow().lock(_campaign_id(evaluation)):
        evaluation = _locked(evaluation)
        campaign = evaluation.campaign
        _require_open(campaign)
        if evaluation.state == EvaluationState.DRAFT:
            raise Conflict(_("The self-assessment has not been filed yet."))
        if evaluation.state not in (EvaluationState.SELF_RATED, EvaluationState.UNDER_APPRAISAL):
            raise Conflict(_("This evaluation has already been appraised."))
        if not is_org_board_for(actor, evaluation.unit):
            raise Forbidden(_("Only the organisation board of this unit appraises evaluations."))
        if _is_own(actor, evaluation):
            raise Forbidden(_("Nobody appraises their own evaluation."))
        note = (note or "").strip()
        if level != evaluation.self_level and not note:
            raise Invalid(_("Give the reason for proposing another level than the self-rating."))
        before = evaluation.state
        evaluation.proposed_level = level
        evaluation.appraisal_note = note
        evaluation.appraised_at = timezone.now()
        evaluation.appraised_by = actor
        evaluation.state = EvaluationState.PROPOSED
        evaluation.save(
            update_fields=[
                "proposed_level",
                "appraisal_note",
                "appraised_at",
                "appraised_by",
                "state",
            ]
        )
        _audit(
            actor=actor,
            action=Action.EVALUATION_APPRAISE,
            campaign=campaign,
            target=evaluation,
            changes={"state": [before, evaluation.state], "proposed_level": [None, level]},
            reason=note,
        )
        chair = selectors.competent_chair(evaluation)
        if chair is not None and chair.pk != actor.pk:
            notify(
                recipients=[chair],
                kind=notices.AWAITING_DECISION,
                params={"campaign": campaign.title},
                dedupe_key=f"evaluation:{campaign.pk}:awaiting:{evaluation.competent_body_id}",
            )
    return Evaluation.objects.get(pk=evaluation.pk)


def _heads_of(cadre: Cadre, day: dt.date) -> set[int]:
    """Units the cadre heads: holds one of the unit's top posts (its highest post level)."""
    posts = Position.objects.filter(
        pk__in=PositionHolding.objects.filter(active_on(day), cadre=cadre).values("position_id")
    )
    headed = set()
    for post in posts:
        top = Position.objects.filter(unit_id=post.unit_id).aggregate(top=Max("level"))["top"]
        if post.level == top:
            headed.add(post.unit_id)
    return headed


def order_blockers(evaluation: Evaluation) -> list[str]:
    """What must be decided before ``evaluation`` (I-22, QĐ 124 Art. 11), one line each."""
    today = timezone.localdate()
    pending = (
        Evaluation.objects.filter(campaign_id=evaluation.campaign_id, subject=Subject.COLLECTIVE)
        .exclude(state__in=[*DECIDED_STATES, EvaluationState.EXCUSED])
        .exclude(pk=evaluation.pk)
        .select_related("committee", "unit")
        .order_by("unit__path", "pk")
    )
    lines = []
    if evaluation.subject == Subject.COLLECTIVE:
        below = pending.filter(unit__path__startswith=evaluation.unit.path).exclude(
            unit_id=evaluation.unit_id
        )
        for other in below:
            lines.append(
                _("%(collective)s (lower-level collectives before higher)")
                % {"collective": other.committee}
            )
        return lines
    cadre = evaluation.cadre
    headed = _heads_of(cadre, today)
    chaired, member_of = set(), set()
    if cadre.user_id:
        for committee_id, role in CommitteeMembership.objects.filter(
            active_on(today), user_id=cadre.user_id
        ).values_list("committee_id", "role"):
            member_of.add(committee_id)
            if role == MembershipRole.CHAIR:
                chaired.add(committee_id)
    for other in pending:
        if other.unit_id in headed or other.committee_id in chaired:
            lines.append(
                _("%(collective)s (the unit %(unit)s before its head)")
                % {"collective": other.committee, "unit": other.unit}
            )
        elif other.committee_id in member_of:
            lines.append(
                _("%(collective)s (a collective before its members)")
                % {"collective": other.committee}
            )
    return lines


def _check_order(evaluation: Evaluation) -> None:
    lines = order_blockers(evaluation)
    if lines:
        raise Conflict(
            _("The order of evaluation requires deciding first: %(items)s.")
            % {"items": "; ".join(lines)}
        )


def quota_counts(evaluation: Evaluation, level: int | None) -> tuple[int, int]:
    """(excellent, good) decided in the evaluation's peer group if it were rated ``level``
    (``None``: as it counts now)."""
    others = list(
        Evaluation.objects.filter(
            campaign_id=evaluation.campaign_id,
            peer_group=evaluation.peer_group,
            state__in=QUOTA_STATES,
        )
        .exclude(pk=evaluation.pk)
        .values_list("decided_level", flat=True)
    )
    if level is None and evaluation.state in QUOTA_STATES:
        level = evaluation.decided_level
    if level is not None:
        others.append(level)
    return others.count(EvaluationLevel.EXCELLENT), others.count(EvaluationLevel.GOOD)


def _check_quota(evaluation: Evaluation, level: int) -> None:
    """I-21: excellent ≤ quota % of good in the peer group, after this decision. Only a decision
    that adds an excellent or takes a good away can break it."""
    quota = rules.get(evaluation.campaign.ruleset, ParameterKey.EXCELLENT_QUOTA)
    excellent_before, good_before = quota_counts(evaluation, None)
    excellent, good = quota_counts(evaluation, level)
    allowed = good * quota // 100
    worse = excellent > excellent_before or good < good_before
    if excellent > allowed and worse:
        raise QuotaExceeded(
            _(
                "%(excellent)s excellent would exceed %(quota)s %% of %(good)s good in the peer "
                "group: at most %(allowed)s."
            )
            % {"excellent": excellent, "quota": quota, "good": good, "allowed": allowed}
        )


def _require_decider(actor, evaluation: Evaluation, body) -> None:
    if _is_own(actor, evaluation):
        raise Forbidden(_("Nobody decides their own evaluation."))
    if selectors.chair_of(body) != actor:
        raise Forbidden(_("Only the chair of %(body)s decides this rating.") % {"body": body})
    if actor.pk == evaluation.appraised_by_id:
        raise Forbidden(_("Whoever appraised an evaluation cannot decide it."))


def _notify_rating(evaluation: Evaluation, kind, actor) -> None:
    person = _person_concerned(evaluation)
    if person is not None and person.pk != actor.pk:
        notify(
            recipients=[person],
            kind=kind,
            params={
                "campaign": evaluation.campaign.title,
                "subject": str(evaluation),
                "level": notices.level_msgid(evaluation.decided_level),
            },
        )


def evaluation_decide(*, actor, evaluation: Evaluation, level, note: str = "") -> Evaluation:
    """The competent level's chair decides the rating (§3.2 step 3). Deciding another level
    than the proposal needs a note. The order rules (I-22) and the quota (I-21) hold."""
    level = _level(level)
    with transaction.atomic(), acting_as(actor), _flow().lock(_campaign_id(evaluation)):
        evaluation = _locked(evaluation)
        campaign = evaluation.campaign
        _require_open(campaign)
        if evaluation.state in (*DECIDED_STATES, EvaluationState.REEVALUATION):
            raise Conflict(_("This rating has already been decided."))
        if evaluation.state != EvaluationState.PROPOSED:
            raise Conflict(_("The organisation board has not proposed a level yet."))
        _require_decider(actor, evaluation, evaluation.competent_body)
        note = (note or "").strip()
        if level != evaluation.proposed_level and not note:
            raise Invalid(_("Give the reason for deciding another level than the one proposed."))
        _check_order(evaluation)
        _check_quota(evaluation, level)
        before = evaluation.state
        evaluation.decided_level = level
        evaluation.decision_note = note
        evaluation.decided_at = timezone.now()
        evaluation.decided_by = actor
        evaluation.state = EvaluationState.DECIDED
        evaluation.save(
            update_fields=["decided_level", "decision_note", "decided_at", "decided_by", "state"]
        )
        _audit(
            actor=actor,
            action=Action.EVALUATION_DECIDE,
            campaign=campaign,
            target=evaluation,
            changes={"state": [before, evaluation.state], "decided_level": [None, level]},
            reason=note,
        )
        _notify_rating(evaluation, notices.DECIDED, actor)
    return Evaluation.objects.get(pk=evaluation.pk)


# --------------------------------------------------------------------------- complaints


def evaluation_complain(*, actor, evaluation: Evaluation, text: str) -> EvaluationComplaint:
    """A complaint on a decided rating, before publication, by the person evaluated (the chair,
    for a collective) or the organisation board: the superior committee re-evaluates it."""
    with transaction.atomic(), acting_as(actor), _flow().lock(_campaign_id(evaluation)):
        evaluation = _locked(evaluation)
        campaign = evaluation.campaign
        _require_open(campaign)
        if evaluation.state == EvaluationState.REEVALUATION:
            raise Conflict(_("A complaint on this rating is already under re-evaluation."))
        if evaluation.state != EvaluationState.DECIDED:
            raise Conflict(_("Only a decided rating can be complained about."))
        person = _person_concerned(evaluation)
        if not (
            (person is not None and person.pk == actor.pk)
            or is_org_board_for(actor, evaluation.unit)
        ):
            raise Forbidden(
                _(
                    "Only the person evaluated or the organisation board can complain about a "
                    "rating."
                )
            )
        if not (text or "").strip():
            raise Invalid(_("Write the complaint."))
        superior = selectors.superior_body(evaluation.competent_body)
        if superior is None:
            raise Conflict(
                _(
                    "There is no committee above %(body)s in Cadreflow: send the complaint to the "
                    "level above."
                )
                % {"body": evaluation.competent_body}
            )
        complaint = EvaluationComplaint.objects.create(
            evaluation=evaluation,
            text=text.strip(),
            filed_by=actor,
            level_before=evaluation.decided_level,
            superior_body=superior,
        )
        evaluation.state = EvaluationState.REEVALUATION
        evaluation.save(update_fields=["state"])
        _audit(
            actor=actor,
            action=Action.EVALUATION_COMPLAINT,
            campaign=campaign,
            target=evaluation,
            changes={
                "state": [EvaluationState.DECIDED, evaluation.state],
                "superior_body": [None, superior.pk],
            },
            reason=complaint.text,
        )
        people = set(selectors.org_board_members(evaluation.unit))
        chair = selectors.chair_of(superior)
        if chair is not None:
            people.add(chair)
        notify(
            recipients=[p for p in people if p.pk != actor.pk],
            kind=notices.COMPLAINT_FILED,
            params={"campaign": campaign.title, "subject": str(evaluation)},
        )
    return complaint


def evaluation_reevaluate(*, actor, evaluation: Evaluation, level, reason: str) -> Evaluation:
    """The superior committee's chair re-evaluates a rating complained about and decides anew,
    with the reason. Whoever appraised or decided it before cannot; order and quota hold."""
    level = _level(level)
    with transaction.atomic(), acting_as(actor), _flow().lock(_campaign_id(evaluation)):
        evaluation = _locked(evaluation)
        campaign = evaluation.campaign
        _require_open(campaign)
        complaint = evaluation.complaints.filter(resolved_at__isnull=True).first()
        if evaluation.state != EvaluationState.REEVALUATION or complaint is None:
            raise Conflict(_("No complaint on this rating is waiting for re-evaluation."))
        _require_decider(actor, evaluation, complaint.superior_body)
        if actor.pk == evaluation.decided_by_id:
            raise Forbidden(_("Whoever decided a rating cannot re-evaluate it."))
        reason = (reason or "").strip()
        if not reason:
            raise Invalid(_("Give the reason of the re-evaluation."))
        _check_order(evaluation)
        _check_quota(evaluation, level)
        now = timezone.now()
        before = evaluation.decided_level
        evaluation.decided_level = level
        evaluation.decision_note = reason
        evaluation.decided_at = now
        evaluation.decided_by = actor
        evaluation.state = EvaluationState.DECIDED
        evaluation.save(
            update_fields=["decided_level", "decision_note", "decided_at", "decided_by", "state"]
        )
        complaint.resolved_at = now
        complaint.resolved_by = actor
        complaint.level_after = level
        complaint.reason = reason
        complaint.save(update_fields=["resolved_at", "resolved_by", "level_after", "reason"])
        _audit(
            actor=actor,
            action=Action.EVALUATION_REEVALUATE,
            campaign=campaign,
            target=evaluation,
            changes={
                "state": [EvaluationState.REEVALUATION, evaluation.state],
                "decided_level": [before, level],
                "complaint": [None, complaint.pk],
            },
            reason=reason,
        )
        _notify_rating(evaluation, notices.REEVALUATED, actor)
        if complaint.filed_by_id not in (
            actor.pk,
            getattr(_person_concerned(evaluation), "pk", None),
        ):
            notify(
                recipients=[complaint.filed_by_id],
                kind=notices.REEVALUATED,
                params={
                    "campaign": campaign.title,
                    "subject": str(evaluation),
                    "level": notices.level_msgid(level),
                },
            )
    return Evaluation.objects.get(pk=evaluation.pk)


# --------------------------------------------------------------------------- excuse, publication


def evaluation_excuse(*, actor, evaluation: Evaluation, reason: str) -> Evaluation:
    """The board takes an evaluation out of the campaign before its decision (long sick leave,
    transferred away), with the reason; its self-assessment limit stops."""
    with transaction.atomic(), acting_as(actor), _flow().lock(_campaign_id(evaluation)):
        evaluation = _locked(evaluation)
        campaign = evaluation.campaign
        _require_open(campaign)
        if evaluation.state not in OPEN_STATES:
            raise Conflict(_("Only an evaluation not yet decided can be excused."))
        if not is_org_board_for(actor, evaluation.unit):
            raise Forbidden(_("Only the organisation board of this unit can excuse an evaluation."))
        reason = (reason or "").strip()
        if not reason:
            raise Invalid(_("Give the reason why this evaluation is not made."))
        before = evaluation.state
        evaluation.state = EvaluationState.EXCUSED
        evaluation.excused_reason = reason
        evaluation.save(update_fields=["state", "excused_reason"])
        if evaluation.deadline_id:
            deadline_meet(actor=actor, deadline=evaluation.deadline)
        _audit(
            actor=actor,
            action=Action.EVALUATION_EXCUSE,
            campaign=campaign,
            target=evaluation,
            changes={"state": [before, evaluation.state]},
            reason=reason,
        )
    return Evaluation.objects.get(pk=evaluation.pk)


def _locked_campaign(campaign: EvaluationCampaign) -> EvaluationCampaign:
    return (
        EvaluationCampaign.objects.select_for_update(of=("self",))
        .select_related("unit", "ruleset")
        .get(pk=campaign.pk)
    )


def _require_campaign_board(actor, campaign: EvaluationCampaign) -> None:
    if not is_org_board_for(actor, campaign.unit):
        raise Forbidden(_("Only the organisation board running the campaign can do this."))


def campaign_publish(*, actor, campaign: EvaluationCampaign) -> EvaluationCampaign:
    """Publish the decided ratings (§3.5): each cadre's goes on their record as an
    ``EvaluationResult`` (through the personnel service, audited); each person is told their
    own rating only; the unit sees the list (``selectors.unit_results``). Needs every
    evaluation decided or excused, and no complaint waiting."""
    flow = _flow()
    with transaction.atomic(), acting_as(actor), flow.lock(campaign.pk):
        campaign = _locked_campaign(campaign)
        _require_open(campaign)
        _require_campaign_board(actor, campaign)
        task = _open_task(campaign, flow.publish)
        if task is None:
            raise Conflict(_("The campaign's results are published: nothing more can change."))
        waiting = campaign.evaluations.exclude(
            state__in=[EvaluationState.DECIDED, EvaluationState.EXCUSED]
        ).values_list("state", flat=True)
        if waiting:
            by_state = {}
            for state in waiting:
                by_state[state] = by_state.get(state, 0) + 1
            raise Conflict(
                _("Not every evaluation is decided: %(states)s. Decide or excuse them first.")
                % {
                    "states": ", ".join(
                        f"{EvaluationState(state).label}: {n}" for state, n in by_state.items()
                    )
                }
            )
        now = timezone.now()
        decided = list(
            campaign.evaluations.filter(state=EvaluationState.DECIDED).select_related(
                "cadre", "cadre__user", "committee"
            )
        )
        for evaluation in decided:
            if evaluation.subject == Subject.INDIVIDUAL:
                try:
                    evaluation.result = evaluation_result_add(
                        actor=actor,
                        cadre=evaluation.cadre,
                        period=campaign.period,
                        year=campaign.year,
                        quarter=campaign.quarter,
                        occasion=campaign.occasion,
                        level=evaluation.decided_level,
                        score=evaluation.total,
                    )
                except ValidationError as exc:
                    raise Invalid(f"{evaluation.cadre}: {' '.join(exc.messages)}") from exc
            evaluation.state = EvaluationState.PUBLISHED
            evaluation.published_at = now
        Evaluation.objects.bulk_update(decided, ["result", "state", "published_at"])
        campaign.stage = CampaignStage.PUBLISHED
        campaign.published_at = now
        campaign.published_by = actor
        campaign.save(update_fields=["stage", "published_at", "published_by"])
        _audit(
            actor=actor,
            action=Action.EVALUATION_PUBLISH,
            campaign=campaign,
            changes={
                "stage": [CampaignStage.OPEN, CampaignStage.PUBLISHED],
                "published": [None, [e.pk for e in decided]],
                "results": [None, [e.result_id for e in decided if e.result_id]],
            },
        )
        task_complete(task=task, actor=actor)
        for evaluation in decided:
            person = _person_concerned(evaluation)
            if person is None:
                continue
            notify(
                recipients=[person],
                kind=notices.PUBLISHED,
                params={
                    "campaign": campaign.title,
                    "subject": str(evaluation),
                    "level": notices.level_msgid(evaluation.decided_level),
                },
            )
    return EvaluationCampaign.objects.get(pk=campaign.pk)


def campaign_cancel(*, actor, campaign: EvaluationCampaign, reason: str) -> EvaluationCampaign:
    """Stop a campaign opened in error, with a reason: its task is cancelled, its limits stop,
    nothing is written to anyone's record."""
    flow = _flow()
    with transaction.atomic(), acting_as(actor), flow.lock(campaign.pk):
        campaign = _locked_campaign(campaign)
        _require_open(campaign)
        _require_campaign_board(actor, campaign)
        reason = (reason or "").strip()
        if not reason:
            raise Invalid(_("Give the reason for cancelling the campaign."))
        flow.instance.cancel(campaign)
        campaign.refresh_from_db(fields=["status", "finished"])
        campaign.stage = CampaignStage.CANCELLED
        campaign.closed_reason = reason
        campaign.save(update_fields=["stage", "closed_reason"])
        for evaluation in campaign.evaluations.filter(
            deadline__isnull=False, deadline__met_at__isnull=True
        ).select_related("deadline"):
            deadline_meet(actor=actor, deadline=evaluation.deadline)
        _audit(
            actor=actor,
            action=Action.EVALUATION_CAMPAIGN_CANCEL,
            campaign=campaign,
            changes={"stage": [CampaignStage.OPEN, CampaignStage.CANCELLED]},
            reason=reason,
        )
    return EvaluationCampaign.objects.get(pk=campaign.pk)
