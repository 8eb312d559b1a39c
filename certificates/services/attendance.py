"""Recording attendance: the marks (``sessions``) and the certificates that follow them, in one
transaction. Every face that records attendance (the portal's attendance sheet, the API's
``POST /sessions/{id}/attendance/``) calls ``attendance_record``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User

from certificates.services.issuing import certificates_sync
from kamusm_portal.services import service
from sessions.models import Attendance, Participant, TrainingSession
from sessions.services import attendance_marks_record


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
    rows = attendance_marks_record(session=session, marks=marks, by=by)
    # Only the marks this call recorded or corrected: a mark sent again changes nothing, so it never
    # issues again a certificate that staff revoked.
    changed = [(row.participant, row.status) for row in rows if row.changed]
    certificates_sync(session=rows[0].session, marks=changed, by=by)
    return rows
