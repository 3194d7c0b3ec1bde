"""Planning reviews and removals from the plan (``workflows.planning``).

A review is opened by the organisation board for a unit with a standing committee (the
province, a district or a commune) and a term; the board proposes cadres per post, the
leadership collective approves the list, the key officials nominate by secret ballot (one
ballot per post), the standing committee votes per cadre, the competent chair approves (the
plan's entries become APPROVED) and the board publishes. At most one review of a unit's plan for
a term runs at a time (``planning_review_one_running_per_term``).

A removal takes one approved entry out of the plan: confirmed (the entry REMOVED, with its
reason), dismissed, or waiting for the board; at most one waits per entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import translation
from viewflow.workflow.status import PROCESS

from personnel.models import CommitteeKind, PlanningStatus
from workflows.core.models import BallotKind, BallotMode, MeetingKind
from workflows.planning.models import (
    CandidateStatus,
    RemovalReason,
    RemovalStatus,
    Stage,
    StepCode,
)

from . import ballots as engine
from .processes import CANCEL, DONE, OPEN
from .records import TERMS, candidate_pool

REVIEW_SEQUENCE = [
    "start",
    "source_list",
    "leadership",
    "key_officials",
    "standing",
    "decide",
    "approved",
]
MEETING_NODES = {"leadership", "key_officials", "standing"}
STAGE_WAITING = {
    "source_list": Stage.SOURCE_LIST,
    "leadership": Stage.SOURCE_LIST,
    "key_officials": Stage.LIST_APPROVED,
    "standing": Stage.NOMINATED,
    "decide": Stage.VOTED,
    "publish": Stage.APPROVED,
}
NOT_CALLED, CALLED, TO_RECORD = "not_called", "called", "to_record"
#: working days of the tasks with a limit (``workflows.planning.flows``)
LIMITS = {"decide": "APPROVE_WITHIN", "publish": "PUBLISH_WITHIN", "confirm": "REMOVAL_WITHIN"}


@dataclass
class ReviewPlan:
    end: str  # published | rejected | withdrawn | open
    stop: str | None = None
    substate: str = NOT_CALLED


def review_nodes(plan: ReviewPlan) -> list[tuple[str, str]]:
    waiting = OPEN if plan.end == "open" else CANCEL
    sequence = REVIEW_SEQUENCE + (["closed"] if plan.end == "rejected" else ["publish", "end"])
    if plan.stop is None:
        return [(n, DONE) for n in sequence]
    index = sequence.index(plan.stop)
    return [(n, DONE) for n in sequence[:index]] + [(plan.stop, waiting)]


CANONICAL_REVIEWS = (
    ReviewPlan("open", "source_list"),
    ReviewPlan("published"),
    ReviewPlan("withdrawn", "leadership"),
    ReviewPlan("open", "standing", TO_RECORD),
    ReviewPlan("rejected"),
    ReviewPlan("open", "decide"),
    ReviewPlan("open", "publish"),
    ReviewPlan("open", "key_officials", CALLED),
    ReviewPlan("open", "leadership", NOT_CALLED),
)


def draw_reviews(rng, n: int) -> list[ReviewPlan]:
    """One of every kind first (the smallest size has each), then drawn."""
    plans = [ReviewPlan(p.end, p.stop, p.substate) for p in CANONICAL_REVIEWS[:n]]
    for _ in range(n - len(plans)):
        roll = rng.random()
        if roll < 0.2:
            stop = rng.choice(
                ["source_list", "leadership", "key_officials", "standing", "decide", "publish"]
            )
            plan = ReviewPlan("open", stop)
            if stop in MEETING_NODES:
                plan.substate = rng.choice([NOT_CALLED, CALLED, TO_RECORD])
        elif roll < 0.82:
            plan = ReviewPlan("published")
        elif roll < 0.9:
            plan = ReviewPlan("rejected")
        else:
            plan = ReviewPlan(
                "withdrawn", rng.choice(["source_list", "leadership", "key_officials", "standing"])
            )
        plans.append(plan)
    return plans


@dataclass
class RemovalPlan:
    state: str  # open | confirmed | dismissed


def removal_nodes(plan: RemovalPlan) -> list[tuple[str, str]]:
    if plan.state == RemovalStatus.OPEN:
        return [("start", DONE), ("confirm", OPEN)]
    return [("start", DONE), ("confirm", DONE), ("end", DONE)]


def draw_removals(rng, n: int) -> list[RemovalPlan]:
    states = [RemovalStatus.OPEN, RemovalStatus.CONFIRMED, RemovalStatus.DISMISSED]
    plans = [RemovalPlan(s) for s in states[:n]]
    return plans + [
        RemovalPlan(rng.choices(states, [25, 50, 25])[0]) for _ in range(n - len(plans))
    ]


def _gates(term: int) -> list[dict]:
    source = "Quy định 377-QĐ/TW ngày 08/10/2025 của Bộ Chính trị"
    return [
        {
            "code": "planning_age",
            "passed": True,
            "blocking": False,
            "source": "HD 06; QĐ 377 Art. 34",
            "message": f"Đủ tuổi quy hoạch nhiệm kỳ {term}–{TERMS[term]}.",
        },
        {
            "code": "standards",
            "passed": True,
            "blocking": False,
            "source": source,
            "message": "Đạt tiêu chuẩn đào tạo của chức danh.",
        },
        {
            "code": "political_standard",
            "passed": True,
            "blocking": False,
            "source": "HD 19",
            "message": "Đảm bảo tiêu chuẩn chính trị.",
        },
        {
            "code": "discipline",
            "passed": True,
            "blocking": False,
            "source": "QĐ 377",
            "message": "Không có kỷ luật còn trong thời hạn hạn chế.",
        },
        {
            "code": "investigation",
            "passed": True,
            "blocking": False,
            "source": source,
            "message": "Không đang bị điều tra hoặc xem xét kỷ luật.",
        },
    ]


class Reviews:
    def __init__(self, gen):
        from workflows.planning import flows as planning_flows

        self.gen = gen
        self.flow = gen.flows["planning"]
        self.limits = {k: getattr(planning_flows, v) for k, v in LIMITS.items()}
        loader = gen.loader
        self.table = loader.table(
            "planning_planningreview",
            [
                "process_ptr_id",
                "term_start_year",
                "term_end_year",
                "review_year",
                "track",
                "stage",
                "note",
                "decision_ref",
                "decided_at",
                "published_at",
                "closed_reason",
                "competent_body_id",
                "decided_by_id",
                "leadership_id",
                "opened_by_id",
                "ruleset_id",
                "standing_id",
                "submitted_by_id",
                "unit_id",
            ],
            ids=False,
        )
        self.candidates = loader.table(
            "planning_reviewcandidate",
            [
                "id",
                "status",
                "gates",
                "reason",
                "cadre_id",
                "entry_id",
                "position_id",
                "proposed_by_id",
                "review_id",
            ],
        )
        self.steps = loader.table(
            "planning_reviewstep",
            [
                "id",
                "code",
                "call",
                "outcome",
                "note",
                "recorded_at",
                "created",
                "ballot_id",
                "meeting_id",
                "position_id",
                "recorded_by_id",
                "review_id",
            ],
        )
        world = gen.world
        self.units = [u for u in world.units if u.standing is not None]
        self.running: set[tuple[int, int]] = set()
        with translation.override("vi"):
            self.labels = {code.value: str(code.label) for code in StepCode}
            self.titles = {n: self.flow.title(n) for n in ("decide", "publish")}

    def posts_of(self, unit) -> list:
        """The posts a unit's review plans for: those its standing committee manages (for a
        commune, its own posts)."""
        if unit.role == "commune":
            return list(unit.positions)
        standing = unit.standing
        return [p for p in self.gen.world.positions if p.managing is standing]

    def write(self, plan: ReviewPlan) -> int:
        gen, rng, clock, trail = self.gen, self.gen.rng, self.gen.clock, self.gen.trail
        unit = self.units[rng.randrange(len(self.units))]
        # ---- when, and for which term
        if plan.end == "open":
            opened = clock.now - dt.timedelta(days=rng.uniform(10, 150))
        else:
            opened = clock.between(rng, clock.start, clock.now - dt.timedelta(days=120))
        year = clock.local_date(opened).year
        term = 2025 if year <= 2025 else rng.choice((2025, 2030))
        if plan.end == "open":
            if (unit.id, term) in self.running:
                term = 2030 if term == 2025 else 2025
            if (unit.id, term) in self.running:
                plan.end, plan.stop = "published", None  # one running review per unit and term
                opened = clock.between(rng, clock.start, clock.now - dt.timedelta(days=120))
                year = clock.local_date(opened).year
                term = 2025 if year <= 2025 else term
            else:
                self.running.add((unit.id, term))
        planned = review_nodes(plan)
        ruleset = gen.rules_for(clock.local_date(opened))
        standing = unit.standing
        competent = standing if unit.role != "commune" else unit.parent.standing
        leadership = unit.committees.get(CommitteeKind.LEADERSHIP) or standing
        board = unit.board.user_ids
        opener = board[rng.randrange(len(board))]
        proc = gen.tasks.process(self.flow, opened)
        pid = proc.id
        audit = dict(procedure="planning", process=pid, unit=unit.id)
        trail.add(
            opened,
            opener,
            "planning.review_open",
            "planning.planningreview",
            pid,
            changes={
                "term": [None, f"{term}–{TERMS[term]}"],
                "review_year": [None, year],
                "ruleset": [None, ruleset.label],
                "competent_body": [None, competent.id],
            },
            **audit,
        )
        # ---- the list: 1–3 cadres for each of a few posts, within the caps
        posts = self.posts_of(unit)
        posts = rng.sample(posts, min(len(posts), rng.randint(2, 4)))
        proposals = []  # [position, cadre, status, entry]
        for position in posts:
            room = gen.plan.room(position, term, ruleset.caps)
            if room <= 0:
                continue
            pool = [
                c
                for c in candidate_pool(gen.world, position)
                if not gen.plan.has(c, position, term)
                and gen.plan.cadre_room(c, term, ruleset.caps)
            ]
            for cadre in rng.sample(pool, min(len(pool), rng.randint(1, min(3, room)))):
                proposals.append([position, cadre, CandidateStatus.ACTIVE, None])
        if not proposals:  # every post full: a review that adds one more name elsewhere
            position = posts[0] if posts else gen.world.positions[0]
            pool = candidate_pool(gen.world, position)
            proposals.append(
                [position, pool[rng.randrange(len(pool))], CandidateStatus.ACTIVE, None]
            )
        # ---- the timeline
        span = (
            (clock.now - opened) * rng.uniform(0.5, 0.95)
            if plan.end == "open"
            else (dt.timedelta(days=rng.uniform(40, 110)))
        )
        humans = [i for i, (n, _s) in enumerate(planned) if self.flow.types[n] == "HUMAN"]
        weights = {i: rng.uniform(0.6, 1.5) for i in humans}
        total = sum(weights.values())
        t = opened
        stage = Stage.SOURCE_LIST
        submitted_by = decided_by = None
        decided_at = published_at = None
        decision_ref = closed_reason = ""
        ended = None
        status = PROCESS.NEW
        chair = competent.chair
        for i, (node, state) in enumerate(planned):
            kind = self.flow.types[node]
            if node == "start":
                proc.task(node, DONE, opened, finished=clock.seconds(rng, opened, 0.01, 0.05))
                t = opened
                for p in proposals:
                    trail.add(
                        clock.seconds(rng, opened, 600, 86400 * 3),
                        opener,
                        "planning.propose",
                        "planning.planningreview",
                        pid,
                        cadre=p[1],
                        changes={"position": [None, p[0].id], "cadre": [None, p[1]]},
                        **audit,
                    )
                continue
            if kind != "HUMAN":
                created = clock.seconds(rng, t, 0.05, 0.4)
                finished = clock.seconds(rng, created, 0.002, 0.01)
                proc.task(node, DONE, created, finished=finished)
                t = finished
                if node in ("end", "closed"):
                    ended, status = finished, PROCESS.DONE
                continue
            created = clock.seconds(rng, t, 0.05, 0.6)
            length = span * weights[i] / total
            if node == "decide":
                people, owner, preassigned = [chair], chair, True
            else:
                people, owner, preassigned = board, board[rng.randrange(len(board))], False
            if state != DONE:
                cancelled = None
                if state == CANCEL:
                    cancelled = ended = min(clock.later(rng, created, 1, 20), clock.now)
                substate = plan.substate if node in MEETING_NODES else NOT_CALLED
                if not preassigned and substate == NOT_CALLED and rng.random() < 0.6:
                    owner = None
                claimed = None
                if owner and not preassigned:
                    until = cancelled or clock.now  # claimed before any cancellation
                    claimed = min(created + length * 0.05, created + (until - created) * 0.5)
                task = proc.task(
                    node,
                    state,
                    created,
                    owner=owner,
                    claimed=claimed,
                    preassigned=preassigned,
                    finished=cancelled,
                    actor=opener,
                    queue=people,
                )
                self._limit(node, proc, task, created, people, state, cancelled, opener, unit)
                if state == OPEN:
                    stage = STAGE_WAITING[node]
                    if node in MEETING_NODES and substate != NOT_CALLED:
                        self._step(
                            node,
                            proc,
                            unit,
                            term,
                            proposals,
                            leadership,
                            standing,
                            competent,
                            owner,
                            claimed,
                            None,
                            ruleset,
                            substate,
                            audit,
                        )
                        if substate == TO_RECORD:
                            gen.actionable("planning.step_record", pid, task, [owner])
                    elif node == "publish":
                        gen.actionable("planning.publish", pid, task, board)
                    elif node == "decide" and chair != submitted_by:
                        gen.actionable("planning.decide", pid, task, [chair])
                elif node in STAGE_WAITING:
                    stage = STAGE_WAITING[node] if node != "source_list" else Stage.SOURCE_LIST
                continue
            finished = created + length
            claimed = None if preassigned else created + length * rng.uniform(0.02, 0.1)
            task = proc.task(
                node,
                DONE,
                created,
                finished=finished,
                owner=owner,
                claimed=claimed,
                preassigned=preassigned,
            )
            self._limit(node, proc, task, created, people, DONE, finished, owner, unit)
            t = finished
            if node == "source_list":
                submitted_by = owner
                trail.add(
                    finished,
                    owner,
                    "planning.list_submit",
                    "planning.planningreview",
                    pid,
                    changes={"candidates": [None, [[p[0].id, p[1]] for p in proposals]]},
                    **audit,
                )
            elif node in MEETING_NODES:
                stage = self._step(
                    node,
                    proc,
                    unit,
                    term,
                    proposals,
                    leadership,
                    standing,
                    competent,
                    owner,
                    claimed,
                    finished,
                    ruleset,
                    "closed",
                    audit,
                )
            elif node == "decide":
                decided_by, decided_at = chair, finished
                if plan.end == "rejected":
                    stage = Stage.REJECTED
                    closed_reason = "Chưa bảo đảm cơ cấu độ tuổi, giới tính; đề nghị bổ sung."
                    entries = []
                else:
                    stage = Stage.APPROVED
                    decision_ref = (
                        f"{rng.randint(100, 1999)}-QĐ/{'TU' if unit.role == 'province' else 'HU'}"
                    )
                    entries = []
                    for p in proposals:
                        if p[2] == CandidateStatus.ACTIVE:
                            p[3] = gen.plan.enter(p[1], p[0], term)
                            p[2] = CandidateStatus.PLANNED
                            entries.append(p[3])
                trail.add(
                    finished,
                    chair,
                    "planning.approve",
                    "planning.planningreview",
                    pid,
                    changes={
                        "stage": [Stage.VOTED, stage],
                        "decision_ref": [None, decision_ref],
                        "entries": [None, entries],
                    },
                    reason=closed_reason,
                    **audit,
                )
            elif node == "publish":
                stage, published_at = Stage.PUBLISHED, finished
                trail.add(
                    finished,
                    owner,
                    "planning.publish",
                    "planning.planningreview",
                    pid,
                    changes={"stage": [Stage.APPROVED, Stage.PUBLISHED]},
                    **audit,
                )
        if plan.end == "withdrawn":
            status = PROCESS.CANCELED
            closed_reason = "Đơn vị sáp nhập, dừng rà soát theo chỉ đạo."
            trail.add(
                ended,
                opener,
                "process.cancel",
                "planning.planningreview",
                pid,
                procedure="planning",
                process=pid,
            )
            trail.add(
                ended,
                opener,
                "planning.review_close",
                "planning.planningreview",
                pid,
                changes={"stage": [stage, Stage.WITHDRAWN]},
                reason=closed_reason,
                **audit,
            )
            stage = Stage.WITHDRAWN
        for position, cadre, cstatus, entry in proposals:
            reason = ""
            if cstatus == CandidateStatus.NOT_CARRIED:
                reason = self.labels[StepCode.KEY_OFFICIALS.value]
            self.candidates.add(
                self.candidates.new_id(),
                cstatus,
                _gates(term),
                reason,
                cadre,
                entry,
                position.id,
                opener,
                pid,
            )
        proc.finish(status, ended)
        self.table.add(
            pid,
            term,
            TERMS[term],
            year,
            "party",
            stage,
            f"Rà soát, bổ sung quy hoạch nhiệm kỳ {term}–{TERMS[term]} năm {year}.",
            decision_ref,
            decided_at,
            published_at,
            closed_reason,
            competent.id,
            decided_by,
            leadership.id,
            opener,
            ruleset.id,
            standing.id,
            submitted_by,
            unit.id,
        )
        if proc.count != len(planned):
            raise RuntimeError(f"review {plan}: {proc.count} tasks, planned {len(planned)}")
        gen.count_stage("planning_review", stage)
        return proc.count

    def _limit(self, node, proc, task, created, people, state, finished, actor, unit) -> None:
        """The limit a task carries (``.Within``), met when the task is done or cancelled."""
        if node not in self.limits:
            return
        gen = self.gen
        gen.deadlines.add(
            title=self.titles[node],
            subject=f"{unit.name}",
            created=created,
            working_days=self.limits[node],
            responsible=people,
            process=proc.id,
            task=task,
            actor=None,
            link=gen.task_link(self.flow, node, proc.id, task),
            met=finished if state != OPEN else None,
            met_by=actor,
        )

    def _step(
        self,
        node,
        proc,
        unit,
        term,
        proposals,
        leadership,
        standing,
        competent,
        who,
        claimed,
        finished,
        ruleset,
        state,
        audit,
    ):
        """The step's meeting (one ballot per post, or the list's one motion) and its rows."""
        gen, rng, clock = self.gen, self.gen.rng, self.gen.clock
        world = gen.world
        code = node
        label = self.labels[code]
        active = [p for p in proposals if p[2] == CandidateStatus.ACTIVE]
        term_label = f"{term}–{TERMS[term]}"
        rows = []  # (position or None, ballot plan, [proposals])
        if node == "leadership":
            kind = (
                MeetingKind.LEADERSHIP_COLLECTIVE
                if leadership.kind == CommitteeKind.LEADERSHIP
                else MeetingKind.STANDING_COMMITTEE
            )
            body, roster, chair = leadership, None, leadership.chair
            posts = {p[0].id for p in active}
            motion = (
                f"Thông qua danh sách nguồn quy hoạch nhiệm kỳ {term_label}: "
                f"{len(active)} cán bộ cho {len(posts)} chức danh"
            )
            rows.append(
                (None, engine.BallotPlan(BallotKind.APPROVAL, label, motion=motion), active)
            )
        else:
            if node == "key_officials":
                kind, body = MeetingKind.KEY_OFFICIALS, None
                roster = list(dict.fromkeys(leadership.user_ids + standing.user_ids))
            else:
                kind, body, roster = MeetingKind.STANDING_COMMITTEE, standing, None
            chair = leadership.chair
            by_post: dict = {}
            for p in active:
                by_post.setdefault(p[0], []).append(p)
            for position, group in by_post.items():
                cadres = [(p[1], world.cadre_by_id[p[1]].name) for p in group]
                # Most are carried; now and then one is not (never the whole post).
                passes = [True] * len(group)
                if len(group) > 1 and rng.random() < 0.3:
                    passes[rng.randrange(len(group))] = False
                title = f"{label} — {position.title}"
                if node == "key_officials":
                    taken = len(gen.plan.approved(position, term))
                    seats = max(1, min(len(group), ruleset.caps["per_position"] - taken))
                    # Never more winners than the ballot has places.
                    if sum(passes) > seats:
                        passes = [i < seats for i in range(len(group))]
                    ballot = engine.BallotPlan(
                        BallotKind.NOMINATION, title, cadres=cadres, seats=seats, passes=passes
                    )
                else:
                    ballot = engine.BallotPlan(
                        BallotKind.APPROVAL, title, cadres=cadres, passes=passes
                    )
                rows.append((position, ballot, group))
        for _p, ballot, _g in rows:
            if rng.random() < 0.45:  # many collectives still vote on paper
                ballot.mode = BallotMode.PAPER
        now = clock.now
        if state == "closed":
            called = claimed + (finished - claimed) * 0.2
            meets = claimed + (finished - claimed) * rng.uniform(0.45, 0.85)
            meeting_state = engine.CLOSED
        elif state == TO_RECORD:
            called = claimed + (now - claimed) * 0.2
            meets = claimed + (now - claimed) * rng.uniform(0.45, 0.9)
            meeting_state = engine.CLOSED
        else:
            called = claimed + (now - claimed) * 0.5
            meets = clock.aware(clock.today + dt.timedelta(days=rng.randint(1, 12)), 14)
            meeting_state = engine.SCHEDULED
        record = gen.engine.meeting(
            title=f"{label} — {unit.name} {term_label}",
            kind=kind,
            unit=unit,
            rules=ruleset,
            chair=chair,
            body=body,
            competent=competent,
            roster=roster,
            board_actor=who,
            called_at=called,
            when=meets,
            state=meeting_state,
            ballots=[b for _p, b, _g in rows],
        )
        gen.trail.add(
            called,
            who,
            "planning.step_call",
            "planning.planningreview",
            proc.id,
            changes={
                "step": [None, code],
                "meeting": [None, record.id],
                "ballots": [None, [b.id for _p, b, _g in rows]],
            },
            **audit,
        )
        recorded = finished if state == "closed" else None
        results = []
        for position, ballot, group in rows:
            outcome = {}
            if recorded:
                if node == "leadership":
                    result, goes = "approved", [p[1] for p in group]
                else:
                    verdicts = ballot.passes or [True] * len(group)
                    goes = [p[1] for p, ok in zip(group, verdicts, strict=True) if ok]
                    result = (
                        ballot.outcome["result"]["result"]
                        if node == "key_officials"
                        else "approved"
                    )
                    for p, ok in zip(group, verdicts, strict=True):
                        if not ok:
                            p[2] = CandidateStatus.NOT_CARRIED
                outcome = {"result": result, "forward": sorted(goes)}
                results.append(result)
            self.steps.add(
                self.steps.new_id(),
                code,
                1,
                outcome,
                "",
                recorded,
                called,
                ballot.id,
                record.id,
                position.id if position else None,
                who if recorded else None,
                proc.id,
            )
        if recorded:
            after = {
                "leadership": Stage.LIST_APPROVED,
                "key_officials": Stage.NOMINATED,
                "standing": Stage.VOTED,
            }[node]
            gen.trail.add(
                recorded,
                who,
                "planning.step",
                "planning.planningreview",
                proc.id,
                changes={"step": [None, code], "result": [None, sorted(set(results))]},
                **audit,
            )
            return after
        return STAGE_WAITING[node]


class Removals:
    def __init__(self, gen):
        from workflows.planning import flows as planning_flows

        self.gen = gen
        self.flow = gen.flows["removal"]
        self.within = planning_flows.REMOVAL_WITHIN
        self.table = gen.loader.table(
            "planning_removalproposal",
            [
                "process_ptr_id",
                "kind",
                "reason",
                "state",
                "decided_at",
                "decision_note",
                "decided_by_id",
                "entry_id",
                "proposed_by_id",
                "unit_id",
            ],
            ids=False,
        )
        with translation.override("vi"):
            self.title = self.flow.title("confirm")
            self.labels = {r.value: str(r.label) for r in RemovalReason}
        self.waiting: set[int] = set()

    def write(self, plan: RemovalPlan) -> int:
        gen, rng, clock, trail = self.gen, self.gen.rng, self.gen.clock, self.gen.trail
        book = gen.plan
        if not hasattr(self, "approved"):
            self.approved = [
                e for e, row in book.entries.items() if row[3] == PlanningStatus.APPROVED
            ]
        approved = self.approved
        # An entry still in the approved plan, and (waiting) without another removal waiting.
        for _ in range(50):
            entry = approved[rng.randrange(len(approved))]
            if book.entries[entry][3] == PlanningStatus.APPROVED and entry not in self.waiting:
                break
        else:
            plan.state = RemovalStatus.DISMISSED
        cadre, position, term, _status, _reason = book.entries[entry]
        unit = position.unit
        board = unit.board.user_ids
        if plan.state == RemovalStatus.OPEN:
            kind = RemovalReason.DISCRETIONARY
            proposed = clock.now - dt.timedelta(days=rng.uniform(0.5, 30))
        else:
            kind = rng.choices(list(RemovalReason), [20, 25, 15, 40])[0]
            proposed = clock.between(rng, clock.start, clock.now - dt.timedelta(days=20))
        proposer = board[rng.randrange(len(board))] if kind == RemovalReason.DISCRETIONARY else None
        reason = {
            RemovalReason.AGE: "Quá tuổi quy hoạch theo quy định.",
            RemovalReason.DISCIPLINE: "Bị kỷ luật khiển trách trong năm.",
            RemovalReason.POLITICAL_STANDARD: "Kết luận không bảo đảm tiêu chuẩn chính trị.",
            RemovalReason.DISCRETIONARY: "Không còn đáp ứng tiêu chuẩn, điều kiện; uy tín thấp.",
        }[kind]
        proc = gen.tasks.process(self.flow, proposed)
        pid = proc.id
        proc.cadre = cadre
        audit = dict(procedure="planning", process=pid, cadre=cadre, unit=unit.id)
        trail.add(
            proposed,
            proposer,
            "planning.removal",
            "planning.removalproposal",
            pid,
            changes={"entry": [None, entry], "ground": [None, kind]},
            reason=reason,
            **audit,
        )
        proc.task("start", DONE, proposed, finished=clock.seconds(rng, proposed, 0.01, 0.05))
        created = clock.seconds(rng, proposed, 0.06, 0.2)
        decided_at = decided_by = None
        note = ""
        if plan.state == RemovalStatus.OPEN:
            deciders = [u for u in board if u != proposer]
            owner = (
                deciders[rng.randrange(len(deciders))] if deciders and rng.random() < 0.3 else None
            )
            claimed = min(clock.later(rng, created, 0.05, 3), clock.now) if owner else None
            task = proc.task("confirm", OPEN, created, owner=owner, claimed=claimed, queue=board)
            self.waiting.add(entry)
            status, ended = PROCESS.NEW, None
            gen.actionable("planning.removal_confirm", pid, task, [owner] if owner else deciders)
        else:
            deciders = [u for u in board if u != proposer] or board
            decided_by = deciders[rng.randrange(len(deciders))]
            decided_at = clock.later(rng, created, 1, 14)
            claimed = created + (decided_at - created) * rng.uniform(0.1, 0.9)
            task = proc.task(
                "confirm", DONE, created, finished=decided_at, owner=decided_by, claimed=claimed
            )
            end_at = clock.seconds(rng, decided_at, 0.01, 0.05)
            ended = clock.seconds(rng, end_at, 0.002, 0.01)
            proc.task("end", DONE, end_at, finished=ended)
            status = PROCESS.DONE
            if plan.state == RemovalStatus.CONFIRMED:
                book.set_status(entry, PlanningStatus.REMOVED, f"{self.labels[kind]}: {reason}")
                trail.add(
                    decided_at,
                    decided_by,
                    "planning.status",
                    "personnel.planningentry",
                    entry,
                    changes={"status": [PlanningStatus.APPROVED, PlanningStatus.REMOVED]},
                    reason=f"{self.labels[kind]}: {reason}",
                    **audit,
                )
                action = "planning.removal_confirm"
            else:
                note = "Căn cứ không còn: cán bộ đã được xem xét lại."
                action = "planning.removal_dismiss"
            trail.add(
                decided_at,
                decided_by,
                action,
                "planning.removalproposal",
                pid,
                changes={"state": [RemovalStatus.OPEN, plan.state]},
                reason=note,
                **audit,
            )
        gen.deadlines.add(
            title=self.title,
            subject=f"{gen.world.cadre_by_id[cadre].name} → {position.title}",
            created=created,
            working_days=self.within,
            responsible=board,
            process=pid,
            task=task,
            actor=proposer,
            link=gen.task_link(self.flow, "confirm", pid, task),
            met=decided_at,
            met_by=decided_by,
        )
        proc.finish(status, ended)
        self.table.add(
            pid, kind, reason, plan.state, decided_at, note, decided_by, entry, proposer, unit.id
        )
        gen.count_stage("planning_removal", plan.state)
        return proc.count
