"""What an institution has used of its entitlements, and the figures the API and pages show.

Usage is never stored on the entitlement row: it is counted from the facts, here and only here.
``entitlement_usage`` counts reservations, on-site sessions and training requests with one
aggregate query per fact table, grouped by institution and program, so a list of entitlements
keeps a fixed number of queries whatever its length.

Which side of the right applies *(decided)*: a classroom band (Standard) gives **seats**, an on-site
band (1-5) gives **hours**. The other side is 0: a classroom band shows ``hours = 0`` (the band's
4 hours are the length of the classroom course, not a budget the institution spends), an on-site
band shows ``seat_quota = 0``. So ``hours_remaining = hours - hours_used - hours_held`` and
``seats_remaining = seat_quota - seats_used`` hold for every row, as API.md states them. Remaining
figures are not clamped: a negative value means usage above the right (after a recomputation to a
lower band), and the row is then flagged ``usage_above_right``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from entitlements.models import Delivery, Entitlement, EntitlementFlag, Institution, Program


@dataclass(frozen=True)
class Usage:
    """What an entitlement has used: classroom seats, on-site hours used and hours held."""

    seats_used: int = 0
    """Live classroom reservations (confirmed or waiting) in the program (reservations issue)."""
    hours_used: int = 0
    """Hours of the institution's non-cancelled on-site sessions in the program (sessions issue)."""
    hours_held: int = 0
    """Hours of open training-request items not yet scheduled (training-requests issue)."""


NO_USAGE = Usage()


def entitlement_usage(entitlements: Iterable[Entitlement]) -> dict[int, Usage]:
    """The usage of each entitlement, keyed by entitlement id, counted from the facts.

    ``seats_used`` counts live classroom reservations (confirmed, or waitlisted on a session that
    has not started) per (institution, program) in one grouped query; ``hours_used`` (non-cancelled
    on-site sessions) and ``hours_held`` (open request items not yet scheduled) come from
    ``sessions.services.onsite_hours`` (two grouped queries).

    A row that is not stored (``pk is None``: see ``entitlement_rows``) is left out; callers use
    ``NO_USAGE`` for it, which is right because nothing can be booked in a program the
    institution has no stored row in (rows are made whenever a program is open).
    """
    from django.db.models import Count

    from sessions.models import Reservation
    from sessions.services import live_q, onsite_hours

    stored = [e for e in entitlements if e.pk is not None]
    if not stored:
        return {}
    seats = {
        (row["institution_id"], row["session__program_id"]): row["n"]
        for row in Reservation.objects.filter(
            live_q(),
            institution_id__in={e.institution_id for e in stored},
            session__program_id__in={e.program_id for e in stored},
        )
        .values("institution_id", "session__program_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    # Every stored row, whatever its band now: hours used under an on-site band stay used after a
    # recomputation to another band (and show as usage above the right).
    hours = onsite_hours((e.institution_id, e.program_id) for e in stored)
    usage = {}
    for e in stored:
        used, held = hours.get((e.institution_id, e.program_id), (0, 0))
        usage[e.pk] = Usage(seats_used=seats.get((e.institution_id, e.program_id), 0), hours_used=used, hours_held=held)
    return usage


@dataclass(frozen=True)
class EntitlementFigures:
    """The right, what is used of it and what remains, as shown for one entitlement."""

    seat_quota: int
    seats_used: int
    seats_remaining: int
    hours: int
    hours_used: int
    hours_held: int
    hours_remaining: int
    flag: str | None


def entitlement_figures(entitlement: Entitlement, usage: Usage = NO_USAGE) -> EntitlementFigures:
    """Seats for a classroom band, hours for an on-site band, nothing without a band.

    ``flag`` is the stored reason (``no_users``, ``above_last_band``) or, when usage is above the
    right, ``usage_above_right``; ``None`` when all is well.
    """
    delivery = entitlement.category.delivery if entitlement.category_id else None
    seat_quota = entitlement.program.classroom_quota if delivery == Delivery.CLASSROOM else 0
    hours = entitlement.category.hours if delivery == Delivery.ONSITE else 0
    seats_remaining = seat_quota - usage.seats_used
    hours_remaining = hours - usage.hours_used - usage.hours_held
    flag = entitlement.flag or None
    if flag is None and (seats_remaining < 0 or hours_remaining < 0):
        flag = EntitlementFlag.USAGE_ABOVE_RIGHT.value
    return EntitlementFigures(
        seat_quota=seat_quota,
        seats_used=usage.seats_used,
        seats_remaining=seats_remaining,
        hours=hours,
        hours_used=usage.hours_used,
        hours_held=usage.hours_held,
        hours_remaining=hours_remaining,
        flag=flag,
    )


def entitlement_rows(
    *, institution: Institution, stored: Iterable[Entitlement], total_active_users: int
) -> list[Entitlement]:
    """One entitlement per program, newest program first: the stored row where there is one.

    ``entitlement_recompute`` makes rows for the open programs only, so a program that was never
    open while the institution existed (e.g. one copied for next year, still closed) has none. For
    it an unsaved row (``pk is None``) is computed the way the recomputation would: the band the
    institution's current total falls into, flagged ``no_users`` at 0 and ``above_last_band``
    above the table. Nothing is written on a read. Two queries (programs and their bands) besides
    ``stored``, whatever the number of programs.

    (This belongs in ``selectors.py`` next to ``entitlement_list``; it lives here until that
    module is free to change.)
    """
    by_program = {e.program_id: e for e in stored}
    rows: list[Entitlement] = []
    for program in Program.objects.prefetch_related("categories"):
        row = by_program.get(program.pk)
        if row is None:
            row = _unsaved_row(program=program, institution=institution, total=total_active_users)
        rows.append(row)
    return rows


def _unsaved_row(*, program: Program, institution: Institution, total: int) -> Entitlement:
    band = next((c for c in program.categories.all() if c.min_users <= total <= c.max_users), None)
    if total == 0:
        flag = EntitlementFlag.NO_USERS.value
    elif band is None:
        flag = EntitlementFlag.ABOVE_LAST_BAND.value
    else:
        flag = ""
    return Entitlement(program=program, institution=institution, total_active_users=total, category=band, flag=flag)
