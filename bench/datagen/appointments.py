"""Appointments (``workflows.appointment``) at every stage of the flow.

Each plan says where the procedure stands: finished (decision issued, final vote failed, policy
rejected, candidate withdrawn at some step) or waiting at one of its human tasks — and, for a
meeting step, whether the meeting is not called yet, called, in session with its ballot open, or
over with the ballot closed and the outcome to record. The rows are what the services leave:
the process and its tasks, ``Appointment`` with its ``stage``, candidates with their gates, one
``AppointmentStep`` per step with its meeting and ballot, the working-day limit with its timer
(fired, with the board's report, when the procedure ran late), and on a decision the holding of
the post and the fulfilled planning entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import translation
from viewflow.workflow.status import PROCESS

from personnel.models import CommitteeKind, PlanningStatus
from workflows.appointment.models import CandidateStatus, Source, Stage, StepCode
from workflows.core.models import BallotKind, BallotMode, MeetingKind

from . import ballots as engine
from .processes import CANCEL, DONE, OPEN
from .records import TERMS, candidate_pool, term_for
from .world import TERM_YEARS

STEPS = {
    Source.INTERNAL: ["step1", "step2", "step3", "step4"],
    Source.EXTERNAL: ["conversation", "consultation", "verification"],
}
MEETING_STEPS = {"step1", "step2", "step3", "step4", "final_vote"}
LOOP = ["appraisal", "appraisal_review", "appraisal_approved"]
CODES = {
    "step1": StepCode.STEP1,
    "step2": StepCode.STEP2,
    "step3": StepCode.STEP3,
    "step4": StepCode.STEP4,
    "final_vote": StepCode.FINAL,
    "conversation": StepCode.CONVERSATION,
    "consultation": StepCode.CONSULTATION,
    "verification": StepCode.VERIFICATION,
}
NOT_CALLED, CALLED, IN_SESSION, TO_RECORD = "not_called", "called", "in_session", "to_record"
CLOSED = "closed"  # a step done: its meeting over and the outcome recorded
MEMO = "Tờ trình số {n}-TTr/BTC{uy} về chủ trương bổ nhiệm chức vụ {post}"
LIMIT_TITLE = "Complete the appointment procedure"  # the service's msgid, stored untranslated


@dataclass
class Plan:
    source: str
    end: str  # decided | failed | rejected | withdrawn | open
    stop: str | None = None  # the node waiting (open) or where the candidate was withdrawn
    loops: int = 0  # appraisals sent back
    late: bool = False  # the time limit passed while the procedure ran
    report_open: bool = False  # late, and the board has not reported yet
    substate: str = NOT_CALLED  # for a meeting step that waits


def nodes(plan: Plan) -> list[tuple[str, str]]:
    """The tasks of the process, in order, with their state. ``len`` is the task count."""
    waiting = OPEN if plan.end == "open" else CANCEL
    out = [("start", DONE)]
    if plan.end == "rejected":
        return out + [
            ("decide_policy", DONE),
            ("policy_approved", DONE),
            ("closed", DONE),
            ("end", DONE),
        ]
    if plan.stop == "decide_policy":
        return out + [("decide_policy", waiting)]
    out += [("decide_policy", DONE), ("policy_approved", DONE), ("run_steps", DONE)]
    if plan.late:
        out.append(("limit", DONE))
        if plan.report_open:
            out.append(("explain_and_report", waiting))
        else:
            out += [("explain_and_report", DONE), ("reported", DONE)]
    else:
        out.append(("limit", OPEN if plan.end == "open" else CANCEL))
    out.append(("by_source", DONE))
    sequence = [*STEPS[plan.source], *LOOP * (plan.loops + 1), "final_vote", "vote_passed"]
    sequence += ["closed", "end"] if plan.end == "failed" else ["decide", "finish", "end"]
    if plan.stop is not None:
        last = len(sequence) - 1 - sequence[::-1].index(plan.stop)
        return out + [(n, DONE) for n in sequence[:last]] + [(plan.stop, waiting)]
    return out + [(n, DONE) for n in sequence]


def canonical() -> list[Plan]:
    """One plan of every kind, so that even the smallest size has each stage."""
    plans = []
    for source in (Source.INTERNAL, Source.EXTERNAL):
        plans += [Plan(source, "decided"), Plan(source, "open", "decide_policy")]
        for stop in [*STEPS[source], "appraisal", "appraisal_review", "final_vote", "decide"]:
            substates = [NOT_CALLED, CALLED, TO_RECORD] if stop in MEETING_STEPS else [NOT_CALLED]
            plans += [Plan(source, "open", stop, substate=s) for s in substates]
        plans += [
            Plan(source, "failed"),
            Plan(source, "rejected"),
            Plan(source, "withdrawn", STEPS[source][1]),
            Plan(source, "withdrawn", "decide_policy"),
            Plan(source, "decided", late=True),
            Plan(source, "open", "appraisal", late=True, report_open=True),
            Plan(source, "decided", loops=1),
        ]
    return plans


def draw(rng, n: int) -> list[Plan]:
    """``n`` plans: one of every kind first, then about a third still running and the rest
    finished one way or another."""
    plans = canonical()[:n]
    for _ in range(n - len(plans)):
        source = Source.INTERNAL if rng.random() < 0.75 else Source.EXTERNAL
        human = [
            "decide_policy",
            *STEPS[source],
            "appraisal",
            "appraisal_review",
            "final_vote",
            "decide",
        ]
        roll = rng.random()
        if roll < 0.32:
            weights = [10, *[9] * len(STEPS[source]), 9, 7, 9, 6]
            plan = Plan(source, "open", rng.choices(human, weights)[0])
            if plan.stop in MEETING_STEPS:
                plan.substate = rng.choices([NOT_CALLED, CALLED, TO_RECORD], [45, 20, 35])[0]
        elif roll < 0.70:
            plan = Plan(source, "decided")
        elif roll < 0.78:
            plan = Plan(source, "failed")
        elif roll < 0.88:
            plan = Plan(source, "rejected")
        else:
            plan = Plan(source, "withdrawn", rng.choice(human[:-1]))
        if plan.end in ("open", "decided", "failed") and plan.stop != "decide_policy":
            plan.late = rng.random() < (0.3 if plan.end == "open" else 0.2)
            plan.report_open = plan.late and plan.end == "open" and rng.random() < 0.5
        if eligible_for_loop(plan) and rng.random() < 0.08:
            plan.loops = 1
        plans.append(plan)
    return plans


def eligible_for_loop(plan: Plan) -> bool:
    """An appraisal sent back once more adds three tasks (appraisal, review, gateway)."""
    return plan.end in ("decided", "failed") or (
        plan.end == "open" and plan.stop in ("final_vote", "decide")
    )


def eligible_for_late(plan: Plan) -> bool:
    """A limit that fired adds two tasks (the board's report and its end)."""
    return plan.end in ("decided", "failed") and not plan.late


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --------------------------------------------------------------------------- writing


class Appointments:
    def __init__(self, gen):
        self.gen = gen
        loader = gen.loader
        self.flow = gen.flows["appointment"]
        self.table = loader.table(
            "appointment_appointment",
            [
                "process_ptr_id",
                "track",
                "source",
                "stage",
                "policy_memo",
                "policy_decided_at",
                "policy_decision_note",
                "decision_number",
                "decision_date",
                "effective_date",
                "term_end",
                "closed_reason",
                "candidate_id",
                "competent_body_id",
                "deadline_id",
                "position_id",
                "prepared_by_id",
                "ruleset_id",
                "unit_id",
                "appraisal_approved_by_id",
                "appraisal_note",
                "appraisal_submitted_at",
                "leadership_id",
                "new_issues_conclusion",
                "standing_evaluation",
            ],
            ids=False,
        )
        self.steps = loader.table(
            "appointment_appointmentstep",
            [
                "id",
                "code",
                "note",
                "outcome",
                "recorded_at",
                "created",
                "appointment_id",
                "ballot_id",
                "meeting_id",
                "recorded_by_id",
            ],
        )
        self.candidates = loader.table(
            "appointment_appointmentcandidate",
            [
                "id",
                "status",
                "gates_at_start",
                "gates_before_final",
                "reason",
                "appointment_id",
                "cadre_id",
            ],
        )
        with translation.override("vi"):
            self.labels = {code.value: str(code.label) for code in StepCode}
        self.positions = [p for p in gen.world.positions if p.managing is not None]
        self.effective_days: set[tuple[int, dt.date]] = set()
        #: standing committees that still owe the load test a meeting in session
        self.sessions_left = {
            c.id: gen.size.open_ballots_per_body
            for c in gen.world.committees
            if c.kind == CommitteeKind.STANDING and c.unit.role in ("province", "district")
        }

    # ----------------------------------------------------------------- the timeline

    def _schedule(self, plan: Plan, planned, rules_now):
        """When each task was created, claimed and finished, and when the process ended."""
        rng, clock = self.gen.rng, self.gen.clock
        days = rules_now.appointment_days
        window = dt.timedelta(days=days * 7 / 5 + 3)
        policy_wait = dt.timedelta(days=rng.uniform(2, 15))
        has_steps = any(n == "run_steps" for n, _ in planned)
        if plan.end == "open":
            if not has_steps:
                t_policy = clock.now - dt.timedelta(days=rng.uniform(0.5, 14))
            elif plan.late:
                t_policy = clock.now - window * rng.uniform(1.15, 2.5)
            else:
                t_policy = clock.now - window * rng.uniform(0.08, 0.8)
        else:
            t_policy = clock.between(rng, clock.start + policy_wait, clock.now - 2.6 * window)
        due = fire = None
        if has_steps:
            from .clock import add_working_days

            due = add_working_days(clock.local_date(t_policy), days)
            fire = clock.aware(due + dt.timedelta(days=1), 0, 0)
            if plan.end == "open" and not plan.late and fire <= clock.now:
                t_policy = clock.now - window * 0.1  # a holiday stretched the limit
                due = add_working_days(clock.local_date(t_policy), days)
                fire = clock.aware(due + dt.timedelta(days=1), 0, 0)
        # Where the main branch ends: the process end, or (open) now, or (withdrawn) later.
        if plan.end == "open":
            horizon = clock.now - dt.timedelta(hours=rng.uniform(1, 20 * 24))
            horizon = max(horizon, t_policy + dt.timedelta(hours=2))
        elif not has_steps:
            horizon = t_policy
        elif plan.late:
            horizon = fire + (fire - t_policy) * rng.uniform(0.1, 1.0)
        else:
            horizon = t_policy + (fire - t_policy) * rng.uniform(0.3, 0.9)
        if plan.end == "open" and plan.late:
            horizon = max(horizon, fire + dt.timedelta(hours=6))
        t0 = t_policy - policy_wait
        main = [
            i
            for i, (n, _s) in enumerate(planned)
            if self.flow.types[n] == "HUMAN" and n not in ("decide_policy", "explain_and_report")
        ]
        weights = {i: rng.uniform(0.6, 1.6) for i in main}
        total = sum(weights.values()) or 1.0
        span = horizon - t_policy
        times = [None] * len(planned)
        t = t0
        end = None
        for i, (node, state) in enumerate(planned):
            kind = self.flow.types[node]
            if node == "start":
                times[i] = (t0, None, clock.seconds(rng, t0, 0.01, 0.05))
                t = times[i][2]
            elif node == "decide_policy":
                created = clock.seconds(rng, t, 0.01, 0.05)
                finished = t_policy if state == DONE else None
                times[i] = (created, None, finished)
                t = t_policy if state == DONE else created
            elif node in ("limit", "explain_and_report", "reported"):
                continue  # the limit's branch, placed once the main branch is known
            elif kind == "HUMAN":
                created = clock.seconds(rng, t, 0.05, 0.6)
                length = span * (weights[i] / total)
                claimed = created + length * rng.uniform(0.02, 0.12)
                finished = created + length if state == DONE else None
                times[i] = (created, claimed, finished)
                t = finished or created
            else:  # gateways, functions, end
                created = clock.seconds(rng, t, 0.05, 0.4)
                times[i] = (created, None, clock.seconds(rng, created, 0.002, 0.01))
                t = times[i][2]
                if node == "end":
                    end = t
        if plan.end == "withdrawn":
            last = next(times[i][0] for i in range(len(planned) - 1, -1, -1) if times[i])
            end = min(clock.later(rng, last, 0.5, 12), clock.now)
        return t0, t_policy, due, fire, times, end

    # ----------------------------------------------------------------- one process

    def write(self, plan: Plan) -> int:
        gen, rng, clock, trail = self.gen, self.gen.rng, self.gen.clock, self.gen.trail
        world = gen.world
        position = self.positions[rng.randrange(len(self.positions))]
        competent = position.managing
        unit = competent.unit
        board_people = unit.board.user_ids
        chair = competent.chair
        planned = nodes(plan)
        t0, t_policy, due, fire, times, end = self._schedule(
            plan, planned, gen.rules_for(clock.local_date(clock.now))
        )
        ruleset = gen.rules_for(clock.local_date(t0))
        if (
            due is not None
            and ruleset.appointment_days
            != gen.rules_for(clock.local_date(clock.now)).appointment_days
        ):
            raise RuntimeError("rule-sets disagree on the appointment limit: reschedule")
        proc = gen.tasks.process(self.flow, t0)
        pid = proc.id
        actor = board_people[rng.randrange(len(board_people))]
        term = term_for(clock.local_date(t0))
        uy = "TU" if unit.role == "province" else "HU"
        # ---- candidates: from the approved plan for the post when there is one
        pool = [gen.plan.entries[e][0] for e in gen.plan.approved(position, term)]
        if plan.source == Source.EXTERNAL or not pool:
            elsewhere = candidate_pool(world, position)
            if plan.source == Source.EXTERNAL:
                other = world.units[rng.randrange(len(world.units))]
                elsewhere = other.cadres or elsewhere
            pool = pool + rng.sample(elsewhere, min(3, len(elsewhere)))
        count = 1 if plan.source == Source.EXTERNAL else rng.choice((1, 2, 2, 3))
        chosen = list(dict.fromkeys(rng.sample(pool, min(count, len(pool)))))
        active = list(chosen)
        statuses = {c: CandidateStatus.ACTIVE for c in chosen}
        candidate = chosen[0] if len(chosen) == 1 else None
        audit = dict(procedure="appointment", process=pid, unit=unit.id)
        trail.add(
            t0,
            actor,
            "appointment.start",
            "appointment.appointment",
            pid,
            changes={
                "position": [None, position.id],
                "source": [None, plan.source],
                "ruleset": [None, ruleset.label],
            },
            **audit,
        )
        row = dict(
            stage=Stage.POLICY_REQUESTED,
            policy_decided_at=None,
            policy_decision_note="",
            decision_number="",
            decision_date=None,
            effective_date=None,
            term_end=None,
            closed_reason="",
            deadline_id=None,
            prepared_by_id=actor,
            appraisal_approved_by_id=None,
            appraisal_note="",
            appraisal_submitted_at=None,
            new_issues_conclusion="",
            standing_evaluation="",
        )
        ends_at = end  # when open tasks were cancelled / the limit disarmed
        self._current_title = position.title  # for the meeting titles of the steps
        split = limit = split_at = None
        preparer, rounds = actor, 0
        for i, (node, state) in enumerate(planned):
            kind = self.flow.types[node]
            if node == "limit":
                created = clock.seconds(rng, split_at, 0.01, 0.05)
                finished = {DONE: clock.seconds(rng, fire, 5, 120), OPEN: None}.get(state, ends_at)
                limit = proc.task(
                    node,
                    state,
                    created,
                    finished=finished,
                    scheduled=fire,
                    token=f"start/{split}_1",
                    prev=split,
                )
                self._limit_branch(
                    plan, planned, proc, split, limit, fire, ends_at, board_people, actor, audit
                )
                continue
            if node in ("explain_and_report", "reported"):
                continue  # written with the limit
            created, claimed, finished = times[i]
            token = f"start/{split}_2" if split is not None else "start"
            prev = split if node == "by_source" else -1
            if node == "start":
                proc.task(node, DONE, created, finished=finished)
            elif node == "decide_policy":
                self._decide_policy(
                    plan,
                    proc,
                    state,
                    created,
                    finished,
                    ends_at,
                    chair,
                    actor,
                    row,
                    position,
                    ruleset,
                    board_people,
                    t_policy,
                    audit,
                )
            elif node == "run_steps":
                split = proc.task(node, DONE, created, finished=finished)
                split_at = finished
            elif kind != "HUMAN":
                proc.task(node, DONE, created, finished=finished, token=token, prev=prev)
            elif node == "decide":
                if state == DONE:
                    proc.task(
                        node,
                        DONE,
                        created,
                        finished=finished,
                        owner=chair,
                        preassigned=True,
                        token=token,
                    )
                    self._decide(proc, finished, chair, candidate, position, term, uy, row, audit)
                else:
                    proc.task(
                        node,
                        state,
                        created,
                        owner=chair,
                        preassigned=True,
                        token=token,
                        finished=ends_at,
                        actor=actor,
                    )
            else:
                if node == "appraisal_review":
                    reviewers = [
                        u for u in dict.fromkeys(board_people + competent.user_ids) if u != preparer
                    ]
                    who = reviewers[rng.randrange(len(reviewers))]
                else:
                    reviewers = board_people
                    who = board_people[rng.randrange(len(board_people))]
                if state != DONE:
                    substate = plan.substate if node in MEETING_STEPS else NOT_CALLED
                    if (
                        state == OPEN
                        and node in ("step1", "step3", "final_vote")
                        and self.sessions_left.get(competent.id, 0) > 0
                    ):
                        substate = IN_SESSION
                        self.sessions_left[competent.id] -= 1
                    owner = who if (substate != NOT_CALLED or rng.random() < 0.4) else None
                    if owner is None:
                        claimed = None
                    elif state == CANCEL:  # claimed before the withdrawal cancelled it
                        claimed = created + (ends_at - created) * rng.uniform(0.1, 0.6)
                    else:
                        claimed = min(claimed, clock.now)
                    task = proc.task(
                        node,
                        state,
                        created,
                        owner=owner,
                        claimed=claimed,
                        finished=ends_at,
                        token=token,
                        actor=actor,
                        queue=reviewers,
                    )
                    if state == OPEN and node in MEETING_STEPS and substate != NOT_CALLED:
                        self._meeting_step(
                            plan,
                            proc,
                            node,
                            competent,
                            unit,
                            chair,
                            who,
                            active,
                            statuses,
                            claimed,
                            None,
                            ruleset,
                            substate,
                            audit,
                        )
                    if state == OPEN:
                        self._open_action(pid, task, node, substate, owner, reviewers)
                    continue
                proc.task(
                    node, DONE, created, finished=finished, owner=who, claimed=claimed, token=token
                )
                if node in MEETING_STEPS:
                    winner = self._meeting_step(
                        plan,
                        proc,
                        node,
                        competent,
                        unit,
                        chair,
                        who,
                        active,
                        statuses,
                        claimed,
                        finished,
                        ruleset,
                        CLOSED,
                        audit,
                    )
                    if node == "step1":
                        row["stage"] = Stage.STEP1_DONE
                    elif node in ("step2", "step3"):
                        active[:] = [winner]
                        candidate = winner
                        row["stage"] = Stage.STEP2_DONE if node == "step2" else Stage.STEP3_DONE
                    elif node == "step4":
                        row["stage"] = Stage.STEP4_DONE
                    elif plan.end == "failed":
                        row["stage"] = Stage.CLOSED_FAILED
                        row["closed_reason"] = "Biểu quyết cuối cùng không đạt."
                        for c in active:
                            statuses[c] = CandidateStatus.NOT_CARRIED
                    else:
                        row["stage"] = Stage.VOTE_PASSED
                        candidate = active[0]
                elif node in CODES:  # an external source's written record
                    if candidate is None:
                        candidate = active[0]
                    note = "Đã làm việc với cán bộ và cơ quan liên quan; thống nhất ghi nhận."
                    code = CODES[node].value
                    self.steps.add(
                        self.steps.new_id(),
                        code,
                        note,
                        {"result": "recorded", "forward": [candidate]},
                        finished,
                        finished,
                        pid,
                        None,
                        None,
                        who,
                    )
                    trail.add(
                        finished,
                        who,
                        "appointment.step",
                        "appointment.appointment",
                        pid,
                        cadre=candidate,
                        changes={"step": [None, code]},
                        reason=note,
                        **audit,
                    )
                elif node == "appraisal":
                    rounds += 1
                    preparer = who
                    row.update(
                        appraisal_submitted_at=finished,
                        prepared_by_id=who,
                        standing_evaluation="Ban Thường vụ đánh giá đồng chí bảo đảm tiêu chuẩn, "
                        "điều kiện; có năng lực, uy tín, đoàn kết.",
                        new_issues_conclusion="Không có vấn đề mới phát sinh.",
                    )
                    trail.add(
                        finished,
                        who,
                        "appointment.appraisal",
                        "appointment.appointment",
                        pid,
                        cadre=candidate,
                        **audit,
                    )
                elif node == "appraisal_review":
                    approve = rounds > plan.loops
                    before = row["stage"]
                    note = "" if approve else "Bổ sung bản kê khai tài sản, thu nhập năm gần nhất."
                    if approve:
                        row["stage"] = Stage.APPRAISED
                        row["appraisal_approved_by_id"] = who
                    row["appraisal_note"] = note
                    trail.add(
                        finished,
                        who,
                        "appointment.review",
                        "appointment.appointment",
                        pid,
                        cadre=candidate,
                        changes={"stage": [before, row["stage"]]},
                        reason=note,
                        **audit,
                    )
                if candidate is not None and proc.cadre != candidate:
                    proc.cadre = candidate
        # ---- how it ended
        status = PROCESS.NEW
        if plan.end == "withdrawn":
            status = PROCESS.CANCELED
            reason = "Cán bộ đang được xem xét theo đơn thư, tạm dừng quy trình."
            trail.add(
                ends_at,
                actor,
                "process.cancel",
                "appointment.appointment",
                pid,
                procedure="appointment",
                process=pid,
                cadre=candidate,
            )
            trail.add(
                ends_at,
                actor,
                "appointment.withdraw",
                "appointment.appointment",
                pid,
                cadre=candidate,
                changes={"stage": [row["stage"], Stage.WITHDRAWN]},
                reason=reason,
                **audit,
            )
            row["stage"], row["closed_reason"] = Stage.WITHDRAWN, reason
            for c, s in statuses.items():
                if s == CandidateStatus.ACTIVE:
                    statuses[c] = CandidateStatus.WITHDRAWN
        elif plan.end in ("decided", "failed", "rejected"):
            status = PROCESS.DONE
        if plan.end == "rejected":
            row["stage"] = Stage.CLOSED_REJECTED
        for c in chosen:
            gates = self._gates(c, term, position)
            self.candidates.add(
                self.candidates.new_id(),
                statuses[c],
                gates,
                gates if row["appraisal_submitted_at"] else [],
                row["closed_reason"] if statuses[c] == CandidateStatus.WITHDRAWN else "",
                pid,
                c,
            )
        proc.finish(status, ends_at)
        self.table.add(
            pid,
            "party",
            plan.source,
            row["stage"],
            MEMO.format(n=rng.randint(10, 990), uy=uy, post=position.title),
            row["policy_decided_at"],
            row["policy_decision_note"],
            row["decision_number"],
            row["decision_date"],
            row["effective_date"],
            row["term_end"],
            row["closed_reason"],
            candidate,
            competent.id,
            row["deadline_id"],
            position.id,
            row["prepared_by_id"],
            ruleset.id,
            unit.id,
            row["appraisal_approved_by_id"],
            row["appraisal_note"],
            row["appraisal_submitted_at"],
            None,
            row["new_issues_conclusion"],
            row["standing_evaluation"],
        )
        if proc.count != len(planned):
            raise RuntimeError(f"appointment {plan}: {proc.count} tasks, planned {len(planned)}")
        gen.count_stage("appointment", row["stage"])
        return proc.count

    # ----------------------------------------------------------------- pieces

    def _decide_policy(
        self,
        plan,
        proc,
        state,
        created,
        finished,
        ends_at,
        chair,
        actor,
        row,
        position,
        ruleset,
        board_people,
        t_policy,
        audit,
    ) -> None:
        gen, trail = self.gen, self.gen.trail
        pid = proc.id
        if state != DONE:
            proc.task(
                "decide_policy",
                state,
                created,
                owner=chair,
                preassigned=True,
                finished=ends_at,
                actor=actor,
            )
            if state == OPEN:
                gen.actionable("appointment.policy_decide", pid, proc.last, [chair])
            return
        proc.task("decide_policy", DONE, created, finished=finished, owner=chair, preassigned=True)
        rejected = plan.end == "rejected"
        note = "Chưa bảo đảm cơ cấu cán bộ, đề nghị rà soát lại nguồn." if rejected else ""
        row["stage"] = Stage.CLOSED_REJECTED if rejected else Stage.POLICY_APPROVED
        row["policy_decided_at"] = finished
        row["policy_decision_note"] = note
        row["closed_reason"] = note
        if not rejected:
            disarmed = ends_at if plan.end != "open" else None  # the end disarms the limit
            row["deadline_id"], _due = gen.deadlines.add(
                title=LIMIT_TITLE,
                subject=position.title,
                created=finished,
                working_days=ruleset.appointment_days,
                responsible=board_people,
                process=pid,
                actor=chair,
                source=ruleset.appointment_days_source,
                met=disarmed,
                met_by=None,
            )
        trail.add(
            finished,
            chair,
            "appointment.policy",
            "appointment.appointment",
            pid,
            changes={"stage": [Stage.POLICY_REQUESTED, row["stage"]]},
            reason=note,
            **audit,
        )

    def _limit_branch(
        self, plan, planned, proc, split, limit, fire, ends_at, board_people, actor, audit
    ) -> None:
        """The board's report once the limit fired (and its end), on the limit's branch."""
        gen, rng, clock = self.gen, self.gen.rng, self.gen.clock
        states = dict(planned)
        if "explain_and_report" not in states:
            return
        token = f"start/{split}_1"
        created = clock.seconds(rng, fire, 130, 600)
        state = states["explain_and_report"]
        who = board_people[rng.randrange(len(board_people))]
        if state == DONE:
            limit_until = ends_at or clock.now
            done = created + (limit_until - created) * rng.uniform(0.1, 0.8)
            claimed = created + (done - created) * rng.uniform(0.1, 0.5)
            proc.task(
                "explain_and_report",
                DONE,
                created,
                finished=done,
                owner=who,
                claimed=claimed,
                token=token,
                prev=limit,
            )
            gen.trail.add(
                done,
                who,
                "appointment.report",
                "appointment.appointment",
                proc.id,
                cadre=proc.cadre,
                reason="Quy trình kéo dài do chờ kết luận tiêu chuẩn "
                "chính trị của cấp có thẩm quyền.",
                **audit,
            )
            at = clock.seconds(rng, done, 0.01, 0.2)
            proc.task(
                "reported", DONE, at, finished=clock.seconds(rng, at, 0.002, 0.01), token=token
            )
        else:
            owner = who if rng.random() < 0.4 else None
            claimed = min(clock.later(rng, created, 0.05, 2), clock.now) if owner else None
            task = proc.task(
                "explain_and_report",
                state,
                created,
                owner=owner,
                claimed=claimed,
                finished=ends_at,
                token=token,
                prev=limit,
                actor=actor,
                queue=board_people,
            )
            if state == OPEN:
                gen.actionable("appointment.limit_report", proc.id, task, board_people)

    def _decide(self, proc, finished, chair, candidate, position, term, uy, row, audit) -> None:
        gen, rng, clock = self.gen, self.gen.rng, self.gen.clock
        decision_date = clock.local_date(finished)
        effective = min(decision_date + dt.timedelta(days=rng.choice((0, 1, 7, 15))), clock.today)
        # Two decisions for one post never take effect the same day (a seat changes hands once).
        while (position.id, effective) in self.effective_days:
            later = effective + dt.timedelta(days=1)
            effective = later if later <= clock.today else effective - dt.timedelta(days=1)
        if effective < decision_date:
            raise RuntimeError(f"no free effective day for post {position.id}")
        self.effective_days.add((position.id, effective))
        row.update(
            stage=Stage.DECISION_ISSUED,
            decision_number=f"{rng.randint(100, 1999)}-QĐ/{uy}",
            decision_date=decision_date,
            effective_date=effective,
            term_end=_add_years(effective, TERM_YEARS),
        )
        gen.seats.decide(effective, candidate, position, row["decision_number"])
        fulfilled = [
            e for e in gen.plan.approved(position, term) if gen.plan.entries[e][0] == candidate
        ]
        for e in fulfilled:
            gen.plan.set_status(e, PlanningStatus.FULFILLED)
        gen.trail.add(
            finished,
            chair,
            "appointment.decision",
            "appointment.appointment",
            proc.id,
            cadre=candidate,
            changes={
                "stage": [Stage.VOTE_PASSED, Stage.DECISION_ISSUED],
                "decision_number": [None, row["decision_number"]],
                "effective_date": [None, effective.isoformat()],
                "planning_fulfilled": [None, fulfilled],
                "holdings_ended": [None, []],
            },
            **audit,
        )

    def _open_action(self, pid, task, node, substate, owner, reviewers) -> None:
        gen = self.gen
        people = [owner] if owner is not None else reviewers
        if node == "appraisal_review":
            gen.actionable("appointment.appraisal_review", pid, task, people)
        elif node in MEETING_STEPS and substate == TO_RECORD:
            gen.actionable("appointment.step_record", pid, task, people)

    def _rosters(self, unit, competent):
        """Who the ad-hoc meetings summon: the expanded collective (the competent body and
        the heads of the unit's departments) and the key officials (also the heads of the
        units below)."""
        heads = [
            child.committees[CommitteeKind.LEADERSHIP].chair
            for child in unit.children
            if CommitteeKind.LEADERSHIP in child.committees
        ]
        below = [
            child.committees[CommitteeKind.STANDING].chair
            for child in unit.children
            if CommitteeKind.STANDING in child.committees
        ]
        expanded = list(dict.fromkeys(competent.user_ids + heads))
        return expanded, list(dict.fromkeys(expanded + below))

    def _meeting_step(
        self,
        plan,
        proc,
        node,
        competent,
        unit,
        chair,
        who,
        active,
        statuses,
        claimed,
        finished,
        ruleset,
        state,
        audit,
    ):
        """The step's meeting and ballot and its ``AppointmentStep``; the cadre carried."""
        gen, rng, clock, world = self.gen, self.gen.rng, self.gen.clock, self.gen.world
        code = CODES[node].value
        label = self.labels[code]
        title = f"{label} — {self._current_title}"
        expanded, key_officials = self._rosters(unit, competent)
        names = [(c, world.cadre_by_id[c].name) for c in active]
        body, roster, kind = competent, None, MeetingKind.LEADERSHIP_COLLECTIVE
        winner = active[0] if node != "step2" else active[rng.randrange(len(active))]
        if node == "step1":
            plan_ = engine.BallotPlan(
                BallotKind.APPROVAL,
                label,
                motion="Thống nhất tiêu chuẩn và danh sách nhân sự đủ điều kiện: "
                + ", ".join(n for _c, n in names),
            )
        elif node == "final_vote":
            kind = (
                MeetingKind.STANDING_COMMITTEE
                if competent.kind == CommitteeKind.STANDING
                else MeetingKind.LEADERSHIP_COLLECTIVE
            )
            plan_ = engine.BallotPlan(
                BallotKind.APPROVAL, label, cadres=names, passes=[plan.end != "failed"] * len(names)
            )
        else:
            if node == "step2":
                body, roster, kind = None, expanded, MeetingKind.EXPANDED_COLLECTIVE
            elif node == "step4":
                body, roster, kind = None, key_officials, MeetingKind.KEY_OFFICIALS
            plan_ = engine.BallotPlan(
                BallotKind.NOMINATION, label, cadres=names, passes=[c == winner for c in active]
            )
        if rng.random() < 0.45:  # many collectives still vote on paper
            plan_.mode = BallotMode.PAPER
        now = clock.now
        if state == CLOSED:
            called = claimed + (finished - claimed) * 0.2
            meets = claimed + (finished - claimed) * rng.uniform(0.45, 0.85)
            meeting_state = engine.CLOSED
        elif state == TO_RECORD:
            called = claimed + (now - claimed) * 0.2
            meets = claimed + (now - claimed) * rng.uniform(0.45, 0.9)
            meeting_state = engine.CLOSED
        elif state == IN_SESSION:
            called = claimed + (now - claimed) * 0.3
            meets = now - dt.timedelta(minutes=rng.uniform(20, 120))
            meeting_state = engine.IN_SESSION
        else:  # called: the meeting is ahead
            called = claimed + (now - claimed) * 0.5
            meets = clock.aware(clock.today + dt.timedelta(days=rng.randint(1, 12)), 8)
            meeting_state = engine.SCHEDULED
        record = gen.engine.meeting(
            title=title,
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
            ballots=[plan_],
        )
        outcome: dict = {}
        recorded = None
        if state == CLOSED:
            recorded = finished
            if node == "step1":
                forward = list(active)
                result = "approved"
            elif node == "final_vote":
                passed = plan.end != "failed"
                forward = [active[0]] if passed else []
                result = "passed" if passed else "failed"
            elif node == "step4":
                forward, result = list(active), plan_.outcome["result"]["result"]
            else:
                forward, result = [winner], plan_.outcome["result"]["result"]
            outcome = {"result": result, "forward": forward}
            if node == "step2":
                for c in active:
                    if c != winner:
                        statuses[c] = CandidateStatus.NOT_CARRIED
        step = self.steps.new_id()
        self.steps.add(
            step,
            code,
            "",
            outcome,
            recorded,
            called,
            proc.id,
            plan_.id,
            record.id,
            who if recorded else None,
        )
        gen.trail.add(
            called,
            who,
            "appointment.step_call",
            "appointment.appointment",
            proc.id,
            cadre=proc.cadre,
            changes={"step": [None, code], "meeting": [None, record.id]},
            **audit,
        )
        if recorded:
            gen.trail.add(
                recorded,
                who,
                "appointment.step",
                "appointment.appointment",
                proc.id,
                cadre=winner if node in ("step2", "step3") else proc.cadre,
                changes={"step": [None, code], "result": [None, outcome["result"]]},
                **audit,
            )
        return winner

    def _gates(self, cadre: int, term: int, position) -> list[dict]:
        """The gates as they stood (all passed), in the shape ``services._snapshot`` stores."""
        source = "Quy định 377-QĐ/TW ngày 08/10/2025 của Bộ Chính trị"
        return [
            {
                "code": "planning",
                "passed": True,
                "source": source,
                "overridable": True,
                "message": f"Có trong quy hoạch {term}–{TERMS[term]} đã được phê duyệt "
                "cho chức vụ này.",
            },
            {
                "code": "time_in_post",
                "passed": True,
                "source": "QĐ 377 Art. 34",
                "overridable": True,
                "message": "Đã giữ chức vụ hiện tại hoặc tương đương đủ 2 năm.",
            },
            {
                "code": "full_term",
                "passed": True,
                "source": "HD 06; QĐ 377 Art. 34",
                "overridable": True,
                "message": "Thời gian công tác còn lại đủ 5 năm.",
            },
            {
                "code": "discipline",
                "passed": True,
                "source": "QĐ 377",
                "overridable": False,
                "message": "Không có kỷ luật còn trong thời hạn hạn chế.",
            },
            {
                "code": "investigation",
                "passed": True,
                "source": source,
                "overridable": False,
                "message": "Không đang bị điều tra hoặc xem xét kỷ luật.",
            },
            {
                "code": "political_standard",
                "passed": True,
                "source": "HD 19",
                "overridable": False,
                "message": "Đảm bảo tiêu chuẩn chính trị.",
            },
        ]
