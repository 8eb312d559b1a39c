"""What the certificate tests build: their own signing key, finished on-site sessions to issue
certificates on, certificates issued by attendance, and certificates made ready without the
renderer."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from django.core.files.base import ContentFile
from django.utils import timezone

from certificates import signing
from certificates.models import Certificate, CertificateStatus
from certificates.services import attendance_record
from sessions.services import enrolment_create
from tests.sessions.factories import ParticipantFactory, onsite_institution, onsite_session, submitted_request
from tests.timing import at

FAKE_PDF = b"%PDF-1.4\n% a certificate, for the tests\n%%EOF\n"


def use_test_signing(settings, folder: Path, name: str) -> x509.Certificate:
    """A signing key and certificate of the tests' own (``name``) in ``folder``, and stored PDFs
    under ``folder/media``; answers the signing certificate. DEBUG is off in tests: no demo pair."""
    key_pem, cert_pem = signing.self_signed_pair(name)
    (folder / "key.pem").write_bytes(key_pem)
    (folder / "cert.pem").write_bytes(cert_pem)
    settings.CERTIFICATE_SIGNING_KEY = str(folder / "key.pem")
    settings.CERTIFICATE_SIGNING_CERT = str(folder / "cert.pem")
    settings.CERTIFICATE_SIGNING_KEY_PASSWORD = ""
    settings.MEDIA_ROOT = str(folder / "media")
    return x509.load_pem_x509_certificate(cert_pem)


def onsite_finished(people: int = 3, *, institution=None, days_ago: int = 2, course: str = "EIMZA-101", **participant):
    """A finished 8-hour on-site session (from 09:00, ``days_ago`` days back) of a band-1
    institution, with ``people`` enrolled (``participant``: their fields). Answers
    ``(session, participants)``."""
    institution = institution or onsite_institution()
    request = submitted_request(institution, {course: 8}, expected=max(people, 10))
    session = onsite_session(request, starts_at=at(-days_ago, 9), course=course)
    participants = [ParticipantFactory(institution=institution, **participant) for _ in range(people)]
    enrolment_create(session=session, participants=participants)
    return session, participants


def issued(people: int = 1, **kwargs) -> list[Certificate]:
    """Certificates issued by full attendance on a finished on-site session (status pending)."""
    session, participants = onsite_finished(people, **kwargs)
    attendance_record(session=session, marks=[(p, "full") for p in participants])
    return list(Certificate.objects.filter(session=session).order_by("serial"))


def make_ready(certificate: Certificate, content: bytes = FAKE_PDF) -> Certificate:
    """What the renderer does, without rendering: a stored PDF and status ready."""
    certificate.pdf.save(f"{certificate.serial}.pdf", ContentFile(content), save=False)
    certificate.status = CertificateStatus.READY
    certificate.ready_at = timezone.now()
    certificate.save(update_fields=["pdf", "status", "ready_at"])
    return certificate
