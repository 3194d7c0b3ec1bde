"""Bad input gets a clear message; nothing becomes a bare 500."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]
handler500 = "config.views.server_error"


def test_wrong_password_is_a_form_error(client):
    UserFactory(username="someone")
    response = client.post("/accounts/login/", {"username": "someone", "password": "wrong"})
    assert response.status_code == 200
    assert "mật khẩu chính xác" in response.content.decode()  # Django's vi message


@pytest.mark.parametrize(
    "data", [{}, {"username": ""}, {"username": "x" * 5000, "password": "y"}, {"password": "p"}]
)
def test_malformed_login_posts_are_form_errors(client, data):
    assert client.post("/accounts/login/", data).status_code == 200


def test_unknown_language_is_ignored(client):
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert client.get("/accounts/login/").content.decode().count('lang="vi"') >= 1


def test_foreign_redirect_after_language_switch_is_refused(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_bad_host_is_a_400_page():
    response = Client().get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_unhandled_error_renders_the_500_page():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Hệ thống gặp sự cố" in response.content.decode()


def test_csrf_failure_is_refused(client):
    checked = Client(enforce_csrf_checks=True)
    response = checked.post("/accounts/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
