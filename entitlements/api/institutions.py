"""Institutions with their units, and their officials: programme staff create and edit
institutions and officials and see every institution; an official reads only their own
institution (another one is 404 for every method, their own is 403 where their role may not act).

Views check the shape of what comes in and call services and selectors; rules live there.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from entitlements import selectors, services
from entitlements.api.accounts import OfficialCreatedSerializer, OfficialCreateSerializer
from entitlements.api.programs import MAX_BAND_USERS
from entitlements.models import District, Institution, InstitutionKind, Official, Province, Unit, UnitLevel
from kamusm_portal.api import IsProgrammeStaff, ProgrammeStaffOnObject, error_responses
from kamusm_portal.bounds import IdFilter
from kamusm_portal.text import tr_fold
from kamusm_portal.validators import validate_organisation_name

User = get_user_model()


# --- Institutions and their units -----------------------------------------------------------


class UnitSerializer(serializers.Serializer):
    """A unit as written and read: the province by plate code, the district by name within it."""

    id = serializers.IntegerField(read_only=True)
    level = serializers.ChoiceField(choices=UnitLevel.choices)
    name = serializers.CharField(max_length=255, validators=[validate_organisation_name])
    province = serializers.IntegerField(
        min_value=1,
        max_value=81,
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Plate code 1-81; optional for merkez, required for il and ilce."),
    )
    district = serializers.CharField(
        max_length=50,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text=gettext_lazy("District name within the province; required for ilce, only for ilce."),
    )
    active_users = serializers.IntegerField(min_value=0, max_value=MAX_BAND_USERS)

    def to_representation(self, unit) -> dict[str, Any]:
        return {
            "id": unit.pk,
            "level": unit.level,
            "name": unit.name,
            "province": unit.province_id,
            "district": unit.district.name if unit.district_id else None,
            "active_users": unit.active_users,
        }


_LEVEL_RANK = {level: rank for rank, level in enumerate(UnitLevel.values)}


@extend_schema_field(UnitSerializer(many=True))
class UnitsField(serializers.Field):
    """The units, written and read inline; written, they replace the institution's units.

    Checked here for shape only: each item on its own (also inside a PATCH, where the fields of
    a unit are still required), then provinces and districts resolved in two queries. Errors name
    the unit by its index: ``{"units": {"1": {"district": [...]}}}``, as the service's do. The
    rules between units (exactly one merkez, district required for ilce, ...) are the service's.
    """

    default_error_messages = {"empty": gettext_lazy("At least the central (merkez) unit is required.")}

    def to_representation(self, units) -> list[dict[str, Any]]:
        # The central unit first, then provincial, then district units (names in Turkish order
        # within a level, as the database sorted them).
        ordered = sorted(units.all(), key=lambda u: _LEVEL_RANK.get(u.level, len(_LEVEL_RANK)))
        return [UnitSerializer().to_representation(u) for u in ordered]

    def to_internal_value(self, data) -> list[services.UnitData]:
        items = UnitSerializer(data=data, many=True)
        if not items.is_valid():
            if isinstance(items.errors, dict):  # not a list at all
                raise serializers.ValidationError(items.errors.get("non_field_errors", items.errors))
            raise serializers.ValidationError({i: e for i, e in enumerate(items.errors) if e})
        if not items.validated_data:
            self.fail("empty")
        units, errors = _units_resolve(items.validated_data)
        if errors:
            raise serializers.ValidationError(errors)
        return units


def _units_resolve(items: list[dict[str, Any]]) -> tuple[list[services.UnitData], dict[int, dict[str, list[str]]]]:
    """Turn plate codes into provinces and district names into districts of that province.

    District names match with Turkish case and letters folded (``cankaya`` finds ``Çankaya``).
    A unit given twice is refused here, before it reaches the database's unique key.
    """
    plates = {item["province"] for item in items if item.get("province")}
    provinces = {p.plate: p for p in Province.objects.filter(plate__in=plates)}
    exact: dict[tuple[int, str], District] = {}
    folded: dict[tuple[int, str], District] = {}
    if any(item.get("district") for item in items):
        for district in District.objects.filter(province_id__in=plates):
            exact[(district.province_id, district.name)] = district
            folded.setdefault((district.province_id, tr_fold(district.name)), district)
    units: list[services.UnitData] = []
    errors: dict[int, dict[str, list[str]]] = defaultdict(dict)
    seen: dict[tuple, int] = {}
    for index, item in enumerate(items):
        plate = item.get("province")
        province = provinces.get(plate) if plate else None
        if plate and province is None:
            errors[index]["province"] = [_("There is no province with plate code %(plate)s.") % {"plate": plate}]
        name = (item.get("district") or "").strip()
        district = None
        if name and plate is None:
            errors[index]["district"] = [_("A district is looked up within its province: give the province too.")]
        elif name and province is not None:
            district = exact.get((plate, name)) or folded.get((plate, tr_fold(name)))
            if district is None:
                errors[index]["district"] = [
                    _("District %(district)s is not in province %(province)s.")
                    % {"district": name, "province": province.name}
                ]
        key = (item["level"], plate or 0, district.pk if district else tr_fold(name), item["name"])
        if key in seen and index not in errors:
            errors[index]["name"] = [
                _("The same unit is given twice (also at index %(index)s).") % {"index": seen[key]}
            ]
        seen.setdefault(key, index)
        units.append(
            services.UnitData(
                level=item["level"],
                name=item["name"],
                province=province,
                district=district,
                active_users=item["active_users"],
            )
        )
    return units, dict(errors)


class InstitutionSerializer(serializers.Serializer):
    """An institution with its units. Written, ``units`` replaces all of its units (exactly one
    ``merkez``); ``total_active_users`` is their sum and sets the institution's band."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=255, validators=[validate_organisation_name])
    code = serializers.CharField(
        max_length=32, help_text=gettext_lazy("Free text, unique; the DETSİS registry number is the natural value.")
    )
    kind = serializers.ChoiceField(choices=InstitutionKind.choices, default=InstitutionKind.OTHER)
    account_manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_staff=True),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("User id of a staff member of the centre."),
        error_messages={"does_not_exist": gettext_lazy("No staff member of the centre has id {pk_value}.")},
    )
    units = UnitsField()
    total_active_users = serializers.IntegerField(
        read_only=True, source="total_users", help_text=gettext_lazy("Sum of the active users of all units.")
    )
    is_active = serializers.BooleanField(default=True)


class InstitutionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=InstitutionKind.choices)
    province = IdFilter(
        method="filter_province", label=gettext_lazy("Has a unit in the province with this plate code (1-81).")
    )

    class Meta:
        model = Institution
        fields = ["kind", "province"]

    def filter_province(self, queryset, name, value):
        # A subquery, not a join: a join on units would multiply the annotated sum of users.
        return queryset.filter(pk__in=Unit.objects.filter(province_id=value).values("institution_id"))


# --- Officials -----------------------------------------------------------------------------


class OfficialSerializer(serializers.Serializer):
    """An official as listed for staff: the user behind the official record."""

    id = serializers.IntegerField(source="user_id", help_text=gettext_lazy("The user id."))
    username = serializers.CharField(source="user.username")
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    is_active = serializers.BooleanField(source="user.is_active")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "search", str, description="Part of the name or code; Turkish case and letters are folded."
            )
        ],
        responses={200: InstitutionSerializer(many=True), **error_responses(400, 401)},
    ),
    create=extend_schema(responses={201: InstitutionSerializer, **error_responses(400, 401, 403)}),
    retrieve=extend_schema(responses={200: InstitutionSerializer, **error_responses(401, 404)}),
    partial_update=extend_schema(responses={200: InstitutionSerializer, **error_responses(400, 401, 403, 404)}),
)
@extend_schema(tags=["institutions"])
class InstitutionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Institutions: staff create, edit and see all; an official sees only their own."""

    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if self.action == "officials":
            return selectors.institutions_visible(self.request.user)
        search = self.request.query_params.get("search", "") if self.action == "list" else ""
        return selectors.institution_list(user=self.request.user, search=search)

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsProgrammeStaff()]
        if self.action in ("partial_update", "officials"):
            return [permissions.IsAuthenticated(), ProgrammeStaffOnObject()]
        return [permissions.IsAuthenticated()]

    def _fresh(self, institution: Institution) -> Institution:
        return selectors.institution_list(user=self.request.user).get(pk=institution.pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        institution = services.institution_create(
            name=data["name"],
            code=data["code"],
            kind=data["kind"],
            units=data["units"],
            account_manager=data.get("account_manager"),
            is_active=data["is_active"],
            by=request.user,
        )
        return Response(self.get_serializer(self._fresh(institution)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        institution = self.get_object()
        serializer = self.get_serializer(institution, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        units = data.pop("units", None)
        services.institution_update(institution=institution, data=data, units=units, by=request.user)
        return Response(self.get_serializer(self._fresh(institution)).data)

    @extend_schema(
        methods=["GET"],
        summary="The officials of an institution (staff)",
        responses={200: OfficialSerializer(many=True), **error_responses(401, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Make a new user an official of the institution (staff)",
        request=OfficialCreateSerializer,
        responses={201: OfficialCreatedSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def officials(self, request, pk=None):
        institution = self.get_object()
        if request.method == "GET":
            rows = Official.objects.filter(institution=institution).select_related("user").order_by("user__username")
            page = self.paginate_queryset(rows)
            return self.get_paginated_response(OfficialSerializer(page, many=True).data)
        serializer = OfficialCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.official_create(
            institution=institution,
            username=data["username"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            password=data.get("password") or None,
            by=request.user,
        )
        return Response({"id": user.pk, "username": user.get_username()}, status=status.HTTP_201_CREATED)
