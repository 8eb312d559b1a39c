"""Trainers and their unavailability over the API: programme staff read and make trainers and
block their time; a trainer reads their own row and enters their own unavailability."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from entitlements.api import AccountCreateSerializer
from kamusm_portal.api import IsProgrammeStaff, error_responses
from kamusm_portal.bounds import IdFilter
from kamusm_portal.roles import is_programme_staff
from sessions import selectors, services
from sessions.api.shared import ProvinceField
from sessions.models import Trainer, Unavailability


class ProgrammeStaffOrTheTrainer(permissions.BasePermission):
    """A trainer's row and work plan: programme staff, or that trainer (another user: 403)."""

    def has_object_permission(self, request, view, trainer: Trainer) -> bool:
        return is_programme_staff(request.user) or trainer.pk == request.user.pk


class TrainerSerializer(serializers.Serializer):
    """A trainer as read; ``id`` is the user id, the one ``trainer`` fields take."""

    id = serializers.IntegerField(source="pk", help_text=gettext_lazy("The user id."))
    username = serializers.CharField(source="user.username")
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    home_province = serializers.IntegerField(source="home_province_id", help_text=gettext_lazy("Plate code."))
    is_active = serializers.BooleanField()


class TrainerCreateSerializer(AccountCreateSerializer):
    home_province = ProvinceField(help_text=gettext_lazy("Plate code (1-81) of where the trainer is based."))


class UnavailabilitySerializer(serializers.ModelSerializer):
    """A block of a trainer's time that cannot be booked."""

    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        model = Unavailability
        fields = ["id", "trainer", "starts_at", "ends_at", "reason"]
        read_only_fields = ["id", "trainer"]


TRAINER_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("The trainer's (user) id.")
)


class TrainerFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    home_province = IdFilter(field_name="home_province_id", label=gettext_lazy("Plate code."))

    class Meta:
        model = Trainer
        fields = ["is_active", "home_province"]


@extend_schema_view(
    list=extend_schema(
        description="Programme staff see every trainer; a trainer only their own row; anyone else none.",
        responses={200: TrainerSerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(
        parameters=[TRAINER_ID],
        description="Programme staff, or the trainer themself (anyone else: 403; trainers are the centre's "
        "staff, their ids appear on sessions, so their existence is not hidden).",
        responses={200: TrainerSerializer, **error_responses(401, 403, 404)},
    ),
    create=extend_schema(
        request=TrainerCreateSerializer,
        description="Programme staff make a new staff user who trains. Without `password` a set-password "
        "link is e-mailed.",
        responses={201: TrainerSerializer, **error_responses(400, 401, 403)},
    ),
)
@extend_schema(tags=["trainers"])
class TrainerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The centre's trainers and their blocks of unavailability."""

    serializer_class = TrainerSerializer
    filterset_class = TrainerFilter

    def get_queryset(self):
        trainers = selectors.trainer_list()
        if self.action == "list" and not is_programme_staff(self.request.user):
            return trainers.filter(pk=self.request.user.pk)
        return trainers

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsProgrammeStaff()]
        if self.action in ("retrieve", "unavailability"):
            return [permissions.IsAuthenticated(), ProgrammeStaffOrTheTrainer()]
        return [permissions.IsAuthenticated()]

    def create(self, request, *args, **kwargs):
        serializer = TrainerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        trainer = services.trainer_create(
            username=data["username"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            home_province=data["home_province"],
            password=data.get("password") or None,
            by=request.user,
        )
        fresh = selectors.trainer_list().get(pk=trainer.pk)
        return Response(TrainerSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        parameters=[TRAINER_ID],
        summary="A trainer's blocks of unavailability",
        description="Programme staff, or the trainer themself; in time order.",
        responses={200: UnavailabilitySerializer(many=True), **error_responses(401, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        parameters=[TRAINER_ID],
        summary="Block a time of a trainer's work plan",
        description="Programme staff, or the trainer for themself (another trainer: 403). Refused with "
        "`trainer_conflict` over a session the trainer is booked on; blocks may overlap each other.",
        request=UnavailabilitySerializer,
        responses={201: UnavailabilitySerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def unavailability(self, request, pk=None):
        trainer = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(trainer.unavailability.order_by("starts_at", "pk"))
            return self.get_paginated_response(UnavailabilitySerializer(page, many=True).data)
        serializer = UnavailabilitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        block = services.unavailability_create(trainer=trainer, **serializer.validated_data, by=request.user)
        return Response(UnavailabilitySerializer(block).data, status=status.HTTP_201_CREATED)
