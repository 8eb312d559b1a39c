"""Pieces several admin modules of the sessions app use: whether a staff user is an account
manager, the admin of rows of a trainer's work plan (a trainer sees only their own), and the
trainer filter."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from entitlements.models import Institution
from kamusm_portal.admin import BoundedChangeListMixin, IdListFilter, ServiceHistoryAdmin
from sessions import selectors


def is_account_manager(request: HttpRequest) -> bool:
    """Whether the staff user has institutions assigned to them (asked once per request)."""
    if not hasattr(request, "_manages_institutions"):
        user = request.user
        request._manages_institutions = bool(
            user.is_active and user.is_staff and Institution.objects.filter(account_manager=user).exists()
        )
    return request._manages_institutions


class WorkPlanAdmin(BoundedChangeListMixin, ServiceHistoryAdmin):
    """Rows of a trainer's work plan: programme staff see every row, a trainer only their own
    (``trainer_path`` leads from a row to its trainer, whose id is the user's id). The admin site's
    row scope (``kamusm_portal.admin.ScopedAdmin``) applies it, to the list, the pages and the
    history records alike."""

    trainer_path = "trainer"


class TrainerFilter(IdListFilter):
    """Trainers by name, read in one query (the related-field filter reads each trainer's user)."""

    title = _("trainer")
    parameter_name = "trainer"
    field = "trainer"

    def lookups(self, request, model_admin):
        return [(t.pk, str(t)) for t in selectors.trainer_list()]

    def filter_id(self, request, queryset, value):
        return queryset.filter(**{self.field: value})
