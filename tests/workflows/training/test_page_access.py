"""Who may open what on the training pages and on the flows' viewflow pages: anonymous → login;
another unit → 404 on every URL naming the plan, the dispatch or the breach, nothing listed; in
scope without the role → 403 on the action; the cadre sees their own dispatch only, never the
plan or the breach."""

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from personnel import services as personnel
from personnel.models import Cadre, PositionHolding, TrainingKind
from tests.factories import CommitteeFactory, UserFactory, member_of
from tests.workflows.appointment.pages import client_for, text
from tests.workflows.ballot_kit import board_staff
from tests.workflows.training import kit
from workflows.training import services

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


@pytest.fixture
def objects(world):
    """A plan still being prepared, a dispatch awaiting its decision (of an approved plan of
    last year), and an open breach."""
    plan = kit.open_plan(world)
    course = kit.course(world, plan)
    kit.propose(world, plan, course, world.cadres[1])
    last = kit.open_plan(world, year=TODAY().year - 1)
    master = kit.course(world, last, kind=TrainingKind.DEGREE)
    first = kit.propose(world, last, master, world.cadres[0])
    second = kit.propose(world, last, master, world.cadres[2])
    kit.approved(world, last)
    dispatch = kit.dispatch_of(first)
    studying = kit.enrolled(world, kit.sent(world, kit.dispatch_of(second)))
    holding = PositionHolding.objects.get(cadre=studying.cadre, ended_on__isnull=True)
    personnel.holding_end(actor=None, holding=holding, ended_on=TODAY())
    [breach] = services.commitment_scan(on_date=TODAY() + dt.timedelta(days=1)).breaches
    return plan, dispatch, breach


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


def _object_urls(plan, dispatch, breach) -> dict[str, str]:
    """Every training and flow URL that names this plan, dispatch or breach (or their tasks)."""
    found = {}
    for process, flow in ((plan, "trainingplan"), (dispatch, "dispatch"), (breach, "breach")):
        tasks = {t.flow_task.name: t.pk for t in process.task_set.all()}
        for route, name in _walk():
            values = {
                "plan_id": plan.pk,
                "dispatch_id": dispatch.pk,
                "breach_id": breach.pk,
                "process_pk": process.pk,
            }
            if name.startswith("training:"):
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
            if path and any(str(o.pk) in path for o in (plan, dispatch, breach)):
                found[f"{name}@{process.pk}" if name.startswith("workflow:") else name] = path
    return found


def test_anonymous_is_sent_to_login_everywhere(client, objects):
    urls = _object_urls(*objects)
    assert len(urls) > 25
    for name in ("plan:index", "plan:open", "dispatch:index", "breach:index"):
        urls[name] = reverse(f"training:{name}")
    for name, path in urls.items():
        for response in (client.get(path), client.post(path, {})):
            assert response.status_code == 302, (name, path, response.status_code)
            assert "/accounts/login/" in response["Location"], (name, path)


def test_another_unit_finds_nothing(objects, district_b):
    plan, dispatch, breach = objects
    urls = _object_urls(plan, dispatch, breach)
    assert {
        "training:plan:detail",
        "training:plan:propose",
        "training:plan:decide",
        "training:dispatch:detail",
        "training:dispatch:decide",
        "training:breach:detail",
        "training:breach:decide",
    } <= set(urls)
    assert any(n.startswith("workflow:flows:breach:review:index") for n in urls)
    for user in (board_staff(district_b), member_of(CommitteeFactory(unit=district_b))):
        client = client_for(user)
        for name, path in urls.items():
            codes = {client.get(path).status_code, client.post(path, {}).status_code}
            assert codes <= {404, 405} and 404 in codes, (user, name, path, codes)
        for listing in ("plan:index", "dispatch:index", "breach:index"):
            page = text(client.get(reverse(f"training:{listing}")))
            assert plan.unit.name not in page, listing


def test_a_user_without_any_scope_finds_nothing(objects):
    client = client_for(UserFactory())
    for name, path in _object_urls(*objects).items():
        assert client.get(path).status_code in (404, 405), (name, path)


def test_in_scope_without_the_role_is_403(world, objects):
    plan, dispatch, breach = objects
    member = client_for(world.standing.others[0])
    assert member.get(reverse("training:plan:detail", args=[plan.pk])).status_code == 200
    assert member.get(reverse("training:dispatch:detail", args=[dispatch.pk])).status_code == 200
    assert member.get(reverse("training:breach:detail", args=[breach.pk])).status_code == 200
    posts = {
        reverse("training:plan:submit", args=[plan.pk]): {"state": "draft"},
        reverse("training:dispatch:withdraw", args=[dispatch.pk]): {
            "state": "awaiting",
            "reason": "x",
        },
        reverse("training:breach:dismiss", args=[breach.pk]): {"state": "open", "reason": "x"},
    }
    for path, data in posts.items():
        assert member.post(path, data).status_code == 403, path


def test_the_cadre_sees_their_own_dispatch_but_not_the_breach_or_the_plan(world, objects):
    plan, dispatch, breach = objects
    user = UserFactory()
    Cadre.objects.filter(pk=breach.cadre_id).update(user=user)
    client = client_for(user)
    own = breach.commitment.dispatch
    assert client.get(reverse("training:dispatch:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("training:dispatch:detail", args=[dispatch.pk])).status_code == 404
    assert client.get(reverse("training:breach:detail", args=[breach.pk])).status_code == 404
    assert client.get(reverse("training:plan:detail", args=[plan.pk])).status_code == 404
    assert client.get(reverse("training:plan:detail", args=[own.plan_id])).status_code == 404
    listing = text(client.get(reverse("training:dispatch:index")))
    assert own.course.title in listing and dispatch.cadre.full_name not in listing
