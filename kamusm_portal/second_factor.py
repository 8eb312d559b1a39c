"""Staff sign in with a second factor where ``STAFF_OTP_REQUIRED`` says so (production: on unless
``DEBUG``), with django-otp (docs/architecture.md, "Signing in"; docs/domain.md, "Who may do what").

Every staff account (``is_staff`` or superuser: programme staff, trainers, account managers) then
proves a password *and* a code: a 6-digit code from an authenticator app (TOTP), or one of the
backup codes it was given at enrolment, each good once. Officials sign in as before.

- **Pages**: a password login (the portal's or the admin's) leaves a staff session unverified;
  ``SecondFactorMiddleware`` sends it to the second step (``second_factor``), or to the enrolment
  page (``second_factor_setup``) while the account has no confirmed authenticator, and lets it
  reach nothing else but logging out. The admin site refuses an unverified staff session on its
  own too (``reports.admin_site.PortalAdminSite.has_permission``).
- **API**: a staff user's ``POST /auth/token/`` also needs ``"otp"`` (``entitlements.api.accounts``);
  a staff session counts for the API only once verified (``VerifiedSessionAuthentication``); a
  staff user's token counts only while they have a confirmed authenticator
  (``EnrolledTokenAuthentication``: a token issued before the second factor was required, or
  before a reset, does not skip it), and deleting a confirmed authenticator deletes the user's
  token (``revoke_tokens``).
- **Enrolment** (``authenticator_enrolment_start`` / ``_confirm``): an unconfirmed TOTP device, shown
  as a QR code and its key, is confirmed by a first code; that replaces the account's backup codes
  with ten new ones, shown once. A superuser resets someone's second factor by deleting their
  devices in the admin ("OTP_TOTP" and "OTP_Static"); the next password login then enrols anew.

Codes are checked by django-otp under a lock of the device's row, which also throttles a device
after wrong codes (each failure doubles the wait) and refuses a TOTP code used before.
"""

from __future__ import annotations

import re
from base64 import b32encode
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.authentication import SessionScheme, TokenScheme
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from kamusm_portal.services import service

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django_otp.models import Device

BACKUP_CODES = 10
"""Backup codes given at enrolment."""

AUTHENTICATOR_NAME = "authenticator"
BACKUP_NAME = "backup codes"

_TOTP_CODE = re.compile(r"[0-9]{6}")

WRONG_CODE = gettext_lazy(
    "The code is not right, or it has expired. After several wrong codes, wait a little before trying again."
)


# --- Who needs it, and who has it -------------------------------------------------------------


def required_for(user: User | AnonymousUser | None) -> bool:
    """Whether ``user`` must prove a second factor: a staff account (``is_staff`` or superuser)
    where ``STAFF_OTP_REQUIRED`` is on."""
    return bool(
        settings.STAFF_OTP_REQUIRED
        and user is not None
        and user.is_authenticated
        and (user.is_staff or user.is_superuser)
    )


def is_verified(user: Any) -> bool:
    """Whether ``user`` (``request.user``, which django-otp's middleware gives ``is_verified``)
    proved a second factor in this session."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def satisfied(user: Any) -> bool:
    """Whether ``user`` may go on: no second factor is required of them, or they proved it."""
    return not required_for(user) or is_verified(user)


def has_authenticator(user: User) -> bool:
    """Whether ``user`` has a confirmed authenticator (TOTP device). Without one they enrol."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def code_device(user: User, code: str) -> Device | None:
    """The confirmed device of ``user`` that accepts ``code``, or ``None``: six digits are checked
    against the authenticator, anything else against the backup codes (a backup code is used up).
    Spaces are ignored. A device throttled by earlier wrong codes accepts nothing until its wait
    is over."""
    code = "".join(str(code or "").split()).lower()
    if not code:
        return None
    model: type[TOTPDevice | StaticDevice] = TOTPDevice if _TOTP_CODE.fullmatch(code) else StaticDevice
    for device in model.objects.devices_for_user(user, confirmed=True):
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


def verify_session(request: HttpRequest, device: Device) -> None:
    """Mark the session as verified by ``device`` (django-otp), under a new session key: the step
    up in rights gets a key a password-only session never saw."""
    request.session.cycle_key()
    django_otp.login(request, device)


# --- Enrolment --------------------------------------------------------------------------------


@service
def authenticator_enrolment_start(*, user: User) -> TOTPDevice:
    """The authenticator ``user`` is enrolling: their unconfirmed TOTP device, made on the first
    call and the same until it is confirmed (so the QR code does not change between visits)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


@service
def authenticator_enrolment_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``device`` with a first ``code`` from the app. ``None`` when the code is wrong
    (counted by the device's throttle); otherwise the device is confirmed, the account's backup
    codes are replaced by ``BACKUP_CODES`` new ones, and those are answered (to be shown once: only
    their use is checked afterwards). Holds the device's row lock (django-otp's ``verify_token``)
    while it confirms, so two confirmations of one device give one set of codes."""
    code = "".join(str(code or "").split())
    if device.user_id != user.pk or device.confirmed or not _TOTP_CODE.fullmatch(code):
        return None
    verified = django_otp.verify_token(user, device.persistent_id, code)
    if verified is None or verified.confirmed:
        return None
    verified.confirmed = True
    verified.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=verified.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=token) for token in codes])
    return codes


def authenticator_key(device: TOTPDevice) -> str:
    """The device's key as an authenticator app takes it typed in: base32, in groups of four."""
    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


# --- Pages: the middleware --------------------------------------------------------------------

STEP_URL_NAMES = ("second_factor", "second_factor_setup", "logout", "admin:logout", "set_language", "healthz")
"""The pages an unverified staff session may reach: the second step, the enrolment, logging out,
the language switch and the health check."""


def second_step_url(request: HttpRequest) -> str:
    """Where an unverified staff session goes: the second step, or enrolment without an
    authenticator; a page asked for by ``GET`` is where it returns afterwards."""
    name = "second_factor" if has_authenticator(request.user) else "second_factor_setup"  # type: ignore[arg-type]
    url = reverse(name)
    if request.method in ("GET", "HEAD"):
        url += "?" + urlencode({"next": request.get_full_path()})
    return url


class SecondFactorMiddleware:
    """After ``AuthenticationMiddleware`` and django-otp's ``OTPMiddleware``: where a second factor
    is required, a staff session not verified by one reaches only ``STEP_URL_NAMES`` and static
    files; any other page sends it to the second step. The API (``/api/``) is left to its
    authentication (``VerifiedSessionAuthentication``), which answers in JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._step_paths: frozenset[str] | None = None  # STEP_URL_NAMES' paths, reversed once

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.STAFF_OTP_REQUIRED and not self._exempt(request.path_info) and not satisfied(request.user):
            return HttpResponseRedirect(second_step_url(request))
        return self.get_response(request)

    def _exempt(self, path: str) -> bool:
        if path.startswith(("/api/", f"/{settings.STATIC_URL.lstrip('/')}")):
            return True
        if self._step_paths is None:
            self._step_paths = frozenset(reverse(name) for name in STEP_URL_NAMES)
        return path in self._step_paths


# --- API ----------------------------------------------------------------------------------------


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI schema describes ``VerifiedSessionAuthentication`` as the session cookie it is."""

    target_class = "kamusm_portal.second_factor.VerifiedSessionAuthentication"


class VerifiedSessionAuthentication(SessionAuthentication):
    """DRF's session authentication (the browsable API), where a staff session counts only once it
    is verified by its second factor (``satisfied``); an unverified one is not logged in for the
    API. Tokens are checked at the token endpoint instead."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is not None and not satisfied(request._request.user):
            return None
        return result


class EnrolledTokenScheme(TokenScheme):
    """The OpenAPI schema describes ``EnrolledTokenAuthentication`` as DRF's token (``tokenAuth``)."""

    target_class = "kamusm_portal.second_factor.EnrolledTokenAuthentication"


class EnrolledTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, where a staff user's token counts only while they have a
    confirmed authenticator, when a second factor is required of them: a token issued before
    that (``STAFF_OTP_REQUIRED`` turned on, the account made staff, or its authenticator reset)
    is refused with a 401 until they enrol and ask for a token with a code."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if required_for(user) and not has_authenticator(user):
            raise AuthenticationFailed(
                gettext("Set up your second factor first: sign in to the portal in a browser, which leads you to it.")
            )
        return user, token


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="kamusm_portal.second_factor.revoke_tokens")
def revoke_tokens(sender: type[TOTPDevice], instance: TOTPDevice, **_kwargs: Any) -> None:
    """A confirmed authenticator deleted (a superuser resetting someone's second factor in the
    admin) takes its user's API token with it: the token was got with that device's codes."""
    if instance.confirmed:
        Token.objects.filter(user_id=instance.user_id).delete()
