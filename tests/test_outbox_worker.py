"""After-commit e-mails through a real Celery worker on Redis and PostgreSQL (tests/workers.py),
speaking real SMTP (tests/smtp.py): the write answers at once whatever the mail server or the broker
does; the worker retries an e-mail the mail server refused until it is back (Celery's retry, with
backoff); a task queued while the broker was down waits in the outbox and the retry job queues it
once the broker is back; a task still failing after Celery's retries waits in the outbox and the
retry job carries on, until OUTBOX_MAX_ATTEMPTS in all, then it is kept for staff. Each e-mail goes once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from kamusm_portal.models import OutboxStatus, OutboxTask
from kamusm_portal.tasks import dispatch, outbox_retry, retry_delay
from sessions import tasks
from sessions.models import Reservation, ReservationStatus
from tests.entitlements.factories import client_for, official_of
from tests.sessions.factories import SessionFactory, people, standard_institution
from tests.smtp import SMTPServer, closed_port
from tests.workers import NEEDS_A_WORKER, Workers, use_broker

pytestmark = NEEDS_A_WORKER

DEADLINE = 60  # seconds: Celery's first retries wait 1, 2, 4 s (with jitter)


@pytest.fixture
def mail_port() -> int:
    return closed_port()


@pytest.fixture
def mail_server(mail_port) -> Iterator[SMTPServer]:
    """The mail server the workers send to: down until the test starts it."""
    server = SMTPServer(mail_port)
    yield server
    server.stop()


@pytest.fixture
def workers(tmp_path, broker, mail_port) -> Iterator[Workers]:
    group = Workers(
        tmp_path,
        broker,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(mail_port),
        EMAIL_TIMEOUT="5",
    )
    try:
        yield group
    finally:
        group.stop_all()


def _wait(condition: Callable[[], bool], workers: Workers, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {DEADLINE} s:\n{workers.log_tail()}")
        time.sleep(0.1)


def _reserve(official, session, participant):
    return client_for(official).post(
        "/api/v1/reservations/", {"session": session.pk, "participants": [participant.pk]}, format="json"
    )


def test_the_write_answers_and_the_worker_retries_the_email_until_the_mail_server_is_back(workers, mail_server):
    workers.start("email,default")
    own = standard_institution()
    official = official_of(own)
    session = SessionFactory()

    response = _reserve(official, session, people(own, 1)[0])

    assert response.status_code == 201
    assert Reservation.objects.filter(session=session).count() == 1
    _wait(
        lambda: "sessions.tasks.send_reservations_made" in workers.log() and "retry: Retry in" in workers.log(),
        workers,
        "Celery's retry of the refused e-mail",
    )
    mail_server.start()
    _wait(lambda: mail_server.recipients == [official.email], workers, "the e-mail's delivery")
    time.sleep(3)  # nothing more comes
    assert mail_server.recipients == [official.email]
    assert not OutboxTask.objects.exists()


def test_a_write_made_while_the_broker_is_down_answers_and_the_retry_job_queues_its_email_once_it_is_back(
    settings, broker, workers, mail_server
):
    own = standard_institution()
    official = official_of(own)
    session = SessionFactory()
    use_broker(settings, f"redis://127.0.0.1:{closed_port()}/15")  # nothing listens there

    started = time.monotonic()
    response = _reserve(official, session, people(own, 1)[0])
    elapsed = time.monotonic() - started

    assert response.status_code == 201
    assert elapsed < 2, f"the write waited {elapsed:.1f} s on a broker that is down"
    entry = OutboxTask.objects.get()
    assert (entry.task, entry.status) == ("sessions.tasks.send_reservations_made", OutboxStatus.WAITING)
    assert "OperationalError" in entry.last_error

    use_broker(settings, broker)  # the broker is back, and so are the mail server and a worker
    mail_server.start()
    workers.start("email,default")
    assert outbox_retry() == 1  # queued
    assert not OutboxTask.objects.exists()
    _wait(lambda: mail_server.recipients == [official.email], workers, "the e-mail's delivery")
    time.sleep(2)
    assert mail_server.recipients == [official.email]


def test_an_email_still_refused_after_celerys_retries_waits_in_the_outbox_and_the_retry_job_sends_it(
    settings, workers, mail_server
):
    workers.start("email,default")
    own = standard_institution()
    official = official_of(own)
    session = SessionFactory()
    reservation = Reservation.objects.create(
        session=session,
        participant=people(own, 1)[0],
        institution=own,
        applied_by=official,
        status=ReservationStatus.CONFIRMED,
        applied_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    # Its first attempt in the worker is Celery's last (5 retries made already, as after ~31 s of backoff).
    assert dispatch(tasks.send_reservations_made, ([reservation.pk],), retries=5)

    _wait(lambda: OutboxTask.objects.exists(), workers, "the task's record")
    entry = OutboxTask.objects.get()
    assert (entry.task, entry.args, entry.status, entry.attempts) == (
        "sessions.tasks.send_reservations_made",
        [[reservation.pk]],
        OutboxStatus.WAITING,  # not given up: the outbox carries on
        6,
    )
    assert "ConnectionRefusedError" in entry.last_error
    due_in = entry.next_attempt_at - timezone.now()
    assert retry_delay(6) - timedelta(seconds=30) < due_in <= retry_delay(6)

    mail_server.start()  # the mail server is back; the retry job's turn comes
    OutboxTask.objects.update(next_attempt_at=timezone.now())
    assert outbox_retry() == 1  # queued
    _wait(lambda: mail_server.recipients == [official.email], workers, "the e-mail's delivery")
    time.sleep(2)
    assert mail_server.recipients == [official.email]
    assert not OutboxTask.objects.exists()


def test_a_task_the_worker_fails_at_its_last_attempt_is_given_up_for_staff(settings, workers):
    workers.start("email,default")

    # An error Celery does not retry, at the attempt that makes OUTBOX_MAX_ATTEMPTS (10, the default).
    assert dispatch(tasks.send_reservations_made, (["not-an-id"],), retries=9)

    _wait(lambda: OutboxTask.objects.filter(status=OutboxStatus.GIVEN_UP).exists(), workers, "the task's record")
    entry = OutboxTask.objects.get()
    assert (entry.task, entry.args, entry.attempts) == ("sessions.tasks.send_reservations_made", [["not-an-id"]], 10)
    assert "ValueError" in entry.last_error


def test_a_task_that_fails_in_the_worker_with_an_error_celery_does_not_retry_waits_in_the_outbox(workers):
    workers.start("email,default")

    assert dispatch(tasks.send_reservations_made, (["not-an-id"],))

    _wait(lambda: OutboxTask.objects.exists(), workers, "the task's record")
    entry = OutboxTask.objects.get()
    assert (entry.status, entry.attempts) == (OutboxStatus.WAITING, 1)
    assert "ValueError" in entry.last_error
