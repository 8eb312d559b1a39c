"""The centre's screens for the catalog (courses and their materials) and the venues."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from sessions.models import Course, CourseMaterial, Venue


class CourseMaterialInline(admin.TabularInline):
    model = CourseMaterial
    extra = 0
    fields = ("kind", "title", "url", "file")


@admin.register(Course)
class CourseAdmin(SimpleHistoryAdmin):
    reference_data = True  # the row scope (kamusm_portal.admin.ScopedAdmin): read as permissions allow
    list_display = ("code", "title_tr", "title_en", "audience", "hours", "is_active")
    list_filter = ("audience", "is_active")
    search_fields = ("code", "title_tr", "title_en")
    inlines = [CourseMaterialInline]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    reference_data = True
    list_display = ("name", "province", "seats", "is_active")
    list_filter = ("is_active", "province")
    list_select_related = ("province",)
    search_fields = ("name", "address")
