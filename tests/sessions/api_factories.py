"""Helpers for the sessions API tests: institutions in a band, participants, materials, valid
kimlik numbers, on-site requests and sessions made through the services, local times and
logged-in clients (re-exported from the entitlements helpers)."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from stdnum.tr import tckimlik

from entitlements.models import Institution, Program, Province
from sessions import services
from sessions.models import Course, CourseMaterial, MaterialKind, Participant, Trainer, TrainingRequest, TrainingSession
from tests.entitlements.api_factories import client_for, institution, official_of, plain_user
from tests.sessions.factories import ParticipantFactory, SessionFactory, TrainerFactory

__all__ = [
    "SessionFactory",
    "TrainerFactory",
    "at",
    "client_for",
    "file_material",
    "kimlik_no",
    "official_of",
    "onsite_institution",
    "onsite_session",
    "people",
    "plain_user",
    "standard_institution",
    "submitted_request",
    "video_material",
]

_kimlik = itertools.count(100_000_001)


def kimlik_no() -> str:
    """A fresh T.C. kimlik no with a valid checksum."""
    first9 = str(next(_kimlik))
    return first9 + tckimlik.calc_check_digits(first9)


def standard_institution(**kwargs):
    """An institution in the Standard (classroom) band of the 2012 program, through the service."""
    return institution(merkez=50, **kwargs)


def onsite_institution(**kwargs):
    """An institution in category 1 (on-site hours, no classroom seats)."""
    return institution(merkez=500, **kwargs)


def people(inst, n: int) -> list[Participant]:
    return [ParticipantFactory(institution=inst) for _ in range(n)]


def video_material(course: Course, title: str = "Kayıt") -> CourseMaterial:
    return CourseMaterial.objects.create(
        course=course, kind=MaterialKind.VIDEO, title=title, url="https://video.example.gov.tr/eimza-101"
    )


def file_material(course: Course, title: str = "Sunum") -> CourseMaterial:
    material = CourseMaterial(course=course, kind=MaterialKind.FILE, title=title)
    material.file.save("sunum.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return material


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` local time (Europe/Istanbul), ``days`` from today (negative: in the past)."""
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour, minute)))


def submitted_request(
    inst: Institution, items: dict[str, int] | None = None, *, expected: int = 20, plate: int = 6
) -> TrainingRequest:
    """A request submitted through the service (so its hours are checked and held): ``items``
    maps course codes to hours, one 8-hour EIMZA-101 by default."""
    items = items or {"EIMZA-101": 8}
    return services.training_request_create(
        institution=inst,
        program=Program.objects.get(year=2012),
        items=[{"course": Course.objects.get(code=code), "hours": hours} for code, hours in items.items()],
        province=Province.objects.get(plate=plate),
        expected_participants=expected,
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
    (8 hours), with a new trainer."""
    starts_at = starts_at or at(30, 9)
    return services.onsite_session_schedule(
        request=request,
        course=Course.objects.get(code=course),
        trainer=trainer or TrainerFactory(),
        starts_at=starts_at,
        ends_at=ends_at or starts_at + timedelta(hours=8),
        hours=hours,
    )
