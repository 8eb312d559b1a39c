"""Programs with their category tables, and the calculator: the band of a program's table that a
count of active users falls into. Anyone reads them; staff edit programs in the admin."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from entitlements import selectors, services
from entitlements.models import Category, Program
from kamusm_portal.api import ErrorSerializer, error_responses
from kamusm_portal.errors import Code, RuleViolation

# The largest count a band can hold (PositiveIntegerField); anything above is in no band.
MAX_BAND_USERS = 2_147_483_647


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "min_users", "max_users", "hours", "delivery"]


class ProgramSerializer(serializers.ModelSerializer):
    categories = CategorySerializer(many=True, read_only=True)

    class Meta:
        model = Program
        fields = [
            "id",
            "name",
            "year",
            "is_open",
            "trainee_target",
            "notice_days",
            "classroom_size",
            "classroom_quota",
            "categories",
        ]


class WholeNumberField(serializers.IntegerField):
    """A whole number written in decimal digits only: ``-1``, ``1.5``, ``1e3`` and ``+2`` are refused."""

    default_error_messages = {"invalid": gettext_lazy("A whole number, 0 or more, is required.")}
    _DIGITS = re.compile(r"[0-9]+")

    def to_internal_value(self, data):
        text = str(data).strip()
        if not self._DIGITS.fullmatch(text):
            self.fail("invalid")
        text = text.lstrip("0") or "0"
        # A number longer than any band is simply above the table (and int() of thousands of
        # digits is slow).
        return int(text) if len(text) <= 18 else MAX_BAND_USERS + 1


class CalculatorQuerySerializer(serializers.Serializer):
    active_users = WholeNumberField(min_value=0)


@extend_schema_view(
    list=extend_schema(auth=[], responses={200: ProgramSerializer(many=True)}),
    retrieve=extend_schema(auth=[], responses={200: ProgramSerializer, **error_responses(404)}),
)
@extend_schema(tags=["programs"])
class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    """The programs with their category tables; read-only (staff edit them in the admin)."""

    serializer_class = ProgramSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return selectors.programs_with_categories()

    @extend_schema(
        auth=[],
        parameters=[
            OpenApiParameter(
                "active_users",
                int,
                required=True,
                description="The institution's total of active e-signature users (a whole number, 0 or more).",
            )
        ],
        responses={
            200: CategorySerializer,
            400: OpenApiResponse(ErrorSerializer, description="`invalid`: not a whole number, 0 or more."),
            404: OpenApiResponse(
                ErrorSerializer,
                description="`no_category`: the count is in no band (0, or above the last band); "
                "`not_found`: no such program.",
            ),
        },
    )
    @action(detail=True, methods=["get"], url_path="category")
    def category(self, request, pk=None):
        """The band of the program's table that a count of active users falls into."""
        program = self.get_object()
        query = CalculatorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        active_users = query.validated_data["active_users"]
        band = None
        if active_users <= MAX_BAND_USERS:
            band = services.category_for(program=program, active_users=active_users)
        if band is None:
            raise RuleViolation(
                Code.NO_CATEGORY,
                _("No category of %(program)s covers %(n)s active users.") % {"program": program, "n": active_users},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(CategorySerializer(band).data)
