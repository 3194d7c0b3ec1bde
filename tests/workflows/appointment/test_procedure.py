"""The appointment procedure through its services (domain §7, I-1 … I-14): both sources to a
decision, every gate and its override, the vote rules (50 % tie, top-two carry-forward, quorum
and reconvening), the appraisal's separation of duties, withdrawal and a lost race."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from personnel.audit.models import AuditEvent
from personnel.models import (
    DisciplineKind,
    PlanningEntry,
    PlanningStatus,
    PositionHolding,
)
from tests.factories import (
    DisciplineRecordFactory,
    InvestigationCaseFactory,
    PositionHoldingFactory,
)
from tests.workflows.appointment import kit
from tests.workflows.ballot_kit import load_rulesets
from workflows.appointment import services
from workflows.appointment.gates import Gate
from workflows.appointment.models import (
    AppointmentCandidate,
    CandidateStatus,
    DossierKind,
    GateOverride,
    Stage,
    StepCode,
)
from workflows.core import services as core
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import BallotStatus, Deadline, MeetingStatus

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


def _open_nodes(appointment):
    return sorted(
        t.flow_task.name
        for t in appointment.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    )


def _final_vote(world, appointment, *, approve=None):
    step = kit.call(world, appointment)
    n = len(world.standing.members)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, n, approve=approve))
    return step


def _decide(world, appointment):
    return services.decision_issue(
        actor=world.chair,
        appointment=appointment,
        number="123-QĐ/TU",
        decision_date=TODAY(),
        effective_date=TODAY() + dt.timedelta(days=1),
    )


# --------------------------------------------------------------------------- the whole walk


def test_the_internal_source_runs_to_a_decision(world, django_capture_on_commit_callbacks):
    candidate_user = kit.UserFactory()
    winner = world.cadres[0]
    winner.user = candidate_user
    winner.save()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = kit.approved(world)
        appointment = kit.walk_to_final(world, appointment)
        assert appointment.stage == Stage.APPRAISED
        assert _open_nodes(appointment) == ["final_vote", "limit"]
        _final_vote(world, appointment)
        services.step_record(actor=world.staff, appointment=appointment)
        appointment = kit.refresh(appointment)
        assert appointment.stage == Stage.VOTE_PASSED
        assert appointment.candidate == winner
        appointment = _decide(world, appointment)
    assert appointment.stage == Stage.DECISION_ISSUED
    assert appointment.status == STATUS.DONE
    holding = PositionHolding.objects.get(cadre=winner, position=world.position)
    assert holding.started_on == TODAY() + dt.timedelta(days=1)
    # the deputy post is left the day before; the holdings do not overlap
    [previous] = PositionHolding.objects.filter(cadre=winner).exclude(pk=holding.pk)
    assert previous.ended_on == TODAY()
    assert holding.term_ends_on == holding.started_on.replace(year=holding.started_on.year + 5)
    assert holding.decision_ref == "123-QĐ/TU"
    assert appointment.term_end == holding.term_ends_on
    entry = PlanningEntry.objects.get(cadre=winner, position=world.position)
    assert entry.status == PlanningStatus.FULFILLED
    # the others' planning is untouched
    assert PlanningEntry.objects.get(cadre=world.cadres[1]).status == PlanningStatus.APPROVED
    # every step is on record, in order, each with its meeting
    assert list(appointment.steps.values_list("code", flat=True)) == [
        "step1",
        "step2",
        "step3",
        "step4",
        "final",
    ]
    # the limit is met and its timer gone
    assert Deadline.objects.get(pk=appointment.deadline_id).met_at is not None
    assert "limit" not in _open_nodes(appointment)
    actions = list(
        AuditEvent.objects.filter(process_id=appointment.pk).values_list("action", flat=True)
    )
    for action in (
        "appointment.start",
        "appointment.policy",
        "appointment.candidates",
        "appointment.step_call",
        "appointment.step",
        "appointment.dossier",
        "appointment.appraisal",
        "appointment.review",
        "appointment.decision",
    ):
        assert action in actions
    # the candidate hears of the decision; the chair who signed it does not notify himself
    decided = Notification.objects.filter(kind="appointment.decision_issued")
    assert decided.filter(recipient=candidate_user).exists()
    assert not decided.filter(recipient=world.chair).exists()
    # the board heard the dossier was incomplete when step 4 ended
    assert Notification.objects.filter(
        kind="appointment.dossier_missing", recipient=world.staff
    ).exists()


def test_the_external_source_runs_to_a_decision(world):
    from tests.factories import OrgUnitFactory

    # from another agency within the board's reach (a district board sees its own units)
    elsewhere = OrgUnitFactory(name="Ban Quản lý dự án", code="bqlda", parent=world.unit)
    outsider = kit.eligible_cadre(elsewhere, world.position, "Nguyễn Văn Ngoài")
    appointment = kit.approved(world, source="external")
    assert _open_nodes(appointment) == ["conversation", "limit"]
    with pytest.raises(Invalid):  # one person is considered
        services.candidates_set(
            actor=world.staff, appointment=appointment, cadres=[outsider, world.cadres[0]]
        )
    with pytest.raises(Invalid):  # the meeting step does not exist on this path
        services.external_record(actor=world.staff, appointment=appointment, note="")
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=[outsider])
    for code, note in (
        ("conversation", "Đã trao đổi với đồng chí về yêu cầu nhiệm vụ."),
        ("consultation", "Tập thể lãnh đạo nơi công tác đồng ý."),
        ("verification", "Đã xác minh lý lịch: không có vấn đề."),
    ):
        assert services.current_step(kit.refresh(appointment)) == code
        services.external_record(actor=world.staff, appointment=appointment, note=note)
    assert _open_nodes(kit.refresh(appointment)) == ["appraisal", "limit"]
    kit.complete_dossier(world, appointment)
    services.appraisal_submit(
        actor=world.staff,
        appointment=appointment,
        standing_evaluation="Đủ tiêu chuẩn.",
        new_issues_conclusion="Không có.",
    )
    services.appraisal_review(actor=world.staff2, appointment=appointment, approve=True)
    step = _final_vote(world, appointment)
    assert step.meeting.body == world.standing.committee
    services.step_record(actor=world.staff, appointment=appointment)
    appointment = _decide(world, kit.refresh(appointment))
    assert appointment.stage == Stage.DECISION_ISSUED
    assert PositionHolding.objects.filter(cadre=outsider, position=world.position).exists()
    assert list(appointment.steps.values_list("code", flat=True)) == [
        "conversation",
        "consultation",
        "verification",
        "final",
    ]


# --------------------------------------------------------------------------- gates


def _break(gate, cadre, world):
    today = TODAY()
    if gate == Gate.PLANNING:
        PlanningEntry.objects.filter(cadre=cadre).delete()
    elif gate == Gate.TIME_IN_POST:
        cadre.holdings.update(started_on=today - dt.timedelta(days=200))
    elif gate == Gate.FULL_TERM:
        cadre.date_of_birth = dt.date(today.year - 59, 1, 1)
        cadre.save()
    elif gate == Gate.DISCIPLINE:
        DisciplineRecordFactory(
            cadre=cadre, kind=DisciplineKind.WARNING, effective_on=today - dt.timedelta(days=90)
        )
    elif gate == Gate.INVESTIGATION:
        InvestigationCaseFactory(cadre=cadre, opened_on=today - dt.timedelta(days=3))
    elif gate == Gate.POLITICAL_STANDARD:
        cadre.political_conclusions.update(concluded_on=today - dt.timedelta(days=800))


@pytest.mark.parametrize("gate", [g for g in Gate if g != Gate.DOSSIER])
def test_each_failing_gate_blocks_step_one_naming_its_rule(world, gate):
    appointment = kit.approved(world)
    blocked = world.cadres[1]
    _break(gate, blocked, world)
    appointment = services.candidates_set(
        actor=world.staff, appointment=appointment, cadres=world.cadres
    )
    snapshot = AppointmentCandidate.objects.get(appointment=appointment, cadre=blocked)
    failed = [g for g in snapshot.gates_at_start if not g["passed"]]
    assert [g["code"] for g in failed] == [gate]
    with pytest.raises(Invalid) as refused:
        kit.call(world, appointment)
    assert str(blocked) in refused.value.message
    assert failed[0]["source"] in refused.value.message  # the rule's source is named
    assert not appointment.steps.exists()
    # dropping the cadre lets the step go on
    services.candidates_set(
        actor=world.staff, appointment=appointment, cadres=[world.cadres[0], world.cadres[2]]
    )
    assert kit.call(world, appointment).code == StepCode.STEP1


def test_the_competent_body_may_waive_an_overridable_gate_with_a_reason(world):
    appointment = kit.approved(world)
    special = world.cadres[1]
    _break(Gate.PLANNING, special, world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    with pytest.raises(Forbidden):  # the board cannot waive
        services.gate_override(
            actor=world.staff, appointment=appointment, cadre=special, gate="planning", reason="x"
        )
    with pytest.raises(Invalid):  # a written reason is required
        services.gate_override(
            actor=world.chair, appointment=appointment, cadre=special, gate="planning", reason=" "
        )
    with pytest.raises(Invalid):  # nothing to waive on a passing gate
        services.gate_override(
            actor=world.chair,
            appointment=appointment,
            cadre=special,
            gate="time_in_post",
            reason="Trường hợp đặc biệt",
        )
    services.gate_override(
        actor=world.chair,
        appointment=appointment,
        cadre=special,
        gate="planning",
        reason="Trường hợp đặc biệt theo kết luận của Ban Thường vụ",
    )
    assert kit.call(world, appointment).code == StepCode.STEP1
    event = AuditEvent.objects.get(action="appointment.override")
    assert event.reason.startswith("Trường hợp đặc biệt")
    assert event.cadre_id == special.pk
    assert GateOverride.objects.get().decided_by == world.chair


def test_a_hard_gate_cannot_be_waived(world):
    appointment = kit.approved(world)
    _break(Gate.INVESTIGATION, world.cadres[1], world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    with pytest.raises(Invalid):
        services.gate_override(
            actor=world.chair,
            appointment=appointment,
            cadre=world.cadres[1],
            gate="investigation",
            reason="Không",
        )
    assert not GateOverride.objects.exists()


def test_gates_run_again_before_the_final_vote(world):
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres[:1])
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    for _code in ("step2", "step3", "step4"):
        step = kit.call(world, appointment)
        n = step.meeting.summons.filter(votes=True).count()
        kit.run_ballot(step, votes=kit.nominate_each(step.ballot, [world.cadres[0]] * n))
        services.step_record(actor=world.staff, appointment=appointment)
    # the dossier gate: nothing uploaded yet
    with pytest.raises(Invalid) as missing:
        services.appraisal_submit(
            actor=world.staff,
            appointment=appointment,
            standing_evaluation="x",
            new_issues_conclusion="y",
        )
    assert str(DossierKind.ASSETS.label) in missing.value.message
    kit.complete_dossier(world, appointment)
    # an investigation opened meanwhile stops the appraisal, naming the rule
    _break(Gate.INVESTIGATION, world.cadres[0], world)
    with pytest.raises(Invalid) as blocked:
        services.appraisal_submit(
            actor=world.staff,
            appointment=appointment,
            standing_evaluation="x",
            new_issues_conclusion="y",
        )
    assert str(world.cadres[0]) in blocked.value.message
    assert kit.refresh(appointment).appraisal_submitted_at is None  # the refusal wrote nothing


# --------------------------------------------------------------------------- vote rules


def test_a_tie_at_the_final_vote_goes_to_the_head(district_a):
    world = kit.build_world(district_a, standing_size=4)
    appointment = kit.walk_to_final(world, kit.approved(world))
    step = _final_vote(world, appointment, approve=2)  # 2 of 4: exactly 50 %
    assert step.ballot.__class__.objects.get(pk=step.ballot_id).outcome["needs_head_decision"]
    with pytest.raises(Conflict):
        services.step_record(actor=world.staff, appointment=appointment)
    with pytest.raises(Forbidden):  # only the head of the meeting decides
        services.tie_decide(
            actor=world.staff, appointment=appointment, approve=True, differing_opinions="x"
        )
    with pytest.raises(Invalid):  # the differing opinions are reported
        services.tie_decide(
            actor=world.chair, appointment=appointment, approve=True, differing_opinions=" "
        )
    services.tie_decide(
        actor=world.chair,
        appointment=appointment,
        approve=True,
        differing_opinions="Hai đồng chí đề nghị chờ kết luận kiểm tra.",
    )
    services.step_record(actor=world.staff, appointment=appointment)
    assert kit.refresh(appointment).stage == Stage.VOTE_PASSED


def test_a_failed_final_vote_closes_the_procedure_with_its_reason(world):
    appointment = kit.walk_to_final(world, kit.approved(world))
    _final_vote(world, appointment, approve=1)
    services.step_record(actor=world.staff, appointment=appointment)
    appointment = kit.refresh(appointment)
    assert appointment.stage == Stage.CLOSED_FAILED
    assert appointment.closed_reason
    assert appointment.status == STATUS.DONE
    assert not PositionHolding.objects.filter(position=world.position).exists()
    with pytest.raises(Conflict):
        _decide(world, appointment)


def test_nobody_above_half_carries_the_top_two_forward(world):
    appointment = kit.approved(world)
    a, b, c = world.cadres
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    step2 = kit.call(world, appointment)
    n = step2.meeting.summons.filter(votes=True).count()
    assert n >= 5
    picks = [a, a, b, b, c] + [c] * 0
    picks += [a if i % 2 else b for i in range(n - len(picks))]
    assert max(picks.count(x) for x in (a, b, c)) * 2 <= n  # nobody above half
    kit.run_ballot(step2, votes=kit.nominate_each(step2.ballot, picks))
    recorded = services.step_record(actor=world.staff, appointment=appointment)
    assert recorded.outcome["result"] == "carried_forward"
    assert sorted(recorded.outcome["forward"]) == sorted([a.pk, b.pk])
    statuses = dict(appointment.candidates.values_list("cadre_id", "status"))
    assert statuses[c.pk] == CandidateStatus.NOT_CARRIED
    step3 = kit.call(world, appointment)
    assert sorted(step3.ballot.candidates.values_list("cadre_id", flat=True)) == sorted(
        [a.pk, b.pk]
    )


def test_step_three_may_nominate_another_eligible_cadre(world, district_a):
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres[:2])
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    step2 = kit.call(world, appointment)
    n = step2.meeting.summons.filter(votes=True).count()
    kit.run_ballot(step2, votes=kit.nominate_each(step2.ballot, [world.cadres[0]] * n))
    services.step_record(actor=world.staff, appointment=appointment)
    # step 3: every member writes in the third cadre
    step3 = kit.call(world, appointment)
    other = world.cadres[2]
    meeting = kit.in_session(
        step3.meeting, chair=step3.meeting.chair, present=world.leadership.members
    )
    ballot = core.ballot_open(actor=meeting.chair, ballot=step3.ballot)
    for voter in world.leadership.members:
        core.ballot_cast(
            actor=voter,
            ballot=ballot,
            marks=[kit.PaperMark(choice=kit.Choice.NOMINATE, write_in_cadre_id=other.pk)],
        )
    core.ballot_close(actor=meeting.chair, ballot=ballot)
    recorded = services.step_record(actor=world.staff, appointment=appointment)
    assert recorded.outcome["forward"] == [other.pk]
    written_in = AppointmentCandidate.objects.get(appointment=appointment, cadre=other)
    assert written_in.status == CandidateStatus.ACTIVE
    assert written_in.gates_at_start  # its gates were checked when it entered
    assert kit.refresh(appointment).candidate == other


def test_without_quorum_the_step_is_reconvened(world):
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    members = world.leadership.members
    chair = step.meeting.chair
    kit.in_session(step.meeting, chair=chair, present=members[:2], absent=members[2:])
    with pytest.raises(Conflict):  # 2 of 5 present: no ballot opens (I-1)
        core.ballot_open(actor=chair, ballot=step.ballot)
    core.meeting_adjourn(actor=chair, meeting=step.meeting, reason="Không đủ 2/3 thành viên")
    with pytest.raises(Conflict) as refused:
        services.step_record(actor=world.staff, appointment=appointment)
    assert "adjourned" in refused.value.message or "hoãn" in refused.value.message
    with pytest.raises(Conflict):  # the step's meeting exists: it is reconvened, not re-called
        kit.call(world, appointment)
    # reconvened with enough members, the same step and ballot go on
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(members)))
    meeting = step.meeting.__class__.objects.get(pk=step.meeting_id)
    assert meeting.session == 2
    services.step_record(actor=world.staff, appointment=appointment)
    assert kit.refresh(appointment).stage == Stage.STEP1_DONE


def test_a_rejected_list_can_be_changed_and_put_again(world):
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    kit.run_ballot(
        step, votes=kit.approve_all(step.ballot, len(world.leadership.members), approve=1)
    )
    recorded = services.step_record(actor=world.staff, appointment=appointment)
    assert recorded.outcome["result"] == "rejected"
    assert kit.refresh(appointment).stage == Stage.POLICY_APPROVED
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres[:2])
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    assert kit.refresh(appointment).stage == Stage.STEP1_DONE
    with pytest.raises(Conflict):  # the list is fixed once step 1 approved it
        services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)


def test_the_sealed_step_two_is_sealed_and_the_record_keeps_no_counts(world):
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    step2 = kit.call(world, appointment)
    assert step2.ballot.sealed
    n = step2.meeting.summons.filter(votes=True).count()
    kit.run_ballot(step2, votes=kit.nominate_each(step2.ballot, [world.cadres[0]] * n))
    recorded = services.step_record(actor=world.staff, appointment=appointment)
    assert set(recorded.outcome) <= {"result", "forward", "head_approves"}
    event = AuditEvent.objects.filter(action="appointment.step").latest("seq")
    assert "counts" not in str(event.changes)


# --------------------------------------------------------------------------- appraisal, decision


def test_the_preparer_cannot_approve_the_appraisal(world):
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres[:1])
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    for _code in ("step2", "step3", "step4"):
        step = kit.call(world, appointment)
        n = step.meeting.summons.filter(votes=True).count()
        kit.run_ballot(step, votes=kit.nominate_each(step.ballot, [world.cadres[0]] * n))
        services.step_record(actor=world.staff, appointment=appointment)
    kit.complete_dossier(world, appointment)
    services.appraisal_submit(
        actor=world.staff2,
        appointment=appointment,
        standing_evaluation="Đủ tiêu chuẩn.",
        new_issues_conclusion="Không có.",
    )
    with pytest.raises(Forbidden):
        services.appraisal_review(actor=world.staff2, appointment=appointment, approve=True)
    from workflows.appointment import selectors

    assert world.staff2 not in selectors.appraisal_reviewers(kit.refresh(appointment))
    # another board member sends it back with what to correct; the board resubmits
    with pytest.raises(Invalid):
        services.appraisal_review(actor=world.staff, appointment=appointment, approve=False)
    services.appraisal_review(
        actor=world.staff, appointment=appointment, approve=False, note="Bổ sung bản kê khai"
    )
    appointment = kit.refresh(appointment)
    assert appointment.stage == Stage.STEP4_DONE
    assert "appraisal" in _open_nodes(appointment)
    services.appraisal_submit(
        actor=world.staff,
        appointment=appointment,
        standing_evaluation="Đủ tiêu chuẩn.",
        new_issues_conclusion="Không có.",
    )
    services.appraisal_review(actor=world.chair, appointment=appointment, approve=True)
    assert kit.refresh(appointment).stage == Stage.APPRAISED


def test_only_the_competent_chair_issues_the_decision(world):
    appointment = kit.walk_to_final(world, kit.approved(world))
    _final_vote(world, appointment)
    services.step_record(actor=world.staff, appointment=appointment)
    for actor in (world.staff, world.standing.others[0]):
        with pytest.raises(Forbidden):
            services.decision_issue(
                actor=actor,
                appointment=appointment,
                number="1",
                decision_date=TODAY(),
                effective_date=TODAY(),
            )
    with pytest.raises(Invalid):
        services.decision_issue(
            actor=world.chair,
            appointment=appointment,
            number="1",
            decision_date=TODAY(),
            effective_date=TODAY() - dt.timedelta(days=1),
        )
    assert not PositionHolding.objects.filter(position=world.position).exists()


def test_a_full_post_refuses_the_decision_with_a_message(world):
    from tests.factories import CadreFactory

    PositionHoldingFactory(
        cadre=CadreFactory(unit=world.unit),
        position=world.position,
        started_on=TODAY() - dt.timedelta(days=30),
    )
    appointment = kit.walk_to_final(world, kit.approved(world))
    _final_vote(world, appointment)
    services.step_record(actor=world.staff, appointment=appointment)
    with pytest.raises(Invalid):
        _decide(world, kit.refresh(appointment))
    assert kit.refresh(appointment).stage == Stage.VOTE_PASSED  # nothing half-done


# --------------------------------------------------------------------------- withdrawal


def test_a_candidate_can_be_withdrawn_at_any_point(world, django_capture_on_commit_callbacks):
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    with pytest.raises(Forbidden):
        services.appointment_withdraw(
            actor=world.standing.others[0], appointment=appointment, reason="x"
        )
    with pytest.raises(Invalid):
        services.appointment_withdraw(actor=world.staff, appointment=appointment, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        appointment = services.appointment_withdraw(
            actor=world.chair, appointment=appointment, reason="Có đơn tố cáo đang xác minh"
        )
    assert appointment.stage == Stage.WITHDRAWN
    assert appointment.status == STATUS.CANCELED
    assert _open_nodes(appointment) == []
    assert Deadline.objects.get(pk=appointment.deadline_id).met_at is not None
    assert set(appointment.candidates.values_list("status", flat=True)) == {
        CandidateStatus.WITHDRAWN
    }
    assert AuditEvent.objects.get(action="appointment.withdraw").reason.startswith("Có đơn")
    assert Notification.objects.filter(kind="appointment.withdrawn", recipient=world.staff).exists()
    for attempt in (
        lambda: services.step_record(actor=world.staff, appointment=appointment),
        lambda: services.appointment_withdraw(
            actor=world.staff, appointment=appointment, reason="again"
        ),
    ):
        with pytest.raises(Conflict):
            attempt()
    assert step.ballot.status == BallotStatus.DRAFT
    assert step.meeting.status == MeetingStatus.SCHEDULED


def test_the_limit_report_completes_the_report_task(world):
    appointment = kit.approved(world)
    with pytest.raises(Conflict):  # nothing to report while the limit runs
        services.limit_report(actor=world.staff, appointment=appointment, report="x")


# --------------------------------------------------------------------------- a lost race


@pytest.mark.django_db(transaction=True)
def test_two_board_members_recording_one_step_at_once_one_gets_a_conflict(district_a):
    load_rulesets()
    world = kit.build_world(district_a)
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    barrier = threading.Barrier(2)
    outcomes = []

    def record(actor):
        try:
            barrier.wait()
            services.step_record(actor=actor, appointment=appointment, step="step1")
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append("conflict")
            assert "someone else" in exc.message or "người khác" in exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(u,)) for u in (world.staff, world.staff2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert appointment.steps.filter(recorded_at__isnull=False).count() == 1
    assert kit.refresh(appointment).stage == Stage.STEP1_DONE


def test_a_decision_may_keep_the_previous_post_concurrently(world):
    appointment = kit.walk_to_final(world, kit.approved(world))
    _final_vote(world, appointment)
    services.step_record(actor=world.staff, appointment=appointment)
    services.decision_issue(
        actor=world.chair,
        appointment=appointment,
        number="7-QĐ/TU",
        decision_date=TODAY(),
        effective_date=TODAY(),
        ends_previous=False,
    )
    current = PositionHolding.objects.filter(cadre=world.cadres[0], ended_on__isnull=True)
    assert current.count() == 2
