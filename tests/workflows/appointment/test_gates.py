"""Eligibility gates of the appointment procedure (domain §2.4; I-7 … I-13), at their boundaries,
under the rule-sets shipped by the data migration."""

import datetime as dt

import pytest
from django.utils import translation

from personnel.models import (
    Cadre,
    DisciplineKind,
    InvestigationKind,
    PlanningStatus,
    PoliticalStandardOutcome,
    PositionLevel,
)
from tests.factories import (
    CadreFactory,
    DisciplineRecordFactory,
    InvestigationCaseFactory,
    PlanningEntryFactory,
    PoliticalStandardConclusionFactory,
    PositionFactory,
    PositionHoldingFactory,
)
from workflows.appointment import gates
from workflows.appointment.gates import Gate, blocking, evaluate_gates
from workflows.core import rules
from workflows.core.models import ParameterKey, RuleSet

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 15)
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def ruleset(code: str) -> RuleSet:
    return RuleSet.objects.get(code=code, version=1)


@pytest.fixture
def qd80():
    return ruleset("qd80-2022")


@pytest.fixture
def qd377():
    return ruleset("qd377-2025")


@pytest.fixture
def post():
    """The post to fill: head of a district office."""
    return PositionFactory(title="Trưởng phòng Nội vụ", level=PositionLevel.DISTRICT_OFFICE_HEAD)


@pytest.fixture
def cadre():
    """Born 17/05/1980, male: retires 31/05/2042."""
    return CadreFactory(date_of_birth=dt.date(1980, 5, 17))


def eligible(cadre, post, *, conclusion_on=dt.date(2026, 1, 10)):
    """Give ``cadre`` what every gate needs for ``post`` on ``ON``."""
    PlanningEntryFactory(cadre=cadre, position=post)
    PoliticalStandardConclusionFactory(cadre=cadre, concluded_on=conclusion_on)
    deputy = PositionFactory(level=PositionLevel.DISTRICT_OFFICE_DEPUTY)
    PositionHoldingFactory(cadre=cadre, position=deputy, started_on=dt.date(2021, 6, 1))


def gate(code, *, cadre, post, ruleset, on_date=ON, **kwargs):
    results = {
        r.code: r
        for r in evaluate_gates(
            cadre=cadre, position=post, ruleset=ruleset, on_date=on_date, **kwargs
        )
    }
    return results[code]


def citation(rs: RuleSet, key: ParameterKey) -> str:
    return rs.parameters.get(key=key).citation


# --------------------------------------------------------------------------- all together


def test_an_eligible_cadre_passes_every_gate_in_order(cadre, post, qd80):
    eligible(cadre, post)
    results = evaluate_gates(
        cadre=cadre, position=post, ruleset=qd80, on_date=ON, dossier_complete=True
    )
    assert [r.code for r in results] == [
        "planning",
        "time_in_post",
        "full_term",
        "discipline",
        "investigation",
        "political_standard",
        "dossier",
    ]
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]
    assert blocking(results) == []


def test_a_cadre_with_no_records_fails_planning_and_political_standard_only(cadre, post, qd377):
    results = evaluate_gates(cadre=cadre, position=post, ruleset=qd377, on_date=ON)
    assert {r.code for r in blocking(results)} == {"planning", "political_standard"}
    # No post held: first appointment, the time-in-post rule does not apply.
    time_in_post = next(r for r in results if r.code == "time_in_post")
    assert time_in_post.passed
    assert "does not apply" in time_in_post.message


def test_overridable_set_is_planning_time_in_post_and_full_term(cadre, post, qd80):
    InvestigationCaseFactory(cadre=cadre, opened_on=dt.date(2026, 1, 5))
    DisciplineRecordFactory(cadre=cadre, effective_on=dt.date(2026, 1, 1))
    results = evaluate_gates(
        cadre=cadre, position=post, ruleset=qd80, on_date=ON, dossier_complete=False
    )
    assert {r.code: r.overridable for r in results} == {
        "planning": True,
        "time_in_post": True,
        "full_term": True,
        "discipline": False,
        "investigation": False,
        "political_standard": False,
        "dossier": False,
    }


def test_blocking_drops_waived_overridable_gates_but_never_a_hard_one(cadre, post, qd80):
    eligible(cadre, post)
    cadre.planning_entries.all().delete()
    InvestigationCaseFactory(cadre=cadre, opened_on=dt.date(2026, 1, 5))
    results = evaluate_gates(cadre=cadre, position=post, ruleset=qd80, on_date=ON)
    assert {r.code for r in blocking(results)} == {"planning", "investigation"}
    still = blocking(results, overridden={"planning", "investigation"})
    assert [r.code for r in still] == ["investigation"]


def test_dossier_gate_only_when_completeness_is_known(cadre, post, qd80):
    codes = [r.code for r in evaluate_gates(cadre=cadre, position=post, ruleset=qd80, on_date=ON)]
    assert "dossier" not in codes
    incomplete = gate("dossier", cadre=cadre, post=post, ruleset=qd80, dossier_complete=False)
    assert not incomplete.passed
    assert qd80.title in incomplete.message
    assert incomplete.source == qd80.citation
    assert gate("dossier", cadre=cadre, post=post, ruleset=qd80, dossier_complete=True).passed


def test_gate_results_are_read_with_a_fixed_number_of_queries_when_prefetched(
    post, qd377, django_assert_num_queries
):
    for _ in range(3):
        person = CadreFactory()
        eligible(person, post)
        DisciplineRecordFactory(cadre=person)
        InvestigationCaseFactory(cadre=person, closed_on=dt.date(2025, 6, 1))
    people = list(Cadre.objects.prefetch_related(*gates.GATE_PREFETCH))
    rules.parameters(qd377)
    with django_assert_num_queries(0):
        for person in people:
            evaluate_gates(cadre=person, position=post, ruleset=qd377, on_date=ON)


# --------------------------------------------------------------------------- G1 planning


@pytest.mark.parametrize(
    ("level", "passes"),
    [
        (PositionLevel.DISTRICT_OFFICE_HEAD, True),  # equivalent (same level, another post)
        (PositionLevel.DISTRICT_HEAD, True),  # higher
        (PositionLevel.DISTRICT_OFFICE_DEPUTY, False),  # lower
    ],
)
def test_planning_for_another_post_counts_if_equivalent_or_higher(
    cadre, post, qd377, level, passes
):
    other = PositionFactory(title="Chức danh khác", level=level)
    PlanningEntryFactory(cadre=cadre, position=other)
    result = gate("planning", cadre=cadre, post=post, ruleset=qd377)
    assert result.passed is passes
    assert result.overridable
    assert "Chức danh khác" in result.message
    if passes:
        assert "equivalent or higher" in result.message
    else:
        assert "lower post" in result.message


def test_planning_for_the_post_itself_passes(cadre, post, qd377):
    PlanningEntryFactory(cadre=cadre, position=post, term_start_year=2025)
    result = gate("planning", cadre=cadre, post=post, ruleset=qd377)
    assert result.passed
    assert "2025–2030 plan for this post" in result.message
    assert result.source == qd377.citation


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"status": PlanningStatus.REMOVED, "removal_reason": "Chuyển công tác."}, "removed"),
        ({"status": PlanningStatus.PROPOSED}, "not approved"),
        ({"term_start_year": 2020, "term_end_year": 2025}, "2020–2025 plan"),  # expired
        ({"term_start_year": 2030, "term_end_year": 2035}, "has not started"),
    ],
)
def test_planning_entry_that_is_not_in_force_fails(cadre, post, qd80, fields, why):
    PlanningEntryFactory(cadre=cadre, position=post, **fields)
    result = gate("planning", cadre=cadre, post=post, ruleset=qd80)
    assert not result.passed
    assert why in result.message
    assert qd80.title in result.message


def test_planning_term_covers_its_last_year(cadre, post, qd80):
    PlanningEntryFactory(cadre=cadre, position=post, term_start_year=2020, term_end_year=2025)
    assert gate(
        "planning", cadre=cadre, post=post, ruleset=qd80, on_date=dt.date(2025, 12, 31)
    ).passed
    assert not gate(
        "planning", cadre=cadre, post=post, ruleset=qd80, on_date=dt.date(2026, 1, 1)
    ).passed


def test_removed_entry_does_not_hide_a_valid_one_for_an_equivalent_post(cadre, post, qd80):
    PlanningEntryFactory(cadre=cadre, position=post, status=PlanningStatus.REMOVED)
    PlanningEntryFactory(cadre=cadre, position=PositionFactory(level=post.level))
    assert gate("planning", cadre=cadre, post=post, ruleset=qd80).passed


def test_not_in_any_plan(cadre, post, qd80):
    result = gate("planning", cadre=cadre, post=post, ruleset=qd80)
    assert not result.passed
    assert "not in any plan" in result.message


# --------------------------------------------------------------------------- G2 time in post


@pytest.mark.parametrize("code", ["qd80-2022", "qd377-2025", "nd170-2025"])
def test_time_in_post_exactly_two_years_passes_one_day_less_fails(cadre, post, code):
    rs = ruleset(code)
    assert rules.get(rs, ParameterKey.MIN_YEARS_IN_POST) == 2
    current = PositionFactory(title="Phó Trưởng phòng", level=PositionLevel.DISTRICT_OFFICE_DEPUTY)
    PositionHoldingFactory(cadre=cadre, position=current, started_on=dt.date(2024, 3, 15))

    on_time = gate("time_in_post", cadre=cadre, post=post, ruleset=rs, on_date=ON)
    assert on_time.passed

    short = gate("time_in_post", cadre=cadre, post=post, ruleset=rs, on_date=ON - DAY)
    assert not short.passed
    assert short.overridable
    source = citation(rs, ParameterKey.MIN_YEARS_IN_POST)
    assert short.source == source
    assert short.message.startswith(
        f"2 years in the current or an equivalent post required ({source})"
    )
    assert "1 year 11 months 27 days" in short.message
    assert "Phó Trưởng phòng" in short.message


def test_time_in_post_from_a_leap_day_is_complete_on_28_february(cadre, post, qd80):
    PositionHoldingFactory(cadre=cadre, started_on=dt.date(2024, 2, 29))
    on_day = dt.date(2026, 2, 28)
    assert gate("time_in_post", cadre=cadre, post=post, ruleset=qd80, on_date=on_day).passed
    assert not gate(
        "time_in_post", cadre=cadre, post=post, ruleset=qd80, on_date=on_day - DAY
    ).passed


def test_time_in_an_equivalent_post_right_before_counts(cadre, post, qd80):
    level = PositionLevel.DISTRICT_OFFICE_DEPUTY
    PositionHoldingFactory(
        cadre=cadre,
        position=PositionFactory(level=level),
        started_on=dt.date(2023, 1, 1),
        ended_on=dt.date(2025, 6, 30),
    )
    PositionHoldingFactory(
        cadre=cadre, position=PositionFactory(level=level), started_on=dt.date(2025, 7, 1)
    )
    result = gate("time_in_post", cadre=cadre, post=post, ruleset=qd80)
    assert result.passed
    assert "since 01/01/2023" in result.message


def test_time_in_post_stops_at_a_gap_or_a_lower_post(cadre, post, qd80):
    level = PositionLevel.DISTRICT_OFFICE_DEPUTY
    PositionHoldingFactory(
        cadre=cadre,
        position=PositionFactory(level=level),
        started_on=dt.date(2023, 1, 1),
        ended_on=dt.date(2025, 6, 30),
    )
    PositionHoldingFactory(  # a lower post, adjacent: not equivalent
        cadre=cadre,
        position=PositionFactory(level=PositionLevel.COMMUNE_HEAD),
        started_on=dt.date(2020, 1, 1),
        ended_on=dt.date(2022, 12, 31),
    )
    PositionHoldingFactory(  # a day's gap after the equivalent post
        cadre=cadre, position=PositionFactory(level=level), started_on=dt.date(2025, 7, 2)
    )
    result = gate("time_in_post", cadre=cadre, post=post, ruleset=qd80)
    assert not result.passed
    assert "since 02/07/2025" in result.message


def test_time_in_post_is_measured_in_the_highest_post_held(cadre, post, qd80):
    PositionHoldingFactory(
        cadre=cadre,
        position=PositionFactory(level=PositionLevel.COMMUNE_HEAD),
        started_on=dt.date(2015, 1, 1),
    )
    PositionHoldingFactory(
        cadre=cadre,
        position=PositionFactory(title="Phó Chánh Văn phòng", level=post.level - 10),
        started_on=dt.date(2025, 9, 1),
    )
    result = gate("time_in_post", cadre=cadre, post=post, ruleset=qd80)
    assert not result.passed
    assert "Phó Chánh Văn phòng since 01/09/2025" in result.message


def test_an_ended_post_is_not_a_current_post(cadre, post, qd80):
    PositionHoldingFactory(
        cadre=cadre, started_on=dt.date(2025, 1, 1), ended_on=dt.date(2026, 3, 1)
    )
    result = gate("time_in_post", cadre=cadre, post=post, ruleset=qd80)
    assert result.passed
    assert "does not apply" in result.message


# --------------------------------------------------------------------------- G4 full term


def test_full_term_exactly_five_years_left_passes_one_day_less_fails(cadre, post, qd80):
    assert cadre.retirement_date == dt.date(2042, 5, 31)
    source = citation(qd80, ParameterKey.FULL_TERM_YEARS)

    exact = gate(
        "full_term", cadre=cadre, post=post, ruleset=qd80, dossier_received_on=dt.date(2037, 5, 31)
    )
    assert exact.passed

    late = gate(
        "full_term", cadre=cadre, post=post, ruleset=qd80, dossier_received_on=dt.date(2037, 6, 1)
    )
    assert not late.passed
    assert late.overridable
    assert late.source == source == "HD 06-HD/BTCTW (2021) [19]"
    assert late.message.startswith(f"5 years of service left required for a full term ({source})")
    assert "4 years 11 months 30 days" in late.message
    assert "31/05/2042" in late.message


def test_full_term_counts_from_the_dossier_receipt_not_the_evaluation_day(cadre, post, qd377):
    later = dt.date(2038, 1, 1)
    assert not gate("full_term", cadre=cadre, post=post, ruleset=qd377, on_date=later).passed
    assert gate(
        "full_term",
        cadre=cadre,
        post=post,
        ruleset=qd377,
        on_date=later,
        dossier_received_on=dt.date(2037, 5, 1),
    ).passed


def test_full_term_fails_for_a_cadre_retiring_within_the_term(post, qd377):
    near = CadreFactory(date_of_birth=dt.date(1970, 3, 20), gender="F")
    assert near.retirement_date == dt.date(2027, 7, 31)
    result = gate("full_term", cadre=near, post=post, ruleset=qd377)
    assert not result.passed
    assert "1 year 4 months 16 days" in result.message


def test_full_term_and_discipline_are_not_applied_to_an_equivalent_or_lower_move(post, qd377):
    near = CadreFactory(date_of_birth=dt.date(1970, 3, 20), gender="F")
    DisciplineRecordFactory(cadre=near, effective_on=dt.date(2026, 1, 1))
    results = evaluate_gates(
        cadre=near,
        position=post,
        ruleset=qd377,
        on_date=ON,
        first_appointment_or_higher=False,
    )
    codes = {r.code for r in results}
    assert "full_term" not in codes
    assert "discipline" not in codes
    assert {"planning", "time_in_post", "investigation", "political_standard"} <= codes


def test_first_appointment_or_higher_follows_the_posts_held(cadre, post):
    assert gates.is_first_appointment_or_higher(cadre=cadre, position=post, on_date=ON)
    holding = PositionHoldingFactory(
        cadre=cadre,
        position=PositionFactory(level=PositionLevel.DISTRICT_OFFICE_DEPUTY),
        started_on=dt.date(2022, 1, 1),
    )
    assert gates.is_first_appointment_or_higher(cadre=cadre, position=post, on_date=ON)
    equivalent = PositionHoldingFactory(cadre=cadre, position=PositionFactory(level=post.level))
    assert not gates.is_first_appointment_or_higher(cadre=cadre, position=post, on_date=ON)
    equivalent.delete()
    holding.position = PositionFactory(level=PositionLevel.DISTRICT_HEAD)  # holds a higher post
    holding.save()
    assert not gates.is_first_appointment_or_higher(cadre=cadre, position=post, on_date=ON)


# --------------------------------------------------------------------------- G6 discipline


COOLING_OFF = [
    # (rule-set, kind, months, first eligible day after a decision effective 31/01/2020)
    ("qd80-2022", DisciplineKind.REPRIMAND, 12, dt.date(2021, 1, 31)),
    ("qd80-2022", DisciplineKind.WARNING, 30, dt.date(2022, 7, 31)),
    ("qd80-2022", DisciplineKind.REMOVAL, 60, dt.date(2025, 1, 31)),
    ("qd377-2025", DisciplineKind.REPRIMAND, 24, dt.date(2022, 1, 31)),
    ("qd377-2025", DisciplineKind.WARNING, 36, dt.date(2023, 1, 31)),
    ("qd377-2025", DisciplineKind.REMOVAL, 60, dt.date(2025, 1, 31)),
]


@pytest.mark.parametrize(("code", "kind", "months", "ends"), COOLING_OFF)
def test_cooling_off_ends_exactly_n_months_after_the_effective_date(
    cadre, post, code, kind, months, ends
):
    rs = ruleset(code)
    assert rules.get(rs, ParameterKey.DISCIPLINE_COOLING_OFF)[kind.name.lower()] == months
    DisciplineRecordFactory(cadre=cadre, kind=kind, effective_on=dt.date(2020, 1, 31))

    assert gate("discipline", cadre=cadre, post=post, ruleset=rs, on_date=ends).passed
    barred = gate("discipline", cadre=cadre, post=post, ruleset=rs, on_date=ends - DAY)
    assert not barred.passed
    assert not barred.overridable
    source = citation(rs, ParameterKey.DISCIPLINE_COOLING_OFF)
    assert barred.source == source
    assert barred.message.startswith(f"{months} months must pass after a ")
    assert f"({source})" in barred.message
    assert f"effective 31/01/2020, eligible from {ends:%d/%m/%Y}" in barred.message


def test_qd377_bars_a_reprimand_twice_as_long_as_qd80(cadre, post, qd80, qd377):
    DisciplineRecordFactory(
        cadre=cadre, kind=DisciplineKind.REPRIMAND, effective_on=dt.date(2025, 3, 15)
    )
    assert gate("discipline", cadre=cadre, post=post, ruleset=qd80).passed
    under_377 = gate("discipline", cadre=cadre, post=post, ruleset=qd377)
    assert not under_377.passed
    assert "24 months must pass after a reprimand" in under_377.message
    assert "QĐ 377 [5]" in under_377.message


def test_the_discipline_whose_bar_ends_last_decides(cadre, post, qd80):
    DisciplineRecordFactory(  # warning 30 months: until 01/07/2026
        cadre=cadre, kind=DisciplineKind.WARNING, effective_on=dt.date(2024, 1, 1)
    )
    DisciplineRecordFactory(  # reprimand 12 months: until 01/02/2027
        cadre=cadre, kind=DisciplineKind.REPRIMAND, effective_on=dt.date(2026, 2, 1)
    )
    result = gate("discipline", cadre=cadre, post=post, ruleset=qd80)
    assert not result.passed
    assert "eligible from 01/02/2027" in result.message
    assert "reprimand" in result.message


# --------------------------------------------------------------------------- G7 investigation


@pytest.mark.parametrize("kind", list(InvestigationKind))
def test_an_open_case_of_any_kind_blocks_and_cannot_be_overridden(cadre, post, qd377, kind):
    InvestigationCaseFactory(cadre=cadre, kind=kind, opened_on=dt.date(2026, 2, 2))
    result = gate("investigation", cadre=cadre, post=post, ruleset=qd377)
    assert not result.passed
    assert not result.overridable
    assert "open since 02/02/2026" in result.message
    assert qd377.title in result.message
    assert result.source == qd377.citation
    assert blocking([result], overridden={"investigation"}) == [result]


def test_a_case_closed_by_the_day_does_not_block(cadre, post, qd377):
    InvestigationCaseFactory(cadre=cadre, opened_on=dt.date(2025, 5, 1), closed_on=ON)
    assert gate("investigation", cadre=cadre, post=post, ruleset=qd377).passed
    # The day before it closed, it was still open.
    assert not gate("investigation", cadre=cadre, post=post, ruleset=qd377, on_date=ON - DAY).passed


# --------------------------------------------------------------------------- G8 political standard


@pytest.mark.parametrize("code", ["qd80-2022", "qd377-2025", "nd170-2025"])
def test_conclusion_exactly_at_validity_passes_a_day_older_fails(cadre, post, code):
    rs = ruleset(code)
    months = rules.get(rs, ParameterKey.POLITICAL_STANDARD_VALIDITY)
    assert months == 6
    PoliticalStandardConclusionFactory(cadre=cadre, concluded_on=dt.date(2025, 9, 15))

    assert gate("political_standard", cadre=cadre, post=post, ruleset=rs).passed
    stale = gate("political_standard", cadre=cadre, post=post, ruleset=rs, on_date=ON + DAY)
    assert not stale.passed
    assert not stale.overridable
    source = citation(rs, ParameterKey.POLITICAL_STANDARD_VALIDITY)
    assert stale.source == source
    assert f"not older than 6 months required ({source})" in stale.message
    assert "15/09/2025, is 6 months 1 day old" in stale.message


def test_no_conclusion_fails(cadre, post, qd80):
    PoliticalStandardConclusionFactory(cadre=cadre, concluded_on=ON + DAY)  # not yet issued on ON
    result = gate("political_standard", cadre=cadre, post=post, ruleset=qd80)
    assert not result.passed
    assert "none on file" in result.message


@pytest.mark.parametrize(
    ("older", "newer", "passes"),
    [
        (PoliticalStandardOutcome.MEETS, PoliticalStandardOutcome.DOES_NOT_MEET, False),
        (PoliticalStandardOutcome.DOES_NOT_MEET, PoliticalStandardOutcome.MEETS, True),
    ],
)
def test_the_latest_conclusion_decides(cadre, post, qd80, older, newer, passes):
    PoliticalStandardConclusionFactory(
        cadre=cadre, concluded_on=dt.date(2025, 12, 1), outcome=older
    )
    PoliticalStandardConclusionFactory(cadre=cadre, concluded_on=dt.date(2026, 2, 1), outcome=newer)
    result = gate("political_standard", cadre=cadre, post=post, ruleset=qd80)
    assert result.passed is passes
    if not passes:
        assert "not met" in result.message


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (dt.date(2024, 11, 15), dt.date(2026, 3, 15), "1 year 4 months"),
        (dt.date(2026, 3, 15), dt.date(2026, 3, 15), "0 days"),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), "1 year"),  # clamped, as the gates count
        (dt.date(2025, 1, 31), dt.date(2025, 2, 28), "1 month"),  # 31/01 + 1 month = 28/02
        (dt.date(2021, 3, 14), dt.date(2026, 3, 15), "5 years 1 day"),
    ],
)
def test_format_duration(start, end, text):
    assert gates.format_duration(gates.elapsed(start, end)) == text


def test_every_gate_has_a_label():
    assert set(gates.LABELS) == set(Gate)
