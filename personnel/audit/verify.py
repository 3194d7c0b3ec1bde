"""Walk the audit chain and name the first event that breaks it.

Detects an edited event (its hash no longer matches its content), a deleted one (a gap in the
sequence, or the next event's ``prev_hash`` no longer matching), an inserted or reordered one
(``prev_hash`` or sequence out of line), and checkpoints that no longer match the chain.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
from django.db import connection

from .canonical import FIELDS, GENESIS, event_hash

_COLUMNS = [*FIELDS, "hash"]
# Times and JSON come back as text already in canonical form (UTC, microseconds), which is
# much cheaper than building datetime objects only to format them again.
_AS_TEXT = {
    "occurred_at": "to_char(occurred_at AT TIME ZONE 'UTC', "
    '\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\')',
    "changes": "changes::text",
}
# Column names come from the fixed FIELDS tuple, never from input.
_SELECT = "SELECT {} FROM audit_event WHERE seq > %s ORDER BY seq LIMIT %s".format(  # noqa: S608
    ", ".join(_AS_TEXT.get(name, name) for name in _COLUMNS)
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


@dataclass
class Segment:
    """What one worker found in the events with ``after < seq <= upto``."""

    first_seq: int | None = None
    first_prev_hash: str = ""
    last_seq: int = 0
    last_hash: str = ""
    checked: int = 0
    problem: Problem | None = None


_SELECT_RANGE = _SELECT.replace("ORDER BY", "AND seq <= %s ORDER BY")

# Below this many events one process verifies everything; above it, segments run in parallel.
PARALLEL_THRESHOLD = 200_000
SEGMENT_SIZE = 100_000


def _verify_segment(after: int, upto: int, batch_size: int = 20_000) -> Segment:
    """Hash-check every event in the range and the links inside it. Its first link (to the
    event before ``after + 1``) is left to the caller, who knows the previous segment."""
    segment = Segment()
    expected_seq, prev_hash = after + 1, None
    last = after
    connection.ensure_connection()
    # The psycopg cursor itself: Django's wrapper adds per-call work that shows at this volume.
    with connection.connection.cursor() as cursor:
        while last < upto:
            cursor.execute(_SELECT_RANGE, [last, upto, batch_size])
            rows = cursor.fetchall()
            if not rows:
                break
            for row in rows:
                values = dict(zip(_COLUMNS, row, strict=True))
                values["changes"] = orjson.loads(values["changes"])
                if segment.first_seq is None:
                    segment.first_seq, segment.first_prev_hash = values["seq"], values["prev_hash"]
                    prev_hash = values["prev_hash"]  # checked against the previous segment
                segment.checked += 1
                problem = _check(values, expected_seq, prev_hash)
                if problem is not None:
                    segment.problem = problem
                    return segment
                expected_seq, prev_hash = values["seq"] + 1, values["hash"]
                segment.last_seq, segment.last_hash = values["seq"], values["hash"]
            last = rows[-1][0]
    if segment.first_seq is None and after < upto:
        # An empty range inside the chain: every event in it is gone.
        segment.problem = Problem(after + 1, "missing", f"events #{after + 1}–#{upto} deleted")
    return segment


def _segment_worker(bounds: tuple[int, int]) -> Segment:
    try:
        return _verify_segment(*bounds)
    finally:
        connection.close()


def verify_chain(
    *,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    segment_size: int = SEGMENT_SIZE,
) -> Result:
    """Verify the whole chain and every checkpoint; report the first broken link.

    Long chains are cut into segments verified by parallel processes (one per CPU by default);
    each segment's first link is then checked against the end of the segment before it.
    """
    result = Result()
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(seq), count(*) FROM audit_event")
        head, count = cursor.fetchone()
    if not head:
        with connection.cursor() as cursor:
            _check_checkpoints(cursor, result)
        return result
    workers = workers or (os.cpu_count() or 1)
    parallel = workers > 1 and (count >= PARALLEL_THRESHOLD or segment_size < SEGMENT_SIZE)
    bounds = [(start, min(start + segment_size, head)) for start in range(0, head, segment_size)]
    segments = _run_parallel(bounds, workers) if parallel else (_verify_segment(*b) for b in bounds)

    prev_seq, prev_hash = 0, GENESIS
    with contextlib.closing(segments):  # the workers are gone before the result is returned
        for segment in segments:
            link = _check_link(segment, prev_seq, prev_hash)
            if link is not None:
                result.problems.append(link)
                break
            result.checked += segment.checked
            if segment.problem is not None:
                result.problems.append(segment.problem)
                break
            prev_seq, prev_hash = segment.last_seq, segment.last_hash
        result.head_seq, result.head_hash = prev_seq, prev_hash
        if progress is not None:
            progress(segment.checked)
    if result.ok:
        with connection.cursor() as cursor:
            _check_checkpoints(cursor, result)
    return result


def _check_link(segment: Segment, prev_seq: int, prev_hash: str) -> Problem | None:
    """The first event of a segment must follow the last event of the one before it."""
    if segment.first_seq is None:
        return None  # an empty segment reports its own missing range
    if segment.first_seq != prev_seq + 1:
        gap = f"#{prev_seq + 1}–#{segment.first_seq - 1}"
        return Problem(prev_seq + 1, "missing", f"events {gap} deleted")
    if segment.first_prev_hash != prev_hash:
        return Problem(
            segment.first_seq,
            "out_of_order",
            "does not follow the event before it (inserted, reordered or the previous one deleted)",
        )
    return None


_INHERITED: list = []


def _init_worker() -> None:
    """In a forked worker: forget (never close, never use) the parent's connections and pool.

    Their sockets are shared with the parent; closing or using them from here would corrupt
    the parent's session. They are kept referenced so garbage collection does not close them
    (forked workers end with os._exit). The worker then opens connections of its own.
    """
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    _INHERITED.append(dict(DatabaseWrapper._connection_pools))
    DatabaseWrapper._connection_pools.clear()
    for conn in connections.all(initialized_only=True):
        _INHERITED.append(conn.connection)
        conn.connection = None
        conn.in_atomic_block = False
        conn.savepoint_ids = []
        conn.needs_rollback = False


def _run_parallel(bounds, workers: int):
    """The segments' results in order, verified by forked workers (cheap: Django is already
    set up; each worker opens its own connection).

    When the caller stops early (a broken link found), the pool is closed and joined, never
    terminated: ``Pool.terminate`` with segments still queued can hang for good (its task
    handler blocks on the queue of the workers it has just killed), which froze a test run.
    The remaining segments are verified and discarded — at worst the time of a full
    verification, on the failure path only."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers, initializer=_init_worker)
    try:
        yield from pool.imap(_segment_worker, bounds)
    finally:
        pool.close()
        pool.join()


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
