"""What an official's dashboard shows of their institution in each open program: the band, the
right and its usage (``sessions.selectors.usage``), the institution's people
(``figures.institution_people``: booked, waitlisted, trained, certified) and its next sessions.

A fixed number of queries whatever the number of participants, reservations and sessions: three
for the usage of every program together, and per open program two for the people (the
institution's participants, then their figures) and one for the next sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from entitlements.models import Category, Delivery, Entitlement, EntitlementFlag, Institution, Program
from reports.selectors.figures import People, institution_people
from sessions.models import Reservation, ReservationStatus, SessionKind, SessionStatus, TrainingSession
from sessions.selectors import Usage, usage_of

NEXT_SESSIONS = 5
"""How many of the institution's next sessions the dashboard lists per program."""


@dataclass(frozen=True)
class NextSession:
    """One of the institution's next sessions, with how many of its people are on it: confirmed
    seats and waiting places (classroom), or roster places (on site)."""

    session: TrainingSession
    people: int
    waiting: int = 0


class Action:
    """The one thing an official may do next with their right in a program."""

    RESERVE = "reserve"
    """Reserve classroom seats (a classroom band with seats left)."""
    REQUEST = "request"
    """Request on-site training (an on-site band with hours left)."""


@dataclass(frozen=True)
class OfficialProgram:
    """The institution's band, usage, people and next sessions in one open program."""

    entitlement: Entitlement
    usage: Usage
    people: People
    next_sessions: list[NextSession]

    @property
    def program(self) -> Program:
        return self.entitlement.program

    @property
    def category(self) -> Category | None:
        return self.entitlement.category

    @property
    def is_classroom(self) -> bool:
        return self.category is not None and self.category.delivery == Delivery.CLASSROOM

    @property
    def is_onsite(self) -> bool:
        return self.category is not None and self.category.delivery == Delivery.ONSITE

    @property
    def action(self) -> str | None:
        """``Action.RESERVE`` for a classroom band with seats left, ``Action.REQUEST`` for an
        on-site band with hours left; ``None`` otherwise (no band, no users, above the last band,
        or nothing left: ``why_no_action`` says which)."""
        if self.is_classroom and self.usage.seats_available > 0:
            return Action.RESERVE
        if self.is_onsite and self.usage.hours_available > 0:
            return Action.REQUEST
        return None

    @property
    def why_no_action(self) -> str | None:
        """Why there is no action: the stored flag (``no_users``, ``above_last_band``), ``no_band``,
        ``no_seats_left`` or ``no_hours_left``; ``None`` when there is one."""
        if self.action is not None:
            return None
        if self.entitlement.flag in (EntitlementFlag.NO_USERS, EntitlementFlag.ABOVE_LAST_BAND):
            return str(self.entitlement.flag)
        if self.category is None:
            return "no_band"
        return "no_seats_left" if self.is_classroom else "no_hours_left"


def next_sessions(
    institution: Institution, program: Program, *, now: datetime | None = None, limit: int = NEXT_SESSIONS
) -> list[NextSession]:
    """The institution's next sessions in ``program`` (announced, not yet ended), soonest first:
    the classroom sessions where it holds a live reservation and its own on-site sessions, each
    with how many of its people hold a place. One query."""
    now = now or timezone.now()
    holds_place = Exists(Reservation.objects.live(now).filter(session=OuterRef("pk"), institution=institution))
    sessions = (
        TrainingSession.objects.filter(program=program, status=SessionStatus.ANNOUNCED, ends_at__gt=now)
        .filter(Q(holds_place, kind=SessionKind.CLASSROOM) | Q(kind=SessionKind.ONSITE, institution=institution))
        .annotate(
            seated=Count(
                "reservations",
                filter=Q(reservations__institution=institution, reservations__status=ReservationStatus.CONFIRMED),
                distinct=True,
            ),
            waiting=Count(
                "reservations",
                filter=Q(
                    reservations__institution=institution,
                    reservations__status=ReservationStatus.WAITLISTED,
                    starts_at__gt=now,
                ),
                distinct=True,
            ),
            enrolled=Count("enrolments", filter=Q(enrolments__institution=institution), distinct=True),
        )
        .select_related("course", "venue", "province")
        .order_by("starts_at", "pk")[:limit]
    )
    return [
        NextSession(s, s.seated, s.waiting) if s.kind == SessionKind.CLASSROOM else NextSession(s, s.enrolled)
        for s in sessions
    ]


def official_programs(
    institution: Institution, entitlements: list[Entitlement], *, now: datetime | None = None
) -> list[OfficialProgram]:
    """The institution's band, usage, people and next sessions in each open program of
    ``entitlements`` (its stored rows, program and category joined), in their order. Three queries
    for the usage, and three per open program (its participants, their figures, its next sessions)."""
    now = now or timezone.now()
    open_rows = [e for e in entitlements if e.program.is_open]
    usage = usage_of(open_rows, now)
    return [
        OfficialProgram(
            entitlement=row,
            usage=usage[(institution.pk, row.program_id)],
            people=institution_people(row.program, institution, now=now),
            next_sessions=next_sessions(institution, row.program, now=now),
        )
        for row in open_rows
    ]
