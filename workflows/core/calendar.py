"""Working days: Monday to Friday, less Vietnam's public holidays and with the Saturdays the
government swaps in for bridge days (the ``holidays`` package's Vietnam calendar).

The regulations count limits in working days ("30 ngày làm việc"). A limit of N working days
counted from day D ends on the N-th working day after D (D itself not counted).
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import lru_cache

import holidays

# The package fills a year in on its first use, and marks the year present before adding its
# holidays: a second thread reading meanwhile would count Tết as working days. Job workers run
# tasks in threads that share this calendar, so every read takes the lock.
_lock = threading.RLock()


@lru_cache(maxsize=1)
def _calendar():
    return holidays.country_holidays("VN")


def is_working_day(day: dt.date) -> bool:
    with _lock:
        return _calendar().is_working_day(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    if days == 0:
        return start
    with _lock:
        return _calendar().get_nth_working_day(start, days)


@lru_cache(maxsize=64)
def _working_before(year: int) -> tuple[int, ...]:
    """For each day of ``year`` (by its day of the year, 0-based), how many working days come
    before it in that year; one more entry holds the year's total."""
    first = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - first).days
    counts, total = [0], 0
    with _lock:
        calendar = _calendar()
        for n in range(days):
            total += calendar.is_working_day(first + dt.timedelta(days=n))
            counts.append(total)
    return tuple(counts)


def _working_through(day: dt.date) -> int:
    """Working days from 1 January of ``day``'s year up to and including ``day``."""
    return _working_before(day.year)[day.timetuple().tm_yday]


def working_days_between(after: dt.date, upto: dt.date) -> int:
    """Working days ``d`` with ``after < d <= upto`` (0 when ``upto <= after``): a year's
    counts are computed once, so an old deadline costs the same as tomorrow's."""
    if upto <= after:
        return 0
    count = _working_through(upto) - _working_through(after)
    for year in range(after.year, upto.year):
        count += _working_before(year)[-1]
    return count


def working_days_left(today: dt.date, due: dt.date) -> int:
    """Working days after ``today`` up to and including ``due``; 0 when due today (or on the
    non-working days before the next working day); negative (−1, −2 …) once it has passed."""
    if due >= today:
        return working_days_between(today, due)
    return -max(working_days_between(due, today), 1)
