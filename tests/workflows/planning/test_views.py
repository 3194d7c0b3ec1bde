"""The planning pages over HTTP: a review opened on the list page and walked to approved,
published entries with the users of ``kit.build_world`` (meetings run on the core meeting
pages), the source list with its gates, the structure targets, the removal page, form errors
kept as typed, a double submit answered 409, and the flow's tasks in the inbox and queue."""

import re

import pytest
from django.urls import reverse

from notifications.models import Notification
from personnel.models import PlanningEntry, PlanningStatus
from tests.workflows.appointment.pages import client_for, now_local, see_other, text
from tests.workflows.ballot_kit import board_staff
from tests.workflows.planning import kit
from workflows.core import pages
from workflows.core.models import BallotKind, BallotStatus, Choice
from workflows.core.services import PaperMark
from workflows.planning import services
from workflows.planning.models import (
    CandidateStatus,
    PlanningReview,
    RemovalProposal,
    RemovalStatus,
    ReviewStep,
    Stage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


def url(name: str, review=None, **kwargs) -> str:
    if review is not None:
        kwargs["review_id"] = getattr(review, "pk", review)
    return reverse(f"planning:review:{name}", kwargs=kwargs)


def removals(name: str = "index", **kwargs) -> str:
    return reverse(f"planning:removal:{name}", kwargs=kwargs)


def _meetings(name: str, **kwargs) -> str:
    return reverse(f"meetings:{name}", kwargs=kwargs)


def _paper(ballot) -> dict:
    """Approve everyone, or name everyone listed (up to the places)."""
    pks = [str(pk) for pk in ballot.candidates.values_list("pk", flat=True)]
    if ballot.kind == BallotKind.APPROVAL:
        return {f"c_{pk}": Choice.APPROVE.value for pk in pks}
    if ballot.seats == 1:
        return {"pick": pks[0]}
    return {"picks": pks[: ballot.seats]}


def run_step_meeting(review) -> None:
    """Convene the pending step's meeting as its chair, everyone present, and for each of its
    ballots open it, let every voter cast ``_paper`` on the vote page, close it — over HTTP."""
    steps = list(
        ReviewStep.objects.select_related("meeting", "ballot")
        .filter(review=review, recorded_at__isnull=True)
        .order_by("pk")
    )
    assert steps
    meeting = steps[0].meeting
    chair = client_for(meeting.chair)
    see_other(chair.post(_meetings("meeting:convene", meeting_id=meeting.pk)))
    summons = list(meeting.summons.select_related("user"))
    see_other(
        chair.post(
            _meetings("meeting:attendance", meeting_id=meeting.pk),
            {f"attendance_{s.user_id}": "present" for s in summons},
        )
    )
    for step in steps:
        ballot = step.ballot
        see_other(chair.post(_meetings("ballot:open", ballot_id=ballot.pk)))
        ballot.refresh_from_db()
        for s in summons:
            if s.votes:
                see_other(
                    client_for(s.user).post(
                        _meetings("ballot:vote", ballot_id=ballot.pk), _paper(ballot)
                    )
                )
        see_other(chair.post(_meetings("ballot:close", ballot_id=ballot.pk)))
        ballot.refresh_from_db()
        assert ballot.status == BallotStatus.CLOSED


def _call(client, review, step, **extra):
    data = {
        "step": step,
        "scheduled_at": now_local(),
        "place": "Hội trường A",
        "mode": "electronic",
    }
    return client.post(url("call", review), {**data, **extra})


def _refresh(review) -> PlanningReview:
    return PlanningReview.objects.get(pk=review.pk)


def _open(client, world):
    return client.post(
        url("open"),
        {
            "unit": world.unit.pk,
            "term_start_year": kit.TERM[0],
            "term_end_year": kit.TERM[1],
            "review_year": "",
            "note": "Kế hoạch rà soát quy hoạch",
        },
    )


# --------------------------------------------------------------------------- the whole walk


def test_a_review_runs_through_the_pages_to_published_entries(
    world, django_capture_on_commit_callbacks
):
    staff, chair = client_for(world.staff), client_for(world.chair)
    a, b = world.cadres[:2]
    post1, post2 = world.posts[:2]

    # The board opens the review from the list page.
    listing = text(staff.get(url("index")))
    assert 'data-testid="open-form"' in listing
    assert 'data-testid="open-form"' not in text(
        client_for(world.standing.others[0]).get(url("index"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _open(staff, world)
    review = PlanningReview.objects.get(unit=world.unit)
    see_other(response, url("detail", review))
    assert review.stage == Stage.SOURCE_LIST
    assert f"/planning/{review.pk}/" in text(staff.get(url("index")))

    # The source list: proposals per post with their gates; the structure counts them.
    page = text(staff.get(url("detail", review)))
    assert 'data-testid="propose-form"' in page and 'data-testid="submit-form"' in page
    see_other(staff.post(url("propose", review), {"position": post1.pk, "cadre": a.pk}))
    see_other(staff.post(url("propose", review), {"position": post2.pk, "cadre": b.pk}))
    candidate = review.candidates.get(cadre=a)
    page = text(staff.get(url("detail", review)))
    assert f'data-testid="candidate-{candidate.pk}"' in page
    assert f'data-testid="gate-{candidate.pk}-planning_age"' in page
    assert 'data-testid="structure"' in page and f'data-testid="structure-post-{post1.pk}"' in page
    assert "(proposed)" in page

    # Submit, then the three steps, each called, run on the meeting pages and recorded.
    see_other(staff.post(url("submit", review), {}))
    for code in ("leadership", "key_officials", "standing"):
        page = text(staff.get(url("detail", review)))
        assert 'data-testid="call-form"' in page, code
        see_other(_call(staff, review, code))
        page = text(staff.get(url("detail", review)))
        assert 'data-testid="meeting-running"' in page
        step = ReviewStep.objects.filter(review=review, code=code).first()
        assert f'data-testid="meeting-link-{step.pk}"' in page
        run_step_meeting(review)
        assert 'data-testid="record-form"' in text(staff.get(url("detail", review)))
        with django_capture_on_commit_callbacks(execute=True):
            see_other(staff.post(url("record", review), {"step": code, "note": f"Biên bản {code}"}))
        page = text(staff.get(url("detail", review)))
        assert f'data-testid="outcome-{step.pk}"' in page, code
    review = _refresh(review)
    assert review.stage == Stage.VOTED

    # The competent chair's task link opens the review; only the chair sees the decision form.
    note = Notification.objects.filter(recipient=world.chair, kind="task.assigned").last()
    assert note is not None and note.link.startswith("/workflow/flows/planningreview/")
    opened = chair.get(note.link)
    assert opened.status_code == 302 and opened["Location"] == url("detail", review)
    assert 'data-testid="decide-form"' not in text(staff.get(url("detail", review)))
    assert 'data-testid="decide-form"' in text(chair.get(url("detail", review)))
    with django_capture_on_commit_callbacks(execute=True):
        see_other(
            chair.post(url("decide", review), {"decision": "yes", "decision_ref": "45-QĐ/TU"})
        )
    review = _refresh(review)
    assert review.stage == Stage.APPROVED
    entries = PlanningEntry.objects.filter(cadre__in=[a, b], status=PlanningStatus.APPROVED)
    assert {(e.cadre_id, e.position_id) for e in entries} == {(a.pk, post1.pk), (b.pk, post2.pk)}

    # The board publishes.
    assert 'data-testid="publish-form"' in text(staff.get(url("detail", review)))
    with django_capture_on_commit_callbacks(execute=True):
        see_other(staff.post(url("publish", review), {}))
    review = _refresh(review)
    assert review.stage == Stage.PUBLISHED
    page = text(staff.get(url("detail", review)))
    assert 'data-testid="timeline-published"' in page and "45-QĐ/TU" in page
    assert 'data-testid="actions"' not in page


# --------------------------------------------------------------------------- errors, races


def test_a_form_error_keeps_what_was_typed(world):
    staff = client_for(world.staff)
    response = staff.post(
        url("open"),
        {
            "unit": world.unit.pk,
            "term_start_year": 2031,
            "term_end_year": 2026,
            "note": "Ghi chú X",
        },
    )
    assert response.status_code == 400
    page = text(response)
    assert "The planning term must end after it starts." in page and "Ghi chú X" in page

    review = kit.open_review(world)
    response = staff.post(url("propose", review), {"position": world.posts[1].pk, "cadre": ""})
    assert response.status_code == 400
    page = text(response)
    assert f'<option value="{world.posts[1].pk}" selected>' in page
    assert 'data-testid="propose-form"' in page

    # A refusal of the service (Invalid) lands on the form, input kept.
    kit.propose(world, review, world.posts[0], world.cadres[0])
    response = staff.post(url("withdraw", review), {"reason": "   "})
    assert response.status_code == 400
    response = staff.post(url("call", review), {"step": "leadership", "place": "Phòng họp số 2"})
    assert response.status_code == 400
    assert "Phòng họp số 2" in text(response)
    assert _refresh(review).stage == Stage.SOURCE_LIST


def test_a_double_submit_is_answered_409(world):
    staff, staff2 = client_for(world.staff), client_for(world.staff2)
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    see_other(staff.post(url("submit", review), {}))
    again = staff2.post(url("submit", review), {})
    assert again.status_code == 409
    assert "already been submitted" in text(again)
    assert url("detail", review) in text(again)
    see_other(_call(staff, review, "leadership"))
    again = _call(staff2, review, "leadership")
    assert again.status_code == 409
    assert ReviewStep.objects.filter(review=review).count() == 1


# --------------------------------------------------------------------------- the removals


def test_the_board_proposes_confirms_and_dismisses_removals(world):
    staff, staff2 = client_for(world.staff), client_for(world.staff2)
    entry = kit.approved_entry(world.cadres[0], world.posts[0])
    other = kit.approved_entry(world.cadres[1], world.posts[1])

    # The written reason is required; the entry chosen stays chosen.
    response = staff.post(removals("propose"), {"entry": entry.pk, "reason": ""})
    assert response.status_code == 400
    assert f'<option value="{entry.pk}" selected>' in text(response)
    see_other(staff.post(removals("propose"), {"entry": entry.pk, "reason": "Không hoàn thành"}))
    removal = RemovalProposal.objects.get(entry=entry)
    page = text(staff.get(removals()))
    assert f'data-testid="removal-{removal.pk}"' in page
    assert removals("detail", removal_id=removal.pk) in page  # decided on its own page
    own = text(staff.get(removals("detail", removal_id=removal.pk)))
    assert f'data-testid="confirm-form-{removal.pk}"' not in own  # not its own proposer
    assert f'data-testid="dismiss-form-{removal.pk}"' in own
    assert f'data-testid="confirm-form-{removal.pk}"' in text(
        staff2.get(removals("detail", removal_id=removal.pk))
    )
    see_other(staff2.post(removals("confirm", removal_id=removal.pk), {"note": ""}))
    removal.refresh_from_db()
    entry.refresh_from_db()
    assert removal.state == RemovalStatus.CONFIRMED and entry.status == PlanningStatus.REMOVED
    again = staff.post(removals("confirm", removal_id=removal.pk), {"note": ""})
    assert again.status_code == 409

    see_other(staff.post(removals("propose"), {"entry": other.pk, "reason": "Vi phạm"}))
    second = RemovalProposal.objects.get(entry=other)
    response = staff2.post(removals("dismiss", removal_id=second.pk), {"reason": ""})
    assert response.status_code == 400
    page = text(response)  # the removal's page again, the form open with its error on it
    assert 'data-testid="removal-page"' in page
    assert f'data-testid="dismiss-form-{second.pk}"' in page and "<details" in page
    assert 'class="cf-action cf-danger" open' in page
    see_other(staff2.post(removals("dismiss", removal_id=second.pk), {"reason": "Đã khắc phục"}))
    second.refresh_from_db()
    assert second.state == RemovalStatus.DISMISSED


def test_the_removals_list_puts_those_awaiting_confirmation_first_a_page_at_a_time(
    world, monkeypatch
):
    """Ordered by state, an open removal sorted after every decided one ('open' > 'dismissed'
    > 'confirmed') and fell off the 200 rows shown: the work to do is listed first, and every
    removal is reachable by its pages."""
    monkeypatch.setattr(pages, "PER_PAGE", 2)
    staff, staff2 = client_for(world.staff), client_for(world.staff2)
    made = []
    for i in range(4):
        entry = kit.approved_entry(world.cadres[i], world.posts[i % len(world.posts)])
        made.append(services.removal_propose(actor=world.staff, entry=entry, reason=f"Lý do {i}"))
    waiting = made[0]  # the oldest
    for decided in made[1:3]:
        services.removal_confirm(actor=world.staff2, removal=decided, note="")
    services.removal_dismiss(actor=world.staff2, removal=made[3], reason="Không đủ căn cứ")

    first = text(staff2.get(removals()))
    # the newest decided one follows the oldest still waiting
    assert first.index(f'data-testid="removal-{waiting.pk}"') < first.index(
        f'data-testid="removal-{made[3].pk}"'
    )
    assert f'data-testid="removal-act-{waiting.pk}"' in first
    assert 'href="?page=2" rel="next"' in first
    second = text(staff2.get(removals(), {"page": 2}))
    shown = [r.pk for r in made if f'data-testid="removal-{r.pk}"' in first + second]
    assert sorted(shown) == sorted(r.pk for r in made)
    assert text(staff2.get(removals(), {"page": "x"})).count('data-testid="removal-') >= 2
    assert staff.get(removals(), {"page": 99}).status_code == 200  # the last page


def test_a_removal_page_is_404_outside_the_scope_and_for_a_missing_removal(world, district_b):
    entry = kit.approved_entry(world.cadres[0], world.posts[0])
    removal = services.removal_propose(actor=world.staff, entry=entry, reason="Lý do")
    outsider = client_for(board_staff(district_b))
    assert outsider.get(removals("detail", removal_id=removal.pk)).status_code == 404
    assert client_for(world.staff).get(removals("detail", removal_id=99999999)).status_code == 404


# --------------------------------------------------------------------------- inbox and queue


def test_the_flows_tasks_show_in_scope(world, district_b):
    review = kit.open_review(world)
    mine = f"/workflow/flows/planningreview/{review.pk}/"
    staff = client_for(world.staff)
    assert mine in text(staff.get("/workflow/queue/"))
    outsider = client_for(board_staff(district_b))
    for listing in ("/workflow/queue/", "/workflow/inbox/", "/workflow/flows/planningreview/"):
        response = outsider.get(listing)
        assert response.status_code == 200, listing
        assert mine not in text(response), listing
    # Claimed, it is in the board member's inbox; its URL opens the review's page.
    task = review.task_set.get(flow_task__isnull=False, finished__isnull=True)
    staff.post("/workflow/queue/assign/", {"pk": [task.pk], "_confirm": "1"})
    assert mine in text(staff.get("/workflow/inbox/"))
    opened = staff.get(f"{mine}source_list/{task.pk}/")
    assert opened.status_code == 302 and opened["Location"] == url("detail", review)
    # A member of the unit without the board role is not offered the board's task.
    assert mine not in text(client_for(world.standing.others[0]).get("/workflow/queue/"))


# --------------------------------------------------------------------------- a tie


def test_a_tie_is_decided_by_the_head_on_the_page(district_a):
    world = kit.build_world(district_a, standing_size=4)
    review = kit.open_review(world)
    a, b = world.cadres[:2]
    kit.propose(world, review, world.posts[0], a)
    kit.propose(world, review, world.posts[0], b)
    services.source_list_submit(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.approve_everything)
    services.step_record(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.nominate_everyone)
    services.step_record(actor=world.staff, review=review)
    [step] = kit.call(world, review)

    def half_for_a(ballot, i):
        choice = Choice.APPROVE if i < 2 else Choice.DISAPPROVE
        return [
            PaperMark(choice=choice if c.cadre_id == a.pk else Choice.APPROVE, candidate_id=c.pk)
            for c in ballot.candidates.all()
        ]

    [ballot] = kit.run_meeting([step], half_for_a)
    a_row = ballot.candidates.get(cadre=a).pk
    staff, head = client_for(world.staff), client_for(world.chair)
    page = text(staff.get(url("detail", review)))
    assert 'data-testid="awaiting-head"' in page and 'data-testid="record-form"' not in page
    page = text(head.get(url("detail", review)))
    assert f'data-testid="tie-form-{ballot.pk}"' in page and a.full_name in page
    data = {"step": "standing", "ballot": ballot.pk, "approve": [a_row]}
    # Not the head: refused; no differing opinions: the form says so, the tick kept.
    assert staff.post(url("tie", review), {**data, "differing_opinions": "x"}).status_code == 403
    response = head.post(url("tie", review), {**data, "differing_opinions": ""})
    assert response.status_code == 400
    assert re.search(rf'value="{a_row}"[^>]*checked', text(response))
    see_other(head.post(url("tie", review), {**data, "differing_opinions": "Hai ý kiến khác"}))
    assert 'data-testid="record-form"' in text(staff.get(url("detail", review)))
    see_other(staff.post(url("record", review), {"step": "standing", "note": ""}))
    assert kit.refresh(review).stage == Stage.VOTED
    assert review.candidates.get(cadre=a).status == CandidateStatus.ACTIVE


def test_the_pages_open_in_vietnamese_and_a_removal_task_opens_the_removals(world):
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    entry = kit.approved_entry(world.cadres[1], world.posts[1])
    removal = services.removal_propose(actor=world.staff, entry=entry, reason="Lý do")
    client = client_for(world.staff, "vi")
    for path in (url("index"), url("open"), url("detail", review), removals()):
        assert client.get(path).status_code == 200, path
    task = removal.task_set.get(flow_task__isnull=False, finished__isnull=True)
    opened = client_for(world.staff2).get(
        f"/workflow/flows/removal/{removal.pk}/confirm/{task.pk}/"
    )
    assert opened.status_code == 302
    assert opened["Location"] == removals("detail", removal_id=removal.pk)
    assert client.get(opened["Location"]).status_code == 200
