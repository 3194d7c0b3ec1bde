"""Reads for the evaluation procedure: who acts on an evaluation, what a user may see.

Scope (as everywhere, decision 0002): an evaluation is visible to the people whose committee
memberships cover its unit, to the cadre evaluated (their own only), and to superusers; a
campaign to whoever may see one of its units or has an evaluation in it. Anything else is a 404
for ``*_get_for_user`` and an empty list for the list selectors.
"""

from __future__ import annotations

from collections import Counter

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from personnel.models import (
    Committee,
    CommitteeKind,
    CommitteeMembership,
    EvaluationLevel,
    MembershipRole,
    OrgUnit,
)
from personnel.scope_cache import remembered
from personnel.selectors import active_on, units_for_user
from workflows.core.models import RuleSet

from .models import (
    DECIDED_STATES,
    CampaignStage,
    Evaluation,
    EvaluationCampaign,
    EvaluationState,
    Subject,
)

#: which of a unit's committees is evaluated as "the unit's collective", first found wins
COLLECTIVE_KINDS = (CommitteeKind.LEADERSHIP, CommitteeKind.STANDING, CommitteeKind.EXECUTIVE)


def _today():
    return timezone.localdate()


def newest_ruleset(*, track: str, on_date=None) -> RuleSet | None:
    on_date = on_date or _today()
    return (
        RuleSet.objects.filter(track=track, effective_from__lte=on_date)
        .order_by("-effective_from", "-version")
        .first()
    )


# --------------------------------------------------------------------------- who is who


def _in_term(day) -> Q:
    return Q(term_start__lte=day) & (Q(term_end__isnull=True) | Q(term_end__gte=day))


def committee_of(unit: OrgUnit, kind: str) -> Committee | None:
    """The unit's committee of ``kind`` whose term is running."""
    return (
        Committee.objects.filter(_in_term(_today()), unit=unit, kind=kind)
        .order_by("-term_start", "pk")
        .first()
    )


def evaluated_collective(unit: OrgUnit) -> Committee | None:
    """The collective evaluated for a unit: its leadership collective, else its standing
    committee, else its executive committee."""
    for kind in COLLECTIVE_KINDS:
        committee = committee_of(unit, kind)
        if committee is not None:
            return committee
    return None


def standing_committee_above(unit: OrgUnit, *, include_self: bool = True) -> Committee | None:
    """The standing committee of ``unit`` (when ``include_self``) or of the nearest unit above
    it that has one."""
    paths = _paths_up(unit)
    if not include_self:
        paths = paths[1:]
    found = {
        c.unit.path: c
        for c in Committee.objects.filter(
            _in_term(_today()), unit__path__in=paths, kind=CommitteeKind.STANDING
        )
        .select_related("unit")
        .order_by("term_start", "-pk")
    }
    return next((found[path] for path in paths if path in found), None)


def _paths_up(unit: OrgUnit) -> list[str]:
    """The paths of ``unit`` and of every unit above it, nearest first."""
    step = OrgUnit.steplen
    return [unit.path[:end] for end in range(len(unit.path), 0, -step)]


def superior_body(committee: Committee) -> Committee | None:
    """Who re-evaluates after a complaint: the standing committee directly above the body that
    decided (QĐ 124 Art. 11: "cấp ủy cấp trên trực tiếp")."""
    return standing_committee_above(committee.unit, include_self=False)


def chair_of(committee: Committee | None):
    if committee is None:
        return None
    membership = (
        CommitteeMembership.objects.filter(
            active_on(_today()), committee=committee, role=MembershipRole.CHAIR
        )
        .select_related("user")
        .first()
    )
    return membership.user if membership and membership.user.is_active else None


def is_member(user, committee: Committee | None) -> bool:
    if committee is None or not user.is_authenticated:
        return False
    return CommitteeMembership.objects.filter(
        active_on(_today()), committee=committee, user=user
    ).exists()


def org_board_members(unit: OrgUnit) -> QuerySet:
    """Active staff of the organisation board nearest to ``unit``: its own, else the one of the
    closest unit above that has one."""
    today = _today()

    def nearest():
        staff = CommitteeMembership.objects.filter(
            active_on(today),
            committee__kind=CommitteeKind.ORGANISATION_BOARD,
            user__is_active=True,
        )
        for path in _paths_up(unit):
            here = staff.filter(committee__unit__path=path)
            if here.exists():
                people = get_user_model().objects.filter(memberships__in=here).distinct()
                len(people)  # evaluated: a remembered answer is not read again
                return people
        return get_user_model().objects.none()

    return remembered(("nearest board", unit.path, today), nearest)


def self_assessor(evaluation: Evaluation):
    """Who files the self-assessment: the cadre's own account, or the collective's chair. None
    when there is nobody with an account (the board then files it from the paper review)."""
    if evaluation.subject == Subject.COLLECTIVE:
        return chair_of(evaluation.committee)
    user = evaluation.cadre.user
    return user if user is not None and user.is_active else None


def competent_chair(evaluation: Evaluation):
    return chair_of(evaluation.competent_body)


# --------------------------------------------------------------------------- scope


def campaigns_for_user(*, user) -> QuerySet[EvaluationCampaign]:
    if not user.is_authenticated or not user.is_active:
        return EvaluationCampaign.objects.none()
    qs = EvaluationCampaign.objects.select_related("unit", "ruleset")
    if user.is_superuser:
        return qs
    units = units_for_user(user=user)
    # EXISTS each, not joins: joining the covered units and every evaluation multiplied the
    # rows (460,000 for 20,000 campaigns) before the duplicates were folded.
    covers = EvaluationCampaign.units.through.objects.filter(
        evaluationcampaign_id=OuterRef("pk"), orgunit__in=units
    )
    own = Evaluation.objects.filter(campaign_id=OuterRef("pk"), cadre__user=user)
    return qs.filter(Q(unit__in=units) | Exists(covers) | Exists(own))


def campaign_get_for_user(*, user, pk) -> EvaluationCampaign:
    """The campaign if the user may see it; 404 otherwise (never 403: that confirms it exists)."""
    try:
        return campaigns_for_user(user=user).get(pk=pk)
    except (EvaluationCampaign.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def evaluations_for_user(*, user, campaign: EvaluationCampaign | None = None) -> QuerySet:
    """Evaluations of the units in the user's scope, and the user's own."""
    if not user.is_authenticated or not user.is_active:
        return Evaluation.objects.none()
    qs = Evaluation.objects.select_related(
        "campaign", "unit", "cadre", "committee", "position", "competent_body"
    )
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if user.is_superuser:
        return qs
    return qs.filter(Q(unit__in=units_for_user(user=user)) | Q(cadre__user=user))


def evaluation_get_for_user(*, user, pk) -> Evaluation:
    try:
        return evaluations_for_user(user=user).get(pk=pk)
    except (Evaluation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def to_self_assess(*, user) -> QuerySet:
    """Open self-assessments the user files: their own, and those of collectives they chair."""
    if not user.is_authenticated or not user.is_active:
        return Evaluation.objects.none()
    chaired = CommitteeMembership.objects.filter(
        active_on(_today()), user=user, role=MembershipRole.CHAIR
    ).values("committee_id")
    return Evaluation.objects.filter(
        Q(cadre__user=user) | Q(subject=Subject.COLLECTIVE, committee_id__in=chaired),
        state__in=[EvaluationState.DRAFT, EvaluationState.SELF_RATED],
        campaign__stage=CampaignStage.OPEN,
    ).select_related("campaign", "unit", "cadre", "committee")


def to_decide(*, user) -> QuerySet:
    """Proposed levels waiting for the user as chair of the competent level, and complaints
    waiting for the user's re-evaluation."""
    if not user.is_authenticated or not user.is_active:
        return Evaluation.objects.none()
    chaired = CommitteeMembership.objects.filter(
        active_on(_today()), user=user, role=MembershipRole.CHAIR
    ).values("committee_id")
    return (
        Evaluation.objects.filter(
            Q(state=EvaluationState.PROPOSED, competent_body_id__in=chaired)
            | Q(
                state=EvaluationState.REEVALUATION,
                complaints__resolved_at__isnull=True,
                complaints__superior_body_id__in=chaired,
            ),
            campaign__stage=CampaignStage.OPEN,
        )
        .exclude(cadre__user=user)
        .select_related("campaign", "unit", "cadre", "committee")
        .distinct()
    )


# --------------------------------------------------------------------------- progress, results


def campaign_progress(*, user, campaign: EvaluationCampaign) -> list[dict]:
    """Per unit in the user's scope: how many evaluations, how many self-assessed, appraised
    and decided, and the decided levels' distribution ({level: count}, every level present).
    Http404 when the user may not see the campaign."""
    campaign = campaign_get_for_user(user=user, pk=campaign.pk)
    units = campaign.units.all()
    if not user.is_superuser:
        units = units.filter(pk__in=units_for_user(user=user).values("pk"))
    units = list(units.order_by("path"))
    decided = Q(state__in=DECIDED_STATES)
    counts = {
        row["unit"]: row
        for row in Evaluation.objects.filter(campaign=campaign, unit__in=units)
        .values("unit")
        .annotate(
            total=Count("pk"),
            excused=Count("pk", filter=Q(state=EvaluationState.EXCUSED)),
            self_assessed=Count("pk", filter=Q(self_assessed_at__isnull=False)),
            appraised=Count("pk", filter=Q(appraised_at__isnull=False)),
            decided=Count("pk", filter=decided),
            under_complaint=Count("pk", filter=Q(state=EvaluationState.REEVALUATION)),
        )
    }
    levels: dict[int, Counter] = {unit.pk: Counter() for unit in units}
    for unit_id, level, n in (
        Evaluation.objects.filter(decided, campaign=campaign, unit__in=units)
        .values_list("unit", "decided_level")
        .annotate(n=Count("pk"))
    ):
        levels[unit_id][level] = n
    rows = []
    for unit in units:
        row = counts.get(unit.pk, {})
        rows.append(
            {
                "unit": unit,
                "total": row.get("total", 0),
                "excused": row.get("excused", 0),
                "self_assessed": row.get("self_assessed", 0),
                "appraised": row.get("appraised", 0),
                "decided": row.get("decided", 0),
                "under_complaint": row.get("under_complaint", 0),
                "levels": {level: levels[unit.pk][level] for level in EvaluationLevel.values},
            }
        )
    return rows


def unit_results(*, user, campaign: EvaluationCampaign, unit: OrgUnit) -> QuerySet:
    """The published ratings of one unit, for the people of that unit: those whose scope covers
    it and the cadres working there (§3.5: publicised in the agency). Nothing before
    publication, nothing for anyone else."""
    none = Evaluation.objects.none()
    if not user.is_authenticated or not user.is_active:
        return none
    if campaign.stage != CampaignStage.PUBLISHED:
        return none
    if not campaign.units.filter(pk=unit.pk).exists():
        return none
    works_there = hasattr(user, "cadre") and user.cadre.unit_id == unit.pk
    if not (
        user.is_superuser or works_there or units_for_user(user=user).filter(pk=unit.pk).exists()
    ):
        return none
    return Evaluation.objects.filter(
        campaign=campaign, unit=unit, state=EvaluationState.PUBLISHED
    ).select_related("cadre", "committee", "position")
