"""Reads of rosters and attendance sheets, for both kinds of session.

Every list here runs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from django.db.models import QuerySet

from sessions.models import (
    Attendance,
    Enrolment,
    Participant,
    Reservation,
    ReservationStatus,
    SessionKind,
    TrainingSession,
)


def onsite_roster(*, session: TrainingSession) -> QuerySet[Enrolment]:
    """An on-site session's enrolments with participant and unit joined, in order of enrolment."""
    return session.enrolments.select_related(
        "participant", "participant__unit", "participant__unit__province", "participant__unit__district"
    ).order_by("pk")


def attendance_sheet(*, session: TrainingSession) -> list[tuple[Participant, Attendance | None]]:
    """Everyone on the session's roster (confirmed seats, or enrolments) with their mark so far,
    in roster order (two queries)."""
    rows: QuerySet[Reservation] | QuerySet[Enrolment]
    if session.kind == SessionKind.CLASSROOM:
        rows = session.reservations.filter(status=ReservationStatus.CONFIRMED).order_by("pk")
    else:
        rows = session.enrolments.order_by("pk")
    people = [r.participant for r in rows.select_related("participant", "participant__unit")]
    marks = {a.participant_id: a for a in Attendance.objects.filter(session=session)}
    return [(p, marks.get(p.pk)) for p in people]
