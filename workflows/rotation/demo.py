"""Demo rotations and a transfer (issue #8) in the demo province, built through the services as
the people would do it on their pages: the province organisation board (``tochuc``) drafts
the plans and prepares each cadre; the Party secretary (``chutich``) chairs the standing
committee's meetings and signs the decisions; the members vote in the ballot engine.

- **A rotation under way** — the 2025–2027 plan, approved by the standing committee: one
  district deputy leader rotated to the same post in another district for 36 months, entered
  as an ongoing rotation (its decision of about seven months ago recorded with its own date,
  as when the system takes over rotations already decided on paper). The sending district was
  consulted, the cadre handed over and received by the receiving district's organisation
  board; the first six-monthly report is overdue (``services.reminders_send`` — the nightly
  job — has reminded the receiving board; ``tochuc``, whose board covers the district, may
  record it).
- **A plan at the vote** — the 2026–2030 plan: two cadres, the standing committee in session
  on it with its ballot open, everyone present having voted but ``uyvien`` and ``chutich``
  (one member away). The first cadre's conversation and the sending unit's opinion are on
  file already.
- **A transfer awaiting the decision** — the deputy head of a district office transferred to
  the same post in another district: both units consulted, submitted to ``chutich``.

Cadres are chosen among those every gate lets through (service left, no open investigation;
never a demo login) whose destination post has a free seat. Keyed by the demo plans' titles:
when the 2026–2030 plan exists nothing is done, so running the seed again creates nothing (and
never undoes what people did since); the reminders are idempotent. Demo mode only: the command
checks ``CADREFLOW_DEMO_MODE``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.utils import timezone

from personnel.demo import DEMO_USERS, ROOT_CODE
from personnel.models import (
    Cadre,
    Committee,
    CommitteeKind,
    OrgUnit,
    Position,
    PositionHolding,
    PositionLevel,
    UnitKind,
    User,
)
from personnel.selectors import active_on
from workflows.core import services as core
from workflows.core.errors import Refused
from workflows.core.models import Attendance, Choice
from workflows.core.services import AttendanceEntry, PaperMark

from . import gates, selectors, services
from .models import FINISHED, Direction, DossierKind, Movement, Opinion, RotationPlan, Side

BOARD, CHAIR, MEMBER = "tochuc", "chutich", "uyvien"
STANDING = "Ban Thường vụ Tỉnh ủy"
UNDER_WAY = "Kế hoạch luân chuyển cán bộ năm 2025"
AT_VOTE = "Kế hoạch luân chuyển cán bộ giai đoạn 2026–2030"
PLACE = "Phòng họp Ban Thường vụ, trụ sở Tỉnh ủy"
ABSENCE = "Đi công tác Trung ương"
_ADVISORY_LOCK = 0x5EED_0707  # serialises two runs (planning uses 0x5EED_91A0)


class DemoMissing(Exception):
    """``seed_demo`` has not run (or its logins or standing committee were removed)."""


class _Skip(Exception):
    pass


@dataclass
class SeedResult:
    created: list = field(default_factory=list)
    present: list = field(default_factory=list)
    reminders: int = 0
    warnings: list[str] = field(default_factory=list)


def existing() -> RotationPlan | None:
    return RotationPlan.objects.filter(unit__code=ROOT_CODE, title=AT_VOTE).order_by("pk").first()


def seed_demo_rotation() -> SeedResult:
    """Build the demo rotations unless they exist, then run the nightly reminders."""
    result = SeedResult()
    try:
        demo = _Demo()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
            found = existing()
            if found is None:
                result.created = demo.build()
            else:
                result.present = [found]
    except _Skip as skip:
        result.warnings.append(str(skip))
    except Refused as refused:  # a service said no: report it, leave nothing half-built
        result.warnings.append(f"refused: {refused.message}")
    result.reminders = services.reminders_send()
    return result


# --------------------------------------------------------------------------- the builder


class _Demo:
    def __init__(self):
        try:
            self.board = User.objects.get(username=BOARD, is_active=True)
            self.chair = User.objects.get(username=CHAIR, is_active=True)
            self.root = OrgUnit.objects.get(code=ROOT_CODE)
            self.standing = Committee.objects.get(
                name=STANDING, kind=CommitteeKind.STANDING, unit=self.root
            )
        except (User.DoesNotExist, OrgUnit.DoesNotExist, Committee.DoesNotExist) as missing:
            raise DemoMissing(str(missing)) from missing
        if selectors.chair_of(self.standing) != self.chair:
            raise DemoMissing(f"{CHAIR!r} does not chair the {STANDING}")
        self.today = timezone.localdate()
        self.logins = {d.username for d in DEMO_USERS}
        self.taken: set[int] = set()  # cadres used here

    def build(self) -> list:
        under_way = self._under_way()
        at_vote = self._at_vote()
        transfer = self._transfer()
        return [under_way, at_vote, transfer]

    # ----------------------------------------------------------------- the rotation under way

    def _under_way(self) -> Movement:
        decided_on = self.today - relativedelta(months=7)
        received_on = decided_on + dt.timedelta(days=14)
        cadre, origin, destination = self._pair(
            level=PositionLevel.DISTRICT_DEPUTY, on=decided_on, free_from=received_on
        )
        plan = services.plan_open(
            actor=self.board,
            unit=self.root,
            title=UNDER_WAY,
            period_start=decided_on.year,
            period_end=decided_on.year + 2,
            note=(
                "Luân chuyển cán bộ trong quy hoạch giữa các địa phương để đào tạo, rèn luyện "
                "qua thực tiễn (Quy định 65-QĐ/TW)."
            ),
        )
        movement = services.item_add(
            actor=self.board,
            plan=plan,
            cadre=cadre,
            to_position=destination,
            direction=Direction.BETWEEN_LOCALITIES,
            reason="Cán bộ trong quy hoạch, rèn luyện qua thực tiễn ở địa phương khác.",
            months=36,
            expected_after="Bố trí chức danh tương đương hoặc cao hơn sau luân chuyển.",
        )
        services.plan_submit(actor=self.board, plan=plan)
        vote = services.vote_call(
            actor=self.board, plan=plan, scheduled_at=timezone.now(), place=PLACE
        )
        self._hold(vote, leave_open=False)
        services.vote_record(
            actor=self.board, plan=plan, note="Ban Thường vụ biểu quyết kín thông qua."
        )
        prepared_on = decided_on - dt.timedelta(days=20)
        self._prepare(movement, on=prepared_on, origin=origin, full=True)
        services.movement_submit(actor=self.board, movement=movement)
        services.movement_decide(
            actor=self.chair,
            movement=movement,
            decision_number=f"{100 + cadre.pk % 400}-QĐ/TU",
            decision_date=decided_on,
            starts_on=received_on,
        )
        services.movement_hand_over(
            actor=self.board,
            movement=movement,
            handed_over_on=decided_on + dt.timedelta(days=7),
            note="Bàn giao công việc, hồ sơ tại Thành ủy.",
        )
        receiver = next(
            (
                u
                for u in selectors.receivers(Movement.objects.get(pk=movement.pk))
                if u != self.board
            ),
            None,
        )
        if receiver is None:
            raise _Skip("the receiving district has nobody to confirm a reception")
        return services.movement_receive(
            actor=receiver,
            movement=movement,
            received_on=received_on,
            note="Đã tiếp nhận, phân công phụ trách khối văn hóa – xã hội.",
        )

    # ----------------------------------------------------------------- the plan at the vote

    def _at_vote(self) -> RotationPlan:
        plan = services.plan_open(
            actor=self.board,
            unit=self.root,
            title=AT_VOTE,
            period_start=2026,
            period_end=2030,
            note=(
                "Luân chuyển cán bộ lãnh đạo diện Ban Thường vụ Tỉnh ủy quản lý giữa tỉnh và "
                "các huyện, thành phố, nhiệm kỳ 2025–2030."
            ),
        )
        first, origin, destination = self._pair(
            level=PositionLevel.DISTRICT_DEPUTY, on=self.today, free_from=self.today
        )
        movement = services.item_add(
            actor=self.board,
            plan=plan,
            cadre=first,
            to_position=destination,
            direction=Direction.BETWEEN_LOCALITIES,
            reason="Thực hiện chủ trương bố trí cán bộ không là người địa phương.",
            months=36,
            expected_after="Xem xét bố trí giữ chức vụ cao hơn.",
        )
        second, _origin, upward = self._pair(
            level=PositionLevel.DISTRICT_DEPUTY,
            on=self.today,
            free_from=self.today,
            to_level=PositionLevel.PROVINCE_OFFICE_DEPUTY,
        )
        services.item_add(
            actor=self.board,
            plan=plan,
            cadre=second,
            to_position=upward,
            direction=Direction.UPWARD,
            reason="Cán bộ trẻ có triển vọng, rèn luyện ở cơ quan cấp tỉnh.",
            months=36,
            expected_after="Trở về địa phương, xem xét bố trí chức danh chủ chốt.",
        )
        self._prepare(movement, on=self.today - dt.timedelta(days=3), origin=origin, full=False)
        services.plan_submit(actor=self.board, plan=plan)
        vote = services.vote_call(
            actor=self.board, plan=plan, scheduled_at=timezone.now(), place=PLACE
        )
        self._hold(vote, leave_open=True)
        return RotationPlan.objects.get(pk=plan.pk)

    # ----------------------------------------------------------------- the transfer

    def _transfer(self) -> Movement:
        cadre, origin, destination = self._pair(
            level=PositionLevel.DISTRICT_OFFICE_DEPUTY,
            on=self.today,
            free_from=self.today,
            unit_kind=UnitKind.STATE_AGENCY,
        )
        movement = services.transfer_propose(
            actor=self.board,
            unit=self.root,
            cadre=cadre,
            to_position=destination,
            reason="Điều động theo yêu cầu nhiệm vụ, kiện toàn lãnh đạo phòng chuyên môn.",
        )
        for side, unit in ((Side.SENDING, origin.unit), (Side.RECEIVING, destination.unit)):
            services.consultation_record(
                actor=self.board,
                movement=movement,
                side=side,
                consulted_on=self.today - dt.timedelta(days=4),
                body=f"Lãnh đạo {unit.name} và Ban Thường vụ cấp ủy",
                opinion=Opinion.AGREES,
            )
        return services.movement_submit(actor=self.board, movement=movement)

    # ----------------------------------------------------------------- helpers

    def _prepare(self, movement, *, on: dt.date, origin, full: bool) -> None:
        services.conversation_record(
            actor=self.board,
            movement=movement,
            held_on=on,
            cadre_view="Đồng ý với chủ trương; xin được tạo điều kiện về nơi ở.",
        )
        sides = [(Side.SENDING, origin.unit)]
        if full:
            sides.append((Side.RECEIVING, movement.to_position.unit))
        for side, unit in sides:
            services.consultation_record(
                actor=self.board,
                movement=movement,
                side=side,
                consulted_on=on,
                body=f"Ban Thường vụ {unit.name}",
                opinion=Opinion.AGREES,
            )
        kinds = list(DossierKind) if full else [DossierKind.ASSETS, DossierKind.HEALTH]
        for kind in kinds:
            services.dossier_record(
                actor=self.board,
                movement=movement,
                kind=kind,
                dated=on - dt.timedelta(days=10),
                reference=f"{kind.value.upper()}-{movement.pk}",
            )

    def _eligible(self, cadre: Cadre, ruleset, on: dt.date) -> bool:
        if cadre.pk in self.taken or (cadre.user_id and cadre.user.username in self.logins):
            return False
        if Movement.objects.filter(cadre=cadre).exclude(stage__in=FINISHED).exists():
            return False
        if cadre.discipline_records.exists():
            return False  # a demo of a good case: no discipline on file
        return (
            gates.remaining_service_gate(cadre, ruleset, on).passed
            and gates.investigation_gate(cadre, on).passed
        )

    def _pair(self, *, level: int, on: dt.date, free_from: dt.date, to_level=None, unit_kind=None):
        """(cadre, the post they hold, a destination post of ``to_level`` with a free seat from
        ``free_from`` in another unit)."""
        ruleset = selectors.newest_ruleset(track="party", on_date=self.today)
        to_level = to_level or level
        holdings = (
            PositionHolding.objects.filter(
                active_on(on),
                position__level=level,
                position__unit__path__startswith=self.root.path,
            )
            .filter(active_on(self.today))
            .filter(**({"position__unit__kind": unit_kind} if unit_kind else {}))
            .select_related("cadre", "cadre__user", "position", "position__unit")
            .order_by("position__unit__path", "position__title", "cadre__full_name", "pk")
        )
        posts = list(
            Position.objects.filter(level=to_level, unit__path__startswith=self.root.path)
            .filter(**({"unit__kind": unit_kind} if unit_kind else {}))
            .select_related("unit")
            .order_by("unit__path", "title", "pk")
        )
        branch = 2 * OrgUnit.steplen  # the district (or provincial agency) a unit belongs to
        for holding in holdings:
            cadre = holding.cadre
            if not self._eligible(cadre, ruleset, on):
                continue
            home = holding.position.unit.path[:branch]
            # Another district or agency first: a move between localities.
            for post in sorted(posts, key=lambda p: p.unit.path[:branch] == home):
                if post.unit_id == holding.position.unit_id:
                    continue
                if self._free(post, free_from):
                    self.taken.add(cadre.pk)
                    return cadre, holding.position, post
        raise _Skip(f"no demo cadre of level {level} fits a rotation or transfer")

    def _free(self, post: Position, start: dt.date) -> bool:
        held = [h for h in post.holdings.all() if h.ended_on is None or h.ended_on >= start]
        planned = Movement.objects.filter(to_position=post).exclude(stage__in=FINISHED).count()
        points = [start] + [h.started_on for h in held if h.started_on >= start]
        busiest = max(
            sum(1 for h in held if h.started_on <= p and (h.ended_on is None or h.ended_on >= p))
            for p in points
        )
        return busiest + planned < post.seats

    def _hold(self, vote, *, leave_open: bool) -> None:
        """The chair runs the standing committee's meeting on the plan: convenes it, records
        attendance (one member away, never a demo login), opens the ballot and lets the members
        approve every cadre; with ``leave_open`` the demo logins have not voted yet and the
        ballot stays open, else it is closed with the meeting."""
        meeting, ballot = vote.meeting, vote.ballot
        core.meeting_convene(actor=self.chair, meeting=meeting)
        summons = list(meeting.summons.select_related("user").order_by("user__username"))
        away = [
            s
            for s in summons
            if s.votes and s.user_id != self.chair.pk and s.user.username not in self.logins
        ][-1:]
        core.meeting_record_attendance(
            actor=self.chair,
            meeting=meeting,
            entries=[
                AttendanceEntry(s.user_id, Attendance.ABSENT, reason=ABSENCE)
                if s in away
                else AttendanceEntry(s.user_id, Attendance.PRESENT)
                for s in summons
            ],
        )
        ballot = core.ballot_open(actor=self.chair, ballot=ballot)
        rows = list(ballot.candidates.values_list("pk", flat=True))
        for s in summons:
            if s in away or not s.votes:
                continue
            if leave_open and s.user.username in self.logins:
                continue  # left for the demo logins to cast
            core.ballot_cast(
                actor=s.user, ballot=ballot, marks=[PaperMark(Choice.APPROVE, pk) for pk in rows]
            )
        if leave_open:
            return
        core.ballot_close(actor=self.chair, ballot=ballot)
        core.meeting_close(actor=self.chair, meeting=meeting)


__all__ = ["AT_VOTE", "UNDER_WAY", "DemoMissing", "SeedResult", "existing", "seed_demo_rotation"]
