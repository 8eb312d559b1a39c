"""The catalog, venues, trainers and their work plans, sessions (classroom and on-site), on-site
training requests, participants, reservations, rosters and attendance."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Case, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from entitlements.models import Institution, Language, Program, Province, Unit
from kamusm_portal.services import history_user
from kamusm_portal.validators import EmailAddressField, validate_person_name


class Audience(models.TextChoices):
    USER = "user", _("End users")
    TECHNICAL = "technical", _("Technical staff")


class Course(models.Model):
    """A course of the Kamu SM catalog, for end users or for technical staff."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    title_tr = models.CharField(_("title (Turkish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description_tr = models.TextField(_("description (Turkish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.USER)
    hours = models.PositiveSmallIntegerField(_("hours"))
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["audience", "code"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0), name="course_hours_positive")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return self.title_en if get_language() == "en" and self.title_en else self.title_tr

    @property
    def description(self) -> str:
        return self.description_en if get_language() == "en" and self.description_en else self.description_tr


class MaterialKind(models.TextChoices):
    VIDEO = "video", _("Recorded video")
    FILE = "file", _("File")


class CourseMaterial(models.Model):
    """A recorded video (link) or a file of a course, open to officials of entitled institutions."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials", verbose_name=_("course"))
    kind = models.CharField(_("kind"), max_length=10, choices=MaterialKind.choices)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("video link"), blank=True)
    file = models.FileField(_("file"), upload_to="materials/", blank=True)

    class Meta:
        ordering = ["course", "kind", "title"]
        verbose_name = _("course material")
        verbose_name_plural = _("course materials")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="video") & ~Q(url="")) | (Q(kind="file") & ~Q(file="")),
                name="material_has_its_link_or_file",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Venue(models.Model):
    """One of the centre's classrooms (Ankara, Gebze, …)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("province"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    seats = models.PositiveSmallIntegerField(_("seats"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        constraints = [models.CheckConstraint(condition=Q(seats__gt=0), name="venue_seats_positive")]

    def __str__(self) -> str:
        return self.name


def _calendar_token() -> str:
    return secrets.token_urlsafe(32)


class Trainer(models.Model):
    """A member of the centre's staff who delivers sessions. Its id is its user's id.

    The work plan is the trainer's sessions plus their blocks of unavailability; the calendar
    feed is read with the secret ``calendar_token`` (a new one revokes the old link).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="trainer",
        verbose_name=_("user"),
    )
    home_province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("home province")
    )
    calendar_token = models.CharField(_("calendar link secret"), max_length=64, unique=True, default=_calendar_token)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(get_user=history_user, excluded_fields=["calendar_token"])

    class Meta:
        ordering = ["user__first_name", "user__last_name", "user__username"]
        verbose_name = _("trainer")
        verbose_name_plural = _("trainers")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Unavailability(models.Model):
    """A block of a trainer's time that cannot be booked (leave, other duties)."""

    trainer = models.ForeignKey(
        Trainer, on_delete=models.CASCADE, related_name="unavailability", verbose_name=_("trainer")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["trainer", "starts_at"]
        verbose_name = _("unavailability")
        verbose_name_plural = _("unavailability")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="unavailability_ends_after_start")
        ]
        indexes = [models.Index(fields=["trainer", "starts_at", "ends_at"], name="unavailability_by_trainer")]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.trainer} · {local:%d.%m.%Y %H:%M} · {self.reason}"


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    SCHEDULED = "scheduled", _("Scheduled")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# Requests whose items not yet scheduled hold hours of the institution's right.
OPEN_REQUEST_STATUSES = (RequestStatus.SUBMITTED,)


class TrainingRequest(models.Model):
    """An institution's request for on-site training (categories 1-5): one or more courses with
    the hours wanted, where, when it would suit, and for how many people."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="training_requests", verbose_name=_("program")
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="training_requests", verbose_name=_("institution")
    )
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("province"))
    preferred_dates = models.JSONField(
        _("preferred dates"), default=list, blank=True, help_text=_('Windows as [{"from": date, "to": date}].')
    )
    expected_participants = models.PositiveSmallIntegerField(_("expected participants"))
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    history = HistoricalRecords(get_user=history_user)

    _change_reason: str
    """Not a column: simple-history records it as the reason of the history row of the next ``save()``."""

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("training request")
        verbose_name_plural = _("training requests")
        constraints = [
            models.CheckConstraint(condition=Q(expected_participants__gt=0), name="request_expects_someone"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="request_rejected_with_a_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["institution", "program", "status"], name="request_by_institution"),
            models.Index(fields=["status", "program"], name="request_queue"),
        ]

    def __str__(self) -> str:
        return _("Request #%(id)s of %(institution)s") % {"id": self.pk, "institution": self.institution}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES

    @property
    def windows(self) -> list[tuple]:
        """The preferred windows as (from, to) dates."""
        from datetime import date

        return [(date.fromisoformat(w["from"]), date.fromisoformat(w["to"])) for w in self.preferred_dates or []]


def live_session_q(prefix: str = "") -> Q:
    """The one definition of a **live** session: one that is not cancelled (a draft, announced or
    completed session holds its trainer's time and its hours). ``prefix`` reaches sessions from
    another model (``"sessions__"``)."""
    return ~Q(**{f"{prefix}status": SessionStatus.CANCELLED})


def item_hours_left(hours: int, scheduled: int) -> int:
    """The one definition of what is **left** of a request item: its hours less the hours of its
    live sessions, never below 0."""
    return max(hours - scheduled, 0)


class TrainingRequestItemQuerySet(models.QuerySet):
    def with_scheduled_hours(self) -> TrainingRequestItemQuerySet:
        """Each item with ``scheduled``: the hours of its live sessions."""
        return self.annotate(scheduled=Coalesce(Sum("sessions__hours", filter=live_session_q("sessions__")), 0))


class TrainingRequestItem(models.Model):
    """One course of a request with the hours wanted; delivered in one session or split over several."""

    request = models.ForeignKey(
        TrainingRequest, on_delete=models.CASCADE, related_name="items", verbose_name=_("training request")
    )
    course = models.ForeignKey("Course", on_delete=models.PROTECT, related_name="+", verbose_name=_("course"))
    hours = models.PositiveSmallIntegerField(_("hours"))

    history = HistoricalRecords(get_user=history_user)
    objects = TrainingRequestItemQuerySet.as_manager()

    scheduled: int
    """Not a column: the hours of its live sessions, annotated by ``with_scheduled_hours``."""

    class Meta:
        ordering = ["request", "pk"]
        verbose_name = _("request item")
        verbose_name_plural = _("request items")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="request_item_hours_positive"),
            models.UniqueConstraint(fields=["request", "course"], name="request_item_course_once"),
        ]

    def __str__(self) -> str:
        return f"{self.course.code} · {self.hours}"

    @property
    def hours_left(self) -> int:
        """Hours still to schedule (``item_hours_left``; ``with_scheduled_hours`` annotates ``scheduled``)."""
        return item_hours_left(self.hours, self.scheduled)


class TrainerNeverDoubleBooked(ExclusionConstraint):
    """No two live sessions of one trainer overlap (touching is allowed: ranges are ``[)``).

    PostgreSQL only (``btree_gist``); on other databases it is left out and the scheduling service,
    which checks the same rule under the trainer's row lock, holds it alone.
    """

    def _postgres(self, schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        return super().constraint_sql(model, schema_editor) if self._postgres(schema_editor) else None

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if self._postgres(schema_editor) else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if self._postgres(schema_editor) else None

    def validate(self, model, instance, exclude=None, using="default"):
        from django.db import connections

        if exclude and exclude & {"trainer", "status", "starts_at", "ends_at"}:
            return  # a form without these fields cannot judge an overlap (the service does, under lock)
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class SessionKind(models.TextChoices):
    CLASSROOM = "classroom", _("Classroom")
    ONSITE = "onsite", _("On-site")


class SessionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ANNOUNCED = "announced", _("Announced")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


def free_places(capacity: int, taken: int) -> int:
    """The one definition of **free places**: a session's capacity less the places taken (confirmed
    seats of a classroom session, enrolments of an on-site roster), never below 0."""
    return max(capacity - taken, 0)


class TrainingSessionQuerySet(models.QuerySet):
    def live(self) -> TrainingSessionQuerySet:
        """The live sessions (``live_session_q``)."""
        return self.filter(live_session_q())


class TrainingSession(models.Model):
    """One delivery of a course. Classroom sessions are held at a venue and taken seat by seat."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("program"))
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("course"))
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices, default=SessionKind.CLASSROOM)
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions", verbose_name=_("venue")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    trainer = models.ForeignKey(
        Trainer, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions", verbose_name=_("trainer")
    )
    status = models.CharField(_("status"), max_length=20, choices=SessionStatus.choices, default=SessionStatus.DRAFT)
    # On-site sessions: the institution that asked, the request item they deliver, where, and the
    # hours they count against the institution's right.
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="onsite_sessions",
        verbose_name=_("institution"),
    )
    request_item = models.ForeignKey(
        TrainingRequestItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("request item"),
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("province")
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    hours = models.PositiveSmallIntegerField(_("hours"), null=True, blank=True)
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    history = HistoricalRecords(get_user=history_user)
    objects = TrainingSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="session_capacity_positive"),
            models.CheckConstraint(
                condition=~Q(kind="classroom") | Q(venue__isnull=False), name="classroom_session_has_a_venue"
            ),
            models.CheckConstraint(
                condition=~Q(kind="onsite")
                | Q(institution__isnull=False, request_item__isnull=False, province__isnull=False, hours__gt=0),
                name="onsite_session_has_its_request",
            ),
            TrainerNeverDoubleBooked(
                name="trainer_never_double_booked",
                expressions=[
                    ("trainer", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(trainer__isnull=False) & ~Q(status="cancelled"),
                violation_error_code="trainer_conflict",
            ),
        ]
        indexes = [
            models.Index(fields=["trainer", "starts_at"], name="session_by_trainer"),
            models.Index(fields=["institution", "program"], name="session_by_institution"),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.course.code} · {local:%d.%m.%Y %H:%M}"

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def seats_free(self) -> int:
        """Free seats of a session counted by ``with_seat_counts`` (``seats_confirmed``)."""
        return free_places(self.capacity, self.seats_confirmed)

    @property
    def counted_hours(self) -> int:
        """The hours of this delivery: set on on-site sessions, the course's for classroom ones."""
        return self.hours if self.hours is not None else self.course.hours


class Participant(models.Model):
    """A public servant nominated by their institution's official."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="participants", verbose_name=_("institution")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="participants", verbose_name=_("unit"))
    first_name = models.CharField(_("first name"), max_length=100, validators=[validate_person_name])
    last_name = models.CharField(_("last name"), max_length=100, validators=[validate_person_name])
    email = EmailAddressField(_("e-mail"), blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Audience.choices, default=Audience.USER)
    kimlik_no = models.CharField(_("T.C. kimlik no"), max_length=11, blank=True)
    multiplier = models.BooleanField(
        _("multiplier"), default=False, help_text=_("Expected to pass the knowledge on inside the institution.")
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.TR)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(get_user=history_user, excluded_fields=["kimlik_no"])

    class Meta:
        ordering = ["institution", "last_name", "first_name", "pk"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "email"],
                condition=~Q(email=""),
                name="participant_email_unique_in_institution",
            ),
            models.UniqueConstraint(
                fields=["institution", "kimlik_no"],
                condition=~Q(kimlik_no=""),
                name="participant_kimlik_no_unique_in_institution",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def kimlik_no_masked(self) -> str:
        """``123******50``: shown to everyone but the institution's officials and programme staff."""
        if not self.kimlik_no:
            return ""
        return f"{self.kimlik_no[:3]}{'*' * 6}{self.kimlik_no[-2:]}"


class ReservationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


LIVE_STATUSES = (ReservationStatus.CONFIRMED, ReservationStatus.WAITLISTED)


def live_reservation_q(now: datetime | None = None, prefix: str = "") -> Q:
    """The one definition of a **live** reservation, one that holds a place of the institution's
    quota: confirmed, or waitlisted on a session that has not started. A waiting place expires when
    its session starts, whether or not the scheduled job has written ``expired`` yet. ``prefix``
    reaches reservations from another model (``"reservations__"``)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}status": ReservationStatus.CONFIRMED}) | Q(
        **{f"{prefix}status": ReservationStatus.WAITLISTED, f"{prefix}session__starts_at__gt": now}
    )


class ReservationQuerySet(models.QuerySet):
    def live(self, now: datetime | None = None) -> ReservationQuerySet:
        """The live reservations (``live_reservation_q``)."""
        return self.filter(live_reservation_q(now))

    def with_current_status(self, now: datetime | None = None) -> ReservationQuerySet:
        """Each reservation with ``current_status``: its status as of ``now``. A waiting place on a
        session that has started reads ``expired`` at once; the scheduled job
        (``waitlists_expire``) writes the stored status later."""
        now = now or timezone.now()
        return self.annotate(
            current_status=Case(
                When(
                    status=ReservationStatus.WAITLISTED,
                    session__starts_at__lte=now,
                    then=Value(ReservationStatus.EXPIRED.value),
                ),
                default=F("status"),
                output_field=models.CharField(),
            )
        )


class Reservation(models.Model):
    """A participant's seat (or place on the waiting list) in a classroom session.

    Seats go in order of application. Ids are taken under the session's lock, so id order is
    application order (``applied_at`` records when; a clock step cannot reorder the queue). The
    waiting-list position is derived from that order, never stored.
    """

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("session")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("participant")
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("institution")
    )
    status = models.CharField(_("status"), max_length=20, choices=ReservationStatus.choices)
    applied_at = models.DateTimeField(_("applied at"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    history = HistoricalRecords(get_user=history_user)
    objects = ReservationQuerySet.as_manager()

    _change_reason: str
    """Not a column: simple-history records it as the reason of the history row of the next ``save()``."""
    position: int | None
    """Not a column: the waiting-list rank (from 1, ``None`` on a seat), annotated by the selectors'
    lists and set by ``reservation_create`` on the reservations it answers."""
    cancelled_from: str
    """Not a column: set by ``reservation_cancel`` on the reservation it answers, the status it
    cancelled (confirmed or waitlisted), read from the locked row."""

    class Meta:
        ordering = ["session", "applied_at", "pk"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"],
                condition=Q(status__in=["confirmed", "waitlisted"]),
                name="reservation_one_live_per_participant_and_session",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status", "applied_at"], name="reservation_queue"),
            models.Index(fields=["institution", "status"], name="reservation_by_institution"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.session}"

    def get_current_status_display(self) -> str:
        """The label of ``current_status`` (annotated by ``with_current_status``), else of ``status``."""
        return ReservationStatus(getattr(self, "current_status", self.status)).label


class Enrolment(models.Model):
    """A participant on the roster of an on-site session (classroom rosters are confirmed seats)."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("session")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("participant")
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="+", verbose_name=_("institution")
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enrolled by"),
    )

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["session", "pk"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["session", "participant"], name="enrolment_once_per_session")]

    def __str__(self) -> str:
        return f"{self.participant} · {self.session}"


class AttendanceStatus(models.TextChoices):
    FULL = "full", _("Full attendance")
    PARTIAL = "partial", _("Partial attendance")
    ABSENT = "absent", _("Absent")


class Attendance(models.Model):
    """Whether a participant on a session's roster attended, recorded after the session ends."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="attendance", verbose_name=_("session")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="attendance", verbose_name=_("participant")
    )
    status = models.CharField(_("attendance"), max_length=10, choices=AttendanceStatus.choices)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    history = HistoricalRecords(get_user=history_user)

    _change_reason: str
    """Not a column: simple-history records it as the reason of the history row of the next ``save()``."""
    changed: bool
    """Not a column: whether the call of ``attendance_marks_record`` that answers the row recorded
    or corrected it."""

    class Meta:
        ordering = ["session", "participant"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "participant"], name="attendance_once_per_session")]

    def __str__(self) -> str:
        return f"{self.participant} · {self.session} · {self.get_status_display()}"
