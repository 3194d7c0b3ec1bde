"""Statutory retirement age under the Labour Code 2019 (Art. 169) and Decree 135/2020/ND-CP.

From 2021 the normal retirement age rises each calendar year: for men by 3 months from
60 years 3 months (2021) until 62 (2028); for women by 4 months from 55 years 4 months (2021)
until 60 (2035). The age that applies is the one in force in the year the person reaches it,
and retirement takes effect at the end of the month in which that age is reached
(Decree 135/2020 Art. 4 and Appendix I/II).

Exceptions (arduous work, disability, senior posts allowed to work longer) are not modelled.
"""

from __future__ import annotations

import calendar
import datetime as dt

MALE, FEMALE = "M", "F"

_START_YEAR = 2021
# (base months before 2021, first value in 2021, step per year, ceiling) in months.
_SCHEDULE = {
    MALE: (60 * 12, 60 * 12 + 3, 3, 62 * 12),
    FEMALE: (55 * 12, 55 * 12 + 4, 4, 60 * 12),
}


def retirement_age_months(gender: str, year: int) -> int:
    """The retirement age, in months, for someone who reaches it in ``year``."""
    base, first, step, ceiling = _SCHEDULE[gender]
    if year < _START_YEAR:
        return base
    return min(first + step * (year - _START_YEAR), ceiling)


def _add_months(day: dt.date, months: int) -> tuple[int, int]:
    total = day.year * 12 + (day.month - 1) + months
    return total // 12, total % 12 + 1


def retirement_date(date_of_birth: dt.date, gender: str) -> dt.date:
    """Last day of the month in which the person reaches the retirement age that applies."""
    year = date_of_birth.year + _SCHEDULE[gender][0] // 12
    while True:
        reach_year, reach_month = _add_months(date_of_birth, retirement_age_months(gender, year))
        if reach_year <= year:
            last_day = calendar.monthrange(reach_year, reach_month)[1]
            return dt.date(reach_year, reach_month, last_day)
        year += 1


def remaining_service_months(date_of_birth: dt.date, gender: str, on: dt.date) -> int:
    """Whole months from ``on`` until retirement (negative when already past it)."""
    end = retirement_date(date_of_birth, gender)
    months = (end.year - on.year) * 12 + (end.month - on.month)
    if end.day < on.day:
        months -= 1
    return months
