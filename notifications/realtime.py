"""Pushing events to browsers through the channel layer.

Group messages carry ids and event types, never content: each consumer re-reads what it sends
through the recipient's own scope (reliability guide §6, "push data, not authority").

New notifications go to each recipient's group (``notifications.user.<id>``), one message each,
when there are fewer than ``BROADCAST_AT`` of them; a larger batch (a ballot opening for a
large meeting) is published as ONE message to ``BROADCAST_GROUP``, which every inbox socket
joins, carrying the (user id, notification id) pairs packed as two sorted arrays of 64-bit
integers (``notification.burst``). Each socket looks up its own user id and ignores the rest;
ids only, never content (docs/decisions/0006-realtime.md). Packed bytes, not a list or a map:
every socket of a process deserializes the message for itself, and a 2,000-pair msgpack map
costs ~6 ms to unpack where bytes cost microseconds.
"""

from __future__ import annotations

import logging
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

#: the group every inbox socket joins for notifications sent to many people at once
BROADCAST_GROUP = "notifications.broadcast"
#: from this many recipients, one broadcast message instead of one message per recipient: a
#: message per recipient costs the producer ~0.4–1.5 ms; a broadcast wakes every inbox socket
#: of every process for a lookup (~10–20 µs each)
BROADCAST_AT = 20
#: pairs per broadcast message (16 bytes each): keeps a message well under 100 kB
BROADCAST_CHUNK = 5000
_INT = "q"  # signed 64-bit


def user_group(user_id: int) -> str:
    return f"notifications.user.{user_id}"


def _pack(numbers: list[int]) -> bytes:
    packed = array(_INT, numbers)
    if sys.byteorder != "little":  # pragma: no cover - every supported platform is little-endian
        packed.byteswap()
    return packed.tobytes()


def _unpack(data) -> memoryview | array | None:
    if not isinstance(data, bytes) or len(data) % 8:
        return None
    if sys.byteorder == "little":
        return memoryview(data).cast(_INT)  # no copy: each socket only bisects it
    unpacked = array(_INT)  # pragma: no cover
    unpacked.frombytes(data)  # pragma: no cover
    unpacked.byteswap()  # pragma: no cover
    return unpacked  # pragma: no cover


def new_notification_messages(pairs: Iterable[tuple[int, int]]) -> list[tuple[str, dict]]:
    """The (group, event) messages announcing new notifications, from (recipient id,
    notification id) pairs: one per recipient for a few, packed broadcasts for many."""
    pairs = sorted(set(pairs))
    if len(pairs) < BROADCAST_AT:
        return [(user_group(uid), {"type": "notification.new", "id": nid}) for uid, nid in pairs]
    messages = []
    for start in range(0, len(pairs), BROADCAST_CHUNK):
        chunk = pairs[start : start + BROADCAST_CHUNK]
        event = {
            "type": "notification.burst",
            "users": _pack([uid for uid, _ in chunk]),
            "ids": _pack([nid for _, nid in chunk]),
        }
        messages.append((BROADCAST_GROUP, event))
    return messages


def burst_ids_for(event: dict, user_id: int) -> list[int]:
    """The notification ids a ``notification.burst`` event holds for ``user_id`` (none for
    anything malformed)."""
    users, ids = _unpack(event.get("users")), _unpack(event.get("ids"))
    if users is None or ids is None or len(users) != len(ids):
        return []
    found = []
    i = bisect_left(users, user_id)
    while i < len(users) and users[i] == user_id:
        found.append(ids[i])
        i += 1
    return found


def turnout_group(ballot_id: int) -> str:
    return f"ballot.{ballot_id}.turnout"


def push(messages: Iterable[tuple[str, dict]]) -> None:
    """Send (group, event) pairs. A layer that is down costs only the live update: the rows are
    in the database and clients fetch what they missed when they reconnect."""
    messages = list(messages)
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def _send_all():
        for group, event in messages:
            await layer.group_send(group, event)

    try:
        async_to_sync(_send_all)()
    except Exception:
        logger.exception("channel layer push failed (%d messages)", len(messages))


def push_turnout(ballot_id: int) -> None:
    """Tell a ballot's console watchers that turnout or status changed (no counts, no names)."""
    push([(turnout_group(ballot_id), {"type": "turnout.changed"})])
