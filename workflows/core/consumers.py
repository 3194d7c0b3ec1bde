"""Live turnout on the chair's console while a ballot is open: a count, never who."""

from __future__ import annotations

from channels.db import database_sync_to_async

from notifications import realtime
from notifications.consumers import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED, LiveConsumer

from . import selectors
from .services import ballot_turnout


class TurnoutConsumer(LiveConsumer):
    """``/ws/ballots/<id>/turnout/``: how many have voted, for the meeting's chair only.

    Sends ``{"type": "turnout", "voted": n, "eligible": m, "status": "open"|...}``: a count,
    never who.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        self.ballot_id = int(self.scope["url_route"]["kwargs"]["ballot_id"])
        state = await self._state(user)
        if state is None:
            await self._refuse(CLOSE_NOT_FOUND)  # unknown and forbidden look the same
            return
        self.group = realtime.turnout_group(self.ballot_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(state)

    @database_sync_to_async
    def _state(self, user):
        ballot = selectors.ballot_for_chair(user=user, ballot_id=self.ballot_id)
        if ballot is None:
            return None
        turnout = ballot_turnout(actor=user, ballot=ballot)
        return {
            "type": "turnout",
            "ballot": ballot.pk,
            "voted": turnout.voted,
            "eligible": turnout.eligible,
            "status": ballot.status,
        }

    async def receive(self, text_data=None, bytes_data=None):
        # Nothing to ask: any message is a request for the current count.
        await self.turnout_changed({})

    async def turnout_changed(self, event):
        user = await self._current_user()
        state = await self._state(user) if user is not None else None
        if state is None:
            await self._drop()
            return
        await self.send_json(state)
