"""Participants over the API: an official manages their own institution's participants,
programme staff everyone's; another institution's participant is 404."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from entitlements.models import Unit
from entitlements.selectors import official_institution
from kamusm_portal.api import EmailField, error_responses
from kamusm_portal.bounds import IdFilter
from kamusm_portal.roles import is_programme_staff
from kamusm_portal.validators import validate_person_name
from sessions import selectors, services
from sessions.api.shared import IsOfficialOrProgrammeStaff, VisibleInstitutionField, acting_institution
from sessions.models import Audience, Language, Participant


@extend_schema_field(OpenApiTypes.INT)
class VisibleUnitField(serializers.PrimaryKeyRelatedField):
    """A unit id among the units of the institutions the user may act for."""

    def get_queryset(self):
        request = self.context["request"]
        if is_programme_staff(request.user):
            return Unit.objects.all()
        return Unit.objects.filter(institution__officials__user=request.user)


@extend_schema_field({"type": "string", "enum": Audience.values})
class RoleField(serializers.ChoiceField):
    """A participant's role: the audience choices, inline in the schema (a second name for the
    ``audience`` enum would be a schema warning)."""


class ParticipantSerializer(serializers.Serializer):
    """A participant nominated by an institution. The kimlik no is checked by its checksum
    (``invalid_kimlik_no``) and shown masked (``123******50``) to anyone but programme staff and
    the institution's own officials."""

    id = serializers.IntegerField(read_only=True)
    institution = VisibleInstitutionField(
        required=False,
        help_text=gettext_lazy(
            "Institution id; required from programme staff on creation, an official's own otherwise. "
            "Set on creation only."
        ),
    )
    first_name = serializers.CharField(max_length=100, validators=[validate_person_name])
    last_name = serializers.CharField(max_length=100, validators=[validate_person_name])
    email = EmailField(max_length=254, required=False, allow_blank=True, default="")
    unit = VisibleUnitField(
        required=False,
        help_text=gettext_lazy("Id of a unit of the institution; the central (merkez) unit by default."),
    )
    role = RoleField(choices=Audience.choices, default=Audience.USER)
    kimlik_no = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=32,
        help_text=gettext_lazy("T.C. kimlik no (optional); masked as 123******50 except to staff and own officials."),
    )
    multiplier = serializers.BooleanField(
        default=False, help_text=gettext_lazy("Expected to pass the knowledge on inside the institution.")
    )
    language = serializers.ChoiceField(choices=Language.choices, default=Language.TR)
    live_reservations = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Confirmed reservations and waiting-list places still open.")
    )
    anonymised = serializers.SerializerMethodField()

    def get_anonymised(self, participant: Participant) -> bool:
        return participant.anonymised_at is not None

    def to_representation(self, participant: Participant) -> dict[str, Any]:
        data = super().to_representation(participant)
        if not self._sees_kimlik_no(participant):
            data["kimlik_no"] = participant.kimlik_no_masked
        return data

    def _sees_kimlik_no(self, participant: Participant) -> bool:
        return self.context.get("staff", False) or participant.institution_id == self.context.get("institution_id")


class ParticipantFilter(django_filters.FilterSet):
    institution = IdFilter(
        field_name="institution_id", label=gettext_lazy("Institution id (useful to programme staff).")
    )
    role = django_filters.ChoiceFilter(choices=Audience.choices)

    class Meta:
        model = Participant
        fields = ["institution", "role"]


@extend_schema_view(
    list=extend_schema(responses={200: ParticipantSerializer(many=True), **error_responses(400, 401)}),
    create=extend_schema(responses={201: ParticipantSerializer, **error_responses(400, 401, 403)}),
    retrieve=extend_schema(responses={200: ParticipantSerializer, **error_responses(401, 404)}),
    partial_update=extend_schema(responses={200: ParticipantSerializer, **error_responses(400, 401, 404)}),
    destroy=extend_schema(
        description="A participant with history is anonymised rather than deleted; one holding live "
        "reservations is refused (`participant_in_use`).",
        responses={204: None, **error_responses(400, 401, 404)},
    ),
)
@extend_schema(tags=["participants"])
class ParticipantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """An institution's participants: its officials and programme staff manage them."""

    serializer_class = ParticipantSerializer
    filterset_class = ParticipantFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.participant_list(user=self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsOfficialOrProgrammeStaff()]
        return [permissions.IsAuthenticated()]

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        user = self.request.user
        context["staff"] = is_programme_staff(user)
        institution = None if context["staff"] else official_institution(user)
        context["institution_id"] = institution.pk if institution else None
        return context

    def _fresh(self, participant: Participant) -> Participant:
        return self.get_queryset().get(pk=participant.pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        institution = acting_institution(request, data.pop("institution", None))
        participant = services.participant_create(institution=institution, data=data, by=request.user)
        return Response(self.get_serializer(self._fresh(participant)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        participant = self.get_object()
        serializer = self.get_serializer(participant, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("institution", None)  # set on creation only
        services.participant_update(participant=participant, data=data, by=request.user)
        return Response(self.get_serializer(self._fresh(participant)).data)

    def perform_destroy(self, instance: Participant) -> None:
        services.participant_delete(participant=instance, by=self.request.user)
