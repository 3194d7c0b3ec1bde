"""HTTP helpers for the appointment page tests: clients that read English (or Vietnamese), the
appointment's URLs, and a step's meeting run through the core meeting and ballot pages."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from workflows.appointment.models import Appointment, AppointmentStep
from workflows.core.models import BallotKind, BallotStatus, Choice


def client_for(user, language: str = "en") -> Client:
    """A logged-in client reading ``language`` (English by default, so that assertions on
    messages do not depend on the state of the Vietnamese catalogue)."""
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def url(name: str, appointment=None, **kwargs) -> str:
    if appointment is not None:
        kwargs["appointment_id"] = getattr(appointment, "pk", appointment)
    return reverse(f"appointments:appointment:{name}", kwargs=kwargs)


def text(response) -> str:
    return response.content.decode()


def refresh(appointment) -> Appointment:
    return Appointment.objects.get(pk=appointment.pk)


def last_step(appointment) -> AppointmentStep:
    return (
        AppointmentStep.objects.select_related("meeting", "ballot")
        .filter(appointment=appointment)
        .order_by("-pk")
        .first()
    )


def see_other(response, to: str | None = None) -> None:
    assert response.status_code == 303, (response.status_code, text(response)[:2000])
    if to is not None:
        assert response["Location"].split("#")[0] == to, response["Location"]


def now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _meetings(name: str, **kwargs) -> str:
    return reverse(f"meetings:{name}", kwargs=kwargs)


def run_meeting(step: AppointmentStep, *, paper_for=None) -> None:
    """Convene the step's meeting as its chair, everyone present, open the ballot, let every
    voter cast ``paper_for(ballot)`` on the vote page, and close the ballot — all over HTTP."""
    meeting, ballot = step.meeting, step.ballot
    chair = client_for(meeting.chair)
    see_other(chair.post(_meetings("meeting:convene", meeting_id=meeting.pk)))
    summons = list(meeting.summons.select_related("user"))
    see_other(
        chair.post(
            _meetings("meeting:attendance", meeting_id=meeting.pk),
            {f"attendance_{s.user_id}": "present" for s in summons},
        )
    )
    see_other(chair.post(_meetings("ballot:open", ballot_id=ballot.pk)))
    ballot.refresh_from_db()
    paper = paper_for(ballot) if paper_for else approve_everyone(ballot)
    for s in summons:
        if s.votes:
            see_other(client_for(s.user).post(_meetings("ballot:vote", ballot_id=ballot.pk), paper))
    see_other(chair.post(_meetings("ballot:close", ballot_id=ballot.pk)))
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.CLOSED


def approve_everyone(ballot) -> dict:
    assert ballot.kind == BallotKind.APPROVAL
    return {f"c_{c.pk}": Choice.APPROVE.value for c in ballot.candidates.all()}


def nominate(cadre):
    def paper(ballot) -> dict:
        assert ballot.kind == BallotKind.NOMINATION and ballot.seats == 1
        return {"pick": str(ballot.candidates.get(cadre=cadre).pk)}

    return paper
