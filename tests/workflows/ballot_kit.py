"""Building blocks for the meeting and ballot tests: a body with members, organisation-board
staff, a meeting called, convened and with attendance taken, and ballot papers.

Plain functions (not fixtures), so each test module says what it builds.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.utils import timezone

from personnel.models import CommitteeKind, MembershipRole
from tests.factories import CadreFactory, CommitteeFactory, UserFactory, member_of
from workflows.core import services
from workflows.core.models import (
    Attendance,
    Ballot,
    BallotKind,
    BallotMode,
    Choice,
    Meeting,
    MeetingKind,
    RuleSet,
)
from workflows.core.services import AttendanceEntry, PaperMark

START = dt.date(2025, 10, 1)


def load_rulesets() -> None:
    """Re-create the shipped rule-sets (a transactional test's flush removes migration data)."""
    for name in (
        "0002_rulesets",
        "0004_planning_structure",
        "0005_evaluation_scoring",
        "0006_rotation_training_parameters",
    ):
        migration = importlib.import_module(f"workflows.core.migrations.{name}")
        migration.load(django_apps, None)


def ruleset(code: str = "qd377-2025", version: int = 1) -> RuleSet:
    return RuleSet.objects.get(code=code, version=version)


def board_staff(unit):
    """A member of ``unit``'s organisation board: org-board staff whose scope is ``unit``."""
    board = CommitteeFactory(kind=CommitteeKind.ORGANISATION_BOARD, unit=unit)
    return member_of(board, started_on=START)


@dataclass
class Body:
    committee: object
    chair: object
    members: list = field(default_factory=list)  # the chair first

    @property
    def others(self) -> list:
        return self.members[1:]


def body_with_members(unit, size: int, *, kind=CommitteeKind.STANDING) -> Body:
    committee = CommitteeFactory(kind=kind, unit=unit)
    chair = member_of(committee, role=MembershipRole.CHAIR, started_on=START)
    others = [member_of(committee, started_on=START) for _ in range(size - 1)]
    return Body(committee=committee, chair=chair, members=[chair, *others])


def call_meeting(
    *,
    actor,
    unit,
    chair,
    body=None,
    kind: str = MeetingKind.STANDING_COMMITTEE,
    rules: RuleSet | None = None,
    competent_body=None,
    summoned=None,
    title: str = "Hội nghị giới thiệu nhân sự",
) -> Meeting:
    return services.meeting_create(
        actor=actor,
        title=title,
        kind=kind,
        unit=unit,
        ruleset=rules or ruleset(),
        chair=chair,
        scheduled_at=timezone.now(),
        body=body,
        competent_body=competent_body,
        summoned=summoned,
    )


def take_attendance(meeting: Meeting, *, chair, present, absent=(), counters=()) -> Meeting:
    counters = {u.pk for u in counters}
    entries = [
        AttendanceEntry(u.pk, Attendance.PRESENT, counts_votes=u.pk in counters) for u in present
    ]
    entries += [AttendanceEntry(u.pk, Attendance.ABSENT, reason="Đi công tác") for u in absent]
    return services.meeting_record_attendance(actor=chair, meeting=meeting, entries=entries)


def in_session(meeting: Meeting, *, chair, present, absent=(), counters=()) -> Meeting:
    meeting = services.meeting_convene(actor=chair, meeting=meeting)
    return take_attendance(meeting, chair=chair, present=present, absent=absent, counters=counters)


def cadres(unit, n: int, prefix: str = "Ứng viên") -> list:
    return [CadreFactory(unit=unit, full_name=f"{prefix} {chr(65 + i)}") for i in range(n)]


def candidate_ids(ballot: Ballot) -> dict:
    """Candidate id per cadre id (motions under ``None``)."""
    return {c.cadre_id: c.pk for c in ballot.candidates.all()}


def open_ballot(
    meeting: Meeting,
    *,
    actor,
    chair,
    kind: str = BallotKind.NOMINATION,
    mode: str = BallotMode.ELECTRONIC,
    candidates=(),
    motion: str = "",
    seats: int = 1,
) -> Ballot:
    ballot = services.ballot_create(
        actor=actor,
        meeting=meeting,
        kind=kind,
        mode=mode,
        title=f"Phiếu {kind}",
        cadres=list(candidates),
        motion=motion,
        seats=seats,
    )
    return services.ballot_open(actor=chair, ballot=ballot)


def nominate(*candidate_pks) -> list[PaperMark]:
    return [PaperMark(choice=Choice.NOMINATE, candidate_id=pk) for pk in candidate_pks]


def answer(choice: str, candidate_pk) -> list[PaperMark]:
    return [PaperMark(choice=choice, candidate_id=candidate_pk)]


def fresh_user(**kwargs):
    return UserFactory(**kwargs)
