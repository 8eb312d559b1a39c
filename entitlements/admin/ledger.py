"""The centre's screen for the entitlements: read-only rows, made and changed by the recompute
service only, which an action runs again for the selected rows."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from entitlements import services
from entitlements.models import Entitlement, Institution, Program
from kamusm_portal.roles import is_programme_staff
from kamusm_portal.text import tr_fold


class UsageAboveRightFilter(admin.SimpleListFilter):
    """Entitlements holding an occurrence of usage above the right (docs/domain.md), or not."""

    title = _("usage above the right")
    parameter_name = "usage_above_right"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(usage_above_right_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(usage_above_right_since__isnull=True)
        return queryset


@admin.register(Entitlement)
class EntitlementAdmin(SimpleHistoryAdmin):
    institution_path = "institution"  # the row scope (kamusm_portal.admin.ScopedAdmin)
    list_display = (
        "institution",
        "program",
        "total_active_users",
        "previous_total_active_users",
        "category",
        "hours_display",
        "flag",
        "usage_above_right_since",
        "recomputed_at",
    )
    list_filter = (
        "program",
        "category",
        "flag",
        UsageAboveRightFilter,
        ("institution__units__province", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("institution", "program", "category")
    search_fields = ("institution__search_key",)
    history_list_display = (
        "total_active_users",
        "previous_total_active_users",
        "category",
        "flag",
        "usage_above_right_since",
        "usage_above_right_notified_at",
    )
    actions = ["recompute"]

    def get_search_results(self, request, queryset, search_term):
        for word in tr_fold(search_term).split():
            queryset = queryset.filter(institution__search_key__contains=word)
        return queryset.distinct(), False

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    def has_view_permission(self, request, obj=None):
        # Any staff user opens the list; the row scope shows them their institutions' rows.
        return super().has_view_permission(request, obj) or request.user.is_staff

    def has_module_permission(self, request):
        return super().has_module_permission(request) or request.user.is_staff

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_programme_staff(request.user):
            actions.pop("recompute", None)  # an account manager reads; programme staff recompute
        return actions

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
