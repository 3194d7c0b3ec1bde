"""The generator's calendar: a fixed "now" (so a seed always builds the same data) and the
history the procedures span, which starts after the oldest rule-set took effect."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from functools import cache

from workflows.core import calendar

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC

#: the moment the data describes (late 2026, the year-end evaluations under way)
DEFAULT_ANCHOR = dt.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
#: the oldest procedure starts here (QĐ 80-QĐ/TW, the oldest rule-set, took effect 18/08/2022)
HISTORY_START = dt.datetime(2022, 9, 1, 8, 0, tzinfo=TZ)


class Clock:
    def __init__(self, anchor: dt.datetime = DEFAULT_ANCHOR):
        self.now = anchor.astimezone(UTC)
        self.today = anchor.astimezone(TZ).date()
        self.start = HISTORY_START.astimezone(UTC)

    @staticmethod
    def aware(day: dt.date, hour: int = 8, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), TZ).astimezone(UTC)

    @staticmethod
    def local_date(moment: dt.datetime) -> dt.date:
        return moment.astimezone(TZ).date()

    def between(self, rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        """A moment in office hours between ``start`` and ``end``."""
        if end <= start:
            return start
        moment = start + (end - start) * rng.random()
        local = moment.astimezone(TZ)
        if not 7 <= local.hour < 17:
            local = local.replace(hour=7 + rng.randrange(10), minute=rng.randrange(60))
        moment = local.astimezone(UTC).replace(microsecond=rng.randrange(1_000_000))
        return min(max(moment, start), end)

    def later(self, rng: random.Random, moment: dt.datetime, low_days: float, high_days: float):
        """A moment some days after ``moment``; never after now."""
        step = dt.timedelta(days=rng.uniform(low_days, high_days))
        return min(moment + step, self.now - dt.timedelta(seconds=rng.randrange(60, 7200)))

    @staticmethod
    def seconds(rng: random.Random, moment: dt.datetime, low: float = 0.2, high: float = 3.0):
        return moment + dt.timedelta(seconds=rng.uniform(low, high))


@cache
def add_working_days(start: dt.date, days: int) -> dt.date:
    return calendar.add_working_days(start, days)
