"""The stored queue (``workflows.core.queues``): who a task is offered to is kept when the task
is created, listed in one query whatever the number of tasks, kept true when scopes change,
and never trusted for claiming."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django.models import ProcrastinateJob
from viewflow.workflow.status import STATUS

from personnel import services as personnel_services
from tests.factories import member_of
from tests.workflows.appointment import kit
from tests.workflows.appointment.pages import client_for, text
from workflows.appointment.flows import AppointmentFlow
from workflows.core.models import QueueEntry
from workflows.core.queues import queue_refresh, queue_refresh_for_user
from workflows.core.tasks import queue_refresh_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


def _offered(task) -> set[int]:
    return set(QueueEntry.objects.filter(task=task).values_list("user_id", flat=True))


def _board_task(appointment):
    """Step 1: the organisation board's queue task once the policy is approved."""
    return appointment.task_set.get(flow_task=AppointmentFlow.step1)


def _queue_page(user) -> str:
    return text(client_for(user).get("/workflow/queue/"))


def test_a_new_task_is_offered_to_its_candidates_only(world):
    appointment = kit.approved(world)
    task = _board_task(appointment)
    assert task.status == STATUS.NEW
    assert _offered(task) == {world.staff.pk, world.staff2.pk}
    assert f"/{task.pk}/" in _queue_page(world.staff)
    # In scope (the standing committee sees the appointment) but not on the board: not offered.
    assert f"/{task.pk}/" not in _queue_page(world.standing.members[1])


def test_a_done_task_is_withdrawn(world):
    appointment = kit.approved(world)
    task = _board_task(appointment)
    from workflows.appointment import services

    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    task.refresh_from_db()
    assert task.finished is not None
    assert _offered(task) == set()


def test_the_queue_costs_the_same_queries_for_one_task_or_many(world):
    """The page used to compute every task's candidates: queries grew with the queue."""

    def queries() -> int:
        client = client_for(world.staff)
        client.get("/workflow/queue/")  # warm: sessions, caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/workflow/queue/").status_code == 200
        return len(captured)

    kit.approved(world)
    one = queries()
    for _ in range(4):
        kit.approved(world)
    assert QueueEntry.objects.filter(user=world.staff).count() == 5
    assert queries() == one


def test_a_new_board_member_is_offered_the_open_tasks(world):
    appointment = kit.approved(world)
    task = _board_task(appointment)
    board = world.staff.memberships.first().committee
    newcomer = member_of(board)
    # Joining changed the newcomer's scope: a refresh was queued for after the commit.
    job = ProcrastinateJob.objects.filter(task_name=queue_refresh_user.name).last()
    assert job is not None and job.args == {"user_id": newcomer.pk}
    assert newcomer.pk not in _offered(task)
    counts = queue_refresh_user(user_id=newcomer.pk)
    assert counts["added"] == 1
    assert newcomer.pk in _offered(task)
    assert f"/{task.pk}/" in _queue_page(newcomer)


def test_a_member_who_leaves_is_no_longer_offered_anything(world):
    appointment = kit.approved(world)
    task = _board_task(appointment)
    membership = world.staff2.memberships.get()
    import datetime as dt

    from django.utils import timezone

    personnel_services.membership_end(
        actor=None, membership=membership, ended_on=timezone.localdate() - dt.timedelta(days=1)
    )
    counts = queue_refresh_for_user(world.staff2)
    assert counts["removed"] == 1
    assert _offered(task) == {world.staff.pk}
    assert f"/{task.pk}/" not in _queue_page(world.staff2)


def test_the_nightly_refresh_repairs_missing_and_stale_offers(world):
    appointment = kit.approved(world)
    task = _board_task(appointment)
    outsider = world.standing.members[1]
    QueueEntry.objects.filter(task=task, user=world.staff).delete()
    QueueEntry.objects.create(task=task, user=outsider)
    done = kit.approved(world)
    finished = _board_task(done)
    finished.status, finished.finished = STATUS.CANCELED, finished.created
    finished.save(update_fields=["status", "finished"])  # as if cancelled without the service
    counts = queue_refresh()
    assert _offered(task) == {world.staff.pk, world.staff2.pk}
    assert _offered(finished) == set()
    assert counts == {"tasks": 1, "added": 1, "removed": 1 + 2}


def test_a_stale_offer_never_lets_a_non_candidate_claim(world):
    appointment = kit.approved(world)
    task = _board_task(appointment)
    outsider = world.standing.members[1]  # in scope, not on the board
    QueueEntry.objects.create(task=task, user=outsider)
    client = client_for(outsider)
    assert f"/{task.pk}/" in text(client.get("/workflow/queue/"))  # listed by the stale row
    client.post("/workflow/queue/assign/", {"pk": [task.pk], "_confirm": "1"})
    task.refresh_from_db()
    assert task.owner_id is None and task.status == STATUS.NEW
    # The board member claims it through the same bulk action.
    client_for(world.staff).post("/workflow/queue/assign/", {"pk": [task.pk], "_confirm": "1"})
    task.refresh_from_db()
    assert task.owner_id == world.staff.pk


def test_the_queue_filter_names_no_process_outside_the_scope(world, district_b):
    """viewflow built the filter's dropdowns from the unscoped queue: every waiting process of
    the province was an option. The filter now offers task types of the user's own list."""
    theirs = kit.build_world(district_b)
    their_appointment = kit.approved(theirs)
    mine = kit.approved(world)
    page = _queue_page(world.staff)
    assert 'name="process"' not in page  # no dropdown of every waiting process
    their_task = _board_task(their_appointment)
    assert f"/{their_appointment.pk}/step1/{their_task.pk}/" not in page
    # The filter still works: by task type.
    client = client_for(world.staff)
    ref = "appointment/flows.AppointmentFlow.step1"
    filtered = text(client.get("/workflow/queue/", {"flow_task": ref}))
    task = _board_task(mine)
    assert f"/{task.pk}/" in filtered
    # The task types offered: the user's own, by their titles.
    assert f"&quot;{ref}&quot;" in page
    assert "Step 1: agree the criteria" in page


def test_a_released_task_assigned_by_name_waits_in_its_owners_queue(world):
    appointment = kit.start(world)
    task = appointment.task_set.get(flow_task=AppointmentFlow.decide_policy)
    assert task.owner_id == world.chair.pk
    client = client_for(world.chair)
    client.post("/workflow/inbox/unassign/", {"pk": [task.pk], "_confirm": "1"})
    task.refresh_from_db()
    assert task.owner_id is None and task.status == STATUS.NEW
    assert _offered(task) == {world.chair.pk}
    assert f"/{task.pk}/" in _queue_page(world.chair)
    assert f"/{task.pk}/" not in _queue_page(world.staff)


def test_the_refresh_command_restores_the_offers(world):
    from io import StringIO

    from django.core.management import call_command

    task = _board_task(kit.approved(world))
    QueueEntry.objects.all().delete()  # as after the upgrade that introduced the stored queue
    out = StringIO()
    call_command("queue_refresh", stdout=out)
    assert _offered(task) == {world.staff.pk, world.staff2.pk}
    assert "2 offer(s) added" in out.getvalue()


def test_a_claim_that_lost_the_race_is_a_409(world):
    from django.urls import reverse

    appointment = kit.approved(world)
    task = _board_task(appointment)
    path = reverse(
        "workflow:flows:appointment:step1:assign",
        kwargs={"process_pk": appointment.pk, "task_pk": task.pk},
    )
    first, second = client_for(world.staff), client_for(world.staff2)
    assert first.post(path).status_code in (302, 303)
    response = second.post(path)
    assert response.status_code == 409
    assert "Someone else has taken this task already." in text(response)
    task.refresh_from_db()
    assert task.owner_id == world.staff.pk


def _menu_counts(html: str) -> tuple[int, int]:
    """The menu's inbox and queue counters, as rendered."""
    import re

    found = dict(
        re.findall(
            r'href="/workflow/(inbox|queue)/".*?mdc-list-item__meta">\s*(\d+)\s*<', html, re.S
        )
    )
    return int(found["inbox"]), int(found["queue"])


def test_the_menu_counts_what_the_lists_show(world):
    """The counters are the lengths of the scoped lists the menu computes (no COUNT of its
    own): a task claimed moves from the queue's counter to the inbox's, and leaves the other
    board member's queue."""
    client = client_for(world.staff)
    assert _menu_counts(client.get("/workflow/queue/").content.decode()) == (0, 0)
    first, second = kit.approved(world), kit.approved(world)
    assert _menu_counts(client.get("/workflow/queue/").content.decode()) == (0, 2)
    task = _board_task(first)
    client.post("/workflow/queue/assign/", {"pk": [task.pk], "_confirm": "1"})
    task.refresh_from_db()
    assert task.owner_id == world.staff.pk
    assert _menu_counts(client.get("/workflow/queue/").content.decode()) == (1, 1)
    # The other board member sees the claimed task nowhere.
    other = client_for(world.staff2)
    assert _menu_counts(other.get("/workflow/queue/").content.decode()) == (0, 1)
    assert _board_task(second).status == STATUS.NEW


def test_viewing_a_list_again_does_not_rewrite_the_session(world):
    """viewflow pins the list's address in the session on every view; rewriting it unchanged
    cost an UPDATE of the session row on every inbox and queue view."""
    kit.approved(world)
    client = client_for(world.staff)
    assert client.get("/workflow/queue/").status_code == 200  # pins /workflow/queue/
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/workflow/queue/").status_code == 200
    writes = [q["sql"] for q in captured if q["sql"].startswith("UPDATE")]
    assert writes == []
    assert client.session["vf-pin-location"] == "/workflow/queue/"
    client.get("/workflow/inbox/")
    assert client.session["vf-pin-location"] == "/workflow/inbox/"
