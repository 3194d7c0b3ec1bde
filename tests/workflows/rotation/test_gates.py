"""The rotation's gates (domain §6.2, §6.5; I-8, I-20) at their boundaries, one by one, and the
decision that a failing gate refuses (409, with the reason) — remaining service exactly 10
years / one day short, 36 / 35 months and the competent level's exception, the health
certificate exactly 6 months old / a day more, an open investigation, a missing document.
A transfer checks only the investigation."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta

from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from tests.factories import CadreFactory, InvestigationCaseFactory
from tests.workflows.rotation import kit
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.rotation import gates, services
from workflows.rotation.models import DossierKind, Stage

pytestmark = pytest.mark.django_db

D = dt.date


def _by_code(results):
    return {r.code: r for r in results}


# --------------------------------------------------------------------------- remaining service


def test_exactly_ten_years_left_passes_and_one_day_short_fails(world):
    retirement = D(2036, 5, 31)
    cadre = CadreFactory(date_of_birth=kit.born_to_retire_on(retirement))
    assert cadre.retirement_date == retirement
    ruleset = kit.open_plan(world).ruleset

    exact = gates.remaining_service_gate(cadre, ruleset, D(2026, 5, 31))
    assert exact.passed, exact.message
    assert "10 years required" in exact.message

    short = gates.remaining_service_gate(cadre, ruleset, D(2026, 6, 1))
    assert not short.passed
    assert short.message == (
        f"10 years of service left required at the decision ({short.source}): 9 years 11 months "
        "30 days from 01/06/2026 to retirement on 31/05/2036."
    )
    assert short.source == exact.source and "QĐ 65" in short.source


def test_a_woman_retires_earlier_and_the_gate_follows_her_schedule(world):
    ruleset = kit.open_plan(world).ruleset
    man = CadreFactory(date_of_birth=D(1974, 3, 15), gender="M")
    woman = CadreFactory(date_of_birth=D(1974, 3, 15), gender="F")
    on = D(2026, 3, 1)
    assert man.retirement_date == D(2036, 3, 31)
    assert gates.remaining_service_gate(man, ruleset, on).passed is True
    assert woman.retirement_date == D(2033, 7, 31)
    assert gates.remaining_service_gate(woman, ruleset, on).passed is False


def test_the_decision_on_the_tenth_anniversary_is_issued_and_a_day_later_refused(world):
    """At the service: the decision date decides (I-20 "at decision")."""
    exact_day = kit.last_day_of_31_day_month_before(kit.today() - dt.timedelta(days=40))
    retirement = exact_day + relativedelta(years=10)
    early = kit.cadre_at(world.from_post, "Đúng mười năm", born=kit.born_to_retire_on(retirement))
    _plan, (movement,) = kit.approved_plan(world, early)
    movement = kit.prepare(world, movement, health_on=exact_day - dt.timedelta(days=30))

    with pytest.raises(Conflict) as refused:
        kit.decide(world, movement, on=exact_day + dt.timedelta(days=1))
    assert "Service left at the decision" in refused.value.message
    assert "9 years 11 months 30 days" in refused.value.message
    assert kit.refresh(movement).stage == Stage.SUBMITTED
    assert not AuditEvent.objects.filter(action=Action.ROTATION_DECISION).exists()

    decided = kit.decide(world, movement, on=exact_day)
    assert decided.stage == Stage.DECIDED
    assert {g["code"]: g["passed"] for g in decided.gates}[gates.REMAINING_SERVICE] is True


# --------------------------------------------------------------------------- duration


def test_thirty_six_months_pass_and_thirty_five_need_the_exception(world):
    ruleset = kit.open_plan(world).ruleset
    cadre = kit.cadre_at(world.from_post)
    plan = kit.open_plan(world, title="Kế hoạch khác")
    movement = kit.add(world, plan, cadre, months=36)
    assert gates.duration_gate(movement, ruleset).passed
    movement.months = 35
    short = gates.duration_gate(movement, ruleset)
    assert not short.passed
    assert short.message == (
        "At least 36 months required unless the competent level records an exception "
        f"({short.source}): 35 months planned."
    )


def test_the_competent_chair_records_the_exception_and_the_decision_goes_through(world):
    cadre = kit.cadre_at(world.from_post)
    _plan, (movement,) = kit.approved_plan(world, cadre, months=35)
    movement = kit.prepare(world, movement)
    with pytest.raises(Conflict) as refused:
        kit.decide(world, movement)
    assert "Duration of the rotation" in refused.value.message

    # Not the board, and not without a written reason.
    with pytest.raises(Forbidden):
        services.duration_exception_record(actor=world.staff, movement=movement, reason="Cần")
    with pytest.raises(Invalid):
        services.duration_exception_record(actor=world.chair, movement=movement, reason=" ")

    services.duration_exception_record(
        actor=world.chair, movement=movement, reason="Yêu cầu kiện toàn nhân sự của tỉnh."
    )
    event = AuditEvent.objects.get(action=Action.ROTATION_EXCEPTION)
    assert event.actor_id == world.chair.pk and "kiện toàn" in event.reason
    decided = kit.decide(world, movement)
    duration = {g["code"]: g for g in decided.gates}[gates.DURATION]
    assert duration["passed"] and duration["waived"]
    assert "exception recorded by the competent level" in duration["message"]
    decision = AuditEvent.objects.get(action=Action.ROTATION_DECISION)
    assert decision.changes["gates_waived"] == [None, [gates.DURATION]]


def test_no_exception_is_needed_for_a_full_length_rotation(world):
    _plan, (movement,) = kit.approved_plan(world, kit.cadre_at(world.from_post), months=36)
    with pytest.raises(Invalid, match="no exception is needed"):
        services.duration_exception_record(actor=world.chair, movement=movement, reason="x")


# --------------------------------------------------------------------------- health, dossier


def test_a_health_certificate_exactly_six_months_old_passes_and_a_day_older_fails(world):
    _plan, (movement,) = kit.approved_plan(world, kit.cadre_at(world.from_post))
    on = kit.today()
    kit.dossier(world, movement, health_on=on - relativedelta(months=6))
    ruleset = movement.ruleset
    held = {i.kind: i for i in movement.dossier.all()}
    assert gates.health_gate(held, ruleset, on).passed
    older = gates.health_gate(held, ruleset, on + dt.timedelta(days=1))
    assert not older.passed
    assert "not older than 6 months" in older.message and "6 months 1 day old" in older.message
    # A certificate dated after the decision is not on file for it.
    assert not gates.health_gate(held, ruleset, on - relativedelta(months=7)).passed


def test_a_stale_certificate_refuses_the_decision_until_a_new_one_is_recorded(world):
    _plan, (movement,) = kit.approved_plan(world, kit.cadre_at(world.from_post))
    movement = kit.prepare(world, movement, health_on=kit.today() - relativedelta(months=8))
    with pytest.raises(Conflict, match="Health certificate"):
        kit.decide(world, movement)
    # The board may still complete the dossier while the decision waits.
    services.dossier_record(
        actor=world.staff, movement=movement, kind=DossierKind.HEALTH, dated=kit.today()
    )
    # Dated after the decision, a certificate is not on file for it.
    with pytest.raises(Conflict, match="none on file"):
        kit.decide(world, movement, on=kit.today() - dt.timedelta(days=1))
    assert kit.decide(world, movement, on=kit.today()).stage == Stage.DECIDED


def test_a_missing_document_blocks_and_names_itself(world):
    _plan, (movement,) = kit.approved_plan(world, kit.cadre_at(world.from_post))
    movement = kit.prepare(world, movement, skip=[DossierKind.ASSETS])
    results = _by_code(gates.evaluate(movement, on_date=kit.today()))
    assert not results[gates.DOSSIER].passed
    assert "Asset and income declaration" in results[gates.DOSSIER].message
    assert results[gates.DOSSIER].source == "QĐ 727/QĐ-BNV [60]"
    with pytest.raises(Conflict, match="Rotation dossier"):
        kit.decide(world, movement)


# --------------------------------------------------------------------------- investigation


def test_an_open_investigation_blocks_a_rotation_and_a_transfer(world):
    rotated = kit.cadre_at(world.from_post)
    InvestigationCaseFactory(cadre=rotated, opened_on=kit.today() - dt.timedelta(days=100))
    _plan, (movement,) = kit.approved_plan(world, rotated)
    movement = kit.prepare(world, movement)
    with pytest.raises(Conflict, match="No rotation or transfer while under investigation"):
        kit.decide(world, movement)

    transferred = kit.cadre_at(world.to_lower, "Lê Văn Điều")
    InvestigationCaseFactory(cadre=transferred, opened_on=kit.today() - dt.timedelta(days=9))
    transfer = services.transfer_propose(
        actor=world.staff,
        unit=world.province,
        cadre=transferred,
        to_position=world.spare_post,
        reason="Yêu cầu công tác",
    )
    assert [g.code for g in gates.evaluate(transfer, on_date=kit.today())] == [gates.INVESTIGATION]
    transfer = kit.prepare(world, transfer)
    with pytest.raises(Conflict, match="Investigation or disciplinary review"):
        kit.decide(world, transfer)


def test_a_case_closed_before_the_decision_does_not_block(world):
    cadre = kit.cadre_at(world.from_post)
    InvestigationCaseFactory(
        cadre=cadre, opened_on=D(2025, 1, 1), closed_on=kit.today() - dt.timedelta(days=30)
    )
    result = gates.investigation_gate(cadre, kit.today())
    assert result.passed
    # On a day the case was still open, it would have blocked.
    assert not gates.investigation_gate(cadre, kit.today() - dt.timedelta(days=31)).passed
