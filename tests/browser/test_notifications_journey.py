"""Notifications in the browser, over the real ASGI stack (uvicorn, channels, session auth):

- a member has the inbox open; another user assigns them a task; the bell's count, a toast and
  the new inbox row appear without a reload;
- what arrives while the page is disconnected shows up once it reconnects (one summary toast
  when many came), and a dropped socket reconnects by itself;
- the chair's console shows the turnout moving over the socket, not by polling.

Whatever the "other user" does runs on the server's own event loop (``asgi_server.run``), the
way a request would, so its after-commit pushes go through the channel layer the sockets use.
"""

import re

import pytest
from playwright.sync_api import expect

from personnel.models import MembershipRole
from tests.factories import CommitteeFactory, OrgUnitFactory, UserFactory, member_of

LIVE = 5_000  # a push must show within this (ms); polling fallbacks would take longer


@pytest.fixture
def people(transactional_db):
    unit = OrgUnitFactory(name="Tỉnh Đồng Tháp", code="dt")
    body = CommitteeFactory(unit=unit, name="Ban Thường vụ Tỉnh ủy")
    chair = member_of(
        body,
        role=MembershipRole.CHAIR,
        user=UserFactory(username="chutich", last_name="Lê Minh", first_name="Hoan"),
    )
    member = member_of(
        body, user=UserFactory(username="uyvien", last_name="Trần Văn", first_name="An")
    )
    return {"unit": unit, "body": body, "chair": chair, "member": member}


def _connected(page):
    page.wait_for_function("window.cadreflowNotifications?.connected === true")


def _count(page):
    return page.get_by_test_id("notifications-count")


# --------------------------------------------------------------------------- server-side acts


def assign_review_task(owner_id: int, actor_id: int) -> tuple[int, str]:
    """Start a ProbeFlow process and have ``actor`` assign its review task to ``owner``."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from notifications.models import Notification
    from personnel.audit.context import acting_as
    from tests.workflows.probe.flows import ProbeFlow

    users = get_user_model().objects.in_bulk([owner_id, actor_id])
    process = ProbeFlow.start.run()
    task = process.task_set.get(flow_task=ProbeFlow.review)
    with acting_as(users[actor_id]), transaction.atomic():
        task.flow_task.activation_class(task).assign(users[owner_id])
    n = Notification.objects.filter(recipient_id=owner_id).latest("id")
    return n.pk, n.rendered(users[owner_id].language)[0]


def summon(user_id: int, *titles: str) -> list[int]:
    """Notify ``user`` once per title (after commit, as every service does)."""
    from django.db import transaction

    from notifications import kinds
    from notifications.models import Notification
    from notifications.services import notify

    with transaction.atomic():
        for title in titles:
            notify(
                recipients=[user_id],
                kind=kinds.MEETING_SUMMONED,
                params={
                    "meeting": title,
                    "when": "2026-02-02T08:00:00+07:00",
                    "place": "Hội trường",
                },
                link="/meetings/",
            )
    newest = Notification.objects.filter(recipient_id=user_id).order_by("-id")
    return list(newest.values_list("id", flat=True)[: len(titles)])


# --------------------------------------------------------------------------- journeys


def test_member_sees_a_task_assigned_to_them_without_reloading(
    asgi_server, asgi_log_in, page, people, output_dir
):
    member, chair = people["member"], people["chair"]
    asgi_log_in(page, member.username)
    page.goto(f"{asgi_server.url}/notifications/")
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    expect(_count(page)).to_be_hidden()
    expect(page.get_by_test_id("read-all")).to_be_hidden()
    _connected(page)
    page.evaluate("window.__noReload = true")  # a reload would wipe it

    notification_id, title = asgi_server.run(assign_review_task, member.pk, chair.pk)

    expect(_count(page)).to_have_text("1", timeout=LIVE)
    expect(_count(page)).to_be_visible()
    bell = page.get_by_test_id("notifications-bell")
    expect(bell).to_have_attribute("aria-label", re.compile(r"\b1\b"))
    toast = page.get_by_test_id("toast")
    expect(toast.get_by_test_id("toast-title")).to_have_text(title, timeout=LIVE)
    row = page.get_by_test_id(f"notification-{notification_id}")
    expect(row).to_contain_text(title)
    expect(page.get_by_test_id("inbox-empty")).to_be_hidden()
    expect(page.get_by_test_id("read-all")).to_be_visible()
    assert page.evaluate("window.__noReload === true")
    page.screenshot(path=str(output_dir / "notifications-live.png"), full_page=True)

    # The toast can be dismissed.
    toast.get_by_test_id("toast-dismiss").click()
    expect(page.get_by_test_id("toast")).to_have_count(0)

    # Opening the new row marks it read (the probe task has no page: back to the inbox).
    row.get_by_test_id(f"open-{notification_id}").click()
    expect(_count(page)).to_be_hidden()
    expect(page.get_by_test_id(f"notification-{notification_id}")).not_to_have_class(
        re.compile("cf-notice--unread")
    )
    from notifications.models import Notification

    assert Notification.objects.get(pk=notification_id).read_at is not None


def test_what_arrives_while_disconnected_shows_after_reconnecting(
    asgi_server, asgi_log_in, page, people
):
    member = people["member"]
    asgi_log_in(page, member.username)
    _connected(page)  # straight after logging in, whether or not Turbo rendered the landing page
    page.goto(f"{asgi_server.url}/notifications/preferences/")  # any page has the bell
    _connected(page)
    page.evaluate("window.__noReload = true")

    # Offline: nothing can reach the page.
    page.evaluate("window.cadreflowNotifications.pause()")
    assert page.evaluate("window.cadreflowNotifications.socket") is None
    asgi_server.run(summon, member.pk, "Hội nghị lần 1", "Hội nghị lần 2")
    page.wait_for_timeout(500)
    expect(_count(page)).to_be_hidden()
    expect(page.get_by_test_id("toast")).to_have_count(0)

    # Back online: the client asks for what came after the last id it saw.
    page.evaluate("window.cadreflowNotifications.resume()")
    expect(_count(page)).to_have_text("2", timeout=LIVE)
    toasts = page.get_by_test_id("toast")
    expect(toasts).to_have_count(2)
    expect(toasts.nth(0)).to_contain_text("Hội nghị lần 1")
    expect(toasts.nth(1)).to_contain_text("Hội nghị lần 2")
    for i in range(2):
        toasts.nth(0).get_by_test_id("toast-dismiss").click()
    expect(toasts).to_have_count(0)

    # Many at once: one summary toast, and the count.
    page.evaluate("window.cadreflowNotifications.pause()")
    asgi_server.run(summon, member.pk, *(f"Phiên {i}" for i in range(5)))
    page.evaluate("window.cadreflowNotifications.resume()")
    expect(_count(page)).to_have_text("7", timeout=LIVE)
    expect(toasts).to_have_count(1)
    expect(toasts.get_by_test_id("toast-title")).to_contain_text("5")
    expect(toasts.locator("a")).to_have_attribute("href", "/notifications/")

    # A socket that drops reconnects by itself, and live pushes flow again.
    page.evaluate("window.cadreflowNotifications.socket.close()")
    page.wait_for_function("!window.cadreflowNotifications.connected")
    _connected(page)
    (latest,) = asgi_server.run(summon, member.pk, "Hội nghị bất thường")
    expect(_count(page)).to_have_text("8", timeout=LIVE)
    expect(page.locator(f'[data-testid="toast"][data-notification-id="{latest}"]')).to_contain_text(
        "Hội nghị bất thường"
    )
    assert page.evaluate("window.__noReload === true")

    # Following the bell (a Turbo visit) keeps the same socket, and the page agrees with it.
    page.evaluate("window.__socket = window.cadreflowNotifications.socket")
    page.get_by_test_id("notifications-bell").click()
    expect(page.get_by_test_id("inbox")).to_be_visible()
    expect(_count(page)).to_have_text("8")
    expect(page.locator("li[data-notification-id]")).to_have_count(8)
    assert page.evaluate("window.__noReload === true")  # a Turbo visit: the tab stayed
    assert page.evaluate("window.__socket === window.cadreflowNotifications.socket")


def test_a_long_absence_arrives_in_pages_and_all_of_it_shows(
    asgi_server, asgi_log_in, page, people
):
    member = people["member"]
    asgi_log_in(page, member.username)
    page.goto(f"{asgi_server.url}/notifications/")
    _connected(page)
    page.evaluate("window.cadreflowNotifications.pause()")
    missed = 57  # more than the consumer sends per sync answer
    asgi_server.run(summon, member.pk, *(f"Hội nghị số {i}" for i in range(missed)))
    page.evaluate("window.cadreflowNotifications.resume()")
    expect(_count(page)).to_have_text(str(missed), timeout=LIVE)
    expect(page.locator("li[data-notification-id]")).to_have_count(missed)
    toasts = page.get_by_test_id("toast")
    expect(toasts).to_have_count(1)
    expect(toasts).to_contain_text(str(missed))
    # Newest on top, as the inbox orders them.
    expect(page.locator("li[data-notification-id]").first).to_contain_text(
        f"Hội nghị số {missed - 1}"
    )


def test_someone_elses_notification_never_reaches_my_page(asgi_server, asgi_log_in, page, people):
    member, chair = people["member"], people["chair"]
    asgi_log_in(page, member.username)
    page.goto(f"{asgi_server.url}/notifications/")
    _connected(page)
    asgi_server.run(summon, chair.pk, "Chỉ dành cho chủ tịch")
    (mine,) = asgi_server.run(summon, member.pk, "Của tôi")
    expect(page.get_by_test_id(f"notification-{mine}")).to_be_visible(timeout=LIVE)
    expect(page.locator("body")).not_to_contain_text("Chỉ dành cho chủ tịch")
    assert page.evaluate("window.cadreflowNotifications.received") == [mine]


def test_phone_bell_and_inbox_fit(asgi_server, asgi_log_in, chromium, people, output_dir):
    context = chromium.new_context(
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(15_000)
    try:
        phone = context.new_page()
        member = people["member"]
        asgi_server.run(summon, member.pk, "Hội nghị Ban Thường vụ Tỉnh ủy — giới thiệu nhân sự")
        asgi_log_in(phone, member.username)
        phone.goto(f"{asgi_server.url}/notifications/")
        bell = phone.get_by_test_id("notifications-bell")
        expect(bell).to_be_visible()
        box = bell.bounding_box()
        assert box["width"] >= 40 and box["height"] >= 40  # a touch target
        expect(_count(phone)).to_have_text("1")
        _connected(phone)
        asgi_server.run(summon, member.pk, "Hội nghị lần 2")
        expect(phone.get_by_test_id("toast")).to_be_visible(timeout=LIVE)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1
        phone.screenshot(path=str(output_dir / "notifications-phone.png"), full_page=True)
    finally:
        context.close()


# --------------------------------------------------------------------------- chair's console


def open_ballot_scene(chair_id: int, body_id: int, unit_id: int) -> dict:
    from django.contrib.auth import get_user_model

    from personnel.models import Committee, OrgUnit
    from tests.workflows import ballot_kit as kit

    kit.load_rulesets()
    chair = get_user_model().objects.get(pk=chair_id)
    body = Committee.objects.get(pk=body_id)
    unit = OrgUnit.objects.get(pk=unit_id)
    voters = [member_of(body) for _ in range(2)]
    meeting = kit.call_meeting(actor=chair, unit=unit, chair=chair, body=body)
    present = [s.user for s in meeting.summons.select_related("user")]
    kit.in_session(meeting, chair=chair, present=present)
    candidate = kit.cadres(unit, 1)[0]
    ballot = kit.open_ballot(meeting, actor=chair, chair=chair, candidates=[candidate])
    return {
        "meeting": meeting.pk,
        "ballot": ballot.pk,
        "voters": [v.pk for v in voters],
        "candidate": kit.candidate_ids(ballot)[candidate.pk],
        "eligible": len(present),
    }


def cast(voter_id: int, ballot_id: int, candidate_id: int) -> None:
    from django.contrib.auth import get_user_model

    from tests.workflows import ballot_kit as kit
    from workflows.core import services
    from workflows.core.models import Ballot

    services.ballot_cast(
        actor=get_user_model().objects.get(pk=voter_id),
        ballot=Ballot.objects.get(pk=ballot_id),
        marks=kit.nominate(candidate_id),
    )


def test_chair_console_turnout_moves_over_the_socket(asgi_server, asgi_log_in, page, people):
    scene = asgi_server.run(
        open_ballot_scene, people["chair"].pk, people["body"].pk, people["unit"].pk
    )
    polled = []
    page.on("request", lambda r: polled.append(r.url) if "turnout.json" in r.url else None)
    asgi_log_in(page, people["chair"].username)
    page.goto(f"{asgi_server.url}/meetings/{scene['meeting']}/")
    turnout = page.get_by_test_id(f"turnout-{scene['ballot']}")
    eligible = scene["eligible"]
    expect(turnout).to_contain_text(f"0 / {eligible}")
    expect(turnout).to_have_attribute("data-turnout-live", "socket")
    page.evaluate("window.__noReload = true")

    for i, voter in enumerate(scene["voters"], start=1):
        asgi_server.run(cast, voter, scene["ballot"], scene["candidate"])
        expect(turnout).to_contain_text(f"{i} / {eligible}", timeout=2_000)
    assert page.evaluate("window.__noReload === true")
    assert polled == []  # the socket did it, not the polling fallback
    expect(turnout).to_have_attribute("data-turnout-live", "socket")
