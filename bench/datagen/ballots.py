"""Meetings and secret ballots as the meeting engine leaves them (``workflows.core.services``).

A meeting is scheduled (its ballots prepared), in session (attendance taken, a ballot open and
partly voted), or closed (every ballot counted and closed). What the rules say is read from the
meeting's rule-set (quorum, denominators, sealed meetings, carry-forward); outcomes are computed
by ``workflows.core.tally`` from the counts, in the shape ``services._outcome`` stores. Secrecy
holds as in the engine: participations and marks share nothing but the ballot, have random
ids, and each ballot's rows are written in an order unrelated to each other.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field

from personnel.models import CommitteeKind
from workflows.core import rules as rule_params
from workflows.core import tally
from workflows.core.models import (
    Attendance,
    BallotKind,
    BallotMode,
    BallotStatus,
    Choice,
    Denominator,
    MeetingStatus,
    ParameterKey,
)

ABSENCE_REASONS = (
    "Đi công tác",
    "Nghỉ ốm",
    "Việc gia đình",
    "Đi học tập trung",
    "Họp tại Trung ương",
)
PLACES = ("Phòng họp số 1", "Phòng họp Ban Thường vụ", "Hội trường lớn", "Phòng họp trực tuyến")

SCHEDULED, IN_SESSION, CLOSED = "scheduled", "in_session", "closed"


class Rules:
    """The parameters of one rule-set the generator reads (never hard-coded)."""

    def __init__(self, ruleset):
        self.ruleset = ruleset
        self.id = ruleset.pk
        self.label = str(ruleset)
        get = lambda key: rule_params.get(ruleset, key)  # noqa: E731
        self.quorum = rule_params.fraction(ruleset, ParameterKey.QUORUM)
        self.denominator = {
            BallotKind.NOMINATION: get(ParameterKey.NOMINATION_DENOMINATOR),
            BallotKind.APPROVAL: get(ParameterKey.APPROVAL_DENOMINATOR),
            BallotKind.CONFIDENCE: get(ParameterKey.CONFIDENCE_DENOMINATOR),
        }
        self.sealed = set(get(ParameterKey.SEALED_MEETINGS))
        self.carry_forward = get(ParameterKey.CARRY_FORWARD)
        self.appointment_days = get(ParameterKey.APPOINTMENT_DEADLINE)
        self.appointment_days_source = rule_params.parameter(
            ruleset, ParameterKey.APPOINTMENT_DEADLINE
        ).citation
        self.quota = get(ParameterKey.EXCELLENT_QUOTA)
        self.bands = get(ParameterKey.EVALUATION_SCORE_BANDS)
        self.criteria = get(ParameterKey.EVALUATION_CRITERIA)
        self.caps = get(ParameterKey.PLANNING_CAPS)


@dataclass
class BallotPlan:
    """A ballot to prepare. ``passes``: for each candidate, whether the vote carries it (an
    approval passes, a nomination names it); the counts are drawn to make it so."""

    kind: str
    title: str
    cadres: list = field(default_factory=list)  # [(cadre id, name)]
    motion: str = ""
    seats: int = 1
    passes: list[bool] | None = None
    mode: str = BallotMode.ELECTRONIC
    # filled in when written
    id: int | None = None
    candidate_ids: list[int] = field(default_factory=list)
    outcome: dict = field(default_factory=dict)
    status: str = BallotStatus.DRAFT


@dataclass
class MeetingRecord:
    id: int
    status: str
    when: dt.datetime
    chair: int
    voters: list[int]
    ballots: list[BallotPlan]
    closed_at: dt.datetime | None = None


class Engine:
    def __init__(self, gen):
        self.gen = gen
        loader = gen.loader
        self.meetings = loader.table(
            "core_meeting",
            [
                "id",
                "title",
                "kind",
                "scheduled_at",
                "status",
                "collective_total",
                "session",
                "body_id",
                "chair_id",
                "competent_body_id",
                "unit_id",
                "ruleset_id",
                "place",
            ],
        )
        self.summons = loader.table(
            "core_summons",
            [
                "id",
                "attendance",
                "absence_reason",
                "excluded",
                "counts_votes",
                "votes",
                "meeting_id",
                "user_id",
            ],
        )
        self.ballots = loader.table(
            "core_ballot",
            [
                "id",
                "kind",
                "mode",
                "title",
                "seats",
                "status",
                "sealed",
                "denominator",
                "issued",
                "returned",
                "valid",
                "invalid",
                "turnout",
                "outcome",
                "head_decision",
                "differing_opinions",
                "confirmed_by_id",
                "entered_by_id",
                "meeting_id",
            ],
        )
        self.candidates = loader.table(
            "core_candidate", ["id", "label", "order", "written_in", "ballot_id", "cadre_id"]
        )
        self.participations = loader.table(
            "core_participation", ["id", "ballot_id", "user_id"], ids=False
        )
        self.marks = loader.table(
            "core_mark", ["id", "choice", "ballot_id", "candidate_id"], ids=False
        )
        self.tallies = loader.table(
            "core_papertally", ["id", "choice", "count", "ballot_id", "candidate_id"]
        )
        #: open electronic ballots, for the load test: (ballot id, meeting id, [voters left])
        self.open_ballots: list[tuple[int, int, list[int]]] = []

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.gen.rng.getrandbits(128), version=4)

    # ----------------------------------------------------------------- meetings

    def meeting(
        self,
        *,
        title: str,
        kind: str,
        unit,
        rules: Rules,
        chair: int,
        body=None,
        competent=None,
        roster: list[int] | None = None,
        board_actor: int,
        called_at: dt.datetime,
        when: dt.datetime,
        state: str,
        ballots: list[BallotPlan],
        procedure_event: dict | None = None,
    ) -> MeetingRecord:
        """Write a meeting with its summons and ballots in ``state``; audit what happened."""
        gen, rng, trail = self.gen, self.gen.rng, self.gen.trail
        people = list(dict.fromkeys(roster if body is None else body.user_ids))
        if chair not in people:
            people.append(chair)
        meeting_id = self.meetings.new_id()
        record = MeetingRecord(meeting_id, state, when, chair, people, ballots)
        convened = state != SCHEDULED
        collective_total = len(body.members) if (convened and body is not None) else None
        status = {
            SCHEDULED: MeetingStatus.SCHEDULED,
            IN_SESSION: MeetingStatus.CONVENED,
            CLOSED: MeetingStatus.CLOSED,
        }[state]
        self.meetings.add(
            meeting_id,
            title[:200],
            kind,
            when,
            status,
            collective_total,
            1 if convened else 0,
            body.id if body is not None else None,
            chair,
            competent.id if competent is not None else None,
            unit.id,
            rules.id,
            rng.choice(PLACES),
        )
        unit_id = unit.id
        audit = dict(procedure="meeting", unit=unit_id)
        trail.add(
            called_at,
            board_actor,
            "meeting.create",
            "core.meeting",
            meeting_id,
            changes={
                "title": [None, title[:200]],
                "kind": [None, kind],
                "ruleset": [None, rules.id],
                "chair": [None, chair],
                "body": [None, body.id if body is not None else None],
                "scheduled_at": [None, when.isoformat(timespec="microseconds")],
            },
            **audit,
        )
        # ---- attendance (taken at convening; an absence always has its reason)
        summoned = len(people)
        numerator, denominator = rules.quorum
        needed = tally.quorum_needed(
            summoned=summoned, numerator=numerator, denominator=denominator
        )
        absent: set[int] = set()
        if convened:
            can_miss = [u for u in people if u != chair and u not in gen.bench_user_set]
            most = min(summoned - needed, 2, len(can_miss))
            absent = set(rng.sample(can_miss, rng.randint(0, most))) if most > 0 else set()
        present = [u for u in people if u not in absent]
        counters = set(rng.sample(present[1:], min(2, len(present) - 1))) if convened else set()
        for user_id in people:
            if not convened:
                attendance, reason = Attendance.UNKNOWN, ""
            elif user_id in absent:
                attendance, reason = Attendance.ABSENT, rng.choice(ABSENCE_REASONS)
            else:
                attendance, reason = Attendance.PRESENT, ""
            self.summons.add(
                self.summons.new_id(),
                attendance,
                reason,
                False,
                user_id in counters,
                True,
                meeting_id,
                user_id,
            )
        if convened:
            trail.add(
                when,
                chair,
                "meeting.convene",
                "core.meeting",
                meeting_id,
                changes={"session": [0, 1]},
                **audit,
            )
            trail.add(
                gen.clock.seconds(rng, when, 60, 300),
                chair,
                "meeting.attendance",
                "core.meeting",
                meeting_id,
                changes={
                    str(u): ["unknown", "absent" if u in absent else "present"] for u in people
                },
                **audit,
            )
        # ---- ballots
        moment = gen.clock.seconds(rng, when, 400, 900)
        sealed_kind = kind in rules.sealed
        for index, plan in enumerate(ballots):
            if state == CLOSED:
                plan.status = BallotStatus.CLOSED
            elif state == IN_SESSION and index == 0:
                plan.status = BallotStatus.OPEN
            else:
                plan.status = BallotStatus.DRAFT
            moment = self._ballot(
                plan,
                meeting_id=meeting_id,
                rules=rules,
                sealed=sealed_kind,
                voters=people,
                present=present,
                counters=sorted(counters),
                collective_total=collective_total,
                chair=chair,
                board_actor=board_actor,
                called_at=called_at,
                moment=moment,
                audit=audit,
            )
        if state == CLOSED:
            record.closed_at = gen.clock.seconds(rng, moment, 120, 900)
            trail.add(record.closed_at, chair, "meeting.close", "core.meeting", meeting_id, **audit)
        return record

    def _ballot(
        self,
        plan: BallotPlan,
        *,
        meeting_id,
        rules,
        sealed,
        voters,
        present,
        counters,
        collective_total,
        chair,
        board_actor,
        called_at,
        moment,
        audit,
    ) -> dt.datetime:
        gen, rng, trail = self.gen, self.gen.rng, self.gen.trail
        ballot_id = plan.id = self.ballots.new_id()
        denominator_rule = rules.denominator[plan.kind]
        labels = []
        for order, (cadre_id, name) in enumerate(plan.cadres):
            candidate = self.candidates.new_id()
            plan.candidate_ids.append(candidate)
            labels.append(name)
            self.candidates.add(candidate, "", order, False, ballot_id, cadre_id)
        if plan.motion:
            candidate = self.candidates.new_id()
            plan.candidate_ids.append(candidate)
            labels.append(plan.motion[:300])
            self.candidates.add(
                candidate, plan.motion[:300], len(plan.cadres), False, ballot_id, None
            )
        if plan.status == BallotStatus.OPEN or len(counters) < 2:
            plan.mode = BallotMode.ELECTRONIC  # the load test votes; paper needs two counters
        trail.add(
            gen.clock.seconds(rng, called_at, 5, 60),
            board_actor,
            "ballot.create",
            "core.ballot",
            ballot_id,
            changes={
                "kind": [None, plan.kind],
                "mode": [None, plan.mode],
                "candidates": [None, [c for c, _ in plan.cadres]],
                "sealed": [None, sealed],
            },
            **audit,
        )
        issued = returned = valid = invalid = turnout = None
        entered_by = confirmed_by = None
        outcome: dict = {}
        eligible = list(present)
        if plan.status in (BallotStatus.OPEN, BallotStatus.CLOSED):
            issued = len(eligible)
            trail.add(
                moment,
                chair,
                "ballot.open",
                "core.ballot",
                ballot_id,
                changes={"present": [None, len(present)], "summoned": [None, len(voters)]},
                **audit,
            )
        if plan.status == BallotStatus.OPEN:
            # Voting under way: some have voted; the load test's logins have not.
            keep = gen.bench_user_set
            may = [u for u in eligible if u not in keep]
            voted = rng.sample(may, rng.randint(0, max(0, len(may) - 1)))
            self._electronic_papers(
                plan,
                voted,
                eligible,
                denominator_rule,
                rules,
                collective_total,
                len(voters),
                chair,
                moment,
                audit,
            )
            self.open_ballots.append(
                (ballot_id, meeting_id, [u for u in eligible if u not in set(voted)])
            )
            moment = gen.clock.seconds(rng, moment, 300, 900)
        elif plan.status == BallotStatus.CLOSED:
            counts = self._counts(
                plan, len(eligible), denominator_rule, rules, collective_total, len(voters)
            )
            per_candidate, voted_n, invalid_n = counts
            if plan.mode == BallotMode.ELECTRONIC:
                voters_done = rng.sample(eligible, voted_n)
                self._write_marks(plan, per_candidate, voters_done, moment, audit)
                returned = valid = turnout = voted_n
                invalid = 0
                moment = gen.clock.seconds(rng, moment, 300, 900)
                trail.add(
                    moment,
                    chair,
                    "ballot.close",
                    "core.ballot",
                    ballot_id,
                    changes={"status": ["open", "closed"], "turnout": [None, voted_n]},
                    **audit,
                )
            else:
                returned = turnout = voted_n + invalid_n
                valid, invalid = voted_n, invalid_n
                entered_by, confirmed_by = counters[0], counters[1]
                for (candidate, choice), n in sorted(
                    ((k, v) for k, v in _flatten(per_candidate).items()),
                    key=lambda kv: (kv[0][0] or 0, kv[0][1]),
                ):
                    self.tallies.add(self.tallies.new_id(), choice, n, ballot_id, candidate)
                moment = gen.clock.seconds(rng, moment, 900, 1800)
                trail.add(
                    moment,
                    entered_by,
                    "ballot.counts_enter",
                    "core.ballot",
                    ballot_id,
                    changes={"returned": [None, returned], "valid": [None, valid]},
                    **audit,
                )
                moment = gen.clock.seconds(rng, moment, 60, 300)
                trail.add(
                    moment,
                    confirmed_by,
                    "ballot.counts_confirm",
                    "core.ballot",
                    ballot_id,
                    changes={"status": ["counted", "closed"]},
                    **audit,
                )
            outcome = self._outcome(
                plan,
                labels,
                per_candidate,
                rules=rules,
                denominator_rule=denominator_rule,
                summoned=len(voters),
                present=len(present),
                collective_total=collective_total,
                issued=issued,
                returned=returned,
                valid=valid,
                invalid=invalid,
            )
        plan.outcome = outcome
        self.ballots.add(
            ballot_id,
            plan.kind,
            plan.mode,
            plan.title[:300],
            plan.seats,
            plan.status,
            sealed,
            denominator_rule,
            issued,
            returned,
            valid,
            invalid,
            turnout,
            outcome,
            "",
            "",
            confirmed_by,
            entered_by,
            meeting_id,
        )
        return moment

    # ----------------------------------------------------------------- votes

    def _denominator(self, rule, *, summoned, collective_total, valid) -> int:
        return tally.denominator_value(
            rule,
            tally.Counts(
                summoned=summoned, present=0, collective_total=collective_total, valid=valid
            ),
        )

    def _counts(self, plan, eligible_n, rule, rules, collective_total, summoned):
        """Counts per candidate that give the planned result: ({candidate: Counter}, valid
        papers, invalid papers)."""
        rng = self.gen.rng
        invalid_n = (
            1 if plan.mode == BallotMode.PAPER and eligible_n > 4 and rng.random() < 0.2 else 0
        )
        voted_n = eligible_n - invalid_n
        if voted_n > 3 and rng.random() < 0.3:
            voted_n -= 1  # someone present did not vote
        denominator = self._denominator(
            rule, summoned=summoned, collective_total=collective_total, valid=voted_n
        )
        need = denominator // 2 + 1  # strictly more than half
        if need > voted_n and eligible_n >= need:
            voted_n, invalid_n = eligible_n, 0
        passes = plan.passes or [True] * len(plan.candidate_ids)
        per: dict = {}
        if plan.kind == BallotKind.NOMINATION:
            winners = [c for c, p in zip(plan.candidate_ids, passes, strict=True) if p][
                : plan.seats
            ]
            names_left = plan.seats * voted_n  # a paper names at most one person per post
            for candidate in winners:
                n = rng.randint(min(need, voted_n), voted_n)
                per[candidate] = Counter({Choice.NOMINATE: n})
                names_left -= n
            if plan.seats == 1:
                names_left = voted_n - sum(c[Choice.NOMINATE] for c in per.values())
            for candidate in plan.candidate_ids:
                if candidate in per:
                    continue
                n = rng.randint(0, max(0, min(need - 1, names_left)))
                if n:
                    per[candidate] = Counter({Choice.NOMINATE: n})
                    names_left -= n
            if plan.seats == 1 and names_left > 0:
                per[None] = Counter({Choice.ABSTAIN: names_left})  # blank papers
        else:
            for candidate, passing in zip(plan.candidate_ids, passes, strict=True):
                if passing:
                    approve = rng.randint(min(need, voted_n), voted_n)
                else:
                    approve = rng.randint(0, min(voted_n, max(0, (denominator - 1) // 2)))
                rest = voted_n - approve
                against = rng.randint(0, rest)
                counts = Counter({Choice.APPROVE: approve})
                if against:
                    counts[Choice.DISAPPROVE] = against
                if rest - against:
                    counts[Choice.ABSTAIN] = rest - against
                per[candidate] = +counts
        return per, voted_n, invalid_n

    def _write_marks(self, plan, per_candidate, voters, moment, audit) -> None:
        rng, gen = self.gen.rng, self.gen
        marks = [
            (choice, candidate)
            for candidate, counter in per_candidate.items()
            for choice, n in counter.items()
            for _ in range(n)
        ]
        rng.shuffle(marks)
        for choice, candidate in marks:
            self.marks.add(self._uuid(), choice, plan.id, candidate)
        order = list(voters)
        rng.shuffle(order)
        for user_id in order:
            self.participations.add(self._uuid(), plan.id, user_id)
        # "X cast a ballot in B" — never the choice; the casts come in over a few minutes.
        for user_id in voters:
            gen.trail.add(
                gen.clock.seconds(rng, moment, 10, 240),
                user_id,
                "ballot.cast",
                "core.ballot",
                plan.id,
                **audit,
            )

    def _electronic_papers(
        self, plan, voted, eligible, rule, rules, collective_total, summoned, chair, moment, audit
    ) -> None:
        """Papers of an open ballot: one valid paper per voter so far."""
        rng = self.gen.rng
        per: dict = {}
        for _ in voted:
            if plan.kind == BallotKind.NOMINATION:
                picks = rng.sample(plan.candidate_ids, min(plan.seats, len(plan.candidate_ids)))
                for candidate in picks:
                    per.setdefault(candidate, Counter())[Choice.NOMINATE] += 1
            else:
                for candidate in plan.candidate_ids:
                    choice = rng.choices(
                        [Choice.APPROVE, Choice.DISAPPROVE, Choice.ABSTAIN], [8, 1, 1]
                    )[0]
                    per.setdefault(candidate, Counter())[choice] += 1
        self._write_marks(plan, per, voted, moment, audit)

    # ----------------------------------------------------------------- outcome

    def _outcome(
        self,
        plan,
        labels,
        per_candidate,
        *,
        rules,
        denominator_rule,
        summoned,
        present,
        collective_total,
        issued,
        returned,
        valid,
        invalid,
    ) -> dict:
        """``workflows.core.services._outcome``, from the counts (no database)."""
        denominator = self._denominator(
            denominator_rule, summoned=summoned, collective_total=collective_total, valid=valid or 0
        )
        rows = [
            {
                "candidate": candidate,
                "name": label,
                "written_in": False,
                "counts": {
                    str(choice): n for choice, n in per_candidate.get(candidate, Counter()).items()
                },
            }
            for candidate, label in zip(plan.candidate_ids, labels, strict=True)
        ]
        outcome = {
            "denominator": {"rule": denominator_rule, "value": denominator},
            "counts": {
                "summoned": summoned,
                "present": present,
                "excluded": 0,
                "collective_total": collective_total,
                "issued": issued,
                "returned": returned,
                "valid": valid,
                "invalid": invalid,
                "abstained": sum(c.get(Choice.ABSTAIN, 0) for c in per_candidate.values()),
            },
            "candidates": rows,
        }
        if plan.kind == BallotKind.NOMINATION:
            votes = {
                c: per_candidate.get(c, Counter()).get(Choice.NOMINATE, 0)
                for c in plan.candidate_ids
            }
            outcome["result"] = tally.nomination(
                votes, denominator=denominator, seats=plan.seats, carry_forward=rules.carry_forward
            )
            outcome["rule"] = "more_than_half_else_carry_forward"
        else:
            outcome["result"] = {
                str(c): tally.collective_decision(
                    per_candidate.get(c, Counter()).get(Choice.APPROVE, 0), denominator=denominator
                )
                for c in plan.candidate_ids
            }
            outcome["rule"] = "more_than_half_tie_to_head"
        outcome["needs_head_decision"] = plan.kind == BallotKind.APPROVAL and any(
            v == "tied" for v in outcome["result"].values()
        )
        return outcome


def _flatten(per_candidate: dict) -> dict:
    return {
        (candidate, choice): n
        for candidate, counter in per_candidate.items()
        for choice, n in counter.items()
        if n
    }


def meeting_kind_for(body) -> str:
    from workflows.core.models import MeetingKind

    if body is None:
        return MeetingKind.KEY_OFFICIALS
    if body.kind == CommitteeKind.STANDING:
        return MeetingKind.STANDING_COMMITTEE
    if body.kind == CommitteeKind.EXECUTIVE:
        return MeetingKind.EXECUTIVE_COMMITTEE
    return MeetingKind.LEADERSHIP_COLLECTIVE


__all__ = ["CLOSED", "IN_SESSION", "SCHEDULED", "BallotPlan", "Denominator", "Engine", "Rules"]
