"""The planning review's records (domain §4, I-18, I-19).

One ``PlanningReview`` per annual review ("rà soát, bổ sung quy hoạch") of a unit's plan for a
term (e.g. 2026–2031). It is a viewflow ``Process`` (a concrete subclass, so scope filters are
plain joins on ``unit``) that records the rule-set it runs under to the end (I-24) and keeps its
own ``stage`` for lists and filters. The organisation board proposes cadres per post
(``ReviewCandidate``, with the gates as they stood); the steps run on the meeting and ballot
engine (``ReviewStep``); the competent level's approval writes ``personnel.PlanningEntry``
rows (status APPROVED), which the appointment gates read.

``RemovalProposal`` is the removal of one approved entry from the plan — automatic (I-19: over
the planning age, disciplined at reprimand or above, political standard not met) or at the
board's discretion with a written reason (Q8) — and is a small process of its own whose one
task waits for the organisation board to confirm it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from personnel.models import Cadre, Committee, OrgUnit, PlanningEntry, Position
from workflows.core.models import RuleSet, Track


class Stage(models.TextChoices):
    """Where the review stands (§4.3, §4.5)."""

    SOURCE_LIST = "source_list", _("Proposing the source list")
    LIST_APPROVED = "list_approved", _("Leadership collective approved the list")
    NOMINATED = "nominated", _("Key officials nominated")
    VOTED = "voted", _("Standing committee voted")
    APPROVED = "approved", _("Approved by the competent level")
    PUBLISHED = "published", _("Approved list published")
    REJECTED = "rejected", _("Not approved by the competent level")
    WITHDRAWN = "withdrawn", _("Review withdrawn")


#: stages before the competent level's decision
RUNNING = [Stage.SOURCE_LIST, Stage.LIST_APPROVED, Stage.NOMINATED, Stage.VOTED]


class PlanningReview(Process):
    """The annual review of ``unit``'s plan for a term, run by its organisation board."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    term_start_year = models.PositiveSmallIntegerField(_("term from"))
    term_end_year = models.PositiveSmallIntegerField(_("term to"))
    review_year = models.PositiveSmallIntegerField(_("review year"))
    track = models.CharField(_("track"), max_length=10, choices=Track.choices)
    ruleset = models.ForeignKey(
        RuleSet, verbose_name=_("rule-set"), on_delete=models.PROTECT, related_name="+"
    )
    leadership = models.ForeignKey(
        Committee,
        verbose_name=_("leadership collective"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Approves the source list; the standing committee when the unit has none."),
    )
    standing = models.ForeignKey(
        Committee,
        verbose_name=_("standing committee"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    competent_body = models.ForeignKey(
        Committee,
        verbose_name=_("competent body"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The level that approves the plan; its chair records the approval."),
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.SOURCE_LIST
    )
    note = models.TextField(_("review plan"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("list submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_ref = models.CharField(_("approval decision"), max_length=100, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    closed_reason = models.TextField(_("reason for closing"), blank=True)

    class Meta:
        verbose_name = _("planning review")
        verbose_name_plural = _("planning reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end_year__gt=F("term_start_year")),
                name="planning_review_term_in_order",
                violation_error_message=_("The planning term must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["unit", "term_start_year"],
                condition=Q(stage__in=RUNNING),
                name="planning_review_one_running_per_term",
                violation_error_message=_(
                    "A review of this unit's plan for this term is already under way."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} — {self.term_start_year}–{self.term_end_year} ({self.review_year})"


class CandidateStatus(models.TextChoices):
    ACTIVE = "active", _("In the review")
    WITHDRAWN = "withdrawn", _("Withdrawn by the board")
    NOT_CARRIED = "not_carried", _("Not carried by a vote")
    PLANNED = "planned", _("In the approved plan")


class ReviewCandidate(models.Model):
    """A cadre proposed for one post in this review, with the gates as they stood."""

    review = models.ForeignKey(PlanningReview, on_delete=models.CASCADE, related_name="candidates")
    position = models.ForeignKey(Position, verbose_name=_("post"), on_delete=models.PROTECT)
    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT)
    status = models.CharField(
        _("status"), max_length=12, choices=CandidateStatus.choices, default=CandidateStatus.ACTIVE
    )
    #: [{"code", "passed", "blocking", "message", "source"}] when proposed / at submission
    gates = models.JSONField(_("gates"), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entry = models.ForeignKey(
        PlanningEntry,
        verbose_name=_("planning entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("proposed cadre")
        verbose_name_plural = _("proposed cadres")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "position", "cadre"], name="planning_candidate_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.position.title}"


class StepCode(models.TextChoices):
    LEADERSHIP = "leadership", _("Leadership collective approves the source list")
    KEY_OFFICIALS = "key_officials", _("Key officials nominate by secret ballot")
    STANDING = "standing", _("Standing committee votes")


class ReviewStep(models.Model):
    """One ballot of a step as it ran: the leadership's one motion, or one post's ballot at the
    key officials' and the standing committee's meetings (all ballots of a call share the
    meeting). Rows of a step called again stay as they were."""

    review = models.ForeignKey(PlanningReview, on_delete=models.CASCADE, related_name="steps")
    code = models.CharField(_("step"), max_length=14, choices=StepCode.choices)
    call = models.PositiveSmallIntegerField(_("call"), default=1)
    position = models.ForeignKey(
        Position,
        verbose_name=_("post"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    meeting = models.ForeignKey(
        "core.Meeting", verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="+"
    )
    ballot = models.ForeignKey(
        "core.Ballot", verbose_name=_("ballot"), on_delete=models.PROTECT, related_name="+"
    )
    #: {"result", "forward": [cadre ids], "head_approves": [ballot candidate ids]}; no counts
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)
    note = models.TextField(_("record"), blank=True)
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return self.get_code_display()


class RemovalReason(models.TextChoices):
    """Why an entry leaves the plan: the three automatic triggers (I-19) or the board's own
    judgement (Q8)."""

    AGE = "age", _("Over the planning age")
    DISCIPLINE = "discipline", _("Disciplined at reprimand or above")
    POLITICAL_STANDARD = "political_standard", _("Does not meet the political standard")
    DISCRETIONARY = "discretionary", _("Decision of the board (no longer meets the standards)")


AUTOMATIC = frozenset(
    {RemovalReason.AGE, RemovalReason.DISCIPLINE, RemovalReason.POLITICAL_STANDARD}
)


class RemovalStatus(models.TextChoices):
    OPEN = "open", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Removed from the plan")
    DISMISSED = "dismissed", _("Dismissed")


class RemovalProposal(Process):
    """Taking one approved entry out of the plan; the organisation board of the post's unit
    confirms it (its one task). At most one is open per entry (the scan relies on it)."""

    entry = models.ForeignKey(
        PlanningEntry,
        verbose_name=_("planning entry"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("ground"), max_length=20, choices=RemovalReason.choices)
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=10, choices=RemovalStatus.choices, default=RemovalStatus.OPEN
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the scan of the automatic grounds proposed it."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("removal from the plan")
        verbose_name_plural = _("removals from the plan")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(state="open"),
                name="planning_removal_one_open_per_entry",
                violation_error_message=_(
                    "A removal of this entry is already awaiting a decision."
                ),
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="planning_removal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} — {self.get_kind_display()}"
