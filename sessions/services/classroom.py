"""Writes and rules of sessions (classroom; cancelling either kind), participants and reservations.

Locks: a service that changes seats locks, in this order, the institution's entitlement row in the
session's program, then the session row, and recounts from the reservations before deciding
(``select_for_update`` on PostgreSQL; on SQLite every write transaction is ``BEGIN IMMEDIATE``,
so writers queue on the database lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from entitlements.models import Category, Delivery, Entitlement, Institution, Program
from kamusm_portal.db import history_insert, history_insert_sql, history_params
from kamusm_portal.errors import RuleViolation
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
from sessions.services.shared import booked_session_save, local_datetime, program_open_check, session_lock


def _notice_check(*, program: Program, starts_at: datetime, now: datetime) -> None:
    earliest = now + timedelta(days=program.notice_days)
    if starts_at < earliest:
        raise RuleViolation(
            "notice_period",
            _(
                "A classroom session is announced at least %(days)s days before it starts: "
                "the earliest start allowed now is %(earliest)s."
            )
            % {"days": program.notice_days, "earliest": local_datetime(earliest)},
            fields={"starts_at": [_("Earliest allowed start: %(earliest)s.") % {"earliest": local_datetime(earliest)}]},
        )


# --- Sessions -------------------------------------------------------------------------------


def _trainer_book(trainer: Trainer | None, *, starts_at: datetime, ends_at: datetime, session_pk=None) -> None:
    """An active trainer, locked and free for the time (``trainer_conflict`` otherwise)."""
    if trainer is None:
        return
    from sessions.services.trainers import trainer_conflict_check, trainer_lock

    trainer = trainer_lock(trainer)
    trainer_conflict_check(trainer=trainer, starts_at=starts_at, ends_at=ends_at, exclude_session=session_pk)


def _session_fields_check(
    *, venue: Venue | None, starts_at: datetime, ends_at: datetime, capacity: int, course: Course
) -> None:
    errors: dict[str, list[str]] = {}
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
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The session ends after it starts.")]
    if not course.is_active:
        errors["course"] = [_("The course %(course)s is not active.") % {"course": course.code}]
    if errors:
        raise RuleViolation("invalid", next(iter(errors.values()))[0], fields=errors)


@transaction.atomic
def session_create(
    *,
    program: Program,
    course: Course,
    venue: Venue,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int | None = None,
    trainer: Trainer | None = None,
    by: AbstractBaseUser | None = None,
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


@transaction.atomic
def session_update(*, session: TrainingSession, data: dict[str, Any], by: AbstractBaseUser | None = None):
    """Change a classroom session. Moving an announced session's start needs the notice period
    again; a larger capacity promotes from the waiting list at once; a capacity below the seats
    already confirmed is refused. Locks the session row, then its trainer's."""
    session = session_lock(session)
    if session.kind != SessionKind.CLASSROOM:
        raise RuleViolation("invalid", _("Only classroom sessions are edited here."))
    if session.status in (SessionStatus.CANCELLED, SessionStatus.COMPLETED):
        raise RuleViolation(
            "invalid", _("A %(status)s session cannot be changed.") % {"status": session.get_status_display()}
        )
    now = timezone.now()
    if session.starts_at <= now:
        raise RuleViolation("invalid", _("A session that has started cannot be changed."))
    new = {f: data.get(f, getattr(session, f)) for f in ("course", "venue", "starts_at", "ends_at", "capacity")}
    _session_fields_check(**new)
    if session.status == SessionStatus.ANNOUNCED and new["starts_at"] != session.starts_at:
        _notice_check(program=session.program, starts_at=new["starts_at"], now=now)
    confirmed = session.reservations.filter(status=ReservationStatus.CONFIRMED).count()
    if new["capacity"] < confirmed:
        raise RuleViolation(
            "invalid",
            _("%(n)s seats are already confirmed: the capacity cannot go below that.") % {"n": confirmed},
            fields={"capacity": [_("At least %(n)s.") % {"n": confirmed}]},
        )
    changed = [f for f in new if getattr(session, f) != new[f]]
    trainer = data.get("trainer", session.trainer)
    if "trainer" in data and data["trainer"] != session.trainer:
        changed.append("trainer")
    if trainer is not None and {"trainer", "starts_at", "ends_at"} & set(changed):
        _trainer_book(trainer, starts_at=new["starts_at"], ends_at=new["ends_at"], session_pk=session.pk)
    for field in changed:
        setattr(session, field, trainer if field == "trainer" else new[field])
    if changed:
        booked_session_save(session, update_fields=changed)
    if "capacity" in changed and session.starts_at > now:
        _waitlist_promote(session=session, free=free_places(session.capacity, confirmed), now=now)
    return session


@transaction.atomic
def session_announce(*, session: TrainingSession, by: AbstractBaseUser | None = None) -> TrainingSession:
    """Publish a draft session to officials, at least the program's notice period ahead; the
    officials of classroom-band institutions are e-mailed after commit. Locks the session row."""
    session = session_lock(session)
    program_open_check(session.program)
    if session.status != SessionStatus.DRAFT:
        raise RuleViolation(
            "invalid",
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


@transaction.atomic
def session_cancel(*, session: TrainingSession, by: AbstractBaseUser | None = None) -> TrainingSession:
    """Cancel a session.

    Classroom: until it starts; every live reservation is cancelled (rows and history kept, quota
    freed) and its official notified after commit. Locks the session row.
    On-site: until attendance is recorded; its hours go back to its request item, held again to
    be rescheduled (a request that was fully scheduled opens again), and the institution's
    officials and the trainer are told. Locks the entitlement row, then the session row.
    """
    if session.kind == SessionKind.ONSITE:
        from sessions.services.onsite import onsite_session_cancel

        return onsite_session_cancel(session=session, by=by)
    session = session_lock(session)
    if session.status in (SessionStatus.CANCELLED, SessionStatus.COMPLETED):
        raise RuleViolation(
            "invalid",
            _("A %(status)s session cannot be cancelled.") % {"status": session.get_status_display()},
        )
    now = timezone.now()
    if session.starts_at <= now:
        # Its confirmed seats were used: they keep counting against the institutions' quota.
        raise RuleViolation("invalid", _("A session that has started cannot be cancelled."))
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
    return session


# --- Reservations ---------------------------------------------------------------------------


def _session_not_open() -> RuleViolation:
    return RuleViolation(
        "session_not_open",
        _("The session is not open for reservations (not announced, cancelled or already started)."),
    )


def reservation_cancellable(reservation: Reservation, now: datetime | None = None) -> bool:
    """A live reservation may be cancelled until its session starts."""
    now = now or timezone.now()
    return reservation.status in LIVE_STATUSES and reservation.session.starts_at > now


# --- The reservation hot path ----------------------------------------------------------------
# reservation_create runs on every application, and a session's applications queue on its lock.
# Its reads and writes are plain SQL: building ORM queries was most of an attempt's CPU
# (bench/reservations.py), and the shorter each transaction, the shorter the queue behind it.


def _for_update(alias: str = "") -> str:
    """Row locks on PostgreSQL (of ``alias`` only, when given); SQLite has none (``BEGIN IMMEDIATE``
    serialises writers)."""
    if not connection.features.has_select_for_update:
        return ""
    return f" FOR UPDATE OF {alias}" if alias else " FOR UPDATE"


def _in(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _fetch(cursor, sql: str, params: Sequence[Any]) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def _not_entitled(*, program_id: int, institution: Institution) -> RuleViolation:
    program = Program.objects.get(pk=program_id)
    program_open_check(program)  # a closed program has no rows to grant: say so rather than "not entitled"
    return RuleViolation(
        "not_entitled",
        _("%(institution)s has no classroom seats in %(program)s.") % {"institution": institution, "program": program},
    )


@transaction.atomic
def reservation_create(
    *, session: TrainingSession, participants: Sequence[Participant], by: AbstractBaseUser | None = None
) -> list[Reservation]:
    """Apply for seats for some of one institution's participants on a classroom session.

    Refused whole when the institution's band is not classroom (``not_entitled``), the session is
    not open (``session_not_open``), a participant already holds a live reservation on it
    (``duplicate_participant``) or the application would pass the institution's quota of live
    reservations in the program (``institution_quota``). Otherwise seats are confirmed in the
    order given while the session has free seats, and the rest waitlisted behind earlier
    applications.

    Locks, in order: the institution's entitlement row (which guards its quota; its participants
    are locked and its live reservations counted under it), then the session row (which guards
    the seats; the session's queue is counted under it). Ids and ``applied_at`` are taken under
    the session lock, so id order is application order.
    """
    if not participants:
        raise RuleViolation("invalid", _("Choose at least one participant."), fields={"participants": ["required"]})
    institutions = {p.institution_id for p in participants}
    if len(institutions) != 1:
        raise RuleViolation(
            "invalid",
            _("One application is for participants of one institution."),
            fields={"participants": [_("Participants of several institutions.")]},
        )
    if any(p.anonymised_at for p in participants):
        raise RuleViolation("invalid", _("An anonymised participant cannot apply."))
    institution = participants[0].institution
    ids = [p.pk for p in participants]
    if len(set(ids)) != len(ids):
        raise RuleViolation("duplicate_participant", _("The same participant is given twice."))

    # A session's program never changes: read it unlocked, to lock in order (entitlement, then session).
    program_id = (
        session.program_id or TrainingSession.objects.filter(pk=session.pk).values_list("program_id", flat=True).first()
    )
    if program_id is None:
        raise RuleViolation("invalid", _("No such session."), fields={"session": [_("No such session.")]})
    adapt = connection.ops.adapt_datetimefield_value
    entitlements, categories = Entitlement._meta.db_table, Category._meta.db_table
    sessions, programs = TrainingSession._meta.db_table, Program._meta.db_table
    reservations, people = Reservation._meta.db_table, Participant._meta.db_table
    with connection.cursor() as cursor:
        # 1. The entitlement row: the institution's band in the program, and its quota's guard.
        band = _fetch(
            cursor,
            f"SELECT c.delivery FROM {entitlements} e LEFT JOIN {categories} c ON c.id = e.category_id "  # noqa: S608
            f"WHERE e.program_id = %s AND e.institution_id = %s{_for_update('e')}",
            [program_id, institution.pk],
        )
        if not band or band[0][0] != Delivery.CLASSROOM:
            raise _not_entitled(program_id=program_id, institution=institution)
        # 2. Under it: the participants as they are now (a removal may have anonymised one) and the
        #    institution's live reservations in the program (only this lock's holders add to them).
        early = adapt(timezone.now())
        available = _fetch(
            cursor,
            f"SELECT p.id, (SELECT COUNT(*) FROM {reservations} r JOIN {sessions} s ON s.id = r.session_id "  # noqa: S608
            "WHERE r.institution_id = %s AND s.program_id = %s "
            "AND (r.status = %s OR (r.status = %s AND s.starts_at > %s))) "
            f"FROM {people} p WHERE p.id IN ({_in(ids)}) AND p.institution_id = %s AND p.anonymised_at IS NULL "
            f"ORDER BY p.id{_for_update('p')}",
            [
                institution.pk,
                program_id,
                ReservationStatus.CONFIRMED,
                ReservationStatus.WAITLISTED,
                early,
                *ids,
                institution.pk,
            ],
        )
        live = available[0][1] if available else 0
        # 3. The session row; the application is stamped once it is locked: (applied_at, id) is the
        #    order of the queue.
        row = _fetch(
            cursor,
            f"SELECT s.kind, s.status, s.starts_at, s.capacity, p.is_open, p.classroom_quota "  # noqa: S608
            f"FROM {sessions} s JOIN {programs} p ON p.id = s.program_id WHERE s.id = %s{_for_update('s')}",
            [session.pk],
        )
        now = timezone.now()
        if not row:
            raise RuleViolation("invalid", _("No such session."), fields={"session": [_("No such session.")]})
        kind, status, starts_at, capacity, program_open, quota = row[0]
        if timezone.is_naive(starts_at):  # SQLite keeps UTC without a zone
            starts_at = timezone.make_aware(starts_at, UTC)
        if kind != SessionKind.CLASSROOM or status != SessionStatus.ANNOUNCED or starts_at <= now:
            raise _session_not_open()
        if not program_open:
            program_open_check(Program.objects.get(pk=program_id))
        if len(available) != len(ids):
            raise RuleViolation("invalid", _("A participant is no longer available."), fields={"participants": ids})
        # 4. The session's queue, recounted from the reservations.
        confirmed, waitlisted, already = _fetch(
            cursor,
            "SELECT COALESCE(SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), 0), "  # noqa: S608
            "COALESCE(SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN participant_id IN ({_in(ids)}) THEN 1 ELSE 0 END), 0) "
            f"FROM {reservations} WHERE session_id = %s AND status IN (%s, %s)",
            [ReservationStatus.CONFIRMED, ReservationStatus.WAITLISTED, *ids, session.pk, *LIVE_STATUSES],
        )[0]
        if already:
            names = Participant.objects.filter(
                pk__in=Reservation.objects.filter(
                    session_id=session.pk, participant_id__in=ids, status__in=LIVE_STATUSES
                ).values("participant_id")
            )
            raise RuleViolation(
                "duplicate_participant",
                _("Already on this session: %(names)s.") % {"names": ", ".join(p.full_name for p in names)},
            )
        remaining = max(quota - live, 0)
        if len(participants) > remaining:
            raise RuleViolation(
                "institution_quota",
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
        applied_by = by if by is not None and by.pk else None
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
        rows = [
            (
                r.session_id,
                r.participant_id,
                r.institution_id,
                r.status,
                adapt(now),
                r.applied_by_id,
                adapt(r.confirmed_at),
            )
            for r in created
        ]
        insert = (
            f"INSERT INTO {reservations} (session_id, participant_id, institution_id, status, applied_at, "  # noqa: S608
            f"applied_by_id, confirmed_at) VALUES {', '.join(f'({_in(row)})' for row in rows)} RETURNING "
        )
        values = [value for row in rows for value in row]
        user_id = applied_by.pk if applied_by else None
        history = history_params(when=now, user_id=user_id, kind="+")
        if connection.vendor == "postgresql":  # the rows and their history in one statement
            history_sql = history_insert_sql(Reservation, "made", connection.vendor)
            new_ids = _fetch(cursor, f"WITH made AS ({insert}*) {history_sql} RETURNING id", [*values, *history])
        else:
            new_ids = _fetch(cursor, insert + "id", values)
            history_insert(cursor, Reservation, [pk for (pk,) in new_ids], when=now, user_id=user_id, kind="+")
        # Ids come from one sequence in VALUES order; sorted, they follow the rows whatever order
        # RETURNING gives them in.
        for reservation, (pk,) in zip(created, sorted(new_ids), strict=True):
            reservation.pk = reservation.id = pk
            reservation._state.adding = False
            reservation._state.db = connection.alias
    # Positions follow from the count before this application: nothing else moves under the lock.
    for index, reservation in enumerate(created):
        reservation.position = None if index < free else waitlisted + index - free + 1
    tasks.send_reservations_made.delay_on_commit([r.pk for r in created])
    return created


def waitlist_positions(*, session: TrainingSession) -> dict[int, int]:
    """Waiting-list rank (from 1) of each waitlisted reservation of the session, in application order."""
    ordered = session.reservations.filter(status=ReservationStatus.WAITLISTED).order_by("pk")
    return {pk: rank for rank, pk in enumerate(ordered.values_list("pk", flat=True), start=1)}


def _waitlist_promote(*, session: TrainingSession, free: int, now: datetime) -> list[Reservation]:
    """Confirm the first ``free`` waitlisted reservations (application order); notify after commit."""
    if free <= 0 or session.starts_at <= now:
        return []
    promoted = list(session.reservations.filter(status=ReservationStatus.WAITLISTED).order_by("pk")[:free])
    for reservation in promoted:
        reservation.status = ReservationStatus.CONFIRMED
        reservation.confirmed_at = now
        reservation._change_reason = "promoted from the waiting list"
        reservation.save(update_fields=["status", "confirmed_at"])
        tasks.send_reservation_promoted.delay_on_commit(reservation.pk)
    return promoted


@transaction.atomic
def reservation_cancel(*, reservation: Reservation, by: AbstractBaseUser | None = None) -> Reservation:
    """Cancel a live reservation until the session starts; a freed seat goes at once to the first
    on the waiting list, in the same transaction. Locks the entitlement row, then the session."""
    reservation = Reservation.objects.select_related("session__program", "institution").get(pk=reservation.pk)
    Entitlement.objects.select_for_update(of=("self",)).filter(
        program=reservation.session.program, institution=reservation.institution
    ).first()
    session = session_lock(reservation.session)
    reservation = Reservation.objects.select_for_update(of=("self",)).get(pk=reservation.pk)
    now = timezone.now()
    reservation.session = session
    if reservation.status not in LIVE_STATUSES:
        raise RuleViolation(
            "invalid",
            _("This reservation is already %(status)s.") % {"status": reservation.get_status_display()},
        )
    if not reservation_cancellable(reservation, now):
        raise RuleViolation("session_not_open", _("The session has started: its reservations can no longer change."))
    was_confirmed = reservation.status == ReservationStatus.CONFIRMED
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancelled_at = now
    reservation.save(update_fields=["status", "cancelled_at"])
    if was_confirmed:
        confirmed = session.reservations.filter(status=ReservationStatus.CONFIRMED).count()
        _waitlist_promote(session=session, free=free_places(session.capacity, confirmed), now=now)
    return reservation


def waitlists_expire(*, now: datetime | None = None) -> int:
    """Mark ``expired`` every waitlisted reservation of a session that has started (quota freed)."""
    now = now or timezone.now()
    expired = 0
    stale = Reservation.objects.filter(status=ReservationStatus.WAITLISTED, session__starts_at__lte=now)
    for pk in list(stale.values_list("pk", flat=True)[:10_000]):
        with transaction.atomic():
            reservation = (
                Reservation.objects.select_for_update(of=("self",))
                .filter(pk=pk, status=ReservationStatus.WAITLISTED)
                .first()
            )
            if reservation is None:
                continue
            reservation.status = ReservationStatus.EXPIRED
            reservation._change_reason = "session started"
            reservation.save(update_fields=["status"])
            expired += 1
    return expired
