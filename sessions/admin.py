"""The centre's screens for the catalog, venues, sessions, participants, reservations, on-site
training requests, trainers and their work plans.

Announcing, cancelling, scheduling, rejecting, every change of seats, hours or a trainer's work
plan go through ``sessions.services``; lists read through ``sessions.selectors``.

Who sees what: programme staff everything; an account manager (a staff user without the
programme-staff permission) the training requests of the institutions assigned to them; a trainer
(a staff user in the "Trainers" group) their own trainer row, unavailability, sessions, rosters
and attendance.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget, AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from entitlements.models import Institution, Program, Province
from kamusm_portal.admin import ServiceHistoryAdmin, TurkishSearchMixin, admin_page_context, run_each
from kamusm_portal.errors import RuleViolation, add_rule_error
from kamusm_portal.roles import is_programme_staff
from sessions import planning, selectors, services
from sessions.models import (
    Attendance,
    Course,
    CourseMaterial,
    Enrolment,
    Participant,
    RequestStatus,
    Reservation,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingRequestItem,
    TrainingSession,
    Unavailability,
    Venue,
)


def _is_account_manager(request: HttpRequest) -> bool:
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


class WorkPlanAdmin(ServiceHistoryAdmin):
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


# --- Catalog and venues -----------------------------------------------------------------------


class CourseMaterialInline(admin.TabularInline):
    model = CourseMaterial
    extra = 0
    fields = ("kind", "title", "url", "file")


@admin.register(Course)
class CourseAdmin(SimpleHistoryAdmin):
    list_display = ("code", "title_tr", "title_en", "audience", "hours", "is_active")
    list_filter = ("audience", "is_active")
    search_fields = ("code", "title_tr", "title_en")
    inlines = [CourseMaterialInline]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ("name", "province", "seats", "is_active")
    list_filter = ("is_active", "province")
    list_select_related = ("province",)
    search_fields = ("name", "address")


# --- Sessions ---------------------------------------------------------------------------------


class TrainerFilter(admin.SimpleListFilter):
    """Trainers by name, read in one query (the related-field filter reads each trainer's user)."""

    title = _("trainer")
    parameter_name = "trainer"
    field = "trainer"

    def lookups(self, request, model_admin):
        return [(t.pk, str(t)) for t in selectors.trainer_list()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class SessionForm(forms.ModelForm):
    """Classroom sessions: created as drafts through the service; changes through the service."""

    class Meta:
        model = TrainingSession
        fields = ("program", "course", "venue", "starts_at", "ends_at", "capacity", "trainer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "capacity" in self.fields:  # absent when the page is read-only
            self.fields["capacity"].required = False
            self.fields["capacity"].help_text = _("Empty: the program's classroom size.")

    def _get_validation_exclusions(self):
        # The services check the trainer's work plan under lock. Left to the model, the exclusion
        # constraint's validate() raises FieldError on PostgreSQL (Django 5.2): its condition names
        # ``status``, which this form leaves out.
        return {*super()._get_validation_exclusions(), "trainer"}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            if self.instance.pk is None:
                self.instance = services.session_create(**data)
            else:
                changes = {k: data[k] for k in self.changed_data if k != "program"}
                if changes.get("capacity") is None:
                    changes.pop("capacity", None)
                self.instance = services.session_update(session=self.instance, data=changes)
        except RuleViolation as exc:
            add_rule_error(self, exc)
        return data


CLASSROOM_FIELDS = ["program", "course", "venue", "starts_at", "ends_at", "capacity", "trainer"]
# On-site sessions are made by scheduling a request and changed only by cancelling: all read-only.
ONSITE_FIELDS = [
    "program",
    "kind",
    "course",
    "trainer",
    "starts_at",
    "ends_at",
    "hours",
    "institution",
    "request_link",
    "province",
    "address",
    "capacity",
    "status",
    "announced_at",
    "cancelled_at",
    "roster",
]


@admin.register(TrainingSession)
class TrainingSessionAdmin(WorkPlanAdmin):
    form = SessionForm
    list_display = (
        "__str__",
        "course",
        "kind",
        "place",
        "starts_at",
        "status",
        "capacity",
        "seats_confirmed",
        "waitlist_length",
        "trainer",
    )
    list_filter = ("status", "kind", TrainerFilter, "program", "venue", "course__audience")
    list_select_related = ("course", "venue", "trainer__user", "program", "institution", "province")
    date_hierarchy = "starts_at"
    search_fields = ("course__code", "course__title_tr", "venue__name", "institution__search_key")
    readonly_fields = ("status", "announced_at", "cancelled_at", "roster")
    actions = ["announce", "cancel"]

    def get_fields(self, request, obj=None):
        if obj is not None and obj.kind == SessionKind.ONSITE:
            return ONSITE_FIELDS
        if obj is not None:
            return [f for f in CLASSROOM_FIELDS if f != "program"] + [
                "status",
                "announced_at",
                "cancelled_at",
                "roster",
            ]
        return CLASSROOM_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.kind == SessionKind.ONSITE:
            return ONSITE_FIELDS
        return self.readonly_fields

    def get_queryset(self, request):
        return selectors.with_seat_counts(super().get_queryset(request))  # a trainer: their own

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.kind == SessionKind.ONSITE:
            return False  # scheduled from a request; changed only by cancelling
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # sessions are cancelled, never deleted: reservations keep their history

    @admin.display(description=_("venue or institution"))
    def place(self, obj):
        if obj.kind == SessionKind.ONSITE:
            return f"{obj.institution} · {obj.province}"
        return obj.venue

    @admin.display(description=_("confirmed"), ordering="seats_confirmed")
    def seats_confirmed(self, obj):
        return obj.seats_confirmed

    @admin.display(description=_("waiting list"), ordering="waitlist_length")
    def waitlist_length(self, obj):
        return obj.waitlist_length

    @admin.display(description=_("training request"))
    def request_link(self, obj):
        if obj.request_item_id is None:
            return "—"
        item = obj.request_item
        url = reverse("admin:training_sessions_trainingrequest_change", args=[item.request_id])
        return format_html('<a href="{}">#{}</a> · {}', url, item.request_id, item)

    @admin.display(description=_("roster and waiting list"))
    def roster(self, obj):
        if obj.kind == SessionKind.ONSITE:
            sheet = selectors.attendance_sheet(session=obj)
            return (
                format_html_join(
                    "",
                    "<div>{} · {} · {}</div>",
                    (
                        (person.full_name, person.unit.name, mark.get_status_display() if mark else "—")
                        for person, mark in sheet
                    ),
                )
                or "—"
            )
        rows = selectors.session_roster(session=obj)
        return (
            format_html_join(
                "",
                "<div>{} · {} · {} · {}</div>",
                (
                    (
                        r.get_current_status_display() + (f" #{r.position}" if r.position else ""),
                        r.participant.full_name,
                        r.institution.name,
                        timezone.localtime(r.applied_at).strftime("%d.%m.%Y %H:%M:%S"),
                    )
                    for r in rows
                ),
            )
            or "—"
        )

    def save_model(self, request, obj, form, change):
        pass  # the form's clean() saved it through the service

    def _run(self, request, queryset, service, done_message):
        def one(session):
            service(session=session, by=request.user)
            self.message_user(request, done_message % {"session": session}, messages.SUCCESS)

        run_each(self, request, queryset, one)

    @admin.action(description=_("Announce the selected sessions"), permissions=["change"])
    def announce(self, request, queryset):
        self._run(request, queryset, services.session_announce, gettext("%(session)s announced."))

    @admin.action(description=_("Cancel the selected sessions"), permissions=["change"])
    def cancel(self, request, queryset):
        self._run(request, queryset, services.session_cancel, gettext("%(session)s cancelled."))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "venue" in form.base_fields:
            form.base_fields["venue"].queryset = Venue.objects.filter(is_active=True)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "course":
            kwargs["queryset"] = Course.objects.filter(is_active=True)
        elif db_field.name == "trainer":
            kwargs["queryset"] = selectors.trainer_list().filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Participants and reservations ------------------------------------------------------------


@admin.register(Participant)
class ParticipantAdmin(TurkishSearchMixin, SimpleHistoryAdmin):
    search_key_field = "institution__search_key"
    list_display = ("__str__", "institution", "unit", "role", "multiplier", "language", "anonymised_at")
    list_filter = ("role", "multiplier", "language")
    list_select_related = ("institution", "unit")
    readonly_fields = ("institution", "anonymised_at", "created_at")
    fields = (
        "institution",
        "unit",
        "first_name",
        "last_name",
        "email",
        "role",
        "kimlik_no",
        "multiplier",
        "language",
        "anonymised_at",
        "created_at",
    )

    def has_add_permission(self, request):
        return False  # officials nominate participants; the centre takes no part in choosing them

    def save_model(self, request, obj, form, change):
        services.participant_update(
            participant=obj, data={f: form.cleaned_data[f] for f in form.changed_data}, by=request.user
        )

    def delete_model(self, request, obj):
        services.participant_delete(participant=obj, by=request.user)


@admin.register(Reservation)
class ReservationAdmin(SimpleHistoryAdmin):
    list_display = ("participant", "institution", "session", "status", "applied_at", "confirmed_at", "cancelled_at")
    list_filter = ("status", "session__program", "session__course")
    list_select_related = ("participant", "institution", "session", "session__course")
    search_fields = ("institution__search_key", "participant__last_name")
    readonly_fields = (
        "session",
        "participant",
        "institution",
        "status",
        "applied_at",
        "applied_by",
        "confirmed_at",
        "cancelled_at",
    )
    actions = ["cancel"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel the selected reservations (a freed seat goes to the waiting list)"))
    def cancel(self, request, queryset):
        run_each(self, request, queryset, lambda row: services.reservation_cancel(reservation=row, by=request.user))


# --- On-site rosters and attendance (recorded in the portal and the API) ----------------------


class _OwnSessionsReadOnly(TurkishSearchMixin, WorkPlanAdmin):
    """A read-only list of rows of sessions; a trainer sees those of the sessions they deliver."""

    trainer_path = "session__trainer"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(_OwnSessionsReadOnly):
    search_key_field = "institution__search_key"
    list_display = ("participant", "institution", "session", "enrolled_at", "enrolled_by")
    list_filter = ("session__program", "session__kind", "session__course")
    list_select_related = ("participant", "institution", "session", "session__course", "enrolled_by")
    date_hierarchy = "enrolled_at"


@admin.register(Attendance)
class AttendanceAdmin(_OwnSessionsReadOnly):
    search_key_field = "participant__institution__search_key"
    list_display = ("participant", "institution", "session", "status", "recorded_at", "recorded_by")
    list_filter = ("status", "session__program", "session__kind", "session__course")
    list_select_related = (
        "participant",
        "participant__institution",
        "session",
        "session__course",
        "recorded_by",
    )
    date_hierarchy = "recorded_at"

    @admin.display(description=_("institution"), ordering="participant__institution__name")
    def institution(self, obj):
        return obj.participant.institution


# --- Trainers and their work plan -------------------------------------------------------------


def _unavailability_replace(*, trainer: Trainer, old: Unavailability | None, data: dict | None, by):
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
                block = _unavailability_replace(trainer=self.instance, old=old, data=data, by=by)
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
                    trainer=self.instance, starts_at=data["starts_at"], ends_at=data["ends_at"]
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


class TrainerAddForm(forms.ModelForm):
    username = forms.CharField(label=_("username"), max_length=150)
    email = forms.EmailField(label=_("e-mail"))
    first_name = forms.CharField(label=_("first name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("password"),
        widget=forms.PasswordInput,
        required=False,
        help_text=_("Leave empty to e-mail a link where the trainer chooses a password."),
    )
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

    trainer_path = "pk"  # a trainer sees their own row

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
            services.trainer_calendar_link_renew(trainer=trainer)
        self.message_user(request, gettext("Calendar links renewed."), messages.SUCCESS)

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        """Every active trainer's month: rows are trainers, columns days (``?month=2026-12``)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        tz = timezone.get_current_timezone()
        month = planning.month_parse(request.GET.get("month"), today=timezone.localdate())
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
                trainer=data["trainer"], old=self.instance if self.instance.pk else None, data=data, by=self.by
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


# --- On-site training requests ----------------------------------------------------------------


class RequestItemInline(admin.TabularInline):
    """The courses asked, with the hours scheduled so far; read-only (officials submit them)."""

    model = TrainingRequestItem
    extra = 0
    fields = ("course", "hours", "scheduled_display", "left_display", "sessions_display")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        live = (
            TrainingSession.objects.exclude(status=SessionStatus.CANCELLED)
            .select_related("course", "trainer__user")
            .order_by("starts_at", "pk")
        )
        return selectors.items_with_scheduled_hours().prefetch_related(
            Prefetch("sessions", queryset=live, to_attr="live_sessions")
        )

    def has_view_permission(self, request, obj=None):
        return TrainingRequestAdmin.can_view(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("scheduled hours"))
    def scheduled_display(self, obj):
        return obj.scheduled

    @admin.display(description=_("hours left"))
    def left_display(self, obj):
        return max(obj.hours - obj.scheduled, 0)

    @admin.display(description=_("sessions"))
    def sessions_display(self, obj):
        return (
            format_html_join(
                "",
                '<div><a href="{}">{}</a> · {} · {}</div>',
                (
                    (
                        reverse("admin:training_sessions_trainingsession_change", args=[s.pk]),
                        s,
                        s.hours,
                        s.trainer or "—",
                    )
                    for s in obj.live_sessions
                ),
            )
            or "—"
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_("The institution's officials receive it by e-mail."),
    )


class ScheduleForm(forms.Form):
    item = forms.ModelChoiceField(label=_("course"), queryset=TrainingRequestItem.objects.none())
    trainer = forms.ModelChoiceField(label=_("trainer"), queryset=Trainer.objects.none())
    starts_at = forms.SplitDateTimeField(label=_("starts at"), widget=AdminSplitDateTime)
    ends_at = forms.SplitDateTimeField(label=_("ends at"), widget=AdminSplitDateTime)
    hours = forms.IntegerField(
        label=_("hours"),
        min_value=1,
        required=False,
        help_text=_(
            "Empty for a session within one day: its duration. Required over several days "
            "(e.g. 3 days of 8 hours = 24)."
        ),
    )
    province = forms.ModelChoiceField(label=_("province"), queryset=Province.objects.all())
    address = forms.CharField(label=_("address"), max_length=300, required=False)

    def __init__(self, *args, items, trainers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: (
            gettext("%(code)s %(title)s: %(asked)s h asked, %(left)s h left")
            % {
                "code": item.course.code,
                "title": item.course.title,
                "asked": item.hours,
                "left": max(item.hours - item.scheduled, 0),
            }
        )
        self.fields["trainer"].queryset = trainers
        self.fields["trainer"].label_from_instance = lambda t: f"{t} ({t.home_province})"

    def add_rule_error(self, exc: RuleViolation) -> None:
        """The service names the course ``course``; here it is chosen as a request item."""
        fields = dict(exc.fields)
        if "course" in fields:
            fields["item"] = fields.pop("course")
        add_rule_error(self, RuleViolation(exc.code, exc.message, fields=fields))


class ProposalForm(forms.Form):
    program = forms.ModelChoiceField(
        label=_("program"), queryset=Program.objects.filter(is_open=True).order_by("-year"), empty_label=None
    )
    first_day = forms.DateField(label=_("first day"), widget=AdminDateWidget)
    last_day = forms.DateField(label=_("last day"), widget=AdminDateWidget)

    MAX_DAYS = 366

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and first <= timezone.localdate():
            self.add_error("first_day", gettext("Proposals start tomorrow at the earliest."))
        if first and last and last < first:
            self.add_error("last_day", gettext("The range ends on or after its first day."))
        elif first and last and (last - first).days >= self.MAX_DAYS:
            self.add_error("last_day", gettext("Propose at most a year at a time."))
        return data


class AcceptForm(forms.Form):
    """One placement of the proposal, as its accept button posts it."""

    item = forms.ModelChoiceField(
        queryset=TrainingRequestItem.objects.select_related("request__institution", "request__program", "course")
    )
    trainer = forms.ModelChoiceField(queryset=Trainer.objects.all())
    starts_at = forms.DateTimeField()
    ends_at = forms.DateTimeField()
    hours = forms.IntegerField(min_value=1)


PROPOSAL_KEYS = ("program", "first_day", "last_day")


@admin.register(TrainingRequest)
class TrainingRequestAdmin(TurkishSearchMixin, ServiceHistoryAdmin):
    search_key_field = "institution__search_key"
    list_display = (
        "__str__",
        "institution",
        "program",
        "province",
        "status",
        "items_summary",
        "hours_asked",
        "hours_scheduled",
        "submitted_at",
        "account_manager",
    )
    list_display_links = ("__str__",)
    list_filter = (
        "program",
        "status",
        ("province", admin.RelatedOnlyFieldListFilter),
        ("institution__account_manager", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("institution", "institution__account_manager", "program", "province")
    fields = (
        "institution",
        "program",
        "province",
        "status",
        "institution_hours",
        "windows_display",
        "expected_participants",
        "notes",
        "submitted_at",
        "submitted_by",
        "closed_at",
        "rejection_reason",
    )
    readonly_fields = fields
    inlines = [RequestItemInline]
    actions = ["reject"]

    # -- who sees what --------------------------------------------------------------------------

    @staticmethod
    def can_view(request: HttpRequest, obj=None) -> bool:
        """Programme staff see every request; an account manager those of their institutions."""
        if request.user.has_perm("training_sessions.view_trainingrequest"):
            return True
        return _is_account_manager(request) and (obj is None or obj.institution.account_manager_id == request.user.pk)

    def get_queryset(self, request):
        user = request.user
        return (
            selectors.requests_visible(user)
            .select_related(*self.list_select_related)
            .prefetch_related(Prefetch("items", queryset=selectors.items_with_scheduled_hours()))
        )

    def get_ordering(self, request):
        # The user's own open requests first, then the other open ones, then the closed ones.
        user = request.user
        queue = Case(
            When(status=RequestStatus.SUBMITTED, institution__account_manager=user.pk, then=Value(0)),
            When(status=RequestStatus.SUBMITTED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return [queue.asc(), "-submitted_at", "-pk"]

    def has_module_permission(self, request):
        return super().has_module_permission(request) or _is_account_manager(request)

    def has_view_permission(self, request, obj=None):
        return self.can_view(request, obj)

    def has_add_permission(self, request):
        return False  # officials submit requests in the portal

    def has_change_permission(self, request, obj=None):
        return False  # a request changes only by scheduling, rejecting or the official's cancelling

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reject_permission(self, request) -> bool:
        return is_programme_staff(request.user)

    has_schedule_permission = has_reject_permission

    def get_list_display(self, request):
        if self.has_schedule_permission(request):
            return (*self.list_display, "schedule_link")
        return self.list_display

    # -- columns --------------------------------------------------------------------------------

    @admin.display(description=_("courses"))
    def items_summary(self, obj):
        return ", ".join(
            gettext("%(code)s: %(hours)s h") % {"code": i.course.code, "hours": i.hours} for i in obj.items.all()
        )

    @admin.display(description=_("hours asked"))
    def hours_asked(self, obj):
        return sum(i.hours for i in obj.items.all())

    @admin.display(description=_("hours scheduled"))
    def hours_scheduled(self, obj):
        return sum(i.scheduled for i in obj.items.all())

    @admin.display(description=_("account manager"), ordering="institution__account_manager__username")
    def account_manager(self, obj):
        return obj.institution.account_manager or "—"

    @admin.display(description=_("schedule"))
    def schedule_link(self, obj):
        if not obj.is_open:
            return "—"
        url = reverse("admin:training_sessions_trainingrequest_schedule", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Schedule"))

    @admin.display(description=_("institution's hours in the program"))
    def institution_hours(self, obj):
        usage = selectors.usage_for(institution=obj.institution, program=obj.program)
        return gettext("right %(right)s, used %(used)s, held %(held)s, remaining %(remaining)s") % {
            "right": usage.hours,
            "used": usage.hours_used,
            "held": usage.hours_held,
            "remaining": usage.hours_remaining,
        }

    @admin.display(description=_("preferred dates"))
    def windows_display(self, obj):
        windows = obj.windows
        if not windows:
            return gettext("No preference")
        return ", ".join(
            f"{formats.date_format(low, 'SHORT_DATE_FORMAT')} – {formats.date_format(high, 'SHORT_DATE_FORMAT')}"
            for low, high in windows
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_schedule": self.has_schedule_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_propose": self.has_schedule_permission(request)}
        return super().changelist_view(request, extra_context)

    # -- reject (an action with an intermediate page) -------------------------------------------

    @admin.action(description=_("Reject the selected requests with a reason"), permissions=["reject"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            done = run_each(
                self,
                request,
                queryset,
                lambda row: services.training_request_reject(request=row, reason=reason, by=request.user),
            )
            if done:
                self.message_user(
                    request,
                    ngettext("%(n)s request rejected.", "%(n)s requests rejected.", done) % {"n": done},
                    messages.SUCCESS,
                )
            return None
        return self._reject_page(request, form, list(queryset))

    def _reject_page(self, request: HttpRequest, form: RejectForm, requests: list) -> HttpResponse:
        """Asks for the reason; the page posts back to the ``reject`` action of the list."""
        context = admin_page_context(
            self,
            request,
            title=gettext("Reject training requests"),
            form=form,
            requests=requests,
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
        )
        return TemplateResponse(request, "admin/training_sessions/trainingrequest/reject.html", context)

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The reason page for one request, linked from its page."""
        if not self.has_reject_permission(request):
            raise PermissionDenied
        training_request = self.get_object(request, unquote(object_id))
        if training_request is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return self._reject_page(request, RejectForm(), [training_request])

    # -- schedule, proposal ---------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("proposal/", wrap(self.proposal_view), name="{}_{}_proposal".format(*info)),
            path("proposal/accept/", wrap(self.proposal_accept_view), name="{}_{}_proposal_accept".format(*info)),
            path("<path:object_id>/schedule/", wrap(self.schedule_view), name="{}_{}_schedule".format(*info)),
            path("<path:object_id>/reject/", wrap(self.reject_view), name="{}_{}_reject".format(*info)),
            *super().get_urls(),
        ]

    @staticmethod
    def _schedule_initial(request: HttpRequest, training_request: TrainingRequest) -> dict:
        """The request's province, and what a link (e.g. from the proposal) fills in."""
        initial = {"province": training_request.province_id}
        for key in ("item", "trainer", "hours", "address"):
            if request.GET.get(key):
                initial[key] = request.GET[key]
        for key in ("starts_at", "ends_at"):
            moment = parse_datetime(request.GET.get(key) or "")
            if moment is not None:
                initial[key] = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        return initial

    def schedule_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Turn (part of) a request item into an on-site session: ``onsite_session_schedule``."""
        if not self.has_schedule_permission(request):
            raise PermissionDenied
        training_request = self.get_object(request, unquote(object_id))
        if training_request is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:training_sessions_trainingrequest_change", args=[training_request.pk])
        if not training_request.is_open:
            self.message_user(
                request,
                gettext("This request is %(status)s: there is nothing to schedule.")
                % {"status": training_request.get_status_display()},
                messages.WARNING,
            )
            return redirect(change_url)
        form = ScheduleForm(
            request.POST if request.method == "POST" else None,
            initial=self._schedule_initial(request, training_request),
            items=selectors.items_with_scheduled_hours().filter(request=training_request),
            trainers=selectors.trainer_list().filter(is_active=True, user__is_active=True),
        )
        rule_code = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                session = services.onsite_session_schedule(
                    request=training_request,
                    course=data["item"].course,
                    trainer=data["trainer"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    hours=data["hours"],
                    province=data["province"],
                    address=data["address"],
                    by=request.user,
                )
            except RuleViolation as exc:
                rule_code = exc.code
                form.add_rule_error(exc)
            else:
                self.message_user(
                    request,
                    gettext("%(session)s scheduled for %(institution)s with %(trainer)s.")
                    % {"session": session, "institution": training_request.institution, "trainer": session.trainer},
                    messages.SUCCESS,
                )
                return redirect("admin:training_sessions_trainingsession_change", session.pk)
        context = admin_page_context(
            self,
            request,
            title=gettext("Schedule %(request)s") % {"request": training_request},
            original=training_request,
            change_url=change_url,
            form=form,
            rule_code=rule_code,
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/training_sessions/trainingrequest/schedule.html", context)

    def proposal_view(self, request: HttpRequest) -> HttpResponse:
        """A conflict-free proposal of trainers and dates for a program's open requests, to accept
        placement by placement."""
        if not self.has_schedule_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        if any(key in request.GET for key in PROPOSAL_KEYS):
            form = ProposalForm(request.GET)
        else:
            form = ProposalForm(
                initial={"first_day": today + timedelta(days=1), "last_day": today + timedelta(days=56)}
            )
        report = None
        if form.is_bound and form.is_valid():
            report = planning.proposal_report(
                program=form.cleaned_data["program"],
                first_day=form.cleaned_data["first_day"],
                last_day=form.cleaned_data["last_day"],
                tz=timezone.get_current_timezone(),
            )
        back = urlencode({key: request.GET[key] for key in PROPOSAL_KEYS if key in request.GET})
        context = admin_page_context(
            self,
            request,
            title=gettext("Schedule proposal"),
            form=form,
            report=report,
            back=back,
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/training_sessions/trainingrequest/proposal.html", context)

    def proposal_accept_view(self, request: HttpRequest) -> HttpResponse:
        """Accept one placement: scheduled through the same service as any session; if the plan
        changed since (a conflict, hours used up), the error is shown."""
        if not self.has_schedule_permission(request):
            raise PermissionDenied
        return require_POST(self._proposal_accept)(request)

    def _proposal_accept(self, request: HttpRequest) -> HttpResponse:
        back = QueryDict(request.POST.get("back", ""))
        url = reverse("admin:training_sessions_trainingrequest_proposal")
        query = urlencode({key: back[key] for key in PROPOSAL_KEYS if key in back})
        form = AcceptForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, gettext("This placement is no longer valid: run the proposal again."), messages.ERROR
            )
            return redirect(f"{url}?{query}")
        data = form.cleaned_data
        item = data["item"]
        try:
            session = services.onsite_session_schedule(
                request=item.request,
                course=item.course,
                trainer=data["trainer"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                hours=data["hours"],
                by=request.user,
            )
        except RuleViolation as exc:
            self.message_user(
                request,
                gettext("%(request)s, %(course)s: %(error)s")
                % {"request": item.request, "course": item.course.code, "error": exc.message},
                messages.ERROR,
            )
        else:
            session_url = reverse("admin:training_sessions_trainingsession_change", args=[session.pk])
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    gettext("Scheduled:"),
                    session_url,
                    f"{session} · {item.request.institution} · {session.trainer}",
                ),
                messages.SUCCESS,
            )
        return redirect(f"{url}?{query}")
