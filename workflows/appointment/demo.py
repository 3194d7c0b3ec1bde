"""Demo appointments (issue #6): the procedure at several stages in the demo province.

Everything is done through the services, as the people would do it on their pages — the
organisation board (``tochuc``) asks for the policy and runs the steps, the chair of the
province standing committee (``chutich``) decides, chairs the meetings and signs, the members
vote in the ballot engine — so each process has its tasks, meetings, ballots, audit events and
notifications. The candidates are demo cadres whom the eligibility gates let through; where a
cadre lacks only a record the gates read (an approved planning entry, a fresh political-standard
conclusion), it is added through the personnel services first.

Each scenario is keyed by the number of its policy memo: a scenario whose memo exists is left
alone, so running the seed again creates nothing (and never undoes what people did since).
Demo mode only: the command checks ``CADREFLOW_DEMO_MODE``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from personnel import services as personnel
from personnel.demo import DEMO_USERS, ROOT_CODE, TERM_END, TERM_START
from personnel.models import (
    Cadre,
    Committee,
    CommitteeKind,
    CommitteeMembership,
    MembershipRole,
    OrgUnit,
    PlanningEntry,
    PlanningStatus,
    PoliticalStandardOutcome,
    Position,
    User,
)
from personnel.selectors import active_on, cadres_for_user
from workflows.core import rules
from workflows.core import services as core
from workflows.core.errors import Refused
from workflows.core.models import Attendance, Choice, ParameterKey
from workflows.core.services import AttendanceEntry, PaperMark

from . import gates as gate_rules
from . import services
from .models import (
    Appointment,
    AppointmentCandidate,
    AppointmentStep,
    DossierItem,
    DossierKind,
    Source,
    Stage,
)

BOARD, CHAIR, MEMBER = "tochuc", "chutich", "uyvien"
STANDING = "Ban Thường vụ Tỉnh ủy"
MEMO_REF = "TTr/BTCTU"
PLACE = "Phòng họp Ban Thường vụ, trụ sở Tỉnh ủy"
HALL = "Hội trường Tỉnh ủy"
ABSENCE = "Đi công tác Trung ương"
_ADVISORY_LOCK = 0x5EED_A990  # serialises two runs (personnel.demo uses 0x5EED_DE30)
#: the gates a demo cadre may lack and be given through the personnel services
FIXABLE = {gate_rules.Gate.PLANNING.value, gate_rules.Gate.POLITICAL_STANDARD.value}


class DemoMissing(Exception):
    """``seed_demo`` has not run (or its logins or standing committee were removed)."""


@dataclass(frozen=True)
class Scenario:
    number: int  # of the policy memo: the scenario's key
    source: str
    stage: str  # where the procedure stands once seeded
    summary: str

    @property
    def key(self) -> str:
        return f"Tờ trình số {self.number}-{MEMO_REF} "


SCENARIOS = (
    Scenario(101, Source.INTERNAL, Stage.DECISION_ISSUED, "decision issued, post held"),
    Scenario(102, Source.INTERNAL, Stage.STEP4_DONE, "appraisal, dossier partly uploaded"),
    Scenario(103, Source.INTERNAL, Stage.STEP1_DONE, "step 2 meeting called for tomorrow"),
    Scenario(104, Source.INTERNAL, Stage.POLICY_REQUESTED, "waiting for the policy decision"),
    Scenario(105, Source.EXTERNAL, Stage.POLICY_APPROVED, "external source, conversation"),
)


@dataclass
class SeedResult:
    created: list[Appointment] = field(default_factory=list)
    present: list[Appointment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def existing(scenario: Scenario) -> Appointment | None:
    return (
        Appointment.objects.filter(unit__code=ROOT_CODE, policy_memo__startswith=scenario.key)
        .order_by("pk")
        .first()
    )


def seed_demo_appointments() -> SeedResult:
    """Create the scenarios that do not exist yet; each in its own transaction."""
    demo = _Demo()
    result = SeedResult()
    for scenario in SCENARIOS:
        try:
            with transaction.atomic():
                # Two seeds at once (two `make run`s) must not both build the scenario.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
                found = existing(scenario)
                if found is None:
                    appointment = demo.build(scenario)
        except _Skip as skip:
            result.warnings.append(f"{scenario.number}: {skip}")
            continue
        except Refused as refused:  # a service said no: report it, seed the rest
            result.warnings.append(f"{scenario.number}: refused: {refused.message}")
            continue
        finally:
            demo.discard_files()
        if found is None:
            result.created.append(appointment)
        else:
            result.present.append(found)
    return result


class _Skip(Exception):
    pass


# --------------------------------------------------------------------------- the builder


class _Demo:
    def __init__(self):
        try:
            self.board = User.objects.get(username=BOARD, is_active=True)
            self.chair = User.objects.get(username=CHAIR, is_active=True)
            self.root = OrgUnit.objects.get(code=ROOT_CODE)
            self.body = Committee.objects.get(
                name=STANDING, kind=CommitteeKind.STANDING, unit=self.root
            )
        except (User.DoesNotExist, OrgUnit.DoesNotExist, Committee.DoesNotExist) as missing:
            raise DemoMissing(str(missing)) from missing
        if not User.objects.filter(username=MEMBER).exists():
            raise DemoMissing(f"user {MEMBER!r} not found")
        self.today = timezone.localdate()
        self.standing = self._members(Q(committee=self.body))
        # Step 2 (expanded meeting): the standing committee with the heads of the province's
        # Party boards; step 4 (key officials): also the district Party secretaries.
        self.expanded = self._union(
            self.standing,
            self._members(
                Q(committee__unit=self.root)
                & ~Q(committee__kind=CommitteeKind.STANDING)
                & Q(role__in=[MembershipRole.CHAIR, MembershipRole.DEPUTY])
            ),
        )
        self.key_officials = self._union(
            self.expanded,
            self._members(
                Q(committee__kind=CommitteeKind.STANDING, role=MembershipRole.CHAIR)
                & Q(committee__unit__path__startswith=self.root.path)
                & Q(committee__unit__depth=self.root.depth + 1)
            ),
        )
        self.login_cadres = set(
            Cadre.objects.filter(user__username__in=[d.username for d in DEMO_USERS]).values_list(
                "pk", flat=True
            )
        )
        if self.chair not in self.standing:
            raise DemoMissing(f"{CHAIR!r} does not sit on the {STANDING}")
        self._files: list = []

    # ----------------------------------------------------------------- people

    def _members(self, condition: Q) -> list:
        ids = CommitteeMembership.objects.filter(
            active_on(self.today), condition, user__is_active=True
        ).values("user_id")
        return list(User.objects.filter(pk__in=ids).order_by("username"))

    @staticmethod
    def _union(*groups) -> list:
        seen: dict[int, object] = {}
        for group in groups:
            for user in group:
                seen.setdefault(user.pk, user)
        return sorted(seen.values(), key=lambda u: u.username)

    # ----------------------------------------------------------------- scenarios

    def build(self, scenario: Scenario) -> Appointment:
        needs_seat = scenario.stage == Stage.DECISION_ISSUED
        position = self._post(needs_seat=needs_seat)
        if position is None:
            raise _Skip("no post of the standing committee is free for it")
        appointment = services.appointment_start(
            actor=self.board,
            position=position,
            source=scenario.source,
            memo=self._memo(scenario, position),
        )
        if scenario.stage == Stage.POLICY_REQUESTED:
            return appointment
        appointment = services.appointment_policy_decide(
            actor=self.chair,
            appointment=appointment,
            approve=True,
            note="Ban Thường vụ Tỉnh ủy đồng ý chủ trương; hoàn thành quy trình trong thời hạn.",
        )
        if scenario.source == Source.EXTERNAL:
            cadres = self._candidates(appointment, count=1, external=True)
            services.candidates_set(actor=self.board, appointment=appointment, cadres=cadres)
            return _fresh(appointment)
        cadres = self._candidates(appointment, count=2 if needs_seat else 3)
        services.candidates_set(actor=self.board, appointment=appointment, cadres=cadres)
        self._step1(appointment)
        if scenario.stage == Stage.STEP1_DONE:
            tomorrow = dt.datetime.combine(self.today + dt.timedelta(days=1), dt.time(8, 0))
            services.step_call(
                actor=self.board,
                appointment=appointment,
                scheduled_at=timezone.make_aware(tomorrow),
                place=HALL,
                summoned=self.expanded,
            )
            return _fresh(appointment)
        self._nomination_steps(appointment)
        if scenario.stage == Stage.STEP4_DONE:
            for kind in (DossierKind.MEMO, DossierKind.RESUME, DossierKind.SELF_ASSESSMENT):
                self._upload(appointment, kind)
            return _fresh(appointment)
        for kind in DossierKind:
            if kind != DossierKind.OTHER:
                self._upload(appointment, kind)
        self._appraise(appointment)
        self._final_vote(appointment)
        return services.decision_issue(
            actor=self.chair,
            appointment=_fresh(appointment),
            number=f"{scenario.number + 140}-QĐ/TU",
            decision_date=self.today,
            effective_date=self.today,
        )

    def _memo(self, scenario: Scenario, position: Position) -> str:
        source = (
            "nguồn nhân sự tại chỗ, trong quy hoạch"
            if scenario.source == Source.INTERNAL
            else "nguồn nhân sự từ nơi khác"
        )
        return (
            f"{scenario.key}ngày {self.today:%d/%m/%Y} của Ban Tổ chức Tỉnh ủy xin chủ trương "
            f"bổ nhiệm 01 {position.title} ({position.unit.name}); {source}."
        )

    # ----------------------------------------------------------------- posts and candidates

    def _post(self, *, needs_seat: bool) -> Position | None:
        """A post the standing committee manages and no open procedure is filling: one with a
        free seat first (the decision needs one), in a province agency first."""
        busy = Appointment.objects.exclude(
            stage__in=[Stage.CLOSED_REJECTED, Stage.CLOSED_FAILED, Stage.WITHDRAWN]
        ).values("position_id")
        posts = (
            Position.objects.filter(managing_committee=self.body)
            .exclude(pk__in=busy)
            .select_related("unit")
            .prefetch_related("holdings")
            .order_by("pk")
        )
        ranked = []
        for post in posts:
            held = [h for h in post.holdings.all() if h.is_active_on(self.today)]
            if any(h.cadre_id in self.login_cadres for h in held):
                continue  # not the post of a demo login
            free = _free_seat(post, self.today)
            if needs_seat and not free:
                continue
            agency = post.unit.depth == self.root.depth + 1
            # Without a free seat: the post whose holder's term ends first (to be filled).
            ends = min((h.term_ends_on or dt.date.max for h in held), default=dt.date.min)
            ranked.append(((not free, not agency, ends, post.pk), post))
        return min(ranked, key=lambda r: r[0])[1] if ranked else None

    def _candidates(self, appointment: Appointment, *, count: int, external: bool = False):
        """Cadres the gates let through (or would, once given a planning entry or a fresh
        political-standard conclusion, which they are given here), best placed first."""
        position = appointment.position
        voters = {u.pk for u in self.key_officials}
        busy = AppointmentCandidate.objects.values("cadre_id")  # one procedure per cadre
        pool = (
            cadres_for_user(user=self.board)
            .filter(unit__path__startswith=self.root.path)
            .exclude(pk__in=busy)
            .exclude(user_id__in=voters)
            .exclude(pk__in=self.login_cadres)
            .select_related("unit")
            .prefetch_related(*gate_rules.GATE_PREFETCH)
        )
        inside = position.unit.path
        term = TERM_START.year
        planned_here = PlanningEntry.objects.filter(
            position=position, term_start_year=term, status=PlanningStatus.APPROVED
        ).count()
        cap = rules.get(appointment.ruleset, ParameterKey.PLANNING_CAPS)
        ranked = []
        for cadre in pool:
            levels = [h.position.level for h in cadre.holdings.all() if h.is_active_on(self.today)]
            if not levels or not position.level - 30 <= max(levels) < position.level:
                continue
            at_home = cadre.unit.path.startswith(inside)
            if external and at_home:
                continue
            failed = {r.code for r in services.gates_for(appointment, cadre) if not r.passed}
            if not failed <= FIXABLE:
                continue
            entries = cadre.planning_entries.all()
            if gate_rules.Gate.PLANNING in failed and (
                any(e.position_id == position.pk and e.term_start_year == term for e in entries)
                or sum(1 for e in entries if e.term_start_year == term) >= cap["per_cadre"]
            ):
                continue
            for_this = any(
                e.position_id == position.pk and e.status == PlanningStatus.APPROVED
                for e in entries
            )
            key = (
                not for_this,
                gate_rules.Gate.PLANNING in failed,
                not at_home,
                position.level - max(levels),
                cadre.full_name,
                cadre.pk,
            )
            ranked.append((key, cadre, failed))
        ranked.sort(key=lambda r: r[0])
        chosen = []
        room = cap["per_position"] - planned_here
        for _key, cadre, failed in ranked:
            if gate_rules.Gate.PLANNING in failed:
                if room <= 0:
                    continue
                room -= 1
            chosen.append((cadre, failed))
            if len(chosen) == count:
                break
        if not chosen:
            raise _Skip(f"no demo cadre passes the gates for {position.title}")
        for number, (cadre, failed) in enumerate(chosen, start=1):
            self._give_records(cadre, position, failed, number)
        return [cadre for cadre, _failed in chosen]

    def _give_records(self, cadre: Cadre, position: Position, failed: set, number: int) -> None:
        if gate_rules.Gate.PLANNING in failed:
            personnel.planning_entry_add(
                actor=self.board,
                cadre=cadre,
                position=position,
                term_start_year=TERM_START.year,
                term_end_year=TERM_END.year,
                status=PlanningStatus.APPROVED,
            )
        if gate_rules.Gate.POLITICAL_STANDARD in failed:
            personnel.political_conclusion_add(
                actor=self.board,
                cadre=cadre,
                concluded_on=self.today - dt.timedelta(days=20 + number),
                outcome=PoliticalStandardOutcome.MEETS,
                issued_by="Ban Thường vụ Tỉnh ủy Đồng Tháp",
                reference=f"{300 + cadre.pk % 600}-KL/TU",
            )

    # ----------------------------------------------------------------- steps

    def _call(self, appointment: Appointment, **kwargs) -> AppointmentStep:
        return services.step_call(
            actor=self.board,
            appointment=appointment,
            scheduled_at=timezone.now(),
            place=PLACE,
            **kwargs,
        )

    def _step1(self, appointment: Appointment) -> None:
        step = self._call(appointment)
        self._hold(step, lambda rows, i, n: [PaperMark(Choice.APPROVE, r.pk) for r in rows])
        services.step_record(
            actor=self.board,
            appointment=appointment,
            note="Thống nhất cơ cấu, tiêu chuẩn, điều kiện và danh sách nhân sự đủ điều kiện.",
        )

    def _nomination_steps(self, appointment: Appointment) -> None:
        # Step 2: most name the first candidate (above half of those summoned), a few others.
        step = self._call(appointment, summoned=self.expanded)
        self._hold(step, _spread)
        services.step_record(actor=self.board, appointment=appointment)
        # Step 3: the leadership collective (here the standing committee) names the nominee.
        step = self._call(appointment)
        self._hold(step, _first_but(1))
        services.step_record(actor=self.board, appointment=appointment)
        # Step 4: the key officials' opinion on the nominee.
        step = self._call(appointment, summoned=self.key_officials)
        self._hold(step, _first_but(2))
        services.step_record(
            actor=self.board,
            appointment=appointment,
            note="Hội nghị cán bộ chủ chốt lấy ý kiến bằng phiếu kín.",
        )

    def _appraise(self, appointment: Appointment) -> None:
        services.appraisal_submit(
            actor=self.board,
            appointment=appointment,
            standing_evaluation=(
                "Ban Thường vụ Tỉnh ủy nhận xét: đồng chí có bản lĩnh chính trị vững vàng, "
                "phẩm chất đạo đức tốt, hoàn thành tốt nhiệm vụ; đủ tiêu chuẩn, điều kiện."
            ),
            new_issues_conclusion="Không có vấn đề mới phát sinh cần làm rõ.",
        )
        services.appraisal_review(
            actor=self.chair,
            appointment=appointment,
            approve=True,
            note="Hồ sơ đầy đủ, đúng quy định.",
        )

    def _final_vote(self, appointment: Appointment) -> None:
        step = self._call(appointment)

        def papers(rows, i, n):
            choice = Choice.DISAPPROVE if i == n - 1 else Choice.APPROVE
            return [PaperMark(choice, r.pk) for r in rows]

        self._hold(step, papers)
        services.step_record(
            actor=self.board,
            appointment=appointment,
            note="Ban Thường vụ Tỉnh ủy biểu quyết bằng phiếu kín.",
        )

    def _hold(self, step: AppointmentStep, papers) -> None:
        """The chair runs the step's meeting: convenes it, records attendance (one member
        away, never a demo login), opens the ballot, the members vote, the ballot and the
        meeting close. ``papers(rows, i, n)`` is voter ``i``'s paper of ``n``."""
        meeting, chair = step.meeting, step.meeting.chair
        core.meeting_convene(actor=chair, meeting=meeting)
        summons = list(meeting.summons.select_related("user").order_by("user__username"))
        away = [s for s in summons if s.user.username not in (BOARD, CHAIR, MEMBER) and s.votes][
            -1:
        ]
        entries = [
            AttendanceEntry(s.user_id, Attendance.ABSENT, reason=ABSENCE)
            if s in away
            else AttendanceEntry(s.user_id, Attendance.PRESENT)
            for s in summons
        ]
        core.meeting_record_attendance(actor=chair, meeting=meeting, entries=entries)
        ballot = core.ballot_open(actor=chair, ballot=step.ballot)
        rows = list(ballot.candidates.order_by("order", "pk"))
        voters = [s.user for s in summons if s not in away and s.votes]
        for i, voter in enumerate(voters):
            core.ballot_cast(actor=voter, ballot=ballot, marks=papers(rows, i, len(voters)))
        core.ballot_close(actor=chair, ballot=ballot)
        core.meeting_close(actor=chair, meeting=meeting)

    # ----------------------------------------------------------------- dossier

    def _upload(self, appointment: Appointment, kind: str) -> None:
        label = str(DossierKind(kind).label)
        name = f"{_slug(label)}.pdf"
        item = services.dossier_add(
            actor=self.board,
            appointment=appointment,
            kind=kind,
            upload=SimpleUploadedFile(
                name,
                _pdf(f"{label} - {appointment.position.title}"),
                content_type="application/pdf",
            ),
        )
        self._files.append(item.file.name)

    def discard_files(self) -> None:
        """Remove files of a scenario whose transaction rolled back (none stay orphaned)."""
        for name in self._files:
            if not DossierItem.objects.filter(file=name).exists():
                DossierItem.file.field.storage.delete(name)
        self._files = []


# --------------------------------------------------------------------------- helpers


def _fresh(appointment: Appointment) -> Appointment:
    return Appointment.objects.get(pk=appointment.pk)


def _free_seat(position: Position, day: dt.date) -> bool:
    """Would a holding from ``day`` on fit the seat count? (The database trigger's test.)"""
    others = [(h.started_on, h.ended_on) for h in position.holdings.all()]
    points = [day] + [start for start, _end in others if start >= day]
    busiest = max(
        sum(1 for s, e in others if s <= point and (e is None or e >= point)) for point in points
    )
    return busiest < position.seats


def _nominate(row) -> list[PaperMark]:
    return [PaperMark(Choice.NOMINATE, row.pk)]


def _spread(rows, i, n):
    """Three in four name the first candidate; the rest the others in turn."""
    first = n - n // 4
    if i < first or len(rows) == 1:
        return _nominate(rows[0])
    return _nominate(rows[1 + (i - first) % (len(rows) - 1)])


def _first_but(abstaining: int):
    def papers(rows, i, n):
        if i >= n - abstaining:
            return [PaperMark(Choice.ABSTAIN)]
        return _nominate(rows[0])

    return papers


def _slug(text: str) -> str:
    plain = _ascii(text).lower()
    return "-".join("".join(c if c.isalnum() else " " for c in plain).split())[:60]


def _ascii(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return (
        "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        .encode("ascii", "ignore")
        .decode()
    )


def _pdf(title: str) -> bytes:
    """A one-page PDF saying ``title`` (ASCII: the standard fonts have no Vietnamese)."""
    text = _ascii(title).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj 0 -24 Td (Cadreflow demo) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


__all__ = ["SCENARIOS", "DemoMissing", "Scenario", "existing", "seed_demo_appointments"]
