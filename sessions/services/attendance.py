"""Rosters and attendance, for both kinds of session.

A classroom session's roster is its confirmed seats; an on-site session's roster is enrolled by
the institution's official, up to the room the request gave (``roster_full``). After the session
ends, programme staff or that session's trainer record attendance (``full``, ``partial``,
``absent``) for people on the roster; once everyone has a mark the session is ``completed``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kamusm_portal.db import history_copy
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import lock
from kamusm_portal.roles import is_programme_staff
from kamusm_portal.services import service
from sessions.models import (
    Attendance,
    AttendanceStatus,
    Enrolment,
    Participant,
    Reservation,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    TrainingSession,
    free_places,
)
from sessions.services.shared import local_datetime, session_lock


def roster_participant_ids(session: TrainingSession) -> list[int]:
    """Who is on the session's roster, in order: confirmed seats (classroom) or enrolments (on-site)."""
    rows: QuerySet[Reservation] | QuerySet[Enrolment]
    if session.kind == SessionKind.CLASSROOM:
        rows = session.reservations.filter(status=ReservationStatus.CONFIRMED).order_by("pk")
    else:
        rows = session.enrolments.order_by("pk")
    return list(rows.values_list("participant_id", flat=True))


def may_record_attendance(user: User | AnonymousUser, session: TrainingSession) -> bool:
    """Programme staff, or the session's own trainer."""
    return is_programme_staff(user) or (session.trainer_id is not None and session.trainer_id == user.pk)


def roster_open(session: TrainingSession) -> bool:
    """An on-site roster changes while its session is announced."""
    return session.status == SessionStatus.ANNOUNCED


def enrolment_removable(session: TrainingSession, *, marked: bool) -> bool:
    """Someone leaves an on-site roster while it is open and until attendance is recorded for
    them (``marked``)."""
    return roster_open(session) and not marked


@service
def enrolment_create(
    *, session: TrainingSession, participants: Sequence[Participant], by: User | None = None
) -> list[Enrolment]:
    """Put participants of the session's institution on an on-site session's roster. Someone
    already enrolled stays as they are; more people than the room holds is ``roster_full``.
    Answers the enrolments of the participants sent, in the order sent. Locks the participants
    (re-read: one removed meanwhile is refused), then the session row."""
    if not participants:
        raise RuleViolation(
            Code.INVALID, _("Choose at least one participant."), fields={"participants": [_("This field is required.")]}
        )
    # The participants as they are now, locked before the session (the lock order): a removal may
    # have anonymised or deleted one meanwhile.
    ids = [p.pk for p in participants]
    current = {p.pk: p for p in lock(Participant.objects.filter(pk__in=ids))}
    session = session_lock(session)
    if session.kind != SessionKind.ONSITE:
        raise RuleViolation(
            Code.WRONG_SESSION_KIND, _("A classroom session's roster is its confirmed seats: reserve them instead.")
        )
    assert session.institution_id is not None  # an on-site session has its institution (a constraint)
    if not roster_open(session):
        raise RuleViolation(
            Code.ROSTER_CLOSED,
            _("The roster of a %(status)s session cannot change.") % {"status": session.get_status_display()},
        )
    strangers = [pk for pk in ids if pk in current and current[pk].institution_id != session.institution_id]
    if strangers:
        raise RuleViolation(
            Code.OTHER_INSTITUTION,
            _("Only the institution's own participants can be enrolled."),
            fields={"participants": strangers},
        )
    removed = [pk for pk in ids if pk not in current or current[pk].anonymised_at]
    if removed:
        raise RuleViolation(
            Code.PARTICIPANT_REMOVED,
            _("A participant was removed and can no longer be enrolled."),
            fields={"participants": removed},
        )
    participants = [current[pk] for pk in ids]
    existing = {e.participant_id: e for e in session.enrolments.all()}
    wanted = [p for p in dict.fromkeys(participants) if p.pk not in existing]  # in order, each once
    if len(existing) + len(wanted) > session.capacity:
        free = free_places(session.capacity, len(existing))
        raise RuleViolation(
            Code.ROSTER_FULL,
            _("The room holds %(capacity)s people: %(enrolled)s are enrolled, %(free)s places remain.")
            % {"capacity": session.capacity, "enrolled": len(existing), "free": free},
            fields={"remaining": free},
        )
    now = timezone.now()
    by_user = by if by is not None and by.pk else None
    for participant in wanted:
        existing[participant.pk] = Enrolment.objects.create(
            session=session,
            participant=participant,
            institution_id=session.institution_id,
            enrolled_at=now,
            enrolled_by=by_user,
        )
    return [existing[p.pk] for p in participants]


@service(durable=True)
def enrolment_delete(*, enrolment: Enrolment, by: User | None = None) -> None:
    """Take someone off an on-site roster, until attendance is recorded for them. Locks the session row."""
    session = session_lock(enrolment.session)
    if not roster_open(session):
        raise RuleViolation(
            Code.ROSTER_CLOSED,
            _("The roster of a %(status)s session cannot change.") % {"status": session.get_status_display()},
        )
    marked = session.attendance.filter(participant_id=enrolment.participant_id).exists()
    if not enrolment_removable(session, marked=marked):
        raise RuleViolation(
            Code.ATTENDANCE_RECORDED, _("Attendance is recorded for this person: they stay on the roster.")
        )
    if Enrolment.objects.filter(pk=enrolment.pk).exists():
        enrolment.delete()
    _complete_if_marked(session, set(session.attendance.values_list("participant_id", flat=True)))


def _complete_if_marked(session: TrainingSession, marked: set[int], roster: list[int] | None = None) -> None:
    """A session whose roster (read again unless given) all have a mark is ``completed`` (call
    under the session lock)."""
    roster = roster_participant_ids(session) if roster is None else roster
    if session.status == SessionStatus.ANNOUNCED and roster and set(roster) <= marked:
        session.status = SessionStatus.COMPLETED
        session.save(update_fields=["status"])


@service
def attendance_marks_record(
    *,
    session: TrainingSession,
    marks: Sequence[tuple[Participant | int, str]],
    by: User | None = None,
) -> list[Attendance]:
    """Record or correct the marks of people on a session's roster, after the session ends.
    ``marks`` are (participant or participant id, status). Certificates are not this layer's:
    ``certificates.services.attendance_record`` calls this and makes them follow the marks in the
    same transaction, and every face records attendance through it.

    ``attendance_not_allowed`` before the end, on a cancelled session, or for someone not on the
    roster. Sending the same marks again changes nothing. When every person on the roster has a
    mark, the session becomes ``completed``. Answers the rows in the order sent, each with its
    (locked) session, its participant and ``changed``: whether this call recorded or corrected it.
    Locks the session row.
    """
    session = session_lock(session)
    now = timezone.now()
    if session.status == SessionStatus.CANCELLED:
        raise RuleViolation(
            Code.ATTENDANCE_NOT_ALLOWED, _("The session is cancelled: there is no attendance to record.")
        )
    if session.ends_at > now:
        raise RuleViolation(
            Code.ATTENDANCE_NOT_ALLOWED,
            _("Attendance is recorded after the session ends (%(end)s).") % {"end": local_datetime(session.ends_at)},
        )
    if not marks:
        raise RuleViolation(Code.INVALID, _("Give at least one mark."))
    ids = [getattr(participant, "pk", participant) for participant, _status in marks]
    if len(set(ids)) != len(ids):
        raise RuleViolation(Code.INVALID, _("Each participant is marked once."))
    bad = [status for _p, status in marks if status not in AttendanceStatus.values]
    if bad:
        raise RuleViolation(
            Code.INVALID,
            _("Attendance is full, partial or absent."),
            fields={"status": [_("Not a valid choice: %(value)s.") % {"value": bad[0]}]},
        )
    roster = roster_participant_ids(session)
    on_roster = set(roster)
    outside = [pk for pk in ids if pk not in on_roster]
    if outside:  # the same answer for an unknown id and for someone of another institution
        raise RuleViolation(
            Code.ATTENDANCE_NOT_ALLOWED,
            # Ids, not names: whoever sends an id that is not on the roster learns nothing of that person.
            _("Not on this session's roster: participant %(ids)s.") % {"ids": ", ".join(map(str, outside))},
            fields={"participants": outside},
        )
    people = Participant.objects.in_bulk(ids)
    marked = [(people[pk], status) for pk, (_p, status) in zip(ids, marks, strict=True)]
    recorded = {a.participant_id: a for a in session.attendance.all()}
    by_user = by if by is not None and by.pk else None
    fresh = [
        Attendance(session=session, participant=participant, status=status, recorded_at=now, recorded_by=by_user)
        for participant, status in marked
        if participant.pk not in recorded
    ]
    if fresh:  # the first marks of a session: one INSERT, and one for their history
        for row in Attendance.objects.bulk_create(fresh):
            recorded[row.participant_id] = row
        history_copy(
            Attendance.objects.filter(pk__in=[row.pk for row in fresh]),
            when=now,
            user_id=by_user.pk if by_user else None,
            kind="+",
        )
    answer = []
    new = {row.participant_id for row in fresh}
    for participant, status in marked:
        row = recorded[participant.pk]
        row.changed = participant.pk in new or row.status != status
        if row.status != status:
            row.status = status
            row.recorded_at = now
            row.recorded_by = by_user
            row._change_reason = "attendance corrected"
            row.save(update_fields=["status", "recorded_at", "recorded_by"])
        row.session, row.participant = session, people[row.participant_id]
        answer.append(row)
    _complete_if_marked(session, set(recorded), roster)
    return answer
