"""What the portal's pages know about the signed-in official, read once a request: the view that
needs the official's institution and the navigation that shows the band's menu share one query
(``official_bands``). The memo lives on the request, never in the selectors."""

from __future__ import annotations

from django.http import HttpRequest

from entitlements.selectors import OfficialBands, official_bands


def official_bands_of(request: HttpRequest) -> OfficialBands:
    """``official_bands`` of the request's user, read at the first call of the request."""
    cached: OfficialBands | None = getattr(request, "_official_bands", None)
    if cached is None:
        cached = official_bands(request.user)
        request._official_bands = cached  # type: ignore[attr-defined]
    return cached
