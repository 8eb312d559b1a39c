"""Sessions and the reservations of classroom seats over the API. Sessions of both kinds are
read here: officials read the announced (and completed) classroom sessions and their own
institution's on-site sessions; a trainer reads the sessions they deliver; programme staff read
all, make, change, announce and cancel classroom sessions and cancel on-site ones (made by
``training-requests/{id}/schedule/``, see ``onsite``). An official manages their own institution's
reservations; programme staff all. A session's roster is ``attendance``."""

from __future__ import annotations

import django_filters
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy, pgettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from entitlements.models import Program
from kamusm_portal.api import BareArrayOnPostSchema, IsProgrammeStaff, ProgrammeStaffOnObject, error_responses
from kamusm_portal.bounds import IdFilter
from kamusm_portal.exports import DownloadableListMixin, download_responses
from sessions import selectors, services
from sessions.api.attendance import EnrolmentCreateSerializer, EnrolmentSerializer, RosterKeeper
from sessions.api.shared import IsOfficialOrProgrammeStaff
from sessions.models import (
    Course,
    Reservation,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingSession,
    Venue,
)

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
    institution = serializers.IntegerField(
        source="institution_id",
        allow_null=True,
        help_text=gettext_lazy("The institution of an on-site session; null for a classroom session."),
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


class SessionFilter(django_filters.FilterSet):
    program = IdFilter(field_name="program_id")
    course = IdFilter(field_name="course_id")
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
        description="Moving an announced session's start is checked against the notice period (`notice_period`). "
        "A capacity below the seats already confirmed is 400 `invalid` with `fields.capacity` (saying how many "
        "are confirmed); a larger one promotes from the waiting list.",
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
        "the room holds is `roster_full` (with `fields.remaining`); a classroom session is "
        "`wrong_session_kind`, one that is not announced `roster_closed`; a participant the user cannot see is "
        "404, one of another institution (staff) is `other_institution`, one removed meanwhile "
        "`participant_removed`.",
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
        super().__init__(
            choices=ReservationStatus.choices, read_only=True, label=capfirst(gettext_lazy("status")), **kwargs
        )

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
    session = IdFilter(field_name="session_id")
    status = django_filters.ChoiceFilter(field_name="status", choices=ReservationStatus.choices, method="_as_of_now")
    institution = IdFilter(
        field_name="institution_id", label=gettext_lazy("Institution id (useful to programme staff).")
    )

    def _as_of_now(self, queryset, name, value):
        """On the status as of now (``current_status``): a waiting place of a started session is expired."""
        return queryset.filter(current_status=value)

    class Meta:
        model = Reservation
        fields = ["session", "status", "institution"]


@extend_schema_view(
    list=extend_schema(
        description="An official's institution's reservations; programme staff see all. Programme staff may "
        "download the whole filtered list with `?format=csv` or `?format=xlsx` (anyone else: 403).",
        responses={
            (200, "application/json"): ReservationSerializer(many=True),
            **download_responses(),
            **error_responses(400, 401, 403, json_only=True),
        },
    ),
    retrieve=extend_schema(responses={200: ReservationSerializer, **error_responses(401, 404)}),
    create=extend_schema(
        request=ReservationCreateSerializer,
        description="Apply for seats: one element per participant, in the order sent. Seats are confirmed "
        "while the session has free seats, the rest waitlisted. Refused whole with `session_not_open`, "
        "`not_entitled`, `duplicate_participant` (a participant already on the session, or holding a live seat "
        "on another session of the program: the sentence in `fields.participants` names them and that session), "
        "`institution_quota` (with `fields.remaining`) or `program_closed`. An unknown session id is 400 "
        "`invalid`; a participant the user cannot see is 404.",
        responses={201: ReservationSerializer(many=True), **error_responses(400, 401, 403, 404)},
    ),
)
@extend_schema(tags=["reservations"])
class ReservationViewSet(
    DownloadableListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Reservations of classroom seats: an official's for their institution; programme staff all."""

    serializer_class = ReservationSerializer
    filterset_class = ReservationFilter
    schema = BareArrayOnPostSchema()
    export_filename = "reservations"
    export_columns = [
        ("id", pgettext_lazy("column", "Id")),
        ("participant", pgettext_lazy("column", "Participant")),
        ("session", pgettext_lazy("column", "Session")),
        ("institution", pgettext_lazy("column", "Institution")),
        ("status", pgettext_lazy("column", "Status")),
        ("position", pgettext_lazy("column", "Position")),
        ("applied_at", pgettext_lazy("column", "Applied at")),
    ]

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
