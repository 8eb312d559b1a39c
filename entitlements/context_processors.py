"""What every page's navigation needs to know about the signed-in official: the bands of their
institution (``nav_bands``), read lazily and once per request, so a page that does not show the
official's menu (anonymous visitors, staff) runs no query for it."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from entitlements.navigation import official_bands_of


def official_navigation(request: HttpRequest) -> dict[str, SimpleLazyObject]:
    return {"nav_bands": SimpleLazyObject(lambda: official_bands_of(request))}
