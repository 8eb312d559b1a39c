"""Helpers for the sessions API tests: institutions in a band, participants, materials, valid
kimlik numbers and logged-in clients (re-exported from the entitlements helpers)."""

from __future__ import annotations

import itertools

from django.core.files.base import ContentFile
from stdnum.tr import tckimlik

from sessions.models import Course, CourseMaterial, MaterialKind, Participant
from tests.entitlements.api_factories import client_for, institution, official_of, plain_user
from tests.sessions.factories import ParticipantFactory, SessionFactory

__all__ = [
    "SessionFactory",
    "client_for",
    "file_material",
    "kimlik_no",
    "official_of",
    "onsite_institution",
    "people",
    "plain_user",
    "standard_institution",
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
