"""Pushing events to browsers through the channel layer.

Group messages carry ids and event types, never content: each consumer re-reads what it sends
through the recipient's own scope (reliability guide §6, "push data, not authority").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"notifications.user.{user_id}"


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
