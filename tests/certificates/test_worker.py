"""Certificates through a real Celery worker on Redis and PostgreSQL: nothing lost, nothing doubled.

Runs when CELERY_BROKER_URL is set and the tests run on PostgreSQL (a worker process cannot see the
test's in-memory SQLite). The worker is a subprocess of ``celery -A kamusm_portal worker`` on the
test database, with the test's own signing key and media folder. Test and worker share a Redis
database of their own (number 15 of the broker's server), emptied before each test, so the queues
of anything else on that server are left alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import kombu.pools
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import connection
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from certificates import tasks
from certificates.models import Certificate, CertificateStatus
from certificates.services import attendance_record, certificates_stale_requeue
from kamusm_portal.celery import app
from tests.certificates.factories import onsite_finished

BASE_DIR = Path(__file__).resolve().parent.parent.parent
BROKER = os.environ.get("CELERY_BROKER_URL", "")
TEST_REDIS_DB = "15"
PEOPLE = 30
DEADLINE = 120  # seconds for a batch of 30 to be ready

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(not BROKER, reason="needs a Celery broker (CELERY_BROKER_URL)"),
    pytest.mark.skipif(
        BROKER and not BROKER.startswith(("redis://", "rediss://")), reason="the worker tests use a Redis broker"
    ),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a worker process needs the test database on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _test_broker_url() -> str:
    parts = urlsplit(BROKER)
    return urlunsplit((parts.scheme, parts.netloc, f"/{TEST_REDIS_DB}", parts.query, ""))


def _use_broker(settings, url: str) -> None:
    """Point this process's Celery app at ``url``: the variable (Celery reads CELERY_BROKER_URL from
    the environment before its settings), the settings, and the connection pools built from the
    previous address."""
    os.environ["CELERY_BROKER_URL"] = url
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    kombu.pools.reset()  # close and forget every pooled connection and producer
    tasks.SkipWhileBrokerDown.reset()  # forget that the broker was down a moment ago
    app._pool = None
    app.amqp._producer_pool = None
    publishing_to = urlsplit(app.connection_for_write().as_uri())
    assert (publishing_to.port, publishing_to.path) == (urlsplit(url).port, urlsplit(url).path)


@pytest.fixture
def broker(settings) -> Iterator[str]:
    import redis

    url = _test_broker_url()
    client = redis.Redis.from_url(url)
    client.flushdb()  # the queues (and unacknowledged messages) of earlier runs
    try:
        _use_broker(settings, url)
        yield url
    finally:
        client.flushdb()
        client.close()
        _use_broker(settings, BROKER)  # the settings fixture restores the rest
        settings.CELERY_TASK_ALWAYS_EAGER = True


class Workers:
    """Celery workers as subprocesses on the test database, the test broker and media folder."""

    def __init__(self, tmp_path: Path, settings, broker_url: str):
        database = connection.settings_dict
        credentials = quote(database["USER"] or "", safe="")
        if database["PASSWORD"]:
            credentials += ":" + quote(database["PASSWORD"], safe="")
        host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kamusm_portal.settings",
            "PYTHONPATH": str(BASE_DIR),
            "DEBUG": "true",
            "DATABASE_URL": f"postgres://{credentials}@{host}/{database['NAME']}",
            "CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": broker_url,
            "MEDIA_ROOT": settings.MEDIA_ROOT,
            "CERTIFICATE_SIGNING_KEY": settings.CERTIFICATE_SIGNING_KEY,
            "CERTIFICATE_SIGNING_CERT": settings.CERTIFICATE_SIGNING_CERT,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.tmp_path = tmp_path
        self.running: list[tuple[subprocess.Popen, Path]] = []

    def start(self) -> subprocess.Popen:
        """A prefork worker (2 processes) on the three queues; returns once it consumes."""
        log = self.tmp_path / f"worker-{len(self.running) + 1}.log"
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "kamusm_portal",
                "worker",
                "-Q",
                "pdf,email,default",
                "--pool=prefork",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-n",
                f"pdf-test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches the pool's children too
        )
        self.running.append((process, log))
        deadline = time.monotonic() + 60
        while b" ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the worker did not start:\n" + self.log_tail())
            time.sleep(0.1)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine would: no warm shutdown."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process, _log in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _log in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        connection.close()  # the flush after the test needs no lock of ours

    def log_tail(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-3000:] for _process, log in self.running)


@pytest.fixture
def workers(tmp_path, settings, broker, signing_certificate) -> Iterator[Workers]:
    group = Workers(tmp_path, settings, broker)
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
    _use_broker(settings, "redis://127.0.0.1:1/15")  # nothing listens there

    started = time.monotonic()
    attendance_record(session=session, marks=[(p, "full") for p in people])
    elapsed = time.monotonic() - started

    assert Certificate.objects.filter(session=session, status=CertificateStatus.PENDING).count() == PEOPLE
    assert elapsed < 1.5, f"recording attendance waited {elapsed:.1f} s on a broker that is down"

    _use_broker(settings, broker)  # the broker is back
    workers.start()
    assert certificates_stale_requeue(after_seconds=0) == PEOPLE

    _wait_all_ready(session, workers)
    _assert_each_certificate_exactly_once(session, Path(settings.MEDIA_ROOT), signing_certificate)
