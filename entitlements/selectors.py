"""Reads of the entitlements app, already joined and prefetched."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Sum
from django.db.models.functions import Coalesce

from entitlements.models import (
    Delivery,
    Entitlement,
    EntitlementFlag,
    Institution,
    Official,
    Program,
    Unit,
    UnitLevel,
)
from kamusm_portal.db import TurkishCollate
from kamusm_portal.roles import is_programme_staff
from kamusm_portal.text import tr_fold


def official_institution(user: User | AnonymousUser) -> Institution | None:
    """The institution ``user`` acts for, or ``None`` when the user is no official."""
    if not user.is_authenticated:
        return None
    official = Official.objects.filter(user=user).select_related("institution").first()
    return official.institution if official else None


@dataclass(frozen=True)
class OfficialBands:
    """The institution an official acts for and the kinds of right its bands give in the open
    programs: what the navigation offers (classroom pages, on-site pages, or neither)."""

    institution: Institution | None = None
    classroom: bool = False
    """A Standard (classroom) band in an open program: seats in the classroom sessions."""
    onsite: bool = False
    """A band of categories 1-5 (on-site) in an open program: training hours."""


def _open_band(delivery: str) -> Exists:
    return Exists(
        Entitlement.objects.filter(
            institution=OuterRef("institution"), program__is_open=True, category__delivery=delivery
        )
    )


def official_bands(user: User | AnonymousUser) -> OfficialBands:
    """``official_institution`` of the user with the deliveries of its open bands, in one query.
    The portal's pages read it once a request through ``entitlements.navigation.official_bands_of``."""
    if not user.is_authenticated:
        return OfficialBands()
    official = (
        Official.objects.filter(user=user)
        .select_related("institution")
        .annotate(classroom=_open_band(Delivery.CLASSROOM), onsite=_open_band(Delivery.ONSITE))
        .first()
    )
    if official is None:
        return OfficialBands()
    return OfficialBands(official.institution, classroom=official.classroom, onsite=official.onsite)


def institutions_visible(user: User | AnonymousUser) -> QuerySet[Institution]:
    """Programme staff see every institution; an official only their own; anyone else none."""
    if is_programme_staff(user):
        return Institution.objects.all()
    if not user.is_authenticated:
        return Institution.objects.none()
    return Institution.objects.filter(officials__user=user)


def institution_list(*, user: User | AnonymousUser, search: str = "") -> QuerySet[Institution]:
    """Institutions for lists: units prefetched (with province and district), total annotated."""
    qs = institutions_visible(user)
    if search:
        qs = qs.filter(search_key__contains=tr_fold(search))
    return (
        qs.select_related("account_manager")
        .annotate(total_users=Coalesce(Sum("units__active_users"), 0))
        .prefetch_related(Prefetch("units", queryset=Unit.objects.select_related("province", "district")))
        # An aggregate drops Meta.ordering: order again, in Turkish alphabetical order.
        .order_by(TurkishCollate("name"), "pk")
    )


def entitlement_list(*, institution: Institution) -> QuerySet[Entitlement]:
    """One row per program of the institution, with program and band joined."""
    return (
        Entitlement.objects.filter(institution=institution)
        .select_related("program", "category")
        .order_by("-program__year", "program__name")
    )


_LEVEL_ORDER: dict[str, int] = {UnitLevel.MERKEZ: 0, UnitLevel.IL: 1, UnitLevel.ILCE: 2}


@dataclass(frozen=True)
class InstitutionPage:
    """What an institution's page shows: the institution (``total_users`` annotated), its units
    (central first, then provincial, then district; Turkish name order within each) and its stored
    entitlements, newest program first."""

    institution: Institution
    units: list[Unit]
    entitlements: list[Entitlement]


def institution_page(*, user: User | AnonymousUser, pk: int) -> InstitutionPage | None:
    """The institution ``pk`` if ``user`` may see it (``institutions_visible``), else ``None``.
    Three queries besides the visibility check: the institution, its units, its entitlements."""
    institution: Institution | None = institution_list(user=user).filter(pk=pk).first()
    if institution is None:
        return None
    units = sorted(institution.units.all(), key=lambda unit: _LEVEL_ORDER.get(unit.level, 9))
    return InstitutionPage(institution, units, list(entitlement_list(institution=institution)))


def programs_with_categories() -> QuerySet[Program]:
    return Program.objects.prefetch_related("categories")


def entitlement_rows(
    *, institution: Institution, stored: Iterable[Entitlement], total_active_users: int
) -> list[Entitlement]:
    """One entitlement per program, newest program first: the stored row where there is one.

    ``entitlement_recompute`` makes rows for the open programs only, so a program that was never
    open while the institution existed (e.g. one copied for next year, still closed) has none. For
    it an unsaved row (``pk is None``) is computed the way the recomputation would: the band the
    institution's current total falls into, flagged ``no_users`` at 0 and ``above_last_band``
    above the table. Nothing is written on a read. Two queries (programs and their bands) besides
    ``stored``, whatever the number of programs.
    """
    by_program = {e.program_id: e for e in stored}
    rows: list[Entitlement] = []
    for program in Program.objects.prefetch_related("categories"):
        row = by_program.get(program.pk)
        if row is None:
            row = _unsaved_row(program=program, institution=institution, total=total_active_users)
        rows.append(row)
    return rows


def _unsaved_row(*, program: Program, institution: Institution, total: int) -> Entitlement:
    band = next((c for c in program.categories.all() if c.min_users <= total <= c.max_users), None)
    if total == 0:
        flag = EntitlementFlag.NO_USERS.value
    elif band is None:
        flag = EntitlementFlag.ABOVE_LAST_BAND.value
    else:
        flag = ""
    return Entitlement(program=program, institution=institution, total_active_users=total, category=band, flag=flag)
