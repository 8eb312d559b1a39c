"""What the tests build of the sessions app: institutions in a band, participants and valid kimlik
numbers, classroom sessions, trainers, on-site requests and sessions, course materials.

Classes (``…Factory``) write rows directly, past the services' rules: for states the services would
not make (a closed request, an old date) or to keep a test to one layer. Functions make things
through the services, as production does: an institution's entitlements computed
(``standard_institution``, ``onsite_institution``), a request's hours checked and held
(``submitted_request``), an on-site session's trainer and hours checked (``onsite_session``).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from stdnum.tr import tckimlik

from entitlements.models import Institution, Program, Province, Unit
from sessions import services
from sessions.models import (
    Course,
    CourseMaterial,
    MaterialKind,
    Participant,
    RequestStatus,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingRequestItem,
    TrainingSession,
    Venue,
)
from tests.entitlements.factories import UserFactory, institution_with_entitlements
from tests.timing import at

# --- Institutions -----------------------------------------------------------------------------


def standard_institution(users: int = 50, **kwargs) -> Institution:
    """An institution in the Standard (classroom) band of the 2012 program: 50 users, 6 seats by
    default. Made through the service (``kwargs``: those of ``institution_with_entitlements``)."""
    return institution_with_entitlements(merkez=users, **kwargs)


def onsite_institution(users: int = 500, **kwargs) -> Institution:
    """An institution in an on-site band of the 2012 program: 500 users by default, band 1
    (101-1,000 users: 8 on-site hours, no classroom seats). Made through the service."""
    return institution_with_entitlements(merkez=users, **kwargs)


# --- Participants -----------------------------------------------------------------------------

_kimlik = itertools.count(100_000_001)


def kimlik_no() -> str:
    """A fresh T.C. kimlik no with a valid checksum."""
    first9 = str(next(_kimlik))
    return first9 + tckimlik.calc_check_digits(first9)


_ALPHABET = "ABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZ"


def letters(n: int) -> str:
    """``n`` written in Turkish capital letters (0 → ``A``, 29 → ``BA``): a name tells people apart
    without digits, which names may not hold (docs/domain.md, "What any input must respect")."""
    word = _ALPHABET[n % len(_ALPHABET)]
    while n >= len(_ALPHABET):
        n //= len(_ALPHABET)
        word = _ALPHABET[n % len(_ALPHABET)] + word
    return word


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A participant of the central unit of their institution (a new Standard one by default)."""

    class Meta:
        model = Participant

    institution = factory.LazyFunction(standard_institution)
    unit = factory.LazyAttribute(lambda o: Unit.objects.get(institution=o.institution, level="merkez"))
    first_name = factory.Sequence(lambda n: f"Işıl {letters(n)}")
    last_name = "Güneş"
    email = factory.Sequence(lambda n: f"katilimci{n}@kurum.gov.tr")


def people(institution: Institution, n: int) -> list[Participant]:
    """``n`` participants of ``institution``."""
    return [ParticipantFactory(institution=institution) for _ in range(n)]


# --- Classroom sessions and trainers ----------------------------------------------------------


class SessionFactory(factory.django.DjangoModelFactory):
    """An announced classroom session a month ahead, at the Ankara venue, 24 seats."""

    class Meta:
        model = TrainingSession

    program = factory.LazyFunction(lambda: Program.objects.get(year=2012))
    course = factory.LazyFunction(lambda: Course.objects.get(code="EIMZA-101"))
    venue = factory.LazyFunction(lambda: Venue.objects.get(province_id=6))
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=4))
    capacity = 24
    status = SessionStatus.ANNOUNCED
    announced_at = factory.LazyFunction(timezone.now)


def started(session: TrainingSession, ago: timedelta = timedelta(minutes=5)) -> TrainingSession:
    """``session`` moved to have started ``ago`` (4 hours long), saved directly: the services never
    move a start into the past."""
    session.starts_at = timezone.now() - ago
    session.ends_at = session.starts_at + timedelta(hours=4)
    session.save()
    return session


class TrainerFactory(factory.django.DjangoModelFactory):
    """A trainer (a staff user) based in Ankara."""

    class Meta:
        model = Trainer

    user = factory.SubFactory(UserFactory, is_staff=True, first_name="Eğitmen", last_name="Çağlar")
    home_province_id = 6


# --- On-site requests and sessions ------------------------------------------------------------


class TrainingRequestFactory(factory.django.DjangoModelFactory):
    """A submitted request of a band-1 institution for one 8-hour user course in Ankara, written
    directly: any status or date, no hours checked or held (``submitted_request`` goes through the
    service)."""

    class Meta:
        model = TrainingRequest
        skip_postgeneration_save = True  # the related item saves itself

    program = factory.LazyFunction(lambda: Program.objects.get(year=2012))
    institution = factory.LazyFunction(onsite_institution)
    province_id = 6
    expected_participants = 20
    status = RequestStatus.SUBMITTED
    item = factory.RelatedFactory("tests.sessions.factories.TrainingRequestItemFactory", factory_related_name="request")


class TrainingRequestItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingRequestItem

    request = factory.SubFactory(TrainingRequestFactory, item=None)
    course = factory.LazyFunction(lambda: Course.objects.get(code="EIMZA-101"))
    hours = 8


def submitted_request(
    institution: Institution,
    items: dict[str, int] | None = None,
    *,
    expected: int = 20,
    plate: int = 6,
    preferred_dates: list[dict] | None = None,
) -> TrainingRequest:
    """A request of the 2012 program submitted through the service (so its hours are checked and
    held): ``items`` maps course codes to hours, one 8-hour EIMZA-101 by default; in the province
    of ``plate`` (Ankara), for ``expected`` participants."""
    items = items or {"EIMZA-101": 8}
    return services.training_request_create(
        institution=institution,
        program=Program.objects.get(year=2012),
        items=[{"course": Course.objects.get(code=code), "hours": hours} for code, hours in items.items()],
        province=Province.objects.get(plate=plate),
        expected_participants=expected,
        preferred_dates=preferred_dates,
    )


def onsite_session(
    request: TrainingRequest,
    trainer: Trainer | None = None,
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    course: str = "EIMZA-101",
    hours: int | None = None,
) -> TrainingSession:
    """An on-site session scheduled through the service: by default 09:00-17:00 a month ahead
    (8 hours), with a new trainer. Without ``ends_at`` it lasts 8 hours and counts 8, whatever the
    hour of ``starts_at`` (so a session starting late in the day, crossing midnight, still schedules)."""
    starts_at = starts_at or at(30, 9)
    if ends_at is None and hours is None:
        hours = 8
    return services.onsite_session_schedule(
        request=request,
        course=Course.objects.get(code=course),
        trainer=trainer or TrainerFactory(),
        starts_at=starts_at,
        ends_at=ends_at or starts_at + timedelta(hours=8),
        hours=hours,
    )


# --- Course materials -------------------------------------------------------------------------


def video_material(course: Course, title: str = "Kayıt") -> CourseMaterial:
    """A video (a link) of ``course``."""
    return CourseMaterial.objects.create(
        course=course, kind=MaterialKind.VIDEO, title=title, url="https://video.example.gov.tr/eimza-101"
    )


def file_material(course: Course, title: str = "Sunum") -> CourseMaterial:
    """A stored PDF of ``course`` (under ``MEDIA_ROOT``)."""
    material = CourseMaterial(course=course, kind=MaterialKind.FILE, title=title)
    material.file.save("sunum.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return material
