"""The rotation (luân chuyển) and transfer (điều động) records (domain §6, invariant I-20).

- ``RotationPlan`` — a unit's rotation plan for a period (kế hoạch luân chuyển, QĐ 65-QĐ/TW
  Art. 7(1) [56]), drafted by its organisation board and approved by its standing committee by
  secret ballot on the meeting and ballot engine (``PlanVote``, one ballot per call). A viewflow
  ``Process`` that records the rule-set it runs under to the end (I-24).
- ``Movement`` — one cadre moved from one post to another: a rotation (an item of a plan) or a
  transfer (the shorter path: no plan, no ballot, no reports, no return). Both are viewflow
  ``Process`` rows of the same table run by two flows (``RotationFlow``, ``TransferFlow``);
  ``kind`` says which. It keeps its own ``stage`` (§6.4) for lists and filters, the decision
  (number, date, start), the handover and the reception (with the ``PositionHolding`` it
  started), and for a rotation the end-of-rotation review and placement.
- ``Conversation`` (trao đổi with the cadre), ``Consultation`` (the sending and the receiving
  unit's opinion), ``DossierItem`` (the §6.5 checklist, QĐ 727 [60]) and ``Report`` (the
  receiving unit's periodic reports during a rotation) belong to a movement.

A cadre is in at most one rotation or transfer at a time (a partial unique constraint).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from personnel.models import Cadre, Committee, OrgUnit, Position, PositionHolding
from workflows.core.models import RuleSet, Track


class Kind(models.TextChoices):
    ROTATION = "rotation", _("Rotation")
    TRANSFER = "transfer", _("Transfer")


class Direction(models.TextChoices):
    """The directions of a rotation (QĐ 65-QĐ/TW Art. 4 [54][57])."""

    DOWNWARD = "downward", _("From a higher level to a lower one")
    UPWARD = "upward", _("From a lower level to a higher one")
    BETWEEN_LOCALITIES = "localities", _("From one locality to another")
    BETWEEN_AGENCIES = "agencies", _("Between agencies of the same level")


# --------------------------------------------------------------------------- the plan


class PlanStage(models.TextChoices):
    DRAFT = "draft", _("Drafting the plan")
    BALLOT = "ballot", _("At the standing committee's vote")
    APPROVED = "approved", _("Approved by the standing committee")
    WITHDRAWN = "withdrawn", _("Plan withdrawn")


#: stages before the standing committee has carried the plan
PLAN_OPEN = [PlanStage.DRAFT, PlanStage.BALLOT]


class RotationPlan(Process):
    """A unit's rotation plan for a period, drafted by its organisation board."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    period_start = models.PositiveSmallIntegerField(_("period from"))
    period_end = models.PositiveSmallIntegerField(_("period to"))
    track = models.CharField(_("track"), max_length=10, choices=Track.choices)
    ruleset = models.ForeignKey(
        RuleSet, verbose_name=_("rule-set"), on_delete=models.PROTECT, related_name="+"
    )
    standing = models.ForeignKey(
        Committee,
        verbose_name=_("standing committee"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Approves the plan by secret ballot."),
    )
    competent_body = models.ForeignKey(
        Committee,
        verbose_name=_("competent body"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Its chair signs the rotation decisions."),
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=PlanStage.choices, default=PlanStage.DRAFT
    )
    note = models.TextField(_("the plan: need, posts, policies"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    closed_reason = models.TextField(_("reason for closing"), blank=True)

    class Meta:
        verbose_name = _("rotation plan")
        verbose_name_plural = _("rotation plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="rotation_plan_period_in_order",
                violation_error_message=_("The period must end in or after the year it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.period_start}–{self.period_end})"


class PlanVote(models.Model):
    """The standing committee's ballot on the plan as it ran (one per call): one approval row
    per cadre of the plan. A call that carried nobody stays as it was; the board calls again."""

    plan = models.ForeignKey(RotationPlan, on_delete=models.CASCADE, related_name="votes")
    call = models.PositiveSmallIntegerField(_("call"), default=1)
    meeting = models.ForeignKey(
        "core.Meeting", verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="+"
    )
    ballot = models.ForeignKey(
        "core.Ballot", verbose_name=_("ballot"), on_delete=models.PROTECT, related_name="+"
    )
    #: {"result", "carried": [movement ids], "head_approves": [ballot candidate ids]}; no counts
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
        verbose_name = _("vote on the plan")
        verbose_name_plural = _("votes on the plan")
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(recorded_at__isnull=True),
                name="rotation_plan_one_vote_pending",
                violation_error_message=_("The vote on this plan has already been called."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} — {self.call}"


# --------------------------------------------------------------------------- one cadre


class Stage(models.TextChoices):
    """Where one rotation or transfer stands (§6.4)."""

    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("In the approved plan: preparing the decision")
    SUBMITTED = "submitted", _("Awaiting the decision")
    DECIDED = "decided", _("Decided: awaiting the handover")
    HANDED_OVER = "handed_over", _("Handed over: awaiting the reception")
    IN_ROTATION = "in_rotation", _("In rotation at the destination")
    REVIEWED = "reviewed", _("Reviewed: awaiting the placement")
    COMPLETED = "completed", _("Rotation completed")
    TRANSFERRED = "transferred", _("Transferred")
    NOT_CARRIED = "not_carried", _("Not carried by the plan's vote")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: before the decision: the conversation, consultations and dossier may still be recorded
BEFORE_DECISION = [Stage.PROPOSED, Stage.APPROVED, Stage.SUBMITTED]
#: no longer running
FINISHED = [Stage.COMPLETED, Stage.TRANSFERRED, Stage.NOT_CARRIED, Stage.WITHDRAWN]
#: the cadre may see their own rotation or transfer from the decision on
DECIDED_ON = [
    Stage.DECIDED,
    Stage.HANDED_OVER,
    Stage.IN_ROTATION,
    Stage.REVIEWED,
    Stage.COMPLETED,
    Stage.TRANSFERRED,
]


class Placement(models.TextChoices):
    """After the rotation (QĐ 65-QĐ/TW Art. 10 [55])."""

    RETURN = "return", _("Return to the former post")
    STAY = "stay", _("Stay at the destination (no longer a rotated cadre)")
    NEW_POST = "new_post", _("Appointment to another post")


class Movement(Process):
    """One cadre rotated (an item of a plan) or transferred, run by the organisation board of
    ``unit``; the chair of ``competent_body`` signs the decision."""

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    plan = models.ForeignKey(
        RotationPlan,
        verbose_name=_("rotation plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Whose organisation board runs it: the plan's unit for a rotation."),
    )
    ruleset = models.ForeignKey(
        RuleSet, verbose_name=_("rule-set"), on_delete=models.PROTECT, related_name="+"
    )
    competent_body = models.ForeignKey(
        Committee, verbose_name=_("competent body"), on_delete=models.PROTECT, related_name="+"
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="movements"
    )
    from_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("sending unit"), on_delete=models.PROTECT, related_name="+"
    )
    from_position = models.ForeignKey(
        Position,
        verbose_name=_("current post"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("receiving unit"), on_delete=models.PROTECT, related_name="+"
    )
    to_position = models.ForeignKey(
        Position,
        verbose_name=_("post at the destination"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    direction = models.CharField(
        _("direction"), max_length=12, choices=Direction.choices, blank=True
    )
    reason = models.TextField(_("why"))
    months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)
    expected_after = models.TextField(_("expected arrangement afterwards"), blank=True)
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted for decision by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The competent level's exception to the minimum duration (QĐ 65 Art. 8 [55]).
    duration_exception = models.TextField(_("exception to the minimum duration"), blank=True)
    duration_exception_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exception recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The decision (the last item of the §6.5 dossier).
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: the gates as they stood on the decision date: [{"code", "passed", "message", "source"}]
    gates = models.JSONField(_("gates at the decision"), default=list, blank=True)
    # Handover and reception.
    handed_over_on = models.DateField(_("handed over on"), null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handover_note = models.TextField(_("handover note"), blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reception confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reception_note = models.TextField(_("reception note"), blank=True)
    previous_holding = models.ForeignKey(
        PositionHolding,
        verbose_name=_("post left"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    holding = models.ForeignKey(
        PositionHolding,
        verbose_name=_("post at the destination"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    allowance_reserved = models.BooleanField(
        _("previous allowance reserved"),
        default=False,
        help_text=_("The post at the destination is lower (QĐ 65-QĐ/TW Art. 11)."),
    )
    # End-of-rotation review and placement (rotation only).
    review = models.TextField(_("end-of-rotation review"), blank=True)
    proposed_placement = models.CharField(
        _("proposed placement"), max_length=10, choices=Placement.choices, blank=True
    )
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    placement = models.CharField(
        _("placement"), max_length=10, choices=Placement.choices, blank=True
    )
    placement_position = models.ForeignKey(
        Position,
        verbose_name=_("post after the rotation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    placement_decision = models.CharField(_("placement decision"), max_length=100, blank=True)
    placed_on = models.DateField(_("placed on"), null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placement decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    placement_holding = models.ForeignKey(
        PositionHolding,
        verbose_name=_("post held after the rotation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_reason = models.TextField(_("reason for closing"), blank=True)

    class Meta:
        verbose_name = _("rotation or transfer")
        verbose_name_plural = _("rotations and transfers")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="rotation") & Q(plan__isnull=False) & Q(months__isnull=False))
                | (Q(kind="transfer") & Q(plan__isnull=True)),
                name="rotation_movement_kind_fields",
                violation_error_message=_(
                    "A rotation belongs to a plan and has a duration; a transfer has no plan."
                ),
            ),
            models.CheckConstraint(
                condition=Q(months__isnull=True) | Q(months__gte=1),
                name="rotation_movement_months_positive",
                violation_error_message=_("A rotation lasts at least one month."),
            ),
            models.UniqueConstraint(
                fields=["cadre"],
                condition=~Q(stage__in=["completed", "transferred", "not_carried", "withdrawn"]),
                name="rotation_one_running_per_cadre",
                violation_error_message=_("This cadre is already in a rotation or a transfer."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.get_kind_display()}: {self.to_position.title}"

    @property
    def is_rotation(self) -> bool:
        return self.kind == Kind.ROTATION


# --------------------------------------------------------------------------- records


class Conversation(models.Model):
    """A conversation with the cadre about the move (trao đổi; NĐ 170 Art. 46 step 4 [59])."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="conversations")
    held_on = models.DateField(_("held on"))
    cadre_view = models.TextField(_("the cadre's view"))
    objection = models.TextField(_("objection"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("conversation with the cadre")
        verbose_name_plural = _("conversations with the cadre")
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.movement.cadre} — {self.held_on:%d/%m/%Y}"


class Side(models.TextChoices):
    SENDING = "sending", _("Sending unit")
    RECEIVING = "receiving", _("Receiving unit")


class Opinion(models.TextChoices):
    AGREES = "agrees", _("Agrees")
    REMARKS = "remarks", _("Agrees with remarks")
    DISAGREES = "disagrees", _("Disagrees")


class Consultation(models.Model):
    """The opinion of the sending or the receiving unit (NĐ 170 Art. 46 step 4 [59]); recorded
    again, it replaces the earlier one (the audit trail keeps both)."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="consultations")
    side = models.CharField(_("unit"), max_length=10, choices=Side.choices)
    consulted_on = models.DateField(_("consulted on"))
    body = models.CharField(_("consulted body"), max_length=200)
    opinion = models.CharField(_("opinion"), max_length=10, choices=Opinion.choices)
    remarks = models.TextField(_("remarks"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["side"]
        constraints = [
            models.UniqueConstraint(fields=["movement", "side"], name="rotation_consulted_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()}: {self.get_opinion_display()}"


class DossierKind(models.TextChoices):
    """The rotation dossier (QĐ 727/QĐ-BNV, §6.5 [60]); the decision is its last item, recorded
    on the movement itself."""

    RESIDENCE_COMMENTS = "residence", _("Residence Party cell comments on the cadre and family")
    ASSETS = "assets", _("Asset and income declaration")
    WORKPLACE_COMMENTS = "workplace", _("Workplace Party cell and committee evaluation")
    COLLECTIVE_EVALUATION = "collective", _("Leadership collective's 3-year evaluation")
    HEALTH = "health", _("Health certificate")


class DossierItem(models.Model):
    """One document of the rotation dossier, as received (its date, reference); recorded again,
    it replaces the earlier one (a newer health certificate)."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="dossier")
    kind = models.CharField(_("document"), max_length=12, choices=DossierKind.choices)
    dated = models.DateField(_("dated"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        verbose_name = _("dossier document")
        verbose_name_plural = _("dossier documents")
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["movement", "kind"], name="rotation_dossier_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.dated:%d/%m/%Y})"


class Report(models.Model):
    """A periodic report on the rotated cadre, recorded by the receiving unit."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="reports")
    number = models.PositiveSmallIntegerField(_("report no."))
    due_on = models.DateField(_("due on"))
    reported_on = models.DateField(_("reported on"))
    text = models.TextField(_("report"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("rotation report")
        verbose_name_plural = _("rotation reports")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["movement", "number"], name="rotation_report_once"),
        ]

    def __str__(self) -> str:
        return f"{self.movement.cadre} — {self.number}"
