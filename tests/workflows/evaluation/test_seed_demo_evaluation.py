"""``seed_demo_evaluation``: the demo province has an evaluation campaign under way, built
through the services (issue #7), once, and only in demo mode.

The demo province is seeded once for the module (``seed_demo``, every procedure's demo data
included) inside a transaction that is rolled back at the end; each test runs in its own
savepoint inside it.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from notifications.models import Notification
from personnel.audit.models import AuditEvent
from personnel.audit.verify import verify_chain
from personnel.models import EvaluationLevel, User
from workflows.core.models import Deadline
from workflows.evaluation import demo, selectors, services
from workflows.evaluation.models import (
    CampaignStage,
    Evaluation,
    EvaluationCampaign,
    EvaluationComplaint,
    EvaluationState,
    Subject,
)

pytestmark = pytest.mark.django_db

S = EvaluationState


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


def _campaign() -> EvaluationCampaign:
    campaign = demo.existing()
    assert campaign is not None
    return campaign


def test_the_demo_has_a_campaign_under_way(seeded):
    assert seeded == ""  # nothing skipped, no service refused
    campaign = _campaign()
    assert campaign.title == "Đánh giá, xếp loại chất lượng năm 2026"
    assert (campaign.period, campaign.year, campaign.stage) == ("year", 2026, CampaignStage.OPEN)
    assert campaign.unit.code == "demo-province"
    assert campaign.opened_by.username == "tochuc"
    assert set(campaign.units.values_list("code", flat=True)) == {
        "demo-caolanh",
        "demo-caolanh-pnv",
    }
    evaluations = list(campaign.evaluations.select_related("cadre__user", "committee"))
    counts = demo.state_counts(campaign)
    # every step has something waiting, nothing is published or excused
    for state in (S.DRAFT, S.SELF_RATED, S.UNDER_APPRAISAL, S.PROPOSED, S.DECIDED):
        assert counts.get(state, 0) > 0, state
    assert counts[S.REEVALUATION] == 1
    assert set(counts) <= {
        S.DRAFT,
        S.SELF_RATED,
        S.UNDER_APPRAISAL,
        S.PROPOSED,
        S.DECIDED,
        S.REEVALUATION,
    }
    assert sum(counts.values()) == len(evaluations)

    # the collective (the city's standing committee) is decided: its members may follow
    (collective,) = [e for e in evaluations if e.subject == Subject.COLLECTIVE]
    assert collective.committee.name == "Ban Thường vụ Thành ủy Cao Lãnh"
    assert collective.state == S.DECIDED
    assert collective.decided_by.username == "chutich"
    assert collective.self_assessed_by == selectors.chair_of(collective.committee)

    for evaluation in evaluations:
        if evaluation.state == S.DRAFT:
            assert evaluation.self_assessed_at is None
            assert evaluation.deadline.met_at is None  # the limit still runs
            continue
        # who filed: the cadre's own account, else the board's paper review
        person = selectors.self_assessor(evaluation)
        assert evaluation.self_assessed_by.username == (
            person.username if person is not None else "tochuc"
        )
        assert evaluation.deadline.met_at is not None
        if evaluation.state in (S.PROPOSED, S.DECIDED, S.REEVALUATION):
            assert evaluation.appraised_by.username == "tochuc"
        if evaluation.state in (S.DECIDED, S.REEVALUATION):
            # the competent chair decided, never the appraiser; the order rules held
            assert evaluation.decided_by == selectors.chair_of(evaluation.competent_body)
            assert evaluation.decided_by_id != evaluation.appraised_by_id
            assert services.order_blockers(evaluation) == []
            assert evaluation.decided_level != EvaluationLevel.EXCELLENT  # no quota to break

    # the demo cadres' own evaluations wait for them
    for username in ("canbo", "caolanh"):
        own = Evaluation.objects.get(campaign=campaign, cadre__user__username=username)
        assert own.state == S.DRAFT
        assert selectors.to_self_assess(user=_user(username)).filter(pk=own.pk).exists()

    # the complaint: decided by the city's standing committee, re-evaluated by the province's
    complaint = EvaluationComplaint.objects.get(evaluation__campaign=campaign)
    assert complaint.resolved_at is None
    assert complaint.level_before == EvaluationLevel.COMPLETED
    assert complaint.evaluation.competent_body.name == "Ban Thường vụ Thành ủy Cao Lãnh"
    assert complaint.superior_body.name == "Ban Thường vụ Tỉnh ủy"
    assert complaint.filed_by.username == "tochuc"
    # chutich has ratings to decide and the complaint to re-evaluate
    waiting = selectors.to_decide(user=_user("chutich")).filter(campaign=campaign)
    assert set(waiting.values_list("state", flat=True)) == {S.PROPOSED, S.REEVALUATION}

    # audit events for what was built, by whom
    events = AuditEvent.objects.filter(process_id=campaign.pk, procedure="evaluation")
    assert events.get(action="evaluation.open").actor.username == "tochuc"
    self_assessed = sum(1 for e in evaluations if e.self_assessed_at is not None)
    assert events.filter(action="evaluation.self").count() == self_assessed
    assert events.filter(action="evaluation.decide", actor__username="chutich").exists()
    assert events.filter(action="evaluation.complaint").count() == 1

    # who sees it: the province's logins and the city's; a cadre only their own evaluation
    for username in ("tochuc", "chutich", "uyvien", "caolanh", "canbo"):
        assert selectors.campaigns_for_user(user=_user(username)).filter(pk=campaign.pk).exists()
    canbo = _user("canbo")
    assert list(selectors.evaluations_for_user(user=canbo, campaign=campaign)) == [
        Evaluation.objects.get(campaign=campaign, cadre__user=canbo)
    ]
    assert verify_chain().ok


def test_the_demo_logins_can_take_the_next_steps(seeded):
    campaign = _campaign()
    canbo = _user("canbo")
    own = Evaluation.objects.get(campaign=campaign, cadre__user=canbo)
    filed = services.evaluation_self_assess(
        actor=canbo,
        evaluation=own,
        scores={"general": "26", "tasks": "58"},
        review="Hoàn thành tốt nhiệm vụ được giao.",
    )
    assert filed.state == S.SELF_RATED and filed.self_level == EvaluationLevel.GOOD

    chutich = _user("chutich")
    waiting = selectors.to_decide(user=chutich).filter(campaign=campaign)
    for evaluation in waiting.filter(state=S.PROPOSED):
        decided = services.evaluation_decide(
            actor=chutich, evaluation=evaluation, level=evaluation.proposed_level
        )
        assert decided.state == S.DECIDED
    complained = waiting.get(state=S.REEVALUATION)
    redone = services.evaluation_reevaluate(
        actor=chutich,
        evaluation=complained,
        level=EvaluationLevel.GOOD,
        reason="Chậm tiến độ do điều chỉnh kế hoạch của cơ quan.",
    )
    assert redone.state == S.DECIDED and redone.decided_level == EvaluationLevel.GOOD
    assert not selectors.to_decide(user=chutich).filter(campaign=campaign).exists()


def _counts() -> dict:
    models = (EvaluationCampaign, Evaluation, EvaluationComplaint, Deadline, Notification)
    return {m.__name__: m.objects.count() for m in models} | {
        "AuditEvent": AuditEvent.objects.count()
    }


def test_seeding_again_creates_nothing(seeded):
    before = _counts()
    assert before["EvaluationCampaign"] == 1
    out = io.StringIO()
    call_command("seed_demo_evaluation", stdout=out)
    assert _counts() == before
    assert "already present" in out.getvalue()


def test_refused_outside_demo_mode(settings):
    settings.CADREFLOW_DEMO_MODE = False
    before = _counts()
    with pytest.raises(CommandError, match="CADREFLOW_DEMO_MODE"):
        call_command("seed_demo_evaluation", verbosity=0)
    assert _counts() == before


def test_refused_without_the_demo_logins():
    # Whether or not the module's seed exists: the organisation board's demo login is gone.
    User.objects.filter(username="tochuc").update(is_active=False)
    before = _counts()
    with pytest.raises(CommandError, match="Run seed_demo first"):
        call_command("seed_demo_evaluation", verbosity=0)
    assert _counts() == before
