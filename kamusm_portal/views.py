"""The composition root's pages: the landing page, which sends each user to their own part of
the portal, the login page (a trainer lands on their work plan), the health check, the Prometheus
metrics, and the staff's second factor (its second step and enrolment)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

import prometheus_client
from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from certificates.metrics import CertificatesPendingCollector
from entitlements.selectors import official_institution
from kamusm_portal import second_factor
from kamusm_portal.metrics import CeleryQueuesCollector, exposition, may_scrape
from kamusm_portal.qr import qr_image
from kamusm_portal.roles import is_programme_staff
from sessions.selectors import trainer_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def _works_as_trainer(user: User | AnonymousUser) -> bool:
    """A trainer whose work is in the portal (their work plan), not in the admin: a staff user with
    an active trainer record who is not programme staff."""
    return user.is_staff and not is_programme_staff(user) and trainer_of(user) is not None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Officials go to their dashboard, trainers to their schedule, other staff to the admin,
    everyone else sees the landing page."""
    user = request.user
    if user.is_authenticated:
        if official_institution(user) is not None:
            return redirect("portal:dashboard")
        if user.is_staff:
            if _works_as_trainer(user):
                return redirect("sessions_portal:trainer_schedule")
            return redirect("admin:index")
    return render(request, "portal/home.html")


class SignInView(LoginView):
    """Django's login page (``login``). Without a ``next`` a trainer lands on their work plan;
    everyone else on ``LOGIN_REDIRECT_URL`` (the official's dashboard) as before."""

    def get_default_redirect_url(self) -> str:
        if _works_as_trainer(self.request.user):  # signed in by now: form_valid logs in first
            return reverse("sessions_portal:trainer_schedule")
        return super().get_default_redirect_url()


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers and the compose health check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# --- Staff's second factor (kamusm_portal.second_factor) --------------------------------------


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code of your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )


class AuthenticatorCodeForm(SecondFactorForm):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next_url(request: HttpRequest) -> str:
    """Where the second step returns to: the page asked for, if it is one of ours, else home."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    ours = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if url and ours else reverse("home")


@never_cache
@login_required
def second_factor_step(request: HttpRequest) -> HttpResponse:
    """The second step of a staff login: a code of the account's authenticator or a backup code.
    An account without an authenticator enrols first; anyone with nothing to prove goes on."""
    user = request.user
    next_url = _next_url(request)
    if not (user.is_staff or user.is_superuser) or second_factor.is_verified(user):
        return redirect(next_url)
    if not second_factor.has_authenticator(user):
        return redirect(f"{reverse('second_factor_setup')}?{urlencode({'next': next_url})}")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor.code_device(user, form.cleaned_data["code"])
        if device is not None:
            second_factor.verify_session(request, device)
            return redirect(next_url)
        form.add_error("code", second_factor.WRONG_CODE)
    return render(request, "registration/second_factor.html", {"form": form, "next": next_url})


@never_cache
@login_required
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrolment of a staff account's authenticator: a QR code and the key, confirmed by a first
    code; then the backup codes, shown this once. An account that has an authenticator must prove
    it before anything here (never a second device on a password alone)."""
    user = request.user
    if not (user.is_staff or user.is_superuser):
        raise Http404
    next_url = _next_url(request)
    if second_factor.has_authenticator(user):
        if not second_factor.is_verified(user):
            return redirect(f"{reverse('second_factor')}?{urlencode({'next': next_url})}")
        return render(request, "registration/second_factor_setup.html", {"enrolled": True, "next": next_url})
    device = second_factor.authenticator_enrolment_start(user=user)
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = second_factor.authenticator_enrolment_confirm(
            user=user,
            device=device,
            code=form.cleaned_data["code"],
        )
        if codes is not None:
            device.refresh_from_db()
            second_factor.verify_session(request, device)
            return render(request, "registration/second_factor_backup_codes.html", {"codes": codes, "next": next_url})
        form.add_error("code", second_factor.WRONG_CODE)
    context = {
        "form": form,
        "next": next_url,
        "qr": qr_image(device.config_url),
        "key": second_factor.authenticator_key(device),
    }
    return render(request, "registration/second_factor_setup.html", context)


# The portal's own gauges, computed at each scrape beside django-prometheus's request metrics.
SCRAPED = (CeleryQueuesCollector(), CertificatesPendingCollector())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's page: requests and latencies, the Celery queues' lengths, the certificates
    awaiting their PDF. A 404 to any address not in ``METRICS_ALLOWED_ADDRESSES`` and to a request
    a proxy forwarded (``kamusm_portal.metrics.may_scrape``), as if there were no such page."""
    if not may_scrape(request):
        raise Http404
    return HttpResponse(exposition(SCRAPED), content_type=prometheus_client.CONTENT_TYPE_LATEST)
