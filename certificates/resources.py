"""What the certificates changelist exports (the admin's "Export" button, CSV or XLSX through
``kamusm_portal.admin.ExportAdminMixin``): each certificate as it was issued, read from its own
snapshot (no join), with its status."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy
from import_export import fields, resources

from certificates.models import Certificate


def _column(header) -> fields.Field:
    return fields.Field(column_name=header, readonly=True)


class CertificateResource(resources.ModelResource):
    serial = _column(pgettext_lazy("column", "Serial number"))
    participant = _column(pgettext_lazy("column", "Participant"))
    institution = _column(pgettext_lazy("column", "Institution"))
    course = _column(pgettext_lazy("column", "Course"))
    starts_on = _column(pgettext_lazy("column", "From"))
    ends_on = _column(pgettext_lazy("column", "To"))
    status = _column(pgettext_lazy("column", "Status"))
    issued_at = _column(pgettext_lazy("column", "Issued at"))

    class Meta:
        model = Certificate
        fields = ("serial", "participant", "institution", "course", "starts_on", "ends_on", "status", "issued_at")
        export_order = fields

    def dehydrate_serial(self, row: Certificate) -> str:
        return row.serial

    def dehydrate_participant(self, row: Certificate) -> str:
        return row.participant_name

    def dehydrate_institution(self, row: Certificate) -> str:
        return row.institution_name

    def dehydrate_course(self, row: Certificate) -> str:
        return row.course_title

    def dehydrate_starts_on(self, row: Certificate):
        return row.starts_on

    def dehydrate_ends_on(self, row: Certificate):
        return row.ends_on

    def dehydrate_status(self, row: Certificate) -> str:
        return row.get_status_display()

    def dehydrate_issued_at(self, row: Certificate):
        return row.issued_at
