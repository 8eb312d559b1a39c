"""The rosters and attendance of sessions, read-only (recorded in the portal and the API): programme
staff see every row, a trainer the rows of the sessions they deliver."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kamusm_portal.admin import ExportAdminMixin, TurkishSearchMixin
from sessions.admin.shared import WorkPlanAdmin
from sessions.models import Attendance, Enrolment
from sessions.resources import AttendanceResource, EnrolmentRosterResource


class _OwnSessionsReadOnly(TurkishSearchMixin, WorkPlanAdmin):
    """A read-only list of rows of sessions; a trainer sees those of the sessions they deliver."""

    trainer_path = "session__trainer"  # a trainer: the sessions they deliver

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(ExportAdminMixin, _OwnSessionsReadOnly):
    institution_path = "institution"  # an account manager: their institutions' people
    resource_classes = [EnrolmentRosterResource]
    search_key_field = "institution__search_key"
    list_display = ("participant", "institution", "session", "enrolled_at", "enrolled_by")
    list_filter = ("session__program", "session__kind", "session__course")
    list_select_related = ("participant", "institution", "session", "session__course", "enrolled_by")
    date_hierarchy = "enrolled_at"


@admin.register(Attendance)
class AttendanceAdmin(ExportAdminMixin, _OwnSessionsReadOnly):
    institution_path = "participant__institution"
    resource_classes = [AttendanceResource]
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
