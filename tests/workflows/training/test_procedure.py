"""The training plan and each dispatch through the services (domain §5): opening, courses and
quotas (409 with the numbers when full), proposals from the planning pool (and the written
exception), the gates stopping the list, the competent chair's approval with separation of
duties (or the list returned), the dispatch decision with the commitment, enrolment, completion
(training record, level raised, a planning standards gate that failed now passes) and
non-completion; audit events, notifications after commit, tasks and deadlines."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from personnel.audit.models import AuditEvent
from personnel.models import (
    Cadre,
    EducationLevel,
    Gender,
    PoliticalTheoryLevel,
    PositionLevel,
    TrainingKind,
    TrainingRecord,
)
from tests.factories import (
    CommitteeFactory,
    InvestigationCaseFactory,
    OrgUnitFactory,
    PositionFactory,
    UserFactory,
    member_of,
)
from tests.workflows.ballot_kit import board_staff
from tests.workflows.training import kit
from workflows.core import calendar
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import Deadline
from workflows.planning import gates as planning_gates
from workflows.training import services
from workflows.training.flows import APPROVE_WITHIN, DECIDE_WITHIN
from workflows.training.models import (
    CandidateStatus,
    Commitment,
    CommitmentStatus,
    Dispatch,
    DispatchState,
    Outcome,
    PlanStage,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


@pytest.fixture
def plan(world):
    return kit.open_plan(world)


def _open_nodes(process):
    return sorted(
        t.flow_task.name
        for t in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    )


def _events(action, **filters):
    return AuditEvent.objects.filter(action=action, **filters)


# --------------------------------------------------------------------------- opening


def test_the_board_opens_a_plan_under_the_newest_rule_set(world, plan):
    assert plan.stage == PlanStage.DRAFT
    assert plan.ruleset.code == "qd377-2025" and plan.ruleset.in_use
    assert plan.competent_body == world.standing.committee
    assert _open_nodes(plan) == ["prepare"]
    event = _events("training.plan_open").get()
    assert event.actor_id == world.staff.pk and event.process_id == plan.pk
    assert event.procedure == "training"


def test_only_the_board_opens_and_once_per_unit_and_year(world, plan, district_b):
    with pytest.raises(Conflict):
        kit.open_plan(world)
    with pytest.raises(Forbidden):
        services.plan_open(actor=world.chair, unit=world.unit, year=TODAY().year + 1)
    with pytest.raises(Forbidden):
        services.plan_open(actor=board_staff(district_b), unit=world.unit, year=2030)


def test_a_unit_without_a_standing_committee_names_its_competent_body(world, district_a):
    ward = OrgUnitFactory(
        parent=district_a,
        name="Phường 1",
        code="p1",
        kind="commune_party",
        management_level="district",
    )
    with pytest.raises(Invalid):
        services.plan_open(actor=world.staff, unit=ward, year=2030)
    plan = services.plan_open(
        actor=world.staff, unit=ward, year=2030, competent_body=world.standing.committee
    )
    assert plan.competent_body == world.standing.committee


# --------------------------------------------------------------------------- courses and quotas


def test_courses_map_onto_the_personnel_levels(world, plan):
    advanced = kit.course(world, plan)
    assert advanced.level_label == "Advanced" and not advanced.is_postgraduate
    master = kit.course(world, plan, kind=TrainingKind.DEGREE)
    assert master.is_postgraduate and master.level_label == "Master"
    fostering = kit.course(world, plan, kind=TrainingKind.FOSTERING)
    assert fostering.level is None
    with pytest.raises(Invalid):  # a political-theory course without its level
        services.course_add(
            actor=world.staff,
            plan=plan,
            kind=TrainingKind.POLITICAL_THEORY,
            level=None,
            title="?",
            months=3,
        )
    with pytest.raises(Invalid):  # a level of another enum
        services.course_add(
            actor=world.staff,
            plan=plan,
            kind=TrainingKind.POLITICAL_THEORY,
            level=EducationLevel.MASTER,
            title="?",
            months=3,
        )
    with pytest.raises(Invalid):  # the same title twice
        kit.course(world, plan, seats=0)


def test_seats_go_to_the_plan_unit_or_below_and_never_below_those_taken(world, plan, district_b):
    course = kit.course(world, plan, seats=1)
    with pytest.raises(Invalid):
        services.quota_set(actor=world.staff, plan=plan, course=course, unit=district_b, seats=1)
    kit.propose(world, plan, course, world.cadres[0])
    with pytest.raises(Conflict) as refused:
        services.quota_set(actor=world.staff, plan=plan, course=course, unit=world.unit, seats=0)
    assert "already has 1 candidates" in refused.value.message
    services.quota_set(actor=world.staff, plan=plan, course=course, unit=world.unit, seats=3)
    event = _events("training.quota").order_by("seq").last()
    assert event.changes["seats"] == [1, 3]


def test_a_full_quota_refuses_with_its_numbers(world, plan):
    course = kit.course(world, plan, seats=2)
    kit.propose(world, plan, course, world.cadres[0])
    kit.propose(world, plan, course, world.cadres[1])
    with pytest.raises(Conflict) as refused:
        kit.propose(world, plan, course, world.cadres[2])
    assert refused.value.status == 409
    assert refused.value.message == (
        f"The quota is full: {world.unit.name} has 2 seats on Cao cấp lý luận chính trị and "
        "2 are taken."
    )
    # a withdrawn proposal frees its seat
    first = world.cadres[0].training_candidacies.get()
    services.candidate_withdraw(actor=world.staff, plan=plan, candidate=first, reason="Sức khỏe")
    kit.propose(world, plan, course, world.cadres[2])


def test_a_cadre_is_charged_to_the_nearest_unit_with_seats(world, plan, district_a):
    commune = OrgUnitFactory(
        parent=district_a,
        name="Xã A",
        code="xa-a",
        kind="commune_party",
        management_level="district",
    )
    course = kit.course(world, plan, seats=1)
    services.quota_set(actor=world.staff, plan=plan, course=course, unit=commune, seats=1)
    post = world.post
    local = kit.eligible_cadre(commune, "Xã", planned_for=post)
    other = kit.eligible_cadre(district_a, "Huyện", planned_for=post)
    assert kit.propose(world, plan, course, local).quota.unit == commune
    assert kit.propose(world, plan, course, other).quota.unit == world.unit
    with pytest.raises(Conflict) as refused:  # the commune's one seat is taken
        kit.propose(world, plan, course, kit.eligible_cadre(commune, "Xã 2", planned_for=post))
    assert "Xã A has 1 seats" in refused.value.message


def test_no_seats_for_the_cadre_unit_is_a_conflict(world, plan, district_a):
    course = kit.course(world, plan, seats=0)
    with pytest.raises(Conflict) as refused:
        kit.propose(world, plan, course, world.cadres[0])
    assert "0 seats" in refused.value.message


# --------------------------------------------------------------------------- proposals


def test_a_proposal_keeps_its_gates_and_its_planning_entry(world, plan):
    course = kit.course(world, plan, kind=TrainingKind.DEGREE)
    candidate = kit.propose(world, plan, course, world.cadres[0])
    assert candidate.status == CandidateStatus.PROPOSED
    assert candidate.planning_entry.position == world.post
    codes = {g["code"]: g for g in candidate.gates}
    assert codes["planning"]["passed"] and codes["age"]["passed"]
    assert not codes["commitment"]["passed"] and not codes["commitment"]["blocking"]
    event = _events("training.propose").get()
    assert event.cadre_id == world.cadres[0].pk
    assert event.changes["gates_failed"] == [None, ["commitment"]]
    with pytest.raises(Conflict):
        kit.propose(world, plan, course, world.cadres[0])


def test_outside_the_planning_pool_only_with_a_written_reason(world, plan):
    course = kit.course(world, plan)
    outsider = kit.eligible_cadre(world.unit, "Ngoài quy hoạch")
    with pytest.raises(Invalid) as refused:
        kit.propose(world, plan, course, outsider)
    assert "Give the reason" in refused.value.message
    candidate = kit.propose(
        world, plan, course, outsider, off_plan_reason="Cán bộ nữ, nguồn bổ sung quy hoạch"
    )
    assert candidate.off_plan_reason == "Cán bộ nữ, nguồn bổ sung quy hoạch"
    planning = next(g for g in candidate.gates if g["code"] == "planning")
    assert planning["waived"] and not planning["blocking"]
    assert _events("training.propose").get().reason == candidate.off_plan_reason


def test_a_cadre_outside_the_plan_unit_or_scope_is_refused(world, plan, district_b):
    course = kit.course(world, plan)
    elsewhere = kit.eligible_cadre(district_b, "Nơi khác")
    with pytest.raises(Invalid):
        kit.propose(world, plan, course, elsewhere)


def test_a_blocking_gate_stops_the_list_not_the_proposal(world, plan):
    course = kit.course(world, plan)
    InvestigationCaseFactory(cadre=world.cadres[0], opened_on=TODAY() - dt.timedelta(days=3))
    candidate = kit.propose(world, plan, course, world.cadres[0])
    assert any(g["blocking"] for g in candidate.gates)
    with pytest.raises(Invalid) as refused:
        services.plan_submit(actor=world.staff, plan=plan)
    assert "Investigation or disciplinary review" in refused.value.message
    assert kit.refresh(plan).stage == PlanStage.DRAFT
    services.candidate_withdraw(
        actor=world.staff, plan=plan, candidate=candidate, reason="Đang bị xem xét"
    )
    with pytest.raises(Invalid):  # nobody left
        services.plan_submit(actor=world.staff, plan=plan)


def test_the_candidate_list_is_fixed_once_submitted(world, plan):
    course = kit.course(world, plan)
    kit.propose(world, plan, course, world.cadres[0])
    services.plan_submit(actor=world.staff, plan=plan)
    assert _open_nodes(kit.refresh(plan)) == ["approve"]
    for attempt in (
        lambda: kit.propose(world, plan, course, world.cadres[1]),
        lambda: kit.course(world, plan, title="Khác"),
        lambda: services.plan_submit(actor=world.staff, plan=plan),
    ):
        with pytest.raises(Conflict):
            attempt()


# --------------------------------------------------------------------------- approval


@pytest.fixture
def submitted(world, plan):
    course = kit.course(world, plan, seats=3)
    a = kit.propose(world, plan, course, world.cadres[0])
    b = kit.propose(world, plan, course, world.cadres[1])
    services.plan_submit(actor=world.staff, plan=plan)
    return kit.refresh(plan), a, b


def test_the_approval_waits_for_the_chair_with_a_deadline(world, submitted):
    plan, _a, _b = submitted
    task = plan.task_set.get(flow_task__contains="approve", status=STATUS.ASSIGNED)
    assert task.owner == world.chair
    deadline = Deadline.objects.get(task=task)
    assert deadline.due == calendar.add_working_days(TODAY(), APPROVE_WITHIN)
    assert list(deadline.responsible.all()) == [world.chair]


def test_separation_of_duties_at_the_approval(world, submitted):
    plan, _a, _b = submitted
    member = world.standing.others[0]
    with pytest.raises(Forbidden):  # not the chair
        services.plan_decide(actor=member, plan=plan, approve=True, decision_ref="1")
    with pytest.raises(Forbidden):  # not the board
        services.plan_decide(actor=world.staff, plan=plan, approve=True, decision_ref="1")


def test_whoever_submitted_cannot_approve(world, district_a):
    # the chair also sits on the organisation board and submits the list
    member_of(world.staff.memberships.first().committee, user=world.chair)
    plan = kit.open_plan(world)
    course = kit.course(world, plan)
    kit.propose(world, plan, course, world.cadres[0])
    services.plan_submit(actor=world.chair, plan=plan)
    with pytest.raises(Forbidden) as refused:
        services.plan_decide(
            actor=world.chair, plan=kit.refresh(plan), approve=True, decision_ref="1"
        )
    assert "submitted the list" in refused.value.message


def test_a_chair_on_the_list_cannot_approve_it(world, plan):
    chair_cadre = kit.eligible_cadre(
        world.unit, "Chủ tịch", planned_for=world.post, user=world.chair
    )
    course = kit.course(world, plan)
    kit.propose(world, plan, course, chair_cadre)
    services.plan_submit(actor=world.staff, plan=plan)
    with pytest.raises(Forbidden) as refused:
        services.plan_decide(
            actor=world.chair, plan=kit.refresh(plan), approve=True, decision_ref="1"
        )
    assert "nobody approves their own training" in refused.value.message


def test_approving_starts_a_dispatch_per_approved_candidate(
    world, submitted, django_capture_on_commit_callbacks
):
    plan, a, b = submitted
    with django_capture_on_commit_callbacks(execute=True):
        plan = services.plan_decide(
            actor=world.chair,
            plan=plan,
            approve=True,
            decision_ref="12-QĐ/TU",
            exclude=[b.pk],
            note="Chưa đủ điều kiện sức khỏe",
        )
    assert plan.stage == PlanStage.APPROVED and plan.decided_by == world.chair
    assert plan.finished is not None  # the plan's flow has ended
    assert kit.refresh(a).status == CandidateStatus.APPROVED
    b = kit.refresh(b)
    assert b.status == CandidateStatus.NOT_APPROVED and b.reason == "Chưa đủ điều kiện sức khỏe"
    dispatch = Dispatch.objects.get()
    assert dispatch.candidate_id == a.pk and dispatch.state == DispatchState.AWAITING
    assert dispatch.sending_unit == world.unit
    assert _open_nodes(dispatch) == ["decide"]
    deadline = Deadline.objects.get(task__process=dispatch)
    assert deadline.due == calendar.add_working_days(TODAY(), DECIDE_WITHIN)
    event = _events("training.decide").get()
    assert event.changes["approved"] == [None, [a.pk]]
    assert event.changes["not_approved"] == [None, [b.pk]]
    told = Notification.objects.filter(kind="training.plan_decided")
    assert set(told.values_list("recipient_id", flat=True)) == {world.staff.pk, world.staff2.pk}


def test_the_chair_may_return_the_list_to_the_board(world, submitted):
    plan, a, _b = submitted
    with pytest.raises(Invalid):
        services.plan_decide(actor=world.chair, plan=plan, approve=False)
    plan = services.plan_decide(
        actor=world.chair, plan=plan, approve=False, note="Bổ sung cán bộ nữ"
    )
    assert plan.stage == PlanStage.DRAFT and plan.returned_reason == "Bổ sung cán bộ nữ"
    assert _open_nodes(plan) == ["prepare"]
    assert not Dispatch.objects.exists()
    # the board reworks and submits again; the chair approves
    services.candidate_withdraw(actor=world.staff, plan=plan, candidate=a, reason="Thay")
    kit.propose(world, plan, a.course, world.cadres[2])
    plan = kit.approved(world, plan)
    assert plan.stage == PlanStage.APPROVED and Dispatch.objects.count() == 2


def test_approval_needs_its_decision_number_and_one_candidate(world, submitted):
    plan, a, b = submitted
    with pytest.raises(Invalid):
        services.plan_decide(actor=world.chair, plan=plan, approve=True)
    with pytest.raises(Invalid):
        services.plan_decide(
            actor=world.chair,
            plan=plan,
            approve=True,
            decision_ref="1",
            exclude=[a.pk, b.pk],
            note="x",
        )
    with pytest.raises(Invalid):  # leaving someone out needs the reason
        services.plan_decide(
            actor=world.chair, plan=plan, approve=True, decision_ref="1", exclude=[a.pk]
        )
    services.plan_decide(actor=world.chair, plan=plan, approve=True, decision_ref="1")
    with pytest.raises(Conflict):  # decided already
        services.plan_decide(actor=world.chair, plan=plan, approve=True, decision_ref="1")


def test_withdrawing_a_plan_before_its_approval(world, submitted):
    plan, a, _b = submitted
    with pytest.raises(Forbidden):
        services.plan_withdraw(actor=world.standing.others[0], plan=plan, reason="x")
    plan = services.plan_withdraw(actor=world.staff, plan=plan, reason="Điều chỉnh kế hoạch")
    assert plan.stage == PlanStage.WITHDRAWN and _open_nodes(plan) == []
    assert kit.refresh(a).status == CandidateStatus.WITHDRAWN
    # the year is free again
    kit.open_plan(world)


# --------------------------------------------------------------------------- dispatch


@pytest.fixture
def master(world, plan):
    """An approved candidate for a master's degree awaiting the dispatch decision."""
    course = kit.course(world, plan, kind=TrainingKind.DEGREE)
    candidate = kit.propose(world, plan, course, world.cadres[0])
    kit.approved(world, plan)
    return kit.dispatch_of(candidate)


def test_post_graduate_dispatch_needs_the_written_commitment(world, master):
    with pytest.raises(Invalid) as refused:
        services.dispatch_decide(
            actor=world.staff, dispatch=master, decision_ref="99-QĐ/TU", decided_on=TODAY()
        )
    assert "Written commitment to serve" in refused.value.message
    with pytest.raises(Invalid) as short:
        services.commitment_record(actor=world.staff, dispatch=master, signed_on=TODAY(), months=71)
    assert "at least 72 months (3 × 24 months of study): 71 given" in short.value.message
    commitment = services.commitment_record(
        actor=world.staff, dispatch=master, signed_on=TODAY(), months=72, reference="CK-1"
    )
    assert commitment.status == CommitmentStatus.SIGNED and commitment.multiple == 3
    assert commitment.unit == world.unit and commitment.ends_on is None
    assert _events("training.commitment").get().cadre_id == master.cadre_id


def test_the_age_at_dispatch_is_read_on_the_decision_date(world, master):
    cadre = master.cadre
    today = TODAY()
    # 46 today, 45 a year ago
    Cadre.objects.filter(pk=cadre.pk).update(date_of_birth=kit.years_before(today, 46))
    services.commitment_record(actor=world.staff, dispatch=master, signed_on=today, months=72)
    with pytest.raises(Invalid) as refused:
        services.dispatch_decide(
            actor=world.staff, dispatch=master, decision_ref="99", decided_on=today
        )
    assert "At most 45 years old" in refused.value.message
    with pytest.raises(Invalid):  # a decision dated in the future
        services.dispatch_decide(
            actor=world.staff,
            dispatch=master,
            decision_ref="99",
            decided_on=today + dt.timedelta(days=1),
        )


def test_the_dispatch_decision_tells_the_cadre_after_commit(
    world, master, django_capture_on_commit_callbacks
):
    Cadre.objects.filter(pk=master.cadre_id).update(user=UserFactory())
    master = kit.refresh(master)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        kit.sent(world, master)
        assert not Notification.objects.filter(kind="training.dispatched").exists()
    for callback in callbacks:
        callback()
    note = Notification.objects.get(kind="training.dispatched")
    assert note.recipient_id == kit.refresh(master).cadre.user_id
    assert note.params["decision"] == "99-QĐ/TU"
    dispatch = kit.refresh(master)
    assert dispatch.state == DispatchState.DISPATCHED and dispatch.decided_on == TODAY()
    assert _open_nodes(dispatch) == ["enrol"]
    assert Deadline.objects.get(task__process=dispatch).met_at is not None


def test_nobody_records_a_decision_on_their_own_training(world, master):
    member_of(world.staff.memberships.first().committee, user=UserFactory())
    Cadre.objects.filter(pk=master.cadre_id).update(user=world.staff2)
    master = kit.refresh(master)
    with pytest.raises(Forbidden):
        services.commitment_record(
            actor=world.staff2, dispatch=master, signed_on=TODAY(), months=72
        )
    kit.sent(world, master)  # another board member may


def test_completion_records_the_training_and_raises_the_level(world, plan, district_a):
    """A cadre planned for a post that needs advanced political theory fails the planning
    standards gate; after completing the advanced course it passes."""
    needs = PositionFactory(
        unit=district_a,
        level=PositionLevel.DISTRICT_DEPUTY,
        min_political_theory=PoliticalTheoryLevel.ADVANCED,
        min_education=EducationLevel.BACHELOR,
    )
    cadre = kit.eligible_cadre(district_a, "Học viên", planned_for=needs)
    rules = plan.ruleset
    before = planning_gates.standards_gate(cadre, needs, rules)
    assert not before.passed and "Advanced required, has Intermediate" in before.message
    course = kit.course(world, plan)
    candidate = kit.propose(world, plan, course, cadre)
    kit.approved(world, plan)
    dispatch = kit.enrolled(
        world,
        kit.sent(world, kit.dispatch_of(candidate)),
        starts_on=TODAY() - dt.timedelta(days=240),
    )
    assert dispatch.state == DispatchState.ENROLLED
    assert dispatch.expected_end_on == dispatch.starts_on + relativedelta(months=8)
    dispatch = services.dispatch_complete(
        actor=world.staff, dispatch=dispatch, ended_on=TODAY(), result="Giỏi"
    )
    assert dispatch.state == DispatchState.COMPLETED and dispatch.outcome == Outcome.COMPLETED
    record = TrainingRecord.objects.get(cadre=cadre)
    assert dispatch.training_record == record
    assert (record.kind, record.title, record.ended_on) == (
        TrainingKind.POLITICAL_THEORY,
        "Cao cấp lý luận chính trị",
        TODAY(),
    )
    cadre = Cadre.objects.get(pk=cadre.pk)
    assert cadre.political_theory_level == PoliticalTheoryLevel.ADVANCED
    assert planning_gates.standards_gate(cadre, needs, rules).passed
    assert _events("cadre.update", cadre_id=cadre.pk).get().changes == {
        "political_theory_level": [PoliticalTheoryLevel.INTERMEDIATE, PoliticalTheoryLevel.ADVANCED]
    }
    assert _events("training.add", cadre_id=cadre.pk).exists()
    assert _events("training.complete").get().changes["level"] == [None, [20, 30]]
    assert _open_nodes(dispatch) == []
    assert dispatch.finished is not None


def test_completing_a_master_starts_the_commitment_from_the_completion(world, master):
    dispatch = kit.enrolled(
        world, kit.sent(world, master), starts_on=TODAY() - dt.timedelta(days=800)
    )
    ended = TODAY() - dt.timedelta(days=10)
    services.dispatch_complete(actor=world.staff, dispatch=dispatch, ended_on=ended)
    commitment = Commitment.objects.get(dispatch=dispatch)
    assert commitment.status == CommitmentStatus.SERVING
    assert commitment.starts_on == ended
    assert commitment.ends_on == ended.replace(year=ended.year + 6)  # 72 months
    cadre = Cadre.objects.get(pk=dispatch.cadre_id)
    assert cadre.education_level == EducationLevel.MASTER


def test_a_completion_cannot_be_dated_before_the_start_or_in_the_future(world, master):
    dispatch = kit.enrolled(
        world, kit.sent(world, master), starts_on=TODAY() - dt.timedelta(days=5)
    )
    for day in (TODAY() - dt.timedelta(days=6), TODAY() + dt.timedelta(days=1)):
        with pytest.raises(Invalid):
            services.dispatch_complete(actor=world.staff, dispatch=dispatch, ended_on=day)
    assert not TrainingRecord.objects.filter(
        cadre_id=dispatch.cadre_id, title__startswith="Thạc"
    ).exists()


def test_non_completion_is_recorded_without_a_record_and_the_commitment_lapses(
    world, master, django_capture_on_commit_callbacks
):
    dispatch = kit.enrolled(
        world, kit.sent(world, master), starts_on=TODAY() - dt.timedelta(days=100)
    )
    with pytest.raises(Invalid):
        services.dispatch_not_completed(
            actor=world.staff,
            dispatch=dispatch,
            outcome=Outcome.DROPPED_OUT,
            ended_on=TODAY(),
            reason="",
        )
    dispatch = services.dispatch_not_completed(
        actor=world.staff,
        dispatch=dispatch,
        outcome=Outcome.DROPPED_OUT,
        ended_on=TODAY(),
        reason="Hoàn cảnh gia đình",
    )
    assert dispatch.state == DispatchState.NOT_COMPLETED and dispatch.outcome == Outcome.DROPPED_OUT
    assert dispatch.training_record is None
    assert Commitment.objects.get(dispatch=dispatch).status == CommitmentStatus.LAPSED
    assert Cadre.objects.get(pk=dispatch.cadre_id).education_level == EducationLevel.BACHELOR
    assert _events("training.not_completed").get().reason == "Hoàn cảnh gia đình"


def test_a_dispatch_is_withdrawn_before_enrolment_only(world, master):
    kit.sent(world, master)
    dispatch = services.dispatch_withdraw(actor=world.staff, dispatch=master, reason="Sức khỏe")
    assert dispatch.state == DispatchState.WITHDRAWN and _open_nodes(dispatch) == []
    assert Commitment.objects.get(dispatch=dispatch).status == CommitmentStatus.VOID
    with pytest.raises(Conflict):
        services.dispatch_withdraw(actor=world.staff, dispatch=dispatch, reason="again")


def test_steps_out_of_order_are_conflicts(world, master):
    with pytest.raises(Conflict):
        kit.enrolled(world, master)
    with pytest.raises(Conflict):
        services.dispatch_complete(actor=world.staff, dispatch=master, ended_on=TODAY())
    kit.sent(world, master)
    with pytest.raises(Conflict):
        kit.sent(world, master)


def test_only_post_graduate_study_carries_a_commitment(world, plan):
    course = kit.course(world, plan, kind=TrainingKind.FOSTERING)
    candidate = kit.propose(world, plan, course, world.cadres[1])
    kit.approved(world, plan)
    with pytest.raises(Invalid):
        services.commitment_record(
            actor=world.staff, dispatch=kit.dispatch_of(candidate), signed_on=TODAY(), months=3
        )


def test_another_board_or_committee_cannot_act_on_a_dispatch(world, master, district_b):
    for outsider in (board_staff(district_b), member_of(CommitteeFactory(unit=world.unit))):
        with pytest.raises(Forbidden):
            services.dispatch_decide(
                actor=outsider, dispatch=master, decision_ref="1", decided_on=TODAY()
            )


def test_priority_flags_come_from_the_rule_set(world, plan):
    from workflows.training import selectors

    young = kit.eligible_cadre(
        world.unit, "Trẻ", age=39, gender=Gender.FEMALE, planned_for=world.post
    )
    flags = selectors.priority(young, plan.ruleset, world.unit, TODAY())
    # the planning structure's "young" at district level: under 40 (rule-set)
    assert flags.young and flags.woman and flags.rank == 2 and flags.young_under == 40
    older = kit.eligible_cadre(world.unit, "Bốn mươi", age=40, planned_for=world.post)
    flags = selectors.priority(older, plan.ruleset, world.unit, TODAY())
    assert not flags.young and not flags.woman and flags.rank == 0
