import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from personnel.retirement import (
    FEMALE,
    MALE,
    remaining_service_months,
    retirement_age_months,
    retirement_date,
)


@pytest.mark.parametrize(
    ("born", "gender", "expected"),
    [
        # Decree 135/2020 Appendix I (men) and II (women): reach the age that applies in the year
        # reached; retire at the end of that month.
        (dt.date(1960, 12, 5), MALE, dt.date(2020, 12, 31)),  # 60 before 2021
        (dt.date(1961, 1, 15), MALE, dt.date(2021, 4, 30)),  # 60y3m in 2021
        (dt.date(1961, 9, 1), MALE, dt.date(2021, 12, 31)),
        (dt.date(1961, 10, 1), MALE, dt.date(2022, 4, 30)),  # 60y3m would fall in 2022 -> 60y6m
        (dt.date(1966, 4, 1), MALE, dt.date(2028, 4, 30)),  # ceiling 62 from 2028
        (dt.date(1966, 1, 1), FEMALE, dt.date(2021, 5, 31)),  # 55y4m
        (dt.date(1975, 5, 3), FEMALE, dt.date(2035, 5, 31)),  # ceiling 60 from 2035
        (dt.date(1980, 2, 29), FEMALE, dt.date(2040, 2, 29)),
    ],
)
def test_retirement_date_follows_decree_135(born, gender, expected):
    assert retirement_date(born, gender) == expected


def test_schedule_steps_and_ceilings():
    assert retirement_age_months(MALE, 2020) == 720
    assert retirement_age_months(MALE, 2024) == 732
    assert retirement_age_months(MALE, 2040) == 744
    assert retirement_age_months(FEMALE, 2021) == 664
    assert retirement_age_months(FEMALE, 2029) == 696
    assert retirement_age_months(FEMALE, 2050) == 720


@given(
    born=st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2005, 12, 31)),
    gender=st.sampled_from([MALE, FEMALE]),
)
def test_retirement_date_is_consistent(born, gender):
    retire = retirement_date(born, gender)
    age_months = (retire.year - born.year) * 12 + (retire.month - born.month)
    # Reached in the month of retirement, at exactly the age in force that year.
    assert age_months == retirement_age_months(gender, retire.year)
    assert (retire + dt.timedelta(days=1)).day == 1  # last day of a month


def test_remaining_service_months():
    born = dt.date(1970, 6, 1)  # retires 2032-06-30
    assert remaining_service_months(born, MALE, dt.date(2027, 6, 30)) == 60
    assert remaining_service_months(born, MALE, dt.date(2027, 7, 1)) == 59
