"""The generator run: plan, write each phase in its own transaction, report.

1. the province: units, cadres, committees with their members' accounts, posts, grants;
2. the procedures: the plan of every process is drawn first and the workflow-task count made
   exact (an appraisal sent back adds three tasks, a limit that fired two), then appointments,
   the holdings their decisions leave, planning reviews, removals and evaluation campaigns are
   written, with their meetings, ballots and deadlines; standalone meetings make up the meeting
   count if the procedures called fewer;
3. the audit trail, one hash chain.

Then the identity sequences move past the generated keys, the rule-sets run under become
read-only (``in_use``) and the tables are analysed.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter, defaultdict

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.urls import NoReverseMatch

from personnel.models import CommitteeKind
from workflows.appointment.flows import AppointmentFlow
from workflows.core.models import BallotKind, MeetingKind, RuleSet
from workflows.evaluation.flows import EvaluationFlow
from workflows.planning.flows import PlanningReviewFlow, RemovalFlow

from . import appointments, ballots, evaluation, planning
from .audit import Trail, Writer
from .clock import DEFAULT_ANCHOR, Clock
from .loader import Loader, Progress
from .processes import Deadlines, FlowInfo, Tasks
from .records import PlanBook, Seats
from .sizes import Size
from .world import World

#: the password of every generated account — benchmark databases only, never production
BENCH_PASSWORD = "cadreflow-bench"
#: how many days of procedure events to collect per audit event per procedure: the trail is
#: then cut to the event count (about 28 days' worth of activity at every size, whose ratio of
#: events to procedures is the same); collecting twice that keeps memory bounded
AUDIT_DAYS_PER_RATIO = 6
#: shares of the procedures by flow (the rest are evaluation campaigns)
SHARES = {"appointment": 0.58, "planning": 0.06, "removal": 0.12}


class Generator:
    def __init__(
        self,
        size: Size,
        *,
        seed: int = 2026,
        anchor: dt.datetime = DEFAULT_ANCHOR,
        password: str = BENCH_PASSWORD,
        progress: Progress | None = None,
    ):
        self.size = size
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = Clock(anchor)
        self.progress = progress or Progress()
        self.password_hash = make_password(password, salt=f"bench{seed}")
        self.stages: dict[str, Counter] = defaultdict(Counter)
        self.actions: list[tuple] = []
        self.timings: dict[str, float] = {}

    # ----------------------------------------------------------------- helpers the phases use

    def rules_for(self, day: dt.date) -> ballots.Rules:
        for effective, rules in self._rulesets:
            if effective <= day:
                return rules
        return self._rulesets[-1][1]

    def count_stage(self, flow: str, stage: str) -> None:
        self.stages[flow][str(stage)] += 1

    def actionable(self, action: str, process: int, task: int | None, people, **extra) -> None:
        """Something a login can do now (the load test's work list)."""
        self.actions.append((action, process, task, tuple(p for p in people if p), extra))

    def task_link(self, flow: FlowInfo, node: str, process: int, task: int) -> str:
        try:
            return flow.nodes[node].reverse("index", args=[process, task])
        except NoReverseMatch:
            return ""

    # ----------------------------------------------------------------- the run

    def run(self) -> dict:
        started = time.perf_counter()
        say = self.progress.say
        say(f"Generating the '{self.size.name}' dataset (seed {self.seed})")
        self.loader = Loader(connection, self.progress)
        self._read_rulesets()
        self.bench_user_set: set[int] = set()
        self._phase("organisation and people", self._world)
        self._phase("procedures, tasks, meetings and ballots", self._procedures)
        # The audit trail loads with its triggers on: ``extends_chain`` checks every row.
        self._phase("audit trail", self._audit, keys=False)
        # Through the engine's own code, as a task's creation does: who each open task is
        # offered to (``workflows.core.queues``).
        self._phase("queues", self._queues, keys=False)
        self._phase("sequences, rule-sets and statistics", self._finish)
        self.loader.close()
        self.progress.say("Rows loaded, and the rate of their COPY alone:")
        self.loader.report(self.progress.say)
        self.timings["total"] = round(time.perf_counter() - started, 1)
        say(f"Done in {self.timings['total']:.1f} s")
        return self.report()

    def _phase(self, name: str, work, *, keys: bool = True) -> None:
        self.progress.say(f"- {name}")
        started = time.perf_counter()
        before = {t.name: t.rows for t in self.loader.tables.values()}
        with transaction.atomic():
            bulk = keys and self.loader.defer_foreign_keys()
            work()
            self.loader.flush()
            if bulk:
                loaded = time.perf_counter()
                touched = [
                    t.name for t in self.loader.tables.values() if t.rows != before.get(t.name, 0)
                ]
                checked = self.loader.check_foreign_keys(touched)
                self.loader.with_triggers(True)  # even when this is not the outermost atomic
                how = f"{checked} foreign keys checked in {time.perf_counter() - loaded:.1f} s"
            else:  # the commit checks each row's deferred foreign keys
                how = "foreign keys checked at commit"
        self.timings[name] = round(time.perf_counter() - started, 1)
        self.progress.say(f"  ({self.timings[name]:.1f} s; {how})")

    def _read_rulesets(self) -> None:
        party = RuleSet.objects.filter(track="party").order_by("-effective_from", "-version")
        self._rulesets = [(r.effective_from, ballots.Rules(r)) for r in party]
        if not self._rulesets:
            raise RuntimeError("No party rule-set: migrate first (workflows.core ships them).")
        self.rules_now = self.rules_for(self.clock.today)
        self.used_rulesets: set[int] = set()

    def _world(self) -> None:
        self.world = World(
            size=self.size,
            rng=self.rng,
            clock=self.clock,
            loader=self.loader,
            password=self.password_hash,
        )
        self.world.build()
        self.bench_user_set = set(self.world.bench_users)

    def _procedures(self) -> None:
        rng, size = self.rng, self.size
        ratio = size.audit_events / size.procedures
        days = min(420, max(30, AUDIT_DAYS_PER_RATIO * ratio))
        self.trail = Trail(self.clock.now - dt.timedelta(days=days))
        self.flows = {
            "appointment": FlowInfo(AppointmentFlow),
            "planning": FlowInfo(PlanningReviewFlow),
            "removal": FlowInfo(RemovalFlow),
            "evaluation": FlowInfo(EvaluationFlow),
        }
        self.tasks = Tasks(self)
        self.deadlines = Deadlines(self)
        self.engine = ballots.Engine(self)
        self.plan = PlanBook(self)
        self.plan.seed(self.world, rng)
        self.seats = Seats(self)
        self.seats.seed(self.world, rng)
        # ---- the plans, and the exact task count
        n = size.procedures
        n_app = round(n * SHARES["appointment"])
        n_rev = round(n * SHARES["planning"])
        n_rem = round(n * SHARES["removal"])
        organisers = [u for u in self.world.units if u.role in ("province", "district")]
        n_camp = n - n_app - n_rev - n_rem
        app_plans = appointments.draw(rng, n_app)
        rev_plans = planning.draw_reviews(rng, n_rev)
        rem_plans = planning.draw_removals(rng, n_rem)
        camp_plans = evaluation.draw(rng, n_camp, organisers)
        self._fit_tasks(app_plans, rev_plans, rem_plans, camp_plans)
        # ---- writing
        writer = appointments.Appointments(self)
        self._each("appointments", app_plans, writer.write)
        self.seats.settle()
        self.loader.with_triggers(True)  # the seat-count trigger checks every holding
        self.seats.write()
        self.loader.sync()
        self.loader.with_triggers(False)
        self.seats.index(self.world)
        reviews = planning.Reviews(self)
        self._each("planning reviews", rev_plans, reviews.write)
        removals = planning.Removals(self)
        self._each("removals from the plan", rem_plans, removals.write)
        self._settle_tasks(camp_plans)
        campaigns = evaluation.Campaigns(self)
        self._each("evaluation campaigns", camp_plans, campaigns.write)
        self.plan.write()
        self._standalone_meetings()

    def _each(self, label: str, plans, write) -> None:
        self.progress.say(f"  {label}: {len(plans):,}")
        for plan in plans:
            write(plan)

    def _fit_tasks(self, app_plans, rev_plans, rem_plans, camp_plans) -> None:
        """Make the planned task count exactly the size's: appraisals sent back (+3 tasks
        each) and limits that fired with the board's report (+2)."""
        total = (
            sum(len(appointments.nodes(p)) for p in app_plans)
            + sum(len(planning.review_nodes(p)) for p in rev_plans)
            + sum(len(planning.removal_nodes(p)) for p in rem_plans)
            + sum(len(evaluation.campaign_nodes(p)) for p in camp_plans)
        )
        deficit = self.size.tasks - total
        self.progress.say(
            f"  planned {total:,} workflow tasks; {deficit:+,} to reach {self.size.tasks:,}"
        )
        if deficit < 0:
            raise RuntimeError(
                f"the procedure mix plans {-deficit:,} tasks too many: lower SHARES['appointment']"
            )
        late = [p for p in app_plans if appointments.eligible_for_late(p)]
        self.rng.shuffle(late)
        for _ in range({0: 0, 1: 2, 2: 1}[deficit % 3]):
            if not late:
                raise RuntimeError("no appointment can absorb the remainder of the task count")
            late.pop().late = True
            deficit -= 2
        loops = [p for p in app_plans if appointments.eligible_for_loop(p)]
        rounds = 0
        while deficit > 0:
            if not loops or rounds > 6:
                raise RuntimeError(
                    f"{deficit:,} tasks short: raise SHARES['appointment'] or the loop cap"
                )
            for plan in self.rng.sample(loops, min(len(loops), deficit // 3)):
                plan.loops += 1
                deficit -= 3
            rounds += 1

    def _settle_tasks(self, camp_plans) -> None:
        """What was written can differ from the plan by a few tasks (a removal with no free
        entry is dismissed, a review whose unit already runs one is finished): the ad hoc
        campaigns still to write absorb it (published: 3 tasks, still open: 2)."""
        missing = (
            self.size.tasks
            - self.tasks.tasks.rows
            - sum(len(evaluation.campaign_nodes(p)) for p in camp_plans)
        )
        ad_hoc = [p for p in camp_plans if p.period == evaluation.EvaluationPeriod.AD_HOC]
        self.rng.shuffle(ad_hoc)
        for plan in ad_hoc:
            if missing > 0 and plan.end != "published":
                plan.end, missing = "published", missing - 1
            elif missing < 0 and plan.end == "published":
                plan.end, missing = "open", missing + 1
        if missing:
            raise RuntimeError(f"cannot settle the task count: {missing:+} left")

    def _standalone_meetings(self) -> None:
        """Ordinary sessions of the standing committees (a motion voted, no procedure), when
        the procedures called fewer meetings than the size asks."""
        engine, rng, clock = self.engine, self.rng, self.clock
        missing = self.size.meetings - engine.meetings.rows
        bodies = [c for c in self.world.committees if c.kind == CommitteeKind.STANDING]
        for _ in range(max(0, missing)):
            body = bodies[rng.randrange(len(bodies))]
            when = clock.between(rng, clock.start, clock.now - dt.timedelta(days=1))
            rules = self.rules_for(clock.local_date(when))
            board = body.unit.board.user_ids
            engine.meeting(
                title=f"Hội nghị {body.name} thường kỳ",
                kind=MeetingKind.STANDING_COMMITTEE,
                unit=body.unit,
                rules=rules,
                chair=body.chair,
                body=body,
                board_actor=board[rng.randrange(len(board))],
                called_at=when - dt.timedelta(days=rng.uniform(2, 7)),
                when=when,
                state=ballots.CLOSED,
                ballots=[
                    ballots.BallotPlan(
                        BallotKind.APPROVAL,
                        "Biểu quyết chương trình công tác",
                        motion="Thông qua chương trình công tác quý của Ban Thường vụ",
                    )
                ],
            )

    def _audit(self) -> None:
        world, rng = self.world, self.rng
        readers = []
        for committee in world.committees:
            if committee.kind in (CommitteeKind.ORGANISATION_BOARD, CommitteeKind.INSPECTION):
                units = [u for u in committee.unit.subtree() if u.cadres]
                for user in committee.user_ids:
                    readers.append((user, units))

        def reader():
            user, units = readers[rng.randrange(len(readers))]
            unit = units[rng.randrange(len(units))]
            return user, unit.cadres[rng.randrange(len(unit.cadres))], unit.id

        writer = Writer(loader=self.loader, rng=rng, usernames=world.user_names)
        with self.loader.gin_rebuilt("audit_event"):
            self.audit_summary = writer.write(
                self.trail, total=self.size.audit_events, end=self.clock.now, readers=reader
            )
        del self.trail

    def _queues(self) -> None:
        from workflows.core.queues import queue_refresh

        counts = queue_refresh()
        self.progress.say(f"  {counts['tasks']:,} open tasks, {counts['added']:,} offers")

    def _finish(self) -> None:
        self.loader.reset_sequences()
        cursor = self.loader.cursor
        cursor.execute(
            "UPDATE core_ruleset SET in_use = true WHERE NOT in_use AND id IN ("
            "SELECT ruleset_id FROM core_meeting UNION SELECT ruleset_id FROM "
            "appointment_appointment UNION SELECT ruleset_id FROM planning_planningreview UNION "
            "SELECT ruleset_id FROM evaluation_evaluationcampaign)"
        )

    # ----------------------------------------------------------------- the report

    def report(self) -> dict:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            rows = {}
            for name in sorted(self.loader.tables):
                cursor.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608 (our table names)
                rows[name] = cursor.fetchone()[0]
            cursor.execute(
                "SELECT flow_class, status, count(*) FROM viewflow_process GROUP BY 1, 2"
            )
            processes = defaultdict(dict)
            for flow, status, count in cursor.fetchall():
                processes[flow][status] = count
            cursor.execute(
                "SELECT flow_task_type, status, count(*) FROM viewflow_task GROUP BY 1, 2"
            )
            tasks = defaultdict(dict)
            for kind, status, count in cursor.fetchall():
                tasks[kind][status] = count
        return {
            "size": self.size.name,
            "seed": self.seed,
            "anchor": self.clock.now.isoformat(),
            "requested": {
                "cadres": self.size.cadres,
                "procedures": self.size.procedures,
                "workflow_tasks": self.size.tasks,
                "meetings": self.size.meetings,
                "audit_events": self.size.audit_events,
            },
            "built": {
                "cadres": rows.get("personnel_cadre", 0),
                "procedures": rows.get("viewflow_process", 0),
                "workflow_tasks": rows.get("viewflow_task", 0),
                "meetings": rows.get("core_meeting", 0),
                "audit_events": rows.get("audit_event", 0),
            },
            "seconds": self.timings,
            "rows": rows,
            "processes": processes,
            "tasks": tasks,
            "stages": {flow: dict(c) for flow, c in self.stages.items()},
            "holdings_without_decision": self.seats.skipped,
            "audit": self.audit_summary,
            "logins": self.logins(),
        }

    def logins(self) -> dict:
        """The load test's logins: who they are, what waits in their inbox and queue, the
        ballots they can cast and the actions they can take now."""
        world = self.world
        roles = defaultdict(list)
        for committee in world.committees:
            for user, role in committee.members:
                if user in self.bench_user_set:
                    roles[user].append(
                        {
                            "committee": committee.id,
                            "kind": committee.kind,
                            "role": role,
                            "unit": committee.unit.name,
                        }
                    )
        inbox, queue = defaultdict(list), defaultdict(list)
        for tid, pid, flow, node, owner, people in self.tasks.open_human:
            item = {"task": tid, "process": pid, "flow": flow, "node": node}
            if owner in self.bench_user_set:
                inbox[owner].append(item)
            elif owner is None:
                for user in people:
                    if user in self.bench_user_set:
                        queue[user].append(item)
        ballots_open = defaultdict(list)
        for ballot, meeting, voters in self.engine.open_ballots:
            for user in voters:
                if user in self.bench_user_set:
                    ballots_open[user].append({"ballot": ballot, "meeting": meeting})
        actions, per_kind = defaultdict(list), Counter()
        for action, process, task, people, extra in self.actions:
            for user in people:
                if user in self.bench_user_set and per_kind[(user, action)] < 15:
                    per_kind[(user, action)] += 1
                    actions[user].append(
                        {"action": action, "process": process, "task": task, **extra}
                    )
        users = []
        for user in world.bench_users:
            username, name = world.user_names[user]
            users.append(
                {
                    "username": username,
                    "name": name,
                    "memberships": roles[user],
                    "inbox": inbox[user][:50],
                    "inbox_count": len(inbox[user]),
                    "queue": queue[user][:50],
                    "queue_count": len(queue[user]),
                    "open_ballots": ballots_open[user],
                    "actions": actions[user],
                }
            )
        return {
            "password": "see --password (default: bench.datagen.build.BENCH_PASSWORD)",
            "users": users,
        }
