"""The rotation pages over HTTP: a plan drafted on its page (a form error keeps what was typed),
the gates per cadre with their sources, the standing committee's vote called and recorded; a
cadre's page walked from the conversation to the placement by the people whose task it is; a
decision a gate refuses (409 with the reason); a stale form (409); wrong roles (403); every
URL naming a plan or a movement — the procedure's and the flows' — a 404 outside the scope;
the cadre's own page without the confidential parts; the transfer proposed on its page."""

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import InvestigationCaseFactory, OrgUnitFactory, UserFactory
from tests.workflows.appointment.pages import client_for, now_local, see_other, text
from tests.workflows.ballot_kit import board_staff
from tests.workflows.planning.kit import approve_everything, run_meeting
from tests.workflows.rotation import kit
from workflows.rotation.models import (
    DossierKind,
    Kind,
    Movement,
    Placement,
    PlanStage,
    PlanVote,
    RotationPlan,
    Stage,
)

pytestmark = pytest.mark.django_db


def plan_url(name: str, plan=None) -> str:
    kwargs = {"plan_id": plan.pk} if plan is not None else {}
    return reverse(f"rotation:plan:{name}", kwargs=kwargs)


def url(name: str, movement=None) -> str:
    kwargs = {"movement_id": movement.pk} if movement is not None else {}
    return reverse(f"rotation:movement:{name}", kwargs=kwargs)


def _day(day: dt.date) -> str:
    return day.isoformat()


def _plan(world, client) -> RotationPlan:
    see_other(
        client.post(
            plan_url("open"),
            {
                "unit": world.province.pk,
                "title": "Kế hoạch luân chuyển 2026–2030",
                "period_start": 2026,
                "period_end": 2030,
                "note": "Luân chuyển cán bộ quy hoạch",
            },
        )
    )
    return RotationPlan.objects.get()


def _item(world, plan, cadre, **extra):
    data = {
        "stage": plan.stage,
        "cadre": cadre.pk,
        "to_position": world.to_post.pk,
        "direction": "localities",
        "months": 36,
        "reason": "Rèn luyện thực tiễn",
        "expected_after": "Bố trí tương đương",
    }
    return {**data, **extra}


def test_the_plan_is_drafted_and_voted_on_its_page(world):
    board = client_for(world.staff)
    cadre = kit.cadre_at(world.from_post, "Cán Bộ Luân")
    page = text(board.get(url("index")))
    assert 'data-testid="plan-new"' in page and 'data-testid="transfer-new"' in page
    plan = _plan(world, board)

    # A form error keeps what was typed (400), nothing is added.
    response = board.post(plan_url("item", plan), _item(world, plan, cadre, months=0))
    assert response.status_code == 400
    assert "Rèn luyện thực tiễn" in text(response)
    assert not plan.items.exists()
    see_other(board.post(plan_url("item", plan), _item(world, plan, cadre)))
    page = text(board.get(plan_url("detail", plan)))
    movement = plan.items.get()
    # The gates per cadre, with their sources.
    assert f'data-testid="gate-{movement.pk}-remaining_service"' in page
    assert "QĐ 65" in page and "QĐ 727/QĐ-BNV [60]" in page
    assert "Rotation dossier" in page  # the dossier gate fails today: nothing recorded

    see_other(board.post(plan_url("submit", plan), {"stage": "draft"}))
    # The same button again, from the stale page: 409.
    stale = board.post(plan_url("submit", plan), {"stage": "draft"})
    assert stale.status_code == 409 and "already been dealt with" in text(stale)

    see_other(
        board.post(
            plan_url("call", plan),
            {
                "stage": "ballot",
                "scheduled_at": now_local(),
                "place": "Phòng họp",
                "mode": "electronic",
            },
        )
    )
    vote = PlanVote.objects.get(plan=plan)
    page = text(board.get(plan_url("detail", plan)))
    assert 'data-testid="meeting-running"' in page
    run_meeting([vote], approve_everything)
    see_other(board.post(plan_url("record", plan), {"stage": "ballot", "note": "Thông qua"}))
    plan.refresh_from_db()
    assert plan.stage == PlanStage.APPROVED
    page = text(board.get(plan_url("detail", plan)))
    assert f'data-testid="outcome-{vote.pk}"' in page and "Cán Bộ Luân" in page

    # A standing committee member reads the plan but has no board action on it.
    member = client_for(world.standing.others[0])
    page = text(member.get(plan_url("detail", plan)))
    assert 'data-testid="items"' in page and 'data-testid="record-form"' not in page
    forbidden = member.post(plan_url("withdraw", plan), {"stage": "approved", "reason": "x"})
    assert forbidden.status_code == 403


def _walk_to_submitted(world, board, movement):
    see_other(
        board.post(
            url("conversation", movement),
            {
                "stage": movement.stage,
                "held_on": _day(kit.today()),
                "cadre_view": "Đồng ý",
                "objection": "",
            },
        )
    )
    for side in ("sending", "receiving"):
        see_other(
            board.post(
                url("consultation", movement),
                {
                    "stage": movement.stage,
                    "side": side,
                    "consulted_on": _day(kit.today()),
                    "body": "Ban Thường vụ",
                    "opinion": "agrees",
                    "remarks": "",
                },
            )
        )
    for kind in DossierKind:
        see_other(
            board.post(
                url("dossier", movement),
                {"stage": movement.stage, "kind": kind.value, "dated": _day(kit.today())},
            )
        )
    see_other(board.post(url("submit", movement), {"stage": "approved"}))


def test_a_cadre_is_walked_to_the_placement_on_their_page(world):
    user = UserFactory(username="luan")
    cadre = kit.cadre_at(world.from_post, user=user)
    _plan, (movement,) = kit.approved_plan(world, cadre)
    board, chair = client_for(world.staff), client_for(world.chair)
    own = client_for(user)
    assert own.get(url("detail", movement)).status_code == 404  # not theirs before the decision

    page = text(board.get(url("detail", movement)))
    for form in ("conversation-form", "consultation-form", "dossier-form", "submit-form"):
        assert f'data-testid="{form}"' in page, form
    _walk_to_submitted(world, board, movement)
    movement.refresh_from_db()
    assert movement.stage == Stage.SUBMITTED

    # The board cannot sign (403); the chair can, and the gates are on the page.
    decision = {
        "stage": "submitted",
        "decision_number": "77-QĐ/TU",
        "decision_date": _day(kit.today()),
        "starts_on": _day(kit.today()),
    }
    assert board.post(url("decide", movement), decision).status_code == 403
    page = text(chair.get(url("detail", movement)))
    assert 'data-testid="decide-form"' in page and 'data-testid="gates"' in page
    bad = chair.post(url("decide", movement), {**decision, "starts_on": "2000-01-01"})
    assert bad.status_code == 400 and "77-QĐ/TU" in text(bad)
    see_other(chair.post(url("decide", movement), decision))
    movement.refresh_from_db()
    assert movement.stage == Stage.DECIDED
    # The same decision again, from the stale page: 409, nothing changes.
    again = chair.post(url("decide", movement), {**decision, "decision_number": "78-QĐ/TU"})
    assert again.status_code == 409 and "already been dealt with" in text(again)
    assert Movement.objects.get(pk=movement.pk).decision_number == "77-QĐ/TU"

    # The cadre now sees their page, without the confidential parts.
    page = text(own.get(url("detail", movement)))
    assert 'data-testid="decision"' in page and "77-QĐ/TU" in page
    for hidden in ('data-testid="gates"', 'data-testid="dossier"', 'data-testid="consultations"'):
        assert hidden not in page
    assert own.get(plan_url("detail", movement.plan)).status_code == 404

    sending = client_for(world.sending.board)
    see_other(
        sending.post(
            url("hand_over", movement), {"stage": "decided", "handed_over_on": _day(kit.today())}
        )
    )
    receiving = client_for(world.receiving.board)
    assert receiving.get(plan_url("detail", movement.plan)).status_code == 404
    assert 'data-testid="receive-form"' in text(receiving.get(url("detail", movement)))
    see_other(
        receiving.post(
            url("receive", movement),
            {"stage": "handed_over", "received_on": _day(kit.today()), "note": "Đã nhận"},
        )
    )
    see_other(
        receiving.post(
            url("report", movement),
            {"stage": "in_rotation", "reported_on": _day(kit.today()), "text": "Báo cáo định kỳ"},
        )
    )
    page = text(receiving.get(url("detail", movement)))
    assert 'data-testid="report-1"' in page and 'data-testid="next-report"' in page
    see_other(
        board.post(
            url("review", movement),
            {
                "stage": "in_rotation",
                "reviewed_on": _day(kit.today()),
                "review": "Hoàn thành tốt",
                "proposed_placement": "stay",
            },
        )
    )
    later = kit.today() + dt.timedelta(days=1)
    see_other(
        chair.post(
            url("place", movement),
            {
                "stage": "reviewed",
                "placement": "stay",
                "position": "",
                "effective_on": _day(later),
                "decision_number": "90-QĐ/TU",
            },
        )
    )
    movement.refresh_from_db()
    assert movement.stage == Stage.COMPLETED and movement.placement == Placement.STAY
    page = text(own.get(url("detail", movement)))
    assert 'data-testid="placement"' in page and "90-QĐ/TU" in page


def test_a_gate_refuses_the_decision_with_its_reason(world):
    cadre = kit.cadre_at(world.from_post)
    _plan, (movement,) = kit.approved_plan(world, cadre)
    kit.prepare(world, movement)
    InvestigationCaseFactory(cadre=cadre, opened_on=kit.today() - dt.timedelta(days=3))
    response = client_for(world.chair).post(
        url("decide", movement),
        {
            "stage": "submitted",
            "decision_number": "1",
            "decision_date": _day(kit.today()),
            "starts_on": _day(kit.today()),
        },
    )
    assert response.status_code == 409
    assert "No rotation or transfer while under investigation" in text(response)
    assert Movement.objects.get(pk=movement.pk).stage == Stage.SUBMITTED


def test_the_exception_form_shows_for_the_chair_when_the_duration_is_short(world):
    _plan, (movement,) = kit.approved_plan(world, kit.cadre_at(world.from_post), months=24)
    page = text(client_for(world.chair).get(url("detail", movement)))
    assert 'data-testid="exception-form"' in page
    assert 'data-testid="exception-form"' not in text(
        client_for(world.staff).get(url("detail", movement))
    )
    see_other(
        client_for(world.chair).post(
            url("exception", movement), {"stage": "approved", "reason": "Yêu cầu đặc biệt"}
        )
    )
    assert "Yêu cầu đặc biệt" in Movement.objects.get(pk=movement.pk).duration_exception


def test_a_transfer_is_proposed_on_its_page(world):
    board = client_for(world.staff)
    cadre = kit.cadre_at(world.to_lower, "Điều Động")
    page = text(board.get(url("transfer")))
    assert 'data-testid="transfer-form"' in page
    response = board.post(url("transfer"), {"unit": world.province.pk, "cadre": cadre.pk})
    assert response.status_code == 400
    see_other(
        board.post(
            url("transfer"),
            {
                "unit": world.province.pk,
                "cadre": cadre.pk,
                "to_position": world.spare_post.pk,
                "reason": "Yêu cầu nhiệm vụ",
            },
        )
    )
    transfer = Movement.objects.get(kind=Kind.TRANSFER)
    page = text(board.get(url("detail", transfer)))
    assert 'data-testid="consultation-form"' in page and 'data-testid="dossier-form"' not in page
    assert "Điều Động" in text(board.get(url("index")))
    # Someone without a board is refused the form.
    member = client_for(world.standing.others[0])
    assert member.post(url("transfer"), {"unit": world.province.pk}).status_code == 403


# ------------------------------------------------------------------ every URL, out of scope


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


def _object_urls(plan, movement) -> dict[str, str]:
    found = {}
    flows = {"rotationplan": plan, "rotation": movement}
    for route, name in _walk():
        values = {"plan_id": plan.pk, "movement_id": movement.pk}
        if name.startswith("rotation:"):
            path = _fill(route, values)
        elif name.startswith("workflow:flows:") and "<int:process_pk>" in route:
            flow = name.split(":")[2]
            if flow not in flows:
                continue
            process = flows[flow]
            values["process_pk"] = process.pk
            if "<int:task_pk>" in route:
                node = name.split(":")[-2]
                task = process.task_set.filter(flow_task__endswith=f".{node}").first()
                if task is None:
                    continue
                values["task_pk"] = task.pk
            path = _fill(route, values)
        else:
            continue
        if path and (f"/{plan.pk}/" in path or f"/{movement.pk}/" in path):
            found[name] = path
    return found


def test_every_url_naming_a_plan_or_a_movement_is_404_outside_the_scope(world):
    plan, (movement,) = kit.approved_plan(world, kit.cadre_at(world.from_post))
    urls = _object_urls(plan, movement)
    assert len(urls) >= 25, sorted(urls)
    elsewhere = OrgUnitFactory(name="Tỉnh khác", code="elsewhere")
    for user in (board_staff(elsewhere), UserFactory()):
        client = client_for(user)
        for name, path in urls.items():
            codes = {client.get(path).status_code, client.post(path, {}).status_code}
            assert codes <= {404, 405} and 404 in codes, (name, path, codes)
        page = text(client.get(url("index")))
        assert plan.title not in page and movement.cadre.full_name not in page
    movement.refresh_from_db()
    assert movement.stage == Stage.APPROVED


def test_anonymous_is_sent_to_login(client, world):
    plan, (movement,) = kit.approved_plan(world, kit.cadre_at(world.from_post))
    urls = _object_urls(plan, movement)
    urls |= {"index": url("index"), "open": plan_url("open"), "transfer": url("transfer")}
    for name, path in urls.items():
        for response in (client.get(path), client.post(path, {})):
            assert response.status_code == 302, (name, path, response.status_code)
            assert "/accounts/login/" in response["Location"], (name, path)


def test_the_flows_task_pages_open_the_procedures_pages(world):
    plan, (movement,) = kit.approved_plan(world, kit.cadre_at(world.from_post))
    task = movement.task_set.get(flow_task__endswith=".prepare")
    client = client_for(world.staff)
    for name, path in _object_urls(plan, movement).items():
        if name.endswith(":prepare:index"):
            response = client.get(path)
            assert response.status_code == 302
            assert response["Location"].split("#")[0] == url("detail", movement), name
    inbox = text(client.get(reverse("workflow:queue")))
    assert str(task.pk) in inbox or "Prepare the rotation decision" in inbox
