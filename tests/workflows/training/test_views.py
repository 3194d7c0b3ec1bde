"""The training pages over HTTP: the plan page with its courses × units seats, candidates with
gates and priority flags (women and young cadres first) and exceptions; every action through
its form (303), bad input kept on the form (400), a full quota (409 with the numbers), stale
pages (409), and the dispatch page from the commitment to the completion."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from personnel.models import Cadre, Gender, TrainingKind
from tests.factories import UserFactory
from tests.workflows.appointment.pages import client_for, see_other, text
from tests.workflows.training import kit
from workflows.training import services
from workflows.training.models import (
    Candidate,
    Course,
    CourseQuota,
    Dispatch,
    DispatchState,
    PlanStage,
    TrainingPlan,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


@pytest.fixture
def plan(world):
    return kit.open_plan(world)


def url(name, **kwargs):
    return reverse(f"training:{name}", kwargs=kwargs)


def plan_url(plan, action="detail"):
    return url(f"plan:{action}", plan_id=plan.pk)


def dispatch_url(dispatch, action="detail"):
    return url(f"dispatch:{action}", dispatch_id=dispatch.pk)


# --------------------------------------------------------------------------- list and open


def test_the_board_opens_a_plan_from_the_list(world):
    board = client_for(world.staff)
    page = board.get(url("plan:index"))
    assert page.status_code == 200 and 'data-testid="open-form"' in text(page)
    bad = board.post(url("plan:open"), {"unit": world.unit.pk, "year": "", "note": "Giữ lại"})
    assert bad.status_code == 400 and "Giữ lại" in text(bad)
    response = board.post(url("plan:open"), {"unit": world.unit.pk, "year": TODAY().year})
    plan = TrainingPlan.objects.get()
    see_other(response, plan_url(plan))
    again = board.post(url("plan:open"), {"unit": world.unit.pk, "year": TODAY().year})
    assert again.status_code == 409


def test_a_committee_member_cannot_open_a_plan(world):
    member = client_for(world.standing.others[0])
    assert 'data-testid="open-form"' not in text(member.get(url("plan:index")))
    assert member.post(url("plan:open"), {"unit": world.unit.pk, "year": 2030}).status_code == 403


# --------------------------------------------------------------------------- the plan page


def test_courses_quotas_and_proposals_through_the_forms(world, plan):
    board = client_for(world.staff)
    state = {"state": PlanStage.DRAFT}
    see_other(
        board.post(
            plan_url(plan, "course"),
            {
                **state,
                "kind_level": "political_theory:30",
                "title": "Cao cấp lý luận chính trị",
                "months": 8,
                "institution": "Học viện Chính trị khu vực IV",
            },
        )
    )
    course = Course.objects.get()
    assert (course.kind, course.level) == (TrainingKind.POLITICAL_THEORY, 30)
    bad = board.post(
        plan_url(plan, "course"), {**state, "kind_level": "degree:40", "title": "", "months": 24}
    )
    assert bad.status_code == 400 and 'value="degree:40" selected' in text(bad)
    see_other(
        board.post(
            plan_url(plan, "quota"),
            {**state, "course": course.pk, "unit": world.unit.pk, "seats": 1},
        )
    )
    assert CourseQuota.objects.get().seats == 1
    see_other(
        board.post(
            plan_url(plan, "propose"),
            {**state, "course": course.pk, "cadre": world.cadres[0].pk},
        )
    )
    full = board.post(
        plan_url(plan, "propose"), {**state, "course": course.pk, "cadre": world.cadres[1].pk}
    )
    assert full.status_code == 409
    assert "has 1 seats on Cao cấp lý luận chính trị and 1 are taken" in text(full)
    page = text(board.get(plan_url(plan)))
    assert re.search(r'data-testid="quota-\d+" class="cf-full"', page)
    assert "full" in page


def test_a_cadre_outside_the_plan_needs_the_reason_on_the_form(world, plan):
    course = kit.course(world, plan)
    outsider = kit.eligible_cadre(world.unit, "Ngoài quy hoạch")
    board = client_for(world.staff)
    data = {"state": "draft", "course": course.pk, "cadre": outsider.pk, "off_plan_reason": ""}
    refused = board.post(plan_url(plan, "propose"), data)
    assert refused.status_code == 400
    assert "Give the reason to propose the cadre as an exception" in text(refused)
    assert f'value="{outsider.pk}" selected' in text(refused)
    data["off_plan_reason"] = "Nguồn cán bộ nữ"
    see_other(board.post(plan_url(plan, "propose"), data))
    candidate = Candidate.objects.get()
    page = text(board.get(plan_url(plan)))
    assert f'data-testid="exception-{candidate.pk}"' in page
    assert "Nguồn cán bộ nữ" in page


def test_priority_to_women_and_young_cadres_is_shown_and_orders_the_list(world, plan):
    course = kit.course(world, plan, seats=5)
    older_man = kit.eligible_cadre(world.unit, "An Văn Lớn", age=50, planned_for=world.post)
    young_man = kit.eligible_cadre(world.unit, "Bình Văn Trẻ", age=30, planned_for=world.post)
    older_woman = kit.eligible_cadre(
        world.unit, "Cúc Thị Lớn", age=50, gender=Gender.FEMALE, planned_for=world.post
    )
    young_woman = kit.eligible_cadre(
        world.unit, "Dung Thị Trẻ", age=30, gender=Gender.FEMALE, planned_for=world.post
    )
    ids = {}
    for cadre in (older_man, young_man, older_woman, young_woman):
        ids[cadre.full_name] = kit.propose(world, plan, course, cadre).pk
    page = text(client_for(world.staff).get(plan_url(plan)))
    order = sorted(ids, key=lambda name: page.index(f'data-testid="candidate-{ids[name]}"'))
    # both flags first, then either (by name), then neither
    assert order == ["Dung Thị Trẻ", "Bình Văn Trẻ", "Cúc Thị Lớn", "An Văn Lớn"]
    assert f'data-testid="priority-woman-{ids["Dung Thị Trẻ"]}"' in page
    assert f'data-testid="priority-young-{ids["Dung Thị Trẻ"]}"' in page
    assert "Priority: young (under 40)" in page
    assert f'data-testid="priority-woman-{ids["An Văn Lớn"]}"' not in page
    assert f'data-testid="priority-young-{ids["An Văn Lớn"]}"' not in page
    assert "It is not a condition" in page


def test_the_gates_show_with_their_sources(world, plan):
    course = kit.course(world, plan, kind=TrainingKind.DEGREE)
    candidate = kit.propose(world, plan, course, world.cadres[0])
    page = text(client_for(world.staff).get(plan_url(plan)))
    assert f'data-testid="gate-{candidate.pk}-age"' in page
    assert "NĐ 171/2025/NĐ-CP [81]" in page and "unverified" in page
    assert "before the decision" in page  # the commitment, not yet signed


def test_submit_and_approve_through_the_pages(world, plan):
    course = kit.course(world, plan, seats=3)
    a = kit.propose(world, plan, course, world.cadres[0])
    b = kit.propose(world, plan, course, world.cadres[1])
    see_other(client_for(world.staff).post(plan_url(plan, "submit"), {"state": "draft"}))
    chair = client_for(world.chair)
    page = text(chair.get(plan_url(plan)))
    assert 'data-testid="decide-form"' in page
    bad = chair.post(
        plan_url(plan, "decide"),
        {"state": "submitted", "decision": "yes", "decision_ref": "", "exclude": [b.pk]},
    )
    assert bad.status_code == 400
    see_other(
        chair.post(
            plan_url(plan, "decide"),
            {
                "state": "submitted",
                "decision": "yes",
                "decision_ref": "12-QĐ/TU",
                "exclude": [b.pk],
                "note": "Chưa đủ sức khỏe",
            },
        ),
        plan_url(plan),
    )
    dispatch = Dispatch.objects.get()
    assert dispatch.candidate_id == a.pk
    page = text(chair.get(plan_url(plan)))
    assert f'data-testid="dispatch-link-{a.pk}"' in page and "Chưa đủ sức khỏe" in page


def test_only_the_chair_decides_and_the_board_only_prepares(world, plan):
    course = kit.course(world, plan)
    kit.propose(world, plan, course, world.cadres[0])
    member = client_for(world.standing.others[0])
    assert member.get(plan_url(plan)).status_code == 200  # a committee member sees the plan
    forbidden = member.post(
        plan_url(plan, "propose"),
        {"state": "draft", "course": course.pk, "cadre": world.cadres[1].pk},
    )
    assert forbidden.status_code == 403
    services.plan_submit(actor=world.staff, plan=plan)
    assert (
        client_for(world.staff)
        .post(
            plan_url(plan, "decide"), {"state": "submitted", "decision": "yes", "decision_ref": "1"}
        )
        .status_code
        == 403
    )


def test_a_stale_plan_page_answers_409(world, plan):
    course = kit.course(world, plan)
    kit.propose(world, plan, course, world.cadres[0])
    board = client_for(world.staff)
    assert 'name="state" value="draft"' in text(board.get(plan_url(plan)))
    services.plan_submit(actor=world.staff2, plan=plan)  # someone else, meanwhile
    stale = board.post(
        plan_url(plan, "propose"),
        {"state": "draft", "course": course.pk, "cadre": world.cadres[1].pk},
    )
    assert stale.status_code == 409 and "already been dealt with" in text(stale)
    assert Candidate.objects.count() == 1
    # a form without its state fails as a form
    assert board.post(plan_url(plan, "withdraw"), {"reason": "x"}).status_code == 400


# --------------------------------------------------------------------------- the dispatch page


@pytest.fixture
def master(world, plan):
    course = kit.course(world, plan, kind=TrainingKind.DEGREE)
    candidate = kit.propose(world, plan, course, world.cadres[0])
    kit.approved(world, plan)
    return kit.dispatch_of(candidate)


def test_a_dispatch_from_the_commitment_to_the_completion(world, master):
    board = client_for(world.staff)
    page = text(board.get(dispatch_url(master)))
    assert 'data-testid="commitment-form"' in page and "At least 72 months" in page
    today = TODAY().isoformat()
    short = board.post(
        dispatch_url(master, "commitment"), {"state": "awaiting", "signed_on": today, "months": 70}
    )
    assert short.status_code == 400 and "72 months" in text(short) and 'value="70"' in text(short)
    see_other(
        board.post(
            dispatch_url(master, "commitment"),
            {"state": "awaiting", "signed_on": today, "months": 72, "reference": "CK-1"},
        )
    )
    see_other(
        board.post(
            dispatch_url(master, "decide"),
            {"state": "awaiting", "decision_ref": "99-QĐ/TU", "decided_on": today},
        )
    )
    started = (TODAY() - dt.timedelta(days=730)).isoformat()
    see_other(
        board.post(
            dispatch_url(master, "enrol"),
            {
                "state": "dispatched",
                "institution": "Học viện Hành chính Quốc gia",
                "starts_on": started,
            },
        )
    )
    see_other(
        board.post(
            dispatch_url(master, "complete"),
            {"state": "enrolled", "ended_on": today, "result": "Khá"},
        )
    )
    dispatch = Dispatch.objects.get(pk=master.pk)
    assert dispatch.state == DispatchState.COMPLETED
    page = text(board.get(dispatch_url(dispatch)))
    assert 'data-testid="training-record"' in page
    assert 'data-testid="commitment-status">Serving the commitment' in page


def test_a_stale_dispatch_page_answers_409(world, master):
    kit.sent(world, master)
    board = client_for(world.staff2)
    stale = board.post(
        dispatch_url(master, "decide"),
        {"state": "awaiting", "decision_ref": "2", "decided_on": TODAY().isoformat()},
    )
    assert stale.status_code == 409
    assert "Sent to study" in text(stale)


def test_the_cadre_sees_their_own_dispatch_and_nothing_else(world, master, plan):
    user = UserFactory()
    Cadre.objects.filter(pk=master.cadre_id).update(user=user)
    client = client_for(user)
    mine = client.get(url("plan:index"))
    assert mine.status_code == 200 and f'data-testid="mine-{master.pk}"' in text(mine)
    assert client.get(dispatch_url(master)).status_code == 200
    assert client.get(plan_url(plan)).status_code == 404
    assert 'data-testid="actions"' not in text(client.get(dispatch_url(master)))
    refused = client.post(
        dispatch_url(master, "decide"),
        {"state": "awaiting", "decision_ref": "x", "decided_on": TODAY().isoformat()},
    )
    assert refused.status_code == 403
    assert Dispatch.objects.get(pk=master.pk).state == DispatchState.AWAITING
