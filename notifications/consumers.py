"""Websocket consumer of a user's notifications, and the base other live views build on.

Authenticated in ``connect`` before joining any group; the session and the user's right to
what is sent are checked again for every message, so a logout or a lost chair role stops
pushes at once. Group events carry ids only; the data sent is re-read here through the user's
own scope.

The per-event re-read is coalesced per process (``_FreshReads``): the events that arrive while
a read is running (a burst to a whole meeting) are read together, in one worker thread, with
two queries for the whole batch (the session rows; the notifications with their recipients and
unread counts) — one query when a single event is read alone. The session is still checked for
every event: any doubt (a session row gone, idle, another user, a changed password, a
deactivated account) falls back to the full per-socket check, which closes the socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from importlib import import_module
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Subquery
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare

from config.middleware import session_is_idle

from . import realtime, selectors, services
from .models import Notification

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_MESSAGE = 4400
#: notifications per ``sync`` answer; ``"more": true`` asks the client to sync again
SYNC_PAGE = 50


class LiveConsumer(AsyncWebsocketConsumer):
    """Re-checks the session on demand; leaves its group on disconnect."""

    group: str | None = None
    #: groups joined besides ``group`` (left on disconnect and on drop as well)
    shared_groups: tuple[str, ...] = ()

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

    async def _leave_groups(self) -> None:
        for group in (self.group, *self.shared_groups):
            if group:
                await self.channel_layer.group_discard(group, self.channel_name)
        self.group, self.shared_groups = None, ()

    async def disconnect(self, code):
        await self._leave_groups()

    async def send_json(self, content) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

    async def _drop(self) -> None:
        await self._leave_groups()
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


def _payload(notification, language: str, rendered: dict | None = None) -> dict:
    """What the browser gets. ``rendered``: a memo of texts already rendered in this batch (a
    burst is one kind with the same parameters for everyone: rendered once per language)."""
    if rendered is None:
        title, body = notification.rendered(language)
    else:
        key = (notification.kind, json.dumps(notification.params, sort_keys=True), language)
        if key not in rendered:
            rendered[key] = notification.rendered(language)
        title, body = rendered[key]
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": title,
        "body": body,
        "link": notification.link,
        "created": notification.created.isoformat(),
        "unread": notification.read_at is None,
    }


_DB_SESSIONS = "django.contrib.sessions.backends.db"


def _session_vouches_for(data: dict, user) -> bool:
    """Whether decoded session ``data`` is, right now, a valid sign-in of ``user`` (a user row
    read just now): what ``auth.get_user`` checks, without its queries. False means "not
    certain", never "revoked": the caller then runs the full check (``_session_user``)."""
    if session_is_idle(data):
        return False
    try:
        user_id = get_user_model()._meta.pk.to_python(data[auth.SESSION_KEY])
        backend_path = data[auth.BACKEND_SESSION_KEY]
    except (KeyError, ValidationError, TypeError):
        return False
    if user_id != user.pk or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return False
    can_authenticate = getattr(auth.load_backend(backend_path), "user_can_authenticate", None)
    if can_authenticate is None or not user.is_active or not can_authenticate(user):
        return False
    session_hash = data.get(auth.HASH_SESSION_KEY)
    return bool(session_hash) and constant_time_compare(session_hash, user.get_session_auth_hash())


def _read_fresh(items: list[tuple[NotificationConsumer, int]]) -> list:
    """``NotificationConsumer._fresh`` for many events at once (sync, in a worker thread): one
    query for a single event, two for any number. Same results as ``_fresh`` for each."""
    if settings.SESSION_ENGINE != _DB_SESSIONS:  # sessions elsewhere: read them one by one
        return [consumer._fresh(nid) for consumer, nid in items]
    from django.contrib.sessions.models import Session

    store = import_module(_DB_SESSIONS).SessionStore()
    now = timezone.now()
    live = Session.objects.filter(expire_date__gt=now)
    notes = Notification.objects.select_related("recipient").annotate(
        unread_total=selectors.recipient_unread_subquery()
    )
    keys = {consumer: consumer._session_key() for consumer, _ in items}
    if len(items) == 1:  # alone: the session row as a column of the one query
        [(consumer, nid)] = items
        notes = notes.filter(pk=nid, recipient_id=consumer.user_id).annotate(
            session_data=Subquery(
                live.filter(session_key=keys[consumer] or "").values("session_data")[:1]
            )
        )
        found = {n.pk: n for n in notes}
        sessions = {keys[consumer]: found[nid].session_data} if nid in found else {}
    else:
        sessions = dict(
            live.filter(session_key__in={k for k in keys.values() if k}).values_list(
                "session_key", "session_data"
            )
        )
        found = {n.pk: n for n in notes.filter(pk__in={nid for _, nid in items})}
    results, rendered = [], {}
    for consumer, nid in items:
        note = found.get(nid)
        data = sessions.get(keys[consumer])
        if (
            note is None
            or note.recipient_id != consumer.user_id
            or data is None
            or not _session_vouches_for(store.decode(data), note.recipient)
        ):
            # Not theirs, or the session in doubt: the full per-socket check decides (and
            # answers None — close the socket — for a revoked session).
            results.append(consumer._fresh(nid))
            continue
        payload = _payload(note, consumer._language(note.recipient), rendered)
        results.append((payload, note.unread_total or 0))
    return results


class _FreshReads:
    """One per event loop: queues the inbox sockets' per-event reads and runs them in batches
    (at most ``LIMIT`` each, one worker thread at a time). The first event is read at once; the
    events arriving while it is read make the next batch."""

    LIMIT = 500

    def __init__(self):
        self.pending: list[tuple[NotificationConsumer, int, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    def read(self, consumer: NotificationConsumer, notification_id: int) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((consumer, notification_id, future))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())
        return future

    async def _run(self):
        try:
            # Let the rest of a burst's events (dispatched to their sockets in the same few
            # turns of the loop) join the first batch.
            seen = -1
            for _ in range(20):
                if len(self.pending) == seen:
                    break
                seen = len(self.pending)
                await asyncio.sleep(0)
            while self.pending:
                batch, self.pending = self.pending[: self.LIMIT], self.pending[self.LIMIT :]
                batch = [item for item in batch if not item[2].done()]  # closed meanwhile
                if not batch:
                    continue
                try:
                    results = await database_sync_to_async(_read_fresh, thread_sensitive=False)(
                        [(consumer, nid) for consumer, nid, _ in batch]
                    )
                except Exception as exc:  # each waiting socket gets the error, as if alone
                    for _, _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, _, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self.task = None


_reads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _FreshReads] = (
    weakref.WeakKeyDictionary()
)


def _fresh_reads() -> _FreshReads:
    loop = asyncio.get_running_loop()
    reads = _reads.get(loop)
    if reads is None:
        reads = _reads[loop] = _FreshReads()
    return reads


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
        self.user_id = user.pk
        self.group = realtime.user_group(user.pk)
        self.shared_groups = (realtime.BROADCAST_GROUP,)
        for group in (self.group, *self.shared_groups):
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "unread": await self._unread(user)})

    @database_sync_to_async
    def _unread(self, user) -> int:
        return selectors.unread_count(user=user)

    def _session_key(self) -> str | None:
        session = self.scope.get("session")
        return session.session_key if session is not None else None

    def _fresh(self, notification_id: int):
        """The full check for one pushed event (sync): re-check the session, then read the
        notification through the user's own scope. Returns None (drop the socket), False (not
        theirs), or (payload, unread). ``_read_fresh`` does the same for many events at once
        and falls back to this wherever it is not certain."""
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

    async def dispatch(self, message):
        """channels runs ``close_old_connections`` in the ONE shared sync thread before every
        handler: for a burst, 2,000 sockets queued behind each other (~1.4 ms each on a loaded
        2-core machine: 2.8 s before the last one even looked at the message). The push
        handlers touch the database only through ``database_sync_to_async``, which closes old
        connections itself, so they skip that hop."""
        if message.get("type") in ("notification.new", "notification.burst"):
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)

    async def notification_new(self, event):
        await self._forward(event["id"])

    async def notification_burst(self, event):
        """One message for many recipients: only this user's pairs are read, the rest ignored."""
        for notification_id in realtime.burst_ids_for(event, self.user_id):
            if not await self._forward(notification_id):
                return

    async def _forward(self, notification_id) -> bool:
        """Send the notification if it is this user's; False once the socket is dropped."""
        if isinstance(notification_id, bool) or not isinstance(notification_id, int):
            return True
        result = await _fresh_reads().read(self, notification_id)
        if result is None:
            await self._drop()
            return False
        if result is False:  # not this user's: never forward it
            return True
        payload, unread = result
        await self.send_json({"type": "notification", "item": payload, "unread": unread})
        return True

    async def notification_read(self, event):
        user = await self._current_user()
        if user is None:
            await self._drop()
            return
        await self.send_json({"type": "unread", "unread": await self._unread(user)})
