"""Pieces several modules of the sessions API use: the institution a create acts for, who may
create for an institution, and the province and institution fields."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, serializers

from entitlements.models import Institution, Province
from entitlements.selectors import official_institution
from kamusm_portal.roles import is_programme_staff


def acting_institution(request, chosen: Institution | None) -> Institution:
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


@extend_schema_field(OpenApiTypes.INT)
class ProvinceField(serializers.PrimaryKeyRelatedField):
    """A province by its plate code (1-81)."""

    default_error_messages = {
        "does_not_exist": gettext_lazy("There is no province with plate code {pk_value}."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Province.objects.all())
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.INT)
class VisibleInstitutionField(serializers.PrimaryKeyRelatedField):
    """An institution id among those the user may act for (another one reads as unknown)."""

    def get_queryset(self):
        request = self.context["request"]
        if is_programme_staff(request.user):
            return Institution.objects.all()
        return Institution.objects.filter(officials__user=request.user)
