"""The inbox, marking read and the preferences page over HTTP, and the bell on every page.

Everything is the signed-in user's own: another person's notification is a 404, never a 403.
"""

import re

import pytest
from django.urls import reverse

from notifications import kinds, selectors, services
from notifications.models import EmailPreference, Notification
from notifications.views import PAGE_SIZE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/notifications/"


def _summons(user, meeting="Hội nghị {n}", n=0, link=""):
    (created,) = services.deliver(
        recipient_ids=[user.pk],
        kind=kinds.MEETING_SUMMONED.code,
        params={"meeting": meeting.format(n=n), "when": "2026-01-05T08:00:00+07:00", "place": "P1"},
        link=link,
    )
    return created


def _order(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="notification-(\d+)"', html)]


@pytest.fixture
def me():
    return UserFactory(username="uyvien", language="vi")


@pytest.fixture
def other():
    return UserFactory(username="nguoikhac")


@pytest.fixture
def signed_in(client, me):
    client.force_login(me)
    return client


def test_urls_are_where_emails_point():
    assert reverse("notifications:inbox:index") == INBOX
    assert reverse("notifications:preferences:index") == "/notifications/preferences/"


def test_anonymous_is_sent_to_login(client, me):
    n = _summons(me)
    for method, path in [
        ("get", INBOX),
        ("get", "/notifications/preferences/"),
        ("post", "/notifications/preferences/"),
        ("post", "/notifications/read-all/"),
        ("post", f"/notifications/{n.pk}/read/"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 302, (method, path)
        assert response["Location"].startswith(reverse("login")), (method, path)
    n.refresh_from_db()
    assert n.unread


def test_inbox_lists_unread_first_then_newest(signed_in, me, other):
    first, second, third = (_summons(me, n=i) for i in range(3))
    _summons(other, meeting="Không phải của tôi")
    services.notification_mark_read(user=me, notification_id=third.pk)
    response = signed_in.get(INBOX)
    assert response.status_code == 200
    html = response.content.decode()
    assert _order(html) == [second.pk, first.pk, third.pk]
    assert "Không phải của tôi" not in html
    assert 'data-testid="read-all"' in html
    assert "data-notifications-if-unread hidden" not in html
    assert html.count("cf-notice--unread") == 2 + 1  # two unread items and the live template


def test_inbox_renders_in_the_users_language(client):
    for language in ("vi", "en"):
        user = UserFactory(language=language)
        (n,) = services.deliver(
            recipient_ids=[user.pk],
            kind=kinds.TASK_ASSIGNED.code,
            params={
                "task": kinds.in_every_language(lambda: "Review"),
                "process": {"vi": "Quy trình bổ nhiệm", "en": "Appointment procedure"},
            },
        )
        client.force_login(user)
        html = client.get(INBOX).content.decode()
        title, body = n.rendered(language)
        assert title in html and body in html
        assert ("Quy trình bổ nhiệm" in html) == (language == "vi")
        assert ("Appointment procedure" in html) == (language == "en")


def test_inbox_escapes_parameters(signed_in, me):
    _summons(me, meeting="<script>alert(1)</script>")
    html = signed_in.get(INBOX).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_inbox_empty_state(signed_in):
    html = signed_in.get(INBOX).content.decode()
    assert 'data-testid="inbox-empty"' in html
    assert 'data-testid="inbox-empty" hidden' not in html
    assert _order(html) == []
    assert "data-notifications-if-unread hidden" in html  # no "mark all as read" to offer


def test_inbox_is_paginated(signed_in, me):
    made = [_summons(me, n=i) for i in range(PAGE_SIZE + 5)]
    newest_first = [n.pk for n in reversed(made)]
    page1 = signed_in.get(INBOX).content.decode()
    assert _order(page1) == newest_first[:PAGE_SIZE]
    assert "data-notifications-list" in page1  # live items are added to the first page only
    page2 = signed_in.get(INBOX, {"page": 2}).content.decode()
    assert _order(page2) == newest_first[PAGE_SIZE:]
    assert "data-notifications-list" not in page2
    assert signed_in.get(INBOX, {"page": "abc"}).status_code == 200
    assert signed_in.get(INBOX, {"page": "999"}).status_code == 200


def test_mark_read_goes_to_the_link(signed_in, me):
    n = _summons(me, link="/meetings/7/")
    response = signed_in.post(f"/notifications/{n.pk}/read/")
    assert response.status_code == 303
    assert response["Location"] == "/meetings/7/"
    n.refresh_from_db()
    assert not n.unread
    # Again: still fine, nothing changes.
    assert signed_in.post(f"/notifications/{n.pk}/read/").status_code == 303


def test_mark_read_without_a_link_goes_back(signed_in, me):
    n = _summons(me)
    response = signed_in.post(f"/notifications/{n.pk}/read/", {"next": "/notifications/?page=2"})
    assert response.status_code == 303 and response["Location"] == "/notifications/?page=2"
    m = _summons(me)
    response = signed_in.post(f"/notifications/{m.pk}/read/")
    assert response["Location"] == INBOX


@pytest.mark.parametrize(
    "link", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_mark_read_never_leaves_the_site(signed_in, me, link):
    n = _summons(me, link=link)
    response = signed_in.post(f"/notifications/{n.pk}/read/", {"next": link})
    assert response.status_code == 303 and response["Location"] == INBOX
    html = signed_in.get(INBOX).content.decode()
    assert f'href="{link}"' not in html


def test_someone_elses_notification_is_404(signed_in, me, other):
    theirs = _summons(other)
    assert signed_in.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert signed_in.post("/notifications/999999999/read/").status_code == 404
    assert signed_in.get(f"/notifications/{theirs.pk}/read/").status_code == 405
    theirs.refresh_from_db()
    assert theirs.unread


def test_mark_all_read_touches_only_mine(signed_in, me, other):
    mine = [_summons(me, n=i) for i in range(3)]
    theirs = _summons(other)
    response = signed_in.post("/notifications/read-all/")
    assert response.status_code == 303 and response["Location"] == INBOX
    assert selectors.unread_count(user=me) == 0
    assert all(not n.unread for n in Notification.objects.filter(pk__in=[n.pk for n in mine]))
    theirs.refresh_from_db()
    assert theirs.unread
    page = signed_in.get(INBOX)
    assert 'class="cf-message' in page.content.decode()  # "3 notifications marked as read."
    assert signed_in.get("/notifications/read-all/").status_code == 405


def test_badge_shows_the_unread_count_on_every_page(signed_in, me):
    html = signed_in.get(INBOX).content.decode()
    assert 'data-testid="notifications-bell"' in html
    assert re.search(r'data-testid="notifications-count"[^>]* hidden>', html)
    assert "notifications/live.js" in html and 'aria-live="polite"' in html
    # Translated strings for live.js, with the placeholder it fills in.
    assert re.search(r'data-i18n-label-unread="[^"]*\{count\}[^"]*"', html)
    assert re.search(r'data-i18n-missed="[^"]*\{count\}[^"]*"', html)
    assert re.search(r'data-i18n-dismiss="[^"{]+"', html)
    made = [_summons(me, n=i) for i in range(2)]
    services.notification_mark_read(user=me, notification_id=made[0].pk)
    _summons(me, n=9)
    html = signed_in.get("/notifications/preferences/").content.decode()
    count = re.search(r'data-testid="notifications-count"([^>]*)>([^<]*)<', html)
    assert not count.group(1).endswith(" hidden") and count.group(2) == "2"
    last = Notification.objects.filter(recipient=me).latest("id").pk
    assert f'data-last-id="{last}"' in html
    assert 'data-unread="2"' in html


def test_badge_caps_at_99(signed_in, me):
    services.deliver(
        recipient_ids=[me.pk], kind=kinds.BALLOT_OPENED.code, params={"ballot": "b", "meeting": "m"}
    )
    Notification.objects.bulk_create(
        Notification(recipient=me, kind=kinds.BALLOT_OPENED.code, params={}) for _ in range(120)
    )
    html = signed_in.get(INBOX).content.decode()
    assert re.search(r'data-testid="notifications-count"[^>]*>99\+<', html)


def test_no_bell_or_script_for_anonymous(client):
    html = client.get("/accounts/login/").content.decode()
    assert "notifications-bell" not in html and "live.js" not in html


def test_notify_after_commit_reaches_the_inbox(signed_in, me, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            recipients=[me],
            kind=kinds.BALLOT_OPENED,
            params={"ballot": "Phiếu giới thiệu", "meeting": "Hội nghị"},
            link="/meetings/3/",
        )
    html = signed_in.get(INBOX).content.decode()
    title, _ = Notification.objects.get(recipient=me).rendered("vi")
    assert title in html and "Phiếu giới thiệu" in html


# --------------------------------------------------------------------------- preferences

PREFS = "/notifications/preferences/"


def _prefs_post(**overrides):
    data = {"language": "vi"}
    for code, kind in kinds.KINDS.items():
        if kind.email_default:
            data["email__" + code.replace(".", "__")] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_preferences_page_lists_every_kind_with_defaults(signed_in, me):
    EmailPreference.objects.create(user=me, kind=kinds.BALLOT_OPENED.code, enabled=True)
    response = signed_in.get(PREFS)
    assert response.status_code == 200
    html = response.content.decode()
    for code, kind in kinds.KINDS.items():
        name = "email__" + code.replace(".", "__")
        checkbox = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', html)
        assert checkbox, code
        expected = kind.email_default or code == kinds.BALLOT_OPENED.code
        assert ("checked" in checkbox.group(0)) == expected, code
        assert str(kind.label) in html
    assert '<option value="vi" selected>' in html


def test_preferences_save(signed_in, me):
    data = _prefs_post(
        language="en",
        email__task__assigned=None,  # turn a default-on kind off
        email__ballot__opened="on",  # and a default-off kind on
    )
    response = signed_in.post(PREFS, data)
    assert response.status_code == 303 and response["Location"] == PREFS
    me.refresh_from_db()
    assert me.language == "en"
    prefs = selectors.email_preferences(user=me)
    assert prefs[kinds.TASK_ASSIGNED.code] is False
    assert prefs[kinds.BALLOT_OPENED.code] is True
    assert prefs[kinds.MEETING_SUMMONED.code] is True
    # Only the choices that differ from the defaults are stored.
    assert EmailPreference.objects.filter(user=me).count() == 2
    follow = signed_in.get(PREFS).content.decode()
    assert 'class="cf-message' in follow
    # Back to the defaults: the rows go away.
    signed_in.post(PREFS, _prefs_post())
    assert EmailPreference.objects.filter(user=me).count() == 0
    me.refresh_from_db()
    assert me.language == "vi"


@pytest.mark.parametrize(
    "data",
    [
        {"language": "xx"},
        {"language": ""},
        {"language": None},
        {"language": "en" * 200},
    ],
)
def test_preferences_reject_bad_input(signed_in, me, data):
    response = signed_in.post(PREFS, _prefs_post(email__ballot__opened="on", **data))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="language-error"' in html
    me.refresh_from_db()
    assert me.language == "vi"
    assert not EmailPreference.objects.filter(user=me).exists()


def test_preferences_ignore_unknown_fields(signed_in, me):
    response = signed_in.post(PREFS, _prefs_post(email__nonsense="on", email__task="on"))
    assert response.status_code == 303
    assert not EmailPreference.objects.filter(user=me).exists()
