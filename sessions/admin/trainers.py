"""The centre's screens for trainers and their work plan, and the trainers' calendar (every
active trainer's month). A trainer sees their own trainer row, read-only, and edits their own
unavailability; every block is written through ``sessions.services`` (a change is a delete and a
create)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from entitlements.admin.institutions import AccountAddForm
from kamusm_portal.admin import admin_page_context
from kamusm_portal.bounds import month_or_none
from kamusm_portal.errors import RuleViolation, add_rule_error
from kamusm_portal.roles import is_programme_staff
from sessions import planning, selectors, services
from sessions.admin.shared import TrainerFilter, WorkPlanAdmin
from sessions.models import Trainer, Unavailability


def _previous_start(form) -> object:
    """The start a changed block had before this form (the form's instance already holds the new
    one): the new block may keep it, in the past (``unavailability_check``)."""
    return form.initial.get("starts_at") if form.instance.pk else None


def _unavailability_replace(
    *, trainer: Trainer, old: Unavailability | None, data: dict | None, by, previous_start=None
):
    """Free ``old`` and/or block ``data`` through the services, all or nothing; the new block."""
    with transaction.atomic():
        if old is not None:
            services.unavailability_delete(block=old, by=by)
        if data is None:
            return None
        return services.unavailability_create(
            trainer=trainer,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data.get("reason") or "",
            previous_start=previous_start,
            by=by,
        )


class UnavailabilityFormSet(forms.BaseInlineFormSet):
    """Blocks are written through ``unavailability_create``/``unavailability_delete`` (a change is
    a delete and a create). ``clean`` checks each new or changed block with
    ``unavailability_check``, so a block over a booked session becomes an error on its row;
    ``apply`` writes them."""

    def changes(self):
        for form in self.forms:
            old = form.instance if form.instance.pk else None
            if self.can_delete and self._should_delete_form(form):
                if old is not None:
                    yield form, old, None
            elif form.has_changed():
                yield form, old, form.cleaned_data

    def apply(self, *, by) -> tuple[list, list, list, list]:
        new, changed, deleted, failures = [], [], [], []
        for form, old, data in self.changes():
            try:
                block = _unavailability_replace(
                    trainer=self.instance, old=old, data=data, by=by, previous_start=_previous_start(form)
                )
            except RuleViolation as exc:
                failures.append((form, exc))
                continue
            if data is None:
                deleted.append(old)
            elif old is None:
                new.append(block)
            else:
                changed.append((block, form.changed_data))
        return new, changed, deleted, failures

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        for form, _old, data in self.changes():
            if data is None:
                continue  # freeing a block is always allowed
            try:
                services.unavailability_check(
                    trainer=self.instance,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    previous_start=_previous_start(form),
                )
            except RuleViolation as exc:
                add_rule_error(form, exc)


class UnavailabilityInline(admin.TabularInline):
    model = Unavailability
    formset = UnavailabilityFormSet
    extra = 0
    fields = ("starts_at", "ends_at", "reason", "created_by")
    readonly_fields = ("created_by",)
    verbose_name = _("block of unavailability")
    verbose_name_plural = _("unavailability (leave, other duties)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class TrainerAddForm(AccountAddForm):
    password_help = _("Leave empty to e-mail a link where the trainer chooses a password.")
    by = None  # the staff user adding, set by the admin

    class Meta:
        model = Trainer
        fields = ("home_province",)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.instance = services.trainer_create(
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                home_province=data["home_province"],
                password=data["password"] or None,
                by=self.by,
            )
        except RuleViolation as exc:
            add_rule_error(self, exc)
        return data


TRAINER_ADD_FIELDS = ("username", "email", "first_name", "last_name", "home_province", "password")
TRAINER_FIELDS = ("user", "email_display", "home_province", "is_active", "calendar_feed")


@admin.register(Trainer)
class TrainerAdmin(WorkPlanAdmin):
    list_display = ("__str__", "username", "email_display", "home_province", "is_active", "calendar_feed")
    list_filter = ("is_active", ("home_province", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user", "home_province")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    inlines = [UnavailabilityInline]
    actions = ["renew_calendar_links"]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("calendar/", self.admin_site.admin_view(self.calendar_view), name="{}_{}_calendar".format(*info)),
            *super().get_urls(),
        ]

    trainer_path = "pk"  # a trainer sees their own row; an account manager none (no institution's)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "home_province")

    def _own_row(self, request, obj) -> bool:
        """A trainer on their own row: its fields read-only, its unavailability theirs to edit."""
        return request.user.has_perm("training_sessions.change_unavailability") and (
            obj is None or obj.user_id == request.user.pk
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or self._own_row(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # trainers are made inactive, never deleted: their sessions keep them

    def get_fields(self, request, obj=None):
        return TRAINER_ADD_FIELDS if obj is None else TRAINER_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if not super().has_change_permission(request, obj):
            return TRAINER_FIELDS
        return ("user", "email_display", "calendar_feed")

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # blocks are added once the trainer exists

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TrainerAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.by = request.user  # a class made for this request by modelform_factory
        if "home_province" in form.base_fields:  # provinces are not edited from here
            widget = form.base_fields["home_province"].widget
            widget.can_add_related = widget.can_change_related = widget.can_delete_related = False
            widget.can_view_related = False
        return form

    @admin.display(description=_("username"), ordering="user__username")
    def username(self, obj):
        return obj.user.username

    @admin.display(description=_("e-mail"), ordering="user__email")
    def email_display(self, obj):
        return obj.user.email

    @admin.display(description=_("calendar feed"))
    def calendar_feed(self, obj):
        url = reverse("sessions_portal:trainer_calendar", args=[obj.calendar_token])  # the secret link
        return format_html('<a href="{}">{}</a>', url, gettext("iCalendar (.ics)"))

    def save_model(self, request, obj, form, change):
        if not change:
            return  # the add form's clean() made it through trainer_create
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in ("home_province", "is_active")}
        if data:
            services.trainer_update(trainer=obj, data=data, by=request.user)

    def save_formset(self, request, form, formset, change):
        if not isinstance(formset, UnavailabilityFormSet):
            return super().save_formset(request, form, formset, change)
        new, changed, deleted, failures = formset.apply(by=request.user)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = new, changed, deleted
        for _form, exc in failures:  # a booking made since the form was checked
            self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description=_("Renew the calendar links of the selected trainers (old links stop working)"))
    def renew_calendar_links(self, request, queryset):
        for trainer in queryset:
            services.trainer_calendar_link_renew(trainer=trainer, by=request.user)
        self.message_user(request, gettext("Calendar links renewed."), messages.SUCCESS)

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        """Every active trainer's month: rows are trainers, columns days (``?month=2026-12``); the
        current month without one, or, with a message, for one that is no month (``?month=9999-12``)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        tz = timezone.get_current_timezone()
        asked = request.GET.get("month")
        month = month_or_none(asked)
        if month is None:
            if asked:
                self.message_user(
                    request,
                    gettext("“%(month)s” is not a month the calendar can show (YYYY-MM): here is this month.")
                    % {"month": asked},
                    messages.WARNING,
                )
            month = timezone.localdate().replace(day=1)
        trainers = list(self.get_queryset(request).filter(is_active=True))
        calendar = planning.month_calendar(trainers=trainers, month=month, tz=tz)
        title = gettext("Trainers' calendar: %(month)s") % {
            "month": formats.date_format(calendar.month, "YEAR_MONTH_FORMAT")
        }
        context = admin_page_context(self, request, title=title, calendar=calendar)
        return TemplateResponse(request, "admin/training_sessions/trainer/calendar.html", context)


class UnavailabilityForm(forms.ModelForm):
    """A block on its own page: written through the services (a change is a delete and a create)."""

    by = None

    class Meta:
        model = Unavailability
        fields = ("trainer", "starts_at", "ends_at", "reason")

    def clean(self):
        data = super().clean()
        if self.errors or not self.has_changed():
            return data
        try:
            self.instance = _unavailability_replace(
                trainer=data["trainer"],
                old=self.instance if self.instance.pk else None,
                data=data,
                by=self.by,
                previous_start=_previous_start(self),
            )
        except RuleViolation as exc:
            add_rule_error(self, exc)
        return data


@admin.register(Unavailability)
class UnavailabilityAdmin(WorkPlanAdmin):
    form = UnavailabilityForm
    list_display = ("trainer", "starts_at", "ends_at", "reason", "created_by")
    list_filter = (TrainerFilter,)
    list_select_related = ("trainer__user", "created_by")
    date_hierarchy = "starts_at"
    search_fields = ("reason",)
    readonly_fields = ("created_by",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "trainer":
            trainers = selectors.trainer_list()
            if not is_programme_staff(request.user):
                trainers = trainers.filter(user=request.user)
            kwargs["queryset"] = trainers
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.by = request.user
        return form

    def save_model(self, request, obj, form, change):
        pass  # the form's clean() wrote it through the services

    def delete_model(self, request, obj):
        services.unavailability_delete(block=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for block in queryset:
            services.unavailability_delete(block=block, by=request.user)
