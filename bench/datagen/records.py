"""The personnel records the procedures read and change: the plan (``PlanningEntry``) and who
holds which post (``PositionHolding``).

The plan starts as the approved plans for the 2020–2025 and 2025–2030 terms as they stood when
the history begins; reviews add to it, appointments fulfil entries and removals take them out.
Posts start with their holders of the time; every appointment decision then starts a holding
(and ends the predecessor's the day before, and the appointee's other posts, as
``decision_issue`` does by default). Holdings are written once every decision is known, seat by
seat, so the seat-count trigger and the no-overlap constraint hold.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from personnel.models import PlanningStatus

from .world import TERM_YEARS, Position, World

#: planning terms by their first year, and when each applies
TERMS = {2020: 2025, 2025: 2030, 2030: 2035}


def term_for(day: dt.date) -> int:
    """The term whose plan an appointment on ``day`` reads (terms begin in October)."""
    return 2025 if day >= dt.date(2025, 10, 1) else 2020


class PlanBook:
    def __init__(self, gen):
        self.gen = gen
        self.table = gen.loader.table(
            "personnel_planningentry",
            [
                "id",
                "term_start_year",
                "term_end_year",
                "status",
                "removal_reason",
                "cadre_id",
                "position_id",
            ],
        )
        self.entries: dict[int, list] = {}  # id -> [cadre, position, term, status, reason]
        self.by_key: dict[tuple[int, int, int], int] = {}
        self.by_position: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.per_cadre: dict[tuple[int, int], int] = defaultdict(int)

    def approved(self, position: Position, term: int) -> list[int]:
        return [
            e
            for e in self.by_position[(position.id, term)]
            if self.entries[e][3] == PlanningStatus.APPROVED
        ]

    def room(self, position: Position, term: int, caps: dict) -> int:
        """Places left for the post under the caps (``planning_caps``)."""
        return caps["per_position"] - len(self.approved(position, term))

    def cadre_room(self, cadre: int, term: int, caps: dict) -> bool:
        return self.per_cadre[(cadre, term)] < caps["per_cadre"]

    def enter(self, cadre: int, position: Position, term: int) -> int:
        """The cadre's entry for the post and term, approved (``_enter``: new or put back)."""
        key = (cadre, position.id, term)
        if key in self.by_key:
            entry = self.by_key[key]
            self.entries[entry][3] = PlanningStatus.APPROVED
            return entry
        entry = self.table.new_id()
        self.entries[entry] = [cadre, position, term, PlanningStatus.APPROVED, ""]
        self.by_key[key] = entry
        self.by_position[(position.id, term)].append(entry)
        self.per_cadre[(cadre, term)] += 1
        return entry

    def has(self, cadre: int, position: Position, term: int) -> bool:
        return (cadre, position.id, term) in self.by_key

    def set_status(self, entry: int, status: str, reason: str = "") -> None:
        self.entries[entry][3] = status
        self.entries[entry][4] = reason

    def seed(self, world: World, rng: random.Random) -> None:
        """The approved plans of the two terms as the history begins: 1–2 cadres per post."""
        caps = self.gen.rules_now.caps
        for position in world.positions:
            if position.managing is None:
                continue
            pool = _pool(world, position)
            for term in (2020, 2025):
                for cadre in rng.sample(pool, min(len(pool), rng.choice((1, 2, 2)))):
                    if self.cadre_room(cadre, term, caps) and not self.has(cadre, position, term):
                        self.enter(cadre, position, term)

    def write(self) -> None:
        for entry, (cadre, position, term, status, reason) in self.entries.items():
            self.table.add(entry, term, TERMS[term], status, reason, cadre, position.id)


def _pool(world: World, position: Position) -> list[int]:
    """Cadres who could be planned for a post: people of its unit and of the units below."""
    people = list(position.unit.cadres)
    if len(people) < 6:
        for unit in position.unit.subtree():
            people.extend(unit.cadres)
    return list(dict.fromkeys(people))


candidate_pool = _pool


class Seats:
    """Who holds each seat of each post, over time."""

    def __init__(self, gen):
        self.gen = gen
        self.decisions: list[tuple[dt.date, int, Position, str]] = []
        # position id -> seats -> list of [cadre, start, end, decision_ref]
        self.timeline: dict[int, list[list[list]]] = {}
        self.skipped = 0

    def seed(self, world: World, rng: random.Random) -> None:
        """Every seat has a holder when the history begins (started 2016–2022)."""
        for position in world.positions:
            pool = _pool(world, position)
            holders = rng.sample(pool, min(len(pool), position.seats))
            seats = []
            for seat in range(position.seats):
                if seat >= len(holders) or (seat and rng.random() < 0.15):
                    seats.append([])  # a vacant deputy seat
                    continue
                started = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))
                seats.append([[holders[seat], started, None, f"{rng.randint(10, 900)}-QĐ/TU"]])
            self.timeline[position.id] = seats

    def decide(self, effective: dt.date, cadre: int, position: Position, ref: str) -> None:
        self.decisions.append((effective, cadre, position, ref))

    def settle(self) -> None:
        """Apply the decisions in date order: each takes the seat held longest (or a vacant
        one) and ends the appointee's other posts the day before."""
        current: dict[int, list] = {}  # cadre -> their running holdings
        for seats in self.timeline.values():
            for seat in seats:
                if seat:
                    current.setdefault(seat[-1][0], []).append(seat[-1])
        for effective, cadre, position, ref in sorted(self.decisions, key=lambda d: d[0]):
            seats = self.timeline[position.id]

            def age(seat):
                if not seat or seat[-1][2] is not None:
                    return dt.date.min  # vacant
                return seat[-1][1]

            previous_end = effective - dt.timedelta(days=1)
            tops = [s[-1] for s in seats if s and s[-1][2] is None]
            mine = [h for h in current.get(cadre, []) if any(h is t for t in tops)]
            choices = [
                s for s in seats if not s or s[-1][2] is not None or s[-1][1] <= previous_end
            ]
            if not choices or any(h[1] > previous_end for h in mine):
                self.skipped += 1  # a same-day clash: the decision leaves no holding
                continue
            seat = min(choices, key=age)
            if seat and seat[-1][2] is None:
                self._end(seat[-1], previous_end, current)
            for running in list(current.get(cadre, [])):
                if running[1] <= previous_end:  # the appointee's other posts end the day before
                    self._end(running, previous_end, current)
            holding = [cadre, effective, None, ref]
            seat.append(holding)
            current.setdefault(cadre, []).append(holding)

    @staticmethod
    def _end(holding, day, current) -> None:
        holding[2] = day
        running = current[holding[0]]
        running[:] = [h for h in running if h is not holding]

    def index(self, world: World) -> None:
        by_cadre: dict[int, list[tuple[dt.date, dt.date | None, Position]]] = defaultdict(list)
        positions = {p.id: p for p in world.positions}
        for pid, seats in self.timeline.items():
            for seat in seats:
                for cadre, start, end, _ref in seat:
                    by_cadre[cadre].append((start, end, positions[pid]))
        self.by_cadre = by_cadre

    def post_on(self, cadre: int, unit_id: int, day: dt.date) -> Position | None:
        """``_post_of``: the highest post held on ``day``, one in ``unit_id`` first."""
        held = [
            p
            for start, end, p in self.by_cadre.get(cadre, ())
            if start <= day and (end is None or end >= day)
        ]
        if not held:
            return None
        return max(held, key=lambda p: (p.unit.id == unit_id, p.level))

    def write(self) -> None:
        table = self.gen.loader.table(
            "personnel_positionholding",
            [
                "id",
                "started_on",
                "term_ends_on",
                "ended_on",
                "decision_ref",
                "cadre_id",
                "position_id",
            ],
        )
        for pid, seats in self.timeline.items():
            for seat in seats:
                for cadre, start, end, ref in seat:
                    try:
                        term_end = start.replace(year=start.year + TERM_YEARS)
                    except ValueError:  # 29 February
                        term_end = start.replace(year=start.year + TERM_YEARS, day=28)
                    table.add(table.new_id(), start, term_end, end, ref, cadre, pid)
        table.flush()
