"""The inbox websocket (``/ws/notifications/``) through the production ASGI stack.

``config.asgi.application`` is used as deployed: ``AllowedHostsOriginValidator`` and
``AuthMiddlewareStack`` see a real session cookie made by Django's test client. Real PostgreSQL,
real commits (``transaction=True``: consumer code runs in other threads and connections), and
every test runs on the in-memory channel layer and, with ``REDIS_URL`` set, on Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import sys
import textwrap
import time

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from notifications import kinds, realtime
from notifications.models import Notification
from notifications.services import notify
from tests.factories import UserFactory
from tests.notifications.live import (
    ARRIVES,
    REDIS_URL,
    SILENCE,
    across_processes,
    closed_with,
    database_url_of_test_run,
    logged_in,
    on_every_layer,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

User = get_user_model()
INBOX = "/ws/notifications/"
ITEM_KEYS = {"id", "kind", "title", "body", "link", "created", "unread"}
PARAMS = {"task": "Appointment", "process": "Hồ sơ 42"}


@pytest.fixture
def alice():
    return UserFactory(username="alice", language="en")


@pytest.fixture
def bob():
    return UserFactory(username="bob", language="vi")


class _Abort(Exception):
    pass


async def _db(function, *args, **kwargs):
    """A query from the test, in a thread that gives its connection back (the async ORM's
    shared thread would keep one checked out of the pool)."""
    return await database_sync_to_async(function)(*args, **kwargs)


def _notes(user, n: int, *, read: int = 0) -> list[int]:
    """``n`` committed notifications for ``user`` (the first ``read`` of them read)."""
    made = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kinds.TASK_ASSIGNED.code,
            params={"task": "Appointment", "process": f"#{i}"},
            read_at=timezone.now() if i < read else None,
        )
        for i in range(n)
    )
    return [n.pk for n in made]


def _notify_committed(user, process: str = "committed") -> int:
    """``notify`` in a service transaction that commits; the new row's id."""
    with transaction.atomic():
        notify(
            recipients=[user],
            kind=kinds.TASK_ASSIGNED,
            params={"task": "Appointment", "process": process},
            link="/tasks/1/",
        )
        assert not Notification.objects.filter(recipient=user, params__process=process).exists()
    return Notification.objects.get(recipient=user, params__process=process).pk


def _notify_rolled_back(user) -> int:
    """``notify`` in a service transaction that fails afterwards; rows left for the user."""
    try:
        with transaction.atomic():
            notify(
                recipients=[user],
                kind=kinds.TASK_ASSIGNED,
                params={"task": "Appointment", "process": "rolled back"},
            )
            raise _Abort
    except _Abort:
        pass
    return Notification.objects.filter(recipient=user).count()


async def _hello(communicator) -> dict:
    message = await communicator.receive_json_from(timeout=ARRIVES)
    assert message["type"] == "hello", message
    return message


async def _inbox(sockets, user, **kwargs):
    """A connected inbox socket for ``user`` (hello consumed) and its browser session."""
    client = await database_sync_to_async(logged_in)(user)
    communicator, connected, _ = await sockets.connect(INBOX, client=client, **kwargs)
    assert connected
    await _hello(communicator)
    return communicator, client


async def _drain(communicator) -> list[dict]:
    """Everything that arrives until the socket has been quiet for a moment."""
    messages = []
    while not await communicator.receive_nothing(timeout=SILENCE):
        messages.append(await communicator.receive_json_from(timeout=ARRIVES))
    return messages


# --------------------------------------------------------------------------- who may connect


async def test_anonymous_is_refused(sockets):
    communicator, connected, code = await sockets.connect(INBOX)
    assert (connected, code) == (False, 4401)


async def test_a_dead_session_cookie_is_refused(sockets, alice):
    client = await database_sync_to_async(logged_in)(alice)
    key = client.cookies["sessionid"].value
    await database_sync_to_async(client.logout)()
    client.cookies["sessionid"] = key  # the browser kept the old cookie
    _, connected, code = await sockets.connect(INBOX, client=client)
    assert (connected, code) == (False, 4401)


@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",
        b"https://testserver.evil.example",
        b"http://evil.example/testserver",
        b"null",
    ],
)
async def test_a_foreign_origin_is_refused_even_with_a_valid_session(sockets, alice, origin):
    client = await database_sync_to_async(logged_in)(alice)
    _, connected, _ = await sockets.connect(INBOX, client=client, origin=origin)
    assert connected is False
    # The same session from the site's own origin is let in: the origin made the difference.
    _, connected, _ = await sockets.connect(INBOX, client=client)
    assert connected is True


async def test_a_missing_origin_is_refused(sockets, alice):
    client = await database_sync_to_async(logged_in)(alice)
    _, connected, _ = await sockets.connect(INBOX, client=client, origin=None)
    assert connected is False


async def test_a_signed_in_user_is_greeted_with_their_own_unread_count(sockets, alice, bob):
    await database_sync_to_async(_notes)(alice, 5, read=2)
    await database_sync_to_async(_notes)(bob, 4)
    client = await database_sync_to_async(logged_in)(alice, password="correct-horse-battery")
    communicator, connected, _ = await sockets.connect(INBOX, client=client)
    assert connected
    assert await communicator.receive_json_from(timeout=ARRIVES) == {"type": "hello", "unread": 3}
    assert await communicator.receive_nothing(timeout=SILENCE)


# --------------------------------------------------------------------------- delivery


@on_every_layer
async def test_each_user_receives_only_their_own_notifications(sockets, alice, bob):
    to_alice, _ = await _inbox(sockets, alice)
    to_bob, _ = await _inbox(sockets, bob)

    note = await database_sync_to_async(_notify_committed)(alice, "for alice")
    message = await to_alice.receive_json_from(timeout=ARRIVES)
    assert message["type"] == "notification" and message["unread"] == 1
    item = message["item"]
    assert set(item) == ITEM_KEYS
    assert item["id"] == note and item["kind"] == "task.assigned" and item["unread"] is True
    assert item["title"] == "Task assigned to you: Appointment"  # alice reads English
    assert item["body"] == "for alice" and item["link"] == "/tasks/1/"
    assert await to_bob.receive_nothing(timeout=SILENCE)

    await database_sync_to_async(_notify_committed)(bob, "for bob")
    message = await to_bob.receive_json_from(timeout=ARRIVES)
    assert message["item"]["body"] == "for bob"
    assert "Bổ nhiệm" in message["item"]["title"]  # bob's "task" parameter, in Vietnamese
    assert await to_alice.receive_nothing(timeout=SILENCE)


@on_every_layer
async def test_an_event_naming_someone_elses_notification_is_not_forwarded(
    sockets, channel_layer, alice, bob
):
    """Group events carry ids; the consumer re-reads them in the recipient's own scope, so even
    a mis-addressed event (bob's id in alice's group) leaks nothing."""
    [bobs] = await database_sync_to_async(_notes)(bob, 1)
    [alices] = await database_sync_to_async(_notes)(alice, 1)
    to_alice, _ = await _inbox(sockets, alice)
    group = realtime.user_group(alice.pk)

    await channel_layer.group_send(group, {"type": "notification.new", "id": bobs})
    await channel_layer.group_send(group, {"type": "notification.new", "id": 10**12})
    assert await to_alice.receive_nothing(timeout=SILENCE)

    # The same event with alice's own id is forwarded: the id made the difference.
    await channel_layer.group_send(group, {"type": "notification.new", "id": alices})
    message = await to_alice.receive_json_from(timeout=ARRIVES)
    assert message["item"]["id"] == alices
    assert await to_alice.receive_nothing(timeout=SILENCE)


@on_every_layer
async def test_pushed_after_commit_and_never_after_rollback(sockets, alice):
    to_alice, _ = await _inbox(sockets, alice)

    assert await database_sync_to_async(_notify_rolled_back)(alice) == 0
    assert await to_alice.receive_nothing(timeout=SILENCE)

    note = await database_sync_to_async(_notify_committed)(alice)
    message = await to_alice.receive_json_from(timeout=ARRIVES)
    # The first thing that arrives is the committed one, not a leftover of the rollback.
    assert message["item"]["id"] == note and message["item"]["body"] == "committed"
    assert message["unread"] == 1
    assert await to_alice.receive_nothing(timeout=SILENCE)


async def test_a_notification_for_several_people_reaches_each_once(sockets, alice, bob):
    to_alice, _ = await _inbox(sockets, alice)
    to_bob, _ = await _inbox(sockets, bob)

    def notify_both():
        with transaction.atomic():
            notify(
                recipients=[alice, bob, alice.pk],
                kind=kinds.TASK_QUEUED,
                params={"task": "Appointment", "process": "both"},
            )

    await database_sync_to_async(notify_both)()
    for communicator, user in ((to_alice, alice), (to_bob, bob)):
        [message] = await _drain(communicator)
        note = await _db(Notification.objects.get, pk=message["item"]["id"])
        assert note.recipient_id == user.pk and note.kind == "task.queued"


# --------------------------------------------------------------------------- revocation


def _revoke(how: str, user, client) -> None:
    if how == "logout":
        client.logout()
    elif how == "session expired":
        Session.objects.filter(session_key=client.cookies["sessionid"].value).update(
            expire_date=timezone.now() - dt.timedelta(seconds=1)
        )
    elif how == "idle past the timeout":
        from importlib import import_module

        from django.conf import settings

        store = import_module(settings.SESSION_ENGINE).SessionStore(
            client.cookies["sessionid"].value
        )
        store["_cadreflow_last_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 1
        store.save()
    elif how == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif how == "password changed elsewhere":
        user = User.objects.get(pk=user.pk)
        user.set_password("another-horse-battery-staple")
        user.save()
    else:  # pragma: no cover
        raise AssertionError(how)


@pytest.mark.parametrize("trigger", ["push", "client message"])
@pytest.mark.parametrize(
    "how",
    [
        "logout",
        "session expired",
        "idle past the timeout",
        "deactivated",
        "password changed elsewhere",
    ],
)
async def test_a_revoked_session_stops_pushes_at_once(sockets, channel_layer, alice, how, trigger):
    [earlier, later] = await database_sync_to_async(_notes)(alice, 2)
    to_alice, client = await _inbox(sockets, alice)
    key = client.cookies["sessionid"].value
    group = realtime.user_group(alice.pk)
    # While the session is valid, an event is forwarded...
    await channel_layer.group_send(group, {"type": "notification.new", "id": earlier})
    assert (await to_alice.receive_json_from(timeout=ARRIVES))["item"]["id"] == earlier

    await database_sync_to_async(_revoke)(how, alice, client)

    # ...afterwards the next event, or the client's next message, closes the socket instead.
    if trigger == "push":
        await channel_layer.group_send(group, {"type": "notification.new", "id": later})
    else:
        await to_alice.send_json_to({"action": "sync", "after": 0})
    assert await closed_with(to_alice) == 4401
    # And the same cookie cannot open a new one.
    client.cookies["sessionid"] = key
    _, connected, code = await sockets.connect(INBOX, client=client)
    assert (connected, code) == (False, 4401)


@on_every_layer
async def test_a_logged_out_user_misses_nothing_pushed_by_notify(sockets, alice):
    """The full path: logout, then a service notifies: the socket closes, nothing is shown,
    and the notification waits in the inbox for the next login."""
    to_alice, client = await _inbox(sockets, alice)
    await database_sync_to_async(client.logout)()
    note = await database_sync_to_async(_notify_committed)(alice)
    assert await closed_with(to_alice) == 4401
    assert await _db(Notification.objects.filter(pk=note, read_at__isnull=True).exists)


# --------------------------------------------------------------------------- client messages


MALFORMED = [
    "{not json",
    "",
    "[1, 2]",
    '"sync"',
    "null",
    "42",
    '{"act": "sync"}',
    '{"action": "explode"}',
    '{"action": ["sync"]}',
    '{"action": "read"}',
    '{"action": "read", "id": "seven"}',
    '{"action": "read", "id": null}',
    '{"action": "read", "id": 1e999}',
    '{"action": "read", "id": NaN}',
    '{"action": "read", "id": 1.0}',
    '{"action": "read", "id": true}',
    '{"action": "read", "id": "12abc"}',
    '{"action": "sync", "after": [1]}',
    '{"action": "sync", "after": {"$gt": 0}}',
    '{"action": "sync", "after": -Infinity}',
    "[" * 100_000,
]


@pytest.mark.parametrize("frame", MALFORMED, ids=range(len(MALFORMED)))
async def test_a_malformed_message_closes_cleanly_with_4400(sockets, alice, caplog, frame):
    caplog.set_level(logging.DEBUG)
    to_alice, _ = await _inbox(sockets, alice)
    await to_alice.send_input({"type": "websocket.receive", "text": frame})
    # receive_output re-raises the consumer's exception if it crashed: a clean close only.
    assert await closed_with(to_alice) == 4400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_binary_frame_closes_cleanly_with_4400(sockets, alice):
    to_alice, _ = await _inbox(sockets, alice)
    await to_alice.send_to(bytes_data=b'{"action": "sync", "after": 0}')
    assert await closed_with(to_alice) == 4400


async def test_well_formed_ids_out_of_range_are_answered_not_crashed_on(sockets, alice):
    [mine] = await database_sync_to_async(_notes)(alice, 1)
    to_alice, _ = await _inbox(sockets, alice)
    for frame, expected in (
        ({"action": "read", "id": 10**30}, {"type": "unread", "unread": 1}),
        ({"action": "read", "id": -(10**30)}, {"type": "unread", "unread": 1}),
        ({"action": "sync", "after": 10**30}, {"type": "sync", "items": [], "more": False}),
    ):
        await to_alice.send_json_to(frame)
        answer = await to_alice.receive_json_from(timeout=ARRIVES)
        assert {k: answer[k] for k in expected} == expected
    await to_alice.send_json_to({"action": "sync", "after": -(10**30)})
    assert [i["id"] for i in (await to_alice.receive_json_from(timeout=ARRIVES))["items"]] == [mine]
    await to_alice.send_json_to({"action": "read", "id": str(mine)})  # a digit string will do
    assert await to_alice.receive_json_from(timeout=ARRIVES) == {"type": "unread", "unread": 0}


async def test_sync_returns_exactly_the_missed_ones_oldest_first(sockets, alice, bob):
    def interleaved():
        ids = []
        for _ in range(4):
            ids += _notes(alice, 1)
            _notes(bob, 1)
        return ids

    ids = await database_sync_to_async(interleaved)()
    to_alice, _ = await _inbox(sockets, alice)
    await to_alice.send_json_to({"action": "sync", "after": ids[1]})
    message = await to_alice.receive_json_from(timeout=ARRIVES)
    assert message["type"] == "sync" and message["unread"] == 4 and message["more"] is False
    assert [item["id"] for item in message["items"]] == ids[2:]
    assert all(set(item) == ITEM_KEYS for item in message["items"])

    await to_alice.send_json_to({"action": "sync", "after": ids[-1]})
    assert (await to_alice.receive_json_from(timeout=ARRIVES))["items"] == []
    for nothing_seen_yet in ({"action": "sync"}, {"action": "sync", "after": None}):
        await to_alice.send_json_to(nothing_seen_yet)
        message = await to_alice.receive_json_from(timeout=ARRIVES)
        assert [i["id"] for i in message["items"]] == ids


async def test_sync_pages_through_a_long_absence_without_losing_any(sockets, alice):
    ids = await database_sync_to_async(_notes)(alice, 57)
    to_alice, _ = await _inbox(sockets, alice)
    pages, after = [], 0
    while True:
        await to_alice.send_json_to({"action": "sync", "after": after})
        message = await to_alice.receive_json_from(timeout=ARRIVES)
        pages.append([i["id"] for i in message["items"]])
        if not message["more"]:
            break
        after = pages[-1][-1]
    assert [len(page) for page in pages] == [50, 7]
    assert [i for page in pages for i in page] == ids
    assert message["unread"] == 57


async def test_read_marks_own_notification_and_updates_every_tab(sockets, alice, bob):
    ids = await database_sync_to_async(_notes)(alice, 3)
    [bobs] = await database_sync_to_async(_notes)(bob, 1)
    tab_1, client = await _inbox(sockets, alice)
    tab_2, connected, _ = await sockets.connect(INBOX, client=client)
    assert connected and (await tab_2.receive_json_from(timeout=ARRIVES))["unread"] == 3

    await tab_1.send_json_to({"action": "read", "id": ids[0]})
    answers = await _drain(tab_1)
    assert answers and all(a == {"type": "unread", "unread": 2} for a in answers)
    assert await _drain(tab_2) == [{"type": "unread", "unread": 2}]
    assert await _db(Notification.objects.filter(pk=ids[0], read_at__isnull=False).exists)

    # Bob's notification cannot be marked from alice's socket, and nothing moves.
    await tab_1.send_json_to({"action": "read", "id": bobs})
    assert await _drain(tab_1) == [{"type": "unread", "unread": 2}]
    assert await tab_2.receive_nothing(timeout=SILENCE)
    assert await _db(Notification.objects.filter(pk=bobs, read_at__isnull=True).exists)

    # Reading it again changes nothing and pushes nothing to the other tab.
    await tab_1.send_json_to({"action": "read", "id": ids[0]})
    assert await _drain(tab_1) == [{"type": "unread", "unread": 2}]
    assert await tab_2.receive_nothing(timeout=SILENCE)


# --------------------------------------------------------------------------- another process


DELIVER_ELSEWHERE = textwrap.dedent(
    """
    import json, os, sys
    import django
    django.setup()
    from django.conf import settings
    settings.CHANNEL_LAYERS = json.loads(os.environ["CADREFLOW_TEST_CHANNEL_LAYERS"])
    from notifications.services import deliver
    [note] = deliver(
        recipient_ids=[int(sys.argv[1])],
        kind="task.assigned",
        params={"task": "Appointment", "process": "from another process"},
        link="/elsewhere/",
    )
    print(json.dumps({"pid": os.getpid(), "id": note.pk}))
    """
)


@across_processes
async def test_a_notification_from_another_process_reaches_the_socket_through_redis(
    sockets, channel_layer, alice, bob
):
    assert channel_layer.kind in ("redis-pubsub", "redis-core")
    to_alice, _ = await _inbox(sockets, alice)
    to_bob, _ = await _inbox(sockets, bob)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_of_test_run(),
        "REDIS_URL": REDIS_URL,
        "CADREFLOW_TEST_CHANNEL_LAYERS": json.dumps(settings.CHANNEL_LAYERS),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        DELIVER_ELSEWHERE,
        str(alice.pk),
        cwd=str(settings.BASE_DIR),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    produced = json.loads(out.decode().strip().splitlines()[-1])
    assert produced["pid"] != os.getpid()

    message = await to_alice.receive_json_from(timeout=ARRIVES)
    assert message["type"] == "notification"
    assert message["item"]["id"] == produced["id"]
    assert message["item"]["body"] == "from another process"
    assert message["item"]["link"] == "/elsewhere/"
    assert await to_bob.receive_nothing(timeout=SILENCE)
