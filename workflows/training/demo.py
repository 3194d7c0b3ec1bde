"""Demo training plans (issue #8): the province's plan for this year, approved, with its cadres
at every stage of their dispatch, and next year's plan awaiting the standing committee chair's
approval.

Everything is done through the services, as the people would do it on their pages: the
province organisation board (``tochuc``) opens the plans, adds the courses and the seats,
proposes the candidates and submits the lists; the Party secretary (``chutich``), who chairs the
standing committee, approves this year's list (leaving one candidate out, with the reason); the
board then records each dispatch as far as its stage. So the plans have their tasks, deadlines,
audit events and notifications.

- **This year's plan**: advanced political theory, the principal-specialist state-management
  course, a master's degree and a fostering course; seats for the province, and for Cao Lãnh on
  the fostering course (``canbo`` takes one of them). Candidates are cadres of the planning pool
  whom every gate lets through, women and young cadres first; demo logins are never proposed,
  except ``canbo`` for the fostering course.
- **Stages**: the state-management course completed (its decision and study dated in the past
  weeks: a ``TrainingRecord`` and the level raised), an advanced political-theory student
  enrolled, a master's student sent with the written commitment signed, ``canbo`` sent to the
  fostering course (and told), the others awaiting their dispatch decision, one master's
  candidate not approved.
- **Next year's plan**: submitted, awaiting ``chutich``'s approval.

The plans are keyed by unit and year: one that exists is left as it is, so running the seed
again creates nothing (and never undoes what people did since). Demo mode only: the command
checks ``CADREFLOW_DEMO_MODE``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from personnel.demo import DEMO_USERS, ROOT_CODE
from personnel.models import (
    Cadre,
    EducationLevel,
    OrgUnit,
    PoliticalTheoryLevel,
    StateManagementLevel,
    TrainingKind,
    User,
)
from personnel.selectors import cadres_for_user
from workflows.core.errors import Refused

from . import gates as training_gates
from . import selectors, services
from .models import Course, Dispatch, TrainingPlan

BOARD, CHAIR, CADRE = "tochuc", "chutich", "canbo"
CAOLANH = "demo-caolanh"
NOTE = "Kế hoạch đào tạo, bồi dưỡng cán bộ diện Ban Thường vụ Tỉnh ủy quản lý năm {year}."
NOT_APPROVED = "Chưa bố trí được người thay thế trong thời gian đi học dài hạn."
_ADVISORY_LOCK = 0x5EED_7A10  # serialises two runs


@dataclass(frozen=True)
class CourseSpec:
    kind: str
    level: int | None
    title: str
    months: int
    institution: str
    seats: int
    proposed: int


THIS_YEAR = (
    CourseSpec(
        TrainingKind.STATE_MANAGEMENT,
        StateManagementLevel.PRINCIPAL_SPECIALIST,
        "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên chính",
        2,
        "Trường Chính trị tỉnh Đồng Tháp",
        3,
        2,
    ),
    CourseSpec(
        TrainingKind.POLITICAL_THEORY,
        PoliticalTheoryLevel.ADVANCED,
        "Cao cấp lý luận chính trị",
        8,
        "Học viện Chính trị khu vực IV",
        3,
        2,
    ),
    CourseSpec(
        TrainingKind.DEGREE,
        EducationLevel.MASTER,
        "Thạc sĩ Quản lý công",
        24,
        "Học viện Hành chính Quốc gia",
        2,
        2,
    ),
    CourseSpec(
        TrainingKind.FOSTERING,
        None,
        "Bồi dưỡng kỹ năng lãnh đạo, quản lý cấp phòng",
        1,
        "Trường Chính trị tỉnh Đồng Tháp",
        2,
        1,
    ),
)
NEXT_YEAR = (
    CourseSpec(
        TrainingKind.POLITICAL_THEORY,
        PoliticalTheoryLevel.ADVANCED,
        "Cao cấp lý luận chính trị (hệ không tập trung)",
        20,
        "Trường Chính trị tỉnh Đồng Tháp",
        3,
        2,
    ),
    CourseSpec(
        TrainingKind.STATE_MANAGEMENT,
        StateManagementLevel.SENIOR_SPECIALIST,
        "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên cao cấp",
        3,
        "Học viện Hành chính Quốc gia",
        2,
        1,
    ),
)


class DemoMissing(Exception):
    """``seed_demo`` has not run (or its logins or committees were removed)."""


class _Skip(Exception):
    pass


@dataclass
class SeedResult:
    created: list[TrainingPlan] = field(default_factory=list)
    present: list[TrainingPlan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def existing(year: int) -> TrainingPlan | None:
    return TrainingPlan.objects.filter(unit__code=ROOT_CODE, year=year).order_by("pk").first()


def seed_demo_training() -> SeedResult:
    """Create this year's and next year's plans unless they exist, each in its own
    transaction."""
    demo = _Demo()
    result = SeedResult()
    year = demo.today.year
    for plan_year, build in ((year, demo.build_this_year), (year + 1, demo.build_next_year)):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
                found = existing(plan_year)
                plan = found or build(plan_year)
        except _Skip as skip:
            result.warnings.append(str(skip))
        except Refused as refused:  # a service said no: report it, leave nothing half-built
            result.warnings.append(f"refused: {refused.message}")
        else:
            (result.present if found else result.created).append(plan)
    return result


class _Demo:
    def __init__(self):
        try:
            self.board = User.objects.get(username=BOARD, is_active=True)
            self.chair = User.objects.get(username=CHAIR, is_active=True)
            self.root = OrgUnit.objects.get(code=ROOT_CODE)
            self.caolanh = OrgUnit.objects.get(code=CAOLANH)
        except (User.DoesNotExist, OrgUnit.DoesNotExist) as missing:
            raise DemoMissing(str(missing)) from missing
        self.cadre_login = Cadre.objects.filter(user__username=CADRE).first()
        standing = selectors.standing_for(self.root)
        if standing is None or selectors.chair_of(standing) != self.chair:
            raise DemoMissing(f"{CHAIR!r} does not chair the province standing committee")
        self.today = timezone.localdate()
        self.logins = {d.username for d in DEMO_USERS}
        self.taken: set[int] = set()

    # ----------------------------------------------------------------- this year

    def build_this_year(self, year: int) -> TrainingPlan:
        plan, courses = self._plan(year, THIS_YEAR)
        services.quota_set(
            actor=self.board, plan=plan, course=courses[3], unit=self.caolanh, seats=2
        )
        chosen = self._propose(plan, courses, THIS_YEAR)
        if self.cadre_login is not None:
            chosen[3].insert(0, self._propose_login(plan, courses[3]))
        services.plan_submit(actor=self.board, plan=plan)
        master = chosen[2]
        services.plan_decide(
            actor=self.chair,
            plan=plan,
            approve=True,
            decision_ref=f"{140 + year % 100}-QĐ/TU",
            exclude=[master[-1].pk] if len(master) > 1 else [],
            note=NOT_APPROVED if len(master) > 1 else "",
        )
        self._stages(chosen)
        return TrainingPlan.objects.get(pk=plan.pk)

    def _stages(self, chosen) -> None:
        today = self.today
        completed, enrolled, sent = chosen[0][0], chosen[1][0], chosen[2][0]
        # The state-management course, done in the past weeks: recorded and the level raised.
        dispatch = self._dispatch(completed)
        decided = today - dt.timedelta(days=80)
        self._decide(dispatch, decided)
        services.dispatch_enrol(
            actor=self.board,
            dispatch=dispatch,
            institution=dispatch.course.institution,
            starts_on=decided + dt.timedelta(days=5),
        )
        services.dispatch_complete(
            actor=self.board,
            dispatch=dispatch,
            ended_on=today - dt.timedelta(days=10),
            result="Hoàn thành chương trình, xếp loại Giỏi.",
        )
        # Advanced political theory: studying since a fortnight.
        dispatch = self._dispatch(enrolled)
        self._decide(dispatch, today - dt.timedelta(days=20))
        services.dispatch_enrol(
            actor=self.board,
            dispatch=dispatch,
            institution=dispatch.course.institution,
            starts_on=today - dt.timedelta(days=14),
        )
        # The master's degree: the commitment signed, the decision issued today.
        dispatch = self._dispatch(sent)
        need, _multiple = training_gates.minimum_commitment(dispatch.course, dispatch.plan.ruleset)
        services.commitment_record(
            actor=self.board,
            dispatch=dispatch,
            signed_on=today,
            months=need,
            reference=f"CK-{dispatch.cadre_id}",
        )
        self._decide(dispatch, today)
        # ``canbo`` is sent to the fostering course (and told).
        fostering = [c for c in chosen[3] if c.cadre.user_id]
        if fostering:
            self._decide(self._dispatch(fostering[0]), today)

    # ----------------------------------------------------------------- next year

    def build_next_year(self, year: int) -> TrainingPlan:
        plan, courses = self._plan(year, NEXT_YEAR)
        self._propose(plan, courses, NEXT_YEAR)
        services.plan_submit(actor=self.board, plan=plan)
        return TrainingPlan.objects.get(pk=plan.pk)

    # ----------------------------------------------------------------- helpers

    def _plan(self, year: int, specs) -> tuple[TrainingPlan, list[Course]]:
        plan = services.plan_open(
            actor=self.board, unit=self.root, year=year, note=NOTE.format(year=year)
        )
        courses = []
        for spec in specs:
            course = services.course_add(
                actor=self.board,
                plan=plan,
                kind=spec.kind,
                level=spec.level,
                title=spec.title,
                months=spec.months,
                institution=spec.institution,
            )
            services.quota_set(
                actor=self.board, plan=plan, course=course, unit=self.root, seats=spec.seats
            )
            courses.append(course)
        return plan, courses

    def _propose(self, plan, courses, specs) -> list[list]:
        """For each course, the first cadres of the planning pool (women and young first)
        whom every gate lets through — on the day of the decision too, for the dispatches
        dated in the past weeks."""
        pool = list(
            cadres_for_user(user=self.board)
            .filter(unit__path__startswith=self.root.path)
            .exclude(unit__path__startswith=self.caolanh.path)
            .exclude(user__username__in=self.logins)
            .select_related("unit")
            .prefetch_related(*training_gates.GATE_PREFETCH)
            .order_by("full_name", "pk")
        )
        chosen = []
        for course, spec in zip(courses, specs, strict=True):
            picked = []
            rows = []
            for cadre in pool:
                if cadre.pk in self.taken or not self._passes(plan, course, cadre):
                    continue
                flags = selectors.priority(cadre, plan.ruleset, cadre.unit, self.today)
                rows.append((-flags.rank, cadre.full_name, cadre.pk, cadre))
            for *_key, cadre in sorted(rows)[: spec.proposed]:
                picked.append(
                    services.candidate_propose(
                        actor=self.board, plan=plan, course=course, cadre=cadre
                    )
                )
                self.taken.add(cadre.pk)
            if not picked:
                raise _Skip(f"no demo cadre passes the training gates for {course.title}")
            chosen.append(picked)
        return chosen

    def _passes(self, plan, course, cadre) -> bool:
        days = (self.today, self.today - dt.timedelta(days=80))
        for day in days:
            results = training_gates.evaluate(
                cadre=cadre, course=course, ruleset=plan.ruleset, on_date=day
            )
            if training_gates.blocking(results) or not results[0].passed:
                return False
        return True

    def _propose_login(self, plan, course):
        cadre = self.cadre_login
        planning = training_gates.planning_gate(cadre, self.today)
        return services.candidate_propose(
            actor=self.board,
            plan=plan,
            course=course,
            cadre=cadre,
            off_plan_reason=""
            if planning.passed
            else "Bồi dưỡng kỹ năng quản lý cho lãnh đạo cấp phòng.",
        )

    def _dispatch(self, candidate) -> Dispatch:
        return Dispatch.objects.get(candidate=candidate)

    def _decide(self, dispatch: Dispatch, on: dt.date) -> None:
        services.dispatch_decide(
            actor=self.board,
            dispatch=dispatch,
            decision_ref=f"{300 + dispatch.pk % 600}-QĐ/TU",
            decided_on=on,
            signed_by="Phó Bí thư Thường trực Tỉnh ủy",
        )


__all__ = ["DemoMissing", "SeedResult", "existing", "seed_demo_training"]
