"""What a rotation or a transfer checks for its cadre (domain §6.2, §6.5, invariants I-8, I-20).

``evaluate`` reads the cadre's records, the movement's dossier and the movement's rule-set and
says, gate by gate, whether the decision may be issued on a given day. It writes nothing: the
pages show it per cadre, and ``services.movement_decide`` runs it on the decision date and
refuses (409) while a gate blocks. Every number comes from the rule-set.

Gates of a rotation:

- ``remaining_service`` (I-20, QĐ 65-QĐ/TW Art. 5 [57], QĐ 727 [60]): from the decision date
  to the statutory retirement date (``personnel.retirement``, as the appointment and planning
  gates count it) at least ``ROTATION_MIN_SERVICE`` years. Exactly that many years passes (the
  same calendar day, clamped to the month's end, as ``relativedelta`` counts). Hard: QĐ 65
  leaves special cases to the competent level, but I-20 is a hard invariant here (a gap noted
  in docs/design/rotation.md).
- ``duration`` (I-20, QĐ 65 Art. 8 [55]): at least ``ROTATION_MIN_DURATION`` months, unless
  the competent level recorded an exception with a written reason (then it passes, saying so).
- ``investigation`` (I-8, QĐ 80 Art. 16 [15]: no transfer while under investigation): no
  investigation or disciplinary review open on the decision date.
- ``health`` (QĐ 727 [60]; QĐ 65 Art. 5 "sufficient health"): a health certificate in the
  dossier not older than ``ROTATION_HEALTH_VALIDITY`` months on the decision date (exactly that
  old passes, as the political-standard gate counts).
- ``dossier`` (QĐ 727 [60], §6.5): the residence Party cell's comments, the asset declaration,
  the workplace Party cell and committee's evaluation, the leadership collective's 3-year
  evaluation and the health certificate are on file (the decision, the last item, is what this
  gate allows).

A transfer (the shorter path) checks only ``investigation``: the rotation's conditions (service
left, duration, dossier) are QĐ 65's and QĐ 727's for rotations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from workflows.appointment.gates import elapsed, format_duration
from workflows.core import rules
from workflows.core.models import ParameterKey

from .models import DossierKind, Kind

REMAINING_SERVICE = "remaining_service"
DURATION = "duration"
INVESTIGATION = "investigation"
HEALTH = "health"
DOSSIER = "dossier"

LABELS = {
    REMAINING_SERVICE: gettext_lazy("Service left at the decision"),
    DURATION: gettext_lazy("Duration of the rotation"),
    INVESTIGATION: gettext_lazy("Investigation or disciplinary review"),
    HEALTH: gettext_lazy("Health certificate"),
    DOSSIER: gettext_lazy("Rotation dossier"),
}
#: the documents the dossier gate wants before the decision (§6.5)
REQUIRED_DOSSIER = list(DossierKind)
DOSSIER_SOURCE = "QĐ 727/QĐ-BNV [60]"
INVESTIGATION_SOURCE = "QĐ 80-QĐ/TW Art. 16 [15] (I-8)"


@dataclass(frozen=True)
class RotationGate:
    code: str
    passed: bool
    message: str
    source: str
    #: passed only because the competent level recorded an exception
    waived: bool = False

    @property
    def blocking(self) -> bool:
        return not self.passed

    @property
    def label(self) -> str:
        return str(LABELS[self.code])

    def snapshot(self) -> dict:
        return {
            "code": self.code,
            "passed": self.passed,
            "waived": self.waived,
            "message": self.message,
            "source": self.source,
        }


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------- the gates


def remaining_service_gate(cadre, ruleset, on_date: dt.date) -> RotationGate:
    parameter = rules.parameter(ruleset, ParameterKey.ROTATION_MIN_SERVICE)
    years = parameter.value
    retirement = cadre.retirement_date
    left = format_duration(
        elapsed(on_date, retirement) if retirement >= on_date else relativedelta()
    )
    values = {
        "years": years,
        "source": parameter.citation,
        "left": left,
        "on": _day(on_date),
        "retirement": _day(retirement),
    }
    if on_date + relativedelta(years=years) <= retirement:
        message = (
            ngettext(
                "%(left)s of service left from %(on)s to retirement on %(retirement)s; "
                "%(years)d year required.",
                "%(left)s of service left from %(on)s to retirement on %(retirement)s; "
                "%(years)d years required.",
                years,
            )
            % values
        )
        return RotationGate(REMAINING_SERVICE, True, message, parameter.citation)
    message = (
        ngettext(
            "%(years)d year of service left required at the decision (%(source)s): %(left)s from "
            "%(on)s to retirement on %(retirement)s.",
            "%(years)d years of service left required at the decision (%(source)s): %(left)s from "
            "%(on)s to retirement on %(retirement)s.",
            years,
        )
        % values
    )
    return RotationGate(REMAINING_SERVICE, False, message, parameter.citation)


def duration_gate(movement, ruleset) -> RotationGate:
    parameter = rules.parameter(ruleset, ParameterKey.ROTATION_MIN_DURATION)
    need = parameter.value
    months = movement.months or 0
    values = {"months": months, "need": need, "source": parameter.citation}
    if months >= need:
        message = (
            ngettext(
                "%(months)d months planned; at least %(need)d month required.",
                "%(months)d months planned; at least %(need)d months required.",
                need,
            )
            % values
        )
        return RotationGate(DURATION, True, message, parameter.citation)
    if movement.duration_exception.strip():
        message = _(
            "%(months)d months planned, below the %(need)d required (%(source)s): exception "
            "recorded by the competent level — %(reason)s"
        ) % {**values, "reason": movement.duration_exception.strip()}
        return RotationGate(DURATION, True, message, parameter.citation, waived=True)
    message = (
        _(
            "At least %(need)d months required unless the competent level records an exception "
            "(%(source)s): %(months)d months planned."
        )
        % values
    )
    return RotationGate(DURATION, False, message, parameter.citation)


def investigation_gate(cadre, on_date: dt.date) -> RotationGate:
    still_open = [
        case
        for case in cadre.investigations.all()
        if case.opened_on <= on_date and (case.closed_on is None or case.closed_on > on_date)
    ]
    if not still_open:
        message = _("No open investigation or disciplinary review.")
        return RotationGate(INVESTIGATION, True, message, INVESTIGATION_SOURCE)
    case = min(still_open, key=lambda c: (c.opened_on, c.pk))
    message = _(
        "No rotation or transfer while under investigation or disciplinary review "
        "(%(source)s): %(kind)s open since %(opened)s."
    ) % {
        "source": INVESTIGATION_SOURCE,
        "kind": case.get_kind_display(),
        "opened": _day(case.opened_on),
    }
    return RotationGate(INVESTIGATION, False, message, INVESTIGATION_SOURCE)


def health_gate(dossier: dict, ruleset, on_date: dt.date) -> RotationGate:
    parameter = rules.parameter(ruleset, ParameterKey.ROTATION_HEALTH_VALIDITY)
    months = parameter.value
    values = {"months": months, "source": parameter.citation}
    certificate = dossier.get(DossierKind.HEALTH)
    if certificate is None or certificate.dated > on_date:
        message = (
            ngettext(
                "A health certificate not older than %(months)d month required (%(source)s): "
                "none on file.",
                "A health certificate not older than %(months)d months required (%(source)s): "
                "none on file.",
                months,
            )
            % values
        )
        return RotationGate(HEALTH, False, message, parameter.citation)
    values |= {
        "date": _day(certificate.dated),
        "age": format_duration(elapsed(certificate.dated, on_date)),
    }
    if on_date > certificate.dated + relativedelta(months=months):
        message = (
            ngettext(
                "A health certificate not older than %(months)d month required (%(source)s): the "
                "one on file, of %(date)s, is %(age)s old.",
                "A health certificate not older than %(months)d months required (%(source)s): the "
                "one on file, of %(date)s, is %(age)s old.",
                months,
            )
            % values
        )
        return RotationGate(HEALTH, False, message, parameter.citation)
    message = _("Health certificate of %(date)s, %(age)s old.") % values
    return RotationGate(HEALTH, True, message, parameter.citation)


def dossier_gate(dossier: dict) -> RotationGate:
    missing = [DossierKind(kind).label for kind in REQUIRED_DOSSIER if kind not in dossier]
    if not missing:
        return RotationGate(DOSSIER, True, _("The rotation dossier is complete."), DOSSIER_SOURCE)
    message = _("A complete rotation dossier required (%(source)s): missing %(missing)s.") % {
        "source": DOSSIER_SOURCE,
        "missing": "; ".join(str(m) for m in missing),
    }
    return RotationGate(DOSSIER, False, message, DOSSIER_SOURCE)


# --------------------------------------------------------------------------- entry point


def evaluate(movement, *, on_date: dt.date) -> list[RotationGate]:
    """The gates for deciding ``movement`` on ``on_date`` under its rule-set."""
    cadre = movement.cadre
    if movement.kind == Kind.TRANSFER:
        return [investigation_gate(cadre, on_date)]
    ruleset = movement.ruleset
    dossier = {item.kind: item for item in movement.dossier.all()}
    return [
        remaining_service_gate(cadre, ruleset, on_date),
        duration_gate(movement, ruleset),
        investigation_gate(cadre, on_date),
        health_gate(dossier, ruleset, on_date),
        dossier_gate(dossier),
    ]


def blocking(results) -> list[RotationGate]:
    return [r for r in results if r.blocking]
