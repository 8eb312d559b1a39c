"""The SQL of the reservation hot path, in one place.

``reservation_create`` runs on every application, and a session's applications queue on its lock.
Its reads and writes are plain SQL: building ORM queries was most of an attempt's CPU
(bench/reservations.py), and the shorter each transaction, the shorter the queue behind it. Table
names come from the models' metadata, values are parameters.

What these statements count must agree with the querysets that define the same ideas everywhere
else: ``LIVE`` (and so ``LIVE_COUNT`` and ``SEAT_HELD``) with ``Reservation.objects.live()``
(``live_reservation_q``), ``queue_counts`` with the session's confirmed and waiting reservations.
tests/sessions/test_reservation_sql.py pins that on a table of cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from entitlements.models import Category, Entitlement, Program
from kamusm_portal.db import history_insert, history_insert_sql, history_params
from kamusm_portal.locking import lock_clause
from sessions.models import Participant, Reservation, ReservationStatus, TrainingSession

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

_ENTITLEMENTS, _CATEGORIES = Entitlement._meta.db_table, Category._meta.db_table
_SESSIONS, _PROGRAMS = TrainingSession._meta.db_table, Program._meta.db_table
_RESERVATIONS, _PEOPLE = Reservation._meta.db_table, Participant._meta.db_table

LIVE = "(r.status = %s OR (r.status = %s AND s.starts_at > %s))"
"""A live reservation ``r`` of a session ``s`` (``live_reservation_q``): confirmed, or waiting on a
session that has not started (``_live_params``)."""

LIVE_COUNT = (
    f"SELECT COUNT(*) FROM {_RESERVATIONS} r JOIN {_SESSIONS} s ON s.id = r.session_id "  # noqa: S608
    f"WHERE r.institution_id = %s AND s.program_id = %s AND {LIVE}"
)
"""The institution's live reservations in a program, as a subquery."""

SEAT_HELD = (
    f"SELECT MIN(r.id) FROM {_RESERVATIONS} r JOIN {_SESSIONS} s ON s.id = r.session_id "  # noqa: S608
    f"WHERE r.participant_id = p.id AND s.program_id = %s AND {LIVE}"
)
"""The first live reservation the participant ``p`` holds in a program (on any of its sessions), as
a correlated subquery: the six are six people."""


def _live_params(now: datetime) -> list[Any]:
    return [ReservationStatus.CONFIRMED, ReservationStatus.WAITLISTED, connection.ops.adapt_datetimefield_value(now)]


def _live_count_params(institution_id: int, program_id: int, now: datetime) -> list[Any]:
    return [institution_id, program_id, *_live_params(now)]


def _in(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _fetch(cursor: CursorWrapper, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def live_count(cursor: CursorWrapper, *, institution_id: int, program_id: int, now: datetime) -> int:
    """``LIVE_COUNT`` on its own (what the application counts under the entitlement lock)."""
    return _fetch(cursor, LIVE_COUNT, _live_count_params(institution_id, program_id, now))[0][0]


def band_locked(cursor: CursorWrapper, *, program_id: int, institution_id: int) -> str | None:
    """Lock the institution's entitlement row in the program; answer its band's delivery (``None``
    without a row or a band)."""
    rows = _fetch(
        cursor,
        f"SELECT c.delivery FROM {_ENTITLEMENTS} e LEFT JOIN {_CATEGORIES} c ON c.id = e.category_id "  # noqa: S608
        f"WHERE e.program_id = %s AND e.institution_id = %s{lock_clause(Entitlement, 'e')}",
        [program_id, institution_id],
    )
    return rows[0][0] if rows else None


def participants_locked(
    cursor: CursorWrapper, *, ids: Sequence[int], institution_id: int, program_id: int, now: datetime
) -> tuple[list[int], int, dict[int, int]]:
    """Lock the participants of ``ids`` that are the institution's and not anonymised; answer their
    ids and, in the same statement, the institution's live reservations in the program and, for
    each of them who holds one, the id of their first live reservation in the program."""
    rows = _fetch(
        cursor,
        f"SELECT p.id, ({LIVE_COUNT}), ({SEAT_HELD}) FROM {_PEOPLE} p "  # noqa: S608
        f"WHERE p.id IN ({_in(ids)}) AND p.institution_id = %s AND p.anonymised_at IS NULL "
        f"ORDER BY p.id{lock_clause(Participant, 'p')}",
        [*_live_count_params(institution_id, program_id, now), program_id, *_live_params(now), *ids, institution_id],
    )
    held = {pk: reservation_id for pk, _live, reservation_id in rows if reservation_id is not None}
    return [pk for pk, _live, _held in rows], (rows[0][1] if rows else 0), held


def session_locked(cursor: CursorWrapper, *, session_id: int) -> tuple[Any, ...] | None:
    """Lock the session row; answer (kind, status, starts_at, capacity, program open, program quota)."""
    rows = _fetch(
        cursor,
        f"SELECT s.kind, s.status, s.starts_at, s.capacity, p.is_open, p.classroom_quota "  # noqa: S608
        f"FROM {_SESSIONS} s JOIN {_PROGRAMS} p ON p.id = s.program_id WHERE s.id = %s"
        f"{lock_clause(TrainingSession, 's')}",
        [session_id],
    )
    if not rows:
        return None
    kind, status, starts_at, capacity, program_open, quota = rows[0]
    if timezone.is_naive(starts_at):  # SQLite keeps UTC without a zone
        starts_at = timezone.make_aware(starts_at, UTC)
    return kind, status, starts_at, capacity, program_open, quota


def queue_counts(cursor: CursorWrapper, *, session_id: int, ids: Sequence[int]) -> tuple[int, int, int]:
    """The session's confirmed and waiting reservations, and how many of ``ids`` hold one of them."""
    return _fetch(
        cursor,
        "SELECT COALESCE(SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), 0), "  # noqa: S608
        "COALESCE(SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN participant_id IN ({_in(ids)}) THEN 1 ELSE 0 END), 0) "
        f"FROM {_RESERVATIONS} WHERE session_id = %s AND status IN (%s, %s)",
        [
            ReservationStatus.CONFIRMED,
            ReservationStatus.WAITLISTED,
            *ids,
            session_id,
            ReservationStatus.CONFIRMED,
            ReservationStatus.WAITLISTED,
        ],
    )[0]


def reservations_insert(
    cursor: CursorWrapper, rows: list[Reservation], *, now: datetime, user_id: int | None
) -> list[int]:
    """Insert ``rows`` and their history rows (one statement on PostgreSQL, two on SQLite); answer
    the new ids in insertion order (ids come from one sequence in VALUES order)."""
    adapt = connection.ops.adapt_datetimefield_value
    values = [
        (r.session_id, r.participant_id, r.institution_id, r.status, adapt(now), r.applied_by_id, adapt(r.confirmed_at))
        for r in rows
    ]
    insert = (
        f"INSERT INTO {_RESERVATIONS} (session_id, participant_id, institution_id, status, applied_at, "  # noqa: S608
        f"applied_by_id, confirmed_at) VALUES {', '.join(f'({_in(row)})' for row in values)} RETURNING "
    )
    flat = [value for row in values for value in row]
    history = history_params(when=now, user_id=user_id, kind="+")
    if connection.vendor == "postgresql":  # the rows and their history in one statement
        history_sql = history_insert_sql(Reservation, "made", connection.vendor)
        new_ids = _fetch(cursor, f"WITH made AS ({insert}*) {history_sql} RETURNING id", [*flat, *history])
    else:
        new_ids = _fetch(cursor, insert + "id", flat)
        history_insert(cursor, Reservation, [pk for (pk,) in new_ids], when=now, user_id=user_id, kind="+")
    return sorted(pk for (pk,) in new_ids)
