"""``seed_demo_rotation``: the demo province has a rotation under way with a report due, a
rotation plan at the standing committee's vote with its ballot open for the demo committee
members, and a transfer awaiting ``chutich``'s decision — built through the services, once,
and only in demo mode.

The demo province is seeded once for the module (``seed_demo``, every procedure's demo data
included) inside a transaction rolled back at the end; each test runs in a savepoint in it.
"""

import datetime as dt
import io

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from personnel.audit.models import AuditEvent
from personnel.audit.verify import verify_chain
from personnel.demo import DEMO_USERS
from personnel.models import User
from workflows.core import services as core
from workflows.core.models import BallotStatus, Choice, MeetingStatus, Participation
from workflows.core.selectors import cast_refusal
from workflows.rotation import demo, gates, selectors, services
from workflows.rotation.models import (
    Conversation,
    Kind,
    Movement,
    PlanStage,
    Report,
    RotationPlan,
    Stage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
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


def _logins() -> set[str]:
    return {d.username for d in DEMO_USERS}


def test_a_rotation_is_under_way_with_its_first_report_overdue(
    seeded, django_capture_on_commit_callbacks
):
    assert seeded == ""  # nothing skipped, no service refused
    plan = RotationPlan.objects.get(title=demo.UNDER_WAY)
    assert plan.stage == PlanStage.APPROVED and plan.unit.code == "demo-province"
    assert plan.opened_by.username == plan.submitted_by.username == "tochuc"
    (movement,) = plan.items.all()
    assert movement.stage == Stage.IN_ROTATION and movement.status != STATUS.DONE
    assert movement.decided_by.username == "chutich"
    assert movement.received_by.username not in _logins()  # the receiving district's board
    assert all(g["passed"] for g in movement.gates)
    assert movement.holding.position == movement.to_position
    assert movement.previous_holding.ended_on == movement.received_on - dt.timedelta(days=1)
    assert not (movement.cadre.user_id and movement.cadre.user.username in _logins())
    number, due = selectors.next_report(movement)
    assert number == 1 and due == movement.received_on + relativedelta(months=6)
    assert due < timezone.localdate()  # overdue
    assert not Report.objects.filter(movement=movement).exists()
    # The nightly job reminds the receiving board (notifications go out on commit, which this
    # module's enclosing transaction never reaches: the job runs again here); tochuc may record
    # the report.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() >= 1
    reminded = Notification.objects.filter(kind="rotation.report_due")
    assert reminded.exists()
    assert {n.recipient_id for n in reminded} <= {
        u.pk for u in selectors.board_members(movement.to_unit)
    }
    tochuc = _user("tochuc")
    report = services.report_record(
        actor=tochuc, movement=movement, reported_on=due, text="Hoàn thành tốt nhiệm vụ"
    )
    assert report.number == 1


def test_a_plan_waits_for_the_demo_logins_votes(seeded):
    plan = demo.existing()
    assert plan.stage == PlanStage.BALLOT
    items = list(plan.items.order_by("pk"))
    assert len(items) == 2 and {m.stage for m in items} == {Stage.PROPOSED}
    assert Conversation.objects.filter(movement=items[0]).exists()
    for item in items:
        results = {g.code: g for g in gates.evaluate(item, on_date=item.created.date())}
        assert results[gates.REMAINING_SERVICE].passed and results[gates.INVESTIGATION].passed
    vote = selectors.pending_vote(plan)
    meeting, ballot = vote.meeting, vote.ballot
    assert meeting.status == MeetingStatus.CONVENED and meeting.body == plan.standing
    assert ballot.status == BallotStatus.OPEN
    for username in ("uyvien", "chutich"):
        voter = _user(username)
        assert cast_refusal(user=voter, ballot=ballot) is None
        assert not Participation.objects.filter(ballot=ballot, user=voter).exists()
    assert Participation.objects.filter(ballot=ballot).exists()

    # The demo logins finish it: vote, close, record.
    chutich, uyvien, tochuc = _user("chutich"), _user("uyvien"), _user("tochuc")
    rows = list(ballot.candidates.values_list("pk", flat=True))
    for voter in (uyvien, chutich):
        core.ballot_cast(
            actor=voter, ballot=ballot, marks=[core.PaperMark(Choice.APPROVE, pk) for pk in rows]
        )
    core.ballot_close(actor=chutich, ballot=ballot)
    plan = services.vote_record(actor=tochuc, plan=plan)
    assert plan.stage == PlanStage.APPROVED
    assert set(plan.items.values_list("stage", flat=True)) == {Stage.APPROVED}


def test_a_transfer_waits_for_the_chairs_decision(seeded):
    transfer = Movement.objects.get(kind=Kind.TRANSFER)
    assert transfer.stage == Stage.SUBMITTED and transfer.consultations.count() == 2
    task = transfer.task_set.get(flow_task__endswith=".decide")
    assert task.owner.username == "chutich"
    decided = services.movement_decide(
        actor=_user("chutich"),
        movement=transfer,
        decision_number="450-QĐ/TU",
        decision_date=transfer.created.date(),
        starts_on=transfer.created.date(),
    )
    assert decided.stage == Stage.DECIDED


def test_what_the_demo_logins_see(seeded):
    for username in ("tochuc", "chutich", "uyvien"):
        assert selectors.plans_for_user(user=_user(username)).count() == 2
        assert selectors.movements_for_user(user=_user(username)).count() == 4
    assert not selectors.plans_for_user(user=_user("caolanh")).exists()
    assert not selectors.movements_for_user(user=_user("canbo")).exists()
    events = AuditEvent.objects.filter(procedure="rotation", action__startswith="rotation.")
    assert events.filter(action="rotation.plan_open").count() == 2
    assert events.filter(action="rotation.decision").count() == 1
    assert verify_chain().ok


def test_seeding_again_adds_nothing(seeded):
    counts = (RotationPlan.objects.count(), Movement.objects.count(), Report.objects.count())
    out = io.StringIO()
    call_command("seed_demo_rotation", stdout=out)
    assert "already present" in out.getvalue()
    assert (
        RotationPlan.objects.count(),
        Movement.objects.count(),
        Report.objects.count(),
    ) == counts


@override_settings(CADREFLOW_DEMO_MODE=False)
def test_the_command_is_refused_outside_demo_mode(seeded):
    with pytest.raises(CommandError, match="CADREFLOW_DEMO_MODE"):
        call_command("seed_demo_rotation")
