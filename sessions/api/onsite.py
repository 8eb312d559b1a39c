"""On-site training requests and their scheduling over the API: an official submits and cancels
their own institution's training requests; an account manager reads the requests of their
institutions; programme staff read all, submit for an institution, reject them or turn their
items into on-site sessions."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from entitlements.models import Program
from entitlements.selectors import official_institution
from kamusm_portal.api import ProgrammeStaffOnObject, error_responses
from kamusm_portal.bounds import IdFilter
from sessions import selectors, services
from sessions.api.classroom import SessionSerializer
from sessions.api.shared import IsOfficialOrProgrammeStaff, ProvinceField, VisibleInstitutionField, acting_institution
from sessions.models import Course, RequestStatus, Trainer, TrainingRequest


class OwnOfficialOnObject(permissions.BasePermission):
    """On an object the user can see, only an official of the object's institution may act
    (programme staff and account managers: 403; staff reject a request rather than cancel it)."""

    def has_object_permission(self, request, view, obj) -> bool:
        institution = official_institution(request.user)
        return institution is not None and obj.institution_id == institution.pk


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
    program = IdFilter(field_name="program_id")
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    institution = IdFilter(
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
        institution = acting_institution(request, data.pop("institution", None))
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
        "held are free again. Refused once it is closed (`request_not_open`) or has a session scheduled "
        "(`request_has_sessions`). Programme "
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
