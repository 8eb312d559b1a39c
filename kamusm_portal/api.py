"""API plumbing shared by every app's API: the error body (docs/api.md, "Errors"), its place in
the OpenAPI schema, role permissions and the schema of the bare arrays answered to a POST."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.validators import EmailValidator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.pagination import BasePagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from kamusm_portal import bounds
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.exports import DownloadRenderer
from kamusm_portal.roles import is_programme_staff
from kamusm_portal.validators import validate_email_address


class EmailField(serializers.EmailField):
    """An e-mail field under the portal's one rule (``kamusm_portal.validators.validate_email_address``:
    Django's, with an ASCII part before ``@``) in place of Django's own; ``format: email`` in the schema."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, EmailValidator)]
        self.validators.append(validate_email_address)


class ApiRouter(SimpleRouter):
    """The router of every app's API: an object's id in a path is ``<id:pk>``
    (``kamusm_portal.bounds.IdConverter``), so ``/courses/0.5/``, ``/courses/abc/`` or an id past what
    the database holds match no route and get the catch-all's JSON 404 ``not_found``."""

    def __init__(self) -> None:
        super().__init__(use_regex_path=False)
        self._default_value_pattern = bounds.IdConverter.name


class IsProgrammeStaff(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_programme_staff(request.user)


class ProgrammeStaffOnObject(permissions.BasePermission):
    """On an object the user can see, only programme staff may act (an official on their own: 403).

    Checked by ``get_object`` after the lookup in the objects the user may see, so one the user
    cannot see is 404 before this says 403.
    """

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return is_programme_staff(request.user)


class PortalSchema(AutoSchema):
    """The API's schema (``DEFAULT_SCHEMA_CLASS``): what every operation of a kind answers is
    documented here once. A list with filters answers **400** ``invalid`` for a filter value it
    does not take (``?course=abc``, ``?status=nope``); a paginated list answers **404**
    ``not_found`` for a page that does not exist: ``?page=`` past the last page, 0, or not a whole
    number (docs/api.md, "Errors")."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if self.method != "GET" or not self._is_list_view():
            return responses
        if getattr(self.view, "filterset_class", None) is not None and "400" not in responses:
            invalid = OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[400])
            responses["400"] = self._get_response_for_code(invalid, "400", ["application/json"], direction)
        if self._get_paginator() is not None:
            page = OpenApiResponse(ErrorSerializer, description=_PAGE_NOT_FOUND)
            if "404" in responses:
                responses["404"]["description"] = f"{responses['404'].get('description', '')} {_PAGE_NOT_FOUND}"
            else:
                responses["404"] = self._get_response_for_code(page, "404", ["application/json"], direction)
        return responses


class BareArrayOnPostSchema(PortalSchema):
    """Only GET lists are paginated and filtered: a list answered to a POST (reservations,
    enrolments, attendance) is a bare JSON array, one element per item sent."""

    def _get_paginator(self) -> BasePagination | None:
        return super()._get_paginator() if self.method == "GET" else None

    def get_filter_backends(self) -> list[Any]:
        return super().get_filter_backends() if self.method == "GET" else []


def _flatten(detail: object) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _flatten(value)
            if text:
                return text if key in ("non_field_errors", "detail") else f"{key}: {text}"
        return ""
    if isinstance(detail, list):
        return _flatten(detail[0]) if detail else ""
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn every error into ``{"code", "detail", "fields"}`` (docs/api.md, "Errors"), always as
    JSON: a request that asked for a download (``?format=csv``) gets its error in JSON too."""
    request = context.get("request")
    if isinstance(getattr(request, "accepted_renderer", None), DownloadRenderer):
        renderer = JSONRenderer()
        request.accepted_renderer, request.accepted_media_type = renderer, renderer.media_type  # type: ignore[union-attr]
    if isinstance(exc, RuleViolation):
        return Response({"code": exc.code, "detail": exc.message, "fields": exc.fields}, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ParseError):
        response.data = {"code": Code.INVALID, "detail": str(exc.detail), "fields": {}}
    elif isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"code": Code.INVALID, "detail": _flatten(fields) or _("Invalid input."), "fields": fields}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        default_code = getattr(exc, "default_code", "")
        code = Code(default_code) if default_code in Code._value2member_map_ else Code.ERROR
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = Code.NOT_AUTHENTICATED
        response.data = {"code": code, "detail": str(detail), "fields": {}}
    return response


@csrf_exempt
def not_found(request: HttpRequest, unmatched: str = "") -> HttpResponse:
    """A path under the API that no route takes (an unknown resource, a malformed id such as
    ``/courses/0.5/``): **404** ``not_found`` in the error body, never Django's HTML page, whatever
    the method (a POST without a CSRF token included: this view changes nothing). A path that only
    lacks its final slash is redirected, as ``APPEND_SLASH`` does for the pages."""
    if request.method in ("GET", "HEAD") and not request.path.endswith("/"):
        try:
            resolved = resolve(request.path + "/")
        except Resolver404:
            resolved = None
        if resolved is not None and resolved.func is not not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return JsonResponse(
        {"code": Code.NOT_FOUND, "detail": str(exceptions.NotFound.default_detail), "fields": {}}, status=404
    )


# --- The error body in the OpenAPI schema ---------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (docs/api.md, "Errors"), for the OpenAPI schema."""

    code = serializers.CharField(
        help_text="Stable lower_snake_case rule code, e.g. `invalid`, `no_category` (docs/api.md lists them all)."
    )
    detail = serializers.CharField(help_text="A sentence in the request's language.")
    # Not Serializer.fields: the serializer's metaclass takes declared fields off the class.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text="Per-field messages (a list of sentences per field, nested for nested fields); `{}` when none.",
    )


_ERROR_DESCRIPTIONS = {
    400: gettext_lazy("Invalid input or a broken rule (`code` names it)."),
    401: gettext_lazy("Not logged in."),
    403: gettext_lazy("Logged in, but the role may not do this."),
    404: gettext_lazy("Not found, or not visible to this user."),
}


_PAGE_NOT_FOUND = gettext_lazy("No such page: `?page=` is past the last page, below 1 or not a whole number.")


def error_responses(*statuses: int, json_only: bool = False) -> dict[Any, OpenApiResponse]:
    """The error answers of an operation for the schema, all with the error body. ``json_only``:
    an operation that also answers files (a list's CSV and XLSX downloads) still answers its
    errors in JSON, and only in JSON."""
    return {
        ((code, "application/json") if json_only else code): OpenApiResponse(
            ErrorSerializer, description=_ERROR_DESCRIPTIONS[code]
        )
        for code in statuses
    }
