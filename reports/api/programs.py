"""The program's reach over the API: ``/reports/programs/{id}/`` and
``/reports/programs/{id}/institutions/``, for programme staff (the whole program) and account
managers (their institutions); anyone else logged in gets 403."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy, pgettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from entitlements.models import Entitlement, InstitutionKind, Program
from kamusm_portal.api import error_responses
from kamusm_portal.exports import Column, DownloadableListMixin, download_responses
from reports.selectors.figures import banded_entitlements, institution_rows, program_report
from reports.selectors.scope import Scope, report_scope
from sessions.api.usage import CategoryRefSerializer


class MayReadReports(permissions.BasePermission):
    """Programme staff and account managers (staff users assigned to at least one institution)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        view.reader_scope = report_scope(request.user)  # type: ignore[attr-defined]
        return view.reader_scope is not None  # type: ignore[attr-defined]


class ReportsView(APIView):
    permission_classes = [permissions.IsAuthenticated, MayReadReports]
    reader_scope: Scope | None = None
    """The reader's scope, read once by ``MayReadReports``."""

    def scope(self) -> Scope:
        assert self.reader_scope is not None  # MayReadReports let the request in
        return self.reader_scope

    def program(self) -> Program:
        return get_object_or_404(Program, pk=self.kwargs["pk"])


# --- Shapes (for the schema; the selectors build the data) ----------------------------------------


class TotalsSerializer(serializers.Serializer):
    institutions = serializers.IntegerField(help_text=gettext_lazy("Institutions with a band in the program."))
    institutions_without_use = serializers.IntegerField(
        help_text=gettext_lazy("Of them, those with no reservation, request or session in the program.")
    )
    booked = serializers.IntegerField(
        help_text=gettext_lazy("People holding a confirmed seat or a roster place with no attendance recorded.")
    )
    waitlisted = serializers.IntegerField(help_text=gettext_lazy("People holding only a live waiting place."))
    trained = serializers.IntegerField(help_text=gettext_lazy("People recorded full or partial on a session."))
    certified = serializers.IntegerField(help_text=gettext_lazy("People holding a certificate that is not revoked."))
    multiplier_reach = serializers.IntegerField(help_text=gettext_lazy("People multipliers report having trained."))
    seats_capacity = serializers.IntegerField(
        help_text=gettext_lazy("Capacity of the announced and completed classroom sessions.")
    )
    seats_confirmed = serializers.IntegerField()
    hours_entitled = serializers.IntegerField(help_text=gettext_lazy("On-site hours the bands give."))
    hours_held = serializers.IntegerField()
    hours_scheduled = serializers.IntegerField(help_text=gettext_lazy("Hours of on-site sessions not yet ended."))
    hours_delivered = serializers.IntegerField(help_text=gettext_lazy("Hours of on-site sessions ended."))


class PeopleSerializer(serializers.Serializer):
    booked = serializers.IntegerField()
    trained = serializers.IntegerField()
    certified = serializers.IntegerField()


class CategoryRowSerializer(PeopleSerializer):
    code = serializers.CharField()
    name = serializers.CharField()
    institutions = serializers.IntegerField()


class ProvinceRowSerializer(PeopleSerializer):
    province = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("Plate code; null for units without a province.")
    )
    name = serializers.CharField()


class KindRowSerializer(PeopleSerializer):
    kind = serializers.ChoiceField(choices=InstitutionKind.choices)
    institutions = serializers.IntegerField()


class MonthRowSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=gettext_lazy("YYYY-MM, Turkish time."))
    trained = serializers.IntegerField(help_text=gettext_lazy("People trained on sessions that ended that month."))
    certified = serializers.IntegerField(help_text=gettext_lazy("People certified that month."))


class MaterialsSerializer(serializers.Serializer):
    downloads = serializers.IntegerField()
    views = serializers.IntegerField()
    institutions = serializers.IntegerField()


class TripsSerializer(serializers.Serializer):
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False)
    cost_per_trained = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False)


class ReportSerializer(serializers.Serializer):
    program = serializers.IntegerField()
    target = serializers.IntegerField(help_text=gettext_lazy("The program's trainee target."))
    totals = TotalsSerializer()
    by_category = CategoryRowSerializer(many=True, help_text=gettext_lazy("Every band of the table."))
    by_province = ProvinceRowSerializer(
        many=True, help_text=gettext_lazy("All 81 provinces, and a null row when not empty.")
    )
    by_kind = KindRowSerializer(many=True)
    by_month = MonthRowSerializer(many=True)
    materials = MaterialsSerializer()
    trips = TripsSerializer()


class InstitutionRowSerializer(serializers.Serializer):
    institution = serializers.IntegerField(help_text=gettext_lazy("Institution id."))
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=InstitutionKind.choices)
    category = CategoryRefSerializer()
    seat_quota = serializers.IntegerField()
    seats_used = serializers.IntegerField()
    hours = serializers.IntegerField(help_text=gettext_lazy("On-site hours of the band; 0 for a classroom band."))
    hours_used = serializers.IntegerField()
    hours_held = serializers.IntegerField()
    booked = serializers.IntegerField()
    trained = serializers.IntegerField()
    certified = serializers.IntegerField()
    multiplier_reach = serializers.IntegerField()
    flag = serializers.CharField(allow_null=True)


# --- Views ----------------------------------------------------------------------------------------


@extend_schema(tags=["reports"])
class ProgramReportView(ReportsView):
    """``/reports/programs/{id}/``: the program's reach against its target."""

    @extend_schema(
        operation_id="v1_reports_programs_retrieve",
        summary="The program's reach against its target",
        responses={200: ReportSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        """Totals and breakdowns, counting distinct people; an account manager's count only their
        institutions."""
        return Response(program_report(self.program(), self.scope()))


INSTITUTION_COLUMNS: list[Column] = [
    ("institution", pgettext_lazy("column", "Id")),
    ("name", pgettext_lazy("column", "Institution")),
    ("kind", pgettext_lazy("column", "Kind")),
    ("category", pgettext_lazy("column", "Category")),
    ("seat_quota", pgettext_lazy("column", "Seat quota")),
    ("seats_used", pgettext_lazy("column", "Seats used")),
    ("hours", pgettext_lazy("column", "Hours")),
    ("hours_used", pgettext_lazy("column", "Hours used")),
    ("hours_held", pgettext_lazy("column", "Hours held")),
    ("booked", pgettext_lazy("column", "Booked")),
    ("trained", pgettext_lazy("column", "Trained")),
    ("certified", pgettext_lazy("column", "Certified")),
    ("multiplier_reach", pgettext_lazy("column", "Reached through multipliers")),
    ("flag", pgettext_lazy("column", "Flag")),
]
"""The per-institution list's columns in a download: the JSON's keys, the category by its code."""


def flat(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a download: the category by its code."""
    return [{**row, "category": row["category"]["code"] if row["category"] else None} for row in rows]


@extend_schema(tags=["reports"])
class ProgramInstitutionsView(DownloadableListMixin, generics.GenericAPIView, ReportsView):
    """``/reports/programs/{id}/institutions/``: one row per institution with a band in the program;
    ``?format=csv|xlsx`` downloads the whole list."""

    serializer_class = InstitutionRowSerializer
    filterset_class = None
    action = "list"  # the download renderers are offered on a list
    export_columns = INSTITUTION_COLUMNS
    export_filename = "institutions"
    download_permission_classes = (MayReadReports,)
    queryset = Entitlement.objects.none()  # the schema reads its model; get_queryset answers the rows

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return banded_entitlements(self.program(), self.scope())

    @extend_schema(
        operation_id="v1_reports_programs_institutions_list",
        summary="The program's institutions: right, usage and people",
        responses={
            (200, "application/json"): InstitutionRowSerializer(many=True),
            **download_responses(),
            **error_responses(401, 403, 404, json_only=True),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        """Paginated, in Turkish alphabetical order of the name; with `?format=csv` or `?format=xlsx`
        the whole list (the category by its code)."""
        program, scope = self.program(), self.scope()
        page = self.paginate_queryset(self.get_queryset())
        if page is None:  # a download: the whole list
            return Response(flat(institution_rows(program, scope)))
        return self.get_paginated_response(institution_rows(program, scope, page=page))
