"""The certificates in the REST API: their list, each PDF, the streamed ZIP archive of a session or
a program, revocation, and the public verification of a code.

Who may do what: an official reads and downloads their own institution's certificates (another
institution's is 404 for every method); programme staff read and download all and revoke them
(an official revoking their own institution's certificate: 403); anyone may verify a code, at a
rate limited per client address (the only throttled public endpoint).

A certificate's PDF is made after its record, by a worker: until it is ready the PDF endpoint
answers 409 ``not_ready`` with ``Retry-After``; a revoked certificate has no PDF to give (400
``certificate_revoked``).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates import selectors, services
from certificates.models import Certificate, CertificateStatus
from certificates.views.certificates import archive_response, pdf_response
from certificates.views.verify import VerifyThrottle
from kamusm_portal.api import ErrorSerializer, ProgrammeStaffOnObject, error_responses
from kamusm_portal.bounds import IdFilter, IdQueryField
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.exports import DownloadableListMixin, download_responses
from kamusm_portal.roles import is_programme_staff

# Seconds a client is asked to wait before asking again for a PDF that is not ready yet.
PDF_RETRY_AFTER = 30


def _error(code: int, description: str) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=description)}


@extend_schema_field({"allOf": [{"type": "string", "enum": CertificateStatus.values}]})
class CertificateStatusField(serializers.ChoiceField):
    """A certificate's status, inline in the schema: ``pending``, ``ready``, ``failed``, ``revoked``.
    (Another ``status`` enum in two components would be a schema naming warning; the settings'
    ``ENUM_NAME_OVERRIDES`` could name it instead.)"""

    def __init__(self, **kwargs):
        super().__init__(choices=CertificateStatus.choices, **kwargs)


class CertificateSerializer(serializers.Serializer):
    """A certificate as listed: references are ids; what it says is read on its PDF or by its code."""

    id = serializers.IntegerField()
    serial = serializers.CharField(help_text=gettext_lazy("KSM-<program year>-<6 digits>."))
    code = serializers.CharField(
        source="code_display",
        help_text=gettext_lazy(
            "The verification code as printed, in groups of four; verification takes it with or without dashes."
        ),
    )
    participant = serializers.IntegerField(source="participant_id", help_text=gettext_lazy("Participant id."))
    session = serializers.IntegerField(source="session_id", help_text=gettext_lazy("Session id."))
    status = CertificateStatusField(
        help_text=gettext_lazy("pending until its PDF is made, then ready; failed is retried; revoked by staff."),
    )
    issued_at = serializers.DateTimeField()


class CertificateRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=gettext_lazy("Why it is revoked (required)."))


class VerificationSerializer(serializers.Serializer):
    """What anyone holding the code may read: what the certificate says, and whether it stands.
    Never a kimlik no or an e-mail."""

    valid = serializers.BooleanField(help_text=gettext_lazy("false once revoked."))
    status = CertificateStatusField()
    serial = serializers.CharField()
    participant_name = serializers.CharField()
    institution = serializers.CharField(help_text=gettext_lazy("The institution's name on the certificate."))
    course = serializers.CharField(help_text=gettext_lazy("The course title in Turkish, as on the certificate."))
    hours = serializers.IntegerField()
    date = serializers.CharField(
        help_text=gettext_lazy("dd.mm.yyyy, or a range dd.mm.yyyy – dd.mm.yyyy for a training over several days.")
    )
    place = serializers.CharField(help_text=gettext_lazy("The venue, or the province and address on site."))


class ArchiveQuerySerializer(serializers.Serializer):
    """Which certificates go into the archive: a session or a program (or both), and for staff
    optionally one institution."""

    session = IdQueryField(required=False, help_text=gettext_lazy("Session id."))
    program = IdQueryField(required=False, help_text=gettext_lazy("Program id."))
    institution = IdQueryField(
        required=False,
        help_text=gettext_lazy(
            "Institution id, for programme staff (all institutions without it); an official always gets "
            "their own institution's."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("session") is None and attrs.get("program") is None:
            raise serializers.ValidationError({"session": [_("Give a session or a program.")]})
        return attrs


class CertificateFilter(django_filters.FilterSet):
    session = IdFilter(field_name="session_id")
    program = IdFilter(field_name="session__program_id")
    status = django_filters.ChoiceFilter(choices=CertificateStatus.choices)
    institution = IdFilter(
        field_name="institution_id", label=gettext_lazy("Institution id (useful to programme staff).")
    )

    class Meta:
        model = Certificate
        fields = ["session", "program", "status", "institution"]


CERTIFICATE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(
        description="An official's institution's certificates; programme staff see all. Newest first. "
        "Programme staff may download the whole filtered list with `?format=csv` or `?format=xlsx` (anyone "
        "else: 403).",
        responses={
            (200, "application/json"): CertificateSerializer(many=True),
            **download_responses(),
            **error_responses(400, 401, 403, json_only=True),
        },
    ),
    retrieve=extend_schema(
        parameters=[CERTIFICATE_ID], responses={200: CertificateSerializer, **error_responses(401, 404)}
    ),
    pdf=extend_schema(parameters=[CERTIFICATE_ID]),
    revoke=extend_schema(parameters=[CERTIFICATE_ID]),
)
@extend_schema(tags=["certificates"])
class CertificateViewSet(
    DownloadableListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Certificates of attendance: officials read and download their institution's; programme
    staff all of them, and revoke; they also download the list as CSV or XLSX."""

    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    export_filename = "certificates"
    export_columns = [
        ("id", pgettext_lazy("column", "Id")),
        ("serial", pgettext_lazy("column", "Serial number")),
        ("code", pgettext_lazy("column", "Verification code")),
        ("participant", pgettext_lazy("column", "Participant")),
        ("session", pgettext_lazy("column", "Session")),
        ("status", pgettext_lazy("column", "Status")),
        ("issued_at", pgettext_lazy("column", "Issued at")),
    ]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no database work
            return Certificate.objects.none()
        return selectors.certificate_list(self.request.user)

    def get_permissions(self):
        if self.action == "revoke":
            return [permissions.IsAuthenticated(), ProgrammeStaffOnObject()]
        return [permissions.IsAuthenticated()]

    def perform_content_negotiation(self, request, force=False):
        # A client asking for the file (``Accept: application/pdf`` or ``application/zip``) is
        # answered with it; errors stay JSON.
        return super().perform_content_negotiation(request, force=force or self.action in ("pdf", "archive"))

    @extend_schema(
        summary="A certificate's PDF",
        description=f"The signed PDF once the certificate is `ready`. While it is `pending` (or `failed` and "
        f"being retried) the answer is **409** with `Retry-After` ({PDF_RETRY_AFTER} seconds): ask again then. "
        "A revoked certificate has no PDF: 400 `certificate_revoked`.",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **error_responses(400, 401, 404),
            **_error(409, gettext_lazy("The PDF is not made yet; ask again after `Retry-After` seconds.")),
        },
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def pdf(self, request, pk=None):
        certificate = self.get_object()
        if certificate.status == CertificateStatus.REVOKED:
            raise RuleViolation(Code.CERTIFICATE_REVOKED, _("This certificate is revoked: it has no PDF."))
        if not certificate.pdf_ready:
            response = Response(
                {"code": Code.NOT_READY, "detail": _("The PDF is being made; ask again shortly."), "fields": {}},
                status=status.HTTP_409_CONFLICT,
            )
            response["Retry-After"] = str(PDF_RETRY_AFTER)
            return response
        return pdf_response(certificate, as_attachment=True)

    @extend_schema(
        summary="A ZIP of the certificates of a session or a program",
        description="The ready certificates' PDFs of a session (`?session=`) or a program (`?program=`): an "
        "official's institution's; programme staff all institutions', or one with `?institution=`. The "
        "archive is streamed as it is made. Neither `session` nor `program`: 400 `invalid`.",
        parameters=[ArchiveQuerySerializer],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, **error_responses(400, 401)},
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def archive(self, request):
        query = ArchiveQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        institution = data.get("institution") if is_programme_staff(request.user) else None
        return archive_response(
            request.user, session=data.get("session"), program=data.get("program"), institution=institution
        )

    @extend_schema(
        summary="Revoke a certificate",
        description="Programme staff revoke a certificate with a reason; the record and its code stay and "
        "verification then says it is revoked (`valid: false`). An official: 403. Already revoked: 400 "
        "`certificate_revoked`.",
        request=CertificateRevokeSerializer,
        responses={200: CertificateSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def revoke(self, request, pk=None):
        certificate = self.get_object()
        serializer = CertificateRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revoked = services.certificate_revoke(
            certificate=certificate, reason=serializer.validated_data["reason"], by=request.user
        )
        return Response(CertificateSerializer(revoked).data)


CODE = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=gettext_lazy(
        "The verification code as typed from paper: dashes, spaces and lower case are fine, and O reads as "
        "0, I and L as 1."
    ),
)


class CertificateVerifyView(APIView):
    """Anyone holding a certificate's code checks it: whether it stands, and what it says."""

    authentication_classes: list = []  # public: a stale token must not stand in the way
    permission_classes = [permissions.AllowAny]
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        summary="Verify a certificate's code",
        description="Public. `valid` is false once the certificate is revoked (the record stays). An unknown "
        "code is 404. Rate-limited per client address (429 with `Retry-After` beyond).",
        tags=["certificates"],
        auth=[],
        parameters=[CODE],
        responses={
            200: VerificationSerializer,
            **error_responses(404),
            **_error(429, gettext_lazy("Too many verifications from this address; wait `Retry-After` seconds.")),
        },
    )
    def get(self, request, code: str):
        certificate = selectors.certificate_by_code(code)
        if certificate is None:
            raise exceptions.NotFound(_("No certificate has this code."))
        response = Response(VerificationSerializer(selectors.certificate_public_facts(certificate)).data)
        add_never_cache_headers(response)  # a revocation shows at once, never from a cache
        return response
