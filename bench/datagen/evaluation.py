"""Evaluation campaigns and their evaluations (``workflows.evaluation``).

Yearly campaigns: each organisation board (the province's, each district's) evaluates the
collectives and cadres of its units once a year — 2024 and 2025 published, 2026 under way with
evaluations at every state of §3.6 (awaiting the self-assessment, self-assessed, under
appraisal, proposed, decided, under re-evaluation after a complaint, excused). Ad hoc campaigns
("when necessary", QĐ 366) evaluate a few cadres for an occasion. Published ratings are on the
cadres' records (``EvaluationResult``); the "excellent" quota holds in every peer group; each
evaluation has its self-assessment limit with the person responsible.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation
from viewflow.workflow.status import PROCESS

from personnel.models import CommitteeKind, EvaluationLevel, EvaluationPeriod
from workflows.evaluation.models import CampaignStage, EvaluationState, Subject
from workflows.evaluation.services import SELF_ASSESSMENT_TITLE, level_for_score

from .processes import CANCEL, DONE, OPEN

OCCASIONS = (
    "Xem xét bổ nhiệm lại",
    "Xem xét điều động, luân chuyển",
    "Kiện toàn tổ chức bộ máy sau sắp xếp",
    "Xem xét đề nghị khen thưởng",
    "Xem xét giới thiệu ứng cử",
)
OPEN_STATES = (
    (EvaluationState.DRAFT, 30),
    (EvaluationState.SELF_RATED, 22),
    (EvaluationState.UNDER_APPRAISAL, 14),
    (EvaluationState.PROPOSED, 14),
    (EvaluationState.DECIDED, 14),
    (EvaluationState.REEVALUATION, 2),
    (EvaluationState.EXCUSED, 4),
)
ORDER = [
    EvaluationState.DRAFT,
    EvaluationState.SELF_RATED,
    EvaluationState.UNDER_APPRAISAL,
    EvaluationState.PROPOSED,
    EvaluationState.DECIDED,
]
LEVELS = (
    (EvaluationLevel.EXCELLENT, 10),
    (EvaluationLevel.GOOD, 64),
    (EvaluationLevel.COMPLETED, 23),
    (EvaluationLevel.NOT_COMPLETED, 3),
)
SELF_REVIEW = (
    "Hoàn thành tốt các nhiệm vụ được giao; giữ gìn phẩm chất đạo đức, lối sống.",
    "Chủ động tham mưu, triển khai nhiệm vụ đúng tiến độ; còn hạn chế trong công tác tổng hợp.",
    "Thực hiện nghiêm quy chế làm việc; kết quả nhiệm vụ đạt và vượt chỉ tiêu đề ra.",
)


@dataclass
class CampaignPlan:
    period: str  # year | ad_hoc
    end: str  # published | open | cancelled
    year: int
    organiser: object = None


def campaign_nodes(plan: CampaignPlan) -> list[tuple[str, str]]:
    if plan.end == "published":
        return [("start", DONE), ("publish", DONE), ("end", DONE)]
    return [("start", DONE), ("publish", OPEN if plan.end == "open" else CANCEL)]


def draw(rng, n: int, organisers: list) -> list[CampaignPlan]:
    """The yearly campaigns of every organisation board, then ad hoc ones up to ``n``."""
    plans = []
    for organiser in organisers:
        for year, end in ((2024, "published"), (2025, "published"), (2026, "open")):
            if len(plans) < n:
                plans.append(CampaignPlan(EvaluationPeriod.YEAR, end, year, organiser))
    first = ["published", "open", "cancelled"]
    while len(plans) < n:
        end = (
            first.pop(0)
            if first
            else rng.choices(["published", "open", "cancelled"], [82, 13, 5])[0]
        )
        plans.append(CampaignPlan(EvaluationPeriod.AD_HOC, end, 0))
    return plans


class Campaigns:
    def __init__(self, gen):
        self.gen = gen
        self.flow = gen.flows["evaluation"]
        loader = gen.loader
        self.table = loader.table(
            "evaluation_evaluationcampaign",
            [
                "process_ptr_id",
                "title",
                "period",
                "year",
                "quarter",
                "track",
                "stage",
                "self_assessment_days",
                "self_assessment_due",
                "published_at",
                "closed_reason",
                "opened_by_id",
                "published_by_id",
                "ruleset_id",
                "unit_id",
                "occasion",
            ],
            ids=False,
        )
        self.units = loader.table(
            "evaluation_evaluationcampaign_units", ["id", "evaluationcampaign_id", "orgunit_id"]
        )
        self.evaluations = loader.table(
            "evaluation_evaluation",
            [
                "id",
                "subject",
                "peer_group",
                "state",
                "scores",
                "total",
                "self_level",
                "self_review",
                "self_assessed_at",
                "comments",
                "comments_recorded_at",
                "proposed_level",
                "appraisal_note",
                "appraised_at",
                "decided_level",
                "decision_note",
                "decided_at",
                "excused_reason",
                "published_at",
                "appraised_by_id",
                "cadre_id",
                "comments_meeting_id",
                "committee_id",
                "competent_body_id",
                "deadline_id",
                "decided_by_id",
                "position_id",
                "result_id",
                "self_assessed_by_id",
                "unit_id",
                "campaign_id",
            ],
        )
        self.results = loader.table(
            "personnel_evaluationresult",
            ["id", "period", "year", "quarter", "level", "score", "cadre_id", "occasion"],
        )
        self.complaints = loader.table(
            "evaluation_evaluationcomplaint",
            [
                "id",
                "text",
                "filed_at",
                "level_before",
                "resolved_at",
                "level_after",
                "reason",
                "evaluation_id",
                "filed_by_id",
                "resolved_by_id",
                "superior_body_id",
            ],
        )
        with translation.override("vi"):
            self.periods = {p.value: str(p.label) for p in EvaluationPeriod}
        self.boards = [u for u in gen.world.units if u.role in ("province", "district")]

    # ----------------------------------------------------------------- who is who

    @staticmethod
    def _collective(unit):
        for kind in (CommitteeKind.LEADERSHIP, CommitteeKind.STANDING, CommitteeKind.EXECUTIVE):
            if kind in unit.committees:
                return unit.committees[kind]
        return None

    def _subjects(self, units, day, chosen=None):
        """(subject, unit, committee, cadre, position, competent body) as ``_build_evaluations``
        lists them."""
        seats = self.gen.seats
        out = []
        for unit in units:
            if chosen is None:
                collective = self._collective(unit)
                above = unit.nearest(CommitteeKind.STANDING, include_self=False)
                if collective is not None and above is not None:
                    out.append((Subject.COLLECTIVE, unit, collective, None, None, above))
            standing = unit.nearest(CommitteeKind.STANDING)
            for cadre in unit.cadres if chosen is None else chosen:
                position = seats.post_on(cadre, unit.id, day)
                competent = position.managing if position and position.managing else standing
                if competent is None:
                    continue
                out.append((Subject.INDIVIDUAL, unit, None, cadre, position, competent))
        return out

    # ----------------------------------------------------------------- one campaign

    def write(self, plan: CampaignPlan) -> int:
        gen, rng, clock, trail = self.gen, self.gen.rng, self.gen.clock, self.gen.trail
        if plan.period == EvaluationPeriod.YEAR:
            organiser = plan.organiser
            # The province's campaign covers its own departments; each district runs its own.
            units = [organiser] + [u for u in organiser.children if u.role != "district"]
            if plan.end == "open":
                opened = clock.now - dt.timedelta(days=rng.uniform(5, 20))
            else:
                opened = clock.aware(
                    dt.date(plan.year, 11, 10) + dt.timedelta(days=rng.randrange(30)),
                    8 + rng.randrange(8),
                )
            occasion = ""
            title = f"Đánh giá, xếp loại chất lượng năm {plan.year} — {organiser.name}"
            chosen = None
        else:
            organiser = self.boards[rng.randrange(len(self.boards))]
            pool = [
                u
                for u in organiser.subtree()
                if u.cadres and (u is organiser or u.role != "district")
            ]
            unit = pool[rng.randrange(len(pool))]
            units = [unit]
            if plan.end == "open":
                opened = clock.now - dt.timedelta(days=rng.uniform(1, 40))
            else:
                opened = clock.between(rng, clock.start, clock.now - dt.timedelta(days=60))
            plan.year = clock.local_date(opened).year
            occasion = rng.choice(OCCASIONS)
            title = f"Đánh giá khi cần thiết: {occasion.lower()} — {unit.name}"
            chosen = rng.sample(unit.cadres, min(len(unit.cadres), rng.randint(1, 4)))
        open_day = clock.local_date(opened)
        ruleset = gen.rules_for(open_day)
        board = organiser.board.user_ids
        opener = board[rng.randrange(len(board))]
        from .clock import add_working_days

        days = 10
        due = add_working_days(open_day, days)
        proc = gen.tasks.process(self.flow, opened)
        pid = proc.id
        audit = dict(procedure="evaluation", process=pid)
        subjects = self._subjects(units, open_day, chosen)
        self._title, self._occasion = title[:200], occasion
        # ---- the process
        proc.task("start", DONE, opened, finished=clock.seconds(rng, opened, 0.01, 0.05))
        publish_created = clock.seconds(rng, opened, 0.1, 0.5)
        stage = CampaignStage.OPEN
        published_at = published_by = None
        closed_reason = ""
        status, ended = PROCESS.NEW, None
        if plan.end == "published":
            published_at = min(
                opened + dt.timedelta(days=rng.uniform(25, 70)),
                clock.now - dt.timedelta(hours=rng.uniform(2, 48)),
            )
            published_by = board[rng.randrange(len(board))]
            claimed = published_at - dt.timedelta(hours=rng.uniform(0.2, 30))
            proc.task(
                "publish",
                DONE,
                publish_created,
                finished=published_at,
                owner=published_by,
                claimed=claimed,
            )
            end_at = clock.seconds(rng, published_at, 0.05, 0.3)
            ended = clock.seconds(rng, end_at, 0.002, 0.01)
            proc.task("end", DONE, end_at, finished=ended)
            stage, status = CampaignStage.PUBLISHED, PROCESS.DONE
        elif plan.end == "open":
            owner = board[rng.randrange(len(board))] if rng.random() < 0.3 else None
            claimed = min(clock.later(rng, publish_created, 0.1, 5), clock.now) if owner else None
            proc.task("publish", OPEN, publish_created, owner=owner, claimed=claimed, queue=board)
        else:
            ended = clock.later(rng, opened, 2, 20)
            proc.task("publish", CANCEL, publish_created, finished=ended, actor=opener)
            stage, status = CampaignStage.CANCELLED, PROCESS.CANCELED
            closed_reason = "Mở nhầm kỳ đánh giá; tổ chức lại theo hướng dẫn mới."
        trail.add(
            opened,
            opener,
            "evaluation.open",
            "evaluation.evaluationcampaign",
            pid,
            unit=organiser.id,
            changes={
                "units": [None, [u.id for u in units]],
                "period": [None, f"{self.periods[plan.period]} {plan.year}"],
                "ruleset": [None, ruleset.label],
                "collectives": [None, sum(1 for s in subjects if s[2])],
                "cadres": [None, sum(1 for s in subjects if s[3])],
                "not_evaluated": [None, {}],
            },
            **audit,
        )
        # ---- the evaluations
        states = self._states(plan, len(subjects))
        levels = self._levels(subjects, states, ruleset.quota)
        for subject, state, level in zip(subjects, states, levels, strict=True):
            self._evaluation(
                plan,
                pid,
                subject,
                state,
                level,
                opened,
                due,
                days,
                ruleset,
                board,
                published_at,
                published_by,
                ended,
                audit,
            )
        for unit in units:
            self.units.add(self.units.new_id(), pid, unit.id)
        if plan.end == "published":
            trail.add(
                published_at,
                published_by,
                "evaluation.publish",
                "evaluation.evaluationcampaign",
                pid,
                unit=organiser.id,
                changes={"stage": [CampaignStage.OPEN, CampaignStage.PUBLISHED]},
                **audit,
            )
        elif plan.end == "cancelled":
            trail.add(
                ended,
                opener,
                "process.cancel",
                "evaluation.evaluationcampaign",
                pid,
                procedure="evaluation",
                process=pid,
            )
            trail.add(
                ended,
                opener,
                "evaluation.cancel",
                "evaluation.evaluationcampaign",
                pid,
                unit=organiser.id,
                reason=closed_reason,
                **audit,
            )
        proc.finish(status, ended)
        self.table.add(
            pid,
            title[:200],
            plan.period,
            plan.year,
            None,
            "party",
            stage,
            days,
            due,
            published_at,
            closed_reason,
            opener,
            published_by,
            ruleset.id,
            organiser.id,
            occasion,
        )
        gen.count_stage("evaluation_campaign", stage)
        return proc.count

    def _states(self, plan, n) -> list[str]:
        rng = self.gen.rng
        if plan.end == "published":
            return [
                EvaluationState.EXCUSED if rng.random() < 0.02 else EvaluationState.PUBLISHED
                for _ in range(n)
            ]
        if plan.end == "cancelled":
            return [rng.choice(ORDER[:3]) for _ in range(n)]
        values = [s for s, _w in OPEN_STATES]
        weights = [w for _s, w in OPEN_STATES]
        return rng.choices(values, weights, k=n)

    def _levels(self, subjects, states, quota: int) -> list[int]:
        """Decided levels, with the rule-set's "excellent" quota held in each peer group."""
        rng = self.gen.rng
        values = [v for v, _w in LEVELS]
        weights = [w for _v, w in LEVELS]
        levels = rng.choices(values, weights, k=len(subjects))
        groups = defaultdict(list)
        for i, (subject, state) in enumerate(zip(subjects, states, strict=True)):
            if state in (
                EvaluationState.DECIDED,
                EvaluationState.PUBLISHED,
                EvaluationState.REEVALUATION,
            ):
                groups[_peer_group(subject)].append(i)
        for members in groups.values():
            excellent = [i for i in members if levels[i] == EvaluationLevel.EXCELLENT]
            good = sum(1 for i in members if levels[i] == EvaluationLevel.GOOD)
            while excellent and len(excellent) * 100 > good * quota:
                levels[excellent.pop()] = EvaluationLevel.GOOD
                good += 1
        return levels

    def _evaluation(
        self,
        plan,
        pid,
        subject,
        state,
        level,
        opened,
        due,
        days,
        ruleset,
        board,
        published_at,
        published_by,
        ended,
        audit,
    ) -> None:
        gen, rng, clock, trail, world = (
            self.gen,
            self.gen.rng,
            self.gen.clock,
            self.gen.trail,
            self.gen.world,
        )
        kind, unit, committee, cadre, position, competent = subject
        eid = self.evaluations.new_id()
        if kind == Subject.COLLECTIVE:
            assessor = committee.chair
        else:
            assessor = world.cadre_by_id[cadre].user_id
        responsible = [assessor] if assessor else board
        decider = competent.chair
        horizon = {"open": clock.now, "published": published_at}.get(plan.end, ended)
        step = (horizon - opened) / 6
        reached = (
            ORDER.index(state)
            if state in ORDER
            else (4 if state in (EvaluationState.PUBLISHED, EvaluationState.REEVALUATION) else 0)
        )
        times = [opened + step * (i + rng.uniform(0.2, 0.9)) for i in range(5)]
        who = assessor or board[rng.randrange(len(board))]
        ev = dict(
            scores={},
            total=None,
            self_level=None,
            self_review="",
            self_assessed_at=None,
            self_assessed_by=None,
            comments="",
            comments_recorded_at=None,
            proposed_level=None,
            appraisal_note="",
            appraised_at=None,
            appraised_by=None,
            decided_level=None,
            decision_note="",
            decided_at=None,
            decided_by=None,
            excused_reason="",
            published_at=None,
            result=None,
        )
        common = dict(unit=unit.id, cadre=cadre, **audit)
        target = ("evaluation.evaluation", eid)
        met = met_by = None
        if state == EvaluationState.EXCUSED:
            met, met_by = times[1], board[rng.randrange(len(board))]
            ev["excused_reason"] = "Nghỉ chế độ thai sản trên 6 tháng trong năm."
            trail.add(
                met, met_by, "evaluation.excuse", *target, reason=ev["excused_reason"], **common
            )
        if reached >= 1:
            criteria = ruleset.criteria
            scores = {}
            for group, most in criteria.items():
                low = most * (0.6 if level <= EvaluationLevel.COMPLETED else 0.78)
                scores[group] = Decimal(round(rng.uniform(low, most) * 2) / 2)
            total = sum(scores.values(), Decimal(0)).quantize(Decimal("0.01"))
            ev.update(
                scores={k: f"{v.normalize():f}" for k, v in scores.items()},
                total=total,
                self_level=level_for_score(total, ruleset.bands),
                self_review=rng.choice(SELF_REVIEW),
                self_assessed_at=times[0],
                self_assessed_by=who,
            )
            met, met_by = times[0], who
            trail.add(
                times[0],
                who,
                "evaluation.self",
                *target,
                changes={"total": [None, str(total)], "self_level": [None, ev["self_level"]]},
                **common,
            )
        if reached >= 2:
            ev.update(
                comments="Tập thể thống nhất với bản tự đánh giá.", comments_recorded_at=times[1]
            )
            trail.add(times[1], board[0], "evaluation.comments", *target, **common)
        if reached >= 3:
            appraiser = board[rng.randrange(len(board))]
            ev.update(
                proposed_level=int(level),
                appraisal_note="",
                appraised_at=times[2],
                appraised_by=appraiser,
            )
            trail.add(
                times[2],
                appraiser,
                "evaluation.appraise",
                *target,
                changes={"proposed_level": [None, int(level)]},
                **common,
            )
        if reached >= 4:
            ev.update(decided_level=int(level), decided_at=times[3], decided_by=decider)
            trail.add(
                times[3],
                decider,
                "evaluation.decide",
                *target,
                changes={"decided_level": [None, int(level)]},
                **common,
            )
        if state == EvaluationState.PUBLISHED:
            ev["published_at"] = published_at
            if kind == Subject.INDIVIDUAL:
                ev["result"] = self.results.new_id()
                self.results.add(
                    ev["result"],
                    plan.period,
                    plan.year,
                    None,
                    int(level),
                    ev["total"],
                    cadre,
                    "" if plan.period != EvaluationPeriod.AD_HOC else self._occasion,
                )
        if state == EvaluationState.REEVALUATION:
            superior = competent.unit.nearest(CommitteeKind.STANDING, include_self=False)
            filer = assessor
            if superior is None or filer is None:
                state = EvaluationState.DECIDED
            else:
                filed = times[4]
                self.complaints.add(
                    self.complaints.new_id(),
                    "Đề nghị xem xét lại mức xếp loại do đã hoàn thành vượt chỉ tiêu nhiệm vụ.",
                    filed,
                    int(level),
                    None,
                    None,
                    "",
                    eid,
                    filer,
                    None,
                    superior.id,
                )
                trail.add(filed, filer, "evaluation.complaint", *target, **common)
        deadline, _due = gen.deadlines.add(
            title=SELF_ASSESSMENT_TITLE,
            subject=f"{self._name(subject)} — {self._title}",
            created=opened,
            working_days=days,
            responsible=responsible,
            process=pid,
            actor=board[0],
            met=met,
            met_by=met_by,
        )
        self.evaluations.add(
            eid,
            kind,
            _peer_group(subject),
            state,
            ev["scores"],
            ev["total"],
            ev["self_level"],
            ev["self_review"],
            ev["self_assessed_at"],
            ev["comments"],
            ev["comments_recorded_at"],
            ev["proposed_level"],
            ev["appraisal_note"],
            ev["appraised_at"],
            ev["decided_level"],
            ev["decision_note"],
            ev["decided_at"],
            ev["excused_reason"],
            ev["published_at"],
            ev["appraised_by"],
            cadre,
            None,
            committee.id if committee else None,
            competent.id,
            deadline,
            ev["decided_by"],
            position.id if position else None,
            ev["result"],
            ev["self_assessed_by"],
            unit.id,
            pid,
        )
        if state == EvaluationState.DRAFT and plan.end == "open" and assessor:
            gen.actionable("evaluation.self_assess", pid, None, [assessor], evaluation=eid)

    def _name(self, subject) -> str:
        kind, unit, committee, cadre, _p, _c = subject
        return committee.name if committee else self.gen.world.cadre_by_id[cadre].name


def _peer_group(subject) -> str:
    """``services.peer_group_for``."""
    kind, unit, committee, _cadre, position, _competent = subject
    if committee is not None:
        return f"collective:{committee.kind}:{unit.kind}"
    return f"unit:{unit.id}:level:{position.level if position is not None else 'none'}"
