"""Lost races: decisions taken at the same moment are serialised by the campaign's lock, so
one of them answers 409 (``Conflict``) instead of deciding twice or breaking the quota."""

import threading

import pytest
from django.db import connection
from django.utils import translation

from personnel.audit.models import AuditEvent
from tests.workflows.ballot_kit import load_rulesets
from tests.workflows.evaluation import kit
from tests.workflows.evaluation.kit import EXCELLENT, GOOD
from workflows.core.errors import Conflict
from workflows.evaluation import services
from workflows.evaluation.models import Evaluation, EvaluationState

pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls):
    """Run each ``call()`` in its own thread, released together; the outcomes and messages."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            translation.activate("en")  # messages are asserted in English, in every thread
            barrier.wait()
            call()
            outcomes.append(("ok", ""))
        except Conflict as exc:
            outcomes.append(("conflict", exc.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_two_decisions_on_one_evaluation_at_once_one_gets_a_conflict(province, district_a):
    load_rulesets()
    world = kit.build_world(province, district_a)
    campaign = kit.open_campaign(world)
    evaluation = kit.propose(world, kit.evaluation_of(campaign, world.cadres[0]))
    chair = world.district_chair

    def decide():
        services.evaluation_decide(actor=chair, evaluation=evaluation, level=GOOD)

    outcomes = _race([decide, decide])
    assert [o for o, _ in outcomes] == ["conflict", "ok"]
    assert "already been decided" in outcomes[0][1] or "đã được quyết định" in outcomes[0][1]
    assert AuditEvent.objects.filter(action="evaluation.decide").count() == 1
    assert Evaluation.objects.get(pk=evaluation.pk).state == EvaluationState.DECIDED


def test_two_excellent_at_the_quota_boundary_at_once_one_is_refused(province, district_a):
    """Five good allow one excellent: two decided at the same moment cannot both pass."""
    load_rulesets()
    world = kit.build_world(province, district_a, n_cadres=7)
    campaign = kit.open_campaign(world)
    chair = world.district_chair
    *good, first, second = world.cadres
    for cadre in good:
        kit.decide(kit.propose(world, kit.evaluation_of(campaign, cadre)), GOOD, actor=chair)
    a = kit.propose(world, kit.evaluation_of(campaign, first), EXCELLENT)
    b = kit.propose(world, kit.evaluation_of(campaign, second), EXCELLENT)

    def deciding(evaluation):
        return lambda: services.evaluation_decide(
            actor=chair, evaluation=evaluation, level=EXCELLENT
        )

    outcomes = _race([deciding(a), deciding(b)])
    assert [o for o, _ in outcomes] == ["conflict", "ok"]
    assert outcomes[0][1] == "2 excellent would exceed 20 % of 5 good in the peer group: at most 1."
    assert Evaluation.objects.filter(campaign=campaign, decided_level=EXCELLENT).count() == 1
