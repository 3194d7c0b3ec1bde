"""Who is who: org units, positions, cadres, committees and the records the eligibility gates read.

Invariants live in PostgreSQL as well as in the services (see ``Meta.constraints`` and the
seat-count trigger on ``PositionHolding``), so no code path can write an impossible state.
"""

from __future__ import annotations

import datetime as dt

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase
from treebeard.mp_tree import MP_Node

from . import retirement
from .expressions import plain_upper


class DateRangeInclusive(Func):
    """``daterange(lower, upper, '[]')`` — an open upper bound (NULL) means 'still running'."""

    function = "DATERANGE"
    output_field = DateRangeField()

    def __init__(self, lower, upper):
        super().__init__(lower, upper, models.Value("[]"))


def _dates_in_order(instance, start: str, end: str, message) -> None:
    """Report a period ending before it starts as an error on its end field.

    Raised from ``clean()`` so that ``full_clean`` skips the exclusion constraints on that
    period (PostgreSQL cannot even build a range whose bounds are reversed).
    """
    lower, upper = getattr(instance, start), getattr(instance, end)
    if lower is not None and upper is not None and upper < lower:
        raise ValidationError({end: message})


SEATS_TAKEN = _("All seats of this position are taken in that period. End a current holding first.")


# --------------------------------------------------------------------------- choices


class Gender(models.TextChoices):
    MALE = retirement.MALE, _("Male")
    FEMALE = retirement.FEMALE, _("Female")


class EducationLevel(models.IntegerChoices):
    UPPER_SECONDARY = 10, _("Upper secondary")
    COLLEGE = 20, _("College")
    BACHELOR = 30, _("Bachelor")
    MASTER = 40, _("Master")
    DOCTOR = 50, _("Doctor")


class PoliticalTheoryLevel(models.IntegerChoices):
    NONE = 0, _("None")
    ELEMENTARY = 10, _("Elementary")
    INTERMEDIATE = 20, _("Intermediate")
    ADVANCED = 30, _("Advanced")


class StateManagementLevel(models.IntegerChoices):
    NONE = 0, _("None")
    SPECIALIST = 10, _("Specialist")
    PRINCIPAL_SPECIALIST = 20, _("Principal specialist")
    SENIOR_SPECIALIST = 30, _("Senior specialist")


class ManagementLevel(models.TextChoices):
    """The body whose management list ("diện ... quản lý") a unit's leading posts are on."""

    CENTRAL = "central", _("Central (Politburo / Secretariat)")
    PROVINCE = "province", _("Province Party Standing Committee")
    DISTRICT = "district", _("District Party Standing Committee")
    COMMUNE = "commune", _("Commune Party Committee")


class UnitKind(models.TextChoices):
    PROVINCE_PARTY = "province_party", _("Province Party Committee")
    DISTRICT_PARTY = "district_party", _("District / city Party Committee")
    COMMUNE_PARTY = "commune_party", _("Commune / ward Party Committee")
    STATE_AGENCY = "state_agency", _("State agency")
    PARTY_AGENCY = "party_agency", _("Party advisory agency")
    MASS_ORGANISATION = "mass_org", _("Fatherland Front / mass organisation")


class PositionLevel(models.IntegerChoices):
    """Ordered so that 'equivalent or higher' is a comparison (gates G1, I-10, I-12)."""

    COMMUNE_DEPUTY = 10, _("Commune deputy head")
    COMMUNE_HEAD = 20, _("Commune head")
    DISTRICT_OFFICE_DEPUTY = 30, _("District office deputy head")
    DISTRICT_OFFICE_HEAD = 40, _("District office head")
    DISTRICT_DEPUTY = 50, _("District deputy leader")
    DISTRICT_HEAD = 60, _("District leader")
    PROVINCE_OFFICE_DEPUTY = 70, _("Province department deputy head")
    PROVINCE_OFFICE_HEAD = 80, _("Province department head")
    PROVINCE_DEPUTY = 90, _("Province deputy leader")
    PROVINCE_HEAD = 100, _("Province leader")


class CommitteeKind(models.TextChoices):
    EXECUTIVE = "executive", _("Executive committee")
    STANDING = "standing", _("Standing committee")
    LEADERSHIP = "leadership", _("Leadership collective")
    ORGANISATION_BOARD = "org_board", _("Organisation board")
    INSPECTION = "inspection", _("Inspection committee")


class MembershipRole(models.TextChoices):
    CHAIR = "chair", _("Chair / secretary")
    DEPUTY = "deputy", _("Deputy")
    MEMBER = "member", _("Member")


class DisciplineKind(models.IntegerChoices):
    REPRIMAND = 10, _("Reprimand")
    WARNING = 20, _("Warning")
    REMOVAL = 30, _("Removal from post")


class InvestigationKind(models.TextChoices):
    INVESTIGATION = "investigation", _("Criminal investigation")
    DISCIPLINARY_REVIEW = "disciplinary_review", _("Disciplinary review")
    INSPECTION = "inspection", _("Inspection for signs of violation")


class PoliticalStandardOutcome(models.TextChoices):
    MEETS = "meets", _("Meets political standards")
    DOES_NOT_MEET = "does_not_meet", _("Does not meet political standards")


class EvaluationPeriod(models.TextChoices):
    YEAR = "year", _("Year")
    QUARTER = "quarter", _("Quarter")
    TERM = "term", _("Term")
    #: QĐ 366-QĐ/TW (2025): besides the term, the year and the quarter, an evaluation "when
    #: necessary"; each one names its occasion, and a cadre may have several in a year
    AD_HOC = "ad_hoc", _("When necessary (ad hoc)")


class EvaluationLevel(models.IntegerChoices):
    EXCELLENT = 40, _("Excellently completed tasks")
    GOOD = 30, _("Well completed tasks")
    COMPLETED = 20, _("Completed tasks")
    NOT_COMPLETED = 10, _("Did not complete tasks")


class PlanningStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REMOVED = "removed", _("Removed")
    FULFILLED = "fulfilled", _("Fulfilled: appointed to the post")


class TrainingKind(models.TextChoices):
    POLITICAL_THEORY = "political_theory", _("Political theory")
    STATE_MANAGEMENT = "state_management", _("State management")
    DEGREE = "degree", _("Degree programme")
    FOSTERING = "fostering", _("Fostering course")


# --------------------------------------------------------------------------- accounts


class User(AbstractUser):
    """An account. Vietnamese names read family name first: ``last_name`` holds the family and
    middle names ("Nguyễn Thị"), ``first_name`` the given name ("Hà")."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    # Notifications and e-mails are written in this language, whatever the browser asks for.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="vi"
    )

    def get_full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


# --------------------------------------------------------------------------- organisation


class OrgUnit(MP_Node):
    """A Party committee, agency or locality; the tree decides whose scope covers whom."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    management_level = models.CharField(
        _("management level"), max_length=20, choices=ManagementLevel.choices
    )

    # No node_order_by: sorted insertion would rewrite siblings' paths, and paths are what
    # scope queries match on. New units are appended; lists sort by name when shown.

    class Meta:
        verbose_name = _("organisational unit")
        verbose_name_plural = _("organisational units")
        permissions = [("access_unit", _("Can see the personnel of this unit and below"))]

    def __str__(self) -> str:
        return self.name


class Committee(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CommitteeKind.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="committees"
    )
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee")
        verbose_name_plural = _("committees")
        ordering = ["unit__path", "kind", "name"]
        permissions = [("chair_committee", _("Can chair this committee"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gt=F("term_start")),
                name="committee_term_in_order",
                violation_error_message=_("The term must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Position(models.Model):
    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="positions"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=PositionLevel.choices)
    seats = models.PositiveSmallIntegerField(_("number of seats"), default=1)
    managing_committee = models.ForeignKey(
        Committee,
        verbose_name=_("managing body"),
        on_delete=models.PROTECT,
        related_name="managed_positions",
        null=True,
        blank=True,
    )
    term_years = models.PositiveSmallIntegerField(_("term length (years)"), default=5)
    min_political_theory = models.PositiveSmallIntegerField(
        _("minimum political theory"),
        choices=PoliticalTheoryLevel.choices,
        default=PoliticalTheoryLevel.NONE,
    )
    min_education = models.PositiveSmallIntegerField(
        _("minimum education"), choices=EducationLevel.choices, default=EducationLevel.BACHELOR
    )
    min_state_management = models.PositiveSmallIntegerField(
        _("minimum state-management training"),
        choices=StateManagementLevel.choices,
        default=StateManagementLevel.NONE,
    )

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["unit__path", "-level", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats__gte=1),
                name="position_has_a_seat",
                violation_error_message=_("A position has at least one seat."),
            ),
            models.CheckConstraint(
                condition=Q(term_years__gte=1) & Q(term_years__lte=10),
                name="position_term_years_range",
                violation_error_message=_("A term lasts between 1 and 10 years."),
            ),
            models.UniqueConstraint(
                fields=["unit", "title"],
                name="position_title_unique_in_unit",
                violation_error_message=_("This unit already has a position with this title."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.unit}"


class Cadre(models.Model):
    full_name = models.CharField(_("full name"), max_length=200)
    date_of_birth = models.DateField(_("date of birth"))
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=50, default="Kinh")
    home_town = models.CharField(_("home town"), max_length=200, blank=True)
    party_admission_date = models.DateField(_("Party admission date"), null=True, blank=True)
    education_level = models.PositiveSmallIntegerField(
        _("education level"), choices=EducationLevel.choices
    )
    political_theory_level = models.PositiveSmallIntegerField(
        _("political theory level"),
        choices=PoliticalTheoryLevel.choices,
        default=PoliticalTheoryLevel.NONE,
    )
    state_management_level = models.PositiveSmallIntegerField(
        _("state management level"),
        choices=StateManagementLevel.choices,
        default=StateManagementLevel.NONE,
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("working unit"), on_delete=models.PROTECT, related_name="cadres"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cadre",
    )

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["full_name", "id"]
        indexes = [
            models.Index(fields=["unit", "full_name"], name="cadre_unit_name"),
            models.Index(fields=["date_of_birth"], name="cadre_dob"),
            # The directory's name search (``selectors.cadre_directory``): a trigram index on
            # the name without diacritics, upper-cased, for ``LIKE '%NGUYEN VAN%'``.
            GinIndex(
                OpClass(plain_upper("full_name"), name="gin_trgm_ops"),
                name="cadre_plain_name_trgm",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_birth__gte=dt.date(1900, 1, 1)),
                name="cadre_born_after_1900",
                violation_error_message=_("The date of birth is not plausible."),
            ),
            models.CheckConstraint(
                condition=Q(party_admission_date__isnull=True)
                | Q(party_admission_date__gt=F("date_of_birth")),
                name="cadre_party_admission_after_birth",
                violation_error_message=_("Party admission must come after the date of birth."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def retirement_date(self) -> dt.date:
        return retirement.retirement_date(self.date_of_birth, self.gender)

    def age_on(self, day: dt.date | None = None) -> int:
        day = day or timezone.localdate()
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on()


class PositionHolding(models.Model):
    """A cadre holding a position: from ``started_on`` until ``ended_on`` (inclusive)."""

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="holdings"
    )
    position = models.ForeignKey(
        Position, verbose_name=_("position"), on_delete=models.PROTECT, related_name="holdings"
    )
    started_on = models.DateField(_("started on"))
    term_ends_on = models.DateField(_("term ends on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    decision_ref = models.CharField(_("decision reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("position held")
        verbose_name_plural = _("positions held")
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="holding_dates_in_order",
                violation_error_message=_("A holding cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(term_ends_on__isnull=True) | Q(term_ends_on__gt=F("started_on")),
                name="holding_term_after_start",
                violation_error_message=_("The term must end after the holding starts."),
            ),
            ExclusionConstraint(
                name="holding_no_overlap_same_cadre_position",
                expressions=[
                    ("cadre", RangeOperators.EQUAL),
                    ("position", RangeOperators.EQUAL),
                    (DateRangeInclusive("started_on", "ended_on"), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("This cadre already holds this position in that period."),
            ),
        ]
        triggers = [
            # The seat count spans rows, so a CHECK cannot express it. The trigger locks the
            # position row (serialising concurrent writers) and counts, at every start date inside
            # the new period, the holdings that are running then.
            pgtrigger.Trigger(
                name="holding_seats_not_exceeded",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func="""
                DECLARE
                    seat_count integer;
                    busiest integer;
                    new_range daterange := daterange(NEW.started_on, NEW.ended_on, '[]');
                BEGIN
                    SELECT seats INTO seat_count FROM personnel_position
                        WHERE id = NEW.position_id FOR UPDATE;
                    SELECT max(running) INTO busiest FROM (
                        SELECT (
                            SELECT count(*) FROM personnel_positionholding h
                            WHERE h.position_id = NEW.position_id
                              AND h.id IS DISTINCT FROM NEW.id
                              AND daterange(h.started_on, h.ended_on, '[]') @> point.day
                        ) AS running
                        FROM (
                            SELECT NEW.started_on AS day
                            UNION
                            SELECT h.started_on FROM personnel_positionholding h
                            WHERE h.position_id = NEW.position_id
                              AND h.id IS DISTINCT FROM NEW.id
                              AND daterange(h.started_on, h.ended_on, '[]') && new_range
                              AND h.started_on >= NEW.started_on
                        ) AS point
                    ) AS counts;
                    IF coalesce(busiest, 0) + 1 > seat_count THEN
                        RAISE EXCEPTION 'position % has no free seat', NEW.position_id
                            USING ERRCODE = '23P01', CONSTRAINT = 'holding_seats_not_exceeded';
                    END IF;
                    RETURN NEW;
                END;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.position.title}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)

    def clean(self) -> None:
        """Seat count, checked here for a clear form error; the trigger is the race-proof guard."""
        super().clean()
        _dates_in_order(self, "started_on", "ended_on", _("A holding cannot end before it starts."))
        if self.position_id is None or self.started_on is None:
            return
        others = [
            (h.started_on, h.ended_on)
            for h in PositionHolding.objects.filter(position_id=self.position_id)
            .exclude(pk=self.pk)
            .only("started_on", "ended_on")
        ]

        def overlaps(start, end):
            return (end is None or end >= self.started_on) and (
                self.ended_on is None or start <= self.ended_on
            )

        points = [self.started_on] + [
            s for s, e in others if overlaps(s, e) and s >= self.started_on
        ]
        busiest = max(sum(1 for s, e in others if s <= p and (e is None or e >= p)) for p in points)
        if busiest + 1 > self.position.seats:
            raise ValidationError(SEATS_TAKEN)


class CommitteeMembership(models.Model):
    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee membership")
        verbose_name_plural = _("committee memberships")
        ordering = ["committee", "role", "user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="membership_dates_in_order",
                violation_error_message=_("A membership cannot end before it starts."),
            ),
            ExclusionConstraint(
                name="membership_one_per_person_at_a_time",
                expressions=[
                    ("committee", RangeOperators.EQUAL),
                    ("user", RangeOperators.EQUAL),
                    (DateRangeInclusive("started_on", "ended_on"), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_(
                    "This person is already a member of this committee in that period."
                ),
            ),
            ExclusionConstraint(
                name="membership_one_chair_at_a_time",
                expressions=[
                    ("committee", RangeOperators.EQUAL),
                    (DateRangeInclusive("started_on", "ended_on"), RangeOperators.OVERLAPS),
                ],
                condition=Q(role="chair"),
                violation_error_message=_("This committee already has a chair in that period."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.committee} ({self.get_role_display()})"

    def clean(self) -> None:
        super().clean()
        _dates_in_order(
            self, "started_on", "ended_on", _("A membership cannot end before it starts.")
        )

    def is_active_on(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)


# --------------------------------------------------------------------------- records gates read


class DisciplineRecord(models.Model):
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="discipline_records"
    )
    kind = models.PositiveSmallIntegerField(_("kind"), choices=DisciplineKind.choices)
    effective_on = models.DateField(_("effective on"))
    decision_ref = models.CharField(_("decision reference"), max_length=100, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("discipline record")
        verbose_name_plural = _("discipline records")
        ordering = ["-effective_on"]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.get_kind_display()} ({self.effective_on:%d/%m/%Y})"


class InvestigationCase(models.Model):
    """An investigation or disciplinary review; open while ``closed_on`` is empty (gate G7)."""

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="investigations"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=InvestigationKind.choices)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("investigation or review")
        verbose_name_plural = _("investigations and reviews")
        ordering = ["-opened_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="investigation_dates_in_order",
                violation_error_message=_("A case cannot close before it opens."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.get_kind_display()} ({self.opened_on:%d/%m/%Y})"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class PoliticalStandardConclusion(models.Model):
    cadre = models.ForeignKey(
        Cadre,
        verbose_name=_("cadre"),
        on_delete=models.PROTECT,
        related_name="political_conclusions",
    )
    concluded_on = models.DateField(_("concluded on"))
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=PoliticalStandardOutcome.choices
    )
    issued_by = models.CharField(_("issued by"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("political-standard conclusion")
        verbose_name_plural = _("political-standard conclusions")
        ordering = ["-concluded_on"]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.get_outcome_display()} ({self.concluded_on:%d/%m/%Y})"


class EvaluationResult(models.Model):
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="evaluations"
    )
    period = models.CharField(
        _("period"), max_length=10, choices=EvaluationPeriod.choices, default=EvaluationPeriod.YEAR
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"), null=True, blank=True)
    occasion = models.CharField(
        _("occasion"),
        max_length=200,
        blank=True,
        help_text=_("Why an ad hoc evaluation was held; given for ad hoc evaluations only."),
    )
    level = models.PositiveSmallIntegerField(_("rating"), choices=EvaluationLevel.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="evaluation_score_0_100",
                violation_error_message=_("The score is between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=(Q(period="quarter") & Q(quarter__gte=1) & Q(quarter__lte=4))
                | (~Q(period="quarter") & Q(quarter__isnull=True)),
                name="evaluation_quarter_only_for_quarters",
                violation_error_message=_("A quarter (1–4) is given for quarterly periods only."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1975) & Q(year__lte=2100),
                name="evaluation_year_plausible",
                violation_error_message=_("The year is not plausible."),
            ),
            models.CheckConstraint(
                condition=(Q(period="ad_hoc") & ~Q(occasion=""))
                | (~Q(period="ad_hoc") & Q(occasion="")),
                name="evaluation_occasion_only_for_ad_hoc",
                violation_error_message=_(
                    "An ad hoc evaluation names its occasion; other periods have none."
                ),
            ),
            models.UniqueConstraint(
                fields=["cadre", "period", "year", "quarter"],
                nulls_distinct=False,
                condition=~Q(period="ad_hoc"),
                name="evaluation_one_per_period",
                violation_error_message=_("This cadre already has a result for that period."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.year}: {self.get_level_display()}"


class PlanningEntry(models.Model):
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="planning_entries"
    )
    position = models.ForeignKey(
        Position,
        verbose_name=_("position"),
        on_delete=models.PROTECT,
        related_name="planning_entries",
    )
    term_start_year = models.PositiveSmallIntegerField(_("term from"))
    term_end_year = models.PositiveSmallIntegerField(_("term to"))
    status = models.CharField(
        _("status"), max_length=10, choices=PlanningStatus.choices, default=PlanningStatus.PROPOSED
    )
    removal_reason = models.TextField(_("removal reason"), blank=True)

    class Meta:
        verbose_name = _("planning entry")
        verbose_name_plural = _("planning entries")
        ordering = ["-term_start_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end_year__gt=F("term_start_year")),
                name="planning_term_in_order",
                violation_error_message=_("The planning term must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["cadre", "position", "term_start_year"],
                name="planning_once_per_term",
                violation_error_message=_("This cadre is already planned for this post and term."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.position.title} ({self.term_start_year}–{self.term_end_year})"


class TrainingRecord(models.Model):
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="trainings"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TrainingKind.choices)
    title = models.CharField(_("programme"), max_length=200)
    institution = models.CharField(_("institution"), max_length=200, blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="training_dates_in_order",
                violation_error_message=_("Training cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} — {self.title}"


# --------------------------------------------------------------------------- guardian grants
# Direct foreign keys: grants disappear with their object, so a new row reusing a primary key
# never inherits them (guardian caveat, reliability guide §3 pitfall 2).


class OrgUnitUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)


class CommitteeUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Committee, on_delete=models.CASCADE)
