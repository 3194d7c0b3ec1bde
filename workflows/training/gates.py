"""What a training dispatch checks for a cadre and a course (domain §5; I-8).

``evaluate`` reads the cadre's records and the plan's rule-set and says, gate by gate, whether
the cadre may be sent on the course on a given day (the day of the check, and at the dispatch
decision the decision's date: "age at dispatch"). It writes nothing. Each result carries the
source it applied (a parameter's ``citation``, else the domain note's keys) and whether that
source is unverified.

Every course:

- ``planning`` — "đúng quy hoạch, đúng đối tượng" ([S1][S2][S3], ⚠️ local practice): the cadre
  is in the planning pool, i.e. has an *approved* ``PlanningEntry`` of a term not yet over
  (a plan for the next term counts: training prepares for it). A cadre outside the pool may be
  proposed only with a written reason, recorded on the proposal and shown to the committee
  that approves the list: the gate then reads "waived" and does not block.
- ``level`` — the course must raise the cadre above the level they hold (no re-training at a
  level held): political theory against ``political_theory_level``, state management against
  ``state_management_level``, a degree against ``education_level``. Fostering courses keep no
  level and always pass. (Design rule of issue #8, ❓ no text read.)
- ``discipline`` — not within a discipline's period: the rule-set's
  ``DISCIPLINE_COOLING_OFF`` months by kind, counted from the decision's effective date, as the
  appointment gate counts it (NĐ 101/2017 [82] bars cadres "in a disciplinary period" from state
  funded fostering abroad; the length of that period for training is a design default,
  unverified).
- ``investigation`` — no open investigation or disciplinary review (I-8; NĐ 101/2017 [82]).

Post-graduate study (a degree course of master's level or above), the rule-set's
``TRAINING_POSTGRADUATE`` (NĐ 171/2025 [81]; NĐ 101/2017 [82] before it):

- ``service`` — at least ``min_service_years`` of service. The registry has no recruitment
  date: service is counted from the first post the cadre held on record.
- ``good_years`` — each of the ``good_years`` calendar years before the check's year rated
  "well completed" (``EvaluationLevel.GOOD``) or better in a yearly evaluation.
- ``age`` — at most ``max_age`` at the dispatch (the cadre's age on the day, in whole years: 45
  years and 364 days is 45). The rule is for the *first* post-graduate dispatch: a cadre who
  already holds a post-graduate degree is not held to it.
- ``commitment`` — a written commitment to serve at least ``commitment_multiple`` × the course's
  months. It is signed once the list is approved: it does not stop the list (``LIST``), only
  the dispatch decision (``DISPATCH``).

Boundaries include the day: N years have passed on the same day-of-month N years later
(``relativedelta``), as the appointment gates count them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from personnel.models import (
    Cadre,
    DisciplineKind,
    EducationLevel,
    EvaluationLevel,
    EvaluationPeriod,
    PlanningStatus,
)
from workflows.appointment.gates import DISCIPLINE_KEYS, elapsed, format_duration
from workflows.core import rules
from workflows.core.models import ParameterKey, RuleSet

from .models import Course


class Gate(StrEnum):
    PLANNING = "planning"
    LEVEL = "level"
    DISCIPLINE = "discipline"
    INVESTIGATION = "investigation"
    SERVICE = "service"
    GOOD_YEARS = "good_years"
    AGE = "age"
    COMMITMENT = "commitment"


class Stage(StrEnum):
    """When the gates are read: submitting or approving the list, or deciding the dispatch."""

    LIST = "list"
    DISPATCH = "dispatch"


LABELS = {
    Gate.PLANNING: gettext_lazy("In the planning pool"),
    Gate.LEVEL: gettext_lazy("Raises the level held"),
    Gate.DISCIPLINE: gettext_lazy("Discipline period"),
    Gate.INVESTIGATION: gettext_lazy("Investigation or disciplinary review"),
    Gate.SERVICE: gettext_lazy("Years of service"),
    Gate.GOOD_YEARS: gettext_lazy("Well-completed years"),
    Gate.AGE: gettext_lazy("Age at dispatch"),
    Gate.COMMITMENT: gettext_lazy("Written commitment to serve"),
}

#: gates that block only the dispatch decision, not the list
AT_DISPATCH = frozenset({Gate.COMMITMENT})

PLANNING_SOURCE = "§5 [S1][S2][S3]"
LEVEL_SOURCE = "§5 [81] (issue #8)"

GATE_PREFETCH = (
    "planning_entries__position",
    "holdings",
    "discipline_records",
    "investigations",
    "evaluations",
)


@dataclass(frozen=True)
class GateResult:
    code: str
    passed: bool
    message: str
    source: str
    unverified: bool = False
    #: a failed planning gate with the board's written reason: shown, not blocking
    waived: bool = False

    @property
    def label(self) -> str:
        return str(LABELS[Gate(self.code)])

    def blocks(self, stage: Stage = Stage.LIST) -> bool:
        if self.passed or self.waived:
            return False
        return not (stage == Stage.LIST and self.code in AT_DISPATCH)

    def snapshot(self, stage: Stage = Stage.LIST) -> dict:
        return {
            "code": self.code,
            "passed": self.passed,
            "blocking": self.blocks(stage),
            "waived": self.waived,
            "message": self.message,
            "source": self.source,
            "unverified": self.unverified,
        }


@dataclass(frozen=True)
class CommitmentTerms:
    """What a written commitment says, for the gate (``models.Commitment`` or a draft)."""

    months: int
    signed_on: dt.date


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _related(cadre: Cadre, name: str) -> list:
    manager = getattr(cadre, name)
    return list(manager.all())


# --------------------------------------------------------------------------- entry points


def evaluate(
    *,
    cadre: Cadre,
    course: Course,
    ruleset: RuleSet,
    on_date: dt.date,
    off_plan_reason: str = "",
    commitment: CommitmentTerms | None = None,
) -> list[GateResult]:
    """The gates for sending ``cadre`` on ``course`` on ``on_date`` under ``ruleset``."""
    results = [
        planning_gate(cadre, on_date, off_plan_reason=off_plan_reason),
        level_gate(cadre, course),
        discipline_gate(cadre, ruleset, on_date),
        investigation_gate(cadre, ruleset, on_date),
    ]
    if course.is_postgraduate:
        results += [
            service_gate(cadre, ruleset, on_date),
            good_years_gate(cadre, ruleset, on_date),
            age_gate(cadre, ruleset, on_date),
            commitment_gate(course, ruleset, commitment),
        ]
    return results


def blocking(results: Iterable[GateResult], stage: Stage = Stage.LIST) -> list[GateResult]:
    return [r for r in results if r.blocks(stage)]


def planning_entry(cadre: Cadre, on_date: dt.date):
    """The approved entry that puts the cadre in the planning pool on ``on_date`` (the one
    whose term ends last), or None."""
    entries = [
        e
        for e in _related(cadre, "planning_entries")
        if e.status == PlanningStatus.APPROVED and e.term_end_year >= on_date.year
    ]
    return max(entries, key=lambda e: (e.term_end_year, e.term_start_year, e.pk), default=None)


def minimum_commitment(course: Course, ruleset: RuleSet) -> tuple[int, int]:
    """(months to serve at least, the multiple) for ``course`` under ``ruleset``."""
    multiple = rules.get(ruleset, ParameterKey.TRAINING_POSTGRADUATE)["commitment_multiple"]
    return course.months * multiple, multiple


# --------------------------------------------------------------------------- every course


def planning_gate(cadre: Cadre, on_date: dt.date, *, off_plan_reason: str = "") -> GateResult:
    entry = planning_entry(cadre, on_date)
    if entry is not None:
        message = _("In the approved %(start)d–%(end)d plan for %(post)s.") % {
            "start": entry.term_start_year,
            "end": entry.term_end_year,
            "post": entry.position.title,
        }
        return GateResult(Gate.PLANNING, True, message, PLANNING_SOURCE, unverified=True)
    reason = off_plan_reason.strip()
    if reason:
        message = _("Not in an approved plan; proposed as an exception: %(reason)s") % {
            "reason": reason
        }
        return GateResult(
            Gate.PLANNING, False, message, PLANNING_SOURCE, unverified=True, waived=True
        )
    message = _(
        "Training follows the plan (%(source)s): not in an approved plan of a term not yet "
        "over. Give the reason to propose the cadre as an exception."
    ) % {"source": PLANNING_SOURCE}
    return GateResult(Gate.PLANNING, False, message, PLANNING_SOURCE, unverified=True)


def level_gate(cadre: Cadre, course: Course) -> GateResult:
    if course.cadre_field is None:
        message = _("A fostering course: no level is reached or required.")
        return GateResult(Gate.LEVEL, True, message, LEVEL_SOURCE, unverified=True)
    held = getattr(cadre, course.cadre_field)
    values = {"held": course.levels(held).label, "level": course.level_label}
    if held < course.level:
        message = _("Holds %(held)s; the course leads to %(level)s.") % values
        return GateResult(Gate.LEVEL, True, message, LEVEL_SOURCE, unverified=True)
    message = _(
        "The course must raise the level held (%(source)s): holds %(held)s, the course leads "
        "to %(level)s."
    ) % {**values, "source": LEVEL_SOURCE}
    return GateResult(Gate.LEVEL, False, message, LEVEL_SOURCE, unverified=True)


def discipline_gate(cadre: Cadre, ruleset: RuleSet, on_date: dt.date) -> GateResult:
    parameter = rules.parameter(ruleset, ParameterKey.DISCIPLINE_COOLING_OFF)
    binding = None  # (record, months, ends on)
    for record in _related(cadre, "discipline_records"):
        if record.effective_on > on_date:
            continue
        months = parameter.value[DISCIPLINE_KEYS[DisciplineKind(record.kind)]]
        ends = record.effective_on + relativedelta(months=months)
        if ends > on_date and (binding is None or ends > binding[2]):
            binding = (record, months, ends)
    if binding is None:
        message = _("Not within a discipline period.")
        return GateResult(Gate.DISCIPLINE, True, message, parameter.citation, unverified=True)
    record, months, ends = binding
    message = ngettext(
        "Not sent to study within a discipline period (%(source)s: %(months)d month for a "
        "%(kind)s): %(kind)s effective %(effective)s, eligible from %(ends)s.",
        "Not sent to study within a discipline period (%(source)s: %(months)d months for a "
        "%(kind)s): %(kind)s effective %(effective)s, eligible from %(ends)s.",
        months,
    ) % {
        "source": parameter.citation,
        "months": months,
        "kind": record.get_kind_display().lower(),
        "effective": _day(record.effective_on),
        "ends": _day(ends),
    }
    return GateResult(Gate.DISCIPLINE, False, message, parameter.citation, unverified=True)


def investigation_gate(cadre: Cadre, ruleset: RuleSet, on_date: dt.date) -> GateResult:
    source = "I-8 [15][33]; [82]"
    still_open = [
        case
        for case in _related(cadre, "investigations")
        if case.opened_on <= on_date and (case.closed_on is None or case.closed_on > on_date)
    ]
    if not still_open:
        message = _("No open investigation or disciplinary review.")
        return GateResult(Gate.INVESTIGATION, True, message, source)
    case = min(still_open, key=lambda c: c.opened_on)
    message = _(
        "Not sent to study while under investigation or disciplinary review (%(source)s): "
        "%(kind)s open since %(opened)s."
    ) % {"source": source, "kind": case.get_kind_display(), "opened": _day(case.opened_on)}
    return GateResult(Gate.INVESTIGATION, False, message, source)


# --------------------------------------------------------------------------- post-graduate


def _postgraduate(ruleset: RuleSet):
    parameter = rules.parameter(ruleset, ParameterKey.TRAINING_POSTGRADUATE)
    return parameter.value, parameter.citation, parameter.unverified


def service_start(cadre: Cadre) -> dt.date | None:
    """The first day of service on record: the start of the first post held."""
    return min((h.started_on for h in _related(cadre, "holdings")), default=None)


def service_gate(cadre: Cadre, ruleset: RuleSet, on_date: dt.date) -> GateResult:
    value, source, unverified = _postgraduate(ruleset)
    years = value["min_service_years"]
    since = service_start(cadre)
    if since is None or since > on_date:
        message = ngettext(
            "%(years)d year of service required (%(source)s): no post held on record.",
            "%(years)d years of service required (%(source)s): no post held on record.",
            years,
        ) % {"years": years, "source": source}
        return GateResult(Gate.SERVICE, False, message, source, unverified)
    values = {
        "years": years,
        "source": source,
        "served": format_duration(elapsed(since, on_date)),
        "since": _day(since),
    }
    if since + relativedelta(years=years) <= on_date:
        message = (
            ngettext(
                "%(served)s of service since %(since)s; %(years)d year required.",
                "%(served)s of service since %(since)s; %(years)d years required.",
                years,
            )
            % values
        )
        return GateResult(Gate.SERVICE, True, message, source, unverified)
    message = (
        ngettext(
            "%(years)d year of service required (%(source)s): %(served)s since %(since)s.",
            "%(years)d years of service required (%(source)s): %(served)s since %(since)s.",
            years,
        )
        % values
    )
    return GateResult(Gate.SERVICE, False, message, source, unverified)


def good_years_gate(cadre: Cadre, ruleset: RuleSet, on_date: dt.date) -> GateResult:
    value, source, unverified = _postgraduate(ruleset)
    count = value["good_years"]
    years = [on_date.year - i for i in range(1, count + 1)]
    rated = {
        r.year: r
        for r in _related(cadre, "evaluations")
        if r.period == EvaluationPeriod.YEAR and r.year in years
    }
    short = [y for y in years if y not in rated or rated[y].level < EvaluationLevel.GOOD]
    span = f"{years[-1]}–{years[0]}" if count > 1 else str(years[0])
    if not short:
        message = _("Rated “well completed” or better in %(span)s.") % {"span": span}
        return GateResult(Gate.GOOD_YEARS, True, message, source, unverified)
    detail = "; ".join(
        f"{y}: {rated[y].get_level_display() if y in rated else _('no yearly rating')}"
        for y in sorted(short)
    )
    message = ngettext(
        "The %(count)d year before the dispatch must be rated “well completed” or better "
        "(%(source)s): %(detail)s.",
        "The %(count)d consecutive years before the dispatch must be rated “well completed” or "
        "better (%(source)s): %(detail)s.",
        count,
    ) % {"count": count, "source": source, "detail": detail}
    return GateResult(Gate.GOOD_YEARS, False, message, source, unverified)


def age_gate(cadre: Cadre, ruleset: RuleSet, on_date: dt.date) -> GateResult:
    value, source, unverified = _postgraduate(ruleset)
    limit = value["max_age"]
    age = cadre.age_on(on_date)
    if cadre.education_level >= EducationLevel.MASTER:
        message = _(
            "Already holds a post-graduate degree: the age limit of a first post-graduate "
            "dispatch does not apply."
        )
        return GateResult(Gate.AGE, True, message, source, unverified)
    values = {"age": age, "limit": limit, "source": source, "day": _day(on_date)}
    if age <= limit:
        message = _("%(age)d years old on %(day)s; at most %(limit)d.") % values
        return GateResult(Gate.AGE, True, message, source, unverified)
    message = (
        _(
            "At most %(limit)d years old at a first post-graduate dispatch (%(source)s): "
            "%(age)d on %(day)s."
        )
        % values
    )
    return GateResult(Gate.AGE, False, message, source, unverified)


def commitment_gate(
    course: Course, ruleset: RuleSet, commitment: CommitmentTerms | None
) -> GateResult:
    _value, source, unverified = _postgraduate(ruleset)
    need, multiple = minimum_commitment(course, ruleset)
    values = {
        "need": need,
        "multiple": multiple,
        "months": course.months,
        "source": source,
    }
    if commitment is None:
        message = (
            ngettext(
                "A written commitment to serve at least %(need)d month (%(multiple)d × %(months)d "
                "months of study, %(source)s) is signed before the dispatch decision.",
                "A written commitment to serve at least %(need)d months (%(multiple)d × %(months)d "
                "months of study, %(source)s) is signed before the dispatch decision.",
                need,
            )
            % values
        )
        return GateResult(Gate.COMMITMENT, False, message, source, unverified)
    values |= {"signed": commitment.months, "on": _day(commitment.signed_on)}
    if commitment.months >= need:
        message = (
            _("Committed on %(on)s to serve %(signed)d months; at least %(need)d required.")
            % values
        )
        return GateResult(Gate.COMMITMENT, True, message, source, unverified)
    message = (
        _(
            "The commitment must cover at least %(need)d months (%(multiple)d × %(months)d months "
            "of study, %(source)s): %(signed)d months signed on %(on)s."
        )
        % values
    )
    return GateResult(Gate.COMMITMENT, False, message, source, unverified)
