"""Lost races: two boards taking the last seat of a quota at once, or the chair deciding twice,
are serialised by the plan's lock, so one of them answers 409 (``Conflict``) instead of
breaking the quota or approving twice."""

import threading

import pytest
from django.db import connection
from django.utils import translation

from personnel.audit.models import AuditEvent
from tests.workflows.ballot_kit import load_rulesets
from tests.workflows.training import kit
from workflows.core.errors import Conflict
from workflows.training import services
from workflows.training.models import Candidate, Dispatch

pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls):
    """Run each ``call()`` in its own thread, released together; the outcomes and messages."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            translation.activate("en")
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


def test_two_proposals_for_the_last_seat_at_once_one_gets_a_conflict(district_a):
    load_rulesets()
    world = kit.build_world(district_a)
    plan = kit.open_plan(world)
    course = kit.course(world, plan, seats=1)

    def proposing(actor, cadre):
        return lambda: services.candidate_propose(
            actor=actor, plan=plan, course=course, cadre=cadre
        )

    outcomes = _race(
        [proposing(world.staff, world.cadres[0]), proposing(world.staff2, world.cadres[1])]
    )
    assert [o for o, _ in outcomes] == ["conflict", "ok"]
    assert "has 1 seats" in outcomes[0][1] and "1 are taken" in outcomes[0][1]
    assert Candidate.objects.count() == 1


def test_the_chair_approving_twice_at_once_starts_one_dispatch(district_a):
    load_rulesets()
    world = kit.build_world(district_a)
    plan = kit.open_plan(world)
    course = kit.course(world, plan)
    kit.propose(world, plan, course, world.cadres[0])
    services.plan_submit(actor=world.staff, plan=plan)

    def approve():
        services.plan_decide(actor=world.chair, plan=plan, approve=True, decision_ref="1")

    outcomes = _race([approve, approve])
    assert [o for o, _ in outcomes] == ["conflict", "ok"]
    assert Dispatch.objects.count() == 1
    assert AuditEvent.objects.filter(action="training.decide").count() == 1
