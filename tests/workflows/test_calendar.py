"""Working days: Monday to Friday, less Vietnam's public holidays, plus the Saturdays the
government swaps in for bridge days (the ``holidays`` package's calendar)."""

import datetime as dt
import sys
import threading

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.core import calendar
from workflows.core.calendar import add_working_days, is_working_day, working_days_left

D = dt.date


def test_the_2026_calendar_is_what_these_tests_assume():
    vn = holidays.country_holidays("VN", years=2026)
    assert {D(2026, 2, d) for d in range(16, 21)} <= set(vn)  # Tết, Mon-Fri
    assert D(2026, 8, 31) in vn and {D(2026, 9, 1), D(2026, 9, 2)} <= set(vn)
    assert D(2026, 8, 22) not in vn and vn.is_working_day(D(2026, 8, 22))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 3, 6), True),  # Friday
        (D(2026, 3, 7), False),  # Saturday
        (D(2026, 3, 8), False),  # Sunday
        (D(2026, 1, 1), False),  # New Year's Day
        (D(2026, 2, 16), False),  # Lunar New Year's Eve
        (D(2026, 2, 20), False),  # fourth day of Tết
        (D(2026, 2, 23), True),  # back to work
        (D(2026, 8, 22), True),  # the Saturday worked in exchange for 31 August
        (D(2026, 8, 29), False),  # an ordinary Saturday
        (D(2026, 8, 31), False),  # the day off it bought
        (D(2026, 9, 1), False),  # National Day
        (D(2026, 9, 2), False),
        (D(2026, 9, 3), True),
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 3, 4), 0, D(2026, 3, 4)),  # zero days: the start itself
        (D(2026, 3, 4), 1, D(2026, 3, 5)),  # the start is not counted
        (D(2026, 3, 6), 1, D(2026, 3, 9)),  # Friday + 1 -> Monday
        (D(2026, 3, 5), 3, D(2026, 3, 10)),  # Thursday + 3 -> Tuesday
        (D(2026, 3, 7), 1, D(2026, 3, 9)),  # from a Saturday
        (D(2026, 3, 8), 5, D(2026, 3, 13)),  # from a Sunday: Mon..Fri
        (D(2026, 3, 2), 10, D(2026, 3, 16)),  # two whole weeks
        # Tết 2026: Monday 16 to Friday 20 February are holidays
        (D(2026, 2, 13), 1, D(2026, 2, 23)),
        (D(2026, 2, 12), 2, D(2026, 2, 23)),
        (D(2026, 2, 11), 5, D(2026, 2, 25)),  # 12, 13, then 23, 24, 25
        (D(2026, 2, 16), 1, D(2026, 2, 23)),  # counted from inside the holiday
        # Saturday 22 August is worked, Monday 31 August is off, 1-2 September National Day
        (D(2026, 8, 21), 1, D(2026, 8, 22)),
        (D(2026, 8, 22), 1, D(2026, 8, 24)),
        (D(2026, 8, 20), 3, D(2026, 8, 24)),  # 21, 22 (Sat), 24
        (D(2026, 8, 28), 1, D(2026, 9, 3)),
        (D(2026, 8, 27), 2, D(2026, 9, 3)),
        # across the new year (1 January is a holiday)
        (D(2025, 12, 31), 1, D(2026, 1, 2)),
    ],
)
def test_add_working_days(start, n, due):
    assert add_working_days(start, n) == due


def test_add_working_days_refuses_negative_counts():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 3, 4), -1)


@pytest.mark.parametrize(
    ("today", "due", "left"),
    [
        (D(2026, 3, 6), D(2026, 3, 6), 0),  # due today
        (D(2026, 3, 5), D(2026, 3, 6), 1),
        (D(2026, 3, 6), D(2026, 3, 9), 1),  # Friday, due Monday: the weekend is not counted
        (D(2026, 3, 7), D(2026, 3, 9), 1),  # Saturday, due Monday
        (D(2026, 3, 2), D(2026, 3, 13), 9),
        (D(2026, 2, 12), D(2026, 2, 24), 3),  # 13, 23, 24: Tết is not counted
        (D(2026, 2, 13), D(2026, 2, 23), 1),
        # passed: minus the working days since, and at least -1 on the first day after
        (D(2026, 3, 7), D(2026, 3, 6), -1),  # due Friday, Saturday
        (D(2026, 3, 8), D(2026, 3, 6), -1),  # Sunday
        (D(2026, 3, 9), D(2026, 3, 6), -1),  # Monday
        (D(2026, 3, 10), D(2026, 3, 6), -2),
        (D(2026, 2, 20), D(2026, 2, 13), -1),  # all through Tết it is one day late
        (D(2026, 2, 23), D(2026, 2, 13), -1),
        (D(2026, 2, 24), D(2026, 2, 13), -2),
    ],
)
def test_working_days_left(today, due, left):
    assert working_days_left(today, due) == left


def test_working_days_left_counts_only_working_days_across_the_national_day():
    # 21 (Fri), 22 (worked Sat), 24, 25, 26, 27, 28, then 31 Aug, 1-2 Sep off, 3 Sep.
    assert working_days_left(D(2026, 8, 20), D(2026, 9, 3)) == 8
    assert working_days_left(D(2026, 8, 28), D(2026, 9, 3)) == 1
    assert working_days_left(D(2026, 9, 2), D(2026, 8, 28)) == -1  # nothing worked since
    assert working_days_left(D(2026, 9, 3), D(2026, 8, 28)) == -1
    assert working_days_left(D(2026, 9, 4), D(2026, 8, 28)) == -2


def test_a_due_day_off_is_not_counted_before_it_comes():
    # A zero-day limit started on a Sunday is due that Sunday; on the Saturday before, no
    # working day separates them.
    assert working_days_left(D(2026, 3, 7), D(2026, 3, 8)) == 0


DATES = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))


@settings(max_examples=400, deadline=None)
@given(start=DATES, n=st.integers(min_value=0, max_value=60))
def test_working_days_left_undoes_add_working_days(start, n):
    due = add_working_days(start, n)
    assert working_days_left(start, due) == n
    if n:
        assert is_working_day(due)
        assert working_days_left(due, start) == -n
        assert add_working_days(start, n - 1) < due


@settings(max_examples=200, deadline=None)
@given(today=DATES, due=DATES)
def test_working_days_left_is_zero_only_when_no_working_day_separates(today, due):
    left = working_days_left(today, due)
    if due < today:
        assert left < 0
    else:
        between = sum(
            is_working_day(today + dt.timedelta(days=i)) for i in range(1, (due - today).days + 1)
        )
        assert left == between


@settings(max_examples=300, deadline=None)
@given(today=DATES, due=DATES)
def test_working_days_left_counts_day_by_day_in_both_directions(today, due):
    """The count is read off per-year tables (an appointment's limit years ago costs no more
    than tomorrow's); it must agree with walking the calendar one day at a time."""
    first, last = sorted((today, due))
    walked = sum(
        is_working_day(first + dt.timedelta(days=i)) for i in range(1, (last - first).days + 1)
    )
    expected = walked if due >= today else -max(walked, 1)
    assert working_days_left(today, due) == expected


def test_threads_sharing_the_calendar_all_see_the_holidays():
    """Workers run jobs in threads that share one calendar. The package fills a year in on its
    first use and marks the year present before adding its holidays, so without a lock another
    thread could meanwhile count Tết as working days."""
    first, last = D(2031, 1, 20), D(2031, 2, 10)  # Tết 2031 falls in between
    reference = holidays.country_holidays("VN", years=2031)
    expected = sum(reference.is_working_day(first + dt.timedelta(days=i)) for i in range(1, 22))
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _ in range(20):
            calendar._calendar.cache_clear()  # a fresh calendar, 2031 not filled in yet
            calendar._working_before.cache_clear()  # and no year counted yet
            barrier = threading.Barrier(8)
            results = []

            def count(barrier=barrier, results=results):
                barrier.wait()
                results.append(working_days_left(first, last))

            threads = [threading.Thread(target=count) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert results == [expected] * 8
    finally:
        sys.setswitchinterval(switch)
        calendar._calendar.cache_clear()
        calendar._working_before.cache_clear()
