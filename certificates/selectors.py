"""Reads of certificates: who sees which, the lists (a fixed number of queries whatever their
length), the ZIP archive's rows and what the public verification shows.

An official sees their own institution's certificates, programme staff all of them, anyone else
none. Verification shows only what the certificate itself says: never a kimlik no or an e-mail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Min, Q, QuerySet

from certificates.models import Certificate, CertificateStatus
from certificates.services import code_normalise
from entitlements.selectors import official_institution
from kamusm_portal.roles import is_programme_staff


def certificates_visible(user: User | AnonymousUser) -> QuerySet[Certificate]:
    """Programme staff see every certificate; an official their own institution's; anyone else none."""
    if is_programme_staff(user):
        return Certificate.objects.all()
    institution = official_institution(user)
    if institution is None:
        return Certificate.objects.none()
    return Certificate.objects.filter(institution=institution)


def certificate_list(
    user: User | AnonymousUser,
    *,
    session: int | None = None,
    program: int | None = None,
    status: str | None = None,
    institution: int | None = None,
) -> QuerySet[Certificate]:
    """The certificates ``user`` may see, with session, course, program and institution joined,
    optionally narrowed to a session, a program, a status or (useful to staff) an institution."""
    return certificate_filter(
        certificates_visible(user), session=session, program=program, status=status, institution=institution
    )


def certificate_filter(
    certificates: QuerySet[Certificate],
    *,
    session: int | None = None,
    program: int | None = None,
    status: str | None = None,
    institution: int | None = None,
) -> QuerySet[Certificate]:
    """``certificates`` (already limited to what a user may see) narrowed and joined for a list."""
    if session is not None:
        certificates = certificates.filter(session_id=session)
    if program is not None:
        certificates = certificates.filter(session__program_id=program)
    if status:
        certificates = certificates.filter(status=status)
    if institution is not None:
        certificates = certificates.filter(institution_id=institution)
    return certificates.select_related("session__course", "session__program", "institution")


def certificate_batches(certificates: QuerySet[Certificate]) -> list[dict[str, Any]]:
    """Per session of ``certificates`` (one query): its course, start, program and how many are
    ready, newest first; what the portal offers as "download all as ZIP"."""
    rows = (
        certificates.order_by()
        .values(
            "session_id",
            "session__starts_at",
            "session__program_id",
            "session__program__name",
            "session__program__year",
            "session__course__title_tr",
            "session__course__title_en",
        )
        .annotate(total=Count("pk"), ready=Count("pk", filter=Q(status=CertificateStatus.READY)))
        .order_by("-session__starts_at", "session_id")
    )
    return list(rows)


def certificate_archive_rows(certificates: QuerySet[Certificate]) -> list[tuple[str, str, str]]:
    """(serial, participant name, stored PDF name) of the ready certificates among
    ``certificates``, in serial order: what a ZIP archive holds. One query; the files are opened
    one at a time while the archive streams."""
    return list(
        certificates.filter(status=CertificateStatus.READY)
        .exclude(pdf="")
        .order_by("serial")
        .values_list("serial", "participant_name", "pdf")
    )


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate of a verification code as typed from paper (dashes, spaces, lower case,
    O/0 and I/L/1 read alike), or ``None``."""
    normalised = code_normalise(code)
    if not normalised:
        return None
    return Certificate.objects.filter(code=normalised).first()


def certificate_public_facts(certificate: Certificate, *, english_title: bool = False) -> dict[str, Any]:
    """What anyone holding the code may read: what the certificate says, and whether it stands.
    The course in Turkish, or its English title when ``english_title`` and the course has one.
    Built from the record's snapshot only (never the participant: no kimlik no, no e-mail)."""
    course = certificate.course_title
    if english_title and certificate.course_title_en:
        course = certificate.course_title_en
    return {
        "valid": certificate.is_valid,
        "status": certificate.status,
        "serial": certificate.serial,
        "participant_name": certificate.participant_name,
        "institution": certificate.institution_name,
        "course": course,
        "hours": certificate.hours,
        "date": certificate.dates_text,
        "place": certificate.place,
    }


AWAITING_PDF = (CertificateStatus.PENDING, CertificateStatus.FAILED)


def certificates_awaiting_pdf() -> dict[str, tuple[int, datetime | None]]:
    """Certificates whose signed PDF is not stored yet, by status (``pending``: queued for rendering;
    ``failed``: the sweep queues it again), each with the issue time of the oldest, in one query
    (the ``certificate_queue`` index). A status with none is there with ``(0, None)``."""
    rows = (
        Certificate.objects.filter(status__in=AWAITING_PDF)
        .order_by()
        .values("status")
        .annotate(count=Count("pk"), oldest=Min("issued_at"))
    )
    found = {row["status"]: (row["count"], row["oldest"]) for row in rows}
    return {str(status): found.get(status, (0, None)) for status in AWAITING_PDF}
