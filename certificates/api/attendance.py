"""Attendance in the REST API: a session's attendance sheet and its recording, which issues and
revokes certificates in the same transaction. Programme staff or the session's own trainer record
it (anyone else who can see the session: 403)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response

from certificates import services
from kamusm_portal.api import BareArrayOnPostSchema, error_responses
from sessions import selectors as session_selectors
from sessions.models import AttendanceStatus, TrainingSession
from sessions.services import may_record_attendance


class AttendanceRecorder(permissions.BasePermission):
    """Attendance: programme staff or the session's own trainer (anyone else who can see it: 403)."""

    def has_object_permission(self, request, view, session: TrainingSession) -> bool:
        return may_record_attendance(request.user, session)


class AttendanceSerializer(serializers.Serializer):
    """A mark: sent as ``{participant, status}``, answered with when it was recorded. (One serializer
    both ways, so the schema has one attendance enum.)"""

    participant = serializers.IntegerField(
        min_value=1, source="participant_id", help_text=gettext_lazy("Participant id.")
    )
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    recorded_at = serializers.DateTimeField(read_only=True)


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": AttendanceStatus.values}],
        "nullable": True,
        "description": "full / partial / absent; null until recorded.",
    }
)
class MarkOrNoneField(serializers.CharField):
    """An attendance mark as read on the sheet, null while none is recorded."""


class AttendanceSheetRowSerializer(serializers.Serializer):
    """Someone on the roster with their mark so far."""

    participant = serializers.IntegerField(help_text=gettext_lazy("Participant id."))
    status = MarkOrNoneField(allow_null=True)
    recorded_at = serializers.DateTimeField(allow_null=True)


@extend_schema(tags=["sessions"])
class SessionAttendanceView(generics.GenericAPIView):
    """``/sessions/{id}/attendance/``: the attendance sheet of a session, and recording it (which
    issues and revokes certificates in the same transaction, ``services.attendance_record``)."""

    permission_classes = [permissions.IsAuthenticated, AttendanceRecorder]
    queryset = TrainingSession.objects.none()  # the schema reads its model; get_queryset answers the visible ones
    schema = BareArrayOnPostSchema()
    serializer_class = AttendanceSerializer
    filterset_class = None

    def get_queryset(self):
        return session_selectors.sessions_visible(self.request.user)

    @extend_schema(
        operation_id="v1_sessions_attendance_list",
        summary="The attendance sheet of a session",
        description="Programme staff and the session's trainer: everyone on the roster (confirmed seats, or "
        "enrolments) with their mark so far, null until recorded.",
        responses={200: AttendanceSheetRowSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, pk=None):
        session = self.get_object()
        rows = [
            {
                "participant": participant.pk,
                "status": mark.status if mark else None,
                "recorded_at": mark.recorded_at if mark else None,
            }
            for participant, mark in session_selectors.attendance_sheet(session=session)
        ]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AttendanceSheetRowSerializer(page, many=True).data)

    @extend_schema(
        operation_id="v1_sessions_attendance_create",
        summary="Record attendance",
        description="Programme staff and the session's trainer, after the session ends: a JSON array of marks, "
        "which may cover part of the roster and may be sent again (the same marks change nothing; a "
        "different one corrects it). Answers one row per mark, in the order sent. "
        "`attendance_not_allowed` before the end, on a cancelled session, or for someone not on the "
        "roster (whatever the id: the answer never tells whether a participant exists). Once everyone "
        "on the roster has a mark the session is `completed`.",
        request=AttendanceSerializer(many=True),
        responses={200: AttendanceSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, pk=None):
        session = self.get_object()
        serializer = AttendanceSerializer(data=request.data, many=True, allow_empty=False, max_length=1000)
        serializer.is_valid(raise_exception=True)
        marks = [(mark["participant_id"], mark["status"]) for mark in serializer.validated_data]
        rows = services.attendance_record(session=session, marks=marks, by=request.user)
        return Response(AttendanceSerializer(rows, many=True).data, status=status.HTTP_200_OK)
