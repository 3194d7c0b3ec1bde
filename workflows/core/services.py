"""Meetings and ballots: every state change, with its checks and its audit event.

Who may do what:
- organisation-board staff whose scope covers the meeting's unit, or the chair-to-be, create a
  meeting and prepare its ballots;
- only the meeting's chair convenes, records attendance, adjourns, opens and closes ballots and
  records the head's decision on a 50 % tie;
- only summoned voters marked present vote, once;
- only the vote-counting group enters paper counts, and a second member of it confirms them.

Secrecy: ``ballot_cast`` writes the participation and the marks in one transaction and audits
"cast a ballot" without the choice. ``ballot_close`` computes the tally and rewrites the ballot's
marks and participations in random order (docs/ballot-secrecy.md).
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import kinds
from notifications.realtime import push_turnout
from notifications.services import notify
from personnel.audit.actions import Action
from personnel.audit.services import audit_record, created
from personnel.models import Cadre, CommitteeMembership
from personnel.scope_cache import remembered
from personnel.selectors import active_on, cadres_for_user, units_for_user

from . import rules, selectors, tally
from .errors import Conflict, Forbidden, Invalid
from .models import (
    Attendance,
    Ballot,
    BallotKind,
    BallotMode,
    BallotStatus,
    Candidate,
    Choice,
    Denominator,
    Mark,
    Meeting,
    MeetingStatus,
    PaperTally,
    ParameterKey,
    Participation,
    RuleParameter,
    RuleSet,
    Summons,
)

PROCEDURE = "meeting"

# --------------------------------------------------------------------------- rule-sets


def _audit(*, actor, action: Action, target, meeting: Meeting, **extra) -> None:
    """Audit an action on a meeting or one of its ballots, filed under the meeting's unit."""
    audit_record(
        actor=actor,
        action=action,
        target=target,
        unit=meeting.unit_id,
        procedure=PROCEDURE,
        **extra,
    )


@transaction.atomic
def ruleset_new_version(*, actor, base: RuleSet, title: str | None = None) -> RuleSet:
    """A copy of ``base`` as the next version, editable until something runs under it."""
    latest = RuleSet.objects.filter(code=base.code).order_by("-version").first()
    new = RuleSet.objects.create(
        code=base.code,
        version=latest.version + 1,
        title=title or base.title,
        track=base.track,
        citation=base.citation,
        effective_from=base.effective_from,
    )
    RuleParameter.objects.bulk_create(
        RuleParameter(
            ruleset=new,
            key=p.key,
            value=p.value,
            citation=p.citation,
            unverified=p.unverified,
            note=p.note,
        )
        for p in base.parameters.all()
    )
    audit_record(
        actor=actor,
        action=Action.RULESET_CREATE,
        target=new,
        changes={"based_on": [None, base.pk], "version": [None, new.version]},
    )
    return new


@transaction.atomic
def ruleset_parameter_set(
    *, actor, ruleset: RuleSet, key: str, value, citation: str, unverified: bool = False
) -> RuleParameter:
    ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    if ruleset.in_use:
        raise Conflict(
            _("This rule-set version is in use and cannot change; create a new version.")
        )
    rules.validate(key, value)
    parameter = RuleParameter.objects.filter(ruleset=ruleset, key=key).first()
    before = parameter.value if parameter else None
    parameter, _created = RuleParameter.objects.update_or_create(
        ruleset=ruleset,
        key=key,
        defaults={"value": value, "citation": citation, "unverified": unverified},
    )
    audit_record(
        actor=actor,
        action=Action.RULESET_PARAMETER_SET,
        target=ruleset,
        changes={key: [before, value]},
        reason=citation,
    )
    return parameter


def ruleset_mark_in_use(ruleset: RuleSet) -> None:
    """From now on the rule-set is read-only (PostgreSQL enforces it): something runs under it."""
    RuleSet.objects.filter(pk=ruleset.pk, in_use=False).update(in_use=True)


# --------------------------------------------------------------------------- permissions


def is_org_board_for(user, unit) -> bool:
    """Organisation-board staff whose scope covers ``unit``."""
    if not user.is_authenticated:
        return False
    return any(unit.path.startswith(path) for path in selectors.org_board_paths(user))


def is_competent_member(user, meeting: Meeting) -> bool:
    if meeting.competent_body_id is None or not user.is_authenticated:
        return False
    today = timezone.localdate()
    return remembered(
        ("competent member", user.pk, meeting.competent_body_id, today),
        lambda: CommitteeMembership.objects.filter(
            active_on(today), user=user, committee_id=meeting.competent_body_id
        ).exists(),
    )


def require_chair(actor, meeting: Meeting) -> None:
    """Raise ``Forbidden`` unless ``actor`` chairs ``meeting`` (views check it before parsing
    a form, so a non-chair gets 403 whatever they post)."""
    if actor.pk != meeting.chair_id:
        raise Forbidden(_("Only the chair of this meeting can do this."))


# --------------------------------------------------------------------------- meetings


@transaction.atomic
def meeting_create(
    *,
    actor,
    title: str,
    kind: str,
    unit,
    ruleset: RuleSet,
    chair,
    scheduled_at,
    body=None,
    competent_body=None,
    summoned: Iterable | None = None,
    place: str = "",
) -> Meeting:
    if not (is_org_board_for(actor, unit) or actor.pk == chair.pk or actor.is_superuser):
        raise Forbidden(_("Only the organisation board or the chair can call this meeting."))
    if not units_for_user(user=actor).filter(pk=unit.pk).exists():
        raise Forbidden(_("This unit is outside your scope."))
    meeting = Meeting(
        title=title,
        kind=kind,
        unit=unit,
        ruleset=ruleset,
        chair=chair,
        scheduled_at=scheduled_at,
        body=body,
        competent_body=competent_body,
        place=place,
    )
    meeting.full_clean()
    meeting.save()
    ruleset_mark_in_use(ruleset)
    people = list(summoned) if summoned is not None else []
    if not people and body is not None:
        people = [m.user for m in body.memberships.filter(active_on(timezone.localdate()))]
    if chair not in people:
        people.append(chair)
    Summons.objects.bulk_create(Summons(meeting=meeting, user=u) for u in people)
    _audit(
        actor=actor,
        action=Action.MEETING_CREATE,
        target=meeting,
        meeting=meeting,
        changes=created(meeting, ["title", "kind", "ruleset", "chair", "body", "scheduled_at"]),
    )
    notify(
        recipients=[u for u in people if u.pk != actor.pk],
        kind=kinds.MEETING_SUMMONED,
        params={
            "meeting": meeting.title,
            "when": meeting.scheduled_at.isoformat(),
            "place": meeting.place or meeting.unit.name,
        },
        link=_meeting_link(meeting),
    )
    return meeting


def _meeting_link(meeting: Meeting) -> str:
    return reverse("meetings:meeting:detail", kwargs={"meeting_id": meeting.pk})


def _ballot_notify(ballot: Ballot, kind, recipients) -> None:
    link = (
        reverse("meetings:ballot:vote", kwargs={"ballot_id": ballot.pk})
        if kind is kinds.BALLOT_OPENED and ballot.mode == BallotMode.ELECTRONIC
        else _meeting_link(ballot.meeting)
    )
    notify(
        recipients=recipients,
        kind=kind,
        params={"ballot": ballot.title, "meeting": ballot.meeting.title},
        link=link,
    )
    transaction.on_commit(partial(push_turnout, ballot.pk), robust=True)


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


@transaction.atomic
def meeting_convene(*, actor, meeting: Meeting) -> Meeting:
    """Open the session; the summoned list becomes final and attendance is taken afresh."""
    meeting = _locked(meeting)
    require_chair(actor, meeting)
    if meeting.status not in (MeetingStatus.SCHEDULED, MeetingStatus.ADJOURNED):
        raise Conflict(_("The meeting is already in session or closed."))
    if meeting.body_id and meeting.collective_total is None:
        meeting.collective_total = meeting.body.memberships.filter(
            active_on(timezone.localdate())
        ).count()
    meeting.status = MeetingStatus.CONVENED
    meeting.session += 1
    meeting.save(update_fields=["status", "session", "collective_total"])
    meeting.summons.update(attendance=Attendance.UNKNOWN, absence_reason="")
    _audit(
        actor=actor,
        action=Action.MEETING_CONVENE,
        target=meeting,
        meeting=meeting,
        changes={"session": [meeting.session - 1, meeting.session]},
    )
    return meeting


@dataclass(frozen=True)
class AttendanceEntry:
    user_id: int
    attendance: str
    reason: str = ""
    counts_votes: bool = False


@transaction.atomic
def meeting_record_attendance(
    *, actor, meeting: Meeting, entries: Sequence[AttendanceEntry]
) -> Meeting:
    meeting = _locked(meeting)
    require_chair(actor, meeting)
    if meeting.status != MeetingStatus.CONVENED:
        raise Conflict(_("Attendance is taken while the meeting is in session."))
    if meeting.ballots.filter(status=BallotStatus.OPEN).exists():
        raise Conflict(_("Attendance cannot change while a ballot is open."))
    by_user = {s.user_id: s for s in meeting.summons.all()}
    changes = {}
    for entry in entries:
        summons = by_user.get(entry.user_id)
        if summons is None:
            raise Invalid(_("This person was not summoned to the meeting."))
        if entry.attendance == Attendance.ABSENT and not entry.reason.strip():
            raise Invalid(_("Give the reason for every absence."))
        if entry.attendance not in Attendance.values:
            raise Invalid(_("Unknown attendance value."))
        before = summons.attendance
        summons.attendance = entry.attendance
        summons.absence_reason = entry.reason.strip() if entry.attendance == "absent" else ""
        summons.counts_votes = entry.counts_votes
        summons.save(update_fields=["attendance", "absence_reason", "counts_votes"])
        if before != entry.attendance:
            changes[str(entry.user_id)] = [before, entry.attendance]
    _audit(
        actor=actor,
        action=Action.MEETING_ATTENDANCE,
        target=meeting,
        meeting=meeting,
        changes=changes,
    )
    return meeting


@transaction.atomic
def meeting_summons_set(
    *, actor, meeting: Meeting, user_id: int, votes: bool, excluded: bool, reason: str = ""
) -> Summons:
    """Mark a summoned person as an adviser who does not vote (M9), or as excluded from the
    count (summoned-minus-exclusions rule). Chair only, and not while a ballot is open."""
    meeting = _locked(meeting)
    require_chair(actor, meeting)
    if meeting.status == MeetingStatus.CLOSED:
        raise Conflict(_("The meeting is closed."))
    if meeting.ballots.filter(status__in=[BallotStatus.OPEN, BallotStatus.COUNTED]).exists():
        raise Conflict(_("Attendance cannot change while a ballot is open."))
    summons = meeting.summons.filter(user_id=user_id).first()
    if summons is None:
        raise Invalid(_("This person was not summoned to the meeting."))
    if excluded and not reason.strip():
        raise Invalid(_("Give the reason for the exclusion."))
    before = {"votes": summons.votes, "excluded": summons.excluded}
    summons.votes, summons.excluded = votes, excluded
    summons.save(update_fields=["votes", "excluded"])
    _audit(
        actor=actor,
        action=Action.MEETING_ATTENDANCE,
        target=meeting,
        meeting=meeting,
        changes={
            f"{user_id}.{k}": [before[k], v]
            for k, v in {"votes": votes, "excluded": excluded}.items()
            if before[k] != v
        },
        reason=reason.strip(),
    )
    return summons


@dataclass(frozen=True)
class Quorum:
    summoned: int
    present: int
    needed: int
    met: bool


def meeting_quorum(meeting: Meeting) -> Quorum:
    voters = meeting.summons.filter(votes=True)
    summoned = voters.count()
    present = voters.filter(attendance=Attendance.PRESENT).count()
    numerator, denominator = rules.fraction(meeting.ruleset, ParameterKey.QUORUM)
    return Quorum(
        summoned=summoned,
        present=present,
        needed=tally.quorum_needed(summoned=summoned, numerator=numerator, denominator=denominator),
        met=tally.quorum_met(
            summoned=summoned, present=present, numerator=numerator, denominator=denominator
        ),
    )


@transaction.atomic
def meeting_adjourn(*, actor, meeting: Meeting, reason: str) -> Meeting:
    meeting = _locked(meeting)
    require_chair(actor, meeting)
    if meeting.status != MeetingStatus.CONVENED:
        raise Conflict(_("Only a meeting in session can be adjourned."))
    if meeting.ballots.filter(status=BallotStatus.OPEN).exists():
        raise Conflict(_("Close the open ballot before adjourning."))
    if not reason.strip():
        raise Invalid(_("Give the reason for adjourning."))
    meeting.status = MeetingStatus.ADJOURNED
    meeting.save(update_fields=["status"])
    _audit(
        actor=actor,
        action=Action.MEETING_ADJOURN,
        target=meeting,
        meeting=meeting,
        reason=reason,
    )
    return meeting


@transaction.atomic
def meeting_close(*, actor, meeting: Meeting) -> Meeting:
    meeting = _locked(meeting)
    require_chair(actor, meeting)
    if meeting.status == MeetingStatus.CLOSED:
        raise Conflict(_("The meeting is already closed."))
    if meeting.ballots.filter(status__in=[BallotStatus.OPEN, BallotStatus.COUNTED]).exists():
        raise Conflict(_("Every ballot must be closed first."))
    meeting.status = MeetingStatus.CLOSED
    meeting.save(update_fields=["status"])
    _audit(
        actor=actor,
        action=Action.MEETING_CLOSE,
        target=meeting,
        meeting=meeting,
    )
    return meeting


# --------------------------------------------------------------------------- ballots

_DENOMINATOR_KEY = {
    BallotKind.NOMINATION: ParameterKey.NOMINATION_DENOMINATOR,
    BallotKind.APPROVAL: ParameterKey.APPROVAL_DENOMINATOR,
    BallotKind.CONFIDENCE: ParameterKey.CONFIDENCE_DENOMINATOR,
}


@transaction.atomic
def ballot_create(
    *,
    actor,
    meeting: Meeting,
    kind: str,
    mode: str,
    title: str,
    cadres: Sequence[Cadre] = (),
    motion: str = "",
    seats: int = 1,
) -> Ballot:
    meeting = _locked(meeting)
    if not (actor.pk == meeting.chair_id or is_org_board_for(actor, meeting.unit)):
        raise Forbidden(_("Only the chair or the organisation board can prepare ballots."))
    if meeting.status == MeetingStatus.CLOSED:
        raise Conflict(_("The meeting is closed."))
    if kind == BallotKind.APPROVAL and not (cadres or motion.strip()):
        raise Invalid(_("An approval ballot needs a candidate or a motion."))
    if kind in (BallotKind.NOMINATION, BallotKind.CONFIDENCE) and not cadres:
        raise Invalid(_("List at least one candidate."))
    if kind != BallotKind.APPROVAL and motion.strip():
        raise Invalid(_("A motion is put only to an approval ballot."))
    if len(set(c.pk for c in cadres)) != len(cadres):
        raise Invalid(_("A candidate is listed twice."))
    in_scope = set(
        cadres_for_user(user=actor)
        .filter(pk__in=[c.pk for c in cadres])
        .values_list("pk", flat=True)
    )
    if len(in_scope) != len(cadres):
        raise Invalid(_("A candidate is outside your scope."))
    sealed = meeting.kind in rules.get(meeting.ruleset, ParameterKey.SEALED_MEETINGS)
    denominator = rules.get(meeting.ruleset, _DENOMINATOR_KEY[BallotKind(kind)])
    if denominator == Denominator.COLLECTIVE_TOTAL and meeting.body_id is None:
        raise Invalid(
            _(
                "This vote counts the collective's total membership, which an ad-hoc roster "
                "does not have: call the meeting for the collective."
            )
        )
    ballot = Ballot(
        meeting=meeting,
        kind=kind,
        mode=mode,
        title=title,
        seats=seats,
        sealed=sealed,
        denominator=denominator,
    )
    ballot.full_clean()
    ballot.save()
    Candidate.objects.bulk_create(
        [Candidate(ballot=ballot, cadre=c, order=i) for i, c in enumerate(cadres)]
        + (
            [Candidate(ballot=ballot, label=motion.strip(), order=len(cadres))]
            if motion.strip()
            else []
        )
    )
    _audit(
        actor=actor,
        action=Action.BALLOT_CREATE,
        target=ballot,
        meeting=meeting,
        changes={
            "kind": [None, kind],
            "mode": [None, mode],
            "candidates": [None, [c.pk for c in cadres]],
            "sealed": [None, sealed],
        },
    )
    return ballot


def _locked_ballot(ballot: Ballot) -> Ballot:
    return Ballot.objects.select_for_update().select_related("meeting").get(pk=ballot.pk)


def eligible_voters(meeting: Meeting):
    return meeting.summons.filter(votes=True, attendance=Attendance.PRESENT, excluded=False)


@transaction.atomic
def ballot_open(*, actor, ballot: Ballot) -> Ballot:
    ballot = _locked_ballot(ballot)
    meeting = ballot.meeting
    require_chair(actor, meeting)
    if ballot.status != BallotStatus.DRAFT:
        raise Conflict(_("This ballot has already been opened."))
    if meeting.status != MeetingStatus.CONVENED:
        raise Conflict(_("A ballot opens only while the meeting is in session."))
    if meeting.ballots.filter(status=BallotStatus.OPEN).exclude(pk=ballot.pk).exists():
        raise Conflict(_("Close the other open ballot first."))
    quorum = meeting_quorum(meeting)
    if not quorum.met:
        raise Conflict(
            _("No quorum: %(present)s of %(summoned)s present, %(needed)s needed.")
            % {"present": quorum.present, "summoned": quorum.summoned, "needed": quorum.needed}
        )
    ballot.status = BallotStatus.OPEN
    ballot.issued = eligible_voters(meeting).count()
    ballot.save(update_fields=["status", "issued"])
    _audit(
        actor=actor,
        action=Action.BALLOT_OPEN,
        target=ballot,
        meeting=meeting,
        changes={"present": [None, quorum.present], "summoned": [None, quorum.summoned]},
    )
    # Everyone present who may vote, the same list whether or not they vote later.
    _ballot_notify(
        ballot,
        kinds.BALLOT_OPENED,
        eligible_voters(meeting).values_list("user_id", flat=True),
    )
    return ballot


@dataclass(frozen=True)
class PaperMark:
    """One judgement on the paper: a candidate id (or a cadre written in) and a choice."""

    choice: str
    candidate_id: int | None = None
    write_in_cadre_id: int | None = None


def _validate_paper(ballot: Ballot, marks: Sequence[PaperMark], actor) -> list[PaperMark]:
    candidates = {c.pk: c for c in ballot.candidates.all()}
    if ballot.kind == BallotKind.NOMINATION:
        if not 1 <= len(marks) <= ballot.seats:
            raise Invalid(_("Name one person for each post (or abstain)."))
        if any(m.choice not in (Choice.NOMINATE, Choice.ABSTAIN) for m in marks):
            raise Invalid(_("A nomination paper only names people."))
        # A listed candidate written in by name is still that candidate.
        listed = {c.cadre_id: pk for pk, c in candidates.items() if c.cadre_id}
        named = [
            m.candidate_id or listed.get(m.write_in_cadre_id, ("w", m.write_in_cadre_id))
            for m in marks
            if m.choice == Choice.NOMINATE
        ]
        if len(set(named)) != len(named):
            raise Invalid(_("The same person is named twice."))
        for m in marks:
            if m.choice == Choice.ABSTAIN:
                if m.candidate_id is not None or m.write_in_cadre_id is not None:
                    raise Invalid(_("An abstention names nobody."))
                continue
            if m.candidate_id is not None and m.candidate_id not in candidates:
                raise Invalid(_("This candidate is not on the ballot."))
            if m.candidate_id is None:
                if m.write_in_cadre_id is None:
                    raise Invalid(_("Choose a candidate or name another cadre."))
                if not cadres_for_user(user=actor).filter(pk=m.write_in_cadre_id).exists():
                    raise Invalid(_("The person named is not an eligible cadre."))
        return list(marks)
    allowed = (
        {Choice.HIGH, Choice.CONFIDENCE, Choice.LOW, Choice.ABSTAIN}
        if ballot.kind == BallotKind.CONFIDENCE
        else {Choice.APPROVE, Choice.DISAPPROVE, Choice.ABSTAIN}
    )
    given = {m.candidate_id for m in marks}
    if given != set(candidates) or len(marks) != len(candidates):
        raise Invalid(_("Give exactly one answer for each candidate."))
    if any(m.choice not in allowed for m in marks):
        raise Invalid(_("That answer is not possible on this ballot."))
    return list(marks)


def ballot_cast(*, actor, ballot: Ballot, marks: Sequence[PaperMark]) -> None:
    """Record one member's ballot: final once cast. Refusals say why, never what was chosen."""
    try:
        with transaction.atomic():
            _cast(actor=actor, ballot=ballot, marks=marks)
    except IntegrityError as exc:
        if "one_ballot_per_member" in str(exc):
            raise Conflict(_("You have already voted in this ballot.")) from None
        raise


def _cast(*, actor, ballot: Ballot, marks: Sequence[PaperMark]) -> None:
    with connection.cursor() as cursor:
        # Votes share the ballot row; closing takes it exclusively, so no vote lands after close.
        cursor.execute("SELECT status FROM core_ballot WHERE id = %s FOR SHARE", [ballot.pk])
        row = cursor.fetchone()
    if row is None:
        raise Invalid(_("No such ballot."))
    ballot = Ballot.objects.select_related("meeting").get(pk=ballot.pk)
    refusal = selectors.cast_refusal(user=actor, ballot=ballot, status=row[0])
    if refusal is not None:
        raise refusal
    marks = _validate_paper(ballot, marks, actor)
    Participation.objects.create(ballot=ballot, user=actor)
    write_ins = {}
    for m in marks:
        if m.choice == Choice.NOMINATE and m.candidate_id is None:
            candidate, _created = Candidate.objects.get_or_create(
                ballot=ballot,
                cadre_id=m.write_in_cadre_id,
                defaults={"written_in": True, "order": 1000},
            )
            write_ins[m.write_in_cadre_id] = candidate.pk
    Mark.objects.bulk_create(
        Mark(
            ballot=ballot,
            candidate_id=m.candidate_id or write_ins.get(m.write_in_cadre_id),
            choice=m.choice,
        )
        for m in marks
    )
    # "X cast a ballot in B" — never the choice.
    _audit(
        actor=actor,
        action=Action.BALLOT_CAST,
        target=ballot,
        meeting=ballot.meeting,
    )
    # The chair's console learns that the count moved (it re-reads the count; no names).
    transaction.on_commit(partial(push_turnout, ballot.pk), robust=True)


@dataclass(frozen=True)
class Turnout:
    voted: int
    eligible: int


def ballot_turnout(*, actor, ballot: Ballot) -> Turnout:
    """How many have voted — the only thing anyone (the chair) sees while a ballot is open."""
    require_chair(actor, ballot.meeting)
    return Turnout(
        voted=ballot.participations.count(),
        eligible=ballot.issued
        if ballot.issued is not None
        else eligible_voters(ballot.meeting).count(),
    )


def _counts(ballot: Ballot) -> tally.Counts:
    meeting = ballot.meeting
    voters = meeting.summons.filter(votes=True)
    return tally.Counts(
        summoned=voters.count(),
        present=voters.filter(attendance=Attendance.PRESENT).count(),
        excluded=voters.filter(excluded=True).count(),
        collective_total=meeting.collective_total,
        valid=ballot.valid or 0,
    )


def _outcome(ballot: Ballot, per_candidate: dict[int, Counter]) -> dict:
    """The outcome with the rule applied, from counts per candidate and choice."""
    ruleset = ballot.meeting.ruleset
    counts = _counts(ballot)
    denominator = tally.denominator_value(ballot.denominator, counts)
    candidates = list(ballot.candidates.select_related("cadre"))
    rows = [
        {
            "candidate": c.pk,
            "name": str(c),
            "written_in": c.written_in,
            "counts": dict(per_candidate.get(c.pk, Counter())),
        }
        for c in candidates
    ]
    outcome = {
        "denominator": {"rule": ballot.denominator, "value": denominator},
        "counts": {
            "summoned": counts.summoned,
            "present": counts.present,
            "excluded": counts.excluded,
            "collective_total": counts.collective_total,
            "issued": ballot.issued,
            "returned": ballot.returned,
            "valid": ballot.valid,
            "invalid": ballot.invalid,
            "abstained": sum(c.get(Choice.ABSTAIN, 0) for c in per_candidate.values()),
        },
        "candidates": rows,
    }
    if ballot.kind == BallotKind.NOMINATION:
        votes = {
            c.pk: per_candidate.get(c.pk, Counter()).get(Choice.NOMINATE, 0) for c in candidates
        }
        outcome["result"] = tally.nomination(
            votes,
            denominator=denominator,
            seats=ballot.seats,
            carry_forward=rules.get(ruleset, ParameterKey.CARRY_FORWARD),
        )
        outcome["rule"] = "more_than_half_else_carry_forward"
    elif ballot.kind == BallotKind.APPROVAL:
        outcome["result"] = {
            str(c.pk): tally.collective_decision(
                per_candidate.get(c.pk, Counter()).get(Choice.APPROVE, 0), denominator=denominator
            )
            for c in candidates
        }
        outcome["rule"] = "more_than_half_tie_to_head"
    else:
        bars = rules.get(ruleset, ParameterKey.CONFIDENCE_LOW_BARS)
        outcome["result"] = {
            str(c.pk): tally.confidence(
                per_candidate.get(c.pk, Counter()).get(Choice.LOW, 0),
                denominator=denominator,
                not_considered=(
                    bars["not_considered"]["numerator"],
                    bars["not_considered"]["denominator"],
                ),
                dismissal=(bars["dismissal"]["numerator"], bars["dismissal"]["denominator"]),
            )
            for c in candidates
        }
        outcome["rule"] = "confidence_low_bars"
    outcome["needs_head_decision"] = ballot.kind == BallotKind.APPROVAL and any(
        v == "tied" for v in outcome["result"].values()
    )
    return outcome


def _shuffle_secret_rows(ballot: Ballot) -> None:
    """Rewrite marks and participations in random order in this transaction: afterwards
    neither physical order nor transaction ids relate a mark to a participation."""
    rng = secrets.SystemRandom()
    marks = list(Mark.objects.filter(ballot=ballot).values_list("candidate_id", "choice"))
    people = list(Participation.objects.filter(ballot=ballot).values_list("user_id", flat=True))
    rng.shuffle(marks)
    rng.shuffle(people)
    Mark.objects.filter(ballot=ballot).delete()
    Participation.objects.filter(ballot=ballot).delete()
    Mark.objects.bulk_create(Mark(ballot=ballot, candidate_id=c, choice=x) for c, x in marks)
    Participation.objects.bulk_create(Participation(ballot=ballot, user_id=u) for u in people)
    # A written-in candidate was inserted by the first voter who named them: rewrite the row
    # too, or its transaction id would still point at that voter's "cast" audit event.
    Candidate.objects.filter(ballot=ballot, written_in=True).update(written_in=True)


@transaction.atomic
def ballot_close(*, actor, ballot: Ballot) -> Ballot:
    """Close voting. Electronic: count and decide now. Paper: wait for the counting group."""
    ballot = _locked_ballot(ballot)
    require_chair(actor, ballot.meeting)
    if ballot.status != BallotStatus.OPEN:
        raise Conflict(_("This ballot is not open."))
    if ballot.mode == BallotMode.PAPER:
        raise Conflict(_("A paper ballot closes when the counting group's counts are confirmed."))
    voted = ballot.participations.count()
    per_candidate: dict[int, Counter] = {}
    for candidate_id, choice in Mark.objects.filter(ballot=ballot).values_list(
        "candidate_id", "choice"
    ):
        per_candidate.setdefault(candidate_id, Counter())[choice] += 1
    ballot.returned = voted
    ballot.valid = voted
    ballot.invalid = 0
    ballot.turnout = voted
    ballot.outcome = _outcome(ballot, per_candidate)
    ballot.status = BallotStatus.CLOSED
    ballot.save(update_fields=["returned", "valid", "invalid", "turnout", "outcome", "status"])
    _shuffle_secret_rows(ballot)
    _audit(
        actor=actor,
        action=Action.BALLOT_CLOSE,
        target=ballot,
        meeting=ballot.meeting,
        # Turnout only: results of sealed steps must not reach the audit explorer.
        changes={"status": [BallotStatus.OPEN, BallotStatus.CLOSED], "turnout": [None, voted]},
    )
    _notify_closed(ballot)
    return ballot


def _notify_closed(ballot: Ballot) -> None:
    # Every voting member summoned, voted or not: the list says nothing about who voted.
    _ballot_notify(
        ballot,
        kinds.BALLOT_CLOSED,
        ballot.meeting.summons.filter(votes=True).values_list("user_id", flat=True),
    )


@dataclass(frozen=True)
class PaperCounts:
    issued: int
    returned: int
    valid: int
    invalid: int
    per_candidate: dict[tuple[int, str], int]  # (candidate id, choice) -> count


def _require_counting_group(actor, ballot: Ballot) -> None:
    summons = selectors.summons_of(user=actor, meeting=ballot.meeting)
    if summons is None or not summons.counts_votes:
        raise Forbidden(_("Only the vote-counting group enters paper counts."))


@transaction.atomic
def ballot_paper_enter(*, actor, ballot: Ballot, counts: PaperCounts) -> Ballot:
    ballot = _locked_ballot(ballot)
    _require_counting_group(actor, ballot)
    if ballot.mode != BallotMode.PAPER or ballot.status not in (
        BallotStatus.OPEN,
        BallotStatus.COUNTED,
    ):
        raise Conflict(_("Counts are entered for an open paper ballot."))
    present = eligible_voters(ballot.meeting).count()
    if not (counts.valid + counts.invalid == counts.returned <= counts.issued <= present):
        raise Invalid(
            _(
                "The counts do not add up: valid + invalid must equal returned, and returned ≤ "
                "issued ≤ present (%(present)s)."
            )
            % {"present": present}
        )
    candidate_ids = set(ballot.candidates.values_list("pk", flat=True))
    # (None, "abstain") counts blank papers; every other count names a candidate.
    if any(
        cid not in candidate_ids and not (cid is None and choice == Choice.ABSTAIN)
        for cid, choice in counts.per_candidate
    ):
        raise Invalid(_("A count names a candidate who is not on the ballot."))
    if any(n < 0 for n in counts.per_candidate.values()):
        raise Invalid(_("Counts cannot be negative."))
    _check_paper_totals(ballot, counts)
    ballot.issued, ballot.returned = counts.issued, counts.returned
    ballot.valid, ballot.invalid = counts.valid, counts.invalid
    ballot.entered_by = actor
    ballot.confirmed_by = None
    ballot.status = BallotStatus.COUNTED
    ballot.save(
        update_fields=[
            "issued",
            "returned",
            "valid",
            "invalid",
            "entered_by",
            "confirmed_by",
            "status",
        ]
    )
    PaperTally.objects.filter(ballot=ballot).delete()
    PaperTally.objects.bulk_create(
        PaperTally(ballot=ballot, candidate_id=cid, choice=choice, count=n)
        for (cid, choice), n in counts.per_candidate.items()
    )
    _audit(
        actor=actor,
        action=Action.BALLOT_COUNTS_ENTER,
        target=ballot,
        meeting=ballot.meeting,
        changes={"returned": [None, counts.returned], "valid": [None, counts.valid]},
    )
    return ballot


def _check_paper_totals(ballot: Ballot, counts: PaperCounts) -> None:
    """Per-candidate counts must fit the valid ballots (one mark per post / per candidate)."""
    per: dict[int, int] = {}
    for (cid, _choice), n in counts.per_candidate.items():
        per[cid] = per.get(cid, 0) + n
    if ballot.kind == BallotKind.NOMINATION:
        total = sum(n for (_c, ch), n in counts.per_candidate.items() if ch == Choice.NOMINATE)
        if total > counts.valid * ballot.seats:
            raise Invalid(_("More nominations counted than valid ballots allow."))
    elif any(n > counts.valid for n in per.values()):
        raise Invalid(_("A candidate has more answers than there are valid ballots."))


@transaction.atomic
def ballot_paper_confirm(*, actor, ballot: Ballot) -> Ballot:
    ballot = _locked_ballot(ballot)
    _require_counting_group(actor, ballot)
    if ballot.status != BallotStatus.COUNTED:
        raise Conflict(_("There are no counts awaiting confirmation."))
    if ballot.entered_by_id == actor.pk:
        raise Forbidden(_("A second member of the counting group must confirm the counts."))
    per_candidate: dict[int, Counter] = {}
    for t in ballot.paper_tallies.all():
        per_candidate.setdefault(t.candidate_id, Counter())[t.choice] += t.count
    ballot.confirmed_by = actor
    ballot.turnout = ballot.returned
    ballot.outcome = _outcome(ballot, per_candidate)
    ballot.status = BallotStatus.CLOSED
    ballot.save(update_fields=["confirmed_by", "turnout", "outcome", "status"])
    _audit(
        actor=actor,
        action=Action.BALLOT_COUNTS_CONFIRM,
        target=ballot,
        meeting=ballot.meeting,
        changes={"status": [BallotStatus.COUNTED, BallotStatus.CLOSED]},
    )
    _notify_closed(ballot)
    return ballot


@transaction.atomic
def ballot_head_decide(*, actor, ballot: Ballot, decision: str, differing_opinions: str) -> Ballot:
    """Exactly 50 %: the head decides and reports every differing opinion (I-3)."""
    ballot = _locked_ballot(ballot)
    require_chair(actor, ballot.meeting)
    if ballot.status != BallotStatus.CLOSED or not ballot.outcome.get("needs_head_decision"):
        raise Conflict(_("This ballot does not await a decision of the head."))
    if ballot.head_decision:
        raise Conflict(_("The head has already decided."))
    if not decision.strip() or not differing_opinions.strip():
        raise Invalid(_("Write the decision and the report of the differing opinions."))
    ballot.head_decision = decision.strip()
    ballot.differing_opinions = differing_opinions.strip()
    ballot.save(update_fields=["head_decision", "differing_opinions"])
    _audit(
        actor=actor,
        action=Action.BALLOT_HEAD_DECISION,
        target=ballot,
        meeting=ballot.meeting,
        reason=decision,
    )
    return ballot


# --------------------------------------------------------------------------- visibility


def can_see_results(*, user, ballot: Ballot) -> bool:
    """Nobody before close. Sealed: the organisation board and the competent body. Announced:
    also everyone summoned."""
    if ballot.status != BallotStatus.CLOSED:
        return False
    meeting = ballot.meeting
    if is_org_board_for(user, meeting.unit) or is_competent_member(user, meeting):
        return True
    if user.pk == meeting.chair_id and ballot.outcome.get("needs_head_decision"):
        return True  # the head must see a tie to decide it (I-3), sealed or not
    if ballot.sealed:
        return False
    return meeting.summons.filter(user=user).exists()


@transaction.atomic
def ballot_results_view(*, user, ballot: Ballot) -> Ballot:
    """The results for a reader allowed to see them; reading sealed results is audited."""
    if not can_see_results(user=user, ballot=ballot):
        raise Forbidden(_("The results of this ballot are not available to you."))
    if ballot.sealed:
        _audit(
            actor=user,
            action=Action.BALLOT_RESULTS_VIEW,
            target=ballot,
            meeting=ballot.meeting,
        )
    return ballot
