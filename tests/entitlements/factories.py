"""What the tests build of the entitlements app: users and programme staff, institutions with their
units, officials, and API clients logged in with a token.

Two ways to make an institution, for two purposes:

- ``institution_with_entitlements`` goes through ``entitlements.services.institution_create``, as
  production does: its units are checked and its entitlement rows are computed at once;
- ``InstitutionFactory`` writes the rows directly and computes nothing: no entitlement row until a
  recompute, for the tests of the ledger, the import and the admin themselves.
"""

from __future__ import annotations

import itertools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from entitlements import services
from entitlements.models import (
    District,
    Institution,
    InstitutionKind,
    Official,
    Province,
    Unit,
    UnitLevel,
)
from kamusm_portal.roles import PROGRAMME_STAFF_GROUP


class UserFactory(factory.django.DjangoModelFactory):
    """A user with no role: neither programme staff nor an official."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.tr")
    first_name = "Ayşe"
    last_name = "Yılmaz"
    password = factory.django.Password("secret-pass-123")


class ProgrammeStaffFactory(UserFactory):
    """A member of the programme staff group (and of the admin's staff)."""

    class Meta:
        skip_postgeneration_save = True

    is_staff = True

    @factory.post_generation
    def staff_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=PROGRAMME_STAFF_GROUP))


class InstitutionFactory(factory.django.DjangoModelFactory):
    """An institution with its central unit, written directly: no entitlement row until a recompute.
    ``merkez_users`` sets the central unit's count."""

    class Meta:
        model = Institution
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Kurum {n} Genel Müdürlüğü")
    code = factory.Sequence(lambda n: f"{100000 + n}")
    kind = InstitutionKind.GENERAL_DIRECTORATE

    @factory.post_generation
    def merkez_users(self, create, extracted, **kwargs):
        if create:
            Unit.objects.create(institution=self, level=UnitLevel.MERKEZ, name="Merkez", active_users=extracted or 0)


class UnitFactory(factory.django.DjangoModelFactory):
    """A provincial unit in Ankara with 10 active users, written directly (nothing recomputed)."""

    class Meta:
        model = Unit

    institution = factory.SubFactory(InstitutionFactory)
    level = UnitLevel.IL
    name = factory.Sequence(lambda n: f"Birim {n}")
    province = factory.LazyFunction(lambda: Province.objects.get(plate=6))
    active_users = 10


class OfficialFactory(factory.django.DjangoModelFactory):
    """An official of an institution; ``official_of`` answers just the user."""

    class Meta:
        model = Official

    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)


_codes = itertools.count(900000)


def unit(level: str, active_users: int, *, name: str | None = None, plate: int | None = None, district: str = ""):
    """A unit to pass to the institution services (``services.UnitData``)."""
    province = Province.objects.get(plate=plate) if plate else None
    return services.UnitData(
        level=level,
        name=name or f"{level} {plate or ''} {district}".strip(),
        province=province,
        district=District.objects.get(province=province, name=district) if district else None,
        active_users=active_users,
    )


def institution_with_entitlements(
    *,
    name: str | None = None,
    merkez: int = 0,
    units: list[services.UnitData] | None = None,
    kind: str = InstitutionKind.GENERAL_DIRECTORATE,
    code: str | None = None,
    account_manager=None,
) -> Institution:
    """An institution with a central unit of ``merkez`` users, plus ``units``, made through the
    service: its entitlement rows exist, as in production."""
    number = next(_codes)
    return services.institution_create(
        name=name or f"Kurum {number} Genel Müdürlüğü",
        code=code or str(number),
        kind=kind,
        units=[unit(UnitLevel.MERKEZ, merkez, name="Merkez"), *(units or [])],
        account_manager=account_manager,
    )


def official_of(institution: Institution):
    """A user who is an official of ``institution``."""
    return OfficialFactory(institution=institution).user


def client_for(user=None) -> APIClient:
    """A client sending ``Authorization: Token …`` for ``user`` (anonymous without one)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
