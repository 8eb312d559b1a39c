"""Reads of the entitlements app, already joined and prefetched."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet, Sum
from django.db.models.functions import Coalesce

from entitlements.models import Entitlement, Institution, Official, Program, Unit
from kamusm_portal.api import is_programme_staff
from kamusm_portal.db import TurkishCollate
from kamusm_portal.text import tr_fold


def official_institution(user) -> Institution | None:
    """The institution ``user`` acts for, or ``None`` when the user is no official."""
    if not user.is_authenticated:
        return None
    official = Official.objects.filter(user=user).select_related("institution").first()
    return official.institution if official else None


def institutions_visible(user) -> QuerySet[Institution]:
    """Programme staff see every institution; an official only their own; anyone else none."""
    if is_programme_staff(user):
        return Institution.objects.all()
    if not user.is_authenticated:
        return Institution.objects.none()
    return Institution.objects.filter(officials__user=user)


def institution_list(*, user, search: str = "") -> QuerySet[Institution]:
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


def programs_with_categories() -> QuerySet[Program]:
    return Program.objects.prefetch_related("categories")
