"""The centre's screens for sessions and the reservations of classroom seats.

Sessions of both kinds are listed here, with their roster and waiting list. Classroom sessions are
made as drafts and changed through ``sessions.services``, announced and cancelled by actions;
on-site sessions are made by scheduling a request (``onsite``) and changed only by cancelling. A
trainer sees the sessions they deliver. Reservations are read-only but for cancelling them (a freed
seat goes to the waiting list)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kamusm_portal.admin import ExportAdminMixin, run_each
from kamusm_portal.errors import RuleViolation, add_rule_error
from sessions import selectors, services
from sessions.admin.shared import TrainerFilter, WorkPlanAdmin
from sessions.models import Course, Reservation, SessionKind, TrainingSession, Venue
from sessions.resources import ReservationRosterResource, SessionFillResource

# --- Sessions ---------------------------------------------------------------------------------


class SessionForm(forms.ModelForm):
    """Classroom sessions: created as drafts through the service; changes through the service."""

    by = None  # the staff user of the request (``TrainingSessionAdmin.get_form``), the services' actor

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
                self.instance = services.session_create(**data, by=self.by)
            else:
                changes = {k: data[k] for k in self.changed_data if k != "program"}
                if changes.get("capacity") is None:
                    changes.pop("capacity", None)
                self.instance = services.session_update(session=self.instance, data=changes, by=self.by)
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
class TrainingSessionAdmin(ExportAdminMixin, WorkPlanAdmin):
    # The row scope: a trainer's own sessions; an account manager their institutions' on-site ones
    # (a classroom session belongs to no institution, and its roster names every institution's).
    institution_path = "institution"
    form = SessionForm
    resource_classes = [SessionFillResource]  # the fill list of classroom sessions
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
        form.by = request.user  # a class made for this request
        if "venue" in form.base_fields:
            form.base_fields["venue"].queryset = Venue.objects.filter(is_active=True)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "course":
            kwargs["queryset"] = Course.objects.filter(is_active=True)
        elif db_field.name == "trainer":
            kwargs["queryset"] = selectors.trainer_list().filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Reservations -----------------------------------------------------------------------------


@admin.register(Reservation)
class ReservationAdmin(ExportAdminMixin, SimpleHistoryAdmin):
    institution_path = "institution"  # the row scope (kamusm_portal.admin.ScopedAdmin)
    resource_classes = [ReservationRosterResource]
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
