"""The audit trail of the generated data, written as one valid hash chain.

Every state change the generator makes after the trail's start is recorded as the service
making it would record it (who, what, target, process, cadre, unit — never a ballot choice);
the procedures' older history predates the trail, as data migrated into a new system would.
The trail starts as late as it must for those events to fit the size's event count; the rest of
the count is made of reads of cadre dossiers (``cadre.view``), the most frequent audited event,
spread over the same period. Hashes are computed with the project's own canonical form
(``personnel.audit.canonical.event_hash``), in sequence order, and the rows go in by COPY with
the ``extends_chain`` trigger on: it checks every row against the chain head.
"""

from __future__ import annotations

import datetime as dt
import random

from personnel.audit.canonical import FIELDS, GENESIS, event_hash, format_time

from .loader import Loader

_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
)

#: share of the event count kept for the procedures' own events (the rest are dossier reads)
PROCEDURE_SHARE = 0.8


class Trail:
    """Collects events (only those after ``start``) while the procedures are generated."""

    def __init__(self, start: dt.datetime):
        self.start = start
        self.events: list[tuple] = []

    def add(
        self,
        when: dt.datetime,
        actor: int | None,
        action: str,
        target_type: str,
        target_id,
        *,
        procedure: str = "",
        process: int | None = None,
        cadre: int | None = None,
        unit: int | None = None,
        changes: dict | None = None,
        reason: str = "",
        committee: int | None = None,
        role: str = "",
    ) -> None:
        if when < self.start:
            return
        self.events.append(
            (
                when,
                actor,
                action,
                target_type,
                "" if target_id is None else str(target_id),
                procedure,
                process,
                cadre,
                unit,
                changes or {},
                reason,
                committee,
                role,
            )
        )


class Writer:
    """Sorts the events in time, adds the dossier reads and writes the chain."""

    def __init__(self, *, loader: Loader, rng: random.Random, usernames: dict[int, tuple]):
        self.loader = loader
        self.rng = rng
        self.usernames = usernames

    def write(self, trail: Trail, *, total: int, end: dt.datetime, readers) -> dict:
        """Write exactly ``total`` events. ``readers()`` yields (user id, cadre id, unit id)
        for a dossier read by someone whose scope covers the cadre."""
        rng = self.rng
        events = trail.events
        budget = int(total * PROCEDURE_SHARE)
        events.sort(key=lambda e: e[0])
        if len(events) > budget:
            events = events[len(events) - budget :]
        start = events[0][0] if events else trail.start
        span = (end - start).total_seconds()
        reads = total - len(events)
        for _ in range(reads):
            user, cadre, unit = readers()
            when = start + dt.timedelta(seconds=span * rng.random())
            events.append(
                (
                    when,
                    user,
                    "cadre.view",
                    "personnel.cadre",
                    str(cadre),
                    "",
                    None,
                    cadre,
                    unit,
                    {},
                    "",
                    None,
                    "",
                )
            )
        events.sort(key=lambda e: e[0])
        self._chain(events)
        return {
            "events": len(events),
            "procedure_events": len(events) - reads,
            "dossier_reads": reads,
            "from": format_time(start),
        }

    def _chain(self, events: list[tuple]) -> None:
        loader, rng = self.loader, self.rng
        loader.sync()
        loader.cursor.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
        head = loader.cursor.fetchone()
        seq, prev = (head[0], head[1]) if head else (0, GENESIS)
        table = loader.table("audit_event", [*FIELDS, "hash"], ids=False)
        names = self.usernames
        for (
            when,
            actor,
            action,
            target_type,
            target_id,
            procedure,
            process,
            cadre,
            unit,
            changes,
            reason,
            committee,
            role,
        ) in events:
            seq += 1
            if actor is None:
                ip = agent = request = ""
                username = ""
            else:
                username = names[actor][0]
                ip = f"10.{20 + actor % 8}.{actor // 250 % 250}.{actor % 250 + 1}"
                agent = _AGENTS[actor % len(_AGENTS)]
                request = f"{rng.getrandbits(128):032x}"
            values = {
                "seq": seq,
                "occurred_at": when,
                "actor_id": actor,
                "actor_username": username,
                "actor_committee_id": committee,
                "actor_role": role,
                "action": action,
                "target_type": target_type,
                "target_id": target_id,
                "procedure": procedure,
                "process_id": process,
                "cadre_id": cadre,
                "unit_id": unit,
                "changes": changes,
                "reason": reason,
                "ip": ip,
                "user_agent": agent,
                "request_id": request,
                "prev_hash": prev,
            }
            values["occurred_at"] = format_time(when)
            prev = values["hash"] = event_hash(values)
            table.add(*(values[name] for name in table.columns))
        table.flush()
