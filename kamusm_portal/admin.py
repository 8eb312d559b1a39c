"""Admin plumbing shared by every app's admin: service-backed history, actions that call a service
row by row, the context of custom admin pages, and search on a stored Turkish-folded key."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from kamusm_portal.errors import RuleViolation
from kamusm_portal.text import tr_fold

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def admin_page_context(model_admin: admin.ModelAdmin[Any], request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """The context every custom admin page under a model's list renders with
    (``admin/model_page.html``)."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "app_label": model_admin.opts.app_label,
        "has_view_permission": model_admin.has_view_permission(request),
        **extra,
    }


def run_each(
    model_admin: admin.ModelAdmin[Any], request: HttpRequest, rows: Iterable[T], call: Callable[[T], object]
) -> int:
    """An admin action's work: ``call(row)`` (a service) for each row; a refusal (RuleViolation)
    is reported against its row and the others go on. Answers how many went through."""
    done = 0
    for row in rows:
        try:
            call(row)
        except RuleViolation as exc:
            model_admin.message_user(request, f"{row}: {exc.message}", messages.ERROR)
        else:
            done += 1
    return done


class ServiceHistoryAdmin(SimpleHistoryAdmin):
    """History shown, never reverted from: every write of these models goes through a service."""

    def revert_disabled(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class TurkishSearchMixin:
    """Search on the stored Turkish-folded key: ``istanbul``, ``İSTANBUL`` and ``ıstanbul`` match alike."""

    search_key_field = "search_key"
    search_fields = ("search_key",)  # shows the search box; the lookup itself is below

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[M], search_term: str
    ) -> tuple[QuerySet[M], bool]:
        for word in tr_fold(search_term).split():
            queryset = queryset.filter(**{f"{self.search_key_field}__contains": word})
        return queryset, False
