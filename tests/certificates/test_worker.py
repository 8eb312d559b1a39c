"""Certificates through a real Celery worker on Redis and PostgreSQL: nothing lost, nothing doubled.

Runs when CELERY_BROKER_URL is set and the tests run on PostgreSQL (a worker process cannot see the
test's in-memory SQLite). The worker is a subprocess of ``celery -A kamusm_portal worker`` on the
test database (tests/workers.py), with the test's own signing key and media folder.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from certificates.models import Certificate, CertificateStatus
from certificates.services import attendance_record, certificates_stale_requeue
from tests.certificates.factories import onsite_finished
from tests.workers import NEEDS_A_WORKER, Workers, use_broker

PEOPLE = 30
DEADLINE = 120  # seconds for a batch of 30 to be ready

pytestmark = NEEDS_A_WORKER


@pytest.fixture
def workers(tmp_path, settings, broker, signing_certificate) -> Iterator[Workers]:
    group = Workers(
        tmp_path,
        broker,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        CERTIFICATE_SIGNING_KEY=settings.CERTIFICATE_SIGNING_KEY,
        CERTIFICATE_SIGNING_CERT=settings.CERTIFICATE_SIGNING_CERT,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    try:
        yield group
    finally:
        group.stop_all()


def _finished_session(people: int = PEOPLE):
    return onsite_finished(people)


def _ready_count(session) -> int:
    return Certificate.objects.filter(session=session, status=CertificateStatus.READY).count()


def _wait_all_ready(session, workers: Workers, people: int = PEOPLE) -> None:
    deadline = time.monotonic() + DEADLINE
    while _ready_count(session) < people:
        if time.monotonic() > deadline:
            statuses = list(Certificate.objects.filter(session=session).values_list("status", "error"))
            raise AssertionError(f"not all ready: {statuses}\n{workers.log_tail()}")
        time.sleep(0.25)


def _assert_each_certificate_exactly_once(session, media: Path, trusted: x509.Certificate) -> None:
    certificates = list(Certificate.objects.filter(session=session))
    assert len(certificates) == PEOPLE
    assert {c.status for c in certificates} == {CertificateStatus.READY}
    files = sorted(p.name for p in (media / "certificates").iterdir())
    assert files == sorted(f"{c.serial}.pdf" for c in certificates)  # one each, no copies, no orphans
    assert sorted(c.pdf.name for c in certificates) == [f"certificates/{name}" for name in files]
    root = asn1_x509.Certificate.load(trusted.public_bytes(serialization.Encoding.DER))
    for certificate in certificates:
        reader = PdfFileReader(BytesIO((media / certificate.pdf.name).read_bytes()))
        (embedded,) = reader.embedded_signatures
        assert validate_pdf_signature(embedded, ValidationContext(trust_roots=[root])).bottom_line


def test_a_session_of_30_full_attendees_ends_with_30_ready_signed_certificates(workers, signing_certificate, settings):
    workers.start()
    session, people = _finished_session()

    attendance_record(session=session, marks=[(p, "full") for p in people])  # queued after commit

    _wait_all_ready(session, workers)
    _assert_each_certificate_exactly_once(session, Path(settings.MEDIA_ROOT), signing_certificate)


def test_a_worker_killed_mid_batch_and_a_new_one_still_make_each_certificate_exactly_once(
    workers, signing_certificate, settings
):
    first = workers.start()
    session, people = _finished_session()
    attendance_record(session=session, marks=[(p, "full") for p in people])

    deadline = time.monotonic() + DEADLINE
    while _ready_count(session) == 0:  # the batch has started
        assert time.monotonic() < deadline, workers.log_tail()
        time.sleep(0.02)
    workers.kill(first)
    made_before = _ready_count(session)
    assert 0 < made_before < PEOPLE, "the worker was to die in the middle of the batch"

    workers.start()
    # What the dead worker had taken stays unacknowledged in Redis (for its visibility timeout):
    # the periodic sweep queues those again; here it runs at once instead of minutes later.
    certificates_stale_requeue(after_seconds=0)

    _wait_all_ready(session, workers)
    _assert_each_certificate_exactly_once(session, Path(settings.MEDIA_ROOT), signing_certificate)


def test_with_the_broker_down_attendance_is_saved_at_once_and_the_sweep_makes_the_certificates_later(
    workers, signing_certificate, settings, broker
):
    session, people = _finished_session()
    use_broker(settings, "redis://127.0.0.1:1/15")  # nothing listens there

    started = time.monotonic()
    attendance_record(session=session, marks=[(p, "full") for p in people])
    elapsed = time.monotonic() - started

    assert Certificate.objects.filter(session=session, status=CertificateStatus.PENDING).count() == PEOPLE
    assert elapsed < 1.5, f"recording attendance waited {elapsed:.1f} s on a broker that is down"

    use_broker(settings, broker)  # the broker is back
    workers.start()
    assert certificates_stale_requeue(after_seconds=0) == PEOPLE

    _wait_all_ready(session, workers)
    _assert_each_certificate_exactly_once(session, Path(settings.MEDIA_ROOT), signing_certificate)
