"""An electronic ballot with everything live — notifications, e-mail, websockets, logs at DEBUG
— and nothing anywhere says what anyone chose, how a candidate fared, or who has (not) voted.

The issue: "No notification, e-mail, websocket message or log line reveals a vote choice, a
sealed result, or to ordinary members who has or has not voted."
"""

from __future__ import annotations

import json
import logging
import re
from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.utils import translation
from procrastinate.contrib.django.models import ProcrastinateJob

from notifications.models import Notification
from notifications.services import preferences_set
from notifications.tasks import send_notification_email
from tests.notifications.live import ARRIVES, SILENCE, logged_in, on_every_layer
from tests.workflows import ballot_kit as kit
from workflows.core import services
from workflows.core.models import BallotKind, BallotMode, Choice, MeetingKind
from workflows.core.services import PaperMark

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

TURNOUT_KEYS = {"type", "ballot", "voted", "eligible", "status"}
# The choice values as words ("low", not "follow"), and their labels in both languages.
CHOICE_WORDS = re.compile(r"\b(" + "|".join(Choice.values) + r")\b")


def _choice_labels() -> set[str]:
    labels = set()
    for language in ("en", "vi"):
        with translation.override(language):
            labels |= {str(label) for label in Choice.labels}
    return labels


def _truncate_procrastinate():
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
            "procrastinate_workers RESTART IDENTITY CASCADE"
        )


@pytest.fixture
def ballot_room(transactional_db, district_a, province):
    """Seven present voters of a standing committee and a confidence ballot on two cadres, ready
    to open; everyone wants ballot notifications e-mailed (off by default)."""
    _truncate_procrastinate()
    kit.load_rulesets()
    body = kit.body_with_members(district_a, 7)
    staff = kit.board_staff(province)
    for i, member in enumerate(body.members):
        member.language = "en" if i % 2 else "vi"
        member.save(update_fields=["language"])
        preferences_set(user=member, email={"ballot.opened": True, "ballot.closed": True})
    meeting = kit.call_meeting(
        actor=staff,
        unit=district_a,
        body=body.committee,
        chair=body.chair,
        kind=MeetingKind.STANDING_COMMITTEE,
        title="Hội nghị lấy phiếu",
    )
    kit.in_session(meeting, chair=body.chair, present=body.members)
    cadres = kit.cadres(district_a, 2, prefix="Cán bộ Kín")
    ballot = services.ballot_create(
        actor=staff,
        meeting=meeting,
        kind=BallotKind.CONFIDENCE,
        mode=BallotMode.ELECTRONIC,
        title="Phiếu tín nhiệm giữa nhiệm kỳ",
        cadres=cadres,
    )
    Notification.objects.all().delete()  # the summons: not what this test is about
    yield SimpleNamespace(
        body=body,
        staff=staff,
        meeting=meeting,
        ballot=ballot,
        cadres=cadres,
        candidates=[c.pk for c in ballot.candidates.order_by("order")],
    )
    _truncate_procrastinate()


def _capture_everything(caplog):
    """Every logger at DEBUG into caplog, including those that do not propagate."""
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    for logger in loggers:
        caplog.set_level(logging.DEBUG, logger=logger.name)
    quiet = [lg for lg in loggers if not lg.propagate]
    for logger in quiet:
        logger.addHandler(caplog.handler)
    return quiet


async def _all_frames(communicator) -> list[dict]:
    frames = []
    while not await communicator.receive_nothing(timeout=SILENCE):
        frames.append(await communicator.receive_json_from(timeout=ARRIVES))
    return frames


def _papers(room):
    """Different answers from different members: two of them vote, five do not."""
    a, b = room.candidates
    return [
        (room.body.members[1], [PaperMark(Choice.HIGH, a), PaperMark(Choice.LOW, b)]),
        (room.body.members[2], [PaperMark(Choice.LOW, a), PaperMark(Choice.ABSTAIN, b)]),
        (room.body.members[3], [PaperMark(Choice.CONFIDENCE, a), PaperMark(Choice.LOW, b)]),
    ]


@on_every_layer
async def test_a_whole_ballot_leaks_no_choice_tally_or_voter_list(
    sockets, ballot_room, caplog, mailoutbox
):
    room = ballot_room
    members = room.body.members
    inboxes = {}
    for member in members:
        client = await database_sync_to_async(logged_in)(member)
        communicator, connected, _ = await sockets.connect("/ws/notifications/", client=client)
        assert connected
        inboxes[member.pk] = communicator
    chair_client = await database_sync_to_async(logged_in)(room.body.chair)
    console, connected, _ = await sockets.connect(
        f"/ws/ballots/{room.ballot.pk}/turnout/", client=chair_client
    )
    assert connected

    quiet = _capture_everything(caplog)
    try:
        logging.getLogger("cadreflow.privacy-probe").debug("capturing at DEBUG")
        await database_sync_to_async(services.ballot_open)(
            actor=room.body.chair, ballot=room.ballot
        )
        for voter, marks in _papers(room):
            await database_sync_to_async(services.ballot_cast)(
                actor=voter, ballot=room.ballot, marks=marks
            )
        closed = await database_sync_to_async(services.ballot_close)(
            actor=room.body.chair, ballot=room.ballot
        )

        def send_queued_emails():
            for job in ProcrastinateJob.objects.filter(queue_name="email").order_by("id"):
                send_notification_email(**job.args)

        await database_sync_to_async(send_queued_emails)()
        frames = {pk: await _all_frames(inbox) for pk, inbox in inboxes.items()}
        console_frames = await _all_frames(console)
    finally:
        for logger in quiet:
            logger.removeHandler(caplog.handler)

    # --- Everything was live: otherwise the checks below would prove nothing.
    assert caplog.records[0].getMessage() == "capturing at DEBUG"
    for member in members:
        kinds_pushed = [f["item"]["kind"] for f in frames[member.pk] if f["type"] == "notification"]
        assert kinds_pushed == ["ballot.opened", "ballot.closed"], member.username
    # Opened: the seven present voters; closed: the seven voting members.
    assert sorted(m.to[0] for m in mailoutbox) == sorted([m.email for m in members] * 2)
    # On connect, then for the opening, each cast and the close (each re-reads the count).
    counts = [f["voted"] for f in console_frames]
    assert len(counts) == 6 and counts == sorted(counts) and counts[0] == 0 and counts[-1] == 3
    outcome = json.dumps(closed.outcome, ensure_ascii=False)
    assert CHOICE_WORDS.search(outcome)  # the probe would see a choice (the result holds them)

    # --- What must never appear.
    labels = _choice_labels()
    candidate_names = [c.full_name for c in room.cadres]
    names = {
        m.pk: re.compile(rf"\b({re.escape(m.username)}|{re.escape(m.get_full_name())})\b")
        for m in members
    }

    def assert_clean(text: str, where: str, *, reader=None) -> None:
        assert not CHOICE_WORDS.search(text), (where, text)
        assert not any(label in text for label in labels), (where, text)
        assert not any(name in text for name in candidate_names), (where, text)
        assert '"counts"' not in text and "'counts'" not in text, (where, text)
        for pk, name in names.items():
            if pk != reader:  # the reader's own name may greet them; nobody else's
                assert not name.search(text), (where, text)

    def stored_notifications():
        return [
            (n.pk, json.dumps(n.params, ensure_ascii=False) + n.link + n.dedupe_key)
            for n in Notification.objects.all()
        ] + [
            (n.pk, "\n".join(n.rendered(language)))
            for n in Notification.objects.all()
            for language in ("en", "vi")
        ]

    stored = await database_sync_to_async(stored_notifications)()
    assert len(stored) == 3 * 14
    for pk, text in stored:
        assert_clean(text, f"notification {pk}")
    for message in mailoutbox:
        reader = next(m.pk for m in members if m.email == message.to[0])
        assert_clean(message.subject + "\n" + message.body, f"mail to {message.to}", reader=reader)
    for pk, received in frames.items():
        for frame in received:
            assert_clean(json.dumps(frame, ensure_ascii=False), f"socket of {pk}", reader=pk)
    for frame in console_frames:
        assert set(frame) == TURNOUT_KEYS, frame
        assert_clean(json.dumps(frame, ensure_ascii=False), "chair's console")
    for record in caplog.records:
        text = record.getMessage() + " " + repr(getattr(record, "args", ""))
        if record.exc_text:
            text += record.exc_text
        assert_clean(text, f"log {record.name}")
