"""Recording attendance: the marks (``sessions``) and the certificates that follow them, in one
transaction. Every face that records attendance (the portal's attendance sheet, the API's
``POST /sessions/{id}/attendance/``) calls ``attendance_record``; the sheet calls
``attendance_sheet_record``, which also answers the certificates it issued and revoked, to say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User

from certificates.models import Certificate
from certificates.services.issuing import certificates_sync
from kamusm_portal.services import service
from sessions.models import Attendance, Participant, TrainingSession
from sessions.services import attendance_marks_record


@dataclass(frozen=True)
class AttendanceRecorded:
    """What one save of attendance did."""

    rows: list[Attendance]
    """The attendance rows, in the order sent."""
    issued: list[Certificate]
    """The certificates it issued (none for a mark sent again): their PDFs are rendered after the
    commit, in the background, and each participant is e-mailed when theirs is ready."""
    revoked: list[Certificate] = field(default_factory=list)
    """The certificates it revoked: a correction made their marks ineligible (attendance corrected)."""


@service
def attendance_record(
    *,
    session: TrainingSession,
    marks: Sequence[tuple[Participant | int, str]],
    by: User | None = None,
) -> list[Attendance]:
    """Record or correct attendance after the session ends, for people on its roster
    (``sessions.services.attendance_marks_record``: its rules and refusals), and make the
    certificates follow the marks: an eligible mark issues the person's certificate, a correction
    that makes them ineligible revokes it. Answers the attendance rows in the order sent.
    Locks the session row, then the serial counter when a certificate is issued.
    """
    return _record(session, marks, by).rows


@service
def attendance_sheet_record(
    *,
    session: TrainingSession,
    marks: Sequence[tuple[Participant | int, str]],
    by: User | None = None,
) -> AttendanceRecorded:
    """``attendance_record``, answering also the certificates it issued and revoked (the sheet says
    how many)."""
    return _record(session, marks, by)


def _record(
    session: TrainingSession, marks: Sequence[tuple[Participant | int, str]], by: User | None
) -> AttendanceRecorded:
    rows = attendance_marks_record(session=session, marks=marks, by=by)
    # Only the marks this call recorded or corrected: a mark sent again changes nothing, so it never
    # issues again a certificate that staff revoked, and a sheet sent twice issues once.
    changed = [(row.participant, row.status) for row in rows if row.changed]
    synced = certificates_sync(session=rows[0].session, marks=changed, by=by)
    return AttendanceRecorded(rows=rows, issued=synced.issued, revoked=synced.revoked)
