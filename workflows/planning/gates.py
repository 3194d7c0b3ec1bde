"""What the planning review checks for a cadre and a post (domain §4.2, §2.4 G11, I-19).

Gates (shown per proposed cadre, kept as a snapshot):

- ``planning_age`` (Q4, blocking): a full term of service must be left, counted from the later
  of the day of the check and the first day of the planned term — the appointment gate G4
  (``FULL_TERM_YEARS``, retirement from ``personnel.retirement``), since a cadre planned for
  a higher post is appointed to it under that gate. "Over the planning age" (I-19) is this
  gate failing. No separate age ceiling is read: the verified rule (Q4) is about the service
  left, which also follows the retirement ages that differ by gender.
- ``discipline``, ``investigation``, ``political_standard`` (blocking): the appointment gates
  G6, G7, G8 as they are (cooling-off by kind, no open case, a conclusion that the cadre meets
  the standards not older than the rule-set allows).
- ``standards`` (advisory, shown but not blocking): education, political theory and state
  management against the post's minimums. A planned cadre is trained to the post's standards
  ("đào tạo theo quy hoạch", §5); the appointment checks them.

Automatic removal grounds (I-19) for an approved entry, ``removal_grounds``:

- age: the ``planning_age`` gate fails on the day of the scan;
- discipline: a discipline record of reprimand or above (every ``DisciplineKind``; reprimand
  is the lightest form there is) effective on or after the day the cadre entered the plan
  (a discipline served before it was weighed when they were planned);
- political standard: the latest conclusion on file says the standards are not met.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from personnel.models import (
    Cadre,
    DisciplineKind,
    EducationLevel,
    PlanningEntry,
    PoliticalStandardOutcome,
    PoliticalTheoryLevel,
    Position,
    StateManagementLevel,
)
from workflows.appointment import gates as appointment_gates
from workflows.core import rules
from workflows.core.models import ParameterKey, RuleSet

from .models import RemovalReason

PLANNING_AGE = "planning_age"
STANDARDS = "standards"

LABELS = {
    PLANNING_AGE: gettext_lazy("Planning age: a full term of service left"),
    STANDARDS: gettext_lazy("Standards of the post"),
    appointment_gates.Gate.DISCIPLINE.value: gettext_lazy("Discipline"),
    appointment_gates.Gate.INVESTIGATION.value: gettext_lazy(
        "Investigation or disciplinary review"
    ),
    appointment_gates.Gate.POLITICAL_STANDARD.value: gettext_lazy("Political standard"),
}
ADVISORY = frozenset({STANDARDS})


@dataclass(frozen=True)
class PlanningGate:
    code: str
    passed: bool
    message: str
    source: str

    @property
    def blocking(self) -> bool:
        return not self.passed and self.code not in ADVISORY

    @property
    def label(self) -> str:
        return str(LABELS[self.code])

    def snapshot(self) -> dict:
        return {
            "code": self.code,
            "passed": self.passed,
            "blocking": self.blocking,
            "message": self.message,
            "source": self.source,
        }


def reference_day(term_start_year: int, on_date: dt.date) -> dt.date:
    """From when the service left is counted: the check's day, or the term's first day when
    the term has not started."""
    return max(on_date, dt.date(term_start_year, 1, 1))


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def planning_age_gate(
    cadre: Cadre, ruleset: RuleSet, *, term_start_year: int, on_date: dt.date
) -> PlanningGate:
    start = reference_day(term_start_year, on_date)
    result = appointment_gates._full_term_gate(cadre, ruleset, start)
    if result.passed:
        return PlanningGate(PLANNING_AGE, True, result.message, result.source)
    years = rules.get(ruleset, ParameterKey.FULL_TERM_YEARS)
    retirement = cadre.retirement_date
    left = appointment_gates.format_duration(
        appointment_gates.elapsed(start, retirement) if retirement >= start else relativedelta()
    )
    message = ngettext(
        "Over the planning age: %(years)d year of service left required from %(start)s "
        "(%(source)s); %(left)s to retirement on %(retirement)s.",
        "Over the planning age: %(years)d years of service left required from %(start)s "
        "(%(source)s); %(left)s to retirement on %(retirement)s.",
        years,
    ) % {
        "years": years,
        "start": _day(start),
        "source": result.source,
        "left": left,
        "retirement": _day(retirement),
    }
    return PlanningGate(PLANNING_AGE, False, message, result.source)


def standards_gate(cadre: Cadre, position: Position, ruleset: RuleSet) -> PlanningGate:
    short = []
    pairs = (
        (cadre.education_level, position.min_education, EducationLevel),
        (cadre.political_theory_level, position.min_political_theory, PoliticalTheoryLevel),
        (cadre.state_management_level, position.min_state_management, StateManagementLevel),
    )
    for have, need, choices in pairs:
        if have < need:
            short.append(
                _("%(need)s required, has %(have)s")
                % {"need": choices(need).label, "have": choices(have).label}
            )
    if not short:
        return PlanningGate(
            STANDARDS, True, _("Meets the post's training standards."), ruleset.citation
        )
    message = _("Below the post's standards (to be trained to them): %(short)s.") % {
        "short": "; ".join(short)
    }
    return PlanningGate(STANDARDS, False, message, ruleset.citation)


def _wrap(result) -> PlanningGate:
    return PlanningGate(result.code, result.passed, result.message, result.source)


def evaluate(
    *,
    cadre: Cadre,
    position: Position,
    ruleset: RuleSet,
    term_start_year: int,
    on_date: dt.date,
) -> list[PlanningGate]:
    """The gates for planning ``cadre`` for ``position`` in the term starting
    ``term_start_year``, on ``on_date``."""
    return [
        planning_age_gate(cadre, ruleset, term_start_year=term_start_year, on_date=on_date),
        standards_gate(cadre, position, ruleset),
        _wrap(appointment_gates._political_standard_gate(cadre, ruleset, on_date)),
        _wrap(appointment_gates._discipline_gate(cadre, ruleset, on_date)),
        _wrap(appointment_gates._investigation_gate(cadre, ruleset, on_date)),
    ]


# --------------------------------------------------------------------------- removal grounds


@dataclass(frozen=True)
class Ground:
    kind: str  # RemovalReason
    message: str


def removal_grounds(
    entry: PlanningEntry, ruleset: RuleSet, *, on_date: dt.date, in_plan_since: dt.date
) -> list[Ground]:
    """The automatic removal grounds (I-19) that hold for ``entry`` on ``on_date``."""
    cadre = entry.cadre
    grounds = []
    age = planning_age_gate(cadre, ruleset, term_start_year=entry.term_start_year, on_date=on_date)
    if not age.passed:
        grounds.append(Ground(RemovalReason.AGE, age.message))
    disciplined = [
        record
        for record in cadre.discipline_records.all()
        if record.kind >= DisciplineKind.REPRIMAND
        and in_plan_since <= record.effective_on <= on_date
    ]
    if disciplined:
        record = max(disciplined, key=lambda r: (r.effective_on, r.pk))
        grounds.append(
            Ground(
                RemovalReason.DISCIPLINE,
                _("Disciplined (%(kind)s, effective %(date)s) while in the plan (%(source)s).")
                % {
                    "kind": record.get_kind_display(),
                    "date": _day(record.effective_on),
                    "source": "QĐ 50-QĐ/TW [38]",
                },
            )
        )
    conclusions = [c for c in cadre.political_conclusions.all() if c.concluded_on <= on_date]
    latest = max(conclusions, key=lambda c: (c.concluded_on, c.pk), default=None)
    if latest is not None and latest.outcome == PoliticalStandardOutcome.DOES_NOT_MEET:
        grounds.append(
            Ground(
                RemovalReason.POLITICAL_STANDARD,
                _("Concluded on %(date)s not to meet the political standard (%(source)s).")
                % {"date": _day(latest.concluded_on), "source": "QĐ 50-QĐ/TW [38]"},
            )
        )
    return grounds
