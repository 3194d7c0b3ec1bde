"""A notification to many people at once: one broadcast message, one batched read per process.

``notify`` to ``realtime.BROADCAST_AT`` or more recipients publishes ONE ``notification.burst``
message to the group every inbox socket joins, carrying (user id, notification id) pairs (ids,
never content); each socket picks its own pairs, and the sockets' reads are coalesced
(``consumers._read_fresh``: two queries for a whole batch, one for an event alone) while the
session is still checked for every event. Real PostgreSQL, real commits, the production ASGI
stack (see ``test_consumers.py``).
"""

from __future__ import annotations

import time
from importlib import import_module

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from notifications import consumers, kinds, realtime
from notifications.consumers import NotificationConsumer, _read_fresh
from notifications.models import Notification
from notifications.services import notify
from tests.factories import UserFactory
from tests.notifications.live import ARRIVES, SILENCE, closed_with, logged_in, on_every_layer

User = get_user_model()
INBOX = "/ws/notifications/"
PARAMS = {"ballot": "Phiếu 7", "meeting": "Đại hội"}


# --------------------------------------------------------------------------- the messages


def test_few_recipients_get_one_message_each_in_their_own_group():
    pairs = [(7, 70), (3, 30), (7, 70)]  # duplicates collapse
    assert realtime.new_notification_messages(pairs) == [
        (realtime.user_group(3), {"type": "notification.new", "id": 30}),
        (realtime.user_group(7), {"type": "notification.new", "id": 70}),
    ]


def test_many_recipients_get_one_broadcast_of_packed_ids_and_each_finds_only_its_own():
    pairs = [(uid, 1000 + uid) for uid in range(realtime.BROADCAST_AT * 3, 0, -3)]
    pairs.append((9, 5))  # a second notification for user 9 in the same batch
    [(group, event)] = realtime.new_notification_messages(pairs)
    assert group == realtime.BROADCAST_GROUP
    assert set(event) == {"type", "users", "ids"} and event["type"] == "notification.burst"
    assert isinstance(event["users"], bytes) and isinstance(event["ids"], bytes)
    assert realtime.burst_ids_for(event, 9) == [5, 1009]
    assert realtime.burst_ids_for(event, 3) == [1003]
    assert realtime.burst_ids_for(event, realtime.BROADCAST_AT * 3) == [1000 + 60]
    for not_a_recipient in (0, 1, 4, 10**12, -3):
        assert realtime.burst_ids_for(event, not_a_recipient) == []


def test_a_huge_burst_is_split_into_chunks_that_together_hold_every_pair(monkeypatch):
    monkeypatch.setattr(realtime, "BROADCAST_CHUNK", 40)
    pairs = [(uid, uid * 10) for uid in range(1, 101)]
    messages = realtime.new_notification_messages(pairs)
    assert [group for group, _ in messages] == [realtime.BROADCAST_GROUP] * 3
    for uid, nid in pairs:
        assert [found for _, e in messages for found in realtime.burst_ids_for(e, uid)] == [nid]


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"users": b"", "ids": b""},
        {"users": [1, 2], "ids": [3, 4]},
        {"users": b"\x01" * 7, "ids": b"\x01" * 7},  # not whole 64-bit numbers
        {"users": b"\x01" * 16, "ids": b"\x01" * 8},  # lengths differ
        {"users": "abc", "ids": None},
    ],
)
def test_a_malformed_burst_names_no_one(event):
    assert realtime.burst_ids_for(event, 1) == []
    assert realtime.burst_ids_for(event, 0x0101010101010101) == []


# --------------------------------------------------------------------------- through sockets


async def _inbox(sockets, user):
    client = await database_sync_to_async(logged_in)(user)
    communicator, connected, _ = await sockets.connect(INBOX, client=client)
    assert connected
    assert (await communicator.receive_json_from(timeout=ARRIVES))["type"] == "hello"
    return communicator, client


async def _drain(communicator) -> list[dict]:
    messages = []
    while not await communicator.receive_nothing(timeout=SILENCE):
        messages.append(await communicator.receive_json_from(timeout=ARRIVES))
    return messages


def _users(n: int, prefix: str) -> list:
    return [UserFactory(username=f"{prefix}{i}", language="en") for i in range(n)]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@on_every_layer
async def test_a_burst_reaches_each_recipient_exactly_once_and_no_one_else(
    sockets, channel_layer, monkeypatch
):
    recipients = await database_sync_to_async(_users)(realtime.BROADCAST_AT + 5, "r")
    [outsider] = await database_sync_to_async(_users)(1, "o")
    watched = recipients[:4]  # sockets for a few recipients and one outsider
    inboxes = [(await _inbox(sockets, user))[0] for user in watched]
    outsider_inbox, _ = await _inbox(sockets, outsider)

    published = []
    push = realtime.push
    monkeypatch.setattr(
        realtime, "push", lambda messages: (published.append(messages), push(messages))
    )

    def notify_all():
        with transaction.atomic():
            notify(recipients=recipients, kind=kinds.BALLOT_OPENED, params=PARAMS)
            assert not published  # nothing before the commit

    await database_sync_to_async(notify_all)()
    [messages] = published
    assert [group for group, _ in messages] == [realtime.BROADCAST_GROUP]  # one message

    for communicator, user in zip(inboxes, watched, strict=True):
        [message] = await _drain(communicator)  # exactly once
        assert message["type"] == "notification" and message["unread"] == 1
        note = await database_sync_to_async(Notification.objects.get)(pk=message["item"]["id"])
        assert note.recipient_id == user.pk and note.kind == kinds.BALLOT_OPENED.code
    assert await outsider_inbox.receive_nothing(timeout=SILENCE)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_socket_ignores_the_pairs_of_other_users(sockets, channel_layer):
    alice, bob = await database_sync_to_async(_users)(2, "u")

    def notes():
        return [
            Notification.objects.create(recipient=u, kind=kinds.TASK_ASSIGNED.code).pk
            for u in (alice, bob)
        ]

    alices, bobs = await database_sync_to_async(notes)()
    to_alice, _ = await _inbox(sockets, alice)
    to_bob, _ = await _inbox(sockets, bob)
    pairs = [(bob.pk, bobs)] + [(10**9 + i, i) for i in range(realtime.BROADCAST_AT)]
    [(group, event)] = realtime.new_notification_messages(pairs)
    await channel_layer.group_send(group, event)
    assert [m["item"]["id"] for m in await _drain(to_bob)] == [bobs]
    assert await to_alice.receive_nothing(timeout=SILENCE)

    # A pair naming alice with bob's notification: alice's socket reads it in her own scope
    # and forwards nothing; with her own id it is forwarded.
    for nid, expected in ((bobs, []), (alices, [alices])):
        pairs = [(alice.pk, nid)] + [(10**9 + i, i) for i in range(realtime.BROADCAST_AT)]
        [(group, event)] = realtime.new_notification_messages(pairs)
        await channel_layer.group_send(group, event)
        assert [m["item"]["id"] for m in await _drain(to_alice)] == expected
    assert await to_bob.receive_nothing(timeout=SILENCE)


def _idle(client) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore(client.cookies["sessionid"].value)
    store["_cadreflow_last_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 1
    store.save()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["idle past the timeout", "logout", "deactivated"])
async def test_a_revoked_session_stops_burst_delivery_and_the_others_still_get_theirs(
    sockets, channel_layer, how
):
    alice, bob = await database_sync_to_async(_users)(2, "b")

    def notes():
        return [
            Notification.objects.create(recipient=u, kind=kinds.TASK_ASSIGNED.code).pk
            for u in (alice, bob)
        ]

    alices, bobs = await database_sync_to_async(notes)()
    to_alice, client = await _inbox(sockets, alice)
    to_bob, _ = await _inbox(sockets, bob)
    if how == "idle past the timeout":
        await database_sync_to_async(_idle)(client)
    elif how == "logout":
        await database_sync_to_async(client.logout)()
    else:
        await database_sync_to_async(User.objects.filter(pk=alice.pk).update)(is_active=False)
    pairs = [(alice.pk, alices), (bob.pk, bobs)]
    pairs += [(10**9 + i, i) for i in range(realtime.BROADCAST_AT)]
    [(group, event)] = realtime.new_notification_messages(pairs)
    await channel_layer.group_send(group, event)
    assert await closed_with(to_alice) == 4401
    assert [m["item"]["id"] for m in await _drain(to_bob)] == [bobs]


# --------------------------------------------------------------------------- the batched read


def _consumer(user, client) -> NotificationConsumer:
    """An inbox consumer as ``connect`` leaves it (scope: the browser's session and user)."""
    consumer = NotificationConsumer()
    store = import_module(settings.SESSION_ENGINE).SessionStore(client.cookies["sessionid"].value)
    consumer.scope = {"session": store, "user": user}
    consumer.user_id = user.pk
    return consumer


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_read_in_two_queries_with_the_same_answers_as_one_by_one(
    django_assert_num_queries,
):
    users = _users(6, "q")
    clients = [logged_in(u) for u in users]
    socks = [_consumer(u, c) for u, c in zip(users, clients, strict=True)]
    notes = [
        Notification.objects.create(recipient=u, kind=kinds.TASK_ASSIGNED.code, params=PARAMS)
        for u in users
    ]
    Notification.objects.create(recipient=users[0], kind=kinds.TASK_ASSIGNED.code)  # 2 unread
    items = [(s, n.pk) for s, n in zip(socks, notes, strict=True)]
    with django_assert_num_queries(2):
        batched = _read_fresh(items)
    assert batched == [s._fresh(nid) for s, nid in items]
    assert [unread for _, unread in batched] == [2, 1, 1, 1, 1, 1]
    assert [payload["id"] for payload, _ in batched] == [n.pk for n in notes]

    with django_assert_num_queries(1):  # an event alone: one query, the session included
        alone = _read_fresh(items[1:2])
    assert alone == [socks[1]._fresh(notes[1].pk)]


@pytest.mark.django_db(transaction=True)
def test_a_batch_still_checks_every_session_and_every_scope():
    users = _users(6, "s")
    clients = [logged_in(u) for u in users]
    socks = [_consumer(u, c) for u, c in zip(users, clients, strict=True)]
    notes = [Notification.objects.create(recipient=u, kind=kinds.TASK_ASSIGNED.code) for u in users]
    _idle(clients[1])  # idle past the timeout
    clients[2].logout()  # logged out
    User.objects.filter(pk=users[3].pk).update(is_active=False)  # deactivated
    changed = User.objects.get(pk=users[4].pk)  # password changed elsewhere
    changed.set_password("another-horse-battery-staple")
    changed.save()
    items = [(s, n.pk) for s, n in zip(socks, notes, strict=True)]
    items.append((socks[0], notes[5].pk))  # someone else's notification
    items.append((socks[0], 10**12))  # no such notification
    results = _read_fresh(items)
    assert results[0][0]["id"] == notes[0].pk
    assert results[1:5] == [None, None, None, None]  # each closes its socket
    assert results[5][0]["id"] == notes[5].pk
    assert results[6:] == [False, False]  # never forwarded


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_events_arriving_together_are_read_in_few_batches(
    sockets, channel_layer, monkeypatch
):
    users = await database_sync_to_async(_users)(realtime.BROADCAST_AT + 10, "c")
    inboxes = [(await _inbox(sockets, u))[0] for u in users]
    batches = []
    read = consumers._read_fresh

    def counted(items):
        batches.append(len(items))
        return read(items)

    monkeypatch.setattr(consumers, "_read_fresh", counted)

    def notify_all():
        with transaction.atomic():
            notify(recipients=users, kind=kinds.BALLOT_OPENED, params=PARAMS)

    await database_sync_to_async(notify_all)()
    for communicator in inboxes:
        [message] = await _drain(communicator)
        assert message["type"] == "notification"
    assert sum(batches) == len(users)
    assert len(batches) <= 3, batches  # not one read per socket


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_push_events_skip_the_shared_sync_thread_hop_other_events_keep_it(
    sockets, channel_layer, monkeypatch
):
    """channels hops to its one shared sync thread (``close_old_connections``) before every
    handler; a burst made 2,000 sockets queue there. The push handlers skip it (their reads go
    through ``database_sync_to_async``, which closes old connections itself)."""
    import channels.consumer

    alice, bob = await database_sync_to_async(_users)(2, "h")
    [note] = await database_sync_to_async(
        lambda: [Notification.objects.create(recipient=alice, kind=kinds.TASK_ASSIGNED.code).pk]
    )()
    to_alice, _ = await _inbox(sockets, alice)
    hops = []
    original = channels.consumer.aclose_old_connections

    async def counted():
        hops.append(1)
        return await original()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    pairs = [(alice.pk, note)] + [(10**9 + i, i) for i in range(realtime.BROADCAST_AT)]
    [(group, event)] = realtime.new_notification_messages(pairs)
    await channel_layer.group_send(group, event)
    await channel_layer.group_send(
        realtime.user_group(alice.pk), {"type": "notification.new", "id": note}
    )
    assert [m["item"]["id"] for m in await _drain(to_alice)] == [note, note]
    assert hops == []
    await channel_layer.group_send(realtime.user_group(alice.pk), {"type": "notification.read"})
    assert await _drain(to_alice) == [{"type": "unread", "unread": 1}]
    assert hops == [1]
