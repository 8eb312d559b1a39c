"""The centre's screens for the catalog, venues, classroom sessions, participants and reservations.

Announcing, cancelling and every change of seats go through ``sessions.services``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from entitlements.admin import TurkishSearchMixin
from kamusm_portal.errors import RuleViolation
from sessions import selectors, services
from sessions.models import (
    Course,
    CourseMaterial,
    Participant,
    Reservation,
    TrainingSession,
    Venue,
)


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


class SessionForm(forms.ModelForm):
    """Classroom sessions: created as drafts through the service; changes through the service."""

    class Meta:
        model = TrainingSession
        fields = ("program", "course", "venue", "starts_at", "ends_at", "capacity", "trainer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capacity"].required = False
        self.fields["capacity"].help_text = _("Empty: the program's classroom size.")

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
            placed = False
            for field, errors in exc.fields.items():
                if field in self.fields:
                    for error in errors:
                        self.add_error(field, error)
                    placed = True
            if not placed:
                self.add_error(None, exc.message)
        return data


@admin.register(TrainingSession)
class TrainingSessionAdmin(SimpleHistoryAdmin):
    form = SessionForm
    list_display = (
        "__str__",
        "course",
        "venue",
        "starts_at",
        "status",
        "capacity",
        "seats_confirmed",
        "waitlist_length",
        "trainer",
    )
    list_filter = ("status", "kind", "program", "venue", "course__audience")
    list_select_related = ("course", "venue", "trainer", "program")
    date_hierarchy = "starts_at"
    search_fields = ("course__code", "course__title_tr", "venue__name")
    readonly_fields = ("status", "announced_at", "cancelled_at", "roster")
    actions = ["announce", "cancel"]

    def get_fields(self, request, obj=None):
        fields = ["program", "course", "venue", "starts_at", "ends_at", "capacity", "trainer"]
        if obj is not None:
            fields = [f for f in fields if f != "program"] + ["status", "announced_at", "cancelled_at", "roster"]
        return fields

    def get_queryset(self, request):
        return selectors.with_seat_counts(super().get_queryset(request))

    @admin.display(description=_("confirmed"), ordering="seats_confirmed")
    def seats_confirmed(self, obj):
        return obj.seats_confirmed

    @admin.display(description=_("waiting list"), ordering="waitlist_length")
    def waitlist_length(self, obj):
        return obj.waitlist_length

    @admin.display(description=_("roster and waiting list"))
    def roster(self, obj):
        rows = selectors.session_roster(session=obj)
        return (
            format_html_join(
                "",
                "<div>{} · {} · {} · {}</div>",
                (
                    (
                        r.get_status_display() if r.position is None else f"{r.get_status_display()} #{r.position}",
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
        for session in queryset:
            try:
                service(session=session, by=request.user)
            except RuleViolation as exc:
                self.message_user(request, f"{session}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, done_message % {"session": session}, messages.SUCCESS)

    @admin.action(description=_("Announce the selected sessions"))
    def announce(self, request, queryset):
        self._run(request, queryset, services.session_announce, gettext("%(session)s announced."))

    @admin.action(description=_("Cancel the selected sessions"))
    def cancel(self, request, queryset):
        self._run(request, queryset, services.session_cancel, gettext("%(session)s cancelled."))

    def has_delete_permission(self, request, obj=None):
        return False  # sessions are cancelled, never deleted: reservations keep their history

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "venue" in form.base_fields:
            form.base_fields["venue"].queryset = Venue.objects.filter(is_active=True)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "course":
            kwargs["queryset"] = Course.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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
        for reservation in queryset:
            try:
                services.reservation_cancel(reservation=reservation, by=request.user)
            except RuleViolation as exc:
                self.message_user(request, f"{reservation}: {exc.message}", messages.ERROR)
