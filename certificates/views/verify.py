"""The public verification of a certificate: the form where a code is typed from paper, the code's
page and its PDF (no login: the code is the key). Verification shows only what the certificate
says (``selectors.certificate_public_facts``): never a kimlik no or an e-mail.

Also the per-address rate limit of verification, which the API (``certificates.api``) shares.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from certificates.selectors import certificate_by_code, certificate_public_facts
from certificates.services import SERIAL_RE, code_normalise
from certificates.views.certificates import pdf_response
from kamusm_portal.sign_in import client_address

# --- The rate limit, shared with the API ------------------------------------------------------


class VerifyThrottle(SimpleRateThrottle):
    """Verification (page, its PDF and the API) is limited per client address, at the rate of
    ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["verify"]`` (``VERIFY_THROTTLE_RATE``), logged in or
    not; the page and the API share one budget per address.

    The address is ``kamusm_portal.sign_in.client_address``, as for every per-address limit:
    ``REMOTE_ADDR``, which a client cannot forge, or behind a reverse proxy (DRF's
    ``NUM_PROXIES``) the address it forwarded in ``X-Forwarded-For``.
    """

    scope = "verify"

    def get_rate(self) -> str | None:
        # Read live rather than when the class was made, so a changed setting takes effect.
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()

    def get_ident(self, request) -> str:
        return client_address(request)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def verify_wait(request: HttpRequest) -> int | None:
    """``None`` while the client's address is within the verification rate, else the seconds to
    wait (counts this request)."""
    throttle = VerifyThrottle()
    if throttle.allow_request(request, None):
        return None
    return max(int(throttle.wait() or 1), 1)


# --- Public verification ----------------------------------------------------------------------


def typed_a_serial(text: str) -> bool:
    """Whether someone typed the certificate's serial number where its verification code goes."""
    return SERIAL_RE.fullmatch(code_normalise(text)) is not None


def _lookup_page(request: HttpRequest, typed: str, *, status: int = 200, **context) -> HttpResponse:
    """The form again, with what was typed kept in the field, and what went wrong."""
    return render(
        request,
        "certificates/verify.html",
        {"typed": typed, "serial_typed": typed_a_serial(typed), **context},
        status=status,
    )


def _too_many(request: HttpRequest, wait: int, typed: str = "") -> HttpResponse:
    response = render(
        request, "certificates/verify.html", {"throttled": True, "wait": wait, "typed": typed}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


@require_safe
@never_cache
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """The form where a code is typed from paper; it leads to the code's page. A serial number
    typed instead of the code is answered here, with where the code is printed."""
    typed = request.GET.get("code", "").strip()[:40]
    if typed_a_serial(typed):
        return _lookup_page(request, typed)
    code = "".join(ch for ch in code_normalise(typed) if ch.isascii() and ch.isalnum())
    if code:
        return redirect("certificates:verify", code=code[:40])
    return _lookup_page(request, typed)


@require_safe
@never_cache
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Anyone holding the code sees whether the certificate stands (or was revoked), what it says,
    and its PDF once ready. Unknown codes are 404; the page is rate-limited per client address."""
    wait = verify_wait(request)
    if wait is not None:
        return _too_many(request, wait, typed=code)
    certificate = certificate_by_code(code)
    if certificate is None:
        response = _lookup_page(request, code, status=404, not_found=True, code=code)
    else:
        facts = certificate_public_facts(certificate, english_title=(get_language() or "").startswith("en"))
        response = render(
            request,
            "certificates/verify.html",
            {
                "certificate": certificate,
                "facts": facts,
                "pdf_ready": certificate.pdf_ready,
            },
        )
    response["X-Robots-Tag"] = "noindex, nofollow"  # names of people: not for search engines
    return response


@require_safe
@never_cache
def verify_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The PDF, for whoever holds the code: only once ready, never for a revoked certificate."""
    wait = verify_wait(request)
    if wait is not None:
        return _too_many(request, wait)
    certificate = certificate_by_code(code)
    if certificate is None or not certificate.pdf_ready:
        raise Http404
    response = pdf_response(certificate, as_attachment=False)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
