"""The evaluation and quality-rating procedure's records (domain §3, invariants I-21, I-22).

Design: one campaign, many evaluations.

- ``EvaluationCampaign`` is a viewflow ``Process`` (a concrete subclass, so scope filters are
  plain joins on ``unit``) with a small flow of its own: opened → (evaluations run) → results
  published, or cancelled. It records the rule-set it runs under to the end (I-24).
- ``Evaluation`` is a plain row per evaluated collective or cadre, with its own ``state`` — the
  §3.6 state machine — moved only by ``workflows.evaluation.services``.

Why not one process per evaluation: a provincial campaign evaluates hundreds of cadres at once.
The rules that matter bind evaluations *together* — the "excellent" quota counts a whole peer
group (I-21), the order rules make one evaluation wait for another (I-22) — so every decision
must be taken under one lock that covers the whole campaign: the campaign's process row.
Hundreds of processes would each carry tasks that flood the inboxes and could not be locked as
one. The people who act on an evaluation (the cadre, the board, the competent chair) are told by
notifications and find their work through the selectors (``to_self_assess``, ``to_decide``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from personnel.models import (
    Cadre,
    Committee,
    EvaluationLevel,
    EvaluationPeriod,
    EvaluationResult,
    OrgUnit,
    Position,
)
from workflows.core.models import Deadline, RuleSet, Track

#: what the criteria groups of the rule-set (``evaluation_criteria_points``) are called; a group
#: a newer rule-set adds is shown by its code until it is named here
CRITERIA_LABELS = {
    "general": _("Politics, ethics, lifestyle and discipline"),
    "tasks": _("Results of the assigned duties"),
}


def criteria_label(code: str) -> str:
    return str(CRITERIA_LABELS.get(code, code))


class CampaignStage(models.TextChoices):
    OPEN = "open", _("Open: evaluations under way")
    PUBLISHED = "published", _("Closed: results published")
    CANCELLED = "cancelled", _("Cancelled")


class EvaluationCampaign(Process):
    """The evaluations of a set of units for one period, run by an organisation board."""

    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organising unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Its organisation board runs the campaign."),
    )
    units = models.ManyToManyField(OrgUnit, verbose_name=_("units evaluated"), related_name="+")
    period = models.CharField(_("period"), max_length=10, choices=EvaluationPeriod.choices)
    year = models.PositiveSmallIntegerField(
        _("year"), help_text=_("For a term, the year the term ends.")
    )
    quarter = models.PositiveSmallIntegerField(_("quarter"), null=True, blank=True)
    occasion = models.CharField(
        _("occasion"),
        max_length=200,
        blank=True,
        help_text=_("For an ad hoc evaluation: why it is held."),
    )
    track = models.CharField(_("track"), max_length=10, choices=Track.choices)
    ruleset = models.ForeignKey(
        RuleSet, verbose_name=_("rule-set"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=CampaignStage.choices, default=CampaignStage.OPEN
    )
    self_assessment_days = models.PositiveSmallIntegerField(
        _("working days for the self-assessment")
    )
    self_assessment_due = models.DateField(_("self-assessments due"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        verbose_name = _("evaluation campaign")
        verbose_name_plural = _("evaluation campaigns")
        constraints = [
            models.CheckConstraint(
                condition=(Q(period="quarter") & Q(quarter__gte=1) & Q(quarter__lte=4))
                | (~Q(period="quarter") & Q(quarter__isnull=True)),
                name="campaign_quarter_only_for_quarters",
                violation_error_message=_("A quarter (1–4) is given for quarterly periods only."),
            ),
            models.CheckConstraint(
                condition=(Q(period="ad_hoc") & ~Q(occasion=""))
                | (~Q(period="ad_hoc") & Q(occasion="")),
                name="campaign_occasion_only_for_ad_hoc",
                violation_error_message=_(
                    "An ad hoc evaluation names its occasion; other periods have none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1975) & Q(year__lte=2100),
                name="campaign_year_plausible",
                violation_error_message=_("The year is not plausible."),
            ),
            models.CheckConstraint(
                condition=Q(self_assessment_days__gte=1) & Q(self_assessment_days__lte=60),
                name="campaign_self_assessment_days",
                violation_error_message=_("Allow between 1 and 60 working days."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def period_label(self) -> str:
        if self.period == EvaluationPeriod.QUARTER:
            return gettext("Quarter %(quarter)s/%(year)s") % {
                "quarter": self.quarter,
                "year": self.year,
            }
        if self.period == EvaluationPeriod.TERM:
            return gettext("Term ending %(year)s") % {"year": self.year}
        if self.period == EvaluationPeriod.AD_HOC:
            return gettext("Ad hoc, %(year)s: %(occasion)s") % {
                "year": self.year,
                "occasion": self.occasion,
            }
        return gettext("Year %(year)s") % {"year": self.year}


class Subject(models.TextChoices):
    COLLECTIVE = "collective", _("Collective")
    INDIVIDUAL = "individual", _("Individual")


class EvaluationState(models.TextChoices):
    """Where one evaluation stands (§3.6)."""

    DRAFT = "draft", _("Awaiting the self-assessment")
    SELF_RATED = "self_rated", _("Self-assessed")
    UNDER_APPRAISAL = "under_appraisal", _("Comments collected, under appraisal")
    PROPOSED = "proposed", _("Level proposed by the organisation board")
    DECIDED = "decided", _("Decided by the competent level")
    REEVALUATION = "reevaluation", _("Complaint: under re-evaluation by the superior committee")
    PUBLISHED = "published", _("Published and stored on the record")
    EXCUSED = "excused", _("Not evaluated (excused)")


#: states in which a decided level stands (counted by the quota and the order rules)
DECIDED_STATES = (EvaluationState.DECIDED, EvaluationState.PUBLISHED)
#: states in which a level stands for the "excellent" quota: under re-evaluation, the level
#: complained about stands until the superior committee decides anew
QUOTA_STATES = (*DECIDED_STATES, EvaluationState.REEVALUATION)
#: states before a decision, in which the board may still excuse an evaluation
OPEN_STATES = (
    EvaluationState.DRAFT,
    EvaluationState.SELF_RATED,
    EvaluationState.UNDER_APPRAISAL,
    EvaluationState.PROPOSED,
)


class Evaluation(models.Model):
    """One collective or one cadre evaluated in a campaign."""

    campaign = models.ForeignKey(
        EvaluationCampaign, on_delete=models.CASCADE, related_name="evaluations"
    )
    subject = models.CharField(_("evaluated"), max_length=12, choices=Subject.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    committee = models.ForeignKey(
        Committee,
        verbose_name=_("collective"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cadre = models.ForeignKey(
        Cadre,
        verbose_name=_("cadre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaign_evaluations",
    )
    position = models.ForeignKey(
        Position,
        verbose_name=_("post held at the opening"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: who is compared with whom for the "excellent" quota (``services.peer_group_for``)
    peer_group = models.CharField(_("peer group"), max_length=80)
    competent_body = models.ForeignKey(
        Committee,
        verbose_name=_("competent level"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Its chair decides the rating."),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=EvaluationState.choices, default=EvaluationState.DRAFT
    )
    #: points per criteria group, as decimal strings: {"general": "27", "tasks": "62.5"}
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    total = models.DecimalField(_("total"), max_digits=5, decimal_places=2, null=True, blank=True)
    self_level = models.PositiveSmallIntegerField(
        _("self-rated level"), choices=EvaluationLevel.choices, null=True, blank=True
    )
    self_review = models.TextField(_("self-review"), blank=True)
    self_assessed_at = models.DateTimeField(_("self-assessed"), null=True, blank=True)
    self_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("self-assessment filed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comments = models.TextField(_("collective's comments"), blank=True)
    comments_meeting = models.ForeignKey(
        "core.Meeting",
        verbose_name=_("review meeting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comments_recorded_at = models.DateTimeField(_("comments recorded"), null=True, blank=True)
    proposed_level = models.PositiveSmallIntegerField(
        _("proposed level"), choices=EvaluationLevel.choices, null=True, blank=True
    )
    appraisal_note = models.TextField(_("appraisal note"), blank=True)
    appraised_at = models.DateTimeField(_("appraised"), null=True, blank=True)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("appraised by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_level = models.PositiveSmallIntegerField(
        _("decided level"), choices=EvaluationLevel.choices, null=True, blank=True
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    excused_reason = models.TextField(_("why not evaluated"), blank=True)
    deadline = models.ForeignKey(
        Deadline,
        verbose_name=_("self-assessment due"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    result = models.ForeignKey(
        EvaluationResult,
        verbose_name=_("result on the record"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["campaign", "unit__path", "subject", "cadre__full_name", "pk"]
        indexes = [
            models.Index(fields=["campaign", "peer_group", "state"], name="evaluation_quota"),
            models.Index(fields=["campaign", "unit", "state"], name="evaluation_unit_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject="collective", committee__isnull=False, cadre__isnull=True)
                    | Q(subject="individual", cadre__isnull=False, committee__isnull=True)
                ),
                name="evaluation_subject_consistent",
                violation_error_message=_("A collective or a cadre is evaluated, not both."),
            ),
            models.UniqueConstraint(
                fields=["campaign", "cadre"],
                condition=Q(cadre__isnull=False),
                name="evaluation_cadre_once_per_campaign",
            ),
            models.UniqueConstraint(
                fields=["campaign", "committee"],
                condition=Q(committee__isnull=False),
                name="evaluation_collective_once_per_campaign",
            ),
            models.CheckConstraint(
                condition=Q(total__isnull=True) | (Q(total__gte=0) & Q(total__lte=100)),
                name="evaluation_total_0_100",
                violation_error_message=_("The total is between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["decided", "published"]) | Q(decided_level__isnull=False),
                name="evaluation_decided_has_level",
            ),
        ]

    def __str__(self) -> str:
        return str(self.committee if self.subject == Subject.COLLECTIVE else self.cadre)

    @property
    def is_collective(self) -> bool:
        return self.subject == Subject.COLLECTIVE


class EvaluationComplaint(models.Model):
    """A complaint on a decided rating and its re-evaluation by the superior committee."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="complaints")
    text = models.TextField(_("complaint"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("filed"), auto_now_add=True)
    level_before = models.PositiveSmallIntegerField(
        _("level complained about"), choices=EvaluationLevel.choices
    )
    superior_body = models.ForeignKey(
        Committee,
        verbose_name=_("re-evaluated by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("re-evaluated"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("re-evaluated by (person)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    level_after = models.PositiveSmallIntegerField(
        _("level after re-evaluation"), choices=EvaluationLevel.choices, null=True, blank=True
    )
    reason = models.TextField(_("reason of the re-evaluation"), blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["evaluation", "filed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation"],
                condition=Q(resolved_at__isnull=True),
                name="evaluation_one_open_complaint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} — {self.filed_at:%d/%m/%Y}"
