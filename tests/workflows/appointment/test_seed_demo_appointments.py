"""``seed_demo_appointments``: the demo province shows appointment procedures at several stages,
built through the services (issue #6), once, and only in demo mode.

The demo province is seeded once for the module (it takes seconds) inside a transaction that is
rolled back at the end; each test runs in its own savepoint inside it.
"""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from personnel.audit.models import AuditEvent
from personnel.audit.verify import verify_chain
from personnel.models import (
    PlanningEntry,
    PoliticalStandardConclusion,
    PositionHolding,
    User,
)
from workflows.appointment import demo, services
from workflows.appointment.models import (
    Appointment,
    AppointmentCandidate,
    AppointmentStep,
    CandidateStatus,
    DossierItem,
    Source,
    StepCode,
)
from workflows.appointment.selectors import appointments_for_user
from workflows.core.models import Ballot, BallotStatus, Meeting, MeetingKind, MeetingStatus
from workflows.core.selectors import meetings_for_user

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


def _scenarios() -> dict[int, Appointment]:
    return {s.number: demo.existing(s) for s in demo.SCENARIOS}


def _open_nodes(appointment) -> list[str]:
    return sorted(
        t.flow_task.name
        for t in appointment.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    )


def _gates_passed(candidate: AppointmentCandidate) -> bool:
    return bool(candidate.gates_at_start) and all(g["passed"] for g in candidate.gates_at_start)


def test_the_demo_has_appointments_at_several_stages(seeded):
    assert seeded == ""  # nothing skipped, no service refused
    found = _scenarios()
    assert None not in found.values()
    assert {n: a.stage for n, a in found.items()} == {s.number: s.stage for s in demo.SCENARIOS}
    assert len({a.position_id for a in found.values()}) == len(found)  # one post each
    for appointment in found.values():
        assert appointment.unit.code == "demo-province"
        assert appointment.competent_body.name == "Ban Thường vụ Tỉnh ủy"
        assert appointment.position.managing_committee_id == appointment.competent_body_id
        assert AuditEvent.objects.filter(
            process_id=appointment.pk, action="appointment.start", actor__username="tochuc"
        ).exists()
    today = timezone.localdate()

    # 1. waiting for the chair's policy decision
    waiting = found[104]
    assert _open_nodes(waiting) == ["decide_policy"]
    (task,) = [t for t in waiting.task_set.all() if t.flow_task.name == "decide_policy"]
    assert task.owner.username == "chutich"

    # 2. step 1 ran and is recorded; step 2's expanded meeting is called for tomorrow
    called = found[103]
    assert services.current_step(called) == StepCode.STEP2
    step1 = called.steps.get(code=StepCode.STEP1)
    assert step1.recorded_at is not None and step1.outcome["result"] == "approved"
    assert step1.ballot.status == BallotStatus.CLOSED
    assert step1.meeting.status == MeetingStatus.CLOSED
    step2 = called.steps.get(code=StepCode.STEP2)
    assert step2.recorded_at is None
    assert step2.meeting.kind == MeetingKind.EXPANDED_COLLECTIVE
    assert step2.meeting.status == MeetingStatus.SCHEDULED
    assert timezone.localdate(step2.meeting.scheduled_at) == today + dt.timedelta(days=1)
    assert step2.ballot.status == BallotStatus.DRAFT
    assert 2 <= step2.ballot.candidates.count() <= 3
    candidates = list(called.candidates.all())
    assert 2 <= len(candidates) <= 3
    assert all(c.status == CandidateStatus.ACTIVE and _gates_passed(c) for c in candidates)

    # 3. at the appraisal, part of the dossier uploaded (PDFs in MEDIA_ROOT), the rest missing
    appraisal = found[102]
    assert _open_nodes(appraisal) == ["appraisal", "limit"]
    assert list(appraisal.steps.values_list("code", flat=True)) == [
        StepCode.STEP1,
        StepCode.STEP2,
        StepCode.STEP3,
        StepCode.STEP4,
    ]
    assert appraisal.candidate is not None
    items = list(appraisal.dossier.all())
    missing = services.dossier_missing(appraisal)
    assert items and missing
    for item in items:
        with item.file.open("rb") as stored:
            assert stored.read(5) == b"%PDF-"
        assert item.size == item.file.size and item.uploaded_by.username == "tochuc"

    # 4. decided: the decision is issued and the cadre holds the post
    decided = found[101]
    assert decided.status == STATUS.DONE and decided.decision_number
    holding = PositionHolding.objects.get(cadre=decided.candidate, position=decided.position)
    assert holding.decision_ref == decided.decision_number
    assert holding.started_on == decided.effective_date
    assert decided.steps.get(code=StepCode.FINAL).outcome["result"] == "passed"
    actions = set(AuditEvent.objects.filter(process_id=decided.pk).values_list("action", flat=True))
    assert {"appointment.appraisal", "appointment.review", "appointment.decision"} <= actions
    # every step's meeting met its quorum with the members present, and voted
    for step in decided.steps.all():
        assert step.ballot.status == BallotStatus.CLOSED
        assert step.ballot.turnout >= step.meeting.summons.filter(votes=True).count() * 2 / 3

    # 5. external source, at the conversation with the one candidate
    external = found[105]
    assert external.source == Source.EXTERNAL
    assert services.current_step(external) == StepCode.CONVERSATION
    assert external.candidate is not None
    assert _gates_passed(external.candidates.get())
    assert not external.candidate.unit.path.startswith(external.position.unit.path)

    # the demo logins see them all; a district member and a plain cadre see none
    pks = {a.pk for a in found.values()}
    for username in ("tochuc", "chutich", "uyvien"):
        user = User.objects.get(username=username)
        visible = set(appointments_for_user(user=user).values_list("pk", flat=True))
        assert pks <= visible, username
    for username in ("caolanh", "canbo"):
        assert not appointments_for_user(user=User.objects.get(username=username)).exists()
    uyvien = User.objects.get(username="uyvien")
    assert meetings_for_user(user=uyvien).filter(pk=step2.meeting_id).exists()
    assert verify_chain().ok


def _counts() -> dict:
    models = (
        Appointment,
        AppointmentStep,
        AppointmentCandidate,
        DossierItem,
        Meeting,
        Ballot,
        Task,
        PositionHolding,
        PlanningEntry,
        PoliticalStandardConclusion,
        AuditEvent,
    )
    return {m.__name__: m.objects.count() for m in models}


def test_seeding_again_creates_nothing(seeded):
    before = _counts()
    assert before["Appointment"] == len(demo.SCENARIOS)
    out = io.StringIO()
    call_command("seed_demo_appointments", stdout=out)
    assert _counts() == before
    assert "already present" in out.getvalue()


def test_refused_outside_demo_mode(settings):
    settings.CADREFLOW_DEMO_MODE = False
    before = _counts()
    with pytest.raises(CommandError, match="CADREFLOW_DEMO_MODE"):
        call_command("seed_demo_appointments", verbosity=0)
    assert _counts() == before


def test_refused_without_the_demo_logins():
    # Whether or not the module's seed exists: the organisation board's demo login is gone.
    User.objects.filter(username="tochuc").update(is_active=False)
    before = _counts()
    with pytest.raises(CommandError, match="Run seed_demo first"):
        call_command("seed_demo_appointments", verbosity=0)
    assert _counts() == before
