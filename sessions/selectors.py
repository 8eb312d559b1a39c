"""Reads of classroom sessions, participants and reservations, already joined and counted.

Every list here runs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from entitlements.models import Entitlement, Institution
from entitlements.selectors import official_institution
from kamusm_portal.api import is_programme_staff
from sessions.models import (
    Course,
    CourseMaterial,
    Participant,
    Reservation,
    ReservationStatus,
    SessionStatus,
    TrainingSession,
)
from sessions.services import live_q, waitlists_expire


def sessions_visible(user) -> QuerySet[TrainingSession]:
    """Staff see every session; an official sees announced and completed classroom sessions
    (and, later, their own institution's on-site sessions); anyone else none."""
    if is_programme_staff(user):
        return TrainingSession.objects.all()
    if official_institution(user) is None:
        return TrainingSession.objects.none()
    return TrainingSession.objects.filter(
        kind="classroom", status__in=[SessionStatus.ANNOUNCED, SessionStatus.COMPLETED]
    )


def with_seat_counts(sessions: QuerySet[TrainingSession], now: datetime | None = None) -> QuerySet[TrainingSession]:
    """Annotate confirmed seats and the waiting list (empty once the session has started)."""
    now = now or timezone.now()
    return sessions.annotate(
        seats_confirmed=Count("reservations", filter=Q(reservations__status=ReservationStatus.CONFIRMED)),
        waitlist_length=Count(
            "reservations",
            filter=Q(reservations__status=ReservationStatus.WAITLISTED, starts_at__gt=now),
        ),
    )


def session_list(*, user, now: datetime | None = None) -> QuerySet[TrainingSession]:
    """Sessions with course, venue, program and trainer joined, seats and waiting list counted."""
    return with_seat_counts(
        sessions_visible(user).select_related("program", "course", "venue", "venue__province", "trainer"), now
    ).order_by("starts_at", "pk")


def session_open_for_reservations(session: TrainingSession, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return session.kind == "classroom" and session.status == SessionStatus.ANNOUNCED and session.starts_at > now


def participants_visible(user) -> QuerySet[Participant]:
    """Staff see every participant; an official their own institution's (not anonymised)."""
    if is_programme_staff(user):
        return Participant.objects.all()
    institution = official_institution(user)
    if institution is None:
        return Participant.objects.none()
    return Participant.objects.filter(institution=institution, anonymised_at__isnull=True)


def participant_list(*, user, now: datetime | None = None) -> QuerySet[Participant]:
    """Participants with unit and institution joined and their live reservations counted."""
    return (
        participants_visible(user)
        .select_related("institution", "unit", "unit__province", "unit__district")
        .annotate(live_reservations=Count("reservations", filter=live_q(now, prefix="reservations__")))
        .order_by("last_name", "first_name", "pk")
    )


def _position() -> Case:
    """Waiting-list rank (from 1) in the session, in application order; null unless waitlisted."""
    ahead = (
        Reservation.objects.filter(session=OuterRef("session"), status=ReservationStatus.WAITLISTED)
        .filter(pk__lte=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Case(
        When(status=ReservationStatus.WAITLISTED, then=Coalesce(Subquery(ahead), Value(0))),
        default=None,
        output_field=IntegerField(),
    )


def reservations_visible(user) -> QuerySet[Reservation]:
    if is_programme_staff(user):
        return Reservation.objects.all()
    institution = official_institution(user)
    if institution is None:
        return Reservation.objects.none()
    return Reservation.objects.filter(institution=institution)


def reservation_list(*, user) -> QuerySet[Reservation]:
    """Reservations with session, course, venue and participant joined and positions computed.

    Waiting lists of sessions that have started are expired first (checked on read, besides the
    periodic task), so no list shows a waiting place that can no longer be promoted.
    """
    waitlists_expire()
    return (
        reservations_visible(user)
        .select_related("session", "session__course", "session__venue", "participant", "institution")
        .annotate(position=_position())
        .order_by("-session__starts_at", "session_id", "applied_at", "pk")
    )


def session_roster(*, session: TrainingSession) -> QuerySet[Reservation]:
    """A session's live reservations: confirmed first, then the waiting list, each in order."""
    waitlists_expire()
    return (
        session.reservations.filter(status__in=[ReservationStatus.CONFIRMED, ReservationStatus.WAITLISTED])
        .select_related("participant", "participant__unit", "institution")
        .annotate(position=_position())
        .order_by(Case(When(status=ReservationStatus.CONFIRMED, then=Value(0)), default=Value(1)), "pk")
    )


def course_list() -> QuerySet[Course]:
    """Active courses with their materials."""
    return (
        Course.objects.filter(is_active=True)
        .prefetch_related(Prefetch("materials", queryset=CourseMaterial.objects.order_by("kind", "title")))
        .order_by("audience", "code")
    )


def institution_entitled(institution: Institution | None) -> bool:
    """Whether the institution has a band (any training right) in an open program: materials are
    open to its officials."""
    if institution is None:
        return False
    return Entitlement.objects.filter(institution=institution, program__is_open=True, category__isnull=False).exists()


def materials_visible(user) -> bool:
    return is_programme_staff(user) or institution_entitled(official_institution(user))
