"""API plumbing shared by every app: the error body of API.md and role checks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from entitlements.models import PROGRAMME_STAFF_PERMISSION
from kamusm_portal.errors import RuleViolation


def is_programme_staff(user) -> bool:
    """Superusers and users holding the programme-staff permission (the "Programme staff" group)."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_perm(PROGRAMME_STAFF_PERMISSION)))


class IsProgrammeStaff(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return is_programme_staff(request.user)


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _flatten(value)
            if text:
                return text if key in ("non_field_errors", "detail") else f"{key}: {text}"
        return ""
    if isinstance(detail, list):
        return _flatten(detail[0]) if detail else ""
    return str(detail)


def exception_handler(exc, context):
    """Turn every error into ``{"code", "detail", "fields"}`` (API.md, "Errors")."""
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
        response.data = {"code": "invalid", "detail": str(exc.detail), "fields": {}}
    elif isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        code = _rule_code(exc.get_codes())
        response.data = {"code": code, "detail": _flatten(fields) or _("Invalid input."), "fields": fields}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = "not_authenticated"
        response.data = {"code": code, "detail": str(detail), "fields": {}}
    return response


RULE_CODES_FROM_FIELDS = {"invalid_kimlik_no"}


def _rule_code(codes) -> str:
    """A field check with a rule code of its own (e.g. ``invalid_kimlik_no``) lifts it to the top."""
    stack = [codes]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif item in RULE_CODES_FROM_FIELDS:
            return item
    return "invalid"


# --- The error body in the OpenAPI schema ---------------------------------------------------

from rest_framework import serializers  # noqa: E402


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (API.md, "Errors"), for the OpenAPI schema."""

    code = serializers.CharField(help_text="Stable lower_snake_case rule code, e.g. `invalid`, `no_category`.")
    detail = serializers.CharField(help_text="A sentence in the request's language.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Per-field messages (a list of sentences per field, nested for nested fields); `{}` when none.",
    )
