"""Who someone is to the portal, as far as every app needs to know: programme staff.

Officials (``entitlements``), trainers (``sessions``) and account managers (``entitlements``) are
rows of the apps; being programme staff is a permission, so it is asked here, below every app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

PROGRAMME_STAFF_GROUP = "Programme staff"
"""The group a migration makes with every programme-staff permission."""

PROGRAMME_STAFF_PERMISSION = "entitlements.act_as_programme_staff"
"""The permission that makes a user programme staff (declared on ``entitlements.Program``)."""


def is_programme_staff(user: User | AnonymousUser | None) -> bool:
    """Superusers and users holding the programme-staff permission (the "Programme staff" group)."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_perm(PROGRAMME_STAFF_PERMISSION)))
