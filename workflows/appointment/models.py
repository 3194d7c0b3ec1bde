"""The appointment procedure's records (domain §7; design: docs/design/appointment.md).

One ``Appointment`` per post being filled. It is a viewflow ``Process`` (a concrete subclass, so
scope filters are plain joins on ``unit``) that records the rule-set it runs under to the end
(I-24) and keeps its own ``stage`` — the §7.10 state — for lists, filters and the timeline.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from personnel.models import Cadre, Committee, OrgUnit, Position
from workflows.core.models import Deadline, RuleSet, Track


class Source(models.TextChoices):
    INTERNAL = "internal", _("Internal source")
    EXTERNAL = "external", _("External source")


class Stage(models.TextChoices):
    """Where the procedure stands (§7.10)."""

    DRAFT = "draft", _("Draft")
    POLICY_REQUESTED = "policy_requested", _("Policy requested")
    POLICY_APPROVED = "policy_approved", _("Policy approved")
    STEP1_DONE = "step1_done", _("Step 1 done: eligible list approved")
    STEP2_DONE = "step2_done", _("Step 2 done: expanded meeting nominated")
    STEP3_DONE = "step3_done", _("Step 3 done: leadership collective nominated")
    STEP4_DONE = "step4_done", _("Step 4 done: key officials consulted")
    APPRAISED = "appraised", _("Dossier appraised")
    VOTE_PASSED = "vote_passed", _("Final vote passed")
    DECISION_ISSUED = "decision_issued", _("Decision issued")
    CLOSED_REJECTED = "closed_rejected", _("Closed: policy rejected")
    CLOSED_FAILED = "closed_failed", _("Closed: final vote failed")
    WITHDRAWN = "withdrawn", _("Candidate withdrawn")


class Appointment(Process):
    """Appointment to one post (bổ nhiệm), run by the organisation board of ``unit``."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.ForeignKey(
        Position, verbose_name=_("post"), on_delete=models.PROTECT, related_name="appointments"
    )
    track = models.CharField(_("track"), max_length=10, choices=Track.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    ruleset = models.ForeignKey(
        RuleSet, verbose_name=_("rule-set"), on_delete=models.PROTECT, related_name="+"
    )
    competent_body = models.ForeignKey(
        Committee,
        verbose_name=_("competent body"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.DRAFT)
    policy_memo = models.TextField(_("policy request"), blank=True)
    policy_decided_at = models.DateTimeField(_("policy decided"), null=True, blank=True)
    policy_decision_note = models.TextField(_("policy decision note"), blank=True)
    deadline = models.ForeignKey(
        Deadline,
        verbose_name=_("time limit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    candidate = models.ForeignKey(
        Cadre,
        verbose_name=_("candidate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    decision_number = models.CharField(_("decision number"), max_length=50, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    effective_date = models.DateField(_("effective from"), null=True, blank=True)
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    closed_reason = models.TextField(_("reason for closing"), blank=True)
    leadership = models.ForeignKey(
        Committee,
        verbose_name=_("leadership collective"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The collective of steps 1 and 3; the competent body when the unit has none."),
    )
    standing_evaluation = models.TextField(_("standing committee's written evaluation"), blank=True)
    new_issues_conclusion = models.TextField(_("conclusion on newly arising issues"), blank=True)
    appraisal_submitted_at = models.DateTimeField(_("appraisal submitted"), null=True, blank=True)
    appraisal_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("appraisal approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    appraisal_note = models.TextField(_("appraisal review note"), blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dossier prepared by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_date__isnull=True)
                | Q(decision_date__isnull=False, effective_date__gte=models.F("decision_date")),
                name="appointment_effective_after_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position.title} — {self.get_source_display()}"


class StepCode(models.TextChoices):
    STEP1 = "step1", _("Step 1: leadership collective, criteria and eligible list")
    STEP2 = "step2", _("Step 2: expanded meeting, nomination ballot")
    STEP3 = "step3", _("Step 3: leadership collective, nomination ballot")
    STEP4 = "step4", _("Step 4: key officials, ballot on the nominee")
    CONVERSATION = "conversation", _("Conversation with the candidate")
    CONSULTATION = "consultation", _("Consultation of the candidate's current unit")
    VERIFICATION = "verification", _("Background verification")
    FINAL = "final", _("Final vote of the competent body")


class AppointmentStep(models.Model):
    """One step as it ran: its meeting and ballot (several rows when a step was called again),
    or, for the external source's conversation steps, the written record."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="steps")
    code = models.CharField(_("step"), max_length=14, choices=StepCode.choices)
    meeting = models.ForeignKey(
        "core.Meeting",
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ballot = models.ForeignKey(
        "core.Ballot",
        verbose_name=_("ballot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("record"), blank=True)
    #: {"forward": [cadre ids], "result": ...} once recorded; nothing secret (counts only)
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)
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


class DossierKind(models.TextChoices):
    """The uploaded items of §7.8 (vote summaries and count minutes are generated)."""

    MEMO = "memo", _("Submission memo (tờ trình)")
    RESUME = "resume", _("Résumé with photo")
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment for the last 3 years")
    WORKPLACE_COMMENTS = "workplace_comments", _("Workplace Party cell and committee comments")
    RESIDENCE_COMMENTS = "residence_comments", _("Residence Party cell comments")
    POLITICAL_STANDARD = "political_standard", _("Political-standard conclusion")
    ASSETS = "assets", _("Asset and income declaration")
    DIPLOMAS = "diplomas", _("Diplomas and certificates")
    OTHER = "other", _("Other document")


REQUIRED_DOSSIER = [k for k in DossierKind if k != DossierKind.OTHER]


def dossier_path(instance, filename: str) -> str:
    # The stored name is random: the original name is kept in ``filename`` for display only.
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()
    return f"appointments/{instance.appointment_id}/{uuid.uuid4().hex}{suffix}"


class DossierItem(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="dossier")
    kind = models.CharField(_("document"), max_length=20, choices=DossierKind.choices)
    file = models.FileField(_("file"), upload_to=dossier_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("dossier item")
        verbose_name_plural = _("dossier items")
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.filename}"


class CandidateStatus(models.TextChoices):
    ACTIVE = "active", _("In the procedure")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    NOT_CARRIED = "not_carried", _("Not carried forward")


class AppointmentCandidate(models.Model):
    """A cadre considered in this procedure, with the gates as they stood when checked."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="candidates"
    )
    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT)
    status = models.CharField(
        _("status"), max_length=12, choices=CandidateStatus.choices, default=CandidateStatus.ACTIVE
    )
    #: [{"code", "passed", "message", "source", "overridable"}], at the start and before step 5
    gates_at_start = models.JSONField(_("gates at the start"), default=list, blank=True)
    gates_before_final = models.JSONField(
        _("gates before the final vote"), default=list, blank=True
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "cadre"], name="appointment_candidate_once"
            )
        ]

    def __str__(self) -> str:
        return str(self.cadre)


class GateOverride(models.Model):
    """The competent body's authorised special case for one overridable gate (§2.4 G1, G2, G4)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="overrides")
    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT)
    gate = models.CharField(_("gate"), max_length=30)
    reason = models.TextField(_("written reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("gate override")
        verbose_name_plural = _("gate overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "cadre", "gate"], name="gate_override_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.gate}"
