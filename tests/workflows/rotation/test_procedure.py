"""The rotation and transfer procedure through its services (domain §6): the plan drafted and
carried by the standing committee's secret ballot (on the meeting engine), a cadre left out by
the vote, a tie decided by the head; one cadre walked through conversation, consultations,
dossier, decision, handover, reception (the positions held change), reports and the
end-of-rotation review to each placement (return, stay, new post); the transfer's shorter
path; separation of duties; the audit trail and the notifications."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from personnel.models import PositionHolding
from tests.factories import CadreFactory, PositionHoldingFactory, UserFactory, member_of
from tests.workflows.planning.kit import run_meeting
from tests.workflows.rotation import kit
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import Ballot, BallotKind, Choice, Deadline
from workflows.core.services import PaperMark
from workflows.rotation import selectors, services
from workflows.rotation.flows import RotationFlow, TransferFlow
from workflows.rotation.models import (
    Kind,
    Movement,
    Opinion,
    Placement,
    PlanStage,
    Side,
    Stage,
)

pytestmark = pytest.mark.django_db


def _actions(**filters) -> list[str]:
    return list(
        AuditEvent.objects.filter(procedure="rotation", action__startswith="rotation.", **filters)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def _open(process) -> set[str]:
    return {
        t.flow_task.name
        for t in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    }


# --------------------------------------------------------------------------- the plan


def test_the_plan_is_drafted_voted_by_secret_ballot_and_a_cadre_left_out(world):
    kept = kit.cadre_at(world.from_post, "Được luân chuyển")
    dropped = kit.cadre_at(world.to_lower, "Không đạt")
    plan = kit.open_plan(world)
    assert plan.stage == PlanStage.DRAFT and plan.ruleset.in_use
    assert plan.standing == world.standing.committee == plan.competent_body
    first = kit.add(world, plan, kept)
    second = kit.add(world, plan, dropped, to=world.spare_post, months=48)
    assert first.from_position == world.from_post and first.from_unit == world.sending.unit
    assert first.to_unit == world.receiving.unit and first.kind == Kind.ROTATION
    assert _open(first) == {"prepare"}
    # A cadre is in one rotation at a time.
    with pytest.raises(Conflict, match="already in a rotation"):
        kit.add(world, plan, kept, to=world.spare_post)

    services.plan_submit(actor=world.staff, plan=plan)
    with pytest.raises(Conflict):
        kit.add(world, plan, kit.cadre_at(world.spare_post, "Muộn"))
    vote = services.vote_call(actor=world.staff, plan=plan, scheduled_at=timezone.now())
    ballot = vote.ballot
    assert ballot.kind == BallotKind.APPROVAL and vote.meeting.body == world.standing.committee
    assert set(ballot.candidates.values_list("cadre_id", flat=True)) == {kept.pk, dropped.pk}
    with pytest.raises(Conflict, match="already been called"):
        services.vote_call(actor=world.staff, plan=plan, scheduled_at=timezone.now())
    with pytest.raises(Conflict, match="closed first"):
        services.vote_record(actor=world.staff, plan=plan)

    def marks(ballot, i):
        return [
            PaperMark(
                Choice.APPROVE if c.cadre_id == kept.pk or i == 0 else Choice.DISAPPROVE, c.pk
            )
            for c in ballot.candidates.all()
        ]

    run_meeting([vote], marks)
    plan = services.vote_record(actor=world.staff, plan=plan, note="Biểu quyết kín")
    assert plan.stage == PlanStage.APPROVED and plan.approved_at
    assert kit.refresh(first).stage == Stage.APPROVED
    left = kit.refresh(second)
    assert left.stage == Stage.NOT_CARRIED and left.status == STATUS.CANCELED
    assert _open(left) == set()
    assert _open(plan) == set()
    event = AuditEvent.objects.get(action=Action.ROTATION_VOTE_RECORD)
    assert event.changes["carried"] == [None, [first.pk]]
    assert set(event.changes) == {"ballot", "carried", "stage"}  # who is carried, no counts
    assert _actions(process_id=plan.pk) == [
        Action.ROTATION_PLAN_OPEN,
        Action.ROTATION_PLAN_SUBMIT,
        Action.ROTATION_VOTE_CALL,
        Action.ROTATION_VOTE_RECORD,
    ]


def test_a_vote_that_carries_nobody_is_called_again(world):
    plan = kit.open_plan(world)
    kit.add(world, plan, kit.cadre_at(world.from_post))

    def everyone_disapproves(ballot, _i):
        return [PaperMark(Choice.DISAPPROVE, c.pk) for c in ballot.candidates.all()]

    kit.vote(world, plan, everyone_disapproves)
    plan = services.vote_record(actor=world.staff, plan=plan)
    assert plan.stage == PlanStage.BALLOT
    assert plan.votes.get().outcome["result"] == "rejected"
    kit.vote(world, plan)
    plan = services.vote_record(actor=world.staff, plan=plan)
    assert plan.stage == PlanStage.APPROVED
    assert list(plan.votes.values_list("call", flat=True)) == [1, 2]


def test_a_tie_is_decided_by_the_head_with_the_differing_opinions(world):
    member_of(world.standing.committee)  # six members: three approvals are exactly half
    plan = kit.open_plan(world)
    movement = kit.add(world, plan, kit.cadre_at(world.from_post))

    def half(ballot, i):
        choice = Choice.APPROVE if i < 3 else Choice.DISAPPROVE
        return [PaperMark(choice, c.pk) for c in ballot.candidates.all()]

    vote = kit.vote(world, plan, half)
    ballot = Ballot.objects.get(pk=vote.ballot_id)
    assert ballot.outcome["needs_head_decision"] is True
    with pytest.raises(Conflict, match="head of the meeting decides it first"):
        services.vote_record(actor=world.staff, plan=plan)
    (candidate,) = ballot.candidates.all()
    with pytest.raises(Forbidden):
        services.tie_decide(
            actor=world.staff, plan=plan, approve=[candidate.pk], differing_opinions="Hai ý kiến"
        )
    with pytest.raises(Invalid):
        services.tie_decide(actor=world.chair, plan=plan, approve=[0], differing_opinions="x")
    services.tie_decide(
        actor=world.chair, plan=plan, approve=[candidate.pk], differing_opinions="Hai ý kiến"
    )
    assert Ballot.objects.get(pk=ballot.pk).differing_opinions == "Hai ý kiến"
    plan = services.vote_record(actor=world.staff, plan=plan)
    assert plan.stage == PlanStage.APPROVED
    assert kit.refresh(movement).stage == Stage.APPROVED


def test_withdrawing_the_plan_cancels_its_cadres(world):
    plan = kit.open_plan(world)
    movement = kit.add(world, plan, kit.cadre_at(world.from_post))
    with pytest.raises(Invalid):
        services.plan_withdraw(actor=world.staff, plan=plan, reason=" ")
    with pytest.raises(Forbidden):
        services.plan_withdraw(actor=world.standing.others[0], plan=plan, reason="x")
    plan = services.plan_withdraw(actor=world.chair, plan=plan, reason="Thay đổi chủ trương")
    assert plan.stage == PlanStage.WITHDRAWN and plan.status == STATUS.CANCELED
    movement = kit.refresh(movement)
    assert movement.stage == Stage.WITHDRAWN and movement.status == STATUS.CANCELED
    # The cadre is free for another move.
    kit.add(world, kit.open_plan(world, title="Kế hoạch mới"), movement.cadre)


# --------------------------------------------------------------------------- one cadre, to the end


def test_a_rotation_from_the_plan_to_the_return(world, django_capture_on_commit_callbacks):
    user = UserFactory(username="luan")
    cadre = kit.cadre_at(world.from_post, user=user)
    old = PositionHolding.objects.get(cadre=cadre)
    _plan, (movement,) = kit.approved_plan(world, cadre)

    # Submission needs the conversation and both units' opinions.
    with pytest.raises(Invalid, match="conversation"):
        services.movement_submit(actor=world.staff, movement=movement)
    kit.converse(world, movement, objection="Hoàn cảnh gia đình khó khăn")
    services.consultation_record(
        actor=world.staff,
        movement=movement,
        side=Side.SENDING,
        consulted_on=kit.today(),
        body="Ban Thường vụ Thành ủy",
        opinion=Opinion.AGREES,
    )
    with pytest.raises(Invalid, match="Receiving unit not consulted"):
        services.movement_submit(actor=world.staff, movement=movement)
    with pytest.raises(Invalid, match="remarks"):
        services.consultation_record(
            actor=world.staff,
            movement=movement,
            side=Side.RECEIVING,
            consulted_on=kit.today(),
            body="Ban Thường vụ Huyện ủy",
            opinion=Opinion.DISAGREES,
        )
    kit.consult(world, movement)
    assert movement.consultations.count() == 2  # recorded again: replaced
    kit.dossier(world, movement)
    with pytest.raises(Forbidden):  # not the board
        services.movement_submit(actor=world.chair, movement=movement)
    movement = services.movement_submit(actor=world.staff2, movement=movement)
    assert movement.stage == Stage.SUBMITTED and _open(movement) == {"decide"}
    decide_task = movement.task_set.get(flow_task=RotationFlow.decide)
    assert decide_task.owner == world.chair
    assert Deadline.objects.filter(task=decide_task, met_at__isnull=True).exists()

    decided_on = kit.today() - dt.timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        movement = kit.decide(world, movement, on=decided_on)
    assert movement.planned_end == decided_on + relativedelta(months=36)
    assert movement.gates and all(g["passed"] for g in movement.gates)
    decided = Notification.objects.get(kind="rotation.decided", recipient=user)
    assert decided.params["number"] == "125-QĐ/TU"
    assert Deadline.objects.get(task=decide_task).met_at is not None

    with pytest.raises(Forbidden):  # the receiving unit does not hand over
        services.movement_hand_over(
            actor=world.receiving.board, movement=movement, handed_over_on=decided_on
        )
    with pytest.raises(Invalid, match="before the decision"):
        services.movement_hand_over(
            actor=world.sending.board,
            movement=movement,
            handed_over_on=decided_on - dt.timedelta(days=1),
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.movement_hand_over(
            actor=world.sending.board, movement=movement, handed_over_on=decided_on
        )
    assert Notification.objects.filter(
        kind="rotation.handed_over", recipient=world.receiving.board
    ).exists()
    assert Notification.objects.filter(
        kind="rotation.handed_over", recipient=world.receiving.standing.chair
    ).exists()
    # The receiving unit's chair confirms the reception.
    movement = services.movement_receive(
        actor=world.receiving.standing.chair,
        movement=movement,
        received_on=decided_on + dt.timedelta(days=1),
        note="Đã tiếp nhận, phân công nhiệm vụ",
    )
    assert movement.stage == Stage.IN_ROTATION and _open(movement) == {"in_rotation"}
    old.refresh_from_db()
    assert old.ended_on == decided_on
    new = movement.holding
    assert new.position == world.to_post and new.started_on == decided_on + dt.timedelta(days=1)
    assert new.term_ends_on == new.started_on + relativedelta(months=36)
    assert new.decision_ref == "125-QĐ/TU"
    assert movement.previous_holding == old and movement.allowance_reserved is False

    # Reports by the receiving unit's board.
    with pytest.raises(Forbidden):
        services.report_record(
            actor=world.sending.board, movement=movement, reported_on=kit.today(), text="x"
        )
    report = services.report_record(
        actor=world.receiving.board, movement=movement, reported_on=kit.today(), text="Tốt"
    )
    assert report.number == 1
    assert report.due_on == movement.received_on + relativedelta(months=6)
    assert selectors.next_report(movement) == (2, movement.received_on + relativedelta(months=12))

    # The review by the plan's board; the chair places — not whoever reviewed.
    movement = services.review_record(
        actor=world.staff,
        movement=movement,
        reviewed_on=kit.today(),
        review="Hoàn thành tốt nhiệm vụ",
        proposed_placement=Placement.RETURN,
    )
    assert movement.stage == Stage.REVIEWED and _open(movement) == {"place"}
    returned_on = kit.today() + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        movement = kit.place(world, movement, Placement.RETURN, on=returned_on)
    assert movement.stage == Stage.COMPLETED and movement.status == STATUS.DONE
    assert movement.placement_position == world.from_post
    movement.holding.refresh_from_db()
    assert movement.holding.ended_on == kit.today()
    back = movement.placement_holding
    assert (back.position, back.started_on, back.ended_on) == (world.from_post, returned_on, None)
    assert Notification.objects.filter(kind="rotation.placed", recipient=user).exists()
    assert _actions(process_id=movement.pk) == [
        Action.ROTATION_ITEM_ADD,
        Action.ROTATION_CONVERSATION,
        Action.ROTATION_CONSULTATION,
        Action.ROTATION_CONSULTATION,
        Action.ROTATION_CONSULTATION,
        Action.ROTATION_DOSSIER,
        Action.ROTATION_DOSSIER,
        Action.ROTATION_DOSSIER,
        Action.ROTATION_DOSSIER,
        Action.ROTATION_DOSSIER,
        Action.ROTATION_SUBMIT,
        Action.ROTATION_DECISION,
        Action.ROTATION_HANDOVER,
        Action.ROTATION_RECEPTION,
        Action.ROTATION_REPORT,
        Action.ROTATION_REVIEW,
        Action.ROTATION_PLACEMENT,
    ]
    holding_events = AuditEvent.objects.filter(
        action__in=[Action.HOLDING_START, Action.HOLDING_END]
    )
    assert holding_events.filter(action=Action.HOLDING_END).count() == 2


def test_staying_at_the_destination_settles_the_cadre(world):
    movement = kit.in_rotation(world, kit.cadre_at(world.from_post))
    services.review_record(
        actor=world.staff,
        movement=movement,
        reviewed_on=kit.today(),
        review="Phù hợp, đề nghị ở lại",
        proposed_placement=Placement.STAY,
    )
    settled_on = kit.today() + dt.timedelta(days=3)
    movement = kit.place(world, kit.refresh(movement), Placement.STAY, on=settled_on)
    assert movement.placement == Placement.STAY and movement.stage == Stage.COMPLETED
    rotation_post, settled = movement.holding, movement.placement_holding
    rotation_post.refresh_from_db()
    assert rotation_post.ended_on == settled_on - dt.timedelta(days=1)
    assert settled.position == world.to_post and settled.started_on == settled_on
    # On the post's normal term now, no longer the rotation's end.
    assert settled.term_ends_on == settled_on.replace(year=settled_on.year + 5)
    assert not Movement.objects.exclude(stage__in=["completed"]).filter(cadre=movement.cadre)


def test_a_new_post_after_the_rotation_and_a_full_old_post(world):
    movement = kit.in_rotation(world, kit.cadre_at(world.from_post))
    # Someone took the former post meanwhile.
    PositionHoldingFactory(
        cadre=CadreFactory(unit=world.sending.unit, full_name="Người kế nhiệm"),
        position=world.from_post,
        started_on=movement.received_on + dt.timedelta(days=1),
    )
    services.review_record(
        actor=world.staff,
        movement=movement,
        reviewed_on=kit.today(),
        review="Xuất sắc",
        proposed_placement=Placement.RETURN,
    )
    movement = kit.refresh(movement)
    with pytest.raises(Forbidden, match="chair of the competent body"):
        services.placement_decide(
            actor=world.staff,
            movement=movement,
            placement=Placement.RETURN,
            effective_on=kit.today(),
            decision_number="1",
        )
    later = kit.today() + dt.timedelta(days=2)
    with pytest.raises(Invalid, match="seats"):
        kit.place(world, movement, Placement.RETURN, on=later)
    with pytest.raises(Invalid, match="Choose the new post"):
        kit.place(world, movement, Placement.NEW_POST, on=later)
    movement = kit.place(world, movement, Placement.NEW_POST, on=later, position=world.spare_post)
    assert movement.placement_holding.position == world.spare_post


def test_the_chair_who_recorded_the_review_does_not_decide_the_placement(world):
    member_of(world.staff.memberships.first().committee, user=world.chair)
    movement = kit.in_rotation(world, kit.cadre_at(world.from_post))
    services.review_record(
        actor=world.chair,
        movement=movement,
        reviewed_on=kit.today(),
        review="Tốt",
        proposed_placement=Placement.STAY,
    )
    with pytest.raises(Forbidden, match="recorded the review"):
        kit.place(world, kit.refresh(movement), Placement.STAY, on=kit.today() + dt.timedelta(1))
    assert kit.refresh(movement).stage == Stage.REVIEWED


def test_a_lower_post_reserves_the_allowance(world):
    cadre = kit.cadre_at(world.from_post)
    plan = kit.open_plan(world)
    movement = kit.add(world, plan, cadre, to=world.to_lower, direction="downward")
    kit.vote(world, plan)
    services.vote_record(actor=world.staff, plan=plan)
    movement = kit.prepare(world, kit.refresh(movement))
    kit.decide(world, movement)
    movement = kit.hand_over_and_receive(world, movement)
    assert movement.allowance_reserved is True
    assert AuditEvent.objects.get(action=Action.ROTATION_RECEPTION).changes[
        "allowance_reserved"
    ] == [None, True]


def test_separation_of_duties_at_the_decision(world):
    """The chair who drafted the plan, proposed or submitted the cadre cannot decide."""
    chair_board = member_of(world.staff.memberships.first().committee, user=world.chair)
    assert chair_board == world.chair
    plan = services.plan_open(
        actor=world.chair,
        unit=world.province,
        title="Do chủ tịch lập",
        period_start=2026,
        period_end=2027,
    )
    movement = services.item_add(
        actor=world.staff,
        plan=plan,
        cadre=kit.cadre_at(world.from_post),
        to_position=world.to_post,
        direction="localities",
        reason="Rèn luyện",
        months=36,
    )
    kit.vote(world, plan)
    services.vote_record(actor=world.staff, plan=plan)
    movement = kit.prepare(world, kit.refresh(movement))
    with pytest.raises(Forbidden, match="cannot decide it"):
        kit.decide(world, movement)
    assert kit.refresh(movement).stage == Stage.SUBMITTED


def test_the_receiver_is_not_who_handed_over(world):
    cadre = kit.cadre_at(world.from_post)
    _plan, (movement,) = kit.approved_plan(world, cadre)
    movement = kit.prepare(world, movement)
    movement = kit.decide(world, movement)
    # The province board covers both districts; one member hands over...
    services.movement_hand_over(
        actor=world.staff, movement=movement, handed_over_on=movement.decision_date
    )
    with pytest.raises(Forbidden, match="handed the cadre over"):
        services.movement_receive(
            actor=world.staff, movement=movement, received_on=movement.decision_date
        )
    with pytest.raises(Forbidden):  # the sending district's board is not the receiving unit
        services.movement_receive(
            actor=world.sending.board, movement=movement, received_on=movement.decision_date
        )
    # ...another confirms.
    movement = services.movement_receive(
        actor=world.staff2, movement=movement, received_on=movement.decision_date
    )
    assert movement.received_by == world.staff2


def test_withdrawn_before_the_decision_and_not_after(world):
    _plan, (movement,) = kit.approved_plan(world, kit.cadre_at(world.from_post))
    movement = kit.prepare(world, movement)
    kit.decide(world, movement)
    with pytest.raises(Conflict):
        services.movement_withdraw(actor=world.staff, movement=movement, reason="x")
    _plan, (other,) = kit.approved_plan(world, kit.cadre_at(world.to_lower, "Khác"))
    other = services.movement_withdraw(actor=world.chair, movement=other, reason="Sức khỏe")
    assert other.stage == Stage.WITHDRAWN and _open(other) == set()


# --------------------------------------------------------------------------- a transfer


def test_a_transfer_is_consulted_decided_handed_over_and_received(world):
    user = UserFactory(username="dieudong")
    cadre = kit.cadre_at(world.to_lower, "Điều Động", user=user)
    with pytest.raises(Forbidden):
        services.transfer_propose(
            actor=world.sending.board,
            unit=world.province,
            cadre=cadre,
            to_position=world.spare_post,
            reason="x",
        )
    transfer = services.transfer_propose(
        actor=world.staff,
        unit=world.province,
        cadre=cadre,
        to_position=world.spare_post,
        reason="Yêu cầu nhiệm vụ chính trị",
    )
    assert transfer.kind == Kind.TRANSFER and transfer.plan is None and transfer.months is None
    assert transfer.flow_class == TransferFlow and _open(transfer) == {"prepare"}
    with pytest.raises(Invalid, match="Consult both units"):
        services.movement_submit(actor=world.staff, movement=transfer)
    with pytest.raises(Invalid, match="Only a rotation"):
        services.duration_exception_record(actor=world.chair, movement=transfer, reason="x")
    transfer = kit.prepare(world, transfer)
    assert transfer.stage == Stage.SUBMITTED
    transfer = kit.decide(world, transfer)
    assert transfer.planned_end is None
    assert [g["code"] for g in transfer.gates] == ["investigation"]
    handed = services.movement_hand_over(
        actor=world.receiving.board, movement=transfer, handed_over_on=transfer.decision_date
    )  # the cadre works in the second district: its board hands them over
    transfer = services.movement_receive(
        actor=world.staff, movement=handed, received_on=transfer.decision_date
    )
    assert transfer.stage == Stage.TRANSFERRED and transfer.status == STATUS.DONE
    assert transfer.holding.position == world.spare_post
    assert transfer.holding.term_ends_on == transfer.received_on.replace(
        year=transfer.received_on.year + 5
    )
    with pytest.raises(Conflict):
        services.report_record(
            actor=world.staff, movement=transfer, reported_on=kit.today(), text="x"
        )
    assert Action.ROTATION_TRANSFER_PROPOSE in _actions(process_id=transfer.pk)
