"""Eligibility gates of the appointment procedure (domain/procedures.md §2.4, §7.3, §7.8; I-7…I-13).

``evaluate_gates`` reads the cadre's records and the procedure's rule-set and says, gate by gate,
whether the cadre may be appointed to the post on a given day. It writes nothing: the flow runs
it at the start and again before the final ballot and decides what to do with the results.

Every number comes from the rule-set (``workflows.core.rules``), never from this module, so a
procedure started under QĐ 80 keeps QĐ 80's cooling-off after QĐ 377 replaced it. A result's
``source`` is the ``citation`` ("source") of the parameter the gate applied; gates that apply no
parameter (planning, investigation, dossier) cite the rule-set's instrument.

Interpretation choices (each is tested):

- Days are compared with exact calendar arithmetic (``relativedelta``): N years / months have
  passed on the same day-of-month N years / months later (clamped to the month's last day).
  "At least 2 years", "at least a full term left", "N months after the discipline" and "not
  older than N months" all include that boundary day.
- G1 planning (I-10): an entry counts when it is *approved* (a proposed entry is not yet in the
  plan; a removed one no longer is), its term covers the year of ``on_date``
  (``term_start_year <= year <= term_end_year``: an expired plan and a next-term plan not yet
  started do not count) and its post's ``Position.level`` is the target's or higher. Levels are
  the model's ordered ``PositionLevel`` (its stated purpose): "equivalent" means the same level
  in any unit, "higher" a greater one. A lower-level entry never counts.
- G2 time in post (I-11): the "current post" is the highest-level post the cadre holds on
  ``on_date``; time counts from the start of the unbroken stretch (holdings touching or
  overlapping, day after day) of posts of that same level, so a move between equivalent posts
  keeps the time served. A cadre holding no post is on a first appointment and the rule does not
  apply (passes, saying so). Earlier, non-adjacent spells are not added up (❓ the state rule
  "cumulative for equivalent posts" may mean they should be).
- G4/G4a full term (I-12): remaining service = statutory retirement date (``Cadre.retirement_date``)
  minus the day the advisory body receives the dossier (``dossier_received_on``, else
  ``on_date``), and must be at least ``FULL_TERM_YEARS``. Only for a first appointment or one to a
  higher post (G4b); otherwise the result is left out.
- G6 discipline cooling-off (I-9): months by discipline kind from ``DISCIPLINE_COOLING_OFF``
  (``{"reprimand", "warning", "removal"}``), counted from the decision's effective date; the
  record whose bar ends last decides. Like G4 it bars appointment *to a higher post*
  (QĐ 80 Art. 18; QĐ 377), so it is left out for a move to an equivalent or lower post (e.g. the
  lower post given after a removal).
- G7 investigation (I-8): any ``InvestigationCase`` (criminal investigation, disciplinary review,
  inspection for signs of violation) not closed on or before ``on_date`` blocks.
- G8 political standard (I-7): the latest conclusion dated on or before ``on_date`` must say the
  cadre meets the standards and be at most ``POLITICAL_STANDARD_VALIDITY`` months old.
- Dossier (I-13): only when the caller says whether the dossier is complete.
- Overridable (an authorised special case by the competent body, with a written reason):
  planning, time in post and full term — the only gates the rules give a "special case"
  exception (§2.4 G1, G2, G4; I-10, I-11). Investigation (I-8, "no appointment"), discipline
  (I-9), political standard (I-7) and dossier (I-13) are hard: they pass only once the records
  change. ``blocking`` keeps a hard gate blocking even when an override names it.

Records are read through the cadre's related managers, so a caller checking many candidates can
``prefetch_related`` them (``GATE_PREFETCH``) and pay a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from personnel.models import (
    Cadre,
    DisciplineKind,
    PlanningStatus,
    PoliticalStandardOutcome,
    Position,
)
from workflows.core import rules
from workflows.core.models import ParameterKey, RuleSet


class Gate(StrEnum):
    PLANNING = "planning"  # G1, I-10
    TIME_IN_POST = "time_in_post"  # G2, I-11
    FULL_TERM = "full_term"  # G4, G4a, I-12
    DISCIPLINE = "discipline"  # G6, I-9
    INVESTIGATION = "investigation"  # G7, I-8
    POLITICAL_STANDARD = "political_standard"  # G8, I-7
    DOSSIER = "dossier"  # G3, G9, §7.8, I-13


LABELS = {
    Gate.PLANNING: gettext_lazy("Planning"),
    Gate.TIME_IN_POST: gettext_lazy("Time in the current post"),
    Gate.FULL_TERM: gettext_lazy("Service left for a full term"),
    Gate.DISCIPLINE: gettext_lazy("Discipline cooling-off"),
    Gate.INVESTIGATION: gettext_lazy("Investigation or disciplinary review"),
    Gate.POLITICAL_STANDARD: gettext_lazy("Political-standard conclusion"),
    Gate.DOSSIER: gettext_lazy("Appointment dossier"),
}

# Gates the competent body may waive as a special case (see the module docstring).
OVERRIDABLE = frozenset({Gate.PLANNING, Gate.TIME_IN_POST, Gate.FULL_TERM})

# ``DisciplineKind`` → key of the ``DISCIPLINE_COOLING_OFF`` parameter (its shape in rules.py).
DISCIPLINE_KEYS = {
    DisciplineKind.REPRIMAND: "reprimand",
    DisciplineKind.WARNING: "warning",
    DisciplineKind.REMOVAL: "removal",
}
_DISCIPLINE_NAMES = {
    DisciplineKind.REPRIMAND: gettext_lazy("reprimand"),
    DisciplineKind.WARNING: gettext_lazy("warning"),
    DisciplineKind.REMOVAL: gettext_lazy("removal from post"),
}

GATE_PREFETCH = (
    "planning_entries__position",
    "holdings__position",
    "discipline_records",
    "investigations",
    "political_conclusions",
)


@dataclass(frozen=True)
class GateResult:
    code: str
    passed: bool
    message: str
    source: str
    overridable: bool

    @property
    def label(self) -> str:
        return str(LABELS[Gate(self.code)])


# --------------------------------------------------------------------------- entry points


def evaluate_gates(
    *,
    cadre: Cadre,
    position: Position,
    ruleset: RuleSet,
    on_date: dt.date,
    dossier_received_on: dt.date | None = None,
    dossier_complete: bool | None = None,
    first_appointment_or_higher: bool = True,
) -> list[GateResult]:
    """The gates for appointing ``cadre`` to ``position`` on ``on_date`` under ``ruleset``.

    Full term and discipline are left out for a move to an equivalent or lower post
    (``first_appointment_or_higher=False``; see ``is_first_appointment_or_higher``); the dossier
    gate only appears when ``dossier_complete`` is given.
    """
    results = [
        _planning_gate(cadre, position, ruleset, on_date),
        _time_in_post_gate(cadre, ruleset, on_date),
    ]
    if first_appointment_or_higher:
        results.append(_full_term_gate(cadre, ruleset, dossier_received_on or on_date))
        results.append(_discipline_gate(cadre, ruleset, on_date))
    results.append(_investigation_gate(cadre, ruleset, on_date))
    results.append(_political_standard_gate(cadre, ruleset, on_date))
    if dossier_complete is not None:
        results.append(_dossier_gate(ruleset, dossier_complete))
    return results


def blocking(
    results: Iterable[GateResult], *, overridden: Collection[str] = ()
) -> list[GateResult]:
    """The failed gates that still block: all of them, less the overridable ones the competent
    body has waived (``overridden`` codes). A hard gate blocks even if ``overridden`` names it."""
    return [r for r in results if not r.passed and not (r.overridable and r.code in overridden)]


def is_first_appointment_or_higher(*, cadre: Cadre, position: Position, on_date: dt.date) -> bool:
    """True unless the cadre already holds, on ``on_date``, a post of the target's level or higher
    (a move to an equivalent or lower post, G4b)."""
    current = [h.position.level for h in _holdings(cadre) if h.is_active_on(on_date)]
    return not current or position.level > max(current)


# --------------------------------------------------------------------------- dates


def elapsed(start: dt.date, end: dt.date) -> relativedelta:
    """Years, months and days from ``start`` to ``end`` (exact calendar arithmetic)."""
    return relativedelta(end, start)


def format_duration(delta: relativedelta) -> str:
    """'1 year 4 months', '11 months 30 days', '0 days' — for messages."""
    parts = []
    if delta.years:
        parts.append(ngettext("%(n)d year", "%(n)d years", delta.years) % {"n": delta.years})
    if delta.months:
        parts.append(ngettext("%(n)d month", "%(n)d months", delta.months) % {"n": delta.months})
    if delta.days or not parts:
        parts.append(ngettext("%(n)d day", "%(n)d days", delta.days) % {"n": delta.days})
    return " ".join(parts)


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------- records


def _related(cadre: Cadre, name: str, *select: str) -> list:
    manager = getattr(cadre, name)
    if name in getattr(cadre, "_prefetched_objects_cache", {}):
        return list(manager.all())
    return list(manager.select_related(*select)) if select else list(manager.all())


def _holdings(cadre: Cadre) -> list:
    return _related(cadre, "holdings", "position")


def _result(gate: Gate, passed: bool, message: str, source: str) -> GateResult:
    return GateResult(
        code=gate.value,
        passed=passed,
        message=message,
        source=source,
        overridable=gate in OVERRIDABLE,
    )


# --------------------------------------------------------------------------- G1 planning


def _planning_gate(cadre, position, ruleset, on_date) -> GateResult:
    year = on_date.year
    source = ruleset.citation
    entries = _related(cadre, "planning_entries", "position")
    # The target post first, then the newest term.
    entries.sort(key=lambda e: (e.position_id != position.pk, -e.term_start_year))

    def in_force(entry) -> bool:
        return entry.term_start_year <= year <= entry.term_end_year

    level_ok = [e for e in entries if e.position.level >= position.level]
    for entry in level_ok:
        if entry.status == PlanningStatus.APPROVED and in_force(entry):
            values = {
                "start": entry.term_start_year,
                "end": entry.term_end_year,
                "post": entry.position.title,
            }
            if entry.position_id == position.pk:
                message = _("In the approved %(start)d–%(end)d plan for this post.") % values
            else:
                message = (
                    _(
                        "In the approved %(start)d–%(end)d plan for %(post)s, "
                        "an equivalent or higher post."
                    )
                    % values
                )
            return _result(Gate.PLANNING, True, message, source)

    detail = _("not in any plan")
    for entry in level_ok:
        values = {
            "post": entry.position.title,
            "start": entry.term_start_year,
            "end": entry.term_end_year,
        }
        if entry.status == PlanningStatus.REMOVED:
            detail = _("removed from the %(start)d–%(end)d plan for %(post)s") % values
        elif entry.status == PlanningStatus.PROPOSED:
            detail = _("only proposed, not approved, for %(post)s (%(start)d–%(end)d)") % values
        elif entry.term_end_year < year:
            detail = _("the %(start)d–%(end)d plan for %(post)s has expired") % values
        else:
            detail = _("the %(start)d–%(end)d plan for %(post)s has not started") % values
        break
    else:
        lower = [e for e in entries if e.status == PlanningStatus.APPROVED and in_force(e)]
        if lower:
            detail = _("planned only for a lower post: %(post)s") % {
                "post": lower[0].position.title
            }
    message = _(
        "Must be in the plan for this post or an equivalent or higher one (%(source)s): %(detail)s."
    ) % {"source": ruleset.title, "detail": detail}
    return _result(Gate.PLANNING, False, message, source)


# --------------------------------------------------------------------------- G2 time in post


def _current_stretch(holdings, on_date) -> tuple[object, dt.date] | None:
    """The highest-level post held on ``on_date`` and the day the unbroken stretch of posts of
    that level began."""
    active = [h for h in holdings if h.is_active_on(on_date)]
    if not active:
        return None
    current = max(active, key=lambda h: (h.position.level, -h.started_on.toordinal()))
    level = current.position.level
    same_level = [h for h in holdings if h.position.level == level and h.started_on <= on_date]
    start = min(h.started_on for h in active if h.position.level == level)
    extended = True
    while extended:
        extended = False
        for holding in same_level:
            touches = holding.ended_on is None or holding.ended_on >= start - dt.timedelta(days=1)
            if holding.started_on < start and touches:
                start, extended = holding.started_on, True
    return current, start


def _time_in_post_gate(cadre, ruleset, on_date) -> GateResult:
    parameter = rules.parameter(ruleset, ParameterKey.MIN_YEARS_IN_POST)
    years = parameter.value
    stretch = _current_stretch(_holdings(cadre), on_date)
    if stretch is None:
        message = _("Holds no post: first appointment, the time-in-post rule does not apply.")
        return _result(Gate.TIME_IN_POST, True, message, parameter.citation)
    current, since = stretch
    values = {
        "years": years,
        "source": parameter.citation,
        "held": format_duration(elapsed(since, on_date)),
        "since": _day(since),
        "post": current.position.title,
    }
    if since + relativedelta(years=years) <= on_date:
        message = (
            ngettext(
                "%(held)s in the current or an equivalent post (%(post)s) since %(since)s; "
                "%(years)d year required.",
                "%(held)s in the current or an equivalent post (%(post)s) since %(since)s; "
                "%(years)d years required.",
                years,
            )
            % values
        )
        return _result(Gate.TIME_IN_POST, True, message, parameter.citation)
    message = (
        ngettext(
            "%(years)d year in the current or an equivalent post required (%(source)s): "
            "%(held)s as %(post)s since %(since)s.",
            "%(years)d years in the current or an equivalent post required (%(source)s): "
            "%(held)s as %(post)s since %(since)s.",
            years,
        )
        % values
    )
    return _result(Gate.TIME_IN_POST, False, message, parameter.citation)


# --------------------------------------------------------------------------- G4 full term


def _full_term_gate(cadre, ruleset, received_on) -> GateResult:
    parameter = rules.parameter(ruleset, ParameterKey.FULL_TERM_YEARS)
    years = parameter.value
    retirement = cadre.retirement_date
    left = (
        format_duration(elapsed(received_on, retirement))
        if retirement >= received_on
        else format_duration(relativedelta())
    )
    values = {
        "years": years,
        "source": parameter.citation,
        "left": left,
        "received": _day(received_on),
        "retirement": _day(retirement),
    }
    if received_on + relativedelta(years=years) <= retirement:
        message = (
            ngettext(
                "%(left)s of service left from %(received)s to retirement on %(retirement)s; "
                "%(years)d year required.",
                "%(left)s of service left from %(received)s to retirement on %(retirement)s; "
                "%(years)d years required.",
                years,
            )
            % values
        )
        return _result(Gate.FULL_TERM, True, message, parameter.citation)
    message = (
        ngettext(
            "%(years)d year of service left required for a full term (%(source)s): %(left)s "
            "from the dossier's receipt on %(received)s to retirement on %(retirement)s.",
            "%(years)d years of service left required for a full term (%(source)s): %(left)s "
            "from the dossier's receipt on %(received)s to retirement on %(retirement)s.",
            years,
        )
        % values
    )
    return _result(Gate.FULL_TERM, False, message, parameter.citation)


# --------------------------------------------------------------------------- G6 discipline


def _discipline_gate(cadre, ruleset, on_date) -> GateResult:
    parameter = rules.parameter(ruleset, ParameterKey.DISCIPLINE_COOLING_OFF)
    months_by_kind = parameter.value
    binding = None  # (record, months, bar ends on)
    for record in _related(cadre, "discipline_records"):
        months = months_by_kind[DISCIPLINE_KEYS[DisciplineKind(record.kind)]]
        ends = record.effective_on + relativedelta(months=months)
        if ends > on_date and (binding is None or ends > binding[2]):
            binding = (record, months, ends)
    if binding is None:
        message = _("No discipline within its cooling-off period.")
        return _result(Gate.DISCIPLINE, True, message, parameter.citation)
    record, months, ends = binding
    values = {
        "months": months,
        "kind": _DISCIPLINE_NAMES[DisciplineKind(record.kind)],
        "source": parameter.citation,
        "effective": _day(record.effective_on),
        "ends": _day(ends),
    }
    message = (
        ngettext(
            "%(months)d month must pass after a %(kind)s before appointment to a higher post "
            "(%(source)s): %(kind)s effective %(effective)s, eligible from %(ends)s.",
            "%(months)d months must pass after a %(kind)s before appointment to a higher post "
            "(%(source)s): %(kind)s effective %(effective)s, eligible from %(ends)s.",
            months,
        )
        % values
    )
    return _result(Gate.DISCIPLINE, False, message, parameter.citation)


# --------------------------------------------------------------------------- G7 investigation


def _investigation_gate(cadre, ruleset, on_date) -> GateResult:
    source = ruleset.citation
    still_open = [
        case
        for case in _related(cadre, "investigations")
        if case.closed_on is None or case.closed_on > on_date
    ]
    if not still_open:
        message = _("No open investigation or disciplinary review.")
        return _result(Gate.INVESTIGATION, True, message, source)
    case = min(still_open, key=lambda c: c.opened_on)
    message = _(
        "No appointment while under investigation or disciplinary review (%(source)s): "
        "%(kind)s open since %(opened)s."
    ) % {
        "source": ruleset.title,
        "kind": case.get_kind_display(),
        "opened": _day(case.opened_on),
    }
    return _result(Gate.INVESTIGATION, False, message, source)


# --------------------------------------------------------------------------- G8 political standard


def _political_standard_gate(cadre, ruleset, on_date) -> GateResult:
    parameter = rules.parameter(ruleset, ParameterKey.POLITICAL_STANDARD_VALIDITY)
    months = parameter.value
    conclusions = [c for c in _related(cadre, "political_conclusions") if c.concluded_on <= on_date]
    latest = max(conclusions, key=lambda c: (c.concluded_on, c.pk), default=None)
    values = {"months": months, "source": parameter.citation}
    if latest is None:
        message = (
            ngettext(
                "A conclusion on political standards not older than %(months)d month required "
                "(%(source)s): none on file.",
                "A conclusion on political standards not older than %(months)d months required "
                "(%(source)s): none on file.",
                months,
            )
            % values
        )
        return _result(Gate.POLITICAL_STANDARD, False, message, parameter.citation)
    values |= {
        "date": _day(latest.concluded_on),
        "age": format_duration(elapsed(latest.concluded_on, on_date)),
    }
    if latest.outcome != PoliticalStandardOutcome.MEETS:
        message = (
            _(
                "A conclusion that the cadre meets political standards required (%(source)s): "
                "the latest, of %(date)s, finds them not met."
            )
            % values
        )
        return _result(Gate.POLITICAL_STANDARD, False, message, parameter.citation)
    if on_date > latest.concluded_on + relativedelta(months=months):
        message = (
            ngettext(
                "A conclusion on political standards not older than %(months)d month required "
                "(%(source)s): the latest, of %(date)s, is %(age)s old.",
                "A conclusion on political standards not older than %(months)d months required "
                "(%(source)s): the latest, of %(date)s, is %(age)s old.",
                months,
            )
            % values
        )
        return _result(Gate.POLITICAL_STANDARD, False, message, parameter.citation)
    message = _("Meets political standards (conclusion of %(date)s, %(age)s old).") % values
    return _result(Gate.POLITICAL_STANDARD, True, message, parameter.citation)


# --------------------------------------------------------------------------- dossier


def _dossier_gate(ruleset, complete: bool) -> GateResult:
    if complete:
        return _result(
            Gate.DOSSIER, True, _("The appointment dossier is complete."), ruleset.citation
        )
    message = _("A complete appointment dossier required (%(source)s): items are missing.") % {
        "source": ruleset.title
    }
    return _result(Gate.DOSSIER, False, message, ruleset.citation)
