"""``seed_demo_planning``: the demo province has a planning review at the standing committee's
vote, with a ballot open for the demo committee members, and the removals the nightly scan
proposes — built through the services (issue #7), once, and only in demo mode.

The demo province is seeded once for the module (``seed_demo``, every procedure's demo data
included) inside a transaction that is rolled back at the end; each test runs in its own
savepoint inside it.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from personnel.audit.models import AuditEvent
from personnel.audit.verify import verify_chain
from personnel.demo import DEMO_USERS
from personnel.models import PlanningEntry, PlanningStatus, PoliticalStandardConclusion, User
from workflows.core import rules
from workflows.core import services as core
from workflows.core.models import (
    Ballot,
    BallotKind,
    BallotStatus,
    Choice,
    Meeting,
    MeetingStatus,
    ParameterKey,
    Participation,
)
from workflows.core.selectors import cast_refusal
from workflows.planning import demo, selectors, services
from workflows.planning.models import (
    AUTOMATIC,
    CandidateStatus,
    PlanningReview,
    RemovalProposal,
    RemovalStatus,
    ReviewCandidate,
    ReviewStep,
    Stage,
    StepCode,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """``seed_demo`` (the registry, then every procedure's demo data), once; its stderr."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            err = io.StringIO()
            call_command("seed_demo", verbosity=0, stderr=err)
            yield err.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _review() -> PlanningReview:
    review = demo.existing()
    assert review is not None
    return review


def _open_ballot(review: PlanningReview) -> Ballot:
    (row,) = review.steps.filter(code=StepCode.STANDING, ballot__status=BallotStatus.OPEN)
    return row.ballot


def test_the_demo_review_waits_for_the_standing_committee(seeded):
    assert seeded == ""  # nothing skipped, no service refused
    review = _review()
    assert (review.term_start_year, review.term_end_year) == (2030, 2035)
    assert review.unit.code == "demo-province"
    assert review.stage == Stage.NOMINATED
    assert services.current_step(review) == StepCode.STANDING
    assert review.opened_by.username == review.submitted_by.username == "tochuc"
    assert review.competent_body == review.standing
    assert selectors.competent_chair(review).username == "chutich"

    # the source list: several posts, each cadre through every blocking gate, caps kept
    candidates = list(selectors.active_candidates(review))
    posts = {c.position_id for c in candidates}
    assert len(posts) >= 3 and len(candidates) >= len(posts)
    logins = {d.username for d in DEMO_USERS}
    caps = rules.get(review.ruleset, ParameterKey.PLANNING_CAPS)
    for candidate in candidates:
        assert candidate.gates and not [g for g in candidate.gates if g["blocking"]]
        assert candidate.position.managing_committee_id == review.standing_id
        assert not (candidate.cadre.user_id and candidate.cadre.user.username in logins)
    for post in posts:
        approved = selectors.approved_entries(term_start_year=2030).filter(position_id=post)
        on_list = sum(1 for c in candidates if c.position_id == post)
        assert approved.count() + on_list <= caps["per_position"]

    # the leadership collective and the key officials are recorded; key officials sealed
    leadership = review.steps.get(code=StepCode.LEADERSHIP)
    assert leadership.outcome["result"] == "approved" and leadership.recorded_at
    nominations = list(review.steps.filter(code=StepCode.KEY_OFFICIALS))
    assert {s.position_id for s in nominations} == posts
    for step in nominations:
        assert step.recorded_at is not None
        assert step.ballot.kind == BallotKind.NOMINATION and step.ballot.sealed
        assert step.ballot.status == BallotStatus.CLOSED
    # a sealed result is not for a summoned member outside the board and the competent body
    caolanh = _user("caolanh")
    assert not core.can_see_results(user=caolanh, ballot=nominations[0].ballot)

    # the standing committee in session: every post's ballot closed but the last, which is open
    standing = list(review.steps.filter(code=StepCode.STANDING).select_related("ballot"))
    assert {s.position_id for s in standing} == posts
    assert all(s.recorded_at is None for s in standing)
    meeting = standing[0].meeting
    assert meeting.status == MeetingStatus.CONVENED and meeting.body == review.standing
    statuses = sorted(s.ballot.status for s in standing)
    assert statuses == [BallotStatus.CLOSED] * (len(standing) - 1) + [BallotStatus.OPEN]
    ballot = _open_ballot(review)
    for username in ("uyvien", "chutich"):
        voter = _user(username)
        assert cast_refusal(user=voter, ballot=ballot) is None  # present, summoned to vote
        assert not Participation.objects.filter(ballot=ballot, user=voter).exists()
    assert Participation.objects.filter(ballot=ballot).count() > 0  # the others have voted
    on_ballot = set(ballot.candidates.values_list("cadre_id", flat=True))
    step = ReviewStep.objects.get(ballot=ballot)
    assert on_ballot == {c.cadre_id for c in candidates if c.position_id == step.position_id}

    # audit events for what was built, by whom; the vote of each member, never the choice
    events = AuditEvent.objects.filter(process_id=review.pk, procedure="planning")
    assert events.get(action="planning.review_open").actor.username == "tochuc"
    assert events.filter(action="planning.propose").count() == review.candidates.count()
    assert events.filter(action="planning.list_submit").count() == 1
    assert events.filter(action="planning.step").count() == 2
    casts = AuditEvent.objects.filter(action="ballot.cast", target_id=str(ballot.pk))
    assert casts.count() == Participation.objects.filter(ballot=ballot).count()

    # the demo logins of the province see it; a district member and a plain cadre do not
    for username in ("tochuc", "chutich", "uyvien"):
        assert selectors.reviews_for_user(user=_user(username)).filter(pk=review.pk).exists()
    for username in ("caolanh", "canbo"):
        assert not selectors.reviews_for_user(user=_user(username)).exists()
    assert verify_chain().ok


def test_the_demo_has_removals_for_the_board_to_confirm(seeded):
    removals = list(RemovalProposal.objects.filter(state=RemovalStatus.OPEN))
    assert removals
    board = _user("tochuc")
    for removal in removals:
        assert removal.kind in AUTOMATIC and removal.proposed_by is None
        assert removal.entry.status == PlanningStatus.APPROVED
        assert {g.kind for g in services.grounds_now(removal.entry)} >= {removal.kind}
        task = removal.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]).get()
        assert task.flow_task.name == "confirm"
        assert selectors.removals_for_user(user=board).filter(pk=removal.pk).exists()
        assert AuditEvent.objects.filter(
            action="planning.removal", process_id=removal.pk, actor__isnull=True
        ).exists()


def test_the_demo_logins_can_finish_the_review(seeded):
    review = _review()
    ballot = _open_ballot(review)
    chutich, uyvien, tochuc = _user("chutich"), _user("uyvien"), _user("tochuc")
    rows = list(ballot.candidates.values_list("pk", flat=True))
    for voter in (uyvien, chutich):
        core.ballot_cast(
            actor=voter, ballot=ballot, marks=[core.PaperMark(Choice.APPROVE, pk) for pk in rows]
        )
    core.ballot_close(actor=chutich, ballot=ballot)
    core.meeting_close(actor=chutich, meeting=ballot.meeting)
    services.step_record(actor=tochuc, review=review)
    review = services.review_decide(
        actor=chutich, review=review, approve=True, decision_ref="512-QĐ/TU"
    )
    assert review.stage == Stage.APPROVED
    review = services.review_publish(actor=tochuc, review=review)
    planned = review.candidates.filter(status=CandidateStatus.PLANNED).select_related("entry")
    assert planned.exists()
    for candidate in planned:
        assert candidate.entry.status == PlanningStatus.APPROVED
        assert candidate.entry.term_start_year == 2030
    assert selectors.published_plan_for_user(user=uyvien).count() == planned.count()


def _counts() -> dict:
    models = (
        PlanningReview,
        ReviewCandidate,
        ReviewStep,
        RemovalProposal,
        Meeting,
        Ballot,
        Participation,
        Task,
        PlanningEntry,
        PoliticalStandardConclusion,
        AuditEvent,
    )
    return {m.__name__: m.objects.count() for m in models}


def test_seeding_again_creates_nothing(seeded):
    before = _counts()
    assert before["PlanningReview"] == 1
    out = io.StringIO()
    call_command("seed_demo_planning", stdout=out)
    assert _counts() == before
    assert "already present" in out.getvalue()


def test_refused_outside_demo_mode(settings):
    settings.CADREFLOW_DEMO_MODE = False
    before = _counts()
    with pytest.raises(CommandError, match="CADREFLOW_DEMO_MODE"):
        call_command("seed_demo_planning", verbosity=0)
    assert _counts() == before


def test_refused_without_the_demo_logins():
    # Whether or not the module's seed exists: the demo committee member's login is gone.
    User.objects.filter(username="uyvien").update(is_active=False)
    before = _counts()
    with pytest.raises(CommandError, match="Run seed_demo first"):
        call_command("seed_demo_planning", verbosity=0)
    assert _counts() == before


def test_seeding_again_keeps_what_the_board_decided(seeded):
    """The removals confirmed by the board are not proposed anew, the review is not touched."""
    tochuc = _user("tochuc")
    for removal in RemovalProposal.objects.filter(state=RemovalStatus.OPEN):
        services.removal_confirm(actor=tochuc, removal=removal, note="Đúng quy định.")
    assert not RemovalProposal.objects.filter(state=RemovalStatus.OPEN).exists()
    before = _counts()
    call_command("seed_demo_planning", verbosity=0)
    assert _counts() == before
    assert not RemovalProposal.objects.filter(state=RemovalStatus.OPEN).exists()
