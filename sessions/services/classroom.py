"""Writes and rules of sessions (classroom; cancelling either kind), reservations and waiting lists.

Locks (``kamusm_portal.locking``, in its one order): a service that changes an institution's seats
(applying, cancelling a reservation) locks the institution's entitlement row in the session's
program first; every service that changes a session's seats locks the session row and recounts
from the reservations before deciding.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from entitlements.models import Delivery, Institution, Program
from kamusm_portal.db import history_copy
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import lock, lock_one
from kamusm_portal.services import acting_user, service
from kamusm_portal.validators import dates_errors
from sessions import tasks
from sessions.models import (
    LIVE_STATUSES,
    Course,
    Participant,
    Reservation,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingSession,
    Venue,
    free_places,
)
from sessions.selectors.usage import Usage
from sessions.services import reservation_sql as sql
from sessions.services.onsite import onsite_session_cancel
from sessions.services.shared import (
    booked_session_save,
    entitlement_lock,
    local_datetime,
    program_open_check,
    session_lock,
)
from sessions.services.trainers import trainer_conflict_check, trainer_lock
from sessions.services.usage import flagged_entitlements_of, usage_check_queue


def _notice_check(*, program: Program, starts_at: datetime, now: datetime) -> None:
    earliest = now + timedelta(days=program.notice_days)
    if starts_at < earliest:
        raise RuleViolation(
            Code.NOTICE_PERIOD,
            _(
                "A classroom session is announced at least %(days)s days before it starts: "
                "the earliest start allowed now is %(earliest)s."
            )
            % {"days": program.notice_days, "earliest": local_datetime(earliest)},
            fields={"starts_at": [_("Earliest allowed start: %(earliest)s.") % {"earliest": local_datetime(earliest)}]},
        )


# --- Sessions -------------------------------------------------------------------------------


def _trainer_book(
    trainer: Trainer | None, *, starts_at: datetime, ends_at: datetime, session_pk: int | None = None
) -> None:
    """An active trainer, locked and free for the time (``trainer_conflict`` otherwise)."""
    if trainer is None:
        return
    trainer = trainer_lock(trainer)
    trainer_conflict_check(trainer=trainer, starts_at=starts_at, ends_at=ends_at, exclude_session=session_pk)


def _session_fields_check(
    *,
    venue: Venue | None,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    course: Course,
    dates_given: bool = True,
    confirmed: int = 0,
) -> None:
    """A classroom session's fields; its dates, when they are given (anew), between today and
    ``YEARS_AHEAD`` years ahead (``kamusm_portal.validators``); its capacity never below the
    ``confirmed`` seats it already has (nobody loses a confirmed seat to a smaller room)."""
    errors: dict[str, list[str]] = {}
    if dates_given:
        errors.update(dates_errors(starts_at, ends_at, start_field="starts_at", end_field="ends_at"))
    if venue is None:
        errors["venue"] = [_("A classroom session is held at one of the centre's venues.")]
    elif not venue.is_active:
        errors["venue"] = [_("The venue %(venue)s is not in use.") % {"venue": venue.name}]
    elif capacity > venue.seats:
        errors["capacity"] = [
            _("The venue %(venue)s has %(seats)s seats.") % {"venue": venue.name, "seats": venue.seats}
        ]
    if capacity is None or capacity < 1:
        errors["capacity"] = [_("The capacity is at least one seat.")]
    elif capacity < confirmed:
        errors["capacity"] = [
            ngettext(
                "%(n)s seat is already confirmed: the capacity cannot go below %(n)s.",
                "%(n)s seats are already confirmed: the capacity cannot go below %(n)s.",
                confirmed,
            )
            % {"n": confirmed}
        ]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The session ends after it starts.")]
    if not course.is_active:
        errors["course"] = [_("The course %(course)s is not active.") % {"course": course.code}]
    if errors:
        raise RuleViolation(Code.INVALID, next(iter(errors.values()))[0], fields=errors)


@service
def session_create(
    *,
    program: Program,
    course: Course,
    venue: Venue | None,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int | None = None,
    trainer: Trainer | None = None,
    by: User | None = None,
) -> TrainingSession:
    """A new classroom session, as a draft (capacity: the program's classroom size by default).
    With a trainer, locks the trainer row and checks their work plan."""
    program_open_check(program)
    capacity = capacity if capacity is not None else program.classroom_size
    _session_fields_check(venue=venue, starts_at=starts_at, ends_at=ends_at, capacity=capacity, course=course)
    _trainer_book(trainer, starts_at=starts_at, ends_at=ends_at)
    session = TrainingSession(
        program=program,
        course=course,
        kind=SessionKind.CLASSROOM,
        venue=venue,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        trainer=trainer,
    )
    booked_session_save(session)
    return session


@service
def session_update(*, session: TrainingSession, data: dict[str, Any], by: User | None = None) -> TrainingSession:
    """Change a classroom session. Moving an announced session's start needs the notice period
    again; a larger capacity promotes from the waiting list at once; a capacity below the seats
    already confirmed is refused (``invalid`` on ``capacity``, saying how many). Locks the session
    row, the reservations it promotes, then the trainer's row."""
    session = session_lock(session)
    if session.kind != SessionKind.CLASSROOM:
        raise RuleViolation(Code.WRONG_SESSION_KIND, _("Only classroom sessions are edited here."))
    if session.status in (SessionStatus.CANCELLED, SessionStatus.COMPLETED):
        raise RuleViolation(
            Code.SESSION_CLOSED,
            _("A %(status)s session cannot be changed.") % {"status": session.get_status_display()},
        )
    now = timezone.now()
    if session.starts_at <= now:
        raise RuleViolation(Code.SESSION_STARTED, _("A session that has started cannot be changed."))
    new = {f: data.get(f, getattr(session, f)) for f in ("course", "venue", "starts_at", "ends_at", "capacity")}
    moved = (new["starts_at"], new["ends_at"]) != (session.starts_at, session.ends_at)
    confirmed = session.reservations.filter(status=ReservationStatus.CONFIRMED).count()
    _session_fields_check(**new, dates_given=moved, confirmed=confirmed)
    if session.status == SessionStatus.ANNOUNCED and new["starts_at"] != session.starts_at:
        _notice_check(program=session.program, starts_at=new["starts_at"], now=now)
    changed = [f for f in new if getattr(session, f) != new[f]]
    trainer = data.get("trainer", session.trainer)
    if "trainer" in data and data["trainer"] != session.trainer:
        changed.append("trainer")
    for field in changed:
        setattr(session, field, trainer if field == "trainer" else new[field])
    if "capacity" in changed and session.starts_at > now:  # the reservations before the trainer (lock order)
        _waitlist_promote(session=session, free=free_places(session.capacity, confirmed), now=now)
    if trainer is not None and {"trainer", "starts_at", "ends_at"} & set(changed):
        _trainer_book(trainer, starts_at=session.starts_at, ends_at=session.ends_at, session_pk=session.pk)
    if changed:
        booked_session_save(session, update_fields=changed)
    return session


@service
def session_announce(*, session: TrainingSession, by: User | None = None) -> TrainingSession:
    """Publish a draft session to officials, at least the program's notice period ahead; the
    officials of classroom-band institutions are e-mailed after commit. Locks the session row."""
    session = session_lock(session)
    program_open_check(session.program)
    if session.status != SessionStatus.DRAFT:
        raise RuleViolation(
            Code.SESSION_NOT_DRAFT,
            _("Only a draft session can be announced; this one is %(status)s.")
            % {"status": session.get_status_display()},
        )
    now = timezone.now()
    _notice_check(program=session.program, starts_at=session.starts_at, now=now)
    session.status = SessionStatus.ANNOUNCED
    session.announced_at = now
    session.save(update_fields=["status", "announced_at"])
    tasks.send_session_announced.delay_on_commit(session.pk)
    return session


@service(durable=True)
def session_cancel(*, session: TrainingSession, by: User | None = None) -> TrainingSession:
    """Cancel a session.

    Classroom: until it starts; every live reservation is cancelled (rows and history kept, quota
    freed) and its official notified after commit. Locks the session row.
    On-site: until attendance is recorded; its hours go back to its request item, held again to
    be rescheduled (a request that was fully scheduled opens again), and the institution's
    officials and the trainer are told. Locks the entitlement row, then the session row.
    """
    if session.kind == SessionKind.ONSITE:
        return onsite_session_cancel(session=session, by=by)
    session = session_lock(session)
    if session.status in (SessionStatus.CANCELLED, SessionStatus.COMPLETED):
        raise RuleViolation(
            Code.SESSION_CLOSED,
            _("A %(status)s session cannot be cancelled.") % {"status": session.get_status_display()},
        )
    now = timezone.now()
    if session.starts_at <= now:
        # Its confirmed seats were used: they keep counting against the institutions' quota.
        raise RuleViolation(Code.SESSION_STARTED, _("A session that has started cannot be cancelled."))
    session.status = SessionStatus.CANCELLED
    session.cancelled_at = now
    session.save(update_fields=["status", "cancelled_at"])
    held = list(session.reservations.filter(status__in=LIVE_STATUSES))
    for reservation in held:
        reservation.status = ReservationStatus.CANCELLED
        reservation.cancelled_at = now
        reservation._change_reason = "session cancelled"
        reservation.save(update_fields=["status", "cancelled_at"])
    if held:
        tasks.send_session_cancelled.delay_on_commit(session.pk, [r.pk for r in held])
        flagged = flagged_entitlements_of(Reservation.objects.filter(pk__in=[r.pk for r in held]))
        if flagged:  # freed seats may bring a flagged institution back within its right
            tasks.check_usage_above_right.delay_on_commit(flagged)
    return session


# --- Reservations ---------------------------------------------------------------------------


def _session_not_open() -> RuleViolation:
    return RuleViolation(
        Code.SESSION_NOT_OPEN,
        _("The session is not open for reservations (not announced, cancelled or already started)."),
    )


def reservation_cancellable(reservation: Reservation, now: datetime | None = None) -> bool:
    """A live reservation may be cancelled until its session starts."""
    now = now or timezone.now()
    return reservation.status in LIVE_STATUSES and reservation.session.starts_at > now


# --- The reservation hot path: its SQL is in sessions/services/reservation_sql.py ----------------


def _not_entitled(*, program_id: int, institution: Institution) -> RuleViolation:
    program = Program.objects.get(pk=program_id)
    program_open_check(program)  # a closed program has no rows to grant: say so rather than "not entitled"
    return RuleViolation(
        Code.NOT_ENTITLED,
        _("%(institution)s has no classroom seats in %(program)s.") % {"institution": institution, "program": program},
    )


def _held_session(reservation: Reservation) -> str:
    """The session where a person holds their seat, as messages name it: course and start."""
    session = reservation.session
    return f"{session.course.code} {session.course.title} ({local_datetime(session.starts_at)})"


def seat_held_reason(reservation: Reservation) -> str:
    """Why a person cannot apply for another session of the program: the live ``reservation`` they
    hold on one (the reserve page shows it beside them; select its ``session__course``)."""
    names = {"session": _held_session(reservation)}
    if reservation.status == ReservationStatus.CONFIRMED:
        return _("holds a confirmed seat on %(session)s") % names
    return _("is on the waiting list of %(session)s") % names


def _seat_held_elsewhere(reservation_ids: Sequence[int]) -> RuleViolation:
    """``duplicate_participant`` for people who already hold a live seat on another session of the
    program, each named with that session (course and start)."""
    held = Reservation.objects.select_related("participant", "session__course").in_bulk(reservation_ids)
    sentences = []
    for pk in reservation_ids:
        reservation = held[pk]
        names = {"name": reservation.participant.full_name, "session": _held_session(reservation)}
        if reservation.status == ReservationStatus.CONFIRMED:
            sentences.append(_("%(name)s already holds a confirmed seat on %(session)s.") % names)
        else:
            sentences.append(_("%(name)s is already on the waiting list of %(session)s.") % names)
    sentences.append(
        _(
            "A person holds one classroom seat in a program: "
            "cancel that reservation before applying for another session."
        )
    )
    message = " ".join(sentences)
    return RuleViolation(Code.DUPLICATE_PARTICIPANT, message, fields={"participants": [message]})


@service(durable=True)
def reservation_create(
    *, session: TrainingSession, participants: Sequence[Participant], by: User | None = None
) -> list[Reservation]:
    """Apply for seats for some of one institution's participants on a classroom session.

    Refused whole when the institution's band is not classroom (``not_entitled``), the session is
    not open (``session_not_open``), a participant already holds a live reservation on it or on
    another session of the program (``duplicate_participant``: the six are six people) or the
    application would pass the institution's quota of live reservations in the program
    (``institution_quota``). Otherwise seats are confirmed in the order given while the session
    has free seats, and the rest waitlisted behind earlier applications.

    Locks, in order: the institution's entitlement row (which guards its quota: its live
    reservations, and so the seat each of its people holds in the program, are counted under it),
    its participants (which guard what each person holds), then the session row (which guards the
    seats; the session's queue is counted under it). Ids and ``applied_at`` are taken under the
    session lock, so id order is application order.
    """
    if not participants:
        raise RuleViolation(Code.INVALID, _("Choose at least one participant."), fields={"participants": ["required"]})
    institutions = {p.institution_id for p in participants}
    if len(institutions) != 1:
        raise RuleViolation(
            Code.OTHER_INSTITUTION,
            _("One application is for participants of one institution."),
            fields={"participants": [_("Participants of several institutions.")]},
        )
    if any(p.anonymised_at for p in participants):
        raise RuleViolation(Code.PARTICIPANT_REMOVED, _("An anonymised participant cannot apply."))
    institution = participants[0].institution
    ids = [p.pk for p in participants]
    if len(set(ids)) != len(ids):
        message = _("The same participant is given twice.")
        raise RuleViolation(Code.DUPLICATE_PARTICIPANT, message, fields={"participants": [message]})

    # A session's program never changes: read it unlocked, to lock in order (entitlement, then session).
    program_id = (
        session.program_id or TrainingSession.objects.filter(pk=session.pk).values_list("program_id", flat=True).first()
    )
    if program_id is None:
        raise RuleViolation(Code.INVALID, _("No such session."), fields={"session": [_("No such session.")]})
    with connection.cursor() as cursor:
        # 1. The entitlement row: the institution's band in the program, and its quota's guard.
        if sql.band_locked(cursor, program_id=program_id, institution_id=institution.pk) != Delivery.CLASSROOM:
            raise _not_entitled(program_id=program_id, institution=institution)
        # 2. Under it: the participants as they are now (a removal may have anonymised one), the
        #    institution's live reservations in the program and the seat each person holds in it
        #    (only this lock's holders add to them: a participant belongs to one institution).
        available, live, held = sql.participants_locked(
            cursor, ids=ids, institution_id=institution.pk, program_id=program_id, now=timezone.now()
        )
        # 3. The session row; the application is stamped once it is locked: (applied_at, id) is the
        #    order of the queue.
        row = sql.session_locked(cursor, session_id=session.pk)
        now = timezone.now()
        if row is None:
            raise RuleViolation(Code.INVALID, _("No such session."), fields={"session": [_("No such session.")]})
        kind, status, starts_at, capacity, program_open, quota = row
        if kind != SessionKind.CLASSROOM or status != SessionStatus.ANNOUNCED or starts_at <= now:
            raise _session_not_open()
        if not program_open:
            program_open_check(Program.objects.get(pk=program_id))
        if len(available) != len(ids):
            raise RuleViolation(
                Code.PARTICIPANT_REMOVED,
                _("A participant is no longer available."),
                fields={"participants": [pk for pk in ids if pk not in available]},
            )
        # 4. The session's queue, recounted from the reservations.
        confirmed, waitlisted, already = sql.queue_counts(cursor, session_id=session.pk, ids=ids)
        if already:
            names = Participant.objects.filter(
                pk__in=Reservation.objects.filter(
                    session_id=session.pk, participant_id__in=ids, status__in=LIVE_STATUSES
                ).values("participant_id")
            )
            message = _("Already on this session: %(names)s.") % {"names": ", ".join(p.full_name for p in names)}
            raise RuleViolation(Code.DUPLICATE_PARTICIPANT, message, fields={"participants": [message]})
        if held:  # the six are six people: one live seat a person in the program
            raise _seat_held_elsewhere([held[pk] for pk in ids if pk in held])
        remaining = Usage(seat_quota=quota, seats_used=live).seats_available
        if len(participants) > remaining:
            raise RuleViolation(
                Code.INSTITUTION_QUOTA,
                ngettext(
                    "The quota of %(quota)s reservations per institution would be passed: %(remaining)s place remains.",
                    "The quota of %(quota)s reservations per institution would be passed: %(remaining)s places remain.",
                    remaining,
                )
                % {"quota": quota, "remaining": remaining},
                fields={"remaining": remaining},
            )
        # 5. The seats: confirmed while free, then waitlisted; the history rows beside them.
        free = free_places(capacity, confirmed)
        applied_by = acting_user()
        created = [
            Reservation(
                session=session,
                participant=participant,
                institution=institution,
                status=ReservationStatus.CONFIRMED if index < free else ReservationStatus.WAITLISTED,
                applied_at=now,
                applied_by=applied_by,
                confirmed_at=now if index < free else None,
            )
            for index, participant in enumerate(participants)
        ]
        new_ids = sql.reservations_insert(cursor, created, now=now, user_id=applied_by.pk if applied_by else None)
        for reservation, pk in zip(created, new_ids, strict=True):
            reservation.pk = reservation.id = pk
            reservation._state.adding = False
            reservation._state.db = connection.alias
    # Positions follow from the count before this application: nothing else moves under the lock.
    for index, reservation in enumerate(created):
        reservation.position = None if index < free else waitlisted + index - free + 1
    tasks.send_reservations_made.delay_on_commit([r.pk for r in created])
    return created


def _waitlist_promote(*, session: TrainingSession, free: int, now: datetime) -> list[Reservation]:
    """Confirm the first ``free`` waitlisted reservations (application order); notify after commit."""
    if free <= 0 or session.starts_at <= now:
        return []
    first = session.reservations.filter(status=ReservationStatus.WAITLISTED).order_by("pk")[:free]
    promoted = lock(Reservation.objects.filter(pk__in=list(first.values_list("pk", flat=True))))
    for reservation in promoted:
        reservation.status = ReservationStatus.CONFIRMED
        reservation.confirmed_at = now
        reservation._change_reason = "promoted from the waiting list"
        reservation.save(update_fields=["status", "confirmed_at"])
        tasks.send_reservation_promoted.delay_on_commit(reservation.pk)
    return promoted


@service(durable=True)
def reservation_cancel(*, reservation: Reservation, by: User | None = None) -> Reservation:
    """Cancel a live reservation until the session starts; a freed seat goes at once to the first
    on the waiting list, in the same transaction. Answers the cancelled reservation, with
    ``cancelled_from``: the status it was cancelled from (confirmed or waitlisted), read from the
    locked row (the reservation passed in may be stale: a promotion may have confirmed it since).
    Locks the entitlement row, the session row, then the reservation."""
    reservation = Reservation.objects.select_related("session").get(pk=reservation.pk)
    entitlement = entitlement_lock(program_id=reservation.session.program_id, institution_id=reservation.institution_id)
    session = session_lock(reservation.session)
    locked = lock_one(Reservation.objects.filter(pk=reservation.pk))
    if locked is None:
        raise Reservation.DoesNotExist
    reservation = locked
    now = timezone.now()
    reservation.session = session
    if reservation.status not in LIVE_STATUSES:
        raise RuleViolation(
            Code.RESERVATION_NOT_LIVE,
            _("This reservation is already %(status)s.") % {"status": reservation.get_status_display()},
        )
    if not reservation_cancellable(reservation, now):
        raise RuleViolation(Code.SESSION_NOT_OPEN, _("The session has started: its reservations can no longer change."))
    reservation.cancelled_from = reservation.status
    was_confirmed = reservation.status == ReservationStatus.CONFIRMED
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancelled_at = now
    reservation.save(update_fields=["status", "cancelled_at"])
    if was_confirmed:
        confirmed = session.reservations.filter(status=ReservationStatus.CONFIRMED).count()
        _waitlist_promote(session=session, free=free_places(session.capacity, confirmed), now=now)
    usage_check_queue(entitlement)
    return reservation


EXPIRE_BATCH = 10_000


@service(durable=True)
def waitlists_expire(*, now: datetime | None = None) -> int:
    """Write ``expired`` on the waiting places of sessions that have started (the scheduled job:
    reads already show them expired, ``Reservation.objects.with_current_status``), up to
    ``EXPIRE_BATCH`` a run. One UPDATE and one INSERT of their history rows. Locks those
    reservations."""
    now = now or timezone.now()
    waiting = Reservation.objects.filter(status=ReservationStatus.WAITLISTED, session__starts_at__lte=now)
    # At most EXPIRE_BATCH a run (the job runs every minute): a bounded transaction and statement.
    first = list(waiting.order_by("pk").values_list("pk", flat=True)[:EXPIRE_BATCH])
    stale = [r.pk for r in lock(waiting.filter(pk__in=first))]
    if stale:
        Reservation.objects.filter(pk__in=stale).update(status=ReservationStatus.EXPIRED)
        history_copy(Reservation.objects.filter(pk__in=stale), when=now, reason="session started")
        flagged = flagged_entitlements_of(Reservation.objects.filter(pk__in=stale))
        if flagged:  # the expired places no longer count: a flagged institution may be within its right
            tasks.check_usage_above_right.delay_on_commit(flagged)
    return len(stale)
