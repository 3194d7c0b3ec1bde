"""Walk the audit chain and name the first event that breaks it.

Detects an edited event (its hash no longer matches its content), a deleted one (a gap in the
sequence, or the next event's ``prev_hash`` no longer matching), an inserted or reordered one
(``prev_hash`` or sequence out of line), and checkpoints that no longer match the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
from django.db import connection

from .canonical import FIELDS, GENESIS, event_hash

_COLUMNS = [*FIELDS, "hash"]
# Column names come from the fixed FIELDS tuple, never from input.
_SELECT = "SELECT {} FROM audit_event WHERE seq > %s ORDER BY seq LIMIT %s".format(  # noqa: S608
    ", ".join(_COLUMNS)
)


@dataclass
class Problem:
    seq: int
    kind: str  # edited | missing | out_of_order | checkpoint
    detail: str

    def __str__(self) -> str:
        return f"event #{self.seq}: {self.kind} — {self.detail}"


@dataclass
class Result:
    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)
    checkpoints_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(
    *, batch_size: int = 20_000, progress: Callable[[int], None] | None = None
) -> Result:
    """Verify the whole chain; stop at the first broken link (nothing after it can be trusted)."""
    result = Result()
    expected_seq, prev_hash = 1, GENESIS
    last_seq = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(_SELECT, [last_seq, batch_size])
            rows = cursor.fetchall()
            if not rows:
                break
            for row in rows:
                values = dict(zip(_COLUMNS, row, strict=True))
                if isinstance(values["changes"], str):  # raw cursors return jsonb as text
                    values["changes"] = orjson.loads(values["changes"])
                seq = values["seq"]
                problem = _check(values, expected_seq, prev_hash)
                if problem is not None:
                    result.problems.append(problem)
                    result.checked += 1
                    return result
                result.checked += 1
                expected_seq, prev_hash = seq + 1, values["hash"]
                result.head_seq, result.head_hash = seq, values["hash"]
            last_seq = rows[-1][0]
            if progress is not None:
                progress(len(rows))
        _check_checkpoints(cursor, result)
    return result


def _check(values: dict, expected_seq: int, prev_hash: str) -> Problem | None:
    seq = values["seq"]
    if seq > expected_seq:
        missing = f"#{expected_seq}" if seq == expected_seq + 1 else f"#{expected_seq}–#{seq - 1}"
        return Problem(expected_seq, "missing", f"event {missing} deleted (next present is #{seq})")
    if values["prev_hash"] != prev_hash:
        return Problem(
            seq,
            "out_of_order",
            "does not follow the event before it (inserted, reordered or the previous one deleted)",
        )
    if event_hash(values) != values["hash"]:
        return Problem(seq, "edited", "content no longer matches its hash")
    return None


def _check_checkpoints(cursor, result: Result) -> None:
    cursor.execute(
        "SELECT c.seq, c.hash, e.hash FROM audit_checkpoint c "
        "LEFT JOIN audit_event e ON e.seq = c.seq ORDER BY c.seq"
    )
    for seq, recorded, actual in cursor.fetchall():
        result.checkpoints_checked += 1
        if actual is None:
            result.problems.append(Problem(seq, "checkpoint", "checkpointed event is gone"))
        elif actual != recorded:
            result.problems.append(
                Problem(seq, "checkpoint", f"hash differs from checkpoint {recorded[:16]}…")
            )


def count_events() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_event")
        return cursor.fetchone()[0]
