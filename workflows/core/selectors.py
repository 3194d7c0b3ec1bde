"""Reads of meetings and ballots, scoped to what the asking user may see.

A meeting is visible to its chair, to everyone summoned to it, to organisation-board staff whose
scope covers the meeting's unit, to active members of its competent body, and to superusers.
Everyone else gets ``Http404`` (deny by default: outside your reach looks nonexistent).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from personnel.expressions import PlainText
from personnel.models import Cadre, CommitteeKind, CommitteeMembership
from personnel.scope_cache import remembered
from personnel.selectors import active_on, cadres_for_user, unaccent_text

from .errors import Conflict, Forbidden, Refused
from .models import Attendance, Ballot, BallotMode, BallotStatus, Meeting, Participation, Summons


def org_board_paths(user) -> list[str]:
    """Paths of the units whose organisation board ``user`` is an active member of (read once
    per request: a process page asks for each action it may offer)."""
    today = timezone.localdate()
    return remembered(
        ("org_board_paths", user.pk, today),
        lambda: list(
            CommitteeMembership.objects.filter(
                active_on(today), user=user, committee__kind=CommitteeKind.ORGANISATION_BOARD
            ).values_list("committee__unit__path", flat=True)
        ),
    )


def meetings_for_user(*, user) -> QuerySet[Meeting]:
    """Every meeting the user may see (the rules in the module docstring)."""
    if not user.is_authenticated or not user.is_active:
        return Meeting.objects.none()
    meetings = Meeting.objects.select_related("unit", "body", "competent_body", "ruleset", "chair")
    if user.is_superuser:
        return meetings
    reach = Q(chair=user)
    reach |= Q(Exists(Summons.objects.filter(meeting=OuterRef("pk"), user=user)))
    reach |= Q(
        Exists(
            CommitteeMembership.objects.filter(
                active_on(timezone.localdate()),
                committee=OuterRef("competent_body"),
                user=user,
            )
        )
    )
    for path in org_board_paths(user):
        reach |= Q(unit__path__startswith=path)
    return meetings.filter(reach)


def meeting_get_for_user(*, user, pk) -> Meeting:
    try:
        return meetings_for_user(user=user).get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _in_reach(user, ballot: Ballot | None) -> bool:
    """Whether ``ballot``'s meeting is one the user may see: ``meetings_for_user``'s rules
    applied to that one meeting, already read with the ballot.

    ``meeting__in=<meetings in reach>`` made PostgreSQL hash every meeting the user reaches (a
    province's 173 k at large); asking ``meetings_for_user`` about the one meeting still built
    and planned its whole condition on every vote (6 % of the web workers' time under load).
    Here: the chair and the organisation boards above the unit from what is in memory, then at
    most two key lookups. ``tests/workflows/test_meeting_reach.py`` holds it equal to
    ``meetings_for_user``."""
    if ballot is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    meeting = ballot.meeting
    if meeting.chair_id == user.pk:
        return True
    if any(meeting.unit.path.startswith(path) for path in org_board_paths(user)):
        return True
    if Summons.objects.filter(meeting_id=meeting.pk, user=user).exists():
        return True
    return CommitteeMembership.objects.filter(
        active_on(timezone.localdate()), committee_id=meeting.competent_body_id, user=user
    ).exists()


def ballot_get_for_user(*, user, pk) -> Ballot:
    """A ballot of a meeting the user may see; 404 otherwise."""
    try:
        ballot = Ballot.objects.select_related(
            "meeting",
            "meeting__unit",
            "meeting__body",
            "meeting__competent_body",
            "meeting__ruleset",
            "meeting__chair",
            # not ``entered_by`` / ``confirmed_by``: only the paper-count pages read them (one
            # key lookup each there); two more joins cost every vote ~5 ms
        ).get(pk=pk)
    except (Ballot.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not _in_reach(user, ballot):
        raise Http404
    return ballot


def summons_of(*, user, meeting: Meeting) -> Summons | None:
    if not user.is_authenticated:
        return None
    return meeting.summons.filter(user=user).first()


def has_voted(*, user, ballot: Ballot) -> bool:
    """Whether the user has cast a ballot (never what): a voter may know this of themself."""
    return Participation.objects.filter(ballot=ballot, user=user).exists()


def cast_refusal(*, user, ballot: Ballot, status: str | None = None) -> Refused | None:
    """Why ``user`` may not cast a paper in ``ballot`` now, or None. ``ballot_cast`` raises
    this (with the status it read under its row lock); pages use it before showing a paper."""
    status = ballot.status if status is None else status
    if status != BallotStatus.OPEN or ballot.mode != BallotMode.ELECTRONIC:
        return Conflict(_("This ballot is not open for electronic voting."))
    summons = summons_of(user=user, meeting=ballot.meeting)
    if summons is None or not summons.votes:
        return Forbidden(_("You were not summoned to vote at this meeting."))
    if summons.attendance != Attendance.PRESENT or summons.excluded:
        return Forbidden(_("Only members recorded as present can vote."))
    return None


def vote_refusal(*, user, ballot: Ballot) -> Refused | None:
    """``cast_refusal``, and also "already voted", before showing a ballot paper."""
    refusal = cast_refusal(user=user, ballot=ballot)
    if refusal is None and has_voted(user=user, ballot=ballot):
        return Conflict(_("You have already voted in this ballot."))
    return refusal


def candidate_cadres(*, user, meeting: Meeting) -> QuerySet[Cadre]:
    """Cadres the user may put on a ballot of ``meeting``: in scope and in the meeting's unit
    subtree (the service checks the scope again)."""
    return (
        cadres_for_user(user=user)
        .filter(unit__path__startswith=meeting.unit.path)
        .select_related("unit")
        .order_by("full_name", "pk")
    )


def write_in_cadres(*, user, ballot: Ballot) -> QuerySet[Cadre]:
    """Cadres a voter may name instead of the listed candidates."""
    listed = ballot.candidates.filter(cadre__isnull=False).values("cadre_id")
    return candidate_cadres(user=user, meeting=ballot.meeting).exclude(pk__in=listed)


WRITE_IN_MATCHES = 30
WRITE_IN_TEXT_MAX = 100  # the paper's "Find" box (forms.VoteForm)


def write_in_matches(*, allowed: QuerySet[Cadre], text: str, chosen=()) -> list[Cadre]:
    """The write-in cadres a ballot paper lists, of those it ``allowed`` (``write_in_cadres``):
    those whose name holds ``text`` (diacritics and case ignored; at most
    ``WRITE_IN_MATCHES``), and those already ``chosen`` on it.

    A paper never lists every cadre it would accept: a province's unit subtree holds some
    50,000, which made the paper a megabyte and its rendering most of a vote's cost."""
    found: list[Cadre] = []
    ids = [int(pk) for pk in chosen if str(pk).isdigit()]
    if ids:
        found = list(allowed.filter(pk__in=ids))
    text = (text or "").strip()[:WRITE_IN_TEXT_MAX]  # a look-up is not validated as a form
    if text:
        matching = (
            allowed.alias(plain_name=PlainText("full_name"))
            .filter(plain_name__icontains=unaccent_text(text))
            .exclude(pk__in=[c.pk for c in found])
        )
        found += list(matching[:WRITE_IN_MATCHES])
    return found


def counting_group(*, meeting: Meeting) -> QuerySet[Summons]:
    return meeting.summons.filter(counts_votes=True).select_related("user")


def ballot_for_chair(*, user, ballot_id: int) -> Ballot | None:
    """The ballot if ``user`` chairs its meeting (and may see it), else None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    ballot = (
        Ballot.objects.select_related("meeting").filter(pk=ballot_id, meeting__chair=user).first()
    )
    return ballot if _in_reach(user, ballot) else None
