"""Demo planning review (issue #7): the province's plan for 2030–2035, at the standing
committee's vote, and the removals the nightly scan proposes.

Everything is done through the services, as the people would do it on their pages: the
province organisation board (``tochuc``) opens the review, proposes the source list, calls each
step and records it; the Party secretary (``chutich``) chairs the meetings; the members vote in
the ballot engine. So the review has its tasks, meetings, ballots, audit events and
notifications.

- **Term**: the demo province's 2025–2030 plan is approved and its 2030–2035 plan is being
  drawn up in 2026 (``personnel.demo.PLANNING_STATUS``): this is the review of the 2030–2035
  plan for the posts the province standing committee manages.
- **Source list**: a few posts, each with one or two cadres — first those already on the
  board's draft (a *proposed* entry of the term for the post), then others one to three levels
  below the post in its unit. Only cadres every blocking gate lets through (planning age,
  discipline, investigation), and whom the caps and rules allow (``services.rule_problems``);
  a cadre whose only failing gate is a stale political-standard conclusion is given a fresh
  one through the personnel service first (as the appointment demo does). Demo logins are not
  proposed.
- **Steps**: the leadership collective (the standing committee: the province has no separate
  leadership collective) approves the list; the key officials nominate per post by secret
  ballot (sealed, as the rule-set says); the standing committee's meeting is in session with its
  ballots per post closed but the last one, which is open: ``uyvien`` and ``chutich`` have not
  voted in it yet. One member is away from every meeting (never a demo login).
- **Removals**: ``services.removal_scan`` (the nightly job) runs once, so the board has the
  removal tasks the demo data calls for (a cadre disciplined while in the plan, one found not to
  meet the political standard).

The review is keyed by its unit and term: when one exists nothing is done to it, so running
the seed again creates nothing (and never undoes what people did since); the scan is
idempotent. Demo mode only: the command checks ``CADREFLOW_DEMO_MODE``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from personnel import services as personnel
from personnel.demo import DEMO_USERS, ROOT_CODE
from personnel.models import (
    Cadre,
    Committee,
    CommitteeKind,
    OrgUnit,
    PlanningEntry,
    PlanningStatus,
    PoliticalStandardOutcome,
    Position,
    PositionHolding,
    User,
)
from personnel.selectors import active_on
from workflows.appointment.gates import Gate
from workflows.core import services as core
from workflows.core.errors import Refused
from workflows.core.models import Attendance, Choice
from workflows.core.services import AttendanceEntry, PaperMark

from . import gates as planning_gates
from . import selectors, services
from .models import PlanningReview, RemovalProposal, ReviewStep

BOARD, CHAIR, MEMBER = "tochuc", "chutich", "uyvien"
STANDING = "Ban Thường vụ Tỉnh ủy"
TERM = (2030, 2035)
POSTS, PER_POST = 4, 2
PLACE = "Phòng họp Ban Thường vụ, trụ sở Tỉnh ủy"
HALL = "Hội trường Tỉnh ủy"
ABSENCE = "Đi công tác Trung ương"
NOTE = (
    "Rà soát, bổ sung quy hoạch các chức danh lãnh đạo diện Ban Thường vụ Tỉnh ủy quản lý, "
    "nhiệm kỳ {start}–{end}."
)
_ADVISORY_LOCK = 0x5EED_91A0  # serialises two runs (appointments use 0x5EED_A990)


class DemoMissing(Exception):
    """``seed_demo`` has not run (or its logins or standing committee were removed)."""


@dataclass
class SeedResult:
    created: list[PlanningReview] = field(default_factory=list)
    present: list[PlanningReview] = field(default_factory=list)
    removals: list[RemovalProposal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def existing() -> PlanningReview | None:
    return (
        PlanningReview.objects.filter(unit__code=ROOT_CODE, term_start_year=TERM[0])
        .order_by("pk")
        .first()
    )


def seed_demo_planning() -> SeedResult:
    """Create the review unless it exists, then run the removal scan; each in its own
    transaction."""
    demo = _Demo()
    result = SeedResult()
    try:
        with transaction.atomic():
            # Two seeds at once (two `make run`s) must not both build the review.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
            found = existing()
            review = found or demo.build()
    except _Skip as skip:
        result.warnings.append(str(skip))
    except Refused as refused:  # a service said no: report it, leave nothing half-built
        result.warnings.append(f"refused: {refused.message}")
    else:
        (result.present if found else result.created).append(review)
    # What the nightly job would propose; it skips entries with a removal already waiting.
    result.removals = services.removal_scan()
    return result


class _Skip(Exception):
    pass


# --------------------------------------------------------------------------- the builder


class _Demo:
    def __init__(self):
        try:
            self.board = User.objects.get(username=BOARD, is_active=True)
            self.chair = User.objects.get(username=CHAIR, is_active=True)
            self.member = User.objects.get(username=MEMBER, is_active=True)
            self.root = OrgUnit.objects.get(code=ROOT_CODE)
            self.standing = Committee.objects.get(
                name=STANDING, kind=CommitteeKind.STANDING, unit=self.root
            )
        except (User.DoesNotExist, OrgUnit.DoesNotExist, Committee.DoesNotExist) as missing:
            raise DemoMissing(str(missing)) from missing
        members = selectors.members_of(self.standing)
        if selectors.chair_of(self.standing) != self.chair:
            raise DemoMissing(f"{CHAIR!r} does not chair the {STANDING}")
        if not members.filter(pk=self.member.pk).exists():
            raise DemoMissing(f"{MEMBER!r} does not sit on the {STANDING}")
        self.today = timezone.localdate()
        self.logins = {d.username for d in DEMO_USERS}

    def build(self) -> PlanningReview:
        review = services.review_open(
            actor=self.board,
            unit=self.root,
            term_start_year=TERM[0],
            term_end_year=TERM[1],
            note=NOTE.format(start=TERM[0], end=TERM[1]),
        )
        self._source_list(review)
        services.source_list_submit(actor=self.board, review=review)
        # The leadership collective approves the list (one voter abstains).
        self._hold(self._call(review, PLACE), _approve_but_last(Choice.ABSTAIN))
        services.step_record(
            actor=self.board,
            review=review,
            note="Thống nhất danh sách nguồn quy hoạch đưa ra lấy ý kiến cán bộ chủ chốt.",
        )
        # The key officials nominate per post by secret ballot (one voter abstains).
        self._hold(self._call(review, HALL), _nominate_but_last)
        services.step_record(
            actor=self.board,
            review=review,
            note="Hội nghị cán bộ chủ chốt giới thiệu nguồn quy hoạch bằng phiếu kín.",
        )
        # The standing committee votes on each post; its last ballot is left open.
        self._hold(self._call(review, PLACE), _approve_but_last(Choice.DISAPPROVE), leave_open=True)
        return PlanningReview.objects.get(pk=review.pk)

    # ----------------------------------------------------------------- the source list

    def _source_list(self, review: PlanningReview) -> None:
        posts = Position.objects.filter(managing_committee=self.standing).select_related("unit")
        drafts = _draft(posts)
        ranked = sorted(
            posts, key=lambda p: (not drafts.get(p.pk), p.unit.path, -p.level, p.title, p.pk)
        )
        filled = 0
        for post in ranked:
            chosen = 0
            for cadre in self._sources(post, drafts.get(post.pk, [])):
                if not self._eligible(review, post, cadre):
                    continue
                services.candidate_propose(
                    actor=self.board, review=review, position=post, cadre=cadre
                )
                chosen += 1
                if chosen == PER_POST:
                    break
            filled += bool(chosen)
            if filled == POSTS:
                return
        if not filled:
            raise _Skip("no demo cadre passes the planning gates for a post of the province")

    def _sources(self, post: Position, draft: list[Cadre]) -> list[Cadre]:
        """The board's draft for the post first, then the cadres one to three levels below it
        in its unit (or the units under it)."""
        below = (
            PositionHolding.objects.filter(
                active_on(self.today),
                position__unit__path__startswith=post.unit.path,
                position__level__lt=post.level,
                position__level__gte=post.level - 30,
            )
            .select_related("cadre", "position")
            .order_by("-position__level", "cadre__full_name", "cadre_id")
        )
        seen = {c.pk for c in draft}
        others = []
        for holding in below:
            if holding.cadre_id not in seen:
                seen.add(holding.cadre_id)
                others.append(holding.cadre)
        return [
            c
            for c in [*draft, *others]
            if not (c.user_id and c.user.username in self.logins)  # not a demo login
        ]

    def _eligible(self, review: PlanningReview, post: Position, cadre: Cadre) -> bool:
        """No blocking gate (a stale political-standard conclusion is renewed first) and
        nothing in the caps and rules against it."""
        results = planning_gates.evaluate(
            cadre=cadre,
            position=post,
            ruleset=review.ruleset,
            term_start_year=review.term_start_year,
            on_date=self.today,
        )
        blocking = {r.code for r in results if r.blocking}
        if blocking - {Gate.POLITICAL_STANDARD.value}:
            return False
        others = list(selectors.active_candidates(review))
        if services.rule_problems(review, post, cadre, others=others):
            return False
        if blocking:
            if cadre.political_conclusions.filter(
                outcome=PoliticalStandardOutcome.DOES_NOT_MEET
            ).exists():
                return False  # found not to meet the standard: not a stale paper
            personnel.political_conclusion_add(
                actor=self.board,
                cadre=cadre,
                concluded_on=self.today - dt.timedelta(days=15),
                outcome=PoliticalStandardOutcome.MEETS,
                issued_by="Ban Thường vụ Tỉnh ủy Đồng Tháp",
                reference=f"{400 + cadre.pk % 500}-KL/TU",
            )
        return True

    # ----------------------------------------------------------------- steps

    def _call(self, review: PlanningReview, place: str) -> list[ReviewStep]:
        return services.step_call(
            actor=self.board, review=review, scheduled_at=timezone.now(), place=place
        )

    def _hold(self, steps: list[ReviewStep], papers, *, leave_open: bool = False) -> None:
        """The chair runs the step's meeting: convenes it, records attendance (one member
        away, never a demo login), and for each ballot opens it, lets the members vote and
        closes it; then closes the meeting. ``papers(ballot, rows, i, n)`` is voter ``i``'s
        paper of ``n``. With ``leave_open`` the last ballot stays open, the demo logins not
        having voted in it, and the meeting stays in session."""
        meeting = steps[0].meeting
        chair = meeting.chair
        core.meeting_convene(actor=chair, meeting=meeting)
        summons = list(meeting.summons.select_related("user").order_by("user__username"))
        away = [
            s
            for s in summons
            if s.votes and s.user_id != chair.pk and s.user.username not in self.logins
        ][-1:]
        core.meeting_record_attendance(
            actor=chair,
            meeting=meeting,
            entries=[
                AttendanceEntry(s.user_id, Attendance.ABSENT, reason=ABSENCE)
                if s in away
                else AttendanceEntry(s.user_id, Attendance.PRESENT)
                for s in summons
            ],
        )
        voters = [s.user for s in summons if s not in away and s.votes]
        for index, step in enumerate(steps):
            ballot = core.ballot_open(actor=chair, ballot=step.ballot)
            rows = list(ballot.candidates.order_by("order", "pk"))
            last = leave_open and index == len(steps) - 1
            for i, voter in enumerate(voters):
                if last and voter.username in self.logins:
                    continue  # left for the demo logins to cast
                core.ballot_cast(
                    actor=voter, ballot=ballot, marks=papers(ballot, rows, i, len(voters))
                )
            if last:
                return
            core.ballot_close(actor=chair, ballot=ballot)
        core.meeting_close(actor=chair, meeting=meeting)


# --------------------------------------------------------------------------- helpers


def _draft(posts) -> dict[int, list[Cadre]]:
    """The board's draft of the term's plan: cadres with a *proposed* entry, per post."""
    drafts: dict[int, list[Cadre]] = {}
    entries = (
        PlanningEntry.objects.filter(
            position__in=posts, term_start_year=TERM[0], status=PlanningStatus.PROPOSED
        )
        .select_related("cadre", "cadre__user")
        .order_by("cadre__full_name", "cadre_id")
    )
    for entry in entries:
        drafts.setdefault(entry.position_id, []).append(entry.cadre)
    return drafts


def _approve_but_last(choice: str):
    """Everyone approves every row, except that the last voter gives ``choice`` on the last."""

    def papers(_ballot, rows, i, n):
        return [
            PaperMark(choice if i == n - 1 and row is rows[-1] else Choice.APPROVE, row.pk)
            for row in rows
        ]

    return papers


def _nominate_but_last(ballot, rows, i, n):
    """Each voter names the listed cadres in order, one per place; the last abstains."""
    if i == n - 1:
        return [PaperMark(Choice.ABSTAIN)]
    return [PaperMark(Choice.NOMINATE, row.pk) for row in rows[: ballot.seats]]


__all__ = ["TERM", "DemoMissing", "SeedResult", "existing", "seed_demo_planning"]
