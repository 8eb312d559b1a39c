"""Reads of the catalog: courses and their materials, and who may see the materials.

Every list here runs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, QuerySet

from entitlements.models import Entitlement, Institution
from entitlements.selectors import official_institution
from kamusm_portal.roles import is_programme_staff
from sessions.models import (
    Course,
    CourseMaterial,
)


def course_list() -> QuerySet[Course]:
    """Active courses with their materials."""
    return (
        Course.objects.filter(is_active=True)
        .prefetch_related(Prefetch("materials", queryset=CourseMaterial.objects.order_by("kind", "title")))
        .order_by("audience", "code")
    )


def institution_entitled(institution: Institution | None) -> bool:
    """Whether the institution has a band (any training right) in an open program: materials are
    open to its officials."""
    if institution is None:
        return False
    return Entitlement.objects.filter(institution=institution, program__is_open=True, category__isnull=False).exists()


def materials_visible(user: User | AnonymousUser) -> bool:
    return is_programme_staff(user) or institution_entitled(official_institution(user))
