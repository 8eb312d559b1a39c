"""Admin plumbing shared by every app's admin: service-backed history, actions that call a service
row by row, the context of custom admin pages, search on a stored Turkish-folded key, and the
changelists' CSV and XLSX exports; and the admin of the plumbing's own model, the tasks to retry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import select_template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm
from simple_history.admin import SimpleHistoryAdmin
from tablib import Dataset

from kamusm_portal.errors import RuleViolation
from kamusm_portal.exports import CSV_MEDIA_TYPE, csv_text, xlsx_content
from kamusm_portal.models import OutboxTask
from kamusm_portal.tasks import outbox_tasks_retry
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


# --- Exports ----------------------------------------------------------------------------------


class SafeCSV(base_formats.CSV):
    """django-import-export's CSV written by ``kamusm_portal.exports``: UTF-8 with a byte order
    mark, every cell through ``safe_cell`` (no formula, dates as ``04.03.2026``)."""

    def export_data(self, dataset: Dataset, **kwargs: Any) -> str:
        return csv_text(dataset.headers or [], dataset)

    def get_content_type(self) -> str:
        return f"{CSV_MEDIA_TYPE}; charset=utf-8"

    def can_import(self) -> bool:
        return False


class SafeXLSX(base_formats.XLSX):
    """django-import-export's XLSX written by ``kamusm_portal.exports``: text cells never become
    formulas, dates are date cells."""

    def export_data(self, dataset: Dataset, **kwargs: Any) -> bytes:
        return xlsx_content(dataset.headers or [], dataset, title=dataset.title or "")

    def can_import(self) -> bool:
        return False


class ExportAdminMixin(ExportMixin):
    """An "Export" button on a changelist: the rows it shows (its own queryset, so a trainer or an
    account manager exports only theirs, with the list's filters and search) as CSV or XLSX, in the
    columns of the admin's ``resource_classes`` (one resource per admin: the file's header row is
    its fields' ``column_name``, translated). The resource's ``filter_export`` joins and counts what
    its columns read, so the export runs a fixed number of queries whatever its length.

    A resource's values are taken as they are (``force_native_type``): numbers stay numbers and
    times are written in the portal's time zone, by the one cell rule of ``kamusm_portal.exports``.
    """

    export_formats = [SafeCSV, SafeXLSX]
    ie_base_change_list_template: str
    export_form_class = ExportForm  # the resource's columns, without a field picker

    def init_change_list_template(self) -> None:
        # import-export's changelist template extends the admin's; without a template of its own,
        # that is the model's override (``admin/<app>/<model>/change_list.html``) where there is
        # one, as Django's changelist would have looked it up.
        super().init_change_list_template()
        if self.ie_base_change_list_template == "admin/change_list.html":
            opts = self.opts
            self.ie_base_change_list_template = select_template(
                [
                    f"admin/{opts.app_label}/{opts.model_name}/change_list.html",
                    f"admin/{opts.app_label}/change_list.html",
                    "admin/change_list.html",
                ]
            ).template.name

    def has_export_permission(self, request: HttpRequest) -> bool:
        # import-export lets any staff user export; here only who may view the list (its export
        # URL is reached without the changelist's own check).
        return bool(self.has_view_permission(request))

    def get_data_for_export(self, request: HttpRequest, queryset: QuerySet[Any], **kwargs: Any) -> Dataset:
        kwargs["force_native_type"] = True
        return super().get_data_for_export(request, queryset, **kwargs)

    def get_export_filename(self, request: HttpRequest, queryset: QuerySet[Any], file_format: Any) -> str:
        return f"{self.opts.model_name}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"


# --- The tasks to retry (the outbox) ---------------------------------------------------------


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    """What failed after its write committed (an e-mail the mail server refused, a task the broker
    could not take): waiting for the scheduled job to try it again, or given up. Staff read it,
    try it again, or remove it; nobody edits it."""

    list_display = ("task", "args", "status", "attempts", "last_error_short", "created_at", "next_attempt_at")
    list_filter = ("status", "task")
    readonly_fields = (
        "task",
        "args",
        "kwargs",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "given_up_at",
    )
    actions = ("retry",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("last error"))
    def last_error_short(self, entry: OutboxTask) -> str:
        return entry.last_error[:120]

    @admin.action(description=_("Try again"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxTask]) -> None:
        done = outbox_tasks_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d task will be tried again within a minute.",
                "%(count)d tasks will be tried again within a minute.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )
