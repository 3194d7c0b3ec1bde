"""Who may open and do what on the planning pages and on the flows' viewflow pages:
anonymous → login; another unit → 404 on every URL naming the review or the removal, nothing
listed; in scope without the role → 403 on the action; sealed results stay sealed.

(``test_access.py`` beside it covers the same rules at the service and selector level.)"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from personnel.audit.models import AuditEvent
from tests.factories import CommitteeFactory, UserFactory, member_of
from tests.workflows.appointment.pages import client_for, text
from tests.workflows.ballot_kit import board_staff
from tests.workflows.planning import kit
from workflows.planning import services
from workflows.planning.models import PlanningReview, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


@pytest.fixture
def at_key_officials(world):
    """A review whose list the leadership approved, the key officials' meeting called, and an
    open discretionary removal of an approved entry."""
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    kit.propose(world, review, world.posts[1], world.cadres[1])
    services.source_list_submit(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.approve_everything)
    services.step_record(actor=world.staff, review=review)
    kit.call(world, review)
    entry = kit.approved_entry(world.cadres[2], world.posts[2])
    removal = services.removal_propose(actor=world.staff, entry=entry, reason="Lý do")
    return kit.refresh(review), removal


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


def _object_urls(review, removal) -> dict[str, str]:
    """Every planning and flow URL that names this review or removal (or their tasks)."""
    found = {}
    for process, flow in ((review, "planningreview"), (removal, "removal")):
        tasks = {t.flow_task.name: t.pk for t in process.task_set.all()}
        for route, name in _walk():
            values = {"review_id": review.pk, "removal_id": removal.pk, "process_pk": process.pk}
            if name.startswith("planning:"):
                path = _fill(route, values)
            elif name.startswith(f"workflow:flows:{flow}:") and "<int:process_pk>" in route:
                node = name.split(":")[-2]
                if "<int:task_pk>" in route:
                    if node not in tasks:
                        continue
                    values["task_pk"] = tasks[node]
                path = _fill(route, values)
            else:
                continue
            if path and (str(review.pk) in path or str(removal.pk) in path):
                found[name] = path
    return found


def test_anonymous_is_sent_to_login_everywhere(client, at_key_officials):
    urls = _object_urls(*at_key_officials)
    assert len(urls) > 15
    urls["list"] = reverse("planning:review:index")
    urls["open"] = reverse("planning:review:open")
    urls["removals"] = reverse("planning:removal:index")
    for name, path in urls.items():
        for response in (client.get(path), client.post(path, {})):
            assert response.status_code == 302, (name, path, response.status_code)
            assert "/accounts/login/" in response["Location"], (name, path)


def test_another_unit_finds_nothing(at_key_officials, world, district_b):
    """Board staff and a committee member of another district: every URL naming the review or
    the removal is 404 (GET and POST), and no list shows them."""
    review, removal = at_key_officials
    urls = _object_urls(review, removal)
    assert {
        "planning:review:detail",
        "planning:review:call",
        "planning:review:decide",
        "planning:removal:confirm",
        "planning:removal:detail",
        "workflow:flows:planningreview:process_detail",
        "workflow:flows:planningreview:key_officials:index",
        "workflow:flows:removal:confirm:index",
    } <= set(urls)
    for user in (board_staff(district_b), member_of(CommitteeFactory(unit=district_b))):
        client = client_for(user)
        for name, path in urls.items():
            codes = {client.get(path).status_code, client.post(path, {}).status_code}
            assert codes <= {404, 405} and 404 in codes, (user, name, path, codes)
        for listing in (
            reverse("planning:review:index"),
            reverse("planning:removal:index"),
            "/workflow/inbox/",
            "/workflow/queue/",
            "/workflow/flows/planningreview/",
            "/workflow/flows/removal/",
        ):
            response = client.get(listing)
            assert response.status_code == 200, listing
            page = text(response)
            assert f"/planning/{review.pk}/" not in page, listing
            assert f"removal-{removal.pk}" not in page, listing
            assert f"/workflow/flows/planningreview/{review.pk}/" not in page, listing
    assert PlanningReview.objects.get(pk=review.pk).stage == Stage.LIST_APPROVED


BOARD_ACTIONS = {
    "propose": {"position": 1, "cadre": 1},
    "unpropose": {"candidate": 1, "reason": "x"},
    "submit": {},
    "call": {"step": "key_officials", "scheduled_at": "2026-01-05T09:00", "mode": "electronic"},
    "record": {"step": "key_officials"},
    "publish": {},
}


def test_in_scope_without_the_role_gets_403(at_key_officials, world):
    review, removal = at_key_officials
    before = AuditEvent.objects.count()
    detail = reverse("planning:review:detail", kwargs={"review_id": review.pk})
    for user in (world.standing.others[0], world.leadership.others[0], world.chair):
        client = client_for(user)
        page = text(client.get(detail))
        assert 'data-testid="call-form"' not in page and 'data-testid="propose-form"' not in page
        for action, data in BOARD_ACTIONS.items():
            path = reverse(f"planning:review:{action}", kwargs={"review_id": review.pk})
            response = client.post(path, data)
            assert response.status_code == 403, (user, action, response.status_code)
            assert "organisation board" in text(response)
        for action in ("confirm", "dismiss"):
            path = reverse(f"planning:removal:{action}", kwargs={"removal_id": removal.pk})
            assert client.post(path, {"reason": "x"}).status_code == 403, (user, action)
        response = client.post(reverse("planning:removal:propose"), {"reason": "x"})
        assert response.status_code == 403
    for user in (world.staff, world.standing.others[0]):
        response = client_for(user).post(
            reverse("planning:review:decide", kwargs={"review_id": review.pk}),
            {"decision": "yes", "decision_ref": "1"},
        )
        assert response.status_code == 403, user
    response = client_for(world.leadership.others[0]).post(
        reverse("planning:review:withdraw", kwargs={"review_id": review.pk}), {"reason": "x"}
    )
    assert response.status_code == 403
    response = client_for(world.standing.others[0]).post(
        reverse("planning:review:open"),
        {"unit": world.unit.pk, "term_start_year": 2031, "term_end_year": 2036},
    )
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


def test_the_source_list_and_its_gates_are_for_the_board_and_the_competent_body(
    at_key_officials, world
):
    review, _removal = at_key_officials
    detail = reverse("planning:review:detail", kwargs={"review_id": review.pk})
    for user in (world.staff, world.chair):
        assert 'data-testid="source-list"' in text(client_for(user).get(detail))
    page = text(client_for(world.leadership.others[0]).get(detail))
    assert 'data-testid="source-list"' not in page and "gate-" not in page
    assert 'data-testid="timeline"' in page


def test_sealed_key_officials_results_stay_sealed_on_the_page(at_key_officials, world):
    review, _removal = at_key_officials
    kit.run_meeting(
        list(review.steps.filter(recorded_at__isnull=True).select_related("meeting", "ballot")),
        kit.nominate_everyone,
    )
    services.step_record(actor=world.staff, review=review)
    step = review.steps.get(code="key_officials", position=world.posts[0])
    assert step.ballot.sealed
    detail = reverse("planning:review:detail", kwargs={"review_id": review.pk})
    # Summoned to the key officials' meeting, neither board nor competent body: sealed.
    page = text(client_for(world.leadership.others[0]).get(detail))
    assert f'data-testid="sealed-{step.pk}"' in page
    assert f'data-testid="results-{step.pk}"' not in page
    assert f'data-testid="outcome-{step.pk}"' not in page
    # The board sees the results and the outcome.
    page = text(client_for(world.staff).get(detail))
    assert f'data-testid="results-{step.pk}"' in page
    assert f'data-testid="outcome-{step.pk}"' in page


def test_the_structure_targets_are_shown_with_the_source_list(at_key_officials, world):
    review, _removal = at_key_officials
    detail = reverse("planning:review:detail", kwargs={"review_id": review.pk})
    page = text(client_for(world.staff).get(detail))
    assert 'data-testid="structure"' in page and 'data-testid="structure-unit"' in page
    assert "short" in page  # two men planned: the women's share is short
    assert 'data-testid="structure"' not in text(client_for(world.leadership.others[0]).get(detail))


def test_the_published_plan_is_shown_in_scope_and_to_the_planned_cadre(world, district_b):
    planned = UserFactory()
    a = world.cadres[0]
    a.user = planned
    a.save(update_fields=["user"])
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], a)
    review = kit.decide(world, kit.walk_to_vote(world, review))
    plan = reverse("planning:review:plan")
    assert a.full_name not in text(client_for(world.staff).get(plan))  # not published yet
    services.review_publish(actor=world.staff, review=review)
    assert a.full_name in text(client_for(world.staff).get(plan))
    assert a.full_name in text(client_for(planned).get(plan))
    assert a.full_name not in text(client_for(board_staff(district_b)).get(plan))
