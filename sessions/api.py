"""The REST API of the sessions app (API.md): the catalog, venues, participants, sessions,
reservations, on-site training requests and their scheduling, trainers and their unavailability,
on-site rosters and attendance.

Views check the shape of what comes in and call services and selectors; rules live there.
Who may do what: any logged-in user reads the catalog and the venues (course materials only for
programme staff and officials of entitled institutions); an official manages their own
institution's participants, reservations, training requests and on-site rosters, and reads the
announced classroom sessions and their own on-site sessions; an account manager reads the
requests of their institutions; a trainer reads their own sessions, records their attendance and
enters their own unavailability; programme staff do everything. An object of another institution
is 404 for every method; on an object the user can see, an action their role may not take is 403.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from entitlements.api import AccountCreateSerializer
from entitlements.models import Delivery, Institution, Program, Province, Unit
from entitlements.selectors import entitlement_list, entitlement_rows, institution_list, official_institution
from kamusm_portal.api import BareArrayOnPostSchema, IsProgrammeStaff, ProgrammeStaffOnObject, error_responses
from kamusm_portal.roles import is_programme_staff
from sessions import selectors, services
from sessions.models import (
    Audience,
    Course,
    CourseMaterial,
    Enrolment,
    Language,
    MaterialKind,
    Participant,
    RequestStatus,
    Reservation,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingSession,
    Unavailability,
    Venue,
)

User = get_user_model()


def _acting_institution(request, chosen: Institution | None) -> Institution:
    """The institution a create acts for: an official's own (whatever was sent), or the one
    programme staff name (required of them)."""
    if not is_programme_staff(request.user):
        return official_institution(request.user)
    if chosen is None:
        raise serializers.ValidationError({"institution": [_("This field is required.")]})
    return chosen


class IsOfficialOrProgrammeStaff(permissions.BasePermission):
    """Creating participants, reservations and training requests: an official (for their
    institution) or staff."""

    def has_permission(self, request, view) -> bool:
        return is_programme_staff(request.user) or official_institution(request.user) is not None


class OwnOfficialOnObject(permissions.BasePermission):
    """On an object the user can see, only an official of the object's institution may act
    (programme staff and account managers: 403; staff reject a request rather than cancel it)."""

    def has_object_permission(self, request, view, obj) -> bool:
        institution = official_institution(request.user)
        return institution is not None and obj.institution_id == institution.pk


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


class ProgrammeStaffOrTheTrainer(permissions.BasePermission):
    """A trainer's row and work plan: programme staff, or that trainer (another user: 403)."""

    def has_object_permission(self, request, view, trainer: Trainer) -> bool:
        return is_programme_staff(request.user) or trainer.pk == request.user.pk


@extend_schema_field(OpenApiTypes.INT)
class ProvinceField(serializers.PrimaryKeyRelatedField):
    """A province by its plate code (1-81)."""

    default_error_messages = {
        "does_not_exist": gettext_lazy("There is no province with plate code {pk_value}."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Province.objects.all())
        super().__init__(**kwargs)


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
    list=extend_schema(responses={200: CourseSerializer(many=True), **error_responses(401)}),
    retrieve=extend_schema(responses={200: CourseSerializer, **error_responses(401, 404)}),
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
    list=extend_schema(responses={200: VenueSerializer(many=True), **error_responses(401)}),
    retrieve=extend_schema(responses={200: VenueSerializer, **error_responses(401, 404)}),
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
        institution = _acting_institution(request, data.pop("institution", None))
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
        return session.seats_free


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


class SessionFilter(django_filters.FilterSet):
    program = django_filters.NumberFilter(field_name="program_id")
    course = django_filters.NumberFilter(field_name="course_id")
    status = django_filters.ChoiceFilter(choices=SessionStatus.choices)
    kind = django_filters.ChoiceFilter(choices=SessionKind.choices)

    class Meta:
        model = TrainingSession
        fields = ["program", "course", "status", "kind"]


@extend_schema_view(
    list=extend_schema(responses={200: SessionSerializer(many=True), **error_responses(400, 401)}),
    retrieve=extend_schema(responses={200: SessionSerializer, **error_responses(401, 404)}),
    create=extend_schema(
        request=SessionWriteSerializer, responses={201: SessionSerializer, **error_responses(400, 401, 403)}
    ),
    partial_update=extend_schema(
        request=SessionUpdateSerializer,
        description="Moving an announced session's start is checked against the notice period (`notice_period`).",
        responses={200: SessionSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
@extend_schema(tags=["sessions"])
class SessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Sessions: officials read the announced (and completed) classroom sessions and their own
    institution's on-site sessions, and keep the rosters of those; trainers read the sessions they
    deliver and record their attendance; programme staff read all, create, change, announce and
    cancel classroom sessions, cancel on-site ones (made by ``training-requests/{id}/schedule/``)
    and keep every roster and attendance."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    schema = BareArrayOnPostSchema()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if self.action == "enrolments":
            return selectors.sessions_visible(self.request.user)
        return selectors.session_list(user=self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsProgrammeStaff()]
        if self.action in ("partial_update", "announce", "cancel"):
            return [permissions.IsAuthenticated(), ProgrammeStaffOnObject()]
        if self.action == "enrolments":
            return [permissions.IsAuthenticated(), RosterKeeper()]
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
        responses={200: SessionSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def announce(self, request, pk=None):
        session = services.session_announce(session=self.get_object(), by=request.user)
        return self._answer(session)

    @extend_schema(
        request=None,
        description="Cancel the session. Classroom: until it starts; its live reservations are cancelled "
        "and their officials notified. On-site: until attendance is recorded; its hours go back to its "
        "request item (held again, to be rescheduled) and the officials and the trainer are told.",
        responses={200: SessionSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        session = services.session_cancel(session=self.get_object(), by=request.user)
        return self._answer(session)

    @extend_schema(
        methods=["GET"],
        summary="The roster of an on-site session",
        description="Programme staff, the institution's officials and the session's trainer. A classroom "
        "session's roster is its confirmed seats (see `/reservations/?session=`): it has no enrolments.",
        responses={200: EnrolmentSerializer(many=True), **error_responses(401, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Enrol participants on an on-site session",
        description="Programme staff or the institution's officials. Answers one enrolment per participant "
        "sent, in the order sent; someone already enrolled keeps their enrolment unchanged. More people than "
        "the room holds is `roster_full` (with `fields.remaining`); a classroom session or one that is "
        "cancelled or completed is `invalid`; a participant the user cannot see is 404, one of another "
        "institution (staff) is `invalid`.",
        request=EnrolmentCreateSerializer,
        responses={201: EnrolmentSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def enrolments(self, request, pk=None):
        session = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.onsite_roster(session=session))
            return self.get_paginated_response(EnrolmentSerializer(page, many=True).data)
        serializer = EnrolmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data["participants"]
        found = selectors.participants_visible(request.user).in_bulk(ids)
        if any(pk not in found for pk in ids):
            raise exceptions.NotFound()
        made = services.enrolment_create(session=session, participants=[found[pk] for pk in ids], by=request.user)
        return Response(EnrolmentSerializer(made, many=True).data, status=status.HTTP_201_CREATED)


# --- Reservations ---------------------------------------------------------------------------


class CurrentStatusField(serializers.ChoiceField):
    """A reservation's status as of now: ``current_status`` where the selector computed it (a waiting
    place on a session that has started reads ``expired``), else the stored one (a row just made)."""

    def __init__(self, **kwargs):
        super().__init__(choices=ReservationStatus.choices, read_only=True, **kwargs)

    def get_attribute(self, instance):
        return getattr(instance, "current_status", instance.status)


class ReservationSerializer(serializers.ModelSerializer):
    status = CurrentStatusField()
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
    status = django_filters.ChoiceFilter(field_name="current_status", choices=ReservationStatus.choices)
    institution = django_filters.NumberFilter(
        field_name="institution_id", label=gettext_lazy("Institution id (useful to programme staff).")
    )

    class Meta:
        model = Reservation
        fields = ["session", "status", "institution"]


@extend_schema_view(
    list=extend_schema(responses={200: ReservationSerializer(many=True), **error_responses(400, 401)}),
    retrieve=extend_schema(responses={200: ReservationSerializer, **error_responses(401, 404)}),
    create=extend_schema(
        request=ReservationCreateSerializer,
        description="Apply for seats: one element per participant, in the order sent. Seats are confirmed "
        "while the session has free seats, the rest waitlisted. Refused whole with `session_not_open`, "
        "`not_entitled`, `duplicate_participant`, `institution_quota` (with `fields.remaining`) or "
        "`program_closed`. An unknown session id is 400 `invalid`; a participant the user cannot see "
        "is 404.",
        responses={201: ReservationSerializer(many=True), **error_responses(400, 401, 403, 404)},
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
    schema = BareArrayOnPostSchema()

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
        responses={200: ReservationSerializer, **error_responses(400, 401, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        reservation = services.reservation_cancel(reservation=self.get_object(), by=request.user)
        fresh = selectors.reservation_list(user=request.user).get(pk=reservation.pk)
        return Response(ReservationSerializer(fresh).data)


# --- On-site training requests --------------------------------------------------------------


# "from" is a Python keyword, so the window's fields are given as a mapping.
DateWindowSerializer = type(
    "DateWindowSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "A preferred window of dates, both days included.",
        "from": serializers.DateField(),
        "to": serializers.DateField(),
    },
)


class TrainingRequestItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id", help_text=gettext_lazy("Course id."))
    hours = serializers.IntegerField(help_text=gettext_lazy("Hours asked for."))
    hours_scheduled = serializers.IntegerField(
        source="scheduled", help_text=gettext_lazy("Hours of the item's non-cancelled sessions.")
    )


class TrainingRequestSerializer(serializers.Serializer):
    """An institution's request for on-site training, as read."""

    id = serializers.IntegerField()
    program = serializers.IntegerField(source="program_id")
    institution = serializers.IntegerField(source="institution_id")
    items = TrainingRequestItemSerializer(many=True, source="items.all")
    province = serializers.IntegerField(source="province_id", help_text=gettext_lazy("Plate code."))
    preferred_dates = DateWindowSerializer(many=True)
    expected_participants = serializers.IntegerField()
    notes = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    submitted_at = serializers.DateTimeField()
    rejection_reason = serializers.CharField()


class TrainingRequestItemWriteSerializer(serializers.Serializer):
    course = serializers.PrimaryKeyRelatedField(queryset=Course.objects.all(), help_text=gettext_lazy("Course id."))
    hours = serializers.IntegerField(min_value=1, max_value=1000)


class TrainingRequestCreateSerializer(serializers.Serializer):
    """A request as submitted: its hours are held from the institution's right until it is
    scheduled, cancelled or rejected."""

    program = serializers.PrimaryKeyRelatedField(queryset=Program.objects.all())
    institution = VisibleInstitutionField(
        required=False,
        help_text=gettext_lazy("Institution id; required from programme staff, an official's own otherwise."),
    )
    items = TrainingRequestItemWriteSerializer(many=True, max_length=50)
    province = ProvinceField(help_text=gettext_lazy("Plate code (1-81) of where the training is to be held."))
    preferred_dates = DateWindowSerializer(
        many=True,
        required=False,
        allow_null=True,
        max_length=50,
        help_text=gettext_lazy("Windows of dates that would suit; missing, null or [] for no preference."),
    )
    expected_participants = serializers.IntegerField(
        min_value=1, max_value=32767, help_text=gettext_lazy("How many people the institution's room holds.")
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class TrainingRequestRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=5000)


class ScheduleSerializer(serializers.Serializer):
    """An on-site session for one item of the request."""

    course = serializers.PrimaryKeyRelatedField(
        queryset=Course.objects.all(), help_text=gettext_lazy("Course id of one of the request's items.")
    )
    trainer = serializers.PrimaryKeyRelatedField(
        queryset=Trainer.objects.filter(is_active=True), help_text=gettext_lazy("Trainer id (see /trainers/).")
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    hours = serializers.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "The hours it counts; the duration by default when it starts and ends on one day, required otherwise."
        ),
    )
    province = ProvinceField(
        required=False, allow_null=True, help_text=gettext_lazy("Plate code; the request's by default.")
    )
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class TrainingRequestFilter(django_filters.FilterSet):
    program = django_filters.NumberFilter(field_name="program_id")
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    institution = django_filters.NumberFilter(
        field_name="institution_id", label=gettext_lazy("Institution id (useful to programme staff).")
    )

    class Meta:
        model = TrainingRequest
        fields = ["program", "status", "institution"]


@extend_schema_view(
    list=extend_schema(
        description="Programme staff see every request; an account manager the requests of their "
        "institutions; an official their own institution's. Open requests first, newest first.",
        responses={200: TrainingRequestSerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(responses={200: TrainingRequestSerializer, **error_responses(401, 404)}),
    create=extend_schema(
        request=TrainingRequestCreateSerializer,
        description="An official submits for their institution; programme staff may submit for the "
        "institution they name (e.g. a request received by letter). Refused with `not_entitled` when the "
        "institution's band gives no on-site hours, `hours_exceeded` (with `fields.requested`, `used`, "
        "`held`, `remaining` and `right`) when it asks for more than remains, `program_closed`, or `invalid`.",
        responses={201: TrainingRequestSerializer, **error_responses(400, 401, 403)},
    ),
)
@extend_schema(tags=["training-requests"])
class TrainingRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """On-site training requests of categories 1-5: officials submit and cancel their own; programme
    staff reject them or turn their items into on-site sessions."""

    serializer_class = TrainingRequestSerializer
    filterset_class = TrainingRequestFilter

    def get_queryset(self):
        return selectors.request_list(user=self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsOfficialOrProgrammeStaff()]
        if self.action == "cancel":
            return [permissions.IsAuthenticated(), OwnOfficialOnObject()]
        if self.action in ("reject", "schedule"):
            return [permissions.IsAuthenticated(), ProgrammeStaffOnObject()]
        return [permissions.IsAuthenticated()]

    def _answer(self, training_request: TrainingRequest, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.request_list(user=self.request.user).get(pk=training_request.pk)
        return Response(TrainingRequestSerializer(fresh).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = TrainingRequestCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        institution = _acting_institution(request, data.pop("institution", None))
        made = services.training_request_create(
            institution=institution,
            program=data["program"],
            items=[dict(item) for item in data["items"]],
            province=data["province"],
            preferred_dates=data.get("preferred_dates"),
            expected_participants=data["expected_participants"],
            notes=data["notes"],
            by=request.user,
        )
        return self._answer(made, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        description="The institution's official withdraws a request before it is scheduled; the hours it "
        "held are free again. Refused (`invalid`) once it is closed or has a session scheduled. Programme "
        "staff reject instead (403 here).",
        responses={200: TrainingRequestSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        cancelled = services.training_request_cancel(request=self.get_object(), by=request.user)
        return self._answer(cancelled)

    @extend_schema(
        request=TrainingRequestRejectSerializer,
        description="Programme staff turn an open request down with a reason (required); what it still "
        "held is freed (sessions already scheduled stay) and the officials are e-mailed.",
        responses={200: TrainingRequestSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request, pk=None):
        training_request = self.get_object()
        serializer = TrainingRequestRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rejected = services.training_request_reject(
            request=training_request, reason=serializer.validated_data["reason"], by=request.user
        )
        return self._answer(rejected)

    @extend_schema(
        request=ScheduleSerializer,
        description="Programme staff make an on-site session for the request's item with that course, "
        "announced to the institution at once, and answer it. `hours` default to the duration when it "
        "starts and ends on one day and are required otherwise (`invalid` with `fields.hours`); an item may "
        "be split over several sessions while its hours last (`hours_exceeded` beyond). The trainer must be "
        "free: another of their sessions overlapping, or a block of unavailability, is `trainer_conflict` "
        "(sessions that merely touch are fine). Dates in the past record a training after the fact.",
        responses={201: SessionSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def schedule(self, request, pk=None):
        training_request = self.get_object()
        serializer = ScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = services.onsite_session_schedule(
            request=training_request,
            course=data["course"],
            trainer=data["trainer"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            hours=data.get("hours"),
            province=data.get("province"),
            address=data["address"],
            by=request.user,
        )
        fresh = selectors.session_list(user=request.user).get(pk=session.pk)
        return Response(SessionSerializer(fresh).data, status=status.HTTP_201_CREATED)


# --- Trainers and their unavailability ------------------------------------------------------


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
    home_province = django_filters.NumberFilter(field_name="home_province_id", label=gettext_lazy("Plate code."))

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


# --- An institution's right and usage --------------------------------------------------------------


class CategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class EntitlementSerializer(serializers.Serializer):
    """What the institution may receive in one program. A classroom band (Standard) gives seats and
    an on-site band (1-5) gives hours: the other side shows 0. Remaining figures are not clamped; a
    negative one means usage above the right, and ``flag`` says so."""

    program = serializers.IntegerField(help_text=gettext_lazy("Program id."))
    total_active_users = serializers.IntegerField()
    category = CategoryRefSerializer(allow_null=True, help_text=gettext_lazy("The band, or null when in none."))
    delivery = serializers.ChoiceField(choices=Delivery.choices, allow_null=True)
    hours = serializers.IntegerField(help_text=gettext_lazy("On-site hours of the band; 0 for a classroom band."))
    seat_quota = serializers.IntegerField(
        help_text=gettext_lazy("Classroom reservations allowed (classroom band); 0 for an on-site band.")
    )
    seats_used = serializers.IntegerField()
    seats_remaining = serializers.IntegerField(help_text=gettext_lazy("seat_quota - seats_used."))
    hours_used = serializers.IntegerField(help_text=gettext_lazy("Hours of non-cancelled on-site sessions."))
    hours_held = serializers.IntegerField(help_text=gettext_lazy("Hours of open request items not yet scheduled."))
    hours_remaining = serializers.IntegerField(help_text=gettext_lazy("hours - hours_used - hours_held."))
    flag = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy("null, or the reason: `no_users`, `above_last_band`, `usage_above_right`."),
    )


@extend_schema(tags=["institutions"])
class InstitutionEntitlementsView(generics.GenericAPIView):
    """``/institutions/{id}/entitlements/``: one row per program, always present: band, right,
    usage and what remains (``selectors.usage_of``). An institution the user cannot see is 404."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = EntitlementSerializer
    filterset_class = None

    def get_queryset(self):
        return institution_list(user=self.request.user)

    @extend_schema(
        operation_id="v1_institutions_entitlements_list",
        summary="The institution's entitlement in every program",
        responses={200: EntitlementSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, pk=None):
        """One row per program, always present: band, right, usage and what remains."""
        institution = self.get_object()
        rows = entitlement_rows(
            institution=institution,
            stored=entitlement_list(institution=institution),
            total_active_users=institution.total_users,
        )
        usage = selectors.usage_of(rows)
        data = [
            {
                "program": row.program_id,
                "total_active_users": row.total_active_users,
                "category": row.category,
                "delivery": row.delivery,
                **usage[(row.institution_id, row.program_id)].figures(),
            }
            for row in rows
        ]
        page = self.paginate_queryset(data)
        return self.get_paginated_response(EntitlementSerializer(page, many=True).data)
