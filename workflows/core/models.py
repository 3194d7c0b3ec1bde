"""Rule-sets, meetings and secret ballots: the engine every procedure decides with.

Secrecy (architecture guide §5, invariant I-6): who voted (``Participation``) and what was voted
(``Mark``) live in separate tables. A mark has a random id and no voter, no time, nothing that
orders it; it is written in the same transaction as the voter's participation row, which is
unique per (ballot, voter). Closing a ballot rewrites both tables' rows for that ballot in a random
order, so neither row order nor transaction ids link them afterwards (docs/ballot-secrecy.md).
"""

from __future__ import annotations

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from personnel.models import Cadre, Committee, OrgUnit

# --------------------------------------------------------------------------- rule-sets


class Track(models.TextChoices):
    PARTY = "party", _("Party track")
    STATE = "state", _("State track")


class Denominator(models.TextChoices):
    """What "more than 50 %" is a share of (domain §2.2)."""

    SUMMONED = "summoned", _("members summoned")
    SUMMONED_MINUS_EXCLUSIONS = "summoned_minus_exclusions", _("members summoned minus exclusions")
    COLLECTIVE_TOTAL = "collective_total", _("total members of the collective")
    VALID_BALLOTS = "valid_ballots", _("valid ballots")


class ParameterKey(models.TextChoices):
    """Every regulation parameter the engine reads. Values are JSON; shapes in ``rules.py``."""

    QUORUM = "quorum", _("Quorum (share of those summoned present)")
    NOMINATION_DENOMINATOR = "nomination_denominator", _("Nomination ballot: denominator")
    APPROVAL_DENOMINATOR = "approval_denominator", _("Collective decision: denominator")
    CONFIDENCE_DENOMINATOR = "confidence_denominator", _("Confidence ballot: denominator")
    TIE_RULE = "tie_rule", _("Exactly 50 % in a collective decision")
    CARRY_FORWARD = "carry_forward", _("Nobody passes a nomination: how many go forward")
    SEALED_MEETINGS = "sealed_meetings", _("Meetings whose results are sealed")
    CONFIDENCE_LOW_BARS = "confidence_low_bars", _("Confidence ballot: low-confidence bars")
    DISCIPLINE_COOLING_OFF = "discipline_cooling_off_months", _("Discipline cooling-off (months)")
    FULL_TERM_YEARS = "full_term_years", _("Years of service left for a full term")
    MIN_YEARS_IN_POST = "min_years_in_post", _("Years in the current post")
    POLITICAL_STANDARD_VALIDITY = (
        "political_standard_validity_months",
        _("Validity of a political-standard conclusion (months)"),
    )
    APPOINTMENT_DEADLINE = (
        "appointment_deadline_working_days",
        _("Appointment: policy approval to decision (working days)"),
    )
    REAPPOINTMENT_NOTICE = "reappointment_notice", _("Re-appointment notice before term end")
    PLANNING_CAPS = "planning_caps", _("Planning caps")
    EXCELLENT_QUOTA = "excellent_quota_percent_of_good", _("'Excellent' quota (% of 'good')")
    ROTATION_MIN_SERVICE = "rotation_min_service_years", _("Rotation: service years left")
    ROTATION_MIN_DURATION = "rotation_min_duration_months", _("Rotation: minimum duration")
    PLANNING_STRUCTURE = "planning_structure", _("Planning: structure targets (young, women)")
    EVALUATION_SCORE_BANDS = (
        "evaluation_score_bands",
        _("Evaluation: lowest score of each rating level"),
    )
    EVALUATION_CRITERIA = "evaluation_criteria_points", _("Evaluation: criteria groups and points")
    ROTATION_HEALTH_VALIDITY = (
        "rotation_health_validity_months",
        _("Rotation: validity of the health certificate (months)"),
    )
    TRAINING_POSTGRADUATE = (
        "training_postgraduate",
        _("Training: post-graduate dispatch conditions"),
    )


class RuleSet(models.Model):
    """One version of a regulation's parameters. Once a meeting or procedure runs under it, it
    is read-only (in PostgreSQL too): a change means a new version."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    track = models.CharField(_("track"), max_length=10, choices=Track.choices)
    citation = models.TextField(_("instrument"))
    effective_from = models.DateField(_("effective from"))
    in_use = models.BooleanField(_("in use"), default=False, editable=False)

    class Meta:
        verbose_name = _("rule-set")
        verbose_name_plural = _("rule-sets")
        ordering = ["track", "-effective_from", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="ruleset_code_version"),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="ruleset_read_only_in_use",
                operation=pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                IF OLD.in_use AND (TG_OP = 'DELETE' OR NEW.code IS DISTINCT FROM OLD.code
                    OR NEW.version IS DISTINCT FROM OLD.version
                    OR NEW.track IS DISTINCT FROM OLD.track
                    OR NEW.citation IS DISTINCT FROM OLD.citation
                    OR NEW.effective_from IS DISTINCT FROM OLD.effective_from
                    OR NOT NEW.in_use) THEN
                    RAISE EXCEPTION 'rule-set % v% is in use and read-only', OLD.code, OLD.version
                        USING ERRCODE = 'check_violation';
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class RuleParameter(models.Model):
    ruleset = models.ForeignKey(
        RuleSet, verbose_name=_("rule-set"), on_delete=models.CASCADE, related_name="parameters"
    )
    key = models.CharField(_("parameter"), max_length=50, choices=ParameterKey.choices)
    value = models.JSONField(_("value"))
    citation = models.CharField(_("source"), max_length=300)
    unverified = models.BooleanField(
        _("unverified"), default=False, help_text=_("The wording could not be confirmed.")
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("rule parameter")
        verbose_name_plural = _("rule parameters")
        ordering = ["ruleset", "key"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "key"], name="ruleparameter_once"),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="parameter_read_only_in_use",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                IF (SELECT in_use FROM core_ruleset
                    WHERE id = COALESCE(OLD.ruleset_id, NEW.ruleset_id)) THEN
                    RAISE EXCEPTION 'rule-set is in use; its parameters are read-only'
                        USING ERRCODE = 'check_violation';
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ruleset}: {self.key}"


# --------------------------------------------------------------------------- meetings


class MeetingKind(models.TextChoices):
    LEADERSHIP_COLLECTIVE = "leadership_collective", _("Leadership collective")
    EXPANDED_COLLECTIVE = "expanded_collective", _("Expanded leadership collective")
    KEY_OFFICIALS = "key_officials", _("Meeting of key officials")
    STANDING_COMMITTEE = "standing_committee", _("Standing committee")
    EXECUTIVE_COMMITTEE = "executive_committee", _("Executive committee")


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CONVENED = "convened", _("In session")
    ADJOURNED = "adjourned", _("Adjourned")
    CLOSED = "closed", _("Closed")


class Meeting(models.Model):
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=MeetingKind.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="meetings"
    )
    body = models.ForeignKey(
        Committee,
        verbose_name=_("body"),
        on_delete=models.PROTECT,
        related_name="meetings",
        null=True,
        blank=True,
        help_text=_("Empty for an ad-hoc roster (key officials, expanded collective)."),
    )
    competent_body = models.ForeignKey(
        Committee,
        verbose_name=_("competent body"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Sees sealed results together with the organisation board."),
    )
    ruleset = models.ForeignKey(
        RuleSet, verbose_name=_("rule-set"), on_delete=models.PROTECT, related_name="meetings"
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        on_delete=models.PROTECT,
        related_name="chaired_meetings",
    )
    scheduled_at = models.DateTimeField(_("scheduled at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    collective_total = models.PositiveSmallIntegerField(
        _("members of the collective"),
        null=True,
        blank=True,
        help_text=_("Snapshot at convening; the denominator of collective decisions."),
    )
    session = models.PositiveSmallIntegerField(_("session"), default=0)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-scheduled_at"]
        indexes = [
            # The meetings list, newest first a page at a time: PostgreSQL walks this index and
            # stops at the page instead of sorting every meeting in the user's reach.
            models.Index(fields=["-scheduled_at", "-id"], name="core_meeting_newest"),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.TextChoices):
    UNKNOWN = "unknown", _("Not recorded")
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")


class Summons(models.Model):
    """A person summoned to a meeting (snapshot at convening) and their attendance."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="summons"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="summons",
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    absence_reason = models.CharField(_("reason for absence"), max_length=200, blank=True)
    excluded = models.BooleanField(
        _("excluded from the count"),
        default=False,
        help_text=_("E.g. on temporary transfer or suspended (summoned-minus-exclusions rule)."),
    )
    counts_votes = models.BooleanField(_("vote-counting group"), default=False)
    votes = models.BooleanField(
        _("votes"), default=True, help_text=_("Advisers attend without voting.")
    )

    class Meta:
        verbose_name = _("summons")
        verbose_name_plural = _("summonses")
        ordering = ["meeting", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="summons_once"),
            models.CheckConstraint(
                condition=~Q(attendance="absent") | ~Q(absence_reason=""),
                name="summons_absence_has_reason",
                violation_error_message=_("Give the reason for the absence."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.meeting}"


# --------------------------------------------------------------------------- ballots


class BallotKind(models.TextChoices):
    NOMINATION = "nomination", _("Nomination")
    CONFIDENCE = "confidence", _("Confidence")
    APPROVAL = "approval", _("Approval")


class BallotMode(models.TextChoices):
    ELECTRONIC = "electronic", _("Electronic")
    PAPER = "paper", _("Paper")


class BallotStatus(models.TextChoices):
    DRAFT = "draft", _("Prepared")
    OPEN = "open", _("Open")
    COUNTED = "counted", _("Counted, awaiting confirmation")
    CLOSED = "closed", _("Closed")


class Choice(models.TextChoices):
    """What one mark says. Nomination marks name a candidate (or another cadre)."""

    NOMINATE = "nominate", _("Nominated")
    APPROVE = "approve", _("Approve")
    DISAPPROVE = "disapprove", _("Disapprove")
    HIGH = "high", _("High confidence")
    CONFIDENCE = "confidence", _("Confidence")
    LOW = "low", _("Low confidence")
    ABSTAIN = "abstain", _("Abstain")


class Ballot(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="ballots"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=BallotKind.choices)
    mode = models.CharField(_("mode"), max_length=12, choices=BallotMode.choices)
    title = models.CharField(_("question"), max_length=300)
    seats = models.PositiveSmallIntegerField(_("posts to fill"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=BallotStatus.choices, default=BallotStatus.DRAFT
    )
    # Snapshots of the rules this ballot is decided by (from the meeting's rule-set).
    sealed = models.BooleanField(_("results sealed"), default=False)
    denominator = models.CharField(_("denominator"), max_length=30, choices=Denominator.choices)
    # Counts, final at close (paper: entered by the counting group).
    issued = models.PositiveIntegerField(_("ballots issued"), null=True, blank=True)
    returned = models.PositiveIntegerField(_("ballots returned"), null=True, blank=True)
    valid = models.PositiveIntegerField(_("valid ballots"), null=True, blank=True)
    invalid = models.PositiveIntegerField(_("invalid ballots"), null=True, blank=True)
    turnout = models.PositiveIntegerField(_("turnout"), null=True, blank=True)
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("counts entered by"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("counts confirmed by"),
    )
    head_decision = models.TextField(_("decision of the head"), blank=True)
    differing_opinions = models.TextField(_("report of differing opinions"), blank=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["meeting", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="ballot_has_a_seat"),
            models.CheckConstraint(
                condition=Q(valid__isnull=True)
                | (Q(valid__lte=F("returned")) & Q(returned__lte=F("issued"))),
                name="ballot_counts_consistent",
                violation_error_message=_("Valid ≤ returned ≤ issued."),
            ),
            models.CheckConstraint(
                condition=~Q(entered_by=F("confirmed_by")) | Q(confirmed_by__isnull=True),
                name="ballot_confirmed_by_another",
                violation_error_message=_("A second member must confirm the counts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Candidate(models.Model):
    ballot = models.ForeignKey(
        Ballot, verbose_name=_("ballot"), on_delete=models.CASCADE, related_name="candidates"
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, null=True, blank=True
    )
    label = models.CharField(_("motion"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    written_in = models.BooleanField(_("written in by a voter"), default=False)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["ballot", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "cadre"],
                condition=Q(cadre__isnull=False),
                name="candidate_once_per_ballot",
            ),
            models.CheckConstraint(
                condition=Q(cadre__isnull=False) | ~Q(label=""),
                name="candidate_is_cadre_or_motion",
            ),
        ]

    def __str__(self) -> str:
        return self.cadre.full_name if self.cadre_id else self.label


def _random_id() -> uuid.UUID:
    return uuid.uuid4()


class Participation(models.Model):
    """That a person voted in a ballot — never what. No time, random id."""

    id = models.UUIDField(primary_key=True, default=_random_id, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "user"], name="one_ballot_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} voted in {self.ballot}"


class Mark(models.Model):
    """One judgement on one ballot paper — never who. No voter, no time, random id.

    A nomination paper holds one mark per post; a confidence paper one mark per candidate; an
    approval paper one mark. The marks of one paper are not linked to each other either.
    """

    id = models.UUIDField(primary_key=True, default=_random_id, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="marks")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="marks", null=True, blank=True
    )
    choice = models.CharField(max_length=12, choices=Choice.choices)

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")

    def __str__(self) -> str:
        return self.choice


class PaperTally(models.Model):
    """Per-candidate counts the vote-counting group read off paper ballots."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="paper_tallies")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    choice = models.CharField(max_length=12, choices=Choice.choices)
    count = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("paper count")
        verbose_name_plural = _("paper counts")
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "candidate", "choice"],
                nulls_distinct=False,
                name="paper_tally_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate}: {self.choice} × {self.count}"


class Deadline(models.Model):
    """A limit in working days that someone must meet (the policy request's 30 days, a task's
    time limit). The reminder job warns ``responsible`` before it and once when it passes."""

    #: what must be done, as a msgid translated when shown ("Appointment decision")
    title = models.CharField(_("title"), max_length=200)
    #: what it concerns, in the data's own words ("Nguyễn Văn A — Director, Department X")
    subject = models.CharField(_("concerning"), max_length=300, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    #: the rule that sets the limit ("QĐ 377-QĐ/TW, art. 8")
    source = models.CharField(_("source"), max_length=200, blank=True)
    starts_on = models.DateField(_("counted from"))
    working_days = models.PositiveSmallIntegerField(_("working days"))
    due = models.DateField(_("due"))
    responsible = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="deadlines", verbose_name=_("responsible")
    )
    process = models.ForeignKey(
        "viewflow.Process", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        "viewflow.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        indexes = [
            models.Index(fields=["due"], name="deadline_open", condition=Q(met_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due__gte=F("starts_on")), name="deadline_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.due})"


class QueueEntry(models.Model):
    """One person a queued task is offered to: the node's ``Queue(...)`` candidates, stored when
    the task is created so the queue and its counter are one indexed query, not a candidate
    computation per task (``workflows.core.queues``). Kept true when scopes change; claiming
    still checks the candidates afresh."""

    task = models.ForeignKey("viewflow.Task", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("queue entry")
        verbose_name_plural = _("queue entries")
        constraints = [
            models.UniqueConstraint(fields=["user", "task"], name="queue_entry_once"),
        ]
        indexes = [models.Index(fields=["task"], name="queue_entry_task")]

    def __str__(self) -> str:
        return f"{self.task_id} → {self.user_id}"
