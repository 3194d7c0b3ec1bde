"""Who may open and do what on the appointment pages and on the flow's viewflow pages (inbox,
queue, archive, process and task URLs): anonymous → login; another unit → 404 everywhere,
nothing listed; in scope without the role → 403 on the action; the candidate sees no votes
and no sealed results; the preparer cannot approve the appraisal; only the competent chair
decides."""

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from viewflow.workflow.status import STATUS

from personnel.audit.models import AuditEvent
from tests.factories import CommitteeFactory, member_of
from tests.workflows.appointment import kit
from tests.workflows.appointment.pages import client_for, see_other, text, url
from workflows.appointment import services
from workflows.appointment.flows import AppointmentFlow
from workflows.appointment.models import Appointment, DossierItem, Stage, StepCode
from workflows.core.models import BallotStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


@pytest.fixture
def at_step3(world):
    """An internal appointment whose steps 1 and 2 are done (step 2's results sealed), with a
    dossier item, waiting for step 3 to be called."""
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    step = kit.call(world, appointment)
    n = step.meeting.summons.filter(votes=True).count()
    kit.run_ballot(step, votes=kit.nominate_each(step.ballot, [world.cadres[0]] * n))
    services.step_record(actor=world.staff, appointment=appointment)
    services.dossier_add(
        actor=world.staff, appointment=appointment, kind="resume", upload=kit.upload()
    )
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert appointment.stage == Stage.STEP2_DONE
    return appointment


def _step(appointment, code):
    return appointment.steps.select_related("ballot", "meeting").get(code=code)


# --------------------------------------------------------------------------- every URL


def _walk(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from _walk(
                entry,
                prefix + str(entry.pattern),
                f"{namespace}:{ns}".strip(":") if ns else namespace,
            )
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}:{entry.name}"


def _fill(route: str, values: dict) -> str | None:
    try:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    except KeyError:
        return None


def _object_urls(appointment) -> dict[str, str]:
    """Every appointment and flow URL that names this appointment (or its tasks, items)."""
    item = DossierItem.objects.filter(appointment=appointment).first()
    tasks = {t.flow_task.name: t.pk for t in appointment.task_set.all()}
    found = {}
    for route, name in _walk():
        values = {"appointment_id": appointment.pk, "process_pk": appointment.pk}
        if item is not None:
            values["item_id"] = item.pk
        if name.startswith("appointments:"):
            path = _fill(route, values)
        elif name.startswith("workflow:") and "<int:process_pk>" in route:
            node = name.split(":")[-2]
            if "<int:task_pk>" in route:
                if node not in tasks:
                    continue
                values["task_pk"] = tasks[node]
            path = _fill(route, values)
        else:
            continue
        if path and str(appointment.pk) in path:
            found[name] = path
    return found


def test_anonymous_is_sent_to_login_everywhere(client, at_step3):
    urls = _object_urls(at_step3)
    assert len(urls) > 30
    urls["list"] = url("index")
    urls["start"] = url("start")
    for name, path in urls.items():
        for response in (client.get(path), client.post(path, {})):
            assert response.status_code == 302, (name, path, response.status_code)
            assert "/accounts/login/" in response["Location"], (name, path)


def test_another_unit_finds_nothing(at_step3, world, district_b):
    """Board staff and a committee member of another district: every URL naming the
    appointment is 404 (GET and POST), and no list shows it."""
    appointment = at_step3
    other_board = kit.board_staff(district_b)
    other_member = member_of(CommitteeFactory(unit=district_b))
    urls = _object_urls(appointment)
    assert {"appointments:appointment:detail", "appointments:appointment:download"} <= set(urls)
    assert "workflow:flows:appointment:process_detail" in urls
    assert "workflow:flows:appointment:step3:index" in urls
    assert "workflow:flows:appointment:step3:assign" in urls
    for user in (other_board, other_member):
        client = client_for(user)
        for name, path in urls.items():
            codes = {client.get(path).status_code, client.post(path, {}).status_code}
            # 405 answers a method the page never takes, before any lookup: it reveals nothing.
            assert codes <= {404, 405} and 404 in codes, (user, name, path, codes)
        for listing in (
            url("index"),
            "/workflow/inbox/",
            "/workflow/queue/",
            "/workflow/archive/",
            "/workflow/flows/appointment/",
            "/workflow/flows/appointment/flows/",
            "/workflow/flows/appointment/tasks/",
        ):
            response = client.get(listing)
            assert response.status_code == 200, listing
            page = text(response)
            assert f"/appointments/{appointment.pk}/" not in page, listing
            assert f"/workflow/flows/appointment/{appointment.pk}/" not in page, listing
        # Bulk-claiming the step's task by its id does nothing.
        task = appointment.task_set.get(flow_task=AppointmentFlow.step3)
        client.post("/workflow/queue/assign/", {"pk": [task.pk], "_confirm": "1"})
        task.refresh_from_db()
        assert task.owner_id is None and task.status == STATUS.NEW
    assert Appointment.objects.get(pk=appointment.pk).stage == Stage.STEP2_DONE


def test_the_lists_show_the_appointment_in_scope(at_step3, world):
    client = client_for(world.standing.members[2])
    assert f"/appointments/{at_step3.pk}/" in text(client.get(url("index")))
    page = text(client.get("/workflow/flows/appointment/flows/"))
    assert f"/workflow/flows/appointment/{at_step3.pk}/" in page
    assert client.get(url("chart", at_step3))["Content-Type"] == "image/svg+xml"


def test_a_task_of_another_appointment_is_not_reached_through_this_one(at_step3, world, district_b):
    """A task id under another process id (one in scope) is 404, not a way in."""
    theirs = kit.build_world(district_b)
    their_appointment = kit.approved(theirs)
    their_task = their_appointment.task_set.get(flow_task=AppointmentFlow.step1)
    client = client_for(world.staff)
    for view in ("index", "detail", "assign"):
        path = f"/workflow/flows/appointment/{at_step3.pk}/step1/{their_task.pk}/"
        path += "" if view == "index" else f"{view}/"
        assert client.get(path).status_code == 404, view
        assert client.post(path).status_code == 404, view
    their_task.refresh_from_db()
    assert their_task.owner_id is None


def test_only_the_queue_may_claim_a_board_task(at_step3, world):
    task = at_step3.task_set.get(flow_task=AppointmentFlow.step3)
    path = reverse(
        "workflow:flows:appointment:step3:assign",
        kwargs={"process_pk": at_step3.pk, "task_pk": task.pk},
    )
    member = client_for(world.standing.members[1])  # in scope, not on the board
    assert member.post(path).status_code == 404
    member.post("/workflow/queue/assign/", {"pk": [task.pk], "_confirm": "1"})
    task.refresh_from_db()
    assert task.owner_id is None
    # The board, whose queue it is, may.
    client_for(world.staff).post("/workflow/queue/assign/", {"pk": [task.pk], "_confirm": "1"})
    task.refresh_from_db()
    assert task.owner_id == world.staff.pk


# --------------------------------------------------------------------------- roles


BOARD_ACTIONS = {
    "candidates": {"cadres": []},
    "call": {"step": "step3", "scheduled_at": "2026-01-05T09:00", "mode": "electronic"},
    "record": {"step": "step3"},
    "external": {"step": "conversation", "note": "x"},
    "upload": {"kind": "resume"},
    "appraisal": {"standing_evaluation": "x", "new_issues_conclusion": "y"},
    "report": {"report": "x"},
}
CHAIR_ACTIONS = {
    "policy": {"decision": "yes"},
    "override": {"cadre": 1, "gate": "planning", "reason": "x"},
    "decision": {"number": "1", "decision_date": "2026-01-05", "effective_date": "2026-01-05"},
}


def test_a_member_without_board_rights_gets_403_on_board_actions(at_step3, world):
    before = AuditEvent.objects.count()
    for user in (world.leadership.members[1], world.standing.members[1], world.chair):
        client = client_for(user)
        page = text(client.get(url("detail", at_step3)))
        assert 'data-testid="call-form"' not in page and 'data-testid="upload-form"' not in page
        for action, data in BOARD_ACTIONS.items():
            response = client.post(url(action, at_step3), data)
            assert response.status_code == 403, (user, action, response.status_code)
            assert "organisation board" in text(response)
    for user in (world.staff, world.standing.members[1]):
        client = client_for(user)
        for action, data in CHAIR_ACTIONS.items():
            response = client.post(url(action, at_step3), data)
            assert response.status_code == 403, (user, action, response.status_code)
    response = client_for(world.leadership.members[1]).post(
        url("withdraw", at_step3), {"reason": "x"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before
    assert at_step3.steps.count() == 2


def test_the_candidate_sees_no_votes_and_no_sealed_results(at_step3, world):
    step2 = _step(at_step3, StepCode.STEP2)
    assert step2.ballot.sealed and step2.ballot.status == BallotStatus.CLOSED
    # A candidate with no role in the unit does not see the procedure at all.
    outsider_user = kit.UserFactory()
    cadre = world.cadres[1]
    cadre.user = outsider_user
    cadre.save(update_fields=["user"])
    client = client_for(outsider_user)
    assert client.get(url("detail", at_step3)).status_code == 404
    assert f"/appointments/{at_step3.pk}/" not in text(client.get(url("index")))
    assert client.get(f"/meetings/ballots/{step2.ballot_id}/results/").status_code == 404
    # A candidate who sits in the leadership collective sees the page, step 2 only as sealed.
    member = world.leadership.members[2]
    cadre = world.cadres[0]
    cadre.user = member
    cadre.save(update_fields=["user"])
    client = client_for(member)
    page = text(client.get(url("detail", at_step3)))
    assert f'data-testid="sealed-{step2.pk}"' in page
    assert f'data-testid="results-{step2.pk}"' not in page
    assert f'data-testid="outcome-{step2.pk}"' not in page
    assert f"/meetings/ballots/{step2.ballot_id}/" not in page
    assert 'data-testid="candidates"' not in page and 'data-testid="candidate"' not in page
    assert "gate-" not in page
    results = client.get(f"/meetings/ballots/{step2.ballot_id}/results/")
    assert results.status_code == 403
    minutes = client.get(f"/meetings/ballots/{step2.ballot_id}/minutes/")
    assert minutes.status_code == 403
    item = DossierItem.objects.get(appointment=at_step3)
    assert client.get(url("download", at_step3, item_id=item.pk)).status_code == 404
    # Step 1 was announced to its meeting: its own results are the collective's to see.
    step1 = _step(at_step3, StepCode.STEP1)
    assert f'data-testid="results-{step1.pk}"' in page
    # The board sees step 2 in full.
    page = text(client_for(world.staff).get(url("detail", at_step3)))
    assert f'data-testid="results-{step2.pk}"' in page
    assert f'data-testid="outcome-{step2.pk}"' in page


def test_the_preparer_cannot_approve_the_appraisal(world):
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    for _code in ("step2", "step3", "step4"):
        step = kit.call(world, appointment)
        n = step.meeting.summons.filter(votes=True).count()
        kit.run_ballot(step, votes=kit.nominate_each(step.ballot, [world.cadres[0]] * n))
        services.step_record(actor=world.staff, appointment=appointment)
    kit.complete_dossier(world, appointment)
    see_other(
        client_for(world.staff).post(
            url("appraisal", appointment),
            {"standing_evaluation": "Đủ tiêu chuẩn.", "new_issues_conclusion": "Không có."},
        )
    )
    refused = client_for(world.staff).post(url("review", appointment), {"decision": "yes"})
    assert refused.status_code == 403
    assert "prepared the dossier" in text(refused)
    # Someone outside the board and the competent body may not either.
    outsider = client_for(world.leadership.members[1])
    assert outsider.post(url("review", appointment), {"decision": "yes"}).status_code == 403
    assert Appointment.objects.get(pk=appointment.pk).stage == Stage.STEP4_DONE
    see_other(client_for(world.staff2).post(url("review", appointment), {"decision": "yes"}))
    assert Appointment.objects.get(pk=appointment.pk).stage == Stage.APPRAISED


def test_only_the_competent_chair_issues_the_decision(world):
    appointment = kit.walk_to_final(world, kit.approved(world))
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.standing.members)))
    services.step_record(actor=world.staff, appointment=appointment)
    today = timezone.localdate()
    data = {
        "number": "7-QĐ/TU",
        "decision_date": today.isoformat(),
        "effective_date": (today + dt.timedelta(days=3)).isoformat(),
    }
    for user in (world.staff, world.standing.members[1], world.leadership.chair):
        client = client_for(user)
        assert 'data-testid="decision-form"' not in text(client.get(url("detail", appointment)))
        response = client.post(url("decision", appointment), data)
        assert response.status_code == 403, user
        assert "chair of the competent body" in text(response)
    assert Appointment.objects.get(pk=appointment.pk).stage == Stage.VOTE_PASSED
    see_other(client_for(world.chair).post(url("decision", appointment), data))
    assert Appointment.objects.get(pk=appointment.pk).stage == Stage.DECISION_ISSUED


def test_withdrawal_by_the_board_stops_the_procedure(at_step3, world):
    client = client_for(world.staff)
    empty = client.post(url("withdraw", at_step3), {"reason": ""})
    assert empty.status_code == 400
    see_other(
        client.post(url("withdraw", at_step3), {"reason": "Có đơn thư tố cáo đang xác minh."})
    )
    appointment = Appointment.objects.get(pk=at_step3.pk)
    assert appointment.stage == Stage.WITHDRAWN
    page = text(client.get(url("detail", appointment)))
    assert "Có đơn thư tố cáo đang xác minh." in page and 'data-testid="actions"' not in page
    # Anything posted afterwards is a 409: the procedure has ended.
    late = client.post(url("withdraw", appointment), {"reason": "Lần nữa"})
    assert late.status_code == 409


def test_the_dossier_is_read_by_board_competent_body_and_auditors_and_every_read_is_audited(
    at_step3, world
):
    from personnel.models import CommitteeKind

    item = DossierItem.objects.get(appointment=at_step3)
    download = url("download", at_step3, item_id=item.pk)
    auditor = member_of(CommitteeFactory(unit=world.unit, kind=CommitteeKind.INSPECTION))
    for reader in (world.staff, world.standing.others[0], auditor):
        response = client_for(reader).get(download)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        assert AuditEvent.objects.filter(
            action="appointment.dossier_read", actor=reader, process_id=at_step3.pk
        ).exists()
    # a leadership-collective member sees the procedure but not the asset declarations
    member = world.leadership.others[0]
    assert client_for(member).get(url("detail", at_step3)).status_code == 200
    assert client_for(member).get(download).status_code == 404
    assert not AuditEvent.objects.filter(action="appointment.dossier_read", actor=member).exists()
