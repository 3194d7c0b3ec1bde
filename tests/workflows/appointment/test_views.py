"""The appointment pages over HTTP: the internal-source procedure walked from the start form to
the decision with the users of ``kit.build_world`` (meetings run on the core meeting pages),
dossier uploads and their refusals, form errors kept as typed, a double submit answered 409
(sequential and a real race), and the procedure's tasks in the inbox and queue in both
languages."""

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone, translation
from viewflow.workflow import timers
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from personnel.audit.models import AuditEvent
from personnel.models import PlanningEntry, PlanningStatus, PositionHolding
from tests.workflows.appointment import kit
from tests.workflows.appointment.pages import (
    client_for,
    last_step,
    nominate,
    now_local,
    refresh,
    run_meeting,
    see_other,
    text,
    url,
)
from tests.workflows.ballot_kit import load_rulesets
from workflows.appointment import services
from workflows.appointment.flows import AppointmentFlow
from workflows.appointment.models import (
    REQUIRED_DOSSIER,
    Appointment,
    DossierItem,
    DossierKind,
    GateOverride,
    Stage,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


def _call(client, appointment, step, **extra):
    data = {
        "step": step,
        "scheduled_at": now_local(),
        "place": "Hội trường A",
        "mode": "electronic",
    }
    return client.post(url("call", appointment), {**data, **extra})


def _record(client, appointment, step):
    return client.post(url("record", appointment), {"step": step, "note": f"Biên bản {step}"})


def _upload(client, appointment, kind, *, name="ho-so.pdf", content=kit.PDF):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(url("upload", appointment), {"kind": kind, "upload": upload})


# --------------------------------------------------------------------------- the whole walk


def test_the_internal_procedure_runs_through_the_pages(world, django_capture_on_commit_callbacks):
    staff, staff2, chair = (client_for(u) for u in (world.staff, world.staff2, world.chair))
    winner = world.cadres[0]

    # The board starts: the post is offered, the rule-set defaults to the newest for the track.
    page = staff.get(url("start"))
    assert page.status_code == 200 and world.position.title in text(page)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            url("start"),
            {
                "position": world.position.pk,
                "source": "internal",
                "track": "party",
                "ruleset": "",
                "memo": "Tờ trình xin chủ trương bổ nhiệm Trưởng phòng Nội vụ",
            },
        )
    appointment = Appointment.objects.get(position=world.position)
    see_other(response, url("detail", appointment))
    assert appointment.stage == Stage.POLICY_REQUESTED
    assert appointment.ruleset.code == "qd377-2025"
    listing = text(staff.get(url("index")))
    assert world.position.title in listing and "Policy requested" in listing

    # The chair's task notification links to the task URL, which opens the appointment's page.
    note = Notification.objects.get(recipient=world.chair, kind="task.assigned")
    assert note.link.startswith("/workflow/flows/appointment/")
    opened = chair.get(note.link)
    assert opened.status_code == 302 and opened["Location"] == url("detail", appointment)

    # The competent chair approves the policy; the 30-working-day limit starts.
    assert 'data-testid="policy-form"' in text(chair.get(url("detail", appointment)))
    assert 'data-testid="policy-form"' not in text(staff.get(url("detail", appointment)))
    see_other(chair.post(url("policy", appointment), {"decision": "yes", "note": ""}))
    appointment = refresh(appointment)
    assert appointment.stage == Stage.POLICY_APPROVED
    page = text(staff.get(url("detail", appointment)))
    assert "working days left" in page and 'data-testid="candidates-form"' in page

    # The candidates, their gates shown to the board.
    see_other(staff.post(url("candidates", appointment), {"cadres": [c.pk for c in world.cadres]}))
    page = text(staff.get(url("detail", appointment)))
    for cadre in world.cadres:
        assert f'data-testid="candidate-{cadre.pk}"' in page
    assert "Planning" in page and "passes" in page and "Eligibility gates:" in page

    # Step 1: the leadership collective approves the list.
    see_other(_call(staff, appointment, "step1"))
    step = last_step(appointment)
    assert step.meeting.place == "Hội trường A" and step.meeting.chair == world.leadership.chair
    assert 'data-testid="meeting-running"' in text(staff.get(url("detail", appointment)))
    run_meeting(step)
    see_other(_record(staff, appointment, "step1"))
    assert refresh(appointment).stage == Stage.STEP1_DONE

    # Steps 2–4: nomination ballots, everyone names the winner.
    for code, stage in (
        ("step2", Stage.STEP2_DONE),
        ("step3", Stage.STEP3_DONE),
        ("step4", Stage.STEP4_DONE),
    ):
        see_other(_call(staff, appointment, code))
        run_meeting(last_step(appointment), paper_for=nominate(winner))
        see_other(_record(staff, appointment, code))
        assert refresh(appointment).stage == stage, code
    appointment = refresh(appointment)
    assert appointment.candidate == winner

    # The board sees each step's results and the vote-count minutes in the dossier.
    page = text(staff.get(url("detail", appointment)))
    for step in appointment.steps.all():
        assert f'data-testid="results-{step.pk}"' in page
        assert f"/meetings/ballots/{step.ballot_id}/minutes/" in page
    assert 'data-testid="appraisal-form"' in page

    # The dossier, uploaded through the form; each file downloads for the board.
    for kind in REQUIRED_DOSSIER:
        see_other(_upload(staff, appointment, kind.value, name=f"{kind.value}.pdf"))
    assert DossierItem.objects.filter(appointment=appointment).count() == len(REQUIRED_DOSSIER)
    item = DossierItem.objects.filter(appointment=appointment).first()
    download = staff.get(url("download", appointment, item_id=item.pk))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == kit.PDF
    page = text(staff.get(url("detail", appointment)))
    assert 'data-testid="check-assets"' in page and "cf-check--missing" not in page

    # The appraisal: one staff member submits, another approves.
    see_other(
        staff.post(
            url("appraisal", appointment),
            {
                "standing_evaluation": "Ban Thường vụ đánh giá: đủ tiêu chuẩn.",
                "new_issues_conclusion": "Không có vấn đề mới phát sinh.",
            },
        )
    )
    assert 'data-testid="review-form"' not in text(staff.get(url("detail", appointment)))
    assert 'data-testid="review-form"' in text(staff2.get(url("detail", appointment)))
    see_other(staff2.post(url("review", appointment), {"decision": "yes", "note": ""}))
    appointment = refresh(appointment)
    assert appointment.stage == Stage.APPRAISED
    assert appointment.appraisal_approved_by == world.staff2

    # The final vote of the competent body.
    see_other(_call(staff, appointment, "final"))
    step = last_step(appointment)
    assert step.meeting.chair == world.chair
    run_meeting(step)
    see_other(_record(staff, appointment, "final"))
    assert refresh(appointment).stage == Stage.VOTE_PASSED

    # The decision, by the chair.
    assert 'data-testid="decision-form"' in text(chair.get(url("detail", appointment)))
    effective = TODAY() + dt.timedelta(days=1)
    see_other(
        chair.post(
            url("decision", appointment),
            {
                "number": "123-QĐ/TU",
                "decision_date": TODAY().isoformat(),
                "effective_date": effective.isoformat(),
            },
        )
    )
    appointment = refresh(appointment)
    assert appointment.stage == Stage.DECISION_ISSUED
    assert appointment.status == STATUS.DONE
    holding = PositionHolding.objects.get(cadre=winner, position=world.position)
    assert holding.started_on == effective and holding.decision_ref == "123-QĐ/TU"
    assert PlanningEntry.objects.get(cadre=winner).status == PlanningStatus.FULFILLED
    page = text(chair.get(url("detail", appointment)))
    assert "Decision 123-QĐ/TU" in page and 'data-testid="actions"' not in page
    assert "Limit" in page and ": met" in page

    actions = set(
        AuditEvent.objects.filter(process_id=appointment.pk).values_list("action", flat=True)
    )
    assert {
        "appointment.start",
        "appointment.policy",
        "appointment.candidates",
        "appointment.step_call",
        "appointment.step",
        "appointment.dossier",
        "appointment.appraisal",
        "appointment.review",
        "appointment.decision",
    } <= actions
    assert list(appointment.steps.values_list("code", flat=True)) == [
        "step1",
        "step2",
        "step3",
        "step4",
        "final",
    ]


def test_the_external_source_records_its_conversations_through_the_pages(world, district_b):
    outsider = kit.eligible_cadre(district_b, world.position, "Nguyễn Văn Ngoài")
    appointment = kit.approved(world, source="external")
    staff = client_for(world.staff)
    # A cadre outside the board's scope is not offered, and refused if posted anyway.
    response = staff.post(url("candidates", appointment), {"cadres": [outsider.pk]})
    assert response.status_code == 400
    assert 'data-testid="candidates-form"' in text(response)
    see_other(staff.post(url("candidates", appointment), {"cadres": [world.cadres[0].pk]}))
    empty = staff.post(url("external", appointment), {"step": "conversation", "note": ""})
    assert empty.status_code == 400 and not appointment.steps.exists()
    for code in ("conversation", "consultation", "verification"):
        page = text(staff.get(url("detail", appointment)))
        assert 'data-testid="external-form"' in page and f'value="{code}"' in page
        see_other(
            staff.post(url("external", appointment), {"step": code, "note": f"Ghi nhận {code}."})
        )
    assert list(refresh(appointment).steps.values_list("code", flat=True)) == [
        "conversation",
        "consultation",
        "verification",
    ]
    assert "appraisal" in {
        t.flow_task.name for t in refresh(appointment).task_set.filter(status=STATUS.NEW)
    }
    # Nothing is waiting for a record any more: a late one is a 409.
    late = staff.post(url("external", appointment), {"step": "verification", "note": "Muộn."})
    assert late.status_code == 409


# --------------------------------------------------------------------------- form errors


def test_a_rejection_without_reason_comes_back_with_the_form_as_typed(world):
    appointment = kit.start(world)
    chair = client_for(world.chair)
    response = chair.post(url("policy", appointment), {"decision": "no", "note": "   "})
    assert response.status_code == 400
    page = text(response)
    assert "Give the reason for rejecting the policy request." in page
    assert re.search(r'value="no"[^>]*checked', page)
    assert refresh(appointment).stage == Stage.POLICY_REQUESTED
    # A form the page cannot read is a 400 too, never a 500.
    assert chair.post(url("policy", appointment), {"decision": "maybe"}).status_code == 400


def test_the_start_form_keeps_what_was_typed_on_an_error(world):
    staff = client_for(world.staff)
    response = staff.post(
        url("start"),
        {"position": world.position.pk, "source": "internal", "track": "party", "memo": ""},
    )
    assert response.status_code == 400
    assert not Appointment.objects.exists()
    # A rule-set of the other track is refused on the form.
    from workflows.core.models import RuleSet

    state = RuleSet.objects.filter(track="state").first()
    response = staff.post(
        url("start"),
        {
            "position": world.position.pk,
            "source": "external",
            "track": "party",
            "ruleset": state.pk,
            "memo": "Tờ trình số 5",
        },
    )
    assert response.status_code == 400
    assert "Tờ trình số 5" in text(response)
    assert not Appointment.objects.exists()


def test_calling_a_meeting_without_candidates_is_refused_on_the_form(world):
    appointment = kit.approved(world)
    staff = client_for(world.staff)
    response = _call(staff, appointment, "step1", place="Phòng họp số 2")
    assert response.status_code == 400
    page = text(response)
    assert "List the candidates first." in page and "Phòng họp số 2" in page
    assert not appointment.steps.exists()


# --------------------------------------------------------------------------- uploads


@pytest.fixture
def preparing(world):
    """An appointment past its policy, ready for the dossier."""
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    return appointment


def _stored(appointment) -> list:
    folder = settings.MEDIA_ROOT / "appointments" / str(appointment.pk)
    return list(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("chuong-trinh.exe", kit.PDF, "This kind of file is not accepted"),
        ("ho-so.pdf", PNG, "does not match its type (.pdf)"),
        ("anh.png", kit.PDF, "does not match its type (.png)"),
        ("trong.pdf", b"", "The submitted file is empty."),
    ],
)
def test_an_unacceptable_file_is_refused_and_nothing_is_stored(
    world, preparing, name, content, message
):
    staff = client_for(world.staff)
    response = _upload(staff, preparing, DossierKind.ASSETS.value, name=name, content=content)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    # The form keeps the document chosen.
    assert '<option value="assets" selected>' in page
    assert not DossierItem.objects.exists()
    assert _stored(preparing) == []


@override_settings(DOSSIER_MAX_BYTES=1024)
def test_a_file_too_large_is_refused_and_nothing_is_stored(world, preparing):
    staff = client_for(world.staff)
    response = _upload(staff, preparing, "resume", content=kit.PDF + b"x" * 2048)
    assert response.status_code == 400
    assert "The file is too large" in text(response)
    assert not DossierItem.objects.exists()
    assert _stored(preparing) == []
    # Within the limit it goes in.
    see_other(_upload(staff, preparing, "resume"))
    assert DossierItem.objects.count() == 1 and len(_stored(preparing)) == 1


def test_an_upload_without_a_file_is_a_form_error(world, preparing):
    response = client_for(world.staff).post(url("upload", preparing), {"kind": "resume"})
    assert response.status_code == 400
    assert not DossierItem.objects.exists()


# --------------------------------------------------------------------------- the limit


def test_the_limit_counts_down_and_is_highlighted_once_overdue(world):
    appointment = kit.approved(world)
    staff = client_for(world.staff)
    page = text(staff.get(url("index")))
    assert "30 working days left" in page and "cf-limit--overdue" not in page
    due = appointment.deadline.due
    later = timezone.make_aware(dt.datetime.combine(due + dt.timedelta(days=10), dt.time(9)))
    with time_machine.travel(later):
        staff = client_for(world.staff)  # a fresh session: the old one has gone idle
        page = text(staff.get(url("index")))
        assert "cf-limit--overdue" in page and "Overdue" in page
        page = text(staff.get(url("detail", appointment)))
        assert "cf-limit--overdue" in page


def test_the_list_shows_every_procedure_a_page_at_a_time(world, monkeypatch):
    """The list used to stop at the newest 200: older procedures were out of reach."""
    from workflows.core import pages

    monkeypatch.setattr(pages, "PER_PAGE", 2)
    made = [kit.approved(world) for _ in range(3)]
    staff = client_for(world.staff)
    first, second = text(staff.get(url("index"))), text(staff.get(url("index"), {"page": 2}))
    assert 'rel="next"' in first and 'rel="prev"' in second
    on = [[a.pk for a in made if f'data-testid="appointment-{a.pk}"' in p] for p in (first, second)]
    assert on == [[made[1].pk, made[2].pk], [made[0].pk]]  # the newest first


# --------------------------------------------------------------------------- double submit


def test_a_second_policy_decision_is_a_409_page(world):
    appointment = kit.start(world)
    chair = client_for(world.chair)
    see_other(chair.post(url("policy", appointment), {"decision": "yes"}))
    again = chair.post(url("policy", appointment), {"decision": "yes"})
    assert again.status_code == 409
    assert "The policy has already been decided." in text(again)
    assert AuditEvent.objects.filter(action="appointment.policy").count() == 1


def test_a_second_record_of_the_same_step_is_a_409_page(world):
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    see_other(_record(client_for(world.staff), appointment, "step1"))
    again = _record(client_for(world.staff2), appointment, "step1")
    assert again.status_code == 409
    assert "someone else" in text(again)
    assert refresh(appointment).stage == Stage.STEP1_DONE
    assert not appointment.steps.filter(code="step2").exists()


@pytest.mark.django_db(transaction=True)
def test_two_board_members_recording_one_step_at_once_one_gets_a_409(district_a):
    load_rulesets()
    world = kit.build_world(district_a)
    appointment = kit.approved(world)
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, len(world.leadership.members)))
    clients = [client_for(world.staff), client_for(world.staff2)]
    barrier = threading.Barrier(len(clients))
    codes = []

    def post(client):
        from django.db import connection

        try:
            barrier.wait(timeout=30)
            codes.append(_record(client, appointment, "step1").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert sorted(codes) == [303, 409]
    assert appointment.steps.filter(recorded_at__isnull=False).count() == 1
    assert refresh(appointment).stage == Stage.STEP1_DONE
    assert (
        AuditEvent.objects.filter(action="appointment.step", process_id=appointment.pk).count() == 1
    )


# --------------------------------------------------------------------------- inbox and queue


def _title(node, language):
    with translation.override(language):
        return str(node.task_title)


def test_the_tasks_show_in_the_inbox_and_queue_in_both_languages(world, district_b):
    appointment = kit.start(world)
    # The chair's policy decision is assigned to him: his inbox.
    for language, expected in (
        ("en", "Decide on the policy request"),
        ("vi", "Quyết định về tờ trình xin chủ trương"),
    ):
        assert _title(AppointmentFlow.decide_policy, language) == expected
        page = text(client_for(world.chair, language).get("/workflow/inbox/"))
        assert expected in page, language
    services.appointment_policy_decide(actor=world.chair, appointment=appointment, approve=True)
    # Step 1 waits in the organisation board's queue.
    for language in ("en", "vi"):
        expected = _title(AppointmentFlow.step1, language)
        for member in (world.staff, world.staff2):
            page = text(client_for(member, language).get("/workflow/queue/"))
            assert expected in page, language
        # Not in the queue of someone in scope who is not on the board, nor of another unit.
        other_board = kit.board_staff(district_b)
        for outsider in (world.standing.members[1], other_board):
            page = text(client_for(outsider, language).get("/workflow/queue/"))
            assert expected not in page, (language, outsider)
    # The pages read in Vietnamese too.
    vietnamese = client_for(world.staff, "vi")
    assert "Bổ nhiệm" in text(vietnamese.get(url("index")))
    assert vietnamese.get(url("detail", appointment)).status_code == 200
    # The queue's link opens the appointment's page.
    task = appointment.task_set.get(flow_task=AppointmentFlow.step1)
    response = client_for(world.staff).get(task.reverse("index"))
    assert response.status_code == 302 and response["Location"] == url("detail", appointment)


# --------------------------------------------------------------------------- the chair's forms


def test_the_chair_waives_an_overridable_gate_on_the_page(world):
    appointment = kit.approved(world)
    special = world.cadres[1]
    PlanningEntry.objects.filter(cadre=special).delete()
    services.candidates_set(actor=world.staff, appointment=appointment, cadres=world.cadres)
    form_id = f'data-testid="override-form-{special.pk}-planning"'
    assert form_id not in text(client_for(world.staff).get(url("detail", appointment)))
    chair = client_for(world.chair)
    assert form_id in text(chair.get(url("detail", appointment)))
    data = {"cadre": special.pk, "gate": "planning", "reason": " "}
    response = chair.post(url("override", appointment), data)
    assert response.status_code == 400
    assert "This field is required." in text(response) and form_id in text(response)
    # A hard gate is not offered, and refused if posted.
    hard = chair.post(url("override", appointment), {**data, "gate": "investigation"})
    assert hard.status_code == 400 and 'data-testid="override-errors"' in text(hard)
    # A gate that passes has nothing to waive: the service says so.
    passing = chair.post(
        url("override", appointment), {**data, "gate": "time_in_post", "reason": "Đặc biệt"}
    )
    assert passing.status_code == 400 and "nothing to waive" in text(passing)
    assert not GateOverride.objects.exists()
    data["reason"] = "Trường hợp đặc biệt theo kết luận của Ban Thường vụ"
    see_other(chair.post(url("override", appointment), data))
    assert GateOverride.objects.get().cadre == special
    page = text(chair.get(url("detail", appointment)))
    assert form_id not in page and "waived" in page
    see_other(_call(client_for(world.staff), appointment, "step1"))


def test_a_tie_is_decided_by_the_head_on_the_page(district_a):
    world = kit.build_world(district_a, standing_size=4)
    appointment = kit.walk_to_final(world, kit.approved(world))
    step = kit.call(world, appointment)
    kit.run_ballot(step, votes=kit.approve_all(step.ballot, 4, approve=2))
    staff, chair = client_for(world.staff), client_for(world.chair)
    page = text(staff.get(url("detail", appointment)))
    assert 'data-testid="tie-form"' not in page and 'data-testid="record-form"' not in page
    assert 'data-testid="awaiting-head"' in page
    assert 'data-testid="tie-form"' in text(chair.get(url("detail", appointment)))
    early = _record(staff, appointment, "final")
    assert early.status_code == 409 and "the head must decide it first" in text(early)
    response = chair.post(
        url("tie", appointment), {"step": "final", "decision": "yes", "differing_opinions": ""}
    )
    assert response.status_code == 400
    assert 'data-testid="tie-form"' in text(response)
    refused = client_for(world.standing.members[1]).post(
        url("tie", appointment), {"step": "final", "decision": "yes", "differing_opinions": "x"}
    )
    assert refused.status_code == 403
    see_other(
        chair.post(
            url("tie", appointment),
            {
                "step": "final",
                "decision": "yes",
                "differing_opinions": "Hai đồng chí đề nghị chờ kết luận kiểm tra.",
            },
        )
    )
    page = text(staff.get(url("detail", appointment)))
    assert 'data-testid="tie-form"' not in page and 'data-testid="record-form"' in page
    see_other(_record(staff, appointment, "final"))
    appointment = refresh(appointment)
    assert appointment.stage == Stage.VOTE_PASSED
    assert "The head approved (tie)." in text(staff.get(url("detail", appointment)))


def test_the_board_reports_a_missed_limit_on_the_page(world):
    tz = timezone.get_current_timezone()
    with time_machine.travel(dt.datetime(2026, 2, 11, 9, tzinfo=tz)):
        appointment = kit.approved(world)
    with time_machine.travel(dt.datetime(2026, 4, 2, 0, 5, tzinfo=tz)):
        assert timers.fire_due_timers() == 1
    with time_machine.travel(dt.datetime(2026, 4, 2, 9, 0, tzinfo=tz)):
        staff = client_for(world.staff)
        page = text(staff.get(url("detail", appointment)))
        assert 'data-testid="report-form"' in page and "cf-limit--overdue" in page
        assert "Overdue" in page and "1 working day late" in page
        assert 'data-testid="report-form"' not in text(
            client_for(world.chair).get(url("detail", appointment))
        )
        empty = staff.post(url("report", appointment), {"report": ""})
        assert empty.status_code == 400
        see_other(
            staff.post(
                url("report", appointment),
                {"report": "Chậm do chờ kết luận tiêu chuẩn chính trị."},
            )
        )
        assert 'data-testid="report-form"' not in text(staff.get(url("detail", appointment)))
        again = staff.post(url("report", appointment), {"report": "Lần nữa."})
        assert again.status_code == 409
    assert AuditEvent.objects.filter(action="appointment.report").count() == 1
