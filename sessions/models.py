"""The catalog, venues, classroom sessions, participants and reservations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from entitlements.models import Institution, Language, Program, Province, Unit


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

    history = HistoricalRecords()

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

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials")
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


class SessionKind(models.TextChoices):
    CLASSROOM = "classroom", _("Classroom")
    ONSITE = "onsite", _("On-site")


class SessionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ANNOUNCED = "announced", _("Announced")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class TrainingSession(models.Model):
    """One delivery of a course. Classroom sessions are held at a venue and taken seat by seat."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="sessions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices, default=SessionKind.CLASSROOM)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trainer_sessions",
        verbose_name=_("trainer"),
        limit_choices_to={"is_staff": True},
    )
    status = models.CharField(_("status"), max_length=20, choices=SessionStatus.choices, default=SessionStatus.DRAFT)
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    history = HistoricalRecords()

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
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.course.code} · {local:%d.%m.%Y %H:%M}"

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()


class Participant(models.Model):
    """A public servant nominated by their institution's official."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="participants")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="participants", verbose_name=_("unit"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Audience.choices, default=Audience.USER)
    kimlik_no = models.CharField(_("T.C. kimlik no"), max_length=11, blank=True)
    multiplier = models.BooleanField(
        _("multiplier"), default=False, help_text=_("Expected to pass the knowledge on inside the institution.")
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.TR)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["kimlik_no"])

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


class Reservation(models.Model):
    """A participant's seat (or place on the waiting list) in a classroom session.

    Seats go in order of application. Ids are taken under the session's lock, so id order is
    application order (``applied_at`` records when; a clock step cannot reorder the queue). The
    waiting-list position is derived from that order, never stored.
    """

    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="reservations")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="reservations")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="reservations")
    status = models.CharField(_("status"), max_length=20, choices=ReservationStatus.choices)
    applied_at = models.DateTimeField(_("applied at"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    history = HistoricalRecords()

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
