"""Building blocks for the training tests: a unit with its standing committee (whose chair
approves the list) and organisation board, cadres that every gate lets through (in the
planning pool, three years of service, two good years, a bachelor under 45), and helpers that
walk a plan to its dispatches.

Plain functions and one builder, so each test module says what it builds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from personnel.models import (
    CommitteeKind,
    EducationLevel,
    EvaluationLevel,
    Gender,
    PoliticalTheoryLevel,
    PositionLevel,
    StateManagementLevel,
    TrainingKind,
)
from personnel.services import evaluation_result_add
from tests.factories import (
    CadreFactory,
    PlanningEntryFactory,
    PositionFactory,
    PositionHoldingFactory,
    UserFactory,
    member_of,
)
from tests.workflows.ballot_kit import START, Body, board_staff, body_with_members
from workflows.training import services
from workflows.training.models import Course, Dispatch, TrainingPlan

TODAY = timezone.localdate


@dataclass
class World:
    unit: object
    standing: Body
    staff: object
    staff2: object
    post: object
    cadres: list = field(default_factory=list)

    @property
    def chair(self):
        return self.standing.chair


def years_before(day: dt.date, years: int, days: int = 0) -> dt.date:
    try:
        moved = day.replace(year=day.year - years)
    except ValueError:
        moved = day.replace(year=day.year - years, day=28)
    return moved - dt.timedelta(days=days)


def eligible_cadre(
    unit,
    name: str,
    *,
    age: int = 38,
    gender: str = Gender.MALE,
    planned_for=None,
    user=None,
    service_since: dt.date | None = None,
    good_years: int = 2,
    **fields,
):
    """A cadre whom every gate lets through for any course above their levels: in the approved
    plan for ``planned_for`` (a post), in post for five years, rated "well completed" in each
    of the last ``good_years`` years, ``age`` years old today, a bachelor with intermediate
    political theory and the specialist state-management course."""
    today = TODAY()
    born = years_before(today, age, days=10)
    fields.setdefault("education_level", EducationLevel.BACHELOR)
    fields.setdefault("political_theory_level", PoliticalTheoryLevel.INTERMEDIATE)
    fields.setdefault("state_management_level", StateManagementLevel.SPECIALIST)
    cadre = CadreFactory(
        unit=unit, full_name=name, date_of_birth=born, gender=gender, user=user, **fields
    )
    office = PositionFactory(unit=unit, level=PositionLevel.DISTRICT_OFFICE_DEPUTY)
    PositionHoldingFactory(
        cadre=cadre,
        position=office,
        started_on=service_since or years_before(today, 5),
    )
    if planned_for is not None:
        PlanningEntryFactory(
            cadre=cadre,
            position=planned_for,
            term_start_year=today.year - 1,
            term_end_year=today.year + 4,
        )
    for i in range(1, good_years + 1):
        evaluation_result_add(
            actor=None, cadre=cadre, year=today.year - i, level=EvaluationLevel.GOOD
        )
    return cadre


def build_world(unit, *, n_cadres: int = 4, standing_size: int = 4) -> World:
    standing = body_with_members(unit, standing_size, kind=CommitteeKind.STANDING)
    staff = board_staff(unit)
    staff2 = member_of(staff.memberships.first().committee, started_on=START)
    post = PositionFactory(
        unit=unit,
        title="Phó Chủ tịch UBND",
        level=PositionLevel.DISTRICT_DEPUTY,
        managing_committee=standing.committee,
    )
    cadres = [
        eligible_cadre(unit, f"Cán bộ {chr(65 + i)}", planned_for=post) for i in range(n_cadres)
    ]
    return World(unit=unit, standing=standing, staff=staff, staff2=staff2, post=post, cadres=cadres)


def open_plan(world: World, **kwargs) -> TrainingPlan:
    kwargs.setdefault("year", TODAY().year)
    return services.plan_open(actor=world.staff, unit=world.unit, **kwargs)


def refresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def course(
    world: World,
    plan,
    *,
    kind=TrainingKind.POLITICAL_THEORY,
    level=None,
    months=None,
    title=None,
    seats=2,
    unit=None,
) -> Course:
    """A course with ``seats`` for ``unit`` (the plan's unit by default)."""
    defaults = {
        TrainingKind.POLITICAL_THEORY: (
            PoliticalTheoryLevel.ADVANCED,
            8,
            "Cao cấp lý luận chính trị",
        ),
        TrainingKind.STATE_MANAGEMENT: (
            StateManagementLevel.PRINCIPAL_SPECIALIST,
            2,
            "Chuyên viên chính",
        ),
        TrainingKind.DEGREE: (EducationLevel.MASTER, 24, "Thạc sĩ Quản lý công"),
        TrainingKind.FOSTERING: (None, 1, "Bồi dưỡng kỹ năng lãnh đạo"),
    }[kind]
    result = services.course_add(
        actor=world.staff,
        plan=plan,
        kind=kind,
        level=level if level is not None else defaults[0],
        months=months or defaults[1],
        title=title or defaults[2],
    )
    if seats:
        services.quota_set(
            actor=world.staff, plan=plan, course=result, unit=unit or world.unit, seats=seats
        )
    return result


def propose(world: World, plan, course_, cadre, **kwargs):
    return services.candidate_propose(
        actor=world.staff, plan=plan, course=course_, cadre=cadre, **kwargs
    )


def approved(world: World, plan, **kwargs) -> TrainingPlan:
    """Submit the list (``staff``) and approve it (the chair)."""
    services.plan_submit(actor=world.staff, plan=plan)
    kwargs.setdefault("decision_ref", "12-QĐ/TU")
    return services.plan_decide(actor=world.chair, plan=plan, approve=True, **kwargs)


def dispatch_of(candidate) -> Dispatch:
    return Dispatch.objects.get(candidate=candidate)


def sent(world: World, dispatch, *, on=None, commitment_months=None) -> Dispatch:
    """Record the commitment (post-graduate) and the dispatch decision."""
    on = on or TODAY()
    if dispatch.course.is_postgraduate:
        services.commitment_record(
            actor=world.staff,
            dispatch=dispatch,
            signed_on=on,
            months=commitment_months or dispatch.course.months * 3,
            reference="CK-01",
        )
    return services.dispatch_decide(
        actor=world.staff, dispatch=dispatch, decision_ref="99-QĐ/TU", decided_on=on
    )


def enrolled(world: World, dispatch, *, starts_on=None) -> Dispatch:
    return services.dispatch_enrol(
        actor=world.staff,
        dispatch=dispatch,
        institution="Học viện Chính trị khu vực IV",
        starts_on=starts_on or TODAY(),
    )


__all__ = ["UserFactory", "World"]
