"""Every write and rule of the certificates app, one module per subject:

- ``attendance``: recording attendance, which issues and revokes certificates in the same transaction;
- ``issuing``: certificate records: eligibility, serials, verification codes, revoking, re-rendering;
- ``pdfs``: the PDFs in the background: queueing, rendering, signing, storing, e-mailing, the sweep.

Callers import from here: ``from certificates.services import certificate_revoke``.
"""

from certificates.services.attendance import AttendanceRecorded, attendance_record, attendance_sheet_record
from certificates.services.issuing import (
    CODE_LENGTH,
    SERIAL_RE,
    CertificatesSynced,
    certificate_rerender,
    certificate_revoke,
    certificate_rule,
    certificates_sync,
    code_normalise,
    eligible,
    serials_take,
)
from certificates.services.pdfs import (
    certificate_render,
    certificates_render,
    certificates_stale_requeue,
    publish_renders,
    render_later_many,
)

__all__ = [
    "CODE_LENGTH",
    "SERIAL_RE",
    "AttendanceRecorded",
    "CertificatesSynced",
    "attendance_record",
    "attendance_sheet_record",
    "certificate_render",
    "certificate_rerender",
    "certificate_revoke",
    "certificate_rule",
    "certificates_render",
    "certificates_stale_requeue",
    "certificates_sync",
    "code_normalise",
    "eligible",
    "publish_renders",
    "render_later_many",
    "serials_take",
]
