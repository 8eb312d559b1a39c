"""The centre's screens for programs and their category tables: a table is checked by
``entitlements.services`` before it is saved, and saving one recomputes the entitlements."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from entitlements import services
from entitlements.models import Category, Program
from kamusm_portal.errors import RuleViolation


class CategoryInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        bands = [
            services.Band(
                code=form.cleaned_data["code"],
                min_users=form.cleaned_data["min_users"],
                max_users=form.cleaned_data["max_users"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            services.category_table_validate(bands=bands)
        except RuleViolation as exc:
            raise ValidationError(exc.fields.get("categories") or [exc.message], code=exc.code) from exc


class CategoryInline(admin.TabularInline):
    model = Category
    formset = CategoryInlineFormSet
    template = "admin/entitlements/program/category_table.html"  # fits beside the sidebar at 1280 px

    class Media:
        css = {"all": ["admin/portal-admin.css"]}

    extra = 0
    fields = ("code", "name", "min_users", "max_users", "hours", "delivery", "certificate_rule")


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):
    reference_data = True  # the row scope (kamusm_portal.admin.ScopedAdmin): read as permissions allow
    list_display = (
        "name",
        "year",
        "is_open",
        "trainee_target",
        "notice_days",
        "classroom_size",
        "classroom_quota",
    )
    list_filter = ("is_open", "year")
    search_fields = ("name",)
    inlines = [CategoryInline]
    actions = ["copy_programs", "recompute_program_entitlements"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A changed table or a newly opened program changes every institution's band.
        services.entitlement_recompute(programs=[form.instance], by=request.user, reason="category table saved")

    @admin.action(description=_("Copy the selected programs with their tables (new year, closed)"))
    def copy_programs(self, request, queryset):
        for program in queryset:
            new = services.program_copy(
                program=program,
                name=gettext("%(name)s (copy %(year)s)") % {"name": program.name, "year": program.year + 1},
                year=program.year + 1,
                by=request.user,
            )
            self.message_user(request, gettext("Program %(name)s created.") % {"name": new.name}, messages.SUCCESS)

    @admin.action(description=_("Recompute the entitlements of every institution in the selected programs"))
    def recompute_program_entitlements(self, request, queryset):
        changed = services.entitlement_recompute(programs=list(queryset), by=request.user, reason="admin action")
        self.message_user(
            request,
            ngettext("%(n)s entitlement changed.", "%(n)s entitlements changed.", changed) % {"n": changed},
        )
