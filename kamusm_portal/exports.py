"""Downloads of lists as CSV and XLSX, for the API, the portal's pages and the admin.

One cell rule serves every download (``safe_cell``), so a participant or an institution named
``=HYPERLINK("http://x")`` never becomes a formula in the spreadsheet a member of staff opens:

- CSV (``text/csv; charset=utf-8``) starts with the UTF-8 byte order mark, so Excel reads Turkish
  letters right; a text cell that would start a formula gets a leading ``'``.
- XLSX (``application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``) writes such a cell
  as a text cell with Excel's own "quote prefix" flag, holding the value unchanged.

A list is given as rows (dicts) and columns: ``(key, header)`` pairs, the key naming the dict's
entry (for the API, the JSON field name) and the header being what the file's first row shows,
translated in the request's language (pass ``gettext_lazy`` strings).

In the API, a list view mixes in ``DownloadableListMixin`` and declares its columns; ``?format=csv``
or ``?format=xlsx`` (or the media type in ``Accept``) then answers the whole filtered list, not a
page, with the same rows and keys as the JSON ``results``::

    class ThingViewSet(DownloadableListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
        serializer_class = ThingSerializer
        export_filename = "things"  # things-2026-03-04.csv
        export_columns = [("id", gettext_lazy("id")), ("name", gettext_lazy("name"))]

Only programme staff may download (``download_permission_classes``; anyone else: 403
``permission_denied``). Only the ``list`` action offers the formats: on any other route a
``?format=csv`` is 404 ``not_found``. Errors stay JSON: the API's exception handler answers them
with the JSON renderer (``kamusm_portal.api.exception_handler``).

A page or the admin answers with ``csv_response(rows, columns, filename)`` or
``xlsx_response(rows, columns, filename)``; ``csv_text`` and ``xlsx_content`` write headers and
rows given as sequences (the admin's django-import-export formats use them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from rest_framework import permissions
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from kamusm_portal.roles import is_programme_staff

__all__ = [
    "CSV_MEDIA_TYPE",
    "XLSX_MEDIA_TYPE",
    "CSVRenderer",
    "Column",
    "DownloadRenderer",
    "DownloadableListMixin",
    "XLSXRenderer",
    "csv_response",
    "csv_text",
    "download_responses",
    "safe_cell",
    "xlsx_content",
    "xlsx_response",
]

#: A column of a download: the key of the row's entry and the header shown in the first row.
Column = tuple[str, str | Promise]
#: What a cell holds once ``safe_cell`` has read it.
Cell = str | int | float | Decimal | bool

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
#: Text starting with one of these is read as a formula (or a DDE call) by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "%d.%m.%Y"
DATETIME_FORMAT = "%d.%m.%Y %H:%M"
_XLSX_DATE_FORMAT = "dd.mm.yyyy"
_XLSX_DATETIME_FORMAT = "dd.mm.yyyy hh:mm"


def _is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def _plain(value: object) -> Cell | date:
    """A value as a cell holds it, before the formula guard: None is empty, numbers and booleans
    stay themselves, an aware time is read in the portal's time zone, anything else is text."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    return force_str(value)  # str (and its subclasses, e.g. TextChoices), lazy text, anything else


def safe_cell(value: object) -> Cell:
    """One cell of a CSV, safe to open in a spreadsheet program.

    - ``None`` is an empty cell; numbers (and booleans) stay numbers.
    - Dates and times are written the Turkish way, ``04.03.2026`` and ``04.03.2026 10:00``, an
      aware time in the portal's time zone (Europe/Istanbul). (Strings are kept as given: the API
      writes ISO 8601 in its JSON and its downloads alike.)
    - Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
      single quote, as OWASP advises against CSV (formula) injection: ``'=HYPERLINK(...)``. A
      spreadsheet program then shows it as text and never evaluates it; the quote is visible, the
      price of a format that has no other way to say "this is text".

    XLSX cells go through the same reading (``_plain``), but there the guard is the cell's type: a
    text cell (``data_type = "s"``) is never evaluated by Excel or LibreOffice, and the "quote
    prefix" flag keeps it text when someone edits the cell, exactly as when a user types
    ``'=...`` in Excel. The value itself stays unchanged, so no quote shows; dates are real date
    cells shown as ``dd.mm.yyyy``.
    """
    value = _plain(value)
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, str) and _is_formula_like(value):
        return "'" + value
    return value


# --- Writers ----------------------------------------------------------------------------------


class _Line:
    """A file-like object that hands back what ``csv.writer`` writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def csv_lines(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV's text line by line: the byte order mark and the header row first, then each row,
    every cell through ``safe_cell``."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def csv_text(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """The whole CSV as text (with its byte order mark); encode it as UTF-8."""
    return "".join(csv_lines(headers, rows))


def _xlsx_cell(sheet: Any, value: object, *, bold: bool = False) -> WriteOnlyCell:
    plain = _plain(value)
    if isinstance(plain, datetime):
        plain = plain.replace(tzinfo=None)  # already local time; Excel has no time zones
    if isinstance(plain, str):
        plain = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", plain)
    cell = WriteOnlyCell(sheet, value=plain)
    if isinstance(plain, str):
        cell.data_type = "s"  # text, whatever it starts with: never a formula
        if _is_formula_like(plain):
            cell.quotePrefix = True  # and it stays text when edited
    elif isinstance(plain, datetime):
        cell.number_format = _XLSX_DATETIME_FORMAT
    elif isinstance(plain, date):
        cell.number_format = _XLSX_DATE_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_content(headers: Sequence[object], rows: Iterable[Sequence[object]], *, title: str = "") -> bytes:
    """An XLSX workbook of one sheet (named ``title``, at most 31 characters): the header row in
    bold, then each row, each cell by the rule of ``safe_cell``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or None)
    sheet.append([_xlsx_cell(sheet, h, bold=True) for h in headers])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table(rows: Iterable[Mapping[str, object]], columns: Sequence[Column]) -> Iterator[list[object]]:
    keys = [key for key, _header in columns]
    for row in rows:
        yield [row.get(key) for key in keys]


def _headers(columns: Sequence[Column]) -> list[str]:
    return [force_str(header) for _key, header in columns]


def _filename(name: str, extension: str) -> str:
    """``name-2026-03-04.csv`` (today in the portal's time zone), or ``name`` when it already ends
    with the extension."""
    if name.endswith(f".{extension}"):
        return name
    return f"{name}-{timezone.localdate():%Y-%m-%d}.{extension}"


def _attachment(name: str, extension: str) -> str:
    return content_disposition_header(True, _filename(name, extension)) or "attachment"


def csv_response(
    rows: Iterable[Mapping[str, object]], columns: Sequence[Column], filename: str
) -> StreamingHttpResponse:
    """A streamed CSV download of ``rows`` (dicts) in ``columns``, as an attachment named
    ``filename-<date>.csv``. ``rows`` may be a generator: it is read as the answer is sent."""
    response = StreamingHttpResponse(
        csv_lines(_headers(columns), _table(rows, columns)), content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8"
    )
    response["Content-Disposition"] = _attachment(filename, "csv")
    return response


def xlsx_response(rows: Iterable[Mapping[str, object]], columns: Sequence[Column], filename: str) -> HttpResponse:
    """An XLSX download of ``rows`` (dicts) in ``columns``, as an attachment named
    ``filename-<date>.xlsx``."""
    response = HttpResponse(
        xlsx_content(_headers(columns), _table(rows, columns), title=filename), content_type=XLSX_MEDIA_TYPE
    )
    response["Content-Disposition"] = _attachment(filename, "xlsx")
    return response


# --- The API ----------------------------------------------------------------------------------


class DownloadRenderer(BaseRenderer):
    """A list as a file. The view gives the columns (``get_export_columns()``) and the file's name
    (``export_filename``); the renderer sets ``Content-Disposition``. Only a list (the JSON
    ``results`` unpaginated) is rendered; errors never reach a download renderer (the API's
    exception handler answers them as JSON)."""

    extension = ""

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        context = renderer_context or {}
        view = context["view"]
        response = context.get("response")
        columns: Sequence[Column] = view.get_export_columns()
        name = getattr(view, "export_filename", "") or "export"
        if response is not None:
            response["Content-Disposition"] = _attachment(name, self.extension)
        return self.write(_headers(columns), _table(data, columns), name)

    def write(self, headers: list[str], rows: Iterable[Sequence[object]], name: str) -> bytes:
        raise NotImplementedError


class CSVRenderer(DownloadRenderer):
    """``text/csv; charset=utf-8`` with a byte order mark (``?format=csv``)."""

    media_type = CSV_MEDIA_TYPE
    format = "csv"
    charset = "utf-8"
    extension = "csv"

    def write(self, headers: list[str], rows: Iterable[Sequence[object]], name: str) -> bytes:
        return csv_text(headers, rows).encode("utf-8")


class XLSXRenderer(DownloadRenderer):
    """An XLSX workbook of one sheet (``?format=xlsx``)."""

    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"
    extension = "xlsx"

    def write(self, headers: list[str], rows: Iterable[Sequence[object]], name: str) -> bytes:
        return xlsx_content(headers, rows, title=name)


class _ProgrammeStaff(permissions.BasePermission):
    message = gettext_lazy("Only programme staff may download this list.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_programme_staff(request.user)


class DownloadableListMixin:
    """For a DRF list view (``GenericAPIView``/``GenericViewSet``): its ``list`` also answers CSV
    and XLSX, the whole filtered list in ``export_columns``. See the module's docstring."""

    #: ``(key, header)`` pairs: the keys are the serializer's field names, the headers translated.
    export_columns: Sequence[Column] = ()
    #: The download's name without date or extension (``certificates`` → ``certificates-<date>.csv``).
    export_filename: str = "export"
    #: Who may download, checked after the view's own permissions: programme staff.
    download_permission_classes: Sequence[type[permissions.BasePermission]] = (_ProgrammeStaff,)
    download_renderer_classes: Sequence[type[DownloadRenderer]] = (CSVRenderer, XLSXRenderer)

    def get_export_columns(self) -> Sequence[Column]:
        return self.export_columns

    def get_renderers(self) -> list[Any]:
        renderers = super().get_renderers()  # type: ignore[misc]
        request = getattr(self, "request", None)
        # Only a GET of the list is a download: ``OPTIONS ?format=csv`` answers its JSON description.
        if getattr(self, "action", None) == "list" and getattr(request, "method", "GET") in ("GET", "HEAD"):
            renderers += [renderer() for renderer in self.download_renderer_classes]
        return renderers

    def is_download(self) -> bool:
        request = getattr(self, "request", None)
        return isinstance(getattr(request, "accepted_renderer", None), DownloadRenderer)

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)  # type: ignore[misc]
        if self.is_download():
            for permission in self.download_permission_classes:
                checker = permission()
                if not checker.has_permission(request, cast(Any, self)):
                    self.permission_denied(  # type: ignore[attr-defined]
                        request, message=getattr(checker, "message", None), code=getattr(checker, "code", None)
                    )

    def paginate_queryset(self, queryset: Any) -> Any:
        if self.is_download():
            return None  # a download is the whole list
        return super().paginate_queryset(queryset)  # type: ignore[misc]


def download_responses() -> dict[tuple[int, str], OpenApiResponse]:
    """The list's downloads in the OpenAPI schema, beside its JSON answer::

    @extend_schema(responses={(200, "application/json"): ThingSerializer(many=True),
                              **download_responses(), **error_responses(400, 401, 403)})
    """
    return {
        (200, CSV_MEDIA_TYPE): OpenApiResponse(
            OpenApiTypes.STR,
            description=gettext_lazy(
                "With `?format=csv` (programme staff): the whole filtered list as UTF-8 CSV with a byte order "
                "mark, a header row and the JSON's fields as columns."
            ),
        ),
        (200, XLSX_MEDIA_TYPE): OpenApiResponse(
            OpenApiTypes.BINARY,
            description=gettext_lazy("With `?format=xlsx` (programme staff): the same as an XLSX workbook."),
        ),
    }
