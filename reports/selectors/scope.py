"""Who sees which institutions' figures.

Programme staff see the whole program; an account manager (a staff user assigned to at least one
institution) sees the institutions they manage; an official sees their own institution on their
dashboard. Everyone else sees no report (the API answers 403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from entitlements.models import Institution
from kamusm_portal.roles import is_programme_staff, managed_by

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class Scope:
    """The institutions a reader's figures count: all of them, those of one account manager, or
    the given ones (an official's own; a page of a list)."""

    manager_id: int | None = None
    institution_ids: tuple[int, ...] | None = None

    @property
    def is_whole_program(self) -> bool:
        return self.manager_id is None and self.institution_ids is None

    def q(self, path: str = "institution") -> Q:
        """The condition on a model that reaches the institution through ``path`` (``""`` for
        ``Institution`` itself)."""
        if self.institution_ids is not None:
            return Q(**{f"{path}_id__in" if path else "pk__in": self.institution_ids})
        if self.manager_id is not None:
            return managed_by(self.manager_id, path)
        return Q()

    def institutions(self) -> QuerySet[Institution]:
        return Institution.objects.filter(self.q(""))

    def institutions_or_none(self) -> QuerySet[Institution] | None:
        """``None`` for the whole program (no condition at all), else the institutions."""
        return None if self.is_whole_program else self.institutions()


WHOLE_PROGRAM = Scope()


def report_scope(user: User | AnonymousUser) -> Scope | None:
    """The scope of the reports ``user`` may read: the whole program for programme staff, their
    institutions for an account manager, ``None`` (no report) for anyone else."""
    if not user.is_authenticated:
        return None
    if is_programme_staff(user):
        return WHOLE_PROGRAM
    if user.is_staff and Institution.objects.filter(account_manager_id=user.pk).exists():
        return Scope(manager_id=user.pk)
    return None
