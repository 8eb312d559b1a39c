"""Reads of sessions, participants, reservations, requests, trainers and rosters, already joined
and counted.

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
from kamusm_portal.db import TurkishCollate
from sessions.models import (
    Attendance,
    Course,
    CourseMaterial,
    Enrolment,
    Participant,
    RequestStatus,
    Reservation,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingRequestItem,
    TrainingSession,
    Unavailability,
)
from sessions.services import live_q, waitlists_expire


def trainer_of(user) -> Trainer | None:
    """The user's trainer record, if they are an active trainer."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Trainer.objects.filter(user=user, is_active=True).first()


def sessions_visible(user) -> QuerySet[TrainingSession]:
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
        sessions_visible(user).select_related(
            "program", "course", "venue", "venue__province", "trainer__user", "province", "institution"
        ),
        now,
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
        .order_by(TurkishCollate("last_name"), TurkishCollate("first_name"), "pk")
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


# --- On-site requests, trainers, rosters ----------------------------------------------------


def requests_visible(user) -> QuerySet[TrainingRequest]:
    """Staff see every request; an account manager (staff user) the requests of their
    institutions; an official their own institution's; anyone else none."""
    if is_programme_staff(user):
        return TrainingRequest.objects.all()
    institution = official_institution(user)
    if institution is not None:
        return TrainingRequest.objects.filter(institution=institution)
    if getattr(user, "is_staff", False):
        return TrainingRequest.objects.filter(institution__account_manager=user)
    return TrainingRequest.objects.none()


def items_with_scheduled_hours() -> QuerySet[TrainingRequestItem]:
    """Request items with ``scheduled`` (hours of their non-cancelled sessions) and their course."""
    return TrainingRequestItem.objects.select_related("course").with_scheduled_hours().order_by("pk")


def request_list(*, user) -> QuerySet[TrainingRequest]:
    """Requests with program, institution and province joined, items prefetched with their
    scheduled hours; open ones first, newest first."""
    return (
        requests_visible(user)
        .select_related("program", "institution", "province", "institution__account_manager")
        .prefetch_related(Prefetch("items", queryset=items_with_scheduled_hours()))
        .order_by(Case(When(status=RequestStatus.SUBMITTED, then=Value(0)), default=Value(1)), "-submitted_at", "-pk")
    )


def trainer_list() -> QuerySet[Trainer]:
    """Trainers with user and home province, in Turkish alphabetical order of their names."""
    return Trainer.objects.select_related("user", "home_province").order_by(
        TurkishCollate("user__first_name"), TurkishCollate("user__last_name"), "user__username"
    )


def trainer_work_plan(
    *, trainers: QuerySet[Trainer] | list[Trainer], starts: datetime, ends: datetime
) -> tuple[list[TrainingSession], list[Unavailability]]:
    """The live sessions and unavailability blocks of the trainers that meet [starts, ends), in
    time order (two queries)."""
    sessions = list(
        TrainingSession.objects.filter(trainer__in=trainers, starts_at__lt=ends, ends_at__gt=starts)
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("course", "venue", "province", "institution", "trainer__user")
        .order_by("starts_at", "pk")
    )
    blocks = list(
        Unavailability.objects.filter(trainer__in=trainers, starts_at__lt=ends, ends_at__gt=starts)
        .select_related("trainer__user")
        .order_by("starts_at", "pk")
    )
    return sessions, blocks


def onsite_roster(*, session: TrainingSession) -> QuerySet[Enrolment]:
    """An on-site session's enrolments with participant and unit joined, in order of enrolment."""
    return session.enrolments.select_related(
        "participant", "participant__unit", "participant__unit__province", "participant__unit__district"
    ).order_by("pk")


def attendance_sheet(*, session: TrainingSession) -> list[tuple[Participant, Attendance | None]]:
    """Everyone on the session's roster (confirmed seats, or enrolments) with their mark so far,
    in roster order (two queries)."""
    if session.kind == SessionKind.CLASSROOM:
        rows = session.reservations.filter(status=ReservationStatus.CONFIRMED).order_by("pk")
    else:
        rows = session.enrolments.order_by("pk")
    people = [r.participant for r in rows.select_related("participant", "participant__unit")]
    marks = {a.participant_id: a for a in Attendance.objects.filter(session=session)}
    return [(p, marks.get(p.pk)) for p in people]


def proposal_input(*, program, first_day, last_day, tz):
    """The open request items of a program still to schedule and the active trainers with their
    work plan over the range, as ``sessions.proposal`` takes them (four queries)."""
    from datetime import datetime as dt
    from datetime import time, timedelta

    from sessions.proposal import ItemToPlace, TrainerPlan

    items = [
        ItemToPlace(
            key=item.pk,
            request=item.request_id,
            hours=item.hours - item.scheduled,
            province=item.request.province_id,
            windows=tuple(item.request.windows),
        )
        for item in items_with_scheduled_hours()
        .filter(request__program=program, request__status=RequestStatus.SUBMITTED)
        .select_related("request")
        if item.hours > item.scheduled
    ]
    trainers = list(trainer_list().filter(is_active=True, user__is_active=True))
    starts = dt.combine(first_day, time.min, tzinfo=tz)
    ends = dt.combine(last_day + timedelta(days=1), time.min, tzinfo=tz)
    sessions, blocks = trainer_work_plan(trainers=trainers, starts=starts, ends=ends)
    busy: dict[int, list] = {t.pk: [] for t in trainers}
    for row in [*sessions, *blocks]:
        busy[row.trainer_id].append((row.starts_at, row.ends_at))
    plans = [TrainerPlan(key=t.pk, home_province=t.home_province_id, busy=tuple(sorted(busy[t.pk]))) for t in trainers]
    return items, plans
