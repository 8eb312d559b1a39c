"""An institution's right and usage over the API: ``/institutions/{id}/entitlements/``, for
anyone who can see the institution."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers

from entitlements.models import Delivery, Institution
from entitlements.selectors import entitlement_list, entitlement_rows, institution_list
from kamusm_portal.api import error_responses
from sessions import selectors


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
    queryset = Institution.objects.none()  # the schema reads its model; get_queryset answers the visible ones
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
