"""The REST API of classroom sessions (API.md): the catalog, venues, participants, sessions and
reservations.

Views check the shape of what comes in and call services and selectors; rules live there.
Who may do what: any logged-in user reads the catalog and the venues (course materials only for
programme staff and officials of entitled institutions); an official manages their own
institution's participants and reservations and reads the announced classroom sessions;
programme staff do everything. An object of another institution is 404 for every method; on an
object the user can see, an action their role may not take is 403.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from entitlements.api import ProgrammeStaffOnObject, _errors
from entitlements.models import Institution, Program, Unit
from entitlements.selectors import official_institution
from kamusm_portal.api import IsProgrammeStaff, is_programme_staff
from sessions import selectors, services
from sessions.models import (
    Audience,
    Course,
    CourseMaterial,
    Language,
    MaterialKind,
    Participant,
    Reservation,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingSession,
    Venue,
)

User = get_user_model()


class IsOfficialOrProgrammeStaff(permissions.BasePermission):
    """Creating participants and reservations: an official (for their institution) or staff."""

    def has_permission(self, request, view) -> bool:
        return is_programme_staff(request.user) or official_institution(request.user) is not None


# --- Catalog and venues ---------------------------------------------------------------------


class CourseMaterialSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=gettext_lazy("The video link, or the file's absolute URL."))

    class Meta:
        model = CourseMaterial
        fields = ["id", "kind", "title", "url"]

    def get_url(self, material: CourseMaterial) -> str:
        if material.kind == MaterialKind.VIDEO or not material.file:
            return material.url
        request = self.context.get("request")
        path = reverse("sessions_portal:material_download", args=[material.pk])
        return request.build_absolute_uri(path) if request else path


class CourseSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True, help_text=gettext_lazy("In the request's language."))
    description = serializers.CharField(read_only=True, help_text=gettext_lazy("In the request's language."))
    materials = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "Recorded videos and files; only programme staff and officials of entitled institutions see them, "
            "anyone else gets []."
        )
    )

    class Meta:
        model = Course
        fields = ["id", "code", "title", "title_tr", "title_en", "description", "audience", "hours", "materials"]

    @extend_schema_field(CourseMaterialSerializer(many=True))
    def get_materials(self, course: Course) -> list[dict[str, Any]]:
        if not self.context.get("materials_visible"):
            return []
        return CourseMaterialSerializer(course.materials.all(), many=True, context=self.context).data


class CourseFilter(django_filters.FilterSet):
    audience = django_filters.ChoiceFilter(choices=Audience.choices)

    class Meta:
        model = Course
        fields = ["audience"]


@extend_schema_view(
    list=extend_schema(responses={200: CourseSerializer(many=True), **_errors(401)}),
    retrieve=extend_schema(responses={200: CourseSerializer, **_errors(401, 404)}),
)
@extend_schema(tags=["catalog"])
class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalog of active courses, for any logged-in user."""

    serializer_class = CourseSerializer
    filterset_class = CourseFilter

    def get_queryset(self):
        return selectors.course_list()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["materials_visible"] = selectors.materials_visible(self.request.user)
        return context


class VenueSerializer(serializers.ModelSerializer):
    province = serializers.IntegerField(source="province_id", read_only=True, help_text=gettext_lazy("Plate code."))

    class Meta:
        model = Venue
        fields = ["id", "name", "province", "address", "seats"]


@extend_schema_view(
    list=extend_schema(responses={200: VenueSerializer(many=True), **_errors(401)}),
    retrieve=extend_schema(responses={200: VenueSerializer, **_errors(401, 404)}),
)
@extend_schema(tags=["catalog"])
class VenueViewSet(viewsets.ReadOnlyModelViewSet):
    """The centre's active classrooms, for any logged-in user."""

    serializer_class = VenueSerializer
    queryset = Venue.objects.filter(is_active=True).order_by("name")


# --- Participants ---------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class VisibleInstitutionField(serializers.PrimaryKeyRelatedField):
    """An institution id among those the user may act for (another one reads as unknown)."""

    def get_queryset(self):
        request = self.context["request"]
        if is_programme_staff(request.user):
            return Institution.objects.all()
        return Institution.objects.filter(officials__user=request.user)


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
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
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
    institution = django_filters.NumberFilter(
        field_name="institution_id", label=gettext_lazy("Institution id (useful to programme staff).")
    )
    role = django_filters.ChoiceFilter(choices=Audience.choices)

    class Meta:
        model = Participant
        fields = ["institution", "role"]


@extend_schema_view(
    list=extend_schema(responses={200: ParticipantSerializer(many=True), **_errors(400, 401)}),
    create=extend_schema(responses={201: ParticipantSerializer, **_errors(400, 401, 403)}),
    retrieve=extend_schema(responses={200: ParticipantSerializer, **_errors(401, 404)}),
    partial_update=extend_schema(responses={200: ParticipantSerializer, **_errors(400, 401, 404)}),
    destroy=extend_schema(
        description="A participant with history is anonymised rather than deleted; one holding live "
        "reservations is refused (`participant_in_use`).",
        responses={204: None, **_errors(400, 401, 404)},
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
        institution = data.pop("institution", None)
        if not is_programme_staff(request.user):
            institution = official_institution(request.user)
        elif institution is None:
            raise serializers.ValidationError({"institution": [_("This field is required.")]})
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


# --- Sessions -------------------------------------------------------------------------------


class SessionSerializer(serializers.Serializer):
    """A session as read, with its seats and waiting list counted."""

    id = serializers.IntegerField()
    program = serializers.IntegerField(source="program_id")
    course = serializers.IntegerField(source="course_id")
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    venue = serializers.IntegerField(source="venue_id", allow_null=True)
    province = serializers.SerializerMethodField(help_text=gettext_lazy("Plate code (the venue's for a classroom)."))
    address = serializers.SerializerMethodField()
    institution = serializers.SerializerMethodField(
        help_text=gettext_lazy("The institution of an on-site session; null for a classroom session.")
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    hours = serializers.IntegerField(
        source="counted_hours",
        help_text=gettext_lazy("On-site: the hours counted against the institution's right; classroom: the course's."),
    )
    capacity = serializers.IntegerField()
    seats_confirmed = serializers.IntegerField()
    seats_free = serializers.SerializerMethodField()
    waitlist_length = serializers.IntegerField(
        help_text=gettext_lazy("Waitlisted reservations; 0 once the session has started (the list expires).")
    )
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    trainer = serializers.IntegerField(
        source="trainer_id", allow_null=True, help_text=gettext_lazy("Trainer id (see /trainers/).")
    )

    def get_province(self, session: TrainingSession) -> int | None:
        if session.province_id:
            return session.province_id
        return session.venue.province_id if session.venue_id else None

    def get_address(self, session: TrainingSession) -> str:
        if session.kind == SessionKind.ONSITE:
            return session.address
        return session.venue.address if session.venue_id else ""

    @extend_schema_field(OpenApiTypes.INT)
    def get_institution(self, session: TrainingSession) -> int | None:
        return session.institution_id

    def get_seats_free(self, session: TrainingSession) -> int:
        return max(session.capacity - session.seats_confirmed, 0)


class SessionWriteSerializer(serializers.Serializer):
    """A classroom session as written by programme staff (a new one is a draft)."""

    program = serializers.PrimaryKeyRelatedField(queryset=Program.objects.all())
    course = serializers.PrimaryKeyRelatedField(queryset=Course.objects.all())
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.all())
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(
        min_value=1, required=False, help_text=gettext_lazy("The program's classroom size by default.")
    )
    trainer = serializers.PrimaryKeyRelatedField(
        queryset=Trainer.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Trainer id (see /trainers/)."),
    )


class SessionUpdateSerializer(SessionWriteSerializer):
    """The fields of a classroom session staff may change (not its program)."""

    program = None


class SessionFilter(django_filters.FilterSet):
    program = django_filters.NumberFilter(field_name="program_id")
    course = django_filters.NumberFilter(field_name="course_id")
    status = django_filters.ChoiceFilter(choices=SessionStatus.choices)
    kind = django_filters.ChoiceFilter(choices=SessionKind.choices)

    class Meta:
        model = TrainingSession
        fields = ["program", "course", "status", "kind"]


@extend_schema_view(
    list=extend_schema(responses={200: SessionSerializer(many=True), **_errors(400, 401)}),
    retrieve=extend_schema(responses={200: SessionSerializer, **_errors(401, 404)}),
    create=extend_schema(request=SessionWriteSerializer, responses={201: SessionSerializer, **_errors(400, 401, 403)}),
    partial_update=extend_schema(
        request=SessionUpdateSerializer,
        description="Moving an announced session's start is checked against the notice period (`notice_period`).",
        responses={200: SessionSerializer, **_errors(400, 401, 403, 404)},
    ),
)
@extend_schema(tags=["sessions"])
class SessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Sessions: officials read the announced (and completed) classroom sessions; programme staff
    read all and create, change, announce and cancel classroom sessions."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.session_list(user=self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsProgrammeStaff()]
        if self.action in ("partial_update", "announce", "cancel"):
            return [permissions.IsAuthenticated(), ProgrammeStaffOnObject()]
        return [permissions.IsAuthenticated()]

    def _answer(self, session: TrainingSession, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.session_list(user=self.request.user).get(pk=session.pk)
        return Response(SessionSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = SessionWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        session = services.session_create(**serializer.validated_data, by=request.user)
        return self._answer(session, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        session = self.get_object()
        serializer = SessionUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        session = services.session_update(session=session, data=dict(serializer.validated_data), by=request.user)
        return self._answer(session)

    @extend_schema(
        request=None,
        description="Publish a draft session to officials; refused with `notice_period` when it starts "
        "less than the program's notice days ahead.",
        responses={200: SessionSerializer, **_errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def announce(self, request, pk=None):
        session = services.session_announce(session=self.get_object(), by=request.user)
        return self._answer(session)

    @extend_schema(
        request=None,
        description="Cancel the session: its live reservations are cancelled and their officials notified.",
        responses={200: SessionSerializer, **_errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        session = services.session_cancel(session=self.get_object(), by=request.user)
        return self._answer(session)


# --- Reservations ---------------------------------------------------------------------------


class ReservationSerializer(serializers.ModelSerializer):
    position = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Waiting-list rank in the session, from 1; null unless waitlisted."),
    )

    class Meta:
        model = Reservation
        fields = ["id", "participant", "session", "institution", "status", "position", "applied_at"]
        read_only_fields = fields


class ReservationCreateSerializer(serializers.Serializer):
    session = serializers.PrimaryKeyRelatedField(
        queryset=TrainingSession.objects.all(),
        help_text=gettext_lazy("Session id; one not open for reservations is refused with `session_not_open`."),
    )
    participants = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=100,
        help_text=gettext_lazy("Participant ids of one institution, in the order their seats are taken."),
    )


class ReservationFilter(django_filters.FilterSet):
    session = django_filters.NumberFilter(field_name="session_id")
    status = django_filters.ChoiceFilter(choices=ReservationStatus.choices)
    institution = django_filters.NumberFilter(
        field_name="institution_id", label=gettext_lazy("Institution id (useful to programme staff).")
    )

    class Meta:
        model = Reservation
        fields = ["session", "status", "institution"]


@extend_schema_view(
    list=extend_schema(responses={200: ReservationSerializer(many=True), **_errors(400, 401)}),
    retrieve=extend_schema(responses={200: ReservationSerializer, **_errors(401, 404)}),
    create=extend_schema(
        request=ReservationCreateSerializer,
        description="Apply for seats: one element per participant, in the order sent. Seats are confirmed "
        "while the session has free seats, the rest waitlisted. Refused whole with `session_not_open`, "
        "`not_entitled`, `duplicate_participant`, `institution_quota` (with `fields.remaining`) or "
        "`program_closed`. An unknown session id is 400 `invalid`; a participant the user cannot see "
        "is 404.",
        responses={201: ReservationSerializer(many=True), **_errors(400, 401, 403, 404)},
    ),
)
@extend_schema(tags=["reservations"])
class ReservationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Reservations of classroom seats: an official's for their institution; programme staff all."""

    serializer_class = ReservationSerializer
    filterset_class = ReservationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no database work
            return Reservation.objects.none()
        if self.action == "cancel":
            return selectors.reservations_visible(self.request.user)
        return selectors.reservation_list(user=self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsOfficialOrProgrammeStaff()]
        return [permissions.IsAuthenticated()]

    def create(self, request, *args, **kwargs):
        serializer = ReservationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data["participants"]
        found = selectors.participants_visible(request.user).select_related("institution").in_bulk(ids)
        if any(pk not in found for pk in ids):
            raise exceptions.NotFound()
        made = services.reservation_create(
            session=serializer.validated_data["session"],
            participants=[found[pk] for pk in ids],
            by=request.user,
        )
        return Response(ReservationSerializer(made, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        description="Cancel until the session starts (`session_not_open` after); a freed seat goes at "
        "once to the first waitlisted.",
        responses={200: ReservationSerializer, **_errors(400, 401, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        reservation = services.reservation_cancel(reservation=self.get_object(), by=request.user)
        fresh = selectors.reservation_list(user=request.user).get(pk=reservation.pk)
        return Response(ReservationSerializer(fresh).data)
