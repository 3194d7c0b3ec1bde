"""Building blocks for the planning review's tests: a district with its standing committee
(which votes and, by default, approves), leadership collective and organisation board, three
deputy-leader posts, eligible cadres, and helpers that run a step's meeting on the engine.

Plain functions and one builder, so each test module says what it builds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from personnel.models import CommitteeKind, Gender, PositionLevel
from tests.factories import (
    CadreFactory,
    PlanningEntryFactory,
    PoliticalStandardConclusionFactory,
    PositionFactory,
    PositionHoldingFactory,
    UserFactory,
    member_of,
)
from tests.workflows.ballot_kit import START, Body, board_staff, body_with_members, in_session
from workflows.core import services as core
from workflows.core.models import Ballot, Choice
from workflows.core.services import PaperMark
from workflows.planning import services
from workflows.planning.models import PlanningReview, ReviewStep

TERM = (2026, 2031)


@dataclass
class World:
    unit: object
    standing: Body
    leadership: Body
    staff: object
    staff2: object
    posts: list = field(default_factory=list)
    cadres: list = field(default_factory=list)

    @property
    def chair(self):
        return self.standing.chair


def eligible_cadre(
    unit,
    name: str,
    *,
    born: dt.date = dt.date(1982, 3, 1),
    gender: str = Gender.MALE,
    level: int = PositionLevel.DISTRICT_OFFICE_HEAD,
    user=None,
):
    """A cadre every planning gate passes for a district deputy-leader post: heads a district
    office (a lower post), a fresh political-standard conclusion, a full term of service left."""
    today = timezone.localdate()
    cadre = CadreFactory(unit=unit, full_name=name, date_of_birth=born, gender=gender, user=user)
    PoliticalStandardConclusionFactory(cadre=cadre, concluded_on=today - dt.timedelta(days=30))
    office = PositionFactory(unit=unit, level=level)
    PositionHoldingFactory(cadre=cadre, position=office, started_on=today - dt.timedelta(days=1200))
    return cadre


def build_world(unit, *, n_cadres: int = 5, standing_size: int = 5, leadership_size: int = 5):
    standing = body_with_members(unit, standing_size, kind=CommitteeKind.STANDING)
    leadership = body_with_members(unit, leadership_size, kind=CommitteeKind.LEADERSHIP)
    staff = board_staff(unit)
    staff2 = member_of(staff.memberships.first().committee, started_on=START)
    posts = [
        PositionFactory(
            unit=unit,
            title=title,
            level=PositionLevel.DISTRICT_DEPUTY,
            managing_committee=standing.committee,
        )
        for title in ("Phó Bí thư Thành ủy", "Phó Chủ tịch UBND thành phố", "Phó Chủ tịch HĐND")
    ]
    cadres = [eligible_cadre(unit, f"Nguồn {chr(65 + i)}") for i in range(n_cadres)]
    return World(
        unit=unit,
        standing=standing,
        leadership=leadership,
        staff=staff,
        staff2=staff2,
        posts=posts,
        cadres=cadres,
    )


def open_review(world: World, **kwargs) -> PlanningReview:
    kwargs.setdefault("term_start_year", TERM[0])
    kwargs.setdefault("term_end_year", TERM[1])
    return services.review_open(actor=world.staff, unit=world.unit, **kwargs)


def refresh(review: PlanningReview) -> PlanningReview:
    return PlanningReview.objects.get(pk=review.pk)


def propose(world: World, review, position, cadre, *, actor=None):
    return services.candidate_propose(
        actor=actor or world.staff, review=review, position=position, cadre=cadre
    )


def approved_entry(cadre, position, *, term=TERM, **kwargs):
    return PlanningEntryFactory(
        cadre=cadre, position=position, term_start_year=term[0], term_end_year=term[1], **kwargs
    )


def call(world: World, review, **kwargs) -> list[ReviewStep]:
    return services.step_call(
        actor=world.staff, review=review, scheduled_at=timezone.now(), **kwargs
    )


def run_meeting(steps: list[ReviewStep], marks_for, *, present=None):
    """Convene the steps' meeting (everyone summoned present unless ``present``), and for
    each ballot open it, cast ``marks_for(ballot, voter_index)`` for every voter, close it."""
    meeting = steps[0].meeting
    chair = meeting.chair
    summoned = [s.user for s in meeting.summons.select_related("user")]
    present = summoned if present is None else present
    meeting = in_session(meeting, chair=chair, present=present)
    voters = [u for u in present if meeting.summons.get(user=u).votes]
    closed = []
    for step in steps:
        ballot = core.ballot_open(actor=chair, ballot=step.ballot)
        for i, voter in enumerate(voters):
            marks = marks_for(ballot, i)
            if marks is not None:
                core.ballot_cast(actor=voter, ballot=ballot, marks=marks)
        closed.append(core.ballot_close(actor=chair, ballot=ballot))
    return closed


def approve_everything(ballot: Ballot, _i: int) -> list[PaperMark]:
    return [
        PaperMark(choice=Choice.APPROVE, candidate_id=pk)
        for pk in ballot.candidates.values_list("pk", flat=True)
    ]


def nominate_everyone(ballot: Ballot, _i: int) -> list[PaperMark]:
    """Each voter names every listed candidate of the post (up to the ballot's places)."""
    pks = list(ballot.candidates.values_list("pk", flat=True))[: ballot.seats]
    return [PaperMark(choice=Choice.NOMINATE, candidate_id=pk) for pk in pks]


def walk_to_vote(world: World, review) -> PlanningReview:
    """Submit the list, then the leadership, the key officials and the standing committee,
    every vote for everyone on the list."""
    services.source_list_submit(actor=world.staff, review=review)
    run_meeting(call(world, review), approve_everything)
    services.step_record(actor=world.staff, review=review)
    run_meeting(call(world, review), nominate_everyone)
    services.step_record(actor=world.staff, review=review)
    run_meeting(call(world, review), approve_everything)
    services.step_record(actor=world.staff, review=review)
    return refresh(review)


def decide(world: World, review, *, approve: bool = True, **kwargs) -> PlanningReview:
    kwargs.setdefault("decision_ref", "45-QĐ/TU" if approve else "")
    return services.review_decide(actor=world.chair, review=review, approve=approve, **kwargs)


__all__ = ["Choice", "PaperMark", "UserFactory", "World"]
