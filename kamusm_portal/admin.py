"""Admin plumbing shared by every app's admin: service-backed history, actions that call a service
row by row, the context of custom admin pages, search on a stored Turkish-folded key, list filters
by id and date drill-downs that refuse what the database cannot hold, and the changelists' CSV and
XLSX exports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import select_template
from django.utils import timezone
from django.utils.translation import gettext
from import_export.admin import ExportMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm
from simple_history.admin import SimpleHistoryAdmin
from tablib import Dataset

from kamusm_portal.bounds import FIRST_YEAR, LAST_YEAR, id_or_none
from kamusm_portal.errors import RuleViolation
from kamusm_portal.exports import CSV_MEDIA_TYPE, csv_text, xlsx_content
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


# --- Filters that refuse what the database cannot hold ---------------------------------------


def _refuse_filter(request: HttpRequest, name: object, value: object) -> NoReturn:
    """Drop a malformed filter as the admin does (``IncorrectLookupParameters``: the list comes
    back unfiltered), saying which one and why."""
    messages.warning(
        request,
        gettext("The filter “%(filter)s” was dropped: “%(value)s” is not a value it takes.")
        % {"filter": name, "value": value},
    )
    raise IncorrectLookupParameters(value)


class IdListFilter(admin.SimpleListFilter):
    """A list filter whose value is an id (``?province=6``, ``?program=1``): ``filter_id`` gets it
    as a number. A value that is not an id the database can hold (``?province=99999999999999999999``,
    ``?program=abc``) never reaches a query: the filter is dropped with a message."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        value = self.value()
        if value is None or value == "":
            return queryset
        number = id_or_none(value)
        if number is None:
            _refuse_filter(request, self.title, value)
        return self.filter_id(request, queryset, number)

    def filter_id(self, request: HttpRequest, queryset: QuerySet[Any], value: int) -> QuerySet[Any]:
        raise NotImplementedError


class BoundedChangeList(ChangeList):
    """A changelist whose date drill-down (``date_hierarchy``: ``?starts_at__year=2026``) takes only
    a year Python can compute a range from (``FIRST_YEAR`` to ``LAST_YEAR``), a month 1-12 and a day
    1-31; anything else drops the filter with a message, where Django's own would overflow."""

    def get_filters(self, request: HttpRequest) -> Any:
        if self.date_hierarchy:
            for part, low, high in (("year", FIRST_YEAR, LAST_YEAR), ("month", 1, 12), ("day", 1, 31)):
                name = f"{self.date_hierarchy}__{part}"
                for value in request.GET.getlist(name):
                    text = value.strip()
                    if not (text.isascii() and text.isdigit() and len(text) <= 4 and low <= int(text) <= high):
                        _refuse_filter(request, name, value)
        return super().get_filters(request)


class BoundedChangeListMixin:
    """Changelists of a model admin with a ``date_hierarchy``: ``BoundedChangeList``."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return BoundedChangeList


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
