"""Who may open and do what on the evaluation pages and on the campaign flow's viewflow pages:
anonymous → login; another unit → 404 on every URL naming the campaign or an evaluation (GET
and POST), nothing listed; a cadre sees their own evaluation, not a colleague's, and on the
campaign page only their own row; in scope without the role → 403 from the service.

(``test_access.py`` beside it covers the same rules at the service and selector level.)"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from personnel.audit.models import AuditEvent
from tests.factories import CadreFactory, CommitteeFactory, member_of
from tests.workflows.appointment.pages import client_for, text
from tests.workflows.ballot_kit import board_staff
from tests.workflows.evaluation import kit
from tests.workflows.evaluation.kit import EXCELLENT, GOOD
from workflows.evaluation.models import EvaluationState

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(province, district_a):
    return kit.build_world(province, district_a)


@pytest.fixture
def under_way(world):
    """A campaign with the first cadre's evaluation decided (good), the second's proposed
    (good) and the third's self-assessed (excellent)."""
    campaign = kit.open_campaign(world)
    first, second, third = (kit.evaluation_of(campaign, c) for c in world.cadres)
    kit.decide(kit.propose(world, first), GOOD, actor=world.district_chair)
    kit.propose(world, second)
    kit.self_assess(third, EXCELLENT)
    return campaign


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


def _object_urls(campaign, evaluation) -> dict[str, str]:
    """Every evaluation and flow URL that names this campaign or this evaluation (or the
    campaign's task)."""
    found = {}
    tasks = {t.flow_task.name: t.pk for t in campaign.task_set.all()}
    values = {
        "campaign_id": campaign.pk,
        "evaluation_id": evaluation.pk,
        "process_pk": campaign.pk,
    }
    for route, name in _walk():
        if name.startswith("evaluation:"):
            path = _fill(route, values)
        elif name.startswith("workflow:flows:evaluation:") and "<int:process_pk>" in route:
            node = name.split(":")[-2]
            if "<int:task_pk>" in route:
                if node not in tasks:
                    continue
                route = route.replace("<int:task_pk>", str(tasks[node]))
            path = _fill(route, values)
        else:
            continue
        if path and (f"/{campaign.pk}/" in path or f"/{evaluation.pk}/" in path):
            found[name] = path
    return found


def test_anonymous_is_sent_to_login_everywhere(client, under_way, world):
    urls = _object_urls(under_way, kit.evaluation_of(under_way, world.cadres[0]))
    assert len(urls) > 12
    urls["list"] = reverse("evaluation:campaign:index")
    urls["open"] = reverse("evaluation:campaign:open")
    for name, path in urls.items():
        for response in (client.get(path), client.post(path, {})):
            assert response.status_code == 302, (name, path, response.status_code)
            assert "/accounts/login/" in response["Location"], (name, path)


def test_another_unit_finds_nothing(under_way, world, district_b):
    """Board staff, a committee member and a cadre of another district: every URL naming the
    campaign or an evaluation is 404 (GET and POST), and no list shows them."""
    evaluation = kit.evaluation_of(under_way, world.cadres[1])
    urls = _object_urls(under_way, evaluation)
    assert {
        "evaluation:campaign:detail",
        "evaluation:campaign:publish",
        "evaluation:campaign:cancel",
        "evaluation:evaluation:detail",
        "evaluation:evaluation:self_assess",
        "evaluation:evaluation:comments",
        "evaluation:evaluation:appraise",
        "evaluation:evaluation:decide",
        "evaluation:evaluation:complain",
        "evaluation:evaluation:reevaluate",
        "evaluation:evaluation:excuse",
        "workflow:flows:evaluation:process_detail",
        "workflow:flows:evaluation:publish:index",
    } <= set(urls)
    outsiders = (
        board_staff(district_b),
        member_of(CommitteeFactory(unit=district_b)),
        kit.cadre(district_b).user,
    )
    before = AuditEvent.objects.count()
    for user in outsiders:
        client = client_for(user)
        for name, path in urls.items():
            data = {"state": EvaluationState.PROPOSED, "level": GOOD, "reason": "x", "text": "x"}
            codes = {client.get(path).status_code, client.post(path, data).status_code}
            assert codes <= {404, 405} and 404 in codes, (user, name, path, codes)
        for listing in (
            reverse("evaluation:campaign:index"),
            "/workflow/inbox/",
            "/workflow/queue/",
            "/workflow/flows/evaluation/",
        ):
            response = client.get(listing)
            assert response.status_code == 200, listing
            page = text(response)
            assert f"/evaluation/{under_way.pk}/" not in page, listing
            assert f"/workflow/flows/evaluation/{under_way.pk}/" not in page, listing
    assert AuditEvent.objects.count() == before
    assert kit.refresh(evaluation).state == EvaluationState.PROPOSED


def test_a_cadre_sees_their_own_evaluation_only(under_way, world):
    """Sealing: a cadre with no committee sees their own evaluation and, on the campaign page,
    only their own row — not a colleague's page, level, nor the unit's progress."""
    me, colleague, third = world.cadres
    mine = kit.evaluation_of(under_way, me)
    theirs = kit.evaluation_of(under_way, colleague)
    client = client_for(me.user)
    assert client.get(reverse("evaluation:evaluation:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("evaluation:evaluation:detail", args=[theirs.pk])).status_code == 404
    response = client.post(
        reverse("evaluation:evaluation:complain", args=[theirs.pk]),
        {"state": "proposed", "text": "x"},
    )
    assert response.status_code == 404
    response = client.get(reverse("evaluation:campaign:detail", args=[under_way.pk]))
    assert response.status_code == 200
    page = text(response)
    assert f'data-testid="evaluation-{mine.pk}"' in page
    rows = re.findall(r'data-testid="evaluation-(\d+)"', page)
    assert rows == [str(mine.pk)]
    assert colleague.full_name not in page and third.full_name not in page
    assert 'data-testid="progress"' not in page and 'data-testid="distribution"' not in page
    # the board of the unit sees every row and the progress
    page = text(
        client_for(world.staff).get(reverse("evaluation:campaign:detail", args=[under_way.pk]))
    )
    assert len(re.findall(r'data-testid="evaluation-(\d+)"', page)) == 4
    assert 'data-testid="progress"' in page


def test_a_board_member_who_is_not_the_competent_chair_cannot_decide(under_way, world):
    proposed = kit.evaluation_of(under_way, world.cadres[1])
    path = reverse("evaluation:evaluation:decide", args=[proposed.pk])
    detail = reverse("evaluation:evaluation:detail", args=[proposed.pk])
    for user in (world.staff, world.district.standing.others[0], world.province_chair):
        client = client_for(user)
        assert 'data-testid="decide-form"' not in text(client.get(detail))
        response = client.post(path, {"state": "proposed", "level": GOOD})
        assert response.status_code == 403, user
        assert "Only the chair of" in text(response)
    assert 'data-testid="decide-form"' in text(client_for(world.district_chair).get(detail))
    assert kit.refresh(proposed).state == EvaluationState.PROPOSED


def test_nobody_appraises_their_own_evaluation(world):
    """A board member who is also evaluated is refused on their own (403, from the service) and
    not offered the form; a cadre is refused the board's actions on their own evaluation."""
    staffer = CadreFactory(unit=world.district.unit, user=world.district.staff2)
    campaign = kit.open_campaign(world)
    own = kit.self_assess(kit.evaluation_of(campaign, staffer))
    client = client_for(world.district.staff2)
    detail = reverse("evaluation:evaluation:detail", args=[own.pk])
    page = text(client.get(detail))
    assert 'data-testid="appraise-form"' not in page and 'data-testid="excuse-form"' in page
    response = client.post(
        reverse("evaluation:evaluation:appraise", args=[own.pk]),
        {"state": "self_rated", "level": GOOD},
    )
    assert response.status_code == 403
    assert "Nobody appraises their own evaluation." in text(response)
    # the other board member may
    assert 'data-testid="appraise-form"' in text(client_for(world.staff).get(detail))

    cadre = world.cadres[0]
    mine = kit.self_assess(kit.evaluation_of(campaign, cadre))
    me = client_for(cadre.user)
    page = text(me.get(reverse("evaluation:evaluation:detail", args=[mine.pk])))
    assert 'data-testid="appraise-form"' not in page and 'data-testid="excuse-form"' not in page
    for action, data in (
        ("appraise", {"level": GOOD}),
        ("excuse", {"reason": "x"}),
        ("comments", {"text": "x"}),
    ):
        response = me.post(
            reverse(f"evaluation:evaluation:{action}", args=[mine.pk]),
            {"state": "self_rated", **data},
        )
        assert response.status_code == 403, action
    for action in ("publish", "cancel"):
        response = me.post(
            reverse(f"evaluation:campaign:{action}", args=[campaign.pk]), {"reason": "x"}
        )
        assert response.status_code == 403, action
    response = me.post(
        reverse("evaluation:campaign:open"),
        {"title": "x", "period": "year", "year": 2027, "track": "party", "units": []},
    )
    assert response.status_code == 403
    assert kit.refresh(own).state == kit.refresh(mine).state == EvaluationState.SELF_RATED
