"""The centre's screens for provinces and their districts, the reference data units point at."""

from __future__ import annotations

from django.contrib import admin

from entitlements.models import District, Province


class DistrictInline(admin.TabularInline):
    model = District
    extra = 0
    fields = ("name",)


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    reference_data = True  # the row scope (kamusm_portal.admin.ScopedAdmin): read as permissions allow
    list_display = ("plate", "name")
    search_fields = ("name",)
    inlines = [DistrictInline]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    reference_data = True
    list_display = ("name", "province")
    list_filter = ("province",)
    search_fields = ("name", "province__name")
    list_select_related = ("province",)
