"""The rosters of on-site sessions over the API (``sessions/{id}/enrolments/``, served by
``classroom.SessionViewSet``): programme staff and the officials of the session's institution keep
them, the session's trainer reads them. Attendance is recorded in the certificates app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import permissions, serializers

from entitlements.selectors import official_institution
from kamusm_portal.roles import is_programme_staff
from sessions.models import Enrolment, TrainingSession


class RosterKeeper(permissions.BasePermission):
    """An on-site roster: programme staff, or an official of the session's institution; the
    session's trainer may read it. Anyone else who can see the session: 403."""

    def has_object_permission(self, request, view, session: TrainingSession) -> bool:
        user = request.user
        if is_programme_staff(user):
            return True
        if request.method in permissions.SAFE_METHODS and session.trainer_id == user.pk:
            return True
        institution = official_institution(user)
        return institution is not None and session.institution_id == institution.pk


class EnrolmentSerializer(serializers.ModelSerializer):
    """A participant on an on-site session's roster."""

    class Meta:
        model = Enrolment
        fields = ["id", "participant", "session", "enrolled_at"]
        read_only_fields = fields


class EnrolmentCreateSerializer(serializers.Serializer):
    participants = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=1000,
        help_text=gettext_lazy("Participant ids of the session's institution."),
    )
