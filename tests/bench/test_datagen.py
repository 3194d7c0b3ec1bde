"""The benchmark data generator (issue #9): the tiny size, built once for the module inside a
transaction rolled back at the end (each test runs in its own savepoint).

What must hold for the benchmarks to mean anything: the counts asked for, every task consistent
with its process and every process with its own state column, ballots that satisfy the engine's
rules and keep no voter link, an audit chain that verifies, logins that work and see their
tasks, and scopes that keep one district out of another's procedures.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from bench.datagen import appointments, evaluation, planning
from bench.datagen.build import BENCH_PASSWORD, Generator
from bench.datagen.loader import Progress
from bench.datagen.sizes import LARGE, MEDIUM, SMALL, TINY
from personnel.audit.models import AuditEvent
from personnel.audit.verify import verify_chain
from personnel.models import (
    Cadre,
    CommitteeKind,
    CommitteeMembership,
    OrgUnitUserObjectPermission,
    User,
)
from workflows.appointment.models import Appointment
from workflows.appointment.models import Stage as AppointmentStage
from workflows.appointment.services import FINISHED
from workflows.core import rules, tally
from workflows.core.models import (
    Attendance,
    Ballot,
    BallotKind,
    BallotMode,
    BallotStatus,
    Choice,
    Mark,
    Meeting,
    MeetingStatus,
    ParameterKey,
    Participation,
    Summons,
)
from workflows.evaluation.models import CampaignStage, EvaluationCampaign
from workflows.planning.models import PlanningReview, RemovalProposal, RemovalStatus
from workflows.planning.models import Stage as ReviewStage

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The tiny dataset, generated once: (generator, report)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            generator = Generator(TINY, seed=7, progress=Progress(quiet=True))
            report = generator.run()
            yield generator, report
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --------------------------------------------------------------------------- counts


def test_the_sizes_keep_the_issue_s_proportions():
    assert (LARGE.cadres, LARGE.procedures, LARGE.tasks) == (50_000, 100_000, 1_000_000)
    assert (LARGE.meetings, LARGE.audit_events) == (10_000, 1_000_000)
    assert MEDIUM.procedures * 5 == LARGE.procedures and MEDIUM.tasks * 5 == LARGE.tasks
    assert SMALL.procedures * 50 == LARGE.procedures and SMALL.audit_events * 50 == 1_000_000


def test_the_counts_asked_for_are_built(built):
    _generator, report = built
    asked, got = report["requested"], report["built"]
    for key in ("cadres", "procedures", "workflow_tasks", "audit_events"):
        assert got[key] == asked[key], key
    # Every meeting step has its own meeting, as the services call them: at least as many.
    assert got["meetings"] >= asked["meetings"]
    assert Cadre.objects.count() == TINY.cadres
    assert Process.objects.count() == TINY.procedures
    assert Task.objects.count() == TINY.tasks
    assert AuditEvent.objects.count() == TINY.audit_events
    assert report["rows"]["viewflow_task"] == TINY.tasks
    assert report["holdings_without_decision"] == 0


def test_procedures_of_every_flow_in_every_state(built):
    statuses = defaultdict(set)
    for flow, status in Process.objects.values_list("flow_class", "status"):
        statuses[flow.__name__].add(status)
    assert statuses["AppointmentFlow"] == {PROCESS.NEW, PROCESS.DONE, PROCESS.CANCELED}
    assert {PROCESS.NEW, PROCESS.DONE} <= statuses["PlanningReviewFlow"]
    assert statuses["RemovalFlow"] == {PROCESS.NEW, PROCESS.DONE}
    assert {PROCESS.NEW, PROCESS.DONE} <= statuses["EvaluationFlow"]
    stages = set(Appointment.objects.values_list("stage", flat=True))
    assert {AppointmentStage.DECISION_ISSUED, AppointmentStage.POLICY_REQUESTED} <= stages
    assert len(stages) >= 8
    assert set(RemovalProposal.objects.values_list("state", flat=True)) == set(RemovalStatus)


def test_the_plans_are_the_same_for_the_same_seed():
    def draw(seed):
        rng = random.Random(seed)
        return (
            appointments.draw(rng, 60),
            planning.draw_reviews(rng, 20),
            planning.draw_removals(rng, 20),
            evaluation.draw(rng, 10, ["p", "d"]),
        )

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


# --------------------------------------------------------------------------- tasks and processes


def test_every_task_agrees_with_its_process(built):
    processes = {p.pk: p for p in Process.objects.all()}
    tasks = defaultdict(list)
    for task in Task.objects.all():
        tasks[task.process_id].append(task)
    previous = defaultdict(set)
    for to_task, from_task in Task.previous.through.objects.values_list(
        "to_task_id", "from_task_id"
    ):
        previous[from_task].add(to_task)
    by_id = {t.pk: t for ts in tasks.values() for t in ts}
    for pid, process in processes.items():
        mine = tasks[pid]
        assert mine, f"process {pid} has no task"
        assert {t.flow_task.flow_class for t in mine} == {process.flow_class}
        unfinished = [t for t in mine if t.finished is None]
        if process.status == PROCESS.DONE:
            assert process.finished is not None and not unfinished, pid
            assert any(t.flow_task_type == "END" and t.status == STATUS.DONE for t in mine)
        elif process.status == PROCESS.CANCELED:
            assert process.finished is not None and not unfinished, pid
            assert any(t.status == STATUS.CANCELED for t in mine)
        else:
            assert process.finished is None and unfinished, pid
        for task in mine:
            if task.flow_task_type == "START":
                assert not previous[task.pk]
            else:
                assert previous[task.pk], f"task {task.pk} has no previous task"
                assert {by_id[p].process_id for p in previous[task.pk]} == {pid}
            assert task.created <= (task.finished or task.created)
            if task.flow_task_type == "HUMAN":
                if task.status == STATUS.NEW:
                    assert task.owner_id is None
                elif task.status in (STATUS.ASSIGNED, STATUS.DONE):
                    assert task.owner_id is not None
            if task.status == STATUS.SCHEDULED:
                assert task.flow_task_type == "TIMER" and task.scheduled is not None
            if task.status in (STATUS.NEW, STATUS.ASSIGNED, STATUS.SCHEDULED):
                assert task.finished is None
            if task.status == STATUS.DONE:
                assert task.finished is not None


def test_nothing_happens_after_the_moment_the_data_describes(built):
    now = built[0].clock.now
    later = Q(created__gt=now) | Q(finished__gt=now) | Q(assigned__gt=now)
    assert not Task.objects.filter(later).exists()
    assert not Task.objects.filter(assigned__gt=F("finished")).exists()
    assert not Process.objects.filter(Q(created__gt=now) | Q(finished__gt=now)).exists()
    assert not AuditEvent.objects.filter(occurred_at__gt=now).exists()
    # Only meetings called for the coming days and limits not reached lie ahead.
    assert (
        not Meeting.objects.filter(scheduled_at__gt=now)
        .exclude(status=MeetingStatus.SCHEDULED)
        .exists()
    )
    ahead = Task.objects.filter(scheduled__gt=now)
    assert not ahead.exclude(status__in=[STATUS.SCHEDULED, STATUS.CANCELED]).exists()


def test_branch_tokens_follow_the_split(built):
    for appointment in Appointment.objects.filter(stage=AppointmentStage.DECISION_ISSUED)[:10]:
        tasks = {t.flow_task.name: t for t in appointment.task_set.all()}
        split = tasks["run_steps"].pk
        assert tasks["limit"].token == f"start/{split}_1"
        assert tasks["by_source"].token == tasks["decide"].token == f"start/{split}_2"
        assert tasks["decide_policy"].token == "start"


def test_state_columns_agree_with_the_processes(built):
    for appointment in Appointment.objects.all():
        finished = appointment.stage in FINISHED
        assert finished == (appointment.status != PROCESS.NEW), appointment.pk
        open_nodes = {t.flow_task.name for t in appointment.task_set.filter(finished__isnull=True)}
        if appointment.stage == AppointmentStage.POLICY_REQUESTED:
            assert open_nodes == {"decide_policy"}
        if appointment.stage == AppointmentStage.DECISION_ISSUED:
            assert appointment.candidate.holdings.filter(
                position=appointment.position, started_on=appointment.effective_date
            ).exists(), appointment.pk
    for review in PlanningReview.objects.all():
        running = review.stage not in (
            ReviewStage.PUBLISHED,
            ReviewStage.REJECTED,
            ReviewStage.WITHDRAWN,
        )
        assert running == (review.status == PROCESS.NEW), review.pk
    running = PlanningReview.objects.filter(status=PROCESS.NEW)
    assert (
        running.values("unit", "term_start_year").annotate(n=Count("pk")).filter(n__gt=1).count()
        == 0
    )
    for removal in RemovalProposal.objects.all():
        assert (removal.state == RemovalStatus.OPEN) == (removal.status == PROCESS.NEW)
    for campaign in EvaluationCampaign.objects.all():
        expected = {
            CampaignStage.OPEN: PROCESS.NEW,
            CampaignStage.PUBLISHED: PROCESS.DONE,
            CampaignStage.CANCELLED: PROCESS.CANCELED,
        }[campaign.stage]
        assert campaign.status == expected


# --------------------------------------------------------------------------- ballots


def test_ballots_keep_the_engine_s_rules(built):
    closed = Ballot.objects.filter(status=BallotStatus.CLOSED).select_related("meeting")
    assert closed.filter(mode=BallotMode.ELECTRONIC).exists()
    assert closed.filter(mode=BallotMode.PAPER).exists()
    for ballot in closed:
        meeting = ballot.meeting
        assert meeting.status == MeetingStatus.CLOSED
        assert ballot.valid <= ballot.returned <= ballot.issued
        present = Summons.objects.filter(meeting=meeting, attendance=Attendance.PRESENT)
        assert ballot.issued == present.count()
        per = defaultdict(Counter)
        if ballot.mode == BallotMode.ELECTRONIC:
            voters = list(ballot.participations.values_list("user_id", flat=True))
            assert len(voters) == len(set(voters)) == ballot.valid
            assert set(voters) <= set(present.values_list("user_id", flat=True))
            for candidate, choice in Mark.objects.filter(ballot=ballot).values_list(
                "candidate_id", "choice"
            ):
                per[candidate][choice] += 1
        else:
            assert ballot.entered_by_id and ballot.confirmed_by_id
            assert ballot.entered_by_id != ballot.confirmed_by_id
            assert not ballot.participations.exists()
            for t in ballot.paper_tallies.all():
                per[t.candidate_id][t.choice] += t.count
        rows = {row["candidate"]: row["counts"] for row in ballot.outcome["candidates"]}
        for candidate, counts in rows.items():
            assert counts == dict(per.get(candidate, {})), ballot.pk
        denominator = ballot.outcome["denominator"]["value"]
        if ballot.kind == BallotKind.APPROVAL:
            for candidate, counts in rows.items():
                assert ballot.outcome["result"][str(candidate)] == tally.collective_decision(
                    counts.get(Choice.APPROVE, 0), denominator=denominator
                )
        else:
            votes = {c: counts.get(Choice.NOMINATE, 0) for c, counts in rows.items()}
            carry = rules.get(ballot.meeting.ruleset, ParameterKey.CARRY_FORWARD)
            assert ballot.outcome["result"] == tally.nomination(
                votes, denominator=denominator, seats=ballot.seats, carry_forward=carry
            )
    for ballot in Ballot.objects.filter(status=BallotStatus.OPEN).select_related("meeting"):
        assert ballot.meeting.status == MeetingStatus.CONVENED
        assert ballot.mode == BallotMode.ELECTRONIC
        assert ballot.participations.count() < ballot.issued
        assert not ballot.outcome
    for ballot in Ballot.objects.filter(status=BallotStatus.DRAFT):
        assert not ballot.participations.exists() and ballot.issued is None


def test_a_mark_names_no_voter_and_no_time(built):
    columns = {f.column for f in Mark._meta.concrete_fields}
    assert columns == {"id", "ballot_id", "candidate_id", "choice"}
    assert not AuditEvent.objects.filter(action="ballot.cast").exclude(changes={}).exists()


def test_meetings_meet_their_quorum(built):
    for meeting in Meeting.objects.exclude(status=MeetingStatus.SCHEDULED).select_related(
        "ruleset"
    ):
        summoned = meeting.summons.count()
        present = meeting.summons.filter(attendance=Attendance.PRESENT).count()
        numerator, denominator = rules.fraction(meeting.ruleset, ParameterKey.QUORUM)
        assert tally.quorum_met(
            summoned=summoned, present=present, numerator=numerator, denominator=denominator
        )
        assert not meeting.summons.filter(attendance=Attendance.ABSENT, absence_reason="").exists()
        if meeting.body_id:
            assert (
                meeting.collective_total
                == CommitteeMembership.objects.filter(committee=meeting.body_id).count()
            )


# --------------------------------------------------------------------------- audit


def test_the_audit_chain_verifies(built):
    result = verify_chain(workers=1)
    assert result.ok, result.problems
    assert result.checked == TINY.audit_events
    report = built[1]["audit"]
    assert report["events"] == TINY.audit_events
    assert report["procedure_events"] > report["dossier_reads"]
    times = list(AuditEvent.objects.order_by("seq").values_list("occurred_at", flat=True))
    assert times == sorted(times)  # time never runs backwards along the chain


# --------------------------------------------------------------------------- logins and scope


def _login_with(report, key):
    users = [u for u in report["logins"]["users"] if u[key]]
    assert users, f"no login has {key}"
    return users[0]


def test_a_generated_login_sees_its_inbox_and_queue(built, client):
    report = built[1]
    login = _login_with(report, "inbox")
    assert client.login(username=login["username"], password=BENCH_PASSWORD)
    html = client.get("/workflow/inbox/").content.decode()
    assert any(f"/{t['task']}/" in html for t in login["inbox"])
    for item in login["inbox"]:
        task = Task.objects.get(pk=item["task"])
        assert task.owner.username == login["username"]
        assert task.status == STATUS.ASSIGNED
    login = _login_with(report, "queue")
    assert client.login(username=login["username"], password=BENCH_PASSWORD)
    html = client.get("/workflow/queue/").content.decode()
    assert any(f"/{t['task']}/" in html for t in login["queue"])


def test_a_generated_login_can_cast_its_open_ballot(built, client):
    login = _login_with(built[1], "open_ballots")
    user = User.objects.get(username=login["username"])
    client.force_login(user)
    ballot_id = login["open_ballots"][0]["ballot"]
    assert not Participation.objects.filter(ballot_id=ballot_id, user=user).exists()
    response = client.get(reverse("meetings:ballot:vote", kwargs={"ballot_id": ballot_id}))
    assert response.status_code == 200


def test_every_login_has_work(built):
    users = built[1]["logins"]["users"]
    assert users and all(u["username"].startswith("bench-user-") for u in users)
    busy = [u for u in users if u["inbox"] or u["queue"] or u["open_ballots"] or u["actions"]]
    assert len(busy) * 2 >= len(users)
    assert any(u["actions"] for u in users) and any(u["open_ballots"] for u in users)


def test_scope_keeps_a_district_out_of_another_s_procedures(built, client):
    generator, _report = built
    a, b = generator.world.units_of("district")[:2]
    staff = a.committees[CommitteeKind.ORGANISATION_BOARD].user_ids[-1]
    user = User.objects.get(pk=staff)
    client.force_login(user)
    mine = Appointment.objects.filter(unit_id=a.id).first()
    theirs = Appointment.objects.filter(unit_id=b.id).first()
    assert mine is not None and theirs is not None
    url = "appointments:appointment:detail"
    assert client.get(reverse(url, kwargs={"appointment_id": mine.pk})).status_code == 200
    assert client.get(reverse(url, kwargs={"appointment_id": theirs.pk})).status_code == 404
    # The grants are the ones the memberships back, and nothing above the district.
    granted = set(
        OrgUnitUserObjectPermission.objects.filter(user=user).values_list(
            "content_object_id", flat=True
        )
    )
    assert a.id in granted and b.id not in granted and generator.world.province.id not in granted
    inbox = client.get("/workflow/queue/").content.decode()
    for task in Task.objects.filter(
        process__in=Appointment.objects.filter(unit_id=b.id),
        owner__isnull=True,
        finished__isnull=True,
        flow_task_type="HUMAN",
    ):
        assert f"/{task.pk}/" not in inbox


def test_the_process_pages_render_at_every_stage(built, client):
    admin = User.objects.create_superuser("datagen-admin", "admin@example.org", "x")
    client.force_login(admin)
    seen = set()
    for appointment in Appointment.objects.order_by("pk"):
        if appointment.stage not in seen:
            seen.add(appointment.stage)
            url = reverse(
                "appointments:appointment:detail", kwargs={"appointment_id": appointment.pk}
            )
            assert client.get(url).status_code == 200, url
    for review in PlanningReview.objects.order_by("pk"):
        if ("review", review.stage) not in seen:
            seen.add(("review", review.stage))
            url = reverse("planning:review:detail", kwargs={"review_id": review.pk})
            assert client.get(url).status_code == 200, url
    for campaign in EvaluationCampaign.objects.order_by("pk"):
        if ("campaign", campaign.stage) not in seen:
            seen.add(("campaign", campaign.stage))
            url = reverse("evaluation:campaign:detail", kwargs={"campaign_id": campaign.pk})
            assert client.get(url).status_code == 200, url
    for meeting in Meeting.objects.order_by("pk"):
        if ("meeting", meeting.status) not in seen:
            seen.add(("meeting", meeting.status))
            url = reverse("meetings:meeting:detail", kwargs={"meeting_id": meeting.pk})
            assert client.get(url).status_code == 200, url
    assert client.get(reverse("planning:removal:index")).status_code == 200


def test_seed_bench_refuses_a_database_that_holds_cadres(built):
    with pytest.raises(CommandError, match="already holds cadres"):
        call_command("seed_bench", "--size", "tiny", verbosity=0)


def test_foreign_keys_are_checked_in_bulk(built):
    generator, _report = built
    loader = generator.loader
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "INSERT INTO viewflow_task_previous (from_task_id, to_task_id) "
                "SELECT id, -1 FROM viewflow_task LIMIT 1"
            )
        with pytest.raises(RuntimeError, match="viewflow_task_previous.to_task_id"):
            loader.check_foreign_keys(["viewflow_task_previous"])
        transaction.set_rollback(True)
    assert not Task.previous.through.objects.filter(Q(to_task_id=-1)).exists()
