"""Signing in under attack (docs/api.md, "Authentication and roles"; docs/domain.md, "Who may do
what"): failed logins lock one (address, username) pair, never a whole address or an account
everywhere; a locked pair is answered 429 with ``Retry-After`` by the API and by a clear page on the
portal's and the admin's login; password-reset e-mails are limited per address and per account with
the same answer either way."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.urls import reverse

from kamusm_portal import sign_in
from tests.entitlements.factories import UserFactory

PASSWORD = "secret-pass-123"  # the factories' password
TOKEN_URL = "/api/v1/auth/token/"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

pytestmark = pytest.mark.django_db


@pytest.fixture
def lockout(settings):
    """Axes on (the suite runs with it off), three failures to a lock-out."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def _token(api_client, username: str, password: str, address: str = "198.51.100.7", **extra):
    return api_client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address, **extra
    )


def _fail(api_client, username: str, address: str = "198.51.100.7", times: int = 3, **extra) -> None:
    for _ in range(times):
        _token(api_client, username, "wrong", address, **extra)


# --- The API: a locked pair ------------------------------------------------------------------


def test_a_locked_pair_gets_429_locked_out_with_retry_after_even_with_the_right_password(api_client, lockout):
    UserFactory(username="ayşe")
    first = _token(api_client, "ayşe", "wrong")
    assert (first.status_code, first.json()["code"]) == (400, "invalid")
    _fail(api_client, "ayşe", times=2)

    response = _token(api_client, "ayşe", PASSWORD)

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out"
    assert body["detail"] and body["fields"] == {}
    # The cool-off is an hour from the last failure: this answer comes a moment after it.
    assert 3500 < int(response["Retry-After"]) <= 3600
    assert "token" not in body


def test_the_locked_out_detail_follows_accept_language(api_client, lockout):
    UserFactory(username="ayse")
    _fail(api_client, "ayse")

    english = _token(api_client, "ayse", PASSWORD, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    turkish = _token(api_client, "ayse", PASSWORD, HTTP_ACCEPT_LANGUAGE="tr").json()["detail"]

    assert english != turkish
    assert "minute" in english
    assert "dakika" in turkish


def test_failures_of_many_usernames_from_one_address_lock_none_of_the_others(api_client, lockout):
    """Everyone behind one NAT: three people mistyping once each do not lock out a fourth."""
    for username in ("ali", "veli", "ayşe", "mehmet"):
        UserFactory(username=username)
    for username in ("ali", "veli", "ayşe"):
        _fail(api_client, username, times=1)
    _fail(api_client, "nobody-at-all", times=3)  # even a locked unknown name locks no one else

    response = _token(api_client, "mehmet", PASSWORD)

    assert response.status_code == 200, response.json()


def test_a_locked_username_still_signs_in_from_another_address(api_client, lockout):
    """Anyone who knows a username cannot lock its owner out from everywhere."""
    UserFactory(username="ayse")
    _fail(api_client, "ayse", address="203.0.113.66")
    assert _token(api_client, "ayse", PASSWORD, address="203.0.113.66").status_code == 429

    response = _token(api_client, "ayse", PASSWORD, address="198.51.100.7")

    assert response.status_code == 200


def test_other_usernames_from_a_locked_pairs_address_still_sign_in(api_client, lockout):
    UserFactory(username="ayse")
    UserFactory(username="mehmet")
    _fail(api_client, "ayse")

    assert _token(api_client, "ayse", PASSWORD).status_code == 429
    assert _token(api_client, "mehmet", PASSWORD).status_code == 200


def test_behind_a_proxy_the_pair_is_the_clients_address_not_the_proxys(api_client, lockout):
    """With ``NUM_PROXIES`` set, every client arrives from the proxy's address: the pair is read
    from the address the proxy adds to ``X-Forwarded-For``, as the rate limits read it."""
    lockout.REST_FRAMEWORK = {**lockout.REST_FRAMEWORK, "NUM_PROXIES": 1}
    UserFactory(username="ayse")
    _fail(api_client, "ayse", address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert _token(api_client, "ayse", PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66").status_code == 429

    # The same proxy, another client (a forged first hop is not the client's address).
    response = _token(api_client, "ayse", PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.7")

    assert response.status_code == 200


def test_a_forwarded_address_that_is_not_an_address_falls_back_to_the_connection(rf, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>, 1.2.3.4")

    assert sign_in.client_address(request) == "10.0.0.2"


# --- The pages: a clear lock-out page ---------------------------------------------------------


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_a_locked_pair_sees_a_translated_lock_out_page_on_the_login(client, lockout, login_url):
    UserFactory(username="ayse", is_staff=True)
    for _ in range(2):
        response = client.post(login_url, {"username": "ayse", "password": "wrong"})
        assert response.status_code == 200  # the login page with its error
    client.post(login_url, {"username": "ayse", "password": "wrong"})

    response = client.post(login_url, {"username": "ayse", "password": PASSWORD})

    assert response.status_code == 429
    assert 3500 < int(response["Retry-After"]) <= 3600
    html = response.content.decode()
    assert 'data-testid="locked-out"' in html
    assert "çok fazla başarısız giriş" in html  # Turkish first
    assert "60 dakika" in html
    assert "Account locked" not in html  # not django-axes' bare page
    assert "_auth_user_id" not in client.session

    client.cookies["django_language"] = "en"
    html = client.post(login_url, {"username": "ayse", "password": PASSWORD}).content.decode()
    assert "Too many failed sign-ins" in html


# --- Password reset: three e-mails an hour per address and per account ----------------------


@pytest.fixture
def reset(client, django_capture_on_commit_callbacks):
    """Ask for a reset link for ``email`` from ``address``; the e-mail leaves after the answer (a
    task queued on commit), as it does outside the test's transaction."""

    def ask(email: str, address: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)

    return ask


def test_at_most_three_reset_emails_go_to_one_account_in_an_hour(client, reset):
    UserFactory(username="ayse", email="ayse@igdir.gov.tr")

    answers = [reset("ayse@igdir.gov.tr", f"198.51.100.{n}") for n in range(1, 6)]

    assert len(mail.outbox) == 3
    assert {(a.status_code, a.url) for a in answers} == {(302, reverse("password_reset_done"))}


def test_at_most_three_reset_emails_leave_for_one_address_in_an_hour(client, reset):
    for n in range(5):
        UserFactory(username=f"kisi{n}", email=f"kisi{n}@igdir.gov.tr")

    answers = [reset(f"kisi{n}@igdir.gov.tr", "203.0.113.66") for n in range(5)]

    assert [m.to for m in mail.outbox] == [["kisi0@igdir.gov.tr"], ["kisi1@igdir.gov.tr"], ["kisi2@igdir.gov.tr"]]
    assert {(a.status_code, a.url) for a in answers} == {(302, reverse("password_reset_done"))}
    # Another address still gets its e-mails.
    reset("kisi4@igdir.gov.tr", "198.51.100.7")
    assert mail.outbox[-1].to == ["kisi4@igdir.gov.tr"]


def test_a_refused_reset_is_answered_as_a_sent_one_and_as_an_unknown_address(client, reset):
    """No account enumeration: sent, refused by the limit and unknown look the same."""
    UserFactory(username="ayse", email="ayse@igdir.gov.tr")
    for n in range(3):
        reset("ayse@igdir.gov.tr", f"198.51.100.{n}")
    assert len(mail.outbox) == 3

    refused = reset("ayse@igdir.gov.tr", "198.51.100.9")
    unknown = reset("nobody@igdir.gov.tr", "198.51.100.10")

    assert len(mail.outbox) == 3
    assert (refused.status_code, refused.url) == (unknown.status_code, unknown.url)
    assert _page(client, refused.url) == _page(client, unknown.url)


def _page(client, url: str) -> str:
    """The page without its CSRF tokens (new on every page)."""
    return CSRF_INPUT.sub("", client.get(url).content.decode())


def test_the_reset_limit_is_per_window(client, reset, monkeypatch):
    """The count starts again when the window (an hour) is over; here a window of one second."""
    monkeypatch.setattr(sign_in, "RESET_WINDOW_SECONDS", 1)
    UserFactory(username="ayse", email="ayse@igdir.gov.tr")
    for n in range(4):
        reset("ayse@igdir.gov.tr", f"198.51.100.{n}")
    assert len(mail.outbox) == 3

    time.sleep(1.2)
    reset("ayse@igdir.gov.tr", "198.51.100.9")

    assert len(mail.outbox) == 4
