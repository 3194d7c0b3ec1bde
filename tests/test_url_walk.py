"""Deny by default: walk every URL the project routes and check who may open it.

A new URL that is not listed in PUBLIC or handled by the walk fails this test, so nobody can add
a page without deciding who sees it.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from personnel import models
from tests.factories import CadreFactory, CommitteeFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db

# URLs only some roles may open; everyone else gets 404 (tested in tests/personnel/audit).
ROLE_ONLY_PREFIXES = ("audit:",)

# URLs that only take POST: a GET changes nothing and answers 405 (name → why).
POST_ONLY = {
    "notifications:inbox:read_all": "marks all of the user's own notifications read",
}

# URLs anyone may open (name → why).
PUBLIC = {
    "login": "the login page",
    "password_reset": "password reset is part of logging in",
    "password_reset_done": "",
    "password_reset_confirm": "",
    "password_reset_complete": "",
    "set_language": "language switch on the login page",
    "javascript-catalog": "translations for viewflow's scripts on the login page",
    "healthz": "load-balancer probe; reveals nothing",
    "logout": "logging out",
}


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
            yield prefix + str(entry.pattern), entry.name, namespace


def _fill(route: str, values: dict) -> str | None:
    """Turn a route into a concrete path, or None when it takes parameters we cannot fill."""
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")

    def sub(match):
        name = match.group("name")
        if name not in values:
            raise KeyError(name)
        return str(values[name])

    try:
        path = re.sub(r"<(?:(?:\w+):)?(?P<name>\w+)>", sub, route)
        path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", sub, path)
    except KeyError:
        return None
    if any(ch in path for ch in "()[]?*+\\"):
        return None
    return "/" + path


def _all_urls(values):
    for route, name, namespace in _walk():
        if route.startswith("admin/") or route.startswith("static/"):
            continue
        path = _fill(route, values)
        yield (f"{namespace}:{name}" if namespace else name), path


@pytest.fixture
def world(district_a, district_b):
    mine = CadreFactory(unit=district_a)
    theirs = CadreFactory(unit=district_b)
    my_committee = CommitteeFactory(unit=district_a)
    their_committee = CommitteeFactory(unit=district_b)
    user = member_of(my_committee)
    return {
        "user": user,
        "in_scope": {"pk": mine.pk, "committee": my_committee.pk},
        "out_of_scope": {"pk": theirs.pk, "committee": their_committee.pk},
        "their_committee": their_committee,
        "theirs": theirs,
    }


def test_every_url_is_either_public_or_needs_login(client, world):
    checked = 0
    values = {
        "pk": world["in_scope"]["pk"],
        "uidb64": "x",
        "token": "y",
        "cadre_id": 1,
        "process_id": 1,
    }
    for name, path in _all_urls(values):
        if path is None:
            continue
        short = (name or "").split(":")[-1]
        response = client.get(path)
        if short in PUBLIC:
            assert response.status_code in (200, 302, 405), (name, path, response.status_code)
        else:
            assert response.status_code == 302, (name, path, response.status_code)
            assert "/accounts/login/" in response["Location"], (name, path)
        checked += 1
    assert checked >= 10


def test_every_object_url_is_404_outside_scope(client, world):
    client.force_login(world["user"])
    names_with_objects = set()
    for name, path in _all_urls({"pk": world["theirs"].pk}):
        if path is None or "<" in path:
            continue
        if not any(token in (name or "") for token in ("cadres:detail", "committees:detail")):
            continue
        names_with_objects.add(name)
        target = world["their_committee"].pk if "committees" in name else world["theirs"].pk
        path = path.replace(str(world["theirs"].pk), str(target))
        assert client.get(path).status_code == 404, (name, path)
    assert names_with_objects == {"personnel:cadres:detail", "personnel:committees:detail"}


def test_every_authenticated_page_opens_for_a_member_in_scope(client, world):
    client.force_login(world["user"])
    values = {"pk": world["in_scope"]["pk"], "cadre_id": world["in_scope"]["pk"], "process_id": 1}
    for name, path in _all_urls(values):
        short = (name or "").split(":")[-1]
        if path is None or short in PUBLIC or name is None:
            continue
        if "committees:detail" in name:
            path = path.replace(str(values["pk"]), str(world["in_scope"]["committee"]))
        response = client.get(path, follow=True)
        expected = 404 if name.startswith(ROLE_ONLY_PREFIXES) else 200
        if name in POST_ONLY:
            expected = 405
        assert response.status_code == expected, (name, path, response.status_code)


def test_admin_is_closed_to_non_staff(client, world):
    client.force_login(world["user"])
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.get(f"/admin/personnel/cadre/{world['theirs'].pk}/change/")
    assert response.status_code == 302


def test_user_without_any_scope_sees_empty_pages(client, world):
    client.force_login(UserFactory())
    page = client.get("/personnel/cadres/").content.decode()
    assert world["theirs"].full_name not in page
    assert client.get(f"/personnel/cadres/{world['in_scope']['pk']}/").status_code == 404
    assert models.Cadre.objects.count() == 2


def test_every_meeting_url_is_404_for_someone_outside_it(client, world, district_b):
    """Walk every meetings URL that takes a meeting or ballot id, GET and POST, as a member of
    another district: all must look nonexistent."""
    from tests.workflows import ballot_kit as kit

    body = kit.body_with_members(district_b, 3)
    meeting = kit.call_meeting(
        actor=body.chair, unit=district_b, chair=body.chair, body=body.committee
    )
    kit.in_session(meeting, chair=body.chair, present=body.members)
    ballot = kit.open_ballot(
        meeting, actor=body.chair, chair=body.chair, candidates=[world["theirs"]]
    )
    client.force_login(world["user"])
    walked = set()
    for name, path in _all_urls({"meeting_id": meeting.pk, "ballot_id": ballot.pk}):
        if path is None or not (name or "").startswith("meetings:"):
            continue
        if "<" in path or not any(str(i) in path for i in (meeting.pk, ballot.pk)):
            continue
        walked.add(name)
        # 405 answers a method the page never takes, before any lookup: it reveals nothing.
        codes = {client.get(path).status_code, client.post(path, {}).status_code}
        assert codes <= {404, 405} and 404 in codes, (name, path, codes)
    assert len(walked) >= 12, walked
    ballot.refresh_from_db()
    assert ballot.participations.count() == 0


def test_every_notification_url_is_404_for_someone_elses_notification(client, world):
    """Walk every notifications URL that takes a notification id, GET and POST, with another
    user's notification: all must look nonexistent, and it stays unread."""
    from notifications import kinds, services

    owner = UserFactory()
    (theirs,) = services.deliver(
        recipient_ids=[owner.pk],
        kind=kinds.BALLOT_OPENED.code,
        params={"ballot": "b", "meeting": "m"},
    )
    client.force_login(world["user"])
    walked = set()
    for name, path in _all_urls({"notification_id": theirs.pk}):
        if path is None or not (name or "").startswith("notifications:"):
            continue
        if "<" in path or str(theirs.pk) not in path:
            continue
        walked.add(name)
        codes = {client.get(path).status_code, client.post(path, {}).status_code}
        assert codes <= {404, 405} and 404 in codes, (name, path, codes)
    assert walked == {"notifications:inbox:read"}, walked
    theirs.refresh_from_db()
    assert theirs.unread
