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
