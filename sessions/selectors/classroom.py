"""Reads of sessions (both kinds: who sees which, seats counted) and of classroom reservations,
with waiting-list positions.

Every list here runs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from entitlements.selectors import official_institution
from kamusm_portal.roles import is_programme_staff
from sessions.models import (
    Reservation,
    ReservationQuerySet,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    TrainingSession,
)
from sessions.selectors.trainers import trainer_of

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class SeatCounts(TypedDict):
    """What ``with_seat_counts`` annotates."""

    seats_confirmed: int
    waitlist_length: int


def sessions_visible(user: User | AnonymousUser) -> QuerySet[TrainingSession]:
    """Staff see every session; an official sees announced and completed classroom sessions and
    their own institution's on-site sessions; a trainer sees announced and completed classroom
    sessions and every session they deliver; anyone else none."""
    if is_programme_staff(user):
        return TrainingSession.objects.all()
    public = Q(kind=SessionKind.CLASSROOM, status__in=[SessionStatus.ANNOUNCED, SessionStatus.COMPLETED])
    institution = official_institution(user)
    if institution is not None:
        return TrainingSession.objects.filter(public | Q(kind=SessionKind.ONSITE, institution=institution))
    trainer = trainer_of(user)
    if trainer is not None:
        return TrainingSession.objects.filter(public | Q(trainer=trainer))
    return TrainingSession.objects.none()


def with_seat_counts(
    sessions: QuerySet[TrainingSession], now: datetime | None = None
) -> QuerySet[WithAnnotations[TrainingSession, SeatCounts]]:
    """Annotate confirmed seats and the waiting list (empty once the session has started)."""
    now = now or timezone.now()
    return sessions.annotate(
        seats_confirmed=Count("reservations", filter=Q(reservations__status=ReservationStatus.CONFIRMED)),
        waitlist_length=Count(
            "reservations",
            filter=Q(reservations__status=ReservationStatus.WAITLISTED, starts_at__gt=now),
        ),
    )


def session_list(*, user: User | AnonymousUser, now: datetime | None = None) -> QuerySet[TrainingSession]:
    """Sessions with course, venue, program and trainer joined, seats and waiting list counted."""
    return with_seat_counts(
        sessions_visible(user).select_related(
            "program", "course", "venue", "venue__province", "trainer__user", "province", "institution"
        ),
        now,
    ).order_by("starts_at", "pk")


def session_open_for_reservations(session: TrainingSession, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return session.kind == "classroom" and session.status == SessionStatus.ANNOUNCED and session.starts_at > now


def _position(now: datetime) -> Case:
    """Waiting-list rank (from 1) in the session, in application order; null unless waiting on a
    session that has not started."""
    ahead = (
        Reservation.objects.filter(session=OuterRef("session"), status=ReservationStatus.WAITLISTED)
        .filter(pk__lte=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Case(
        When(
            status=ReservationStatus.WAITLISTED,
            session__starts_at__gt=now,
            then=Coalesce(Subquery(ahead), Value(0)),
        ),
        default=None,
        output_field=IntegerField(),
    )


def reservations_visible(user: User | AnonymousUser) -> ReservationQuerySet:
    if is_programme_staff(user):
        return Reservation.objects.all()
    institution = official_institution(user)
    if institution is None:
        return Reservation.objects.none()
    return Reservation.objects.filter(institution=institution)


def reservation_list(*, user: User | AnonymousUser, now: datetime | None = None) -> QuerySet[Reservation]:
    """Reservations with session, course, venue and participant joined, their ``current_status``
    (a waiting place on a session that has started reads ``expired`` at once) and positions."""
    now = now or timezone.now()
    return (
        reservations_visible(user)
        .select_related("session", "session__course", "session__venue", "participant", "institution")
        .with_current_status(now)
        .annotate(position=_position(now))
        .order_by("-session__starts_at", "session_id", "applied_at", "pk")
    )


def session_roster(*, session: TrainingSession, now: datetime | None = None) -> QuerySet[Reservation]:
    """A session's live reservations: confirmed first, then the waiting list (empty once the session
    has started), each in application order."""
    now = now or timezone.now()
    return (
        session.reservations.live(now)
        .select_related("participant", "participant__unit", "institution")
        .with_current_status(now)
        .annotate(position=_position(now))
        .order_by(Case(When(status=ReservationStatus.CONFIRMED, then=Value(0)), default=Value(1)), "pk")
    )


def waitlist_positions(*, session: TrainingSession) -> dict[int, int]:
    """Waiting-list rank (from 1) of each waitlisted reservation of the session, in application order."""
    ordered = session.reservations.filter(status=ReservationStatus.WAITLISTED).order_by("pk")
    return {pk: rank for rank, pk in enumerate(ordered.values_list("pk", flat=True), start=1)}
