"""Websocket consumer of a user's notifications, and the base other live views build on.

Authenticated in ``connect`` before joining any group; the session and the user's right to
what is sent are checked again for every message, so a logout or a lost chair role stops
pushes at once. Group events carry ids only; the data sent is re-read here through the user's
own scope.
"""

from __future__ import annotations

import json
import logging
from importlib import import_module
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.utils import translation

from config.middleware import session_is_idle

from . import realtime, selectors, services

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_MESSAGE = 4400
#: notifications per ``sync`` answer; ``"more": true`` asks the client to sync again
SYNC_PAGE = 50


class LiveConsumer(AsyncWebsocketConsumer):
    """Re-checks the session on demand; leaves its group on disconnect."""

    group: str | None = None

    def _session_user(self):
        """The session's user now, from a fresh read of the session row (None if logged out,
        the password changed, or the account was deactivated since connecting). Sync."""
        session = self.scope.get("session")
        connected_as = self.scope.get("user")
        if session is None or not session.session_key or connected_as is None:
            return None
        store = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
        if session_is_idle(store):  # the HTTP side would log this session out now
            return None
        user = auth.get_user(SimpleNamespace(session=store))
        if not user.is_authenticated or not user.is_active or user.pk != connected_as.pk:
            return None
        return user

    async def _current_user(self):
        return await database_sync_to_async(self._session_user, thread_sensitive=False)()

    async def _refuse(self, code: int) -> None:
        await self.close(code=code)

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def send_json(self, content) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

    async def _drop(self) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        await self.close(code=CLOSE_UNAUTHENTICATED)


def _client_message(text_data) -> tuple[str, int] | None:
    """``(action, id)`` from a client frame, or None for anything else (the socket is then
    closed with 4400): ``{"action": "sync", "after": id}`` (no ``after``: from the start) or
    ``{"action": "read", "id": id}``; ids are JSON integers (or digit strings)."""
    if not isinstance(text_data, str):
        return None
    try:
        message = json.loads(text_data)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…", nested too deep to parse
        return None
    if not isinstance(message, dict):
        return None
    action = message.get("action")
    if action == "sync":
        number = message.get("after")
        if number is None:
            number = 0
    elif action == "read":
        number = message.get("id")
    else:
        return None
    if isinstance(number, str) and number.isascii() and number.isdigit() and len(number) < 20:
        number = int(number)
    if isinstance(number, bool) or not isinstance(number, int):  # floats, inf and NaN too
        return None
    return action, number


def _payload(notification, language: str) -> dict:
    title, body = notification.rendered(language)
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": title,
        "body": body,
        "link": notification.link,
        "created": notification.created.isoformat(),
        "unread": notification.read_at is None,
    }


class NotificationConsumer(LiveConsumer):
    """``/ws/notifications/``: the signed-in user's own notifications, live.

    Client → server: ``{"action": "sync", "after": <last id seen>}`` (answered with up to
    ``SYNC_PAGE`` missed notifications, oldest first, ``"more": true`` when others follow, and
    the unread count) and ``{"action": "read", "id": n}``. Anything else closes with 4400.
    Server → client: ``{"type": "hello" | "sync" | "notification" | "unread", ...}``.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        if await self._current_user() is None:  # idle-expired session
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        self.group = realtime.user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "unread": await self._unread(user)})

    @database_sync_to_async
    def _unread(self, user) -> int:
        return selectors.unread_count(user=user)

    def _fresh(self, notification_id: int):
        """One thread hop per pushed event: re-check the session, then read the notification
        through the user's own scope. Returns None (drop the socket), False (not theirs), or
        (payload, unread)."""
        user = self._session_user()
        if user is None:
            return None
        n = (
            selectors.notifications_for_user(user=user)
            .filter(pk=notification_id)
            .annotate(unread_total=selectors.unread_subquery(user=user))
            .first()
        )
        if n is None:
            return False
        return _payload(n, self._language(user)), n.unread_total

    @database_sync_to_async
    def _missed(self, user, after: int):
        """A page of what came after ``after``, oldest first, and whether more follow (the
        client then syncs again after the last id it got)."""
        language = self._language(user)
        found = selectors.missed_since(user=user, after_id=after, limit=SYNC_PAGE + 1)
        items = [_payload(n, language) for n in found[:SYNC_PAGE]]
        return items, len(found) > SYNC_PAGE, selectors.unread_count(user=user)

    @database_sync_to_async
    def _mark_read(self, user, notification_id: int) -> int:
        services.notification_mark_read(user=user, notification_id=notification_id)
        return selectors.unread_count(user=user)

    def _language(self, user) -> str:
        return getattr(user, "language", None) or translation.get_language() or "vi"

    async def receive(self, text_data=None, bytes_data=None):
        parsed = _client_message(text_data)
        if parsed is None:
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        action, number = parsed
        user = await self._current_user()
        if user is None:
            await self._drop()
            return
        if action == "sync":
            items, more, unread = await self._missed(user, number)
            await self.send_json({"type": "sync", "items": items, "more": more, "unread": unread})
        else:
            unread = await self._mark_read(user, number)
            await self.send_json({"type": "unread", "unread": unread})

    async def notification_new(self, event):
        result = await database_sync_to_async(self._fresh, thread_sensitive=False)(event["id"])
        if result is None:
            await self._drop()
            return
        if result is False:  # not this user's: never forward it
            return
        payload, unread = result
        await self.send_json({"type": "notification", "item": payload, "unread": unread})

    async def notification_read(self, event):
        user = await self._current_user()
        if user is None:
            await self._drop()
            return
        await self.send_json({"type": "unread", "unread": await self._unread(user)})
