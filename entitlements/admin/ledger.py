"""The centre's screen for the entitlements: read-only rows, made and changed by the recompute
service only, which an action runs again for the selected rows."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from entitlements import services
from entitlements.models import Entitlement, Institution, Program
from kamusm_portal.text import tr_fold


@admin.register(Entitlement)
class EntitlementAdmin(SimpleHistoryAdmin):
    list_display = (
        "institution",
        "program",
        "total_active_users",
        "previous_total_active_users",
        "category",
        "hours_display",
        "flag",
        "recomputed_at",
    )
    list_filter = ("program", "category", "flag", ("institution__units__province", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("institution", "program", "category")
    search_fields = ("institution__search_key",)
    history_list_display = ("total_active_users", "previous_total_active_users", "category", "flag")
    actions = ["recompute"]

    def get_search_results(self, request, queryset, search_term):
        for word in tr_fold(search_term).split():
            queryset = queryset.filter(institution__search_key__contains=word)
        return queryset.distinct(), False

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    def has_add_permission(self, request):
        return False  # rows are made by the recompute service only

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("hours"))
    def hours_display(self, obj):
        return obj.band_hours

    @admin.action(description=_("Recompute the selected entitlements"))
    def recompute(self, request, queryset):
        changed = services.entitlement_recompute(
            institutions=Institution.objects.filter(pk__in=queryset.values("institution_id")),
            programs=Program.objects.filter(pk__in=queryset.values("program_id")),
            by=request.user,
            reason="admin action",
        )
        self.message_user(
            request,
            ngettext("%(n)s entitlement changed.", "%(n)s entitlements changed.", changed) % {"n": changed},
        )
