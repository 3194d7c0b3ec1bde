"""The training gates (domain §5), each at its boundary: age 45 vs 46 at the first
post-graduate dispatch, three years of service vs two years 364 days, two well-completed years
vs one, the level the course leads to, the planning pool and its written exception, discipline
and investigation, the commitment's multiple — read from the rule-set, so a 2022 rule-set
keeps its own numbers."""

import datetime as dt

import pytest
from django.utils import timezone

from personnel.models import (
    DisciplineKind,
    EducationLevel,
    EvaluationLevel,
    PlanningStatus,
    PoliticalTheoryLevel,
    StateManagementLevel,
    TrainingKind,
)
from tests.factories import (
    CadreFactory,
    DisciplineRecordFactory,
    InvestigationCaseFactory,
    PlanningEntryFactory,
    PositionFactory,
)
from tests.workflows.ballot_kit import ruleset
from tests.workflows.training.kit import eligible_cadre, years_before
from workflows.training import gates
from workflows.training.gates import CommitmentTerms, Gate, Stage
from workflows.training.models import Course

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate

MASTER = Course(kind=TrainingKind.DEGREE, level=EducationLevel.MASTER, months=24, title="ThS")
DOCTOR = Course(kind=TrainingKind.DEGREE, level=EducationLevel.DOCTOR, months=36, title="TS")
ADVANCED = Course(
    kind=TrainingKind.POLITICAL_THEORY, level=PoliticalTheoryLevel.ADVANCED, months=8, title="CC"
)
FOSTERING = Course(kind=TrainingKind.FOSTERING, level=None, months=1, title="BD")


@pytest.fixture
def rules():
    return ruleset("qd377-2025")


@pytest.fixture
def post(district_a):
    return PositionFactory(unit=district_a)


def _gate(cadre, course, rules, code, *, on=None, **kwargs):
    results = gates.evaluate(
        cadre=cadre, course=course, ruleset=rules, on_date=on or TODAY(), **kwargs
    )
    return next(r for r in results if r.code == code)


# --------------------------------------------------------------------------- post-graduate


def test_post_graduate_gates_apply_to_master_and_doctor_only(district_a, post, rules):
    cadre = eligible_cadre(district_a, "A", planned_for=post)
    codes = lambda course: [  # noqa: E731
        r.code for r in gates.evaluate(cadre=cadre, course=course, ruleset=rules, on_date=TODAY())
    ]
    assert codes(ADVANCED) == ["planning", "level", "discipline", "investigation"]
    assert codes(MASTER) == [
        "planning",
        "level",
        "discipline",
        "investigation",
        "service",
        "good_years",
        "age",
        "commitment",
    ]


def test_age_45_passes_and_46_fails_at_a_first_post_graduate_dispatch(district_a, rules):
    today = TODAY()
    at_45 = eligible_cadre(district_a, "45")
    at_45.date_of_birth = years_before(today, 46) + dt.timedelta(days=1)  # 46 tomorrow
    at_46 = eligible_cadre(district_a, "46")
    at_46.date_of_birth = years_before(today, 46)  # 46 today
    passed = _gate(at_45, MASTER, rules, Gate.AGE)
    failed = _gate(at_46, MASTER, rules, Gate.AGE)
    assert passed.passed and "45 years old" in passed.message
    assert not failed.passed
    assert "At most 45 years old" in failed.message and "46 on" in failed.message
    assert failed.source == "NĐ 171/2025/NĐ-CP [81]" and failed.unverified  # Party rule-set
    assert failed.blocks(Stage.LIST)


def test_the_age_limit_is_for_the_first_post_graduate_dispatch_only(district_a, rules):
    master = eligible_cadre(district_a, "ThS", age=50, education_level=EducationLevel.MASTER)
    result = _gate(master, DOCTOR, rules, Gate.AGE)
    assert result.passed and "does not apply" in result.message


def test_the_2022_rule_set_keeps_its_own_age_limit(district_a):
    cadre = eligible_cadre(district_a, "42", age=42)
    assert _gate(cadre, MASTER, ruleset("qd377-2025"), Gate.AGE).passed
    old = _gate(cadre, MASTER, ruleset("qd80-2022"), Gate.AGE)
    assert not old.passed and "At most 40" in old.message
    assert old.source == "NĐ 101/2017/NĐ-CP [82]"


def test_three_years_of_service_pass_and_two_years_364_days_fail(district_a, rules):
    today = TODAY()
    three = eligible_cadre(district_a, "3", service_since=years_before(today, 3))
    short = eligible_cadre(
        district_a, "2y364d", service_since=years_before(today, 3) + dt.timedelta(days=1)
    )
    assert _gate(three, MASTER, rules, Gate.SERVICE).passed
    failed = _gate(short, MASTER, rules, Gate.SERVICE)
    assert not failed.passed
    assert "3 years of service required" in failed.message
    assert "2 years 11 months" in failed.message


def test_service_needs_a_post_on_record(district_a, rules):
    cadre = CadreFactory(unit=district_a)
    failed = _gate(cadre, MASTER, rules, Gate.SERVICE)
    assert not failed.passed and "no post held on record" in failed.message


def test_two_well_completed_years_pass_and_one_fails(district_a, rules):
    year = TODAY().year
    two = eligible_cadre(district_a, "2", good_years=2)
    one = eligible_cadre(district_a, "1", good_years=1)
    assert _gate(two, MASTER, rules, Gate.GOOD_YEARS).passed
    failed = _gate(one, MASTER, rules, Gate.GOOD_YEARS)
    assert not failed.passed
    assert f"{year - 2}: no yearly rating" in failed.message
    # "Completed" (below "well completed") does not count either
    from personnel.services import evaluation_result_add

    evaluation_result_add(actor=None, cadre=one, year=year - 2, level=EvaluationLevel.COMPLETED)
    one = type(one).objects.get(pk=one.pk)
    failed = _gate(one, MASTER, rules, Gate.GOOD_YEARS)
    assert not failed.passed and f"{year - 2}: Completed tasks" in failed.message
    excellent = eligible_cadre(district_a, "E", good_years=0)
    for y in (year - 1, year - 2):
        evaluation_result_add(actor=None, cadre=excellent, year=y, level=EvaluationLevel.EXCELLENT)
    assert _gate(excellent, MASTER, rules, Gate.GOOD_YEARS).passed


def test_the_commitment_covers_the_multiple_of_the_study_time(district_a, rules):
    cadre = eligible_cadre(district_a, "C")
    missing = _gate(cadre, MASTER, rules, Gate.COMMITMENT)
    assert not missing.passed
    assert "at least 72 months (3 × 24 months" in missing.message
    assert not missing.blocks(Stage.LIST) and missing.blocks(Stage.DISPATCH)
    short = _gate(cadre, MASTER, rules, Gate.COMMITMENT, commitment=CommitmentTerms(71, TODAY()))
    assert not short.passed and "71 months signed" in short.message
    enough = _gate(cadre, MASTER, rules, Gate.COMMITMENT, commitment=CommitmentTerms(72, TODAY()))
    assert enough.passed


# --------------------------------------------------------------------------- every course


def test_the_course_must_raise_the_level_held(district_a, rules):
    cadre = eligible_cadre(district_a, "L")  # intermediate political theory, specialist
    assert _gate(cadre, ADVANCED, rules, Gate.LEVEL).passed
    same = Course(
        kind=TrainingKind.POLITICAL_THEORY,
        level=PoliticalTheoryLevel.INTERMEDIATE,
        months=6,
        title="TC",
    )
    failed = _gate(cadre, same, rules, Gate.LEVEL)
    assert not failed.passed
    assert "holds Intermediate, the course leads to Intermediate" in failed.message
    specialist = Course(
        kind=TrainingKind.STATE_MANAGEMENT,
        level=StateManagementLevel.SPECIALIST,
        months=2,
        title="CV",
    )
    assert not _gate(cadre, specialist, rules, Gate.LEVEL).passed
    assert _gate(cadre, FOSTERING, rules, Gate.LEVEL).passed


def test_in_the_planning_pool_or_an_exception_with_its_reason(district_a, post, rules):
    planned = eligible_cadre(district_a, "P", planned_for=post)
    outside = eligible_cadre(district_a, "O")
    assert _gate(planned, ADVANCED, rules, Gate.PLANNING).passed
    failed = _gate(outside, ADVANCED, rules, Gate.PLANNING)
    assert not failed.passed and not failed.waived and failed.blocks()
    assert "Give the reason" in failed.message
    waived = _gate(outside, ADVANCED, rules, Gate.PLANNING, off_plan_reason="Nguồn cán bộ nữ trẻ")
    assert not waived.passed and waived.waived and not waived.blocks(Stage.DISPATCH)
    assert "Nguồn cán bộ nữ trẻ" in waived.message


def test_only_an_approved_plan_not_yet_over_counts(district_a, post, rules):
    year = TODAY().year
    cadre = eligible_cadre(district_a, "X")
    PlanningEntryFactory(
        cadre=cadre, position=post, term_start_year=year - 6, term_end_year=year - 1
    )
    PlanningEntryFactory(
        cadre=cadre,
        position=PositionFactory(unit=district_a),
        term_start_year=year,
        term_end_year=year + 5,
        status=PlanningStatus.PROPOSED,
    )
    assert not _gate(cadre, ADVANCED, rules, Gate.PLANNING).passed
    # the plan for the next term counts: training prepares for it
    PlanningEntryFactory(
        cadre=cadre,
        position=PositionFactory(unit=district_a),
        term_start_year=year + 4,
        term_end_year=year + 9,
    )
    cadre = type(cadre).objects.get(pk=cadre.pk)
    assert _gate(cadre, ADVANCED, rules, Gate.PLANNING).passed


def test_not_within_a_discipline_period(district_a, rules):
    today = TODAY()
    cadre = eligible_cadre(district_a, "D")
    # QĐ 377 rule-set: 24 months for a reprimand
    record = DisciplineRecordFactory(
        cadre=cadre,
        kind=DisciplineKind.REPRIMAND,
        effective_on=years_before(today, 2) + dt.timedelta(days=1),
    )
    failed = _gate(cadre, ADVANCED, rules, Gate.DISCIPLINE)
    assert not failed.passed and "24 months for a reprimand" in failed.message
    record.effective_on = years_before(today, 2)
    record.save()
    cadre = type(cadre).objects.get(pk=cadre.pk)
    assert _gate(cadre, ADVANCED, rules, Gate.DISCIPLINE).passed


def test_not_while_under_investigation(district_a, rules):
    today = TODAY()
    cadre = eligible_cadre(district_a, "I")
    case = InvestigationCaseFactory(cadre=cadre, opened_on=today - dt.timedelta(days=10))
    failed = _gate(cadre, FOSTERING, rules, Gate.INVESTIGATION)
    assert not failed.passed and "open since" in failed.message
    case.closed_on = today
    case.save()
    cadre = type(cadre).objects.get(pk=cadre.pk)
    assert _gate(cadre, FOSTERING, rules, Gate.INVESTIGATION).passed
