"""Helpers for the API tests: institutions made through the service (so their entitlement rows
exist, as in production), officials, and clients logged in with a token."""

from __future__ import annotations

import itertools

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from entitlements import services
from entitlements.models import District, Institution, InstitutionKind, Province, UnitLevel
from tests.entitlements.factories import OfficialFactory, UserFactory

_codes = itertools.count(900000)


def unit(level: str, active_users: int, *, name: str | None = None, plate: int | None = None, district: str = ""):
    province = Province.objects.get(plate=plate) if plate else None
    return services.UnitData(
        level=level,
        name=name or f"{level} {plate or ''} {district}".strip(),
        province=province,
        district=District.objects.get(province=province, name=district) if district else None,
        active_users=active_users,
    )


def institution(
    *,
    name: str | None = None,
    merkez: int = 0,
    units: list[services.UnitData] | None = None,
    kind: str = InstitutionKind.GENERAL_DIRECTORATE,
    code: str | None = None,
) -> Institution:
    """An institution with a central unit of ``merkez`` users, plus ``units``, via the service."""
    number = next(_codes)
    return services.institution_create(
        name=name or f"Kurum {number} Genel Müdürlüğü",
        code=code or str(number),
        kind=kind,
        units=[unit(UnitLevel.MERKEZ, merkez, name="Merkez"), *(units or [])],
    )


def official_of(inst: Institution):
    """A user who is an official of ``inst``."""
    return OfficialFactory(institution=inst).user


def client_for(user=None) -> APIClient:
    """A client sending ``Authorization: Token …`` for ``user`` (anonymous without one)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def plain_user():
    """A logged-in user with no role: neither programme staff nor an official."""
    return UserFactory()
