from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

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
