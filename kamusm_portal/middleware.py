import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from kamusm_portal import logs

API_PREFIX = "/api/v1/"


def accepted_language(header: str) -> str | None:
    """The first of the portal's languages an ``Accept-Language`` header asks for (by its order of
    preference), or ``None`` when it asks for none of them."""
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class TurkishFirstLocaleMiddleware(LocaleMiddleware):
    """The portal's pages are Turkish unless the user chose English (language cookie); the browser's
    Accept-Language does not switch them on its own. Under ``/api/v1/`` a client's Accept-Language
    decides (``en`` gives English, anything else Turkish); without that header, the cookie (the
    browsable API in a browser that switched the portal to English)."""

    def process_request(self, request: HttpRequest) -> None:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        header = request.headers.get("Accept-Language", "")
        if request.path.startswith(API_PREFIX) and header:
            language = accepted_language(header) or settings.LANGUAGE_CODE
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


requests_log = logging.getLogger("kamusm_portal.requests")
request_finished.connect(logs.request_finished, dispatch_uid="kamusm_portal.logs.request_finished")


class RequestIdMiddleware:
    """Gives each request an id (a sane incoming ``X-Request-ID``, else a new one): every log record
    emitted while it runs carries it (``kamusm_portal.logs``), and so do the Celery tasks it queues;
    the response says it in ``X-Request-ID``. Logs one line a request when it is answered: method,
    route (the URL pattern the path matches, ``logs.route_of``: not the path, whose parts may be
    secret tokens, nor the query string, which may hold what people typed), status and duration. First
    in ``MIDDLEWARE`` after Prometheus's, so the other middlewares' answers and logs have it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
        route = logs.route_of(request.path_info, getattr(request, "urlconf", None))
        # Until request_finished: Django logs 4xx and 5xx answers after us.
        logs.request_started(request_id, request.path, route)
        started = time.perf_counter()
        response = self.get_response(request)
        response[logs.REQUEST_ID_HEADER] = request_id
        requests_log.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response
