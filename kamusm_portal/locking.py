"""Row locks, always taken in one order (docs/architecture.md, "Locks").

Before a service changes a scarce thing (seats, hours, a trainer's time, a serial number) it locks
the rows that guard it and recounts from the facts. Two transactions that lock the same rows in
different orders can deadlock, so every lock of the services goes through this module, which
knows the one order and refuses:

- a lock outside a transaction (it would be released at once and guard nothing);
- a lock taken after one that comes later in ``LOCK_ORDER``, within one service call
  (``kamusm_portal.services.service``; the outermost call and everything it calls).

Within a model, ``lock`` and ``locked`` take rows in primary-key order. Locking rows of the same
model again is fine; so is a model later in the order than every lock taken so far.

On PostgreSQL a lock is ``SELECT … FOR NO KEY UPDATE OF <the model's table>`` (or the ``UPDATE``
that takes the same lock): it excludes every other locker, but not the ``FOR KEY SHARE`` that a
foreign key's check takes on the rows a new row points to (at commit: Django's foreign keys are
deferred), so a service that inserts rows pointing at a row another service holds (an attendance
mark at its participant, a reservation at its entitlement's institution) never deadlocks on it.
SQLite has no row locks; its write transactions are ``BEGIN IMMEDIATE`` (settings), so writers
queue on the database lock instead.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import Model, QuerySet

from kamusm_portal.services import current_call

M = TypeVar("M", bound=Model)

LOCK_ORDER: tuple[str, ...] = (
    "entitlements.institution",  # an institution: its units and their totals (edits, imports)
    "entitlements.entitlement",  # an institution's right in a program: its quota and its hours
    "training_sessions.trainingrequest",  # an on-site request: its items and their hours
    "training_sessions.participant",  # a person: what they hold (reservations, rosters)
    "training_sessions.trainingsession",  # a session: its seats, its roster, its attendance
    "training_sessions.reservation",  # a seat or a waiting place
    "training_sessions.trainer",  # a trainer's work plan
    "certificates.certificate",  # a certificate: its status and its PDF
    "certificates.serialcounter",  # the serial numbers of a program year
)
"""Every model whose rows the services lock, in the order they are locked."""


class LockOrderError(RuntimeError):
    """A lock taken out of ``LOCK_ORDER``: a programming error, never a user's."""


def _note(model: type[Model]) -> None:
    """Check that ``model``'s rows may be locked now, and remember that they are."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            f"{model._meta.label}: row locks are taken inside a transaction (a service)."
        )
    label = model._meta.label_lower
    if label not in LOCK_ORDER:
        raise LockOrderError(f"{label} is not in LOCK_ORDER: add it where it belongs (docs/architecture.md).")
    call = current_call()
    if call is None:
        return
    rank = LOCK_ORDER.index(label)
    later = [taken for taken in call.locks if LOCK_ORDER.index(taken) > rank]
    if later:
        raise LockOrderError(f"{label} locked after {later[-1]}: locks follow LOCK_ORDER (docs/architecture.md).")
    if not call.locks or call.locks[-1] != label:
        call.locks.append(label)


def locked(queryset: QuerySet[M]) -> QuerySet[M]:
    """``queryset`` as a locking query (its model's rows only, in primary-key order), for a caller
    that reads it its own way (``values_list``, chunks); evaluate it in the same transaction."""
    _note(queryset.model)
    return queryset.select_for_update(of=("self",), no_key=True).order_by("pk")


def lock(queryset: QuerySet[M]) -> list[M]:
    """The rows of ``queryset``, locked (its model's rows only), in primary-key order."""
    return list(locked(queryset))


def lock_one(queryset: QuerySet[M]) -> M | None:
    """The one row of ``queryset`` (filtered to one row: by primary key or a unique key), locked,
    or ``None`` when there is none."""
    rows = lock(queryset)
    return rows[0] if rows else None


def locked_update(queryset: QuerySet[M], **values: Any) -> int:
    """``queryset.update(**values)``: the UPDATE takes the rows' locks (held to the end of the
    transaction), in the order the database meets them: for one row, or a set no other service
    locks row by row. Answers how many rows changed."""
    _note(queryset.model)
    return queryset.update(**values)


def lock_clause(model: type[Model], alias: str = "") -> str:
    """The row-lock clause of a hand-written ``SELECT`` of ``model``'s rows: ``FOR NO KEY UPDATE OF
    <alias>`` on PostgreSQL, nothing on SQLite."""
    _note(model)
    if not connection.features.has_select_for_update:
        return ""
    return f" FOR NO KEY UPDATE OF {alias}" if alias else " FOR NO KEY UPDATE"
