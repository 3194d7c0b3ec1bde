"""The records of training and fostering dispatch ("cử đi đào tạo, bồi dưỡng", domain §5).

- ``TrainingPlan`` — a unit's plan for a year ("kế hoạch đào tạo"), made by its organisation
  board and approved by the competent body's chair. A viewflow ``Process`` (concrete subclass,
  so scope filters are plain joins on ``unit``) that records the rule-set it runs under (I-24).
- ``Course`` — a line of the plan: a course kind and level mapped onto the personnel enums
  (``TrainingKind`` with ``PoliticalTheoryLevel``, ``StateManagementLevel`` or
  ``EducationLevel``; fostering courses have no level) and its length in months.
- ``CourseQuota`` — the seats of one unit (the plan's unit or a unit below it) on one course.
- ``Candidate`` — a cadre proposed for a course, charged to a quota, with the gates as they
  stood and, for a cadre outside the planning pool, the reason recorded for the exception.
- ``Dispatch`` — an approved candidate's own process: the dispatch decision ("cử đi học"),
  enrolment, completion (a ``personnel.TrainingRecord`` and the cadre's level raised) or
  non-completion.
- ``Commitment`` — the written commitment to serve the sending unit (post-graduate study:
  ``commitment_multiple`` × the study months, counted from the completion date), tracked to
  its end.
- ``CommitmentBreach`` — a cadre who left the sending unit before the commitment ended: a
  small process whose one task waits for the organisation board's decision (reimbursement is
  its call).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from personnel.models import (
    Cadre,
    Committee,
    EducationLevel,
    OrgUnit,
    PlanningEntry,
    PoliticalTheoryLevel,
    StateManagementLevel,
    TrainingKind,
    TrainingRecord,
)
from workflows.core.models import RuleSet, Track

#: each course kind's levels (a personnel enum) and the cadre field that holds the level reached;
#: fostering courses ("bồi dưỡng") keep no level
KIND_LEVELS = {
    TrainingKind.POLITICAL_THEORY: (PoliticalTheoryLevel, "political_theory_level"),
    TrainingKind.STATE_MANAGEMENT: (StateManagementLevel, "state_management_level"),
    TrainingKind.DEGREE: (EducationLevel, "education_level"),
    TrainingKind.FOSTERING: (None, None),
}


# --------------------------------------------------------------------------- the plan


class PlanStage(models.TextChoices):
    DRAFT = "draft", _("Preparing the plan")
    SUBMITTED = "submitted", _("Awaiting the committee's approval")
    APPROVED = "approved", _("Approved: dispatch under way")
    WITHDRAWN = "withdrawn", _("Plan withdrawn")


#: stages before the approval
RUNNING = [PlanStage.DRAFT, PlanStage.SUBMITTED]


class TrainingPlan(Process):
    """``unit``'s training plan for ``year``, run by its organisation board."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    track = models.CharField(_("track"), max_length=10, choices=Track.choices)
    ruleset = models.ForeignKey(
        RuleSet, verbose_name=_("rule-set"), on_delete=models.PROTECT, related_name="+"
    )
    competent_body = models.ForeignKey(
        Committee,
        verbose_name=_("competent body"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Approves the candidate list; its chair records the approval."),
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=PlanStage.choices, default=PlanStage.DRAFT
    )
    note = models.TextField(_("purpose of the plan"), blank=True)
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
    returned_reason = models.TextField(_("returned to the board"), blank=True)
    closed_reason = models.TextField(_("reason for closing"), blank=True)

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100),
                name="training_plan_year_plausible",
                violation_error_message=_("The year is not plausible."),
            ),
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=~Q(stage="withdrawn"),
                name="training_plan_one_per_unit_year",
                violation_error_message=_("This unit already has a training plan for this year."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} — {self.year}"


class Course(models.Model):
    """One course of the plan. ``level`` is a value of the kind's personnel enum
    (``KIND_LEVELS``); a fostering course has none."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="courses")
    kind = models.CharField(_("kind"), max_length=20, choices=TrainingKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    title = models.CharField(_("programme"), max_length=200)
    institution = models.CharField(_("institution"), max_length=200, blank=True)
    months = models.PositiveSmallIntegerField(
        _("length (months)"), help_text=_("The commitment to serve is counted from it.")
    )

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["plan", "kind", "level", "title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "title"],
                name="training_course_title_once",
                violation_error_message=_("The plan already has a course with this title."),
            ),
            models.CheckConstraint(
                condition=Q(months__gte=1) & Q(months__lte=120),
                name="training_course_months_range",
                violation_error_message=_("A course lasts between 1 and 120 months."),
            ),
            models.CheckConstraint(
                condition=(Q(kind="fostering") & Q(level__isnull=True))
                | (~Q(kind="fostering") & Q(level__isnull=False)),
                name="training_course_level_by_kind",
                violation_error_message=_(
                    "A fostering course has no level; every other course has one."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def levels(self):
        return KIND_LEVELS[TrainingKind(self.kind)][0]

    @property
    def cadre_field(self) -> str | None:
        return KIND_LEVELS[TrainingKind(self.kind)][1]

    @property
    def level_label(self) -> str:
        levels = self.levels
        return "" if levels is None or self.level is None else str(levels(self.level).label)

    @property
    def is_postgraduate(self) -> bool:
        """Master's or doctoral study: the rule-set's ``TRAINING_POSTGRADUATE`` conditions
        apply, with the written commitment to serve."""
        return (
            self.kind == TrainingKind.DEGREE
            and self.level is not None
            and self.level >= EducationLevel.MASTER
        )


class CourseQuota(models.Model):
    """The seats ``unit`` has on ``course``: its cadres (working in it or below it) are
    charged to it."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quotas")
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    seats = models.PositiveSmallIntegerField(_("seats"))

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["course", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["course", "unit"], name="training_quota_once"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="training_quota_has_a_seat"),
        ]

    def __str__(self) -> str:
        return f"{self.course} — {self.unit}: {self.seats}"


class CandidateStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the board")
    APPROVED = "approved", _("Approved")
    NOT_APPROVED = "not_approved", _("Not approved")


#: candidates that take a seat of their quota
SEATED = [CandidateStatus.PROPOSED, CandidateStatus.APPROVED]


class Candidate(models.Model):
    """A cadre proposed for a course, charged to ``quota`` (their sending unit's seats)."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="candidates")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="candidates")
    quota = models.ForeignKey(CourseQuota, on_delete=models.PROTECT, related_name="candidates")
    cadre = models.ForeignKey(
        Cadre,
        verbose_name=_("cadre"),
        on_delete=models.PROTECT,
        related_name="training_candidacies",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CandidateStatus.choices,
        default=CandidateStatus.PROPOSED,
    )
    #: [{"code", "passed", "blocking", "waived", "message", "source", "unverified"}]
    gates = models.JSONField(_("gates"), default=list, blank=True)
    planning_entry = models.ForeignKey(
        PlanningEntry,
        verbose_name=_("planning entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The approved plan entry that puts the cadre in the planning pool."),
    )
    off_plan_reason = models.TextField(
        _("reason for proposing a cadre outside the plan"), blank=True
    )
    reason = models.TextField(_("reason"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["course", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "cadre"], name="training_candidate_once"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.course}"


# --------------------------------------------------------------------------- dispatch


class DispatchState(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting the dispatch decision")
    DISPATCHED = "dispatched", _("Sent to study")
    ENROLLED = "enrolled", _("Studying")
    COMPLETED = "completed", _("Completed")
    NOT_COMPLETED = "not_completed", _("Did not complete")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: states in which the cadre is sent or studying (the commitment runs from the decision)
UNDER_WAY = [DispatchState.DISPATCHED, DispatchState.ENROLLED]
FINISHED = [DispatchState.COMPLETED, DispatchState.NOT_COMPLETED, DispatchState.WITHDRAWN]


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("Completed the course")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    FAILED = "failed", _("Failed the course")


class Dispatch(Process):
    """One approved candidate sent to study: decision, enrolment, completion."""

    candidate = models.OneToOneField(
        Candidate, verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="dispatch"
    )
    plan = models.ForeignKey(
        TrainingPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="dispatches"
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="+"
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="+"
    )
    sending_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("sending unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The unit whose seat the cadre takes and which they commit to serve."),
    )
    state = models.CharField(
        _("state"), max_length=14, choices=DispatchState.choices, default=DispatchState.AWAITING
    )
    decision_ref = models.CharField(_("dispatch decision"), max_length=100, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    signed_by = models.CharField(_("signed by"), max_length=200, blank=True)
    decision_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decision recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    institution = models.CharField(_("institution"), max_length=200, blank=True)
    starts_on = models.DateField(_("study starts on"), null=True, blank=True)
    expected_end_on = models.DateField(_("expected to end on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    training_record = models.ForeignKey(
        TrainingRecord,
        verbose_name=_("training record"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("dispatch to study")
        verbose_name_plural = _("dispatches to study")
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_end_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(expected_end_on__gte=F("starts_on")),
                name="training_dispatch_expected_end_in_order",
                violation_error_message=_("The study cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ended_on__gte=F("starts_on")),
                name="training_dispatch_end_in_order",
                violation_error_message=_("The study cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.course}"


class CommitmentStatus(models.TextChoices):
    SIGNED = "signed", _("Signed; the study is under way")
    SERVING = "serving", _("Serving the commitment")
    FULFILLED = "fulfilled", _("Fulfilled")
    BREACHED = "breached", _("Left before the commitment ended")
    LAPSED = "lapsed", _("Study not completed")
    VOID = "void", _("Dispatch withdrawn")


#: commitments the nightly scan watches
WATCHED = [CommitmentStatus.SIGNED, CommitmentStatus.SERVING]


class Commitment(models.Model):
    """The written commitment to serve ``unit`` for ``months`` after completing the study."""

    dispatch = models.OneToOneField(Dispatch, on_delete=models.PROTECT, related_name="commitment")
    cadre = models.ForeignKey(
        Cadre,
        verbose_name=_("cadre"),
        on_delete=models.PROTECT,
        related_name="training_commitments",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit to serve"), on_delete=models.PROTECT, related_name="+"
    )
    signed_on = models.DateField(_("signed on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    study_months = models.PositiveSmallIntegerField(_("study (months)"))
    multiple = models.PositiveSmallIntegerField(_("multiple of the study time"))
    months = models.PositiveSmallIntegerField(_("committed to serve (months)"))
    starts_on = models.DateField(
        _("serving from"), null=True, blank=True, help_text=_("The completion date.")
    )
    ends_on = models.DateField(_("committed until"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.SIGNED,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("commitment to serve")
        verbose_name_plural = _("commitments to serve")
        ordering = ["-signed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(months__gte=F("study_months") * F("multiple")),
                name="training_commitment_long_enough",
                violation_error_message=_(
                    "The commitment must cover the required multiple of the study time."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(starts_on__isnull=True) & Q(ends_on__isnull=True))
                | (Q(starts_on__isnull=False) & Q(ends_on__gt=F("starts_on"))),
                name="training_commitment_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.months}"


class BreachState(models.TextChoices):
    OPEN = "open", _("Awaiting the board's decision")
    DECIDED = "decided", _("Decided")
    DISMISSED = "dismissed", _("Dismissed: the cadre serves the unit")


class BreachDecision(models.TextChoices):
    REIMBURSE = "reimburse", _("Reimbursement of the training costs required")
    WAIVE = "waive", _("Reimbursement waived")


class CommitmentBreach(Process):
    """A cadre who left the sending unit before their commitment ended; the organisation board
    decides (its one task). At most one is open per commitment (the scan relies on it)."""

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.PROTECT, related_name="breaches"
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit to serve"), on_delete=models.PROTECT, related_name="+"
    )
    committed_until = models.DateField(
        _("committed until"),
        null=True,
        blank=True,
        help_text=_("Empty when the cadre left before completing the study."),
    )
    left_on = models.DateField(_("left on"))
    months_short = models.PositiveSmallIntegerField(_("months short"))
    ground = models.TextField(_("what was found"))
    state = models.CharField(
        _("state"), max_length=10, choices=BreachState.choices, default=BreachState.OPEN
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=BreachDecision.choices, blank=True
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("commitment breach")
        verbose_name_plural = _("commitment breaches")
        constraints = [
            models.UniqueConstraint(
                fields=["commitment"],
                condition=Q(state="open"),
                name="training_breach_one_open_per_commitment",
                violation_error_message=_("A breach of this commitment is already open."),
            ),
            models.CheckConstraint(
                condition=~Q(state="decided") | ~Q(decision=""),
                name="training_breach_decided_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.left_on:%d/%m/%Y}"
