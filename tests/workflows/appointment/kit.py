"""Building blocks for the appointment procedure's tests: a district with its standing committee
(the competent body), leadership collective, organisation board and key officials, a post,
eligible cadres, and helpers that run a step's meeting on the ballot engine.

Plain functions and one fixture-friendly builder, so each test module says what it builds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from personnel.models import CommitteeKind, PositionLevel
from tests.factories import (
    CadreFactory,
    PlanningEntryFactory,
    PoliticalStandardConclusionFactory,
    PositionFactory,
    PositionHoldingFactory,
    UserFactory,
)
from tests.workflows.ballot_kit import START, Body, board_staff, body_with_members, in_session
from workflows.appointment import services
from workflows.appointment.models import Appointment, DossierKind
from workflows.core import services as core
from workflows.core.models import Ballot, BallotKind, Choice
from workflows.core.services import PaperMark

PDF = b"%PDF-1.4\n% Cadreflow test document\n"


@dataclass
class World:
    unit: object
    standing: Body
    leadership: Body
    staff: object
    staff2: object
    position: object
    cadres: list = field(default_factory=list)
    key_officials: list = field(default_factory=list)

    @property
    def chair(self):
        return self.standing.chair


def eligible_cadre(unit, position, name: str, *, user=None):
    """A cadre every gate passes for ``position`` today: planned for it, deputy for 4+ years,
    a fresh political-standard conclusion, born 1982 (a full term left)."""
    today = timezone.localdate()
    cadre = CadreFactory(unit=unit, full_name=name, date_of_birth=dt.date(1982, 3, 1), user=user)
    PlanningEntryFactory(cadre=cadre, position=position)
    PoliticalStandardConclusionFactory(cadre=cadre, concluded_on=today - dt.timedelta(days=30))
    deputy = PositionFactory(unit=unit, level=PositionLevel.DISTRICT_OFFICE_DEPUTY)
    PositionHoldingFactory(cadre=cadre, position=deputy, started_on=today - dt.timedelta(days=1500))
    return cadre


def build_world(unit, *, standing_size: int = 5, leadership_size: int = 5, n_cadres: int = 3):
    standing = body_with_members(unit, standing_size, kind=CommitteeKind.STANDING)
    leadership = body_with_members(unit, leadership_size, kind=CommitteeKind.LEADERSHIP)
    staff = board_staff(unit)
    from tests.factories import member_of

    staff2 = member_of(staff.memberships.first().committee, started_on=START)
    position = PositionFactory(
        unit=unit,
        title="Trưởng phòng Nội vụ",
        level=PositionLevel.DISTRICT_OFFICE_HEAD,
        managing_committee=standing.committee,
    )
    cadres = [eligible_cadre(unit, position, f"Ứng viên {chr(65 + i)}") for i in range(n_cadres)]
    key = [UserFactory() for _ in range(4)]
    return World(
        unit=unit,
        standing=standing,
        leadership=leadership,
        staff=staff,
        staff2=staff2,
        position=position,
        cadres=cadres,
        key_officials=key,
    )


def start(world: World, *, source: str = "internal", **kwargs) -> Appointment:
    return services.appointment_start(
        actor=world.staff,
        position=world.position,
        source=source,
        memo="Tờ trình xin chủ trương bổ nhiệm Trưởng phòng Nội vụ",
        **kwargs,
    )


def approved(world: World, **kwargs) -> Appointment:
    appointment = start(world, **kwargs)
    return services.appointment_policy_decide(
        actor=world.chair, appointment=appointment, approve=True
    )


def refresh(appointment: Appointment) -> Appointment:
    return Appointment.objects.get(pk=appointment.pk)


def call(world: World, appointment: Appointment, **kwargs):
    return services.step_call(
        actor=world.staff, appointment=appointment, scheduled_at=timezone.now(), **kwargs
    )


def run_ballot(step, *, votes, present=None, absent=()):
    """Convene the step's meeting with ``present`` (default: everyone summoned), open its
    ballot, cast ``votes`` (a list of mark lists, one per voter, in order) and close it."""
    meeting = step.meeting
    chair = meeting.chair
    summoned = [s.user for s in meeting.summons.select_related("user")]
    present = summoned if present is None else present
    meeting = in_session(meeting, chair=chair, present=present, absent=absent)
    ballot = core.ballot_open(actor=chair, ballot=step.ballot)
    voters = [u for u in present if meeting.summons.get(user=u).votes]
    for voter, marks in zip(voters, votes, strict=False):
        core.ballot_cast(actor=voter, ballot=ballot, marks=marks)
    return core.ballot_close(actor=chair, ballot=ballot)


def candidate_pk(ballot: Ballot, cadre) -> int:
    return ballot.candidates.get(cadre=cadre).pk


def approve_all(ballot: Ballot, n: int, *, approve: int | None = None):
    """``approve`` voters approve every row (default: all ``n``), the rest reject."""
    approve = n if approve is None else approve
    rows = list(ballot.candidates.values_list("pk", flat=True))
    marks = []
    for i in range(n):
        choice = Choice.APPROVE if i < approve else Choice.DISAPPROVE
        marks.append([PaperMark(choice=choice, candidate_id=pk) for pk in rows])
    return marks


def nominate_each(ballot: Ballot, picks: list) -> list:
    """One nomination paper per cadre in ``picks``."""
    return [
        [PaperMark(choice=Choice.NOMINATE, candidate_id=candidate_pk(ballot, cadre))]
        for cadre in picks
    ]


def upload(kind: str = DossierKind.RESUME, *, name: str = "ho-so.pdf", content: bytes = PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def complete_dossier(world: World, appointment: Appointment) -> None:
    for kind in DossierKind:
        if kind != DossierKind.OTHER:
            services.dossier_add(
                actor=world.staff, appointment=appointment, kind=kind, upload=upload(kind)
            )


def walk_to_final(world: World, appointment: Appointment, *, winner=None) -> Appointment:
    """Steps 1–4 and the appraisal, every vote for ``winner`` (default: the first cadre)."""
    winner = winner or world.cadres[0]
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = call(world, appointment)
    run_ballot(step, votes=approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    for _code in ("step2", "step3", "step4"):
        step = call(world, appointment)
        n = step.meeting.summons.filter(votes=True).count()
        run_ballot(step, votes=nominate_each(step.ballot, [winner] * n))
        services.step_record(actor=world.staff, appointment=appointment)
    complete_dossier(world, appointment)
    services.appraisal_submit(
        actor=world.staff,
        appointment=appointment,
        standing_evaluation="Ban Thường vụ đánh giá: đủ tiêu chuẩn.",
        new_issues_conclusion="Không có vấn đề mới phát sinh.",
    )
    services.appraisal_review(actor=world.staff2, appointment=appointment, approve=True)
    return refresh(appointment)


__all__ = ["BallotKind", "Choice", "PaperMark", "UserFactory", "World", "in_session"]
