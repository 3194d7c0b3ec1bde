"""Building blocks for the rotation tests: a province whose organisation board drafts the plan
and whose standing committee votes on it (its chair signs the decisions), two districts each
with its own organisation board and standing committee (sending and receiving units), posts,
cadres every gate lets through, and helpers that walk a cadre from the plan to the placement.

Plain functions and one builder, so each test module says what it builds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from personnel.models import CommitteeKind, PositionLevel
from tests.factories import CadreFactory, PositionFactory, PositionHoldingFactory, member_of
from tests.workflows.ballot_kit import START, Body, board_staff, body_with_members
from tests.workflows.planning.kit import approve_everything, run_meeting
from workflows.rotation import services
from workflows.rotation.models import (
    Direction,
    DossierKind,
    Movement,
    Opinion,
    Placement,
    RotationPlan,
    Side,
)


def today() -> dt.date:
    return timezone.localdate()


@dataclass
class District:
    unit: object
    board: object  # organisation-board staff of the district
    standing: Body


@dataclass
class World:
    province: object
    standing: Body  # the province standing committee: votes; its chair signs
    staff: object  # province organisation board
    staff2: object  # a second member of the province board
    sending: District
    receiving: District
    from_post: object
    to_post: object
    to_lower: object  # a lower post at the destination
    spare_post: object  # another post for a "new post" placement

    @property
    def chair(self):
        return self.standing.chair


def _district(unit) -> District:
    return District(
        unit=unit,
        board=board_staff(unit),
        standing=body_with_members(unit, 3, kind=CommitteeKind.STANDING),
    )


def build_world(province, district_a, district_b) -> World:
    standing = body_with_members(province, 5, kind=CommitteeKind.STANDING)
    staff = board_staff(province)
    staff2 = member_of(staff.memberships.first().committee, started_on=START)
    return World(
        province=province,
        standing=standing,
        staff=staff,
        staff2=staff2,
        sending=_district(district_a),
        receiving=_district(district_b),
        from_post=PositionFactory(
            unit=district_a, title="Phó Bí thư Thành ủy", level=PositionLevel.DISTRICT_DEPUTY
        ),
        to_post=PositionFactory(
            unit=district_b, title="Phó Chủ tịch UBND huyện", level=PositionLevel.DISTRICT_DEPUTY
        ),
        to_lower=PositionFactory(
            unit=district_b, title="Trưởng phòng Nội vụ", level=PositionLevel.DISTRICT_OFFICE_HEAD
        ),
        spare_post=PositionFactory(
            unit=province,
            title="Phó Giám đốc Sở Nội vụ",
            level=PositionLevel.PROVINCE_OFFICE_DEPUTY,
        ),
    )


def cadre_at(post, name: str = "Trần Văn Luân", *, born=dt.date(1985, 4, 10), user=None, **kw):
    """A cadre of the post's unit holding ``post`` for three years."""
    cadre = CadreFactory(unit=post.unit, full_name=name, date_of_birth=born, user=user, **kw)
    PositionHoldingFactory(cadre=cadre, position=post, started_on=today() - relativedelta(years=3))
    return cadre


def open_plan(world: World, **kwargs) -> RotationPlan:
    kwargs.setdefault("title", "Kế hoạch luân chuyển cán bộ 2026–2030")
    kwargs.setdefault("period_start", 2026)
    kwargs.setdefault("period_end", 2030)
    return services.plan_open(actor=world.staff, unit=world.province, **kwargs)


def add(world: World, plan, cadre, *, to=None, months: int = 36, **kwargs) -> Movement:
    kwargs.setdefault("direction", Direction.BETWEEN_LOCALITIES)
    kwargs.setdefault("reason", "Đào tạo, rèn luyện qua thực tiễn ở địa phương khác.")
    kwargs.setdefault("expected_after", "Bố trí chức danh tương đương hoặc cao hơn.")
    return services.item_add(
        actor=world.staff,
        plan=plan,
        cadre=cadre,
        to_position=to or world.to_post,
        months=months,
        **kwargs,
    )


def vote(world: World, plan, marks_for=approve_everything, **kwargs):
    """Submit the draft (if it is one), call the standing committee's vote, run it with
    ``marks_for`` (everyone approves by default) and record it."""
    if plan.stage == "draft":
        services.plan_submit(actor=world.staff, plan=plan)
    call = services.vote_call(actor=world.staff, plan=plan, scheduled_at=timezone.now())
    run_meeting([call], marks_for, **kwargs)
    return call


def approved_plan(world: World, *cadres, months: int = 36):
    """A plan with ``cadres`` carried by the vote; their movements."""
    plan = open_plan(world)
    movements = [add(world, plan, c, months=months) for c in cadres]
    vote(world, plan)
    services.vote_record(actor=world.staff, plan=plan)
    return refresh_plan(plan), [refresh(m) for m in movements]


def refresh(movement) -> Movement:
    return Movement.objects.get(pk=movement.pk)


def refresh_plan(plan) -> RotationPlan:
    return RotationPlan.objects.get(pk=plan.pk)


def dossier(world: World, movement, *, health_on: dt.date | None = None, skip=()):
    for kind in DossierKind:
        if kind in skip:
            continue
        dated = (
            health_on
            if (kind == DossierKind.HEALTH and health_on)
            else today() - dt.timedelta(days=20)
        )
        services.dossier_record(
            actor=world.staff, movement=movement, kind=kind, dated=dated, reference=f"{kind}-1"
        )


def consult(world: World, movement, *, opinion=Opinion.AGREES):
    for side, body in (
        (Side.SENDING, "Ban Thường vụ Thành ủy"),
        (Side.RECEIVING, "Ban Thường vụ Huyện ủy"),
    ):
        services.consultation_record(
            actor=world.staff,
            movement=movement,
            side=side,
            consulted_on=today() - dt.timedelta(days=10),
            body=body,
            opinion=opinion,
            remarks="" if opinion == Opinion.AGREES else "Ý kiến khác",
        )


def converse(world: World, movement, objection: str = ""):
    return services.conversation_record(
        actor=world.staff,
        movement=movement,
        held_on=today() - dt.timedelta(days=12),
        cadre_view="Đồng ý với chủ trương luân chuyển.",
        objection=objection,
    )


def prepare(world: World, movement, **dossier_kwargs) -> Movement:
    """Conversation, both units consulted, the full dossier; submitted for decision."""
    if movement.kind == "rotation":
        converse(world, movement)
        dossier(world, movement, **dossier_kwargs)
    consult(world, movement)
    return services.movement_submit(actor=world.staff, movement=movement)


def decide(world: World, movement, *, on: dt.date | None = None, starts: dt.date | None = None):
    on = on or today() - dt.timedelta(days=5)
    return services.movement_decide(
        actor=world.chair,
        movement=movement,
        decision_number="125-QĐ/TU",
        decision_date=on,
        starts_on=starts or on,
    )


def hand_over_and_receive(world: World, movement, *, on: dt.date | None = None) -> Movement:
    movement = refresh(movement)
    on = on or movement.decision_date
    services.movement_hand_over(
        actor=world.sending.board, movement=movement, handed_over_on=on, note="Bàn giao"
    )
    return services.movement_receive(
        actor=world.receiving.board, movement=movement, received_on=on, note="Tiếp nhận"
    )


def in_rotation(world: World, cadre, *, decided_on: dt.date | None = None) -> Movement:
    """``cadre`` through the plan, the decision and the reception: in rotation."""
    _plan, (movement,) = approved_plan(world, cadre)
    movement = prepare(world, movement)
    decide(world, movement, on=decided_on)
    return hand_over_and_receive(world, movement)


def place(world: World, movement, placement=Placement.RETURN, *, on=None, position=None):
    return services.placement_decide(
        actor=world.chair,
        movement=movement,
        placement=placement,
        effective_on=on or today(),
        decision_number="300-QĐ/TU",
        position=position,
    )


def last_day_of_31_day_month_before(day: dt.date) -> dt.date:
    """The last day of the latest 31-day month that ends before ``day``."""
    probe = day.replace(day=1) - dt.timedelta(days=1)
    while probe.day != 31:
        probe = probe.replace(day=1) - dt.timedelta(days=1)
    return probe


def born_to_retire_on(retirement: dt.date, gender: str = "M") -> dt.date:
    """A date of birth whose statutory retirement date (``personnel.retirement``) is
    ``retirement`` (a month's last day)."""
    from personnel.retirement import retirement_date

    day = dt.date(retirement.year - 66, 1, 1)
    while day.year < retirement.year - 50:
        if retirement_date(day, gender) == retirement:
            return day
        day += dt.timedelta(days=1)
    raise AssertionError(f"no date of birth retires on {retirement}")
