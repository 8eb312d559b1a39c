"""Links that leave the site: in e-mails, printed on certificates, in calendar feeds."""

from django.conf import settings


def absolute_url(path: str = "") -> str:
    """``path`` (``/verify/…/``, from ``reverse``) on the portal's public address (PORTAL_BASE_URL)."""
    return settings.PORTAL_BASE_URL.rstrip("/") + path
