"""Building blocks for the evaluation procedure's tests: a province with its standing committee
and organisation board, a district under it with its standing committee (the competent level
for the district's cadres), its leadership collective (the collective evaluated), its
organisation board, its top post (managed by the province) and office posts (managed by the
district); cadres with accounts; helpers that walk an evaluation to a proposal.

Plain functions, so each test module says what it builds.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from personnel.models import CommitteeKind, MembershipRole, PositionLevel
from tests.factories import (
    CadreFactory,
    CommitteeFactory,
    PositionFactory,
    PositionHoldingFactory,
    UserFactory,
    member_of,
)
from tests.workflows.ballot_kit import START, Body, body_with_members
from workflows.evaluation import services
from workflows.evaluation.models import Evaluation, EvaluationCampaign

EXCELLENT, GOOD, COMPLETED, NOT_COMPLETED = 40, 30, 20, 10
#: a score per level, on the shipped criteria groups (general 30, tasks 70)
SCORES = {
    EXCELLENT: {"general": 28, "tasks": 65},
    GOOD: {"general": 25, "tasks": 55},
    COMPLETED: {"general": 20, "tasks": 40},
    NOT_COMPLETED: {"general": 10, "tasks": 30},
}
_names = itertools.count(1)


@dataclass
class Unit:
    unit: object
    standing: Body
    staff: object
    staff2: object
    leadership: Body | None = None
    top_post: object = None
    office_post: object = None


@dataclass
class World:
    province: Unit
    district: Unit
    cadres: list = field(default_factory=list)

    @property
    def staff(self):
        return self.district.staff

    @property
    def district_chair(self):
        return self.district.standing.chair

    @property
    def province_chair(self):
        return self.province.standing.chair


def board_of(unit):
    board = CommitteeFactory(kind=CommitteeKind.ORGANISATION_BOARD, unit=unit)
    return member_of(board, started_on=START), member_of(board, started_on=START)


def unit_world(unit, *, managed_by=None, leadership: bool = True) -> Unit:
    """A unit with a standing committee (3), a leadership collective (3), an organisation board
    (2 staff), a top post managed by ``managed_by`` (default: its own standing committee) and an
    office post managed by its own standing committee."""
    standing = body_with_members(unit, 3, kind=CommitteeKind.STANDING)
    collective = body_with_members(unit, 3, kind=CommitteeKind.LEADERSHIP) if leadership else None
    staff, staff2 = board_of(unit)
    top = PositionFactory(
        unit=unit,
        title=f"Bí thư {unit.name}",
        level=PositionLevel.DISTRICT_HEAD,
        managing_committee=(managed_by or standing.committee),
    )
    office = PositionFactory(
        unit=unit,
        title=f"Trưởng phòng {unit.name}",
        level=PositionLevel.DISTRICT_OFFICE_HEAD,
        managing_committee=standing.committee,
        seats=50,
    )
    return Unit(
        unit=unit,
        standing=standing,
        staff=staff,
        staff2=staff2,
        leadership=collective,
        top_post=top,
        office_post=office,
    )


def build_world(province, district, *, n_cadres: int = 3) -> World:
    top = unit_world(province, leadership=False)
    below = unit_world(district, managed_by=top.standing.committee)
    world = World(province=top, district=below)
    world.cadres = [cadre(district) for _ in range(n_cadres)]
    return world


def cadre(unit, *, post=None, user=True, name: str | None = None):
    """A cadre of ``unit`` with an account, holding ``post`` if given."""
    person = CadreFactory(
        unit=unit,
        full_name=name or f"Cán bộ {next(_names)}",
        user=UserFactory() if user else None,
    )
    if post is not None:
        PositionHoldingFactory(cadre=person, position=post)
    return person


def open_campaign(world: World, *, units=None, actor=None, **kwargs) -> EvaluationCampaign:
    kwargs.setdefault("title", "Đánh giá, xếp loại chất lượng năm 2026")
    kwargs.setdefault("period", "year")
    kwargs.setdefault("year", 2026)
    return services.campaign_open(
        actor=actor or world.staff,
        units=units or [world.district.unit],
        **kwargs,
    )


def evaluation_of(campaign, subject) -> Evaluation:
    """The campaign's evaluation of a cadre or a committee."""
    if hasattr(subject, "full_name"):
        return campaign.evaluations.get(cadre=subject)
    return campaign.evaluations.get(committee=subject)


def self_assess(evaluation: Evaluation, level: int = GOOD, *, actor=None) -> Evaluation:
    from workflows.evaluation import selectors

    actor = actor or selectors.self_assessor(evaluation)
    return services.evaluation_self_assess(
        actor=actor,
        evaluation=evaluation,
        scores=SCORES[level],
        review="Bản tự kiểm điểm: hoàn thành các nhiệm vụ được giao.",
    )


def propose(world: World, evaluation: Evaluation, level: int = GOOD, *, staff=None) -> Evaluation:
    """Self-assessed at ``level`` and appraised at ``level`` by the district's board."""
    evaluation = self_assess(evaluation, level)
    return services.evaluation_appraise(
        actor=staff or world.staff, evaluation=evaluation, level=level
    )


def decide(evaluation: Evaluation, level: int = GOOD, *, actor) -> Evaluation:
    return services.evaluation_decide(actor=actor, evaluation=evaluation, level=level)


def refresh(obj):
    return type(obj).objects.get(pk=obj.pk)


__all__ = ["MembershipRole", "member_of"]
