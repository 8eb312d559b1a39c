"""Signing in under attack: whose address a request comes from, the lock-out of failed logins, and
the limit on password-reset e-mails (docs/api.md, "Authentication and roles"; docs/architecture.md,
"Signing in").

- **Lock-out** (django-axes, ``AXES_*`` settings): failed logins are counted per (client address,
  username) pair, so a crowd behind one NAT does not lock each other out and nobody can lock a user
  out from every address. A locked pair is refused even with the right password until the cool-off
  ends: the API answers **429** ``locked_out`` (``LockedOut``) and the login pages (the portal's and
  the admin's) a page that says how long to wait (``lockout_response``), both with ``Retry-After``.
- **Password reset** (``LimitedPasswordResetView``): at most ``RESET_EMAILS_PER_WINDOW`` e-mails per
  client address and per account in ``RESET_WINDOW_SECONDS``, counted in the cache (shared by the
  processes when ``CACHE_URL`` points at Redis). Past the limit nothing is sent, and the page says
  what it says for a sent link or an unknown address. The e-mail is a task
  (``kamusm_portal.tasks.send_password_reset_email``): a mail server that refuses is retried from
  the outbox, never shown as an error page. With a broker (production) the task is only queued, so
  the answer takes as long whether a link leaves or not; in the embedded default it runs in the
  request, and its time shows.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from kamusm_portal.tasks import send_password_reset_email

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

RESET_EMAILS_PER_WINDOW = 3
RESET_WINDOW_SECONDS = 3600


# --- The client's address ---------------------------------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The address a request comes from, as every per-address limit counts it: ``REMOTE_ADDR``,
    which a client cannot forge; behind ``NUM_PROXIES`` proxies (DRF's setting), the address the
    nearest of them added to ``X-Forwarded-For``, as DRF's throttles read it. A forwarded value
    that is not an IP address falls back to ``REMOTE_ADDR``."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if api_settings.NUM_PROXIES is None:
        return remote
    forwarded = BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # reads only META
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return remote


# --- Lock-out ---------------------------------------------------------------------------------


def lockout_seconds(request: Any, credentials: dict[str, Any] | None = None) -> int:
    """Seconds until the cool-off of the request's locked (address, username) pair ends: an hour
    (``AXES_COOLOFF_TIME``) after the failure that locked it. ``request`` is the one django-axes
    marked (a Django request, or DRF's on the API)."""
    from axes.helpers import get_client_username, get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off(request) or timedelta(0)
    now = timezone.now()
    latest = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None) or client_address(request),
        attempt_time__gte=now - cool_off,
    ).aggregate(latest=Max("attempt_time"))["latest"]
    ends = (latest or now) + cool_off
    return max(math.ceil((ends - now).total_seconds()), 1)


def _wait_sentence(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Too many failed sign-ins for this username from your address: try again in %(minutes)d minute.",
        "Too many failed sign-ins for this username from your address: try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LockedOut(exceptions.Throttled):
    """**429** ``locked_out`` with ``Retry-After``: the API's answer to a login from a locked pair,
    whatever the password (the API's exception handler gives the error body; DRF's adds the
    header from ``wait``)."""

    default_code = "locked_out"

    def __init__(self, wait: int) -> None:
        exceptions.APIException.__init__(self, _wait_sentence(wait), self.default_code)
        self.wait = wait


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The answer of a login page (the portal's, the admin's) to a locked pair
    (``AXES_LOCKOUT_CALLABLE``): a page in the portal's language that says how long to wait,
    **429** with ``Retry-After``, in place of django-axes' bare text."""
    wait = lockout_seconds(request, credentials)
    response = render(request, "registration/locked_out.html", {"message": _wait_sentence(wait)}, status=429)
    response["Retry-After"] = str(wait)
    return response


# --- Password reset ---------------------------------------------------------------------------


def _take(key: str) -> int:
    """Count one more in the window of ``key`` (the window starts with its first count)."""
    cache.add(key, 0, timeout=RESET_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.add(key, 1, timeout=RESET_WINDOW_SECONDS)
        return 1


def _give_back(key: str) -> None:
    with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing to give back
        cache.decr(key)


def reset_email_allowed(*, address: str, user: User) -> bool:
    """Whether one more password-reset e-mail may leave for ``user`` from ``address``, counting it
    when it may: both the address's and the account's budget must have room (an e-mail refused by
    one budget uses up neither)."""
    address_key, account_key = f"password-reset:address:{address}", f"password-reset:account:{user.pk}"
    if _take(address_key) > RESET_EMAILS_PER_WINDOW:
        _give_back(address_key)
        return False
    if _take(account_key) > RESET_EMAILS_PER_WINDOW:
        _give_back(account_key)
        _give_back(address_key)
        return False
    return True


class LimitedPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending only within the limits (``reset_email_allowed``) for the
    client's ``address`` (set by ``LimitedPasswordResetView``)."""

    address = ""

    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if reset_email_allowed(address=self.address, user=user):
                yield user
            else:
                logger.warning(
                    "Password reset e-mail not sent: the limit of %s in %s s is reached (account %s, address %s).",
                    RESET_EMAILS_PER_WINDOW,
                    RESET_WINDOW_SECONDS,
                    user.pk,
                    self.address,
                )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Queue the e-mail (``send_password_reset_email``, through the outbox) instead of Django's
        sending, which logs and drops one the mail server refuses."""
        send_password_reset_email.delay_on_commit(
            context["user"].pk, domain=context["domain"], protocol=context["protocol"], language=get_language()
        )


class LimitedPasswordResetView(PasswordResetView):
    """Django's password-reset page with ``LimitedPasswordResetForm``: its answer (a redirect to
    "sent") never shows whether an e-mail left, was held back by the limit, or had no account."""

    form_class = LimitedPasswordResetForm

    def form_valid(self, form: Any) -> HttpResponse:
        form.address = client_address(self.request)
        return super().form_valid(form)
