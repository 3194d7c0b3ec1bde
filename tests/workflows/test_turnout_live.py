"""The chair's live turnout (``/ws/ballots/<id>/turnout/``) through the production ASGI stack:
only the meeting's chair connects, messages carry counts only, and each committed vote moves the
count (a rolled-back or refused one does not). In-memory layer, and Redis when REDIS_URL is set.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from tests.notifications import live
from tests.notifications.live import ARRIVES, SILENCE, closed_with, logged_in
from tests.workflows import ballot_kit as kit
from workflows.core import services
from workflows.core.errors import Conflict

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

# The websocket fixtures and layer parametrization (tests/notifications/live.py).
channel_layer = live.channel_layer
sockets = live.sockets
pytest_generate_tests = live.parametrize_layers

STATE_KEYS = {"type", "ballot", "voted", "eligible", "status"}


class _Abort(Exception):
    pass


@pytest.fixture
def room(transactional_db, district_a, province):
    """Five members present (one more absent), a nomination ballot prepared, not yet open."""
    kit.load_rulesets()
    body = kit.body_with_members(district_a, 6)
    staff = kit.board_staff(province)
    meeting = kit.call_meeting(actor=staff, unit=district_a, body=body.committee, chair=body.chair)
    kit.in_session(meeting, chair=body.chair, present=body.members[:5], absent=body.members[5:])
    cadres = kit.cadres(district_a, 2)
    ballot = services.ballot_create(
        actor=staff,
        meeting=meeting,
        kind="nomination",
        mode="electronic",
        title="Giới thiệu nhân sự",
        cadres=cadres,
    )
    return SimpleNamespace(
        body=body,
        chair=body.chair,
        staff=staff,
        ballot=ballot,
        path=f"/ws/ballots/{ballot.pk}/turnout/",
        candidates=[c.pk for c in ballot.candidates.order_by("order")],
        voters=body.members[:5],
    )


async def _console(sockets, user, path):
    client = await database_sync_to_async(logged_in)(user)
    return await sockets.connect(path, client=client), client


async def _state(communicator) -> dict:
    state = await communicator.receive_json_from(timeout=ARRIVES)
    assert set(state) == STATE_KEYS, state  # counts only: never who
    assert state["type"] == "turnout"
    return state


def _cast(room, voter, *, then_fail: bool = False) -> None:
    marks = kit.nominate(room.candidates[0])
    if not then_fail:
        services.ballot_cast(actor=voter, ballot=room.ballot, marks=marks)
        return
    try:
        with transaction.atomic():  # the vote is written, then the request fails
            services.ballot_cast(actor=voter, ballot=room.ballot, marks=marks)
            raise _Abort
    except _Abort:
        pass


async def test_only_the_chair_of_the_meeting_may_watch(sockets, room):
    (console, connected, _), _client = await _console(sockets, room.chair, room.path)
    assert connected
    state = await _state(console)
    assert state == {
        "type": "turnout",
        "ballot": room.ballot.pk,
        "voted": 0,
        "eligible": 5,
        "status": "draft",
    }

    outsider = await database_sync_to_async(kit.fresh_user)()
    for who in (room.body.members[1], room.staff, outsider):
        (_, connected, code), _client = await _console(sockets, who, room.path)
        assert (connected, code) == (False, 4404), who
    # An unknown ballot looks exactly like a forbidden one.
    (_, connected, code), _client = await _console(
        sockets, room.chair, "/ws/ballots/99999999/turnout/"
    )
    assert (connected, code) == (False, 4404)
    _, connected, code = await sockets.connect(room.path)  # anonymous
    assert (connected, code) == (False, 4401)
    client = await database_sync_to_async(logged_in)(room.chair)
    _, connected, _ = await sockets.connect(room.path, client=client, origin=b"http://evil.example")
    assert connected is False


@live.on_every_layer
async def test_each_committed_vote_moves_the_count_and_a_rolled_back_one_does_not(sockets, room):
    (console, connected, _), _client = await _console(sockets, room.chair, room.path)
    assert connected and (await _state(console))["status"] == "draft"

    await database_sync_to_async(services.ballot_open)(actor=room.chair, ballot=room.ballot)
    assert await _state(console) == {
        "type": "turnout",
        "ballot": room.ballot.pk,
        "voted": 0,
        "eligible": 5,
        "status": "open",
    }

    for i, voter in enumerate(room.voters[:3], start=1):
        # The same voter's vote rolled back first: nothing moves.
        await database_sync_to_async(_cast)(room, voter, then_fail=True)
        assert await console.receive_nothing(timeout=SILENCE)
        await database_sync_to_async(_cast)(room, voter)
        state = await _state(console)
        assert (state["voted"], state["eligible"], state["status"]) == (i, 5, "open")
        assert await console.receive_nothing(timeout=SILENCE)  # one update per vote

    # A refused vote (the same voter again) moves nothing either.
    with pytest.raises(Conflict):
        await database_sync_to_async(_cast)(room, room.voters[0])
    assert await console.receive_nothing(timeout=SILENCE)

    await database_sync_to_async(services.ballot_close)(actor=room.chair, ballot=room.ballot)
    state = await _state(console)
    assert (state["voted"], state["status"]) == (3, "closed")


async def test_any_message_from_the_console_is_answered_with_the_count_only(sockets, room):
    (console, connected, _), _client = await _console(sockets, room.chair, room.path)
    assert connected
    await _state(console)
    await console.send_to(text_data='{"action": "who voted?"}')
    assert (await _state(console))["voted"] == 0


async def test_a_logged_out_chair_stops_receiving_the_count(sockets, room):
    (console, connected, _), client = await _console(sockets, room.chair, room.path)
    assert connected
    await _state(console)
    await database_sync_to_async(services.ballot_open)(actor=room.chair, ballot=room.ballot)
    await _state(console)
    await database_sync_to_async(client.logout)()
    await database_sync_to_async(_cast)(room, room.voters[1])
    assert await closed_with(console) == 4401
