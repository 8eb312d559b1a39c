"""Pieces several admin modules of the sessions app use: whether a staff user is an account
manager, the admin of rows of a trainer's work plan (a trainer sees only their own), and the
trainer filter."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from entitlements.models import Institution
from kamusm_portal.admin import BoundedChangeListMixin, IdListFilter, ServiceHistoryAdmin
from kamusm_portal.roles import is_programme_staff
from sessions import selectors


def is_account_manager(request: HttpRequest) -> bool:
    """Whether the staff user has institutions assigned to them (asked once per request)."""
    if not hasattr(request, "_manages_institutions"):
        user = request.user
        request._manages_institutions = bool(
            user.is_active and user.is_staff and Institution.objects.filter(account_manager=user).exists()
        )
    return request._manages_institutions


def _row_trainer_id(obj, path: str):
    """The id of the trainer a row belongs to, following ``path`` (``"session__trainer"``)."""
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop)
    return obj.pk if last == "pk" else getattr(obj, f"{last}_id")


class WorkPlanAdmin(BoundedChangeListMixin, ServiceHistoryAdmin):
    """Programme staff see every row; anyone else (a trainer) only the rows of their own work
    plan: ``trainer_path`` leads from a row to its trainer (whose id is the user's id)."""

    trainer_path = "trainer"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not is_programme_staff(request.user):
            qs = qs.filter(**{self.trainer_path: request.user.pk})
        return qs

    def _own(self, request, obj) -> bool:
        """No row given, programme staff, or a row of the user's own work plan (a history record
        counts as its row: the history pages ask about it)."""
        return (
            obj is None
            or is_programme_staff(request.user)
            or _row_trainer_id(obj, self.trainer_path) == request.user.pk
        )

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._own(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)


class TrainerFilter(IdListFilter):
    """Trainers by name, read in one query (the related-field filter reads each trainer's user)."""

    title = _("trainer")
    parameter_name = "trainer"
    field = "trainer"

    def lookups(self, request, model_admin):
        return [(t.pk, str(t)) for t in selectors.trainer_list()]

    def filter_id(self, request, queryset, value):
        return queryset.filter(**{self.field: value})
