"""Staff sign in with a second factor in production (docs/domain.md, "Who may do what"; docs/api.md,
"Authentication and roles"; kamusm_portal/second_factor.py): with ``STAFF_OTP_REQUIRED`` on, a staff
account reaches neither the admin, nor a staff page, nor an API token on a password alone; it
enrols an authenticator (a QR code, a first code, backup codes shown once) and then proves a code at
every login. Officials sign in as before, and with the setting off nothing changes."""

from __future__ import annotations

import re
from base64 import b32encode
from urllib.parse import quote

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from kamusm_portal import second_factor
from kamusm_portal.qr import qr_image
from tests.entitlements.factories import OfficialFactory, ProgrammeStaffFactory, UserFactory
from tests.sessions.factories import TrainerFactory

PASSWORD = "secret-pass-123"  # the factories' password
TOKEN_URL = "/api/v1/auth/token/"
STEP = "/accounts/second-factor/"
SETUP = "/accounts/second-factor/setup/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    """Production's rule: staff sign in with a second factor."""
    settings.STAFF_OTP_REQUIRED = True
    return settings


@pytest.fixture
def no_wait(settings):
    """django-otp makes a device wait after a wrong code (1 s, doubling); these tests go on at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def authenticator(user) -> TOTPDevice:
    """A confirmed authenticator of ``user``, as enrolment leaves it."""
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def code(device: TOTPDevice, ahead: int = 0) -> str:
    """The device's current code (``ahead`` steps later: the code after one already used)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=ahead):06d}"


def wrong(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """``user`` enrolled through the service, as the enrolment page does: the device and the backup codes."""
    device = second_factor.authenticator_enrolment_start(user=user)
    codes = second_factor.authenticator_enrolment_confirm(user=user, device=device, code=code(device))
    assert codes is not None
    device.refresh_from_db()
    return device, codes


def next_to(url: str, target: str) -> str:
    return f"{url}?next={quote(target, safe='')}"


# --- Without a confirmed device: only the enrolment page --------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        ProgrammeStaffFactory,
        lambda: UserFactory(is_staff=True, is_superuser=True),
        lambda: TrainerFactory().user,
        lambda: UserFactory(is_staff=True),  # an account manager is a plain staff user
    ],
    ids=["programme-staff", "superuser", "trainer", "staff"],
)
def test_a_staff_account_without_a_device_reaches_only_the_enrolment_page(client, required, make):
    user = make()
    assert client.login(username=user.username, password=PASSWORD)

    for page in ("/admin/", "/admin/entitlements/institution/", "/dashboard/", "/", "/trainers/schedule/"):
        response = client.get(page)
        assert (response.status_code, response.url) == (302, next_to(SETUP, page)), page
    assert client.post("/admin/entitlements/institution/add/", {}).url == SETUP

    html = client.get(SETUP).content.decode()
    assert 'data-testid="authenticator-qr"' in html
    assert client.post(reverse("logout")).status_code == 302  # logging out stays open


def test_the_admin_login_leads_a_staff_account_to_the_second_step_before_the_admin(client, required, staff_user):
    device = authenticator(staff_user)

    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff_user.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.url == "/admin/"
    response = client.get("/admin/")
    assert response.url == next_to(STEP, "/admin/")
    html = client.get(response.url).content.decode()
    assert 'data-testid="second-factor"' in html and 'value="/admin/"' in html

    response = client.post(STEP, {"code": code(device), "next": "/admin/"})

    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_portal_login_asks_for_the_code_and_refuses_a_wrong_one(client, required, no_wait, staff_user):
    device = authenticator(staff_user)

    response = client.post(reverse("login"), {"username": staff_user.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == next_to(STEP, reverse("portal:dashboard"))

    refused = client.post(STEP, {"code": wrong(code(device)), "next": "/admin/"})
    assert refused.status_code == 200
    assert "Kod doğru değil" in refused.content.decode()
    assert client.get("/admin/").status_code == 302

    assert client.post(STEP, {"code": code(device), "next": "/admin/"}).url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_makes_the_device_wait_before_the_next_try(client, required, staff_user):
    """django-otp's throttle: a guessing attacker waits a second after one wrong code, doubling after each."""
    device = authenticator(staff_user)
    client.force_login(staff_user)

    client.post(STEP, {"code": wrong(code(device))})
    response = client.post(STEP, {"code": code(device), "next": "/admin/"})

    assert response.status_code == 200  # refused: the right code, but too soon
    assert client.get("/admin/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_the_verified_session_gets_a_new_session_key(client, required, staff_user):
    device = authenticator(staff_user)
    client.force_login(staff_user)
    before = client.session.session_key

    client.post(STEP, {"code": code(device)})

    assert client.session.session_key != before


def test_the_second_step_returns_only_to_a_page_of_the_portal(client, required, staff_user):
    device = authenticator(staff_user)
    client.force_login(staff_user)

    response = client.post(STEP, {"code": code(device), "next": "https://evil.example/admin/"})

    assert response.url == "/"


def test_the_admin_site_itself_refuses_a_staff_session_not_verified(client, required, settings, staff_user):
    """Without the middleware too: the admin site's own permission check asks for the second factor."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "kamusm_portal.second_factor.SecondFactorMiddleware"]
    device = authenticator(staff_user)
    client.force_login(staff_user)

    response = client.get("/admin/")
    assert (response.status_code, response.url) == (302, "/admin/login/?next=/admin/")

    client.post(STEP, {"code": code(device)})
    assert client.get("/admin/").status_code == 200


# --- Enrolment: QR code, key, first code, backup codes ----------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_then_gives_backup_codes_once(client, required, no_wait, staff_user):
    assert client.login(username=staff_user.username, password=PASSWORD)
    html = client.get(next_to(SETUP, "/admin/")).content.decode()
    device = TOTPDevice.objects.get(user=staff_user, confirmed=False)
    assert client.get(SETUP).content.decode().count("data:image/png") == 1  # the same device on every visit
    assert TOTPDevice.objects.filter(user=staff_user).count() == 1

    # The QR code is made here (no image from elsewhere) and carries the key the page spells out.
    assert f'src="{qr_image(device.config_url)}"' in html
    assert "otpauth://totp/Kamu%20SM" in device.config_url
    key = re.search(r'data-testid="authenticator-key">([A-Z2-7 ]+)<', html).group(1)
    assert key.replace(" ", "") == b32encode(device.bin_key).decode().rstrip("=")

    refused = client.post(SETUP, {"code": wrong(code(device)), "next": "/admin/"})
    assert refused.status_code == 200 and "Kod doğru değil" in refused.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    response = client.post(SETUP, {"code": code(device), "next": "/admin/"})

    html = response.content.decode()
    shown = re.findall(r'data-testid="backup-code">([a-z2-7]+)<', html)
    assert len(shown) == 10 and len(set(shown)) == 10
    assert sorted(shown) == sorted(StaticToken.objects.filter(device__user=staff_user).values_list("token", flat=True))
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/admin/").status_code == 200  # the first code verified this session
    again = client.get(SETUP).content.decode()
    assert 'data-testid="backup-code"' not in again and "data:image/png" not in again  # shown once


def test_a_password_alone_cannot_enrol_another_device(client, required, staff_user):
    authenticator(staff_user)
    assert client.login(username=staff_user.username, password=PASSWORD)

    assert client.get(SETUP).url == next_to(STEP, "/")
    assert client.post(SETUP, {"code": "123456"}).url == next_to(STEP, "/")
    assert TOTPDevice.objects.filter(user=staff_user).count() == 1


def test_enrolment_is_for_staff_only(client, required):
    official = OfficialFactory().user
    client.force_login(official)

    assert client.get(SETUP).status_code == 404
    assert not TOTPDevice.objects.exists()


def test_a_backup_code_works_once(client, required, no_wait, staff_user):
    _device, codes = enrolled(staff_user)

    client.force_login(staff_user)
    assert client.post(STEP, {"code": codes[0].upper(), "next": "/admin/"}).url == "/admin/"  # case does not matter
    assert client.get("/admin/").status_code == 200

    client.post(reverse("logout"))
    client.force_login(staff_user)
    assert client.post(STEP, {"code": codes[0]}).status_code == 200  # used up
    assert client.get("/admin/").status_code == 302
    assert client.post(STEP, {"code": codes[1], "next": "/admin/"}).url == "/admin/"
    assert StaticToken.objects.filter(device__user=staff_user).count() == 8


def test_a_superuser_resets_someones_second_factor_in_the_admin(client, admin_client, required, staff_user):
    """Devices are listed in the admin, without their keys; deleting them makes the next login enrol."""
    device, _codes = enrolled(staff_user)
    backup = StaticDevice.objects.get(user=staff_user)
    root_device = authenticator(admin_client.user)
    admin_client.post(STEP, {"code": code(root_device)})

    listing = admin_client.get("/admin/otp_totp/totpdevice/")
    assert listing.status_code == 200 and staff_user.username in listing.content.decode()
    change = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in change and "otpauth://" not in change
    assert admin_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 302
    assert admin_client.post(f"/admin/otp_static/staticdevice/{backup.pk}/delete/", {"post": "yes"}).status_code == 302

    assert client.login(username=staff_user.username, password=PASSWORD)
    assert client.get("/admin/").url == next_to(SETUP, "/admin/")


# --- The API token ------------------------------------------------------------------------------


def _token(api_client, user, language: str = "tr", **body):
    return api_client.post(
        TOKEN_URL,
        {"username": user.username, "password": PASSWORD, **body},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_a_staff_user_without_a_device_gets_no_token(api_client, required, staff_user):
    for body in ({}, {"otp": ""}, {"otp": "123456"}):
        response = _token(api_client, staff_user, **body)
        assert response.status_code == 400
        assert response.json()["code"] == "otp_required"
        assert response.json()["fields"]["otp"]
    assert not Token.objects.filter(user=staff_user).exists()


def test_a_staff_token_needs_a_right_code_of_the_confirmed_device(api_client, required, no_wait, staff_user):
    device = authenticator(staff_user)

    missing = _token(api_client, staff_user)
    refused = _token(api_client, staff_user, otp=wrong(code(device)))
    assert [missing.status_code, refused.status_code] == [400, 400]
    assert missing.json()["code"] == refused.json()["code"] == "otp_required"
    assert not Token.objects.filter(user=staff_user).exists()

    response = _token(api_client, staff_user, otp=code(device))

    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=staff_user).key


def test_a_code_of_another_device_or_an_unconfirmed_one_is_refused(api_client, required, staff_user):
    authenticator(staff_user)
    other = authenticator(ProgrammeStaffFactory())
    pending = TOTPDevice.objects.create(user=staff_user, name="new phone", confirmed=False)

    assert _token(api_client, staff_user, otp=code(other)).json()["code"] == "otp_required"
    assert _token(api_client, staff_user, otp=code(pending)).json()["code"] == "otp_required"


def test_a_backup_code_gets_a_token_once(api_client, required, no_wait, staff_user):
    _device, codes = enrolled(staff_user)

    assert _token(api_client, staff_user, otp=codes[0]).status_code == 200
    assert _token(api_client, staff_user, otp=codes[0]).json()["code"] == "otp_required"


def test_the_otp_required_detail_follows_accept_language(api_client, required, staff_user):
    authenticator(staff_user)
    english = _token(api_client, staff_user, language="en")
    turkish = _token(api_client, staff_user, language="tr")

    assert english.json()["detail"] != turkish.json()["detail"]
    assert "second factor" in english.json()["detail"]


def test_an_unverified_staff_session_is_not_logged_in_for_the_api(client, required, staff_user):
    device = authenticator(staff_user)
    client.force_login(staff_user)

    assert client.get("/api/v1/institutions/").status_code == 401

    client.post(STEP, {"code": code(device)})
    assert client.get("/api/v1/institutions/").status_code == 200


def test_a_staff_token_issued_before_the_second_factor_was_required_counts_only_after_enrolment(
    api_client, settings, no_wait, staff_user
):
    """A token got on a password alone (the setting off, or before the account was staff) does not
    skip the second factor: 401 until the account has a confirmed authenticator."""
    settings.STAFF_OTP_REQUIRED = False
    token = _token(api_client, staff_user).json()["token"]
    settings.STAFF_OTP_REQUIRED = True
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    refused = api_client.get("/api/v1/institutions/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 401
    assert refused.json()["code"] == "not_authenticated"
    assert "second factor" in refused.json()["detail"]

    enrolled(staff_user)
    assert api_client.get("/api/v1/institutions/").status_code == 200


def test_an_official_s_token_needs_no_authenticator(api_client, required):
    official = OfficialFactory().user
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {_token(api_client, official).json()['token']}")

    assert api_client.get("/api/v1/institutions/").status_code == 200


def test_resetting_someone_s_second_factor_revokes_their_api_token(api_client, admin_client, required, staff_user):
    device = authenticator(staff_user)
    token = _token(api_client, staff_user, otp=code(device)).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/institutions/").status_code == 200
    other = ProgrammeStaffFactory()
    other_token = Token.objects.create(user=other)
    authenticator(other)
    admin_client.post(STEP, {"code": code(authenticator(admin_client.user))})

    assert admin_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 302

    assert not Token.objects.filter(user=staff_user).exists()
    assert api_client.get("/api/v1/institutions/").status_code == 401
    assert Token.objects.filter(pk=other_token.pk).exists()  # only the reset account's token
    enrolled(staff_user)  # enrolling anew does not bring the old token back
    assert api_client.get("/api/v1/institutions/").status_code == 401


def test_an_unconfirmed_device_deleted_by_enrolment_leaves_the_token(api_client, required, staff_user):
    authenticator(staff_user)
    token = Token.objects.create(user=staff_user)
    TOTPDevice.objects.create(user=staff_user, name="new phone", confirmed=False).delete()

    assert Token.objects.filter(pk=token.pk).exists()


# --- Officials, and the setting off --------------------------------------------------------------


def test_officials_sign_in_as_before(client, api_client, required):
    official = OfficialFactory(user__username="ayşe").user

    response = client.post(reverse("login"), {"username": "ayşe", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:dashboard")
    assert response.status_code == 200
    assert _token(api_client, official).status_code == 200
    assert not TOTPDevice.objects.exists()


def test_with_the_setting_off_staff_sign_in_with_a_password_alone(client, api_client, settings, staff_user):
    settings.STAFF_OTP_REQUIRED = False
    authenticator(staff_user)  # even with a device

    assert client.login(username=staff_user.username, password=PASSWORD)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/institutions/").status_code == 200
    assert _token(api_client, staff_user).status_code == 200
