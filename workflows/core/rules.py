"""Reading rule-set parameters, and the shape each parameter's value must have."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from personnel.models import ManagementLevel

from .models import Denominator, MeetingKind, ParameterKey, RuleParameter, RuleSet

_DENOMINATORS = {d.value for d in Denominator}
_MEETINGS = {k.value for k in MeetingKind}
# Management levels ("diện ... quản lý"), for parameters that differ by level.
_LEVELS = {level.value for level in ManagementLevel}


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _fraction(value) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"numerator", "denominator"}
        and all(_positive_int(v) for v in value.values())
        and value["numerator"] <= value["denominator"]
    )


def _score_bands(value) -> bool:
    """Lowest score of each level above "not completed": 0 < completed < good < excellent <= 100."""
    return (
        isinstance(value, dict)
        and set(value) == {"excellent", "good", "completed"}
        and all(_positive_int(v) for v in value.values())
        and value["completed"] < value["good"] < value["excellent"] <= 100
    )


def _criteria_points(value) -> bool:
    """Criteria groups (code -> most points), adding up to the 100-point scale."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and k for k in value)
        and all(_positive_int(v) for v in value.values())
        and sum(value.values()) == 100
    )


SHAPES = {
    ParameterKey.QUORUM: _fraction,
    ParameterKey.NOMINATION_DENOMINATOR: lambda v: v in _DENOMINATORS,
    ParameterKey.APPROVAL_DENOMINATOR: lambda v: v in _DENOMINATORS,
    ParameterKey.CONFIDENCE_DENOMINATOR: lambda v: v in _DENOMINATORS,
    ParameterKey.TIE_RULE: lambda v: v in {"head_decides"},
    ParameterKey.CARRY_FORWARD: _positive_int,
    ParameterKey.SEALED_MEETINGS: lambda v: (
        isinstance(v, list) and all(isinstance(x, str) for x in v) and set(v) <= _MEETINGS
    ),
    ParameterKey.CONFIDENCE_LOW_BARS: lambda v: (
        isinstance(v, dict)
        and set(v) == {"not_considered", "dismissal"}
        and all(_fraction(x) for x in v.values())
    ),
    ParameterKey.DISCIPLINE_COOLING_OFF: lambda v: (
        isinstance(v, dict)
        and set(v) == {"reprimand", "warning", "removal"}
        and all(_positive_int(x) for x in v.values())
    ),
    ParameterKey.FULL_TERM_YEARS: _positive_int,
    ParameterKey.MIN_YEARS_IN_POST: _positive_int,
    ParameterKey.POLITICAL_STANDARD_VALIDITY: _positive_int,
    ParameterKey.APPOINTMENT_DEADLINE: _positive_int,
    ParameterKey.REAPPOINTMENT_NOTICE: lambda v: (
        isinstance(v, dict)
        and set(v) == {"days", "working_days"}
        and _positive_int(v["days"])
        and isinstance(v["working_days"], bool)
    ),
    ParameterKey.PLANNING_CAPS: lambda v: (
        isinstance(v, dict)
        and set(v) == {"per_position", "per_cadre"}
        and all(_positive_int(x) for x in v.values())
    ),
    ParameterKey.EXCELLENT_QUOTA: lambda v: _positive_int(v) and v <= 100,
    ParameterKey.ROTATION_MIN_SERVICE: _positive_int,
    ParameterKey.ROTATION_MIN_DURATION: _positive_int,
    ParameterKey.EVALUATION_SCORE_BANDS: _score_bands,
    ParameterKey.EVALUATION_CRITERIA: _criteria_points,
    ParameterKey.ROTATION_HEALTH_VALIDITY: _positive_int,
    ParameterKey.TRAINING_POSTGRADUATE: lambda v: (
        isinstance(v, dict)
        and set(v) == {"min_service_years", "good_years", "max_age", "commitment_multiple"}
        and all(_positive_int(x) for x in v.values())
    ),
    ParameterKey.PLANNING_STRUCTURE: lambda v: (
        isinstance(v, dict)
        and set(v) == {"young_under", "young_percent", "women_percent"}
        and isinstance(v["young_under"], dict)
        and set(v["young_under"]) == _LEVELS
        and all(_positive_int(x) for x in v["young_under"].values())
        and all(_positive_int(v[k]) and v[k] <= 100 for k in ("young_percent", "women_percent"))
    ),
}


def validate(key: str, value: Any) -> None:
    check = SHAPES.get(key) if key in ParameterKey.values else None
    if check is None or not check(value):
        raise ValidationError(
            _("%(value)s is not a valid value for %(key)s.") % {"value": value, "key": key}
        )


def _rows(ruleset: RuleSet) -> dict[str, RuleParameter]:
    cached = getattr(ruleset, "_parameter_rows", None)
    if cached is None:
        cached = {p.key: p for p in ruleset.parameters.all()}
        ruleset._parameter_rows = cached
    return cached


def parameters(ruleset: RuleSet) -> dict[str, Any]:
    cached = getattr(ruleset, "_parameters", None)
    if cached is None:
        cached = {key: row.value for key, row in _rows(ruleset).items()}
        ruleset._parameters = cached
    return cached


def parameter(ruleset: RuleSet, key: ParameterKey) -> RuleParameter:
    """The parameter row itself: its value with its source (``citation``) and ``unverified``."""
    try:
        return _rows(ruleset)[key.value]
    except KeyError:
        raise _missing(ruleset, key) from None


def get(ruleset: RuleSet, key: ParameterKey) -> Any:
    try:
        return parameters(ruleset)[key.value]
    except KeyError:
        raise _missing(ruleset, key) from None


def _missing(ruleset: RuleSet, key: ParameterKey) -> ValidationError:
    return ValidationError(
        _("The rule-set %(ruleset)s has no value for %(key)s.")
        % {"ruleset": ruleset, "key": key.label}
    )


def fraction(ruleset: RuleSet, key: ParameterKey) -> tuple[int, int]:
    value = get(ruleset, key)
    return value["numerator"], value["denominator"]
