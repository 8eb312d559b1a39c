"""The admin's import of user counts, through django-import-export's screens.

Staff press "Import" on the institution list, upload a CSV or XLSX and see import-export's
preview page: either what will change (per unit: institution, unit, old → new count) with a
"Confirm import" button, or every error with its row, column and reason and no button. Confirming
re-reads the stored upload and writes through the same service as ``manage.py
import_user_counts`` (``entitlements.imports.user_counts_import``), which checks every row again
inside its transaction.

import-export's own row-by-row machinery is not used: ``UserCountResource.import_data`` hands the
whole dataset to the service and turns its report into an import-export ``Result``
(``InvalidRow`` per bad row with its errors keyed by column, ``RowResult`` per changed unit).
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import fields, resources
from import_export.admin import ImportMixin
from import_export.formats.base_formats import Format
from import_export.forms import ImportForm
from import_export.results import Result, RowResult
from import_export.signals import post_import

from entitlements.imports import (
    COLUMNS,
    TEMPLATE_HEADERS,
    Change,
    ImportReport,
    UnitChange,
    file_size_label,
    user_counts_dataset_parse,
    user_counts_file_read,
    user_counts_import,
)
from entitlements.models import UnitLevel
from kamusm_portal.errors import RuleViolation
from kamusm_portal.roles import is_programme_staff

#: At most this many bad rows are listed on the page (all are counted).
ERRORS_SHOWN = 1000


class UserCountsFormat(Format):
    """A CSV or an XLSX, told apart by its content and read by ``entitlements.imports``."""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return "CSV / XLSX"

    def create_dataset(self, in_stream):
        data = in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8")
        return user_counts_dataset_parse(data=data)

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def get_extension(self):
        return "csv"

    def can_import(self):
        return True


class UserCountsImportForm(ImportForm):
    """import-export's upload form, refusing files over the size limit or of another type."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        field = self.fields["import_file"]
        field.widget.attrs["accept"] = ".csv,.xlsx"
        field.help_text = _(
            "A CSV (UTF-8, separated by ; or ,) or an Excel .xlsx file (its first sheet), at most %(size)s."
        ) % {"size": file_size_label(settings.IMPORT_MAX_BYTES)}

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            user_counts_file_read(file=upload, name=upload.name)
        except RuleViolation as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        finally:
            upload.seek(0)
        return upload


class UserCountsResult(Result):
    """import-export's result, carrying the service's report for the templates and the messages."""

    def __init__(self, report: ImportReport):
        super().__init__()
        self.report = report
        self.total_rows = report.rows

    @property
    def errors_shown(self):
        return self.report.errors[:ERRORS_SHOWN]

    @property
    def errors_hidden(self) -> int:
        return max(0, len(self.report.errors) - ERRORS_SHOWN)


_LEVEL_LABELS = dict(UnitLevel.choices)
_IMPORT_TYPES = {Change.NEW: RowResult.IMPORT_TYPE_NEW, Change.UPDATE: RowResult.IMPORT_TYPE_UPDATE}


def _arrow(old, new) -> str:
    old, new = (localize(v) if isinstance(v, int) else v for v in (old, new))
    return f"{old} → {new}" if old is not None and old != new else f"{new}"


def _preview_row(change: UnitChange) -> RowResult:
    row = RowResult()
    row.import_type = _IMPORT_TYPES[change.action]
    row.diff = [
        change.row,
        change.institution_code,
        _arrow(change.institution_old_name, change.institution_name),
        _LEVEL_LABELS.get(change.level, change.level),
        change.unit_name,
        change.province,
        change.district,
        _arrow(change.old_active_users, change.new_active_users),
    ]
    return row


def report_as_result(report: ImportReport, dataset) -> UserCountsResult:
    """The service's report as the ``Result`` import-export's pages show.

    Errors become one ``InvalidRow`` per spreadsheet row, its ``ValidationError`` keyed by the
    column as the file names it, with the row's cells alongside. Otherwise each new or updated unit
    becomes a ``RowResult`` for the preview; unchanged units are only counted.
    """
    result = UserCountsResult(report)
    if report.errors:
        headers = list(dataset.headers or []) if dataset is not None else []
        result.diff_headers = [str(h or "") for h in headers]
        by_row: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for error in report.errors:
            by_row[error.row][error.column].append(error.message)
        for number in sorted(by_row)[:ERRORS_SHOWN]:
            if number == 1:
                values = headers
            elif dataset is not None and 2 <= number <= len(dataset) + 1:
                values = list(dataset[number - 2])
            else:
                values = []
            cells = {h: ("" if v is None else v) for h, v in zip(result.diff_headers, values, strict=False)}
            result.append_invalid_row(number, cells, ValidationError(dict(by_row[number])))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        return result
    result.diff_headers = [
        _("Row"),
        _("Institution code"),
        _("Institution"),
        _("Level"),
        _("Unit"),
        _("Province"),
        _("District"),
        _("Active users"),
    ]
    for change in report.changes:
        if change.action == Change.UNCHANGED:
            result.totals[RowResult.IMPORT_TYPE_SKIP] += 1
            continue
        row = _preview_row(change)
        result.append_row_result(row)
        result.increment_row_result_total(row)
    return result


class UserCountResource(resources.Resource):
    """Hands the whole dataset to ``user_counts_import``; the fields only document the columns."""

    institution_code = fields.Field(column_name=TEMPLATE_HEADERS["institution_code"])
    institution_name = fields.Field(column_name=TEMPLATE_HEADERS["institution_name"])
    unit_level = fields.Field(column_name=TEMPLATE_HEADERS["unit_level"])
    unit_name = fields.Field(column_name=TEMPLATE_HEADERS["unit_name"])
    province_plate = fields.Field(column_name=TEMPLATE_HEADERS["province_plate"])
    district = fields.Field(column_name=TEMPLATE_HEADERS["district"])
    active_users = fields.Field(column_name=TEMPLATE_HEADERS["active_users"])

    class Meta:
        import_order = tuple(COLUMNS)

    @classmethod
    def get_display_name(cls):
        return gettext_lazy("User counts (units and active users)")

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        user = kwargs.get("user")
        by = user if user is not None and user.is_authenticated else None
        report = user_counts_import(dataset=dataset, dry_run=dry_run, by=by)
        return report_as_result(report, dataset)


class UserCountImportMixin(ImportMixin):
    """Adds "Import" (user counts) to a ``ModelAdmin``'s list; only programme staff may use it.

    Mix it in first: ``class InstitutionAdmin(UserCountImportMixin, ..., admin.ModelAdmin)``.
    """

    resource_classes = [UserCountResource]
    import_form_class = UserCountsImportForm
    import_template_name = "admin/entitlements/user_counts_import.html"
    skip_admin_log = True  # the history tables record every write, with the user
    skip_import_confirm = False

    def get_import_formats(self):
        return [UserCountsFormat]

    def has_import_permission(self, request):
        return is_programme_staff(request.user)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, RuleViolation):
            form.add_error("import_file", e.message)
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_import(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        return super().process_import(request, **kwargs)

    def process_result(self, result, request):
        report: ImportReport = result.report
        app, model = self.get_model_info()
        if report.errors:
            # The data changed between the preview and the confirmation: nothing was written.
            messages.error(
                request,
                ngettext(
                    "Nothing was imported: %(n)s error was found on confirming (%(first)s). Upload the file again.",
                    "Nothing was imported: %(n)s errors were found on confirming (%(first)s). Upload the file again.",
                    len(report.errors),
                )
                % {"n": len(report.errors), "first": report.errors[0]},
            )
            return HttpResponseRedirect(reverse(f"admin:{app}_{model}_import", current_app=self.admin_site.name))
        messages.success(
            request,
            _("Import finished. %(summary)s %(entitlements)s")
            % {
                "summary": report.summary(),
                "entitlements": ngettext(
                    "%(n)s entitlement changed.", "%(n)s entitlements changed.", report.entitlements_changed
                )
                % {"n": report.entitlements_changed},
            },
        )
        post_import.send(sender=None, model=self.model)
        return HttpResponseRedirect(reverse(f"admin:{app}_{model}_changelist", current_app=self.admin_site.name))

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["max_size"] = file_size_label(settings.IMPORT_MAX_BYTES)
        context["column_headers"] = [
            (column, TEMPLATE_HEADERS[column], ", ".join(aliases)) for column, aliases in COLUMNS.items()
        ]
        return context
