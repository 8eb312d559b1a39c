"""What the sessions app's changelists export (the admin's "Export" button, CSV or XLSX through
``kamusm_portal.admin.ExportAdminMixin``): the fill list of classroom sessions, the rosters
(reservations, on-site enrolments, attendance) and the on-site training requests.

Each resource exports the rows its changelist shows (the admin's queryset scopes them: a trainer
their own sessions' rows, an account manager their institutions' requests) and joins or counts in
``filter_export`` what its columns read, so an export runs a fixed number of queries whatever its
length. Headers are translated (``pgettext_lazy("column", ...)``); values are native (numbers,
times), written by ``kamusm_portal.exports``'s one cell rule.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import pgettext_lazy
from import_export import fields, resources

from sessions import selectors
from sessions.models import Attendance, Enrolment, Reservation, SessionKind, TrainingRequest, TrainingSession


def _column(header) -> fields.Field:
    """A column whose value a ``dehydrate_<name>`` method of the resource gives."""
    return fields.Field(column_name=header, readonly=True)


class SessionFillResource(resources.ModelResource):
    """How full each classroom session is: seats confirmed and free, and the waiting list (empty
    once the session has started), counted by ``selectors.with_seat_counts`` as the list shows
    them. On-site sessions have rosters, not seats: they are left out."""

    course = _column(pgettext_lazy("column", "Course"))
    venue = _column(pgettext_lazy("column", "Venue"))
    starts_at = _column(pgettext_lazy("column", "Starts at"))
    capacity = _column(pgettext_lazy("column", "Capacity"))
    confirmed = _column(pgettext_lazy("column", "Confirmed seats"))
    free = _column(pgettext_lazy("column", "Free seats"))
    waiting = _column(pgettext_lazy("column", "Waiting list"))
    status = _column(pgettext_lazy("column", "Status"))

    class Meta:
        model = TrainingSession
        fields = ("course", "venue", "starts_at", "capacity", "confirmed", "free", "waiting", "status")
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        # The changelist's queryset is already counted (``with_seat_counts``).
        return queryset.filter(kind=SessionKind.CLASSROOM).select_related("course", "venue")

    def dehydrate_course(self, session: TrainingSession) -> str:
        return str(session.course)

    def dehydrate_venue(self, session: TrainingSession) -> str:
        return session.venue.name if session.venue else ""

    def dehydrate_starts_at(self, session: TrainingSession):
        return session.starts_at

    def dehydrate_capacity(self, session: TrainingSession) -> int:
        return session.capacity

    def dehydrate_confirmed(self, session: TrainingSession) -> int:
        return session.seats_confirmed

    def dehydrate_free(self, session: TrainingSession) -> int:
        return session.seats_free

    def dehydrate_waiting(self, session: TrainingSession) -> int:
        return session.waitlist_length

    def dehydrate_status(self, session: TrainingSession) -> str:
        return session.get_status_display()


class _RosterResource(resources.ModelResource):
    """A row of a roster: who (name, institution, unit), on which session."""

    participant = _column(pgettext_lazy("column", "Participant"))
    institution = _column(pgettext_lazy("column", "Institution"))
    unit = _column(pgettext_lazy("column", "Unit"))
    session = _column(pgettext_lazy("column", "Session"))

    roster_joins = ("participant", "participant__unit", "session", "session__course")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(*self.roster_joins)

    def dehydrate_participant(self, row) -> str:
        return row.participant.full_name

    def dehydrate_institution(self, row) -> str:
        return row.institution.name

    def dehydrate_unit(self, row) -> str:
        return row.participant.unit.name

    def dehydrate_session(self, row) -> str:
        return str(row.session)


class ReservationRosterResource(_RosterResource):
    """Reservations of classroom seats, with their status as of now (a waiting place on a session
    that has started reads expired) and when they were applied for."""

    status = _column(pgettext_lazy("column", "Status"))
    applied_at = _column(pgettext_lazy("column", "Applied at"))

    roster_joins = (*_RosterResource.roster_joins, "institution")

    class Meta:
        model = Reservation
        fields = ("participant", "institution", "unit", "session", "status", "applied_at")
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return super().filter_export(queryset).with_current_status()

    def dehydrate_status(self, row: Reservation) -> str:
        return row.get_current_status_display()

    def dehydrate_applied_at(self, row: Reservation):
        return row.applied_at


class EnrolmentRosterResource(_RosterResource):
    """The rosters of on-site sessions: who is enrolled, since when."""

    enrolled_at = _column(pgettext_lazy("column", "Enrolled at"))

    roster_joins = (*_RosterResource.roster_joins, "institution")

    class Meta:
        model = Enrolment
        fields = ("participant", "institution", "unit", "session", "enrolled_at")
        export_order = fields

    def dehydrate_enrolled_at(self, row: Enrolment):
        return row.enrolled_at


class AttendanceResource(_RosterResource):
    """The attendance recorded on sessions: each person's mark, and when it was recorded."""

    status = _column(pgettext_lazy("column", "Attendance"))
    recorded_at = _column(pgettext_lazy("column", "Recorded at"))

    roster_joins = (*_RosterResource.roster_joins, "participant__institution")

    class Meta:
        model = Attendance
        fields = ("participant", "institution", "unit", "session", "status", "recorded_at")
        export_order = fields

    def dehydrate_institution(self, row: Attendance) -> str:
        return row.participant.institution.name

    def dehydrate_status(self, row: Attendance) -> str:
        return row.get_status_display()

    def dehydrate_recorded_at(self, row: Attendance):
        return row.recorded_at


class TrainingRequestResource(resources.ModelResource):
    """On-site training requests: whose, in which program and province, the courses with the hours
    asked and scheduled so far, and where the request stands."""

    request = _column(pgettext_lazy("column", "Request"))
    institution = _column(pgettext_lazy("column", "Institution"))
    program = _column(pgettext_lazy("column", "Program"))
    province = _column(pgettext_lazy("column", "Province"))
    courses = _column(pgettext_lazy("column", "Courses"))
    hours_asked = _column(pgettext_lazy("column", "Hours asked"))
    hours_scheduled = _column(pgettext_lazy("column", "Hours scheduled"))
    status = _column(pgettext_lazy("column", "Status"))
    submitted_at = _column(pgettext_lazy("column", "Submitted at"))

    class Meta:
        model = TrainingRequest
        fields = (
            "request",
            "institution",
            "program",
            "province",
            "courses",
            "hours_asked",
            "hours_scheduled",
            "status",
            "submitted_at",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        items = Prefetch("items", queryset=selectors.items_with_scheduled_hours())  # with their courses
        return (
            queryset.select_related("institution", "program", "province")
            .prefetch_related(None)  # the changelist's own prefetch, replaced by the same one
            .prefetch_related(items)
        )

    def dehydrate_request(self, row: TrainingRequest) -> int:
        return row.pk

    def dehydrate_institution(self, row: TrainingRequest) -> str:
        return row.institution.name

    def dehydrate_program(self, row: TrainingRequest) -> str:
        return str(row.program)

    def dehydrate_province(self, row: TrainingRequest) -> str:
        return str(row.province) if row.province else ""

    def dehydrate_courses(self, row: TrainingRequest) -> str:
        return ", ".join(f"{item.course.code} ({item.hours})" for item in row.items.all())

    def dehydrate_hours_asked(self, row: TrainingRequest) -> int:
        return sum(item.hours for item in row.items.all())

    def dehydrate_hours_scheduled(self, row: TrainingRequest) -> int:
        return sum(item.scheduled for item in row.items.all())

    def dehydrate_status(self, row: TrainingRequest) -> str:
        return row.get_status_display()

    def dehydrate_submitted_at(self, row: TrainingRequest):
        return row.submitted_at
