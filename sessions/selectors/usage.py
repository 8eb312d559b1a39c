"""An institution's right in a program and what it has used of it: the one place where usage is
counted. The portal, the API, the admin and the services read it here.

Usage is never stored: it is counted from the facts.

- **seats used**: the institution's live classroom reservations in the program (confirmed, or
  waiting on a session that has not started: ``live_reservation_q``), completed sessions included;
- **hours used**: hours of its non-cancelled on-site sessions in the program;
- **hours held**: hours of the items of its open (submitted) requests not yet scheduled.

The right comes from the band (``Entitlement.right``): a classroom band gives **seats** (the
program's quota), an on-site band gives **hours**; the other side is 0. So
``seats_remaining = seat_quota - seats_used`` and ``hours_remaining = hours - hours_used -
hours_held`` hold for every row. ``*_remaining`` are not clamped: a negative value means usage above
the right (a recomputation put the institution in a lower band), and ``flag`` then says
``usage_above_right``. ``*_available`` are the same figures clamped at 0: what may still be asked for.

``usage_of`` counts many entitlements in three queries whatever their number; ``program_usage``
counts every entitlement of a program (the reports' figures); ``usage_for`` counts one (call it
under the entitlement row's lock to decide).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet, Sum

from entitlements.models import Entitlement, EntitlementFlag, Institution, Program, Right, right_of
from sessions.models import (
    RequestStatus,
    Reservation,
    SessionKind,
    TrainingRequestItem,
    TrainingSession,
    item_hours_left,
)

Key = tuple[int, int]
"""(institution id, program id)"""


@dataclass(frozen=True)
class Usage:
    """An institution's right in a program, what it has used of it and what remains."""

    seat_quota: int = 0
    """Live classroom reservations the band allows (a classroom band); 0 otherwise."""
    seats_used: int = 0
    hours: int = 0
    """On-site hours the band gives (an on-site band); 0 otherwise."""
    hours_used: int = 0
    hours_held: int = 0
    stored_flag: str = ""
    """The flag the recomputation stored (``no_users``, ``above_last_band``), or ``""``."""

    @property
    def seats_remaining(self) -> int:
        return self.seat_quota - self.seats_used

    @property
    def hours_remaining(self) -> int:
        return self.hours - self.hours_used - self.hours_held

    @property
    def seats_available(self) -> int:
        """Seats that may still be applied for (``seats_remaining``, never below 0)."""
        return max(self.seats_remaining, 0)

    @property
    def hours_available(self) -> int:
        """Hours that may still be asked for (``hours_remaining``, never below 0)."""
        return max(self.hours_remaining, 0)

    @property
    def above_right(self) -> bool:
        return self.seats_remaining < 0 or self.hours_remaining < 0

    @property
    def flag(self) -> str | None:
        """The stored reason, else ``usage_above_right`` when usage is above the right, else ``None``."""
        if self.stored_flag:
            return self.stored_flag
        return EntitlementFlag.USAGE_ABOVE_RIGHT.value if self.above_right else None

    def figures(self) -> dict[str, int | str | None]:
        """The figures as the API shows them."""
        row = asdict(self)
        del row["stored_flag"]
        return {
            **row,
            "seats_remaining": self.seats_remaining,
            "hours_remaining": self.hours_remaining,
            "flag": self.flag,
        }


def usage_of(entitlements: Iterable[Entitlement], now: datetime | None = None) -> dict[Key, Usage]:
    """The usage of each entitlement (stored or not: see ``entitlements.selectors.entitlement_rows``),
    keyed by (institution id, program id), in three grouped queries whatever their number.

    Every entitlement's facts are counted whatever its band now: hours used under an on-site band
    stay used after a recomputation to another band (and show as usage above the right).
    """
    rows = {(e.institution_id, e.program_id): (e.right, e.flag) for e in entitlements}
    if not rows:
        return {}
    institution_ids = {i for i, _p in rows}
    program_ids = {p for _i, p in rows}

    def where(institution: str, program: str) -> dict[str, Any]:
        return {f"{institution}__in": institution_ids, f"{program}__in": program_ids}

    return _usage(rows, where, now)


def program_usage(
    program: Program, *, institutions: QuerySet[Institution] | None = None, now: datetime | None = None
) -> dict[int, Usage]:
    """The usage of every stored entitlement of ``program`` (of ``institutions`` only, when given),
    keyed by institution id: ``usage_of`` for a whole program, in five queries (the program's
    bands, the rows and the three grouped counts) whatever the number of institutions, with no list
    of ids sent."""
    entitlements = Entitlement.objects.filter(program=program)
    if institutions is not None:
        entitlements = entitlements.filter(institution__in=institutions.values("pk"))
    # Plain tuples, the program's few bands looked up: no model instance per institution.
    bands = {category.pk: category for category in program.categories.all()}
    rows = {
        (institution_id, program.pk): (right_of(bands.get(category_id), program), flag)
        for institution_id, category_id, flag in entitlements.values_list("institution_id", "category_id", "flag")
    }

    def where(institution: str, program_path: str) -> dict[str, Any]:
        scope: dict[str, Any] = {program_path: program.pk}
        if institutions is not None:
            scope[f"{institution}__in"] = institutions.values("pk")
        return scope

    return {i: usage for (i, _p), usage in _usage(rows, where, now).items()} if rows else {}


Where = Callable[[str, str], dict[str, Any]]
"""Filter arguments for the facts counted, given the paths to their institution and program."""


def _usage(rows: dict[Key, tuple[Right, str]], where: Where, now: datetime | None) -> dict[Key, Usage]:
    """Each row's usage: its right and stored flag, and the facts counted in three queries."""
    seats = _seats_used(where, now)
    used, held = _hours(where)
    usage = {}
    for key, (right, flag) in rows.items():
        usage[key] = Usage(
            seat_quota=right.seats,
            seats_used=seats.get(key, 0),
            hours=right.hours,
            hours_used=used.get(key, 0),
            hours_held=held.get(key, 0),
            stored_flag=flag,
        )
    return usage


def usage_for(
    *,
    institution: Institution,
    program: Program,
    entitlement: Entitlement | None = None,
    now: datetime | None = None,
) -> Usage:
    """One institution's usage in one program (its stored entitlement row, read unless given;
    without one, no right). Three queries, four when the row is read."""
    if entitlement is None:
        entitlement = (
            Entitlement.objects.select_related("category", "program")
            .filter(program=program, institution=institution)
            .first()
        )
    if entitlement is None:
        entitlement = Entitlement(program=program, institution=institution)
    return usage_of([entitlement], now)[(institution.pk, program.pk)]


def _seats_used(where: Where, now: datetime | None) -> dict[Key, int]:
    return {
        (row["institution_id"], row["session__program_id"]): row["n"]
        for row in Reservation.objects.live(now)
        .filter(**where("institution_id", "session__program_id"))
        .values("institution_id", "session__program_id")
        .annotate(n=Count("pk"))
        .order_by()
    }


def _hours(where: Where) -> tuple[dict[Key, int], dict[Key, int]]:
    used: dict[Key, int] = {
        (row["institution_id"], row["program_id"]): row["hours"] or 0
        for row in TrainingSession.objects.live()
        .filter(kind=SessionKind.ONSITE)
        .filter(**where("institution_id", "program_id"))
        .values("institution_id", "program_id")
        .annotate(hours=Sum("hours"))
        .order_by()
    }
    held: dict[Key, int] = defaultdict(int)
    for row in (
        TrainingRequestItem.objects.filter(request__status=RequestStatus.SUBMITTED)
        .filter(**where("request__institution_id", "request__program_id"))
        .with_scheduled_hours()
        .values("request__institution_id", "request__program_id", "hours", "scheduled")
        .order_by()
    ):
        held[(row["request__institution_id"], row["request__program_id"])] += item_hours_left(
            row["hours"], row["scheduled"]
        )
    return used, held
