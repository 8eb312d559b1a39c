"""Who someone is to the portal, as far as every app needs to know: programme staff, and the rows
of an account manager's institutions.

Officials (``entitlements``), trainers (``sessions``) and account managers (``entitlements``) are
rows of the apps; being programme staff is a permission, so it is asked here, below every app. An
account manager is a staff user named as ``Institution.account_manager``: ``managed_by`` is the one
condition "rows of the institutions assigned to them", which the admin's row scope
(``kamusm_portal.admin``) and the reports' scope (``reports.selectors.scope``) both use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import QuerySet

PROGRAMME_STAFF_GROUP = "Programme staff"
"""The group a migration makes with every programme-staff permission."""

PROGRAMME_STAFF_PERMISSION = "entitlements.act_as_programme_staff"
"""The permission that makes a user programme staff (declared on ``entitlements.Program``)."""


def is_programme_staff(user: User | AnonymousUser | None) -> bool:
    """Superusers and users holding the programme-staff permission (the "Programme staff" group)."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_perm(PROGRAMME_STAFF_PERMISSION)))


def programme_staff_with_email() -> QuerySet[User]:
    """Active programme-staff users with an e-mail address: superusers, and users holding the
    programme-staff permission through a group (the "Programme staff" group) or of their own."""
    from django.contrib.auth import get_user_model

    app_label, codename = PROGRAMME_STAFF_PERMISSION.split(".")
    on_group = Q(groups__permissions__content_type__app_label=app_label, groups__permissions__codename=codename)
    on_user = Q(user_permissions__content_type__app_label=app_label, user_permissions__codename=codename)
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    return users.filter(Q(is_superuser=True) | on_group | on_user).distinct().order_by("pk")


def managed_by(user_id: int | None, path: str = "institution") -> Q:
    """The rows of the institutions whose account manager is ``user_id``: the condition on a model
    that reaches its institution through ``path`` (``"session__institution"``; ``""`` for
    ``Institution`` itself)."""
    return Q(**{f"{path}__account_manager_id" if path else "account_manager_id": user_id})
