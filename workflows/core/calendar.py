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


def working_days_left(today: dt.date, due: dt.date) -> int:
    """Working days after ``today`` up to and including ``due``; 0 when due today (or on the
    non-working days before the next working day); negative (−1, −2 …) once it has passed."""
    if due >= today:
        count = 0
        day = today
        while day < due:
            day += dt.timedelta(days=1)
            if is_working_day(day):
                count += 1
        return count
    count = 0
    day = due
    while day < today:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return -max(count, 1)
