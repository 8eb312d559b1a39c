"""The catalog and the venues over the API: any logged-in user reads the active courses and the
centre's classrooms; a course's materials only programme staff and officials of entitled
institutions (``selectors.materials_visible``)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from kamusm_portal.api import error_responses
from sessions import selectors
from sessions.models import Audience, Course, CourseMaterial, MaterialKind, Venue


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
