"""An e-mail (or any task queued after commit) never turns a committed write into an error
(kamusm_portal.tasks; docs/architecture.md, "Background work and scheduled jobs").

Without a broker (the embedded default: tasks run in process) and a mail server that refuses the
connection, every write answers as it would have, its row is saved, the failure is logged, and the
task waits in the outbox; once the mail server is back, the scheduled jobs (``run_scheduled``, as
``make run`` runs them) deliver each e-mail exactly once. With a broker that cannot be reached the
write answers at once and the task waits in the outbox too. The tests speak real SMTP to a small
server of their own (tests/smtp.py); nothing is mocked. ``test_outbox_worker.py`` does the same
through a real Celery worker on Redis.
"""

from __future__ import annotations

import ast
import logging
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from certificates.services import certificates_render
from entitlements.models import Official
from kamusm_portal.celery import app
from kamusm_portal.models import OutboxStatus, OutboxTask
from kamusm_portal.tasks import Task, outbox_retry, outbox_tasks_retry, retry_delay
from sessions.models import Course, Reservation, SessionStatus, TrainingRequest
from tests.certificates.factories import issued
from tests.entitlements.factories import UserFactory, client_for, official_of
from tests.sessions.factories import SessionFactory, onsite_institution, people, standard_institution
from tests.smtp import SMTPServer, closed_port
from tests.workers import BROKER, use_broker

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LOGGER = "kamusm_portal.tasks"


@pytest.fixture
def mail_server(settings):
    """Django's real SMTP backend pointed at a port of 127.0.0.1 where nothing listens yet: a
    connection is refused until the test starts the server there (``mail_server.start()``)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    server = SMTPServer(settings.EMAIL_PORT)
    yield server
    server.stop()


def _failure_logged(caplog, task: str) -> bool:
    return any(
        record.name == LOGGER
        and record.levelno == logging.WARNING
        and task in record.getMessage()
        and "ConnectionRefusedError" in record.getMessage()
        for record in caplog.records
    )


def _delivered_once_when_the_server_is_back(mail_server: SMTPServer, task: str, to: list[str]) -> None:
    """The task waits in the outbox; with the mail server back, the scheduled jobs send its
    e-mails, once: a second run sends nothing more."""
    (entry,) = OutboxTask.objects.all()
    assert (entry.task, entry.status, entry.attempts) == (task, OutboxStatus.WAITING, 1)
    assert "ConnectionRefusedError" in entry.last_error

    mail_server.start()
    call_command("run_scheduled", "--once")
    call_command("run_scheduled", "--once")

    assert sorted(mail_server.recipients) == sorted(to)
    assert not OutboxTask.objects.exists()


# --- The four writes of the finding, and the new official's set-password e-mail -------------------


def test_a_reservation_answers_201_when_the_mail_server_refuses_and_its_email_goes_later(
    mail_server, caplog, django_capture_on_commit_callbacks
):
    own = standard_institution(name="Iğdır İl Sağlık Müdürlüğü")
    official = official_of(own)
    session = SessionFactory(capacity=2)
    chosen = people(own, 2)

    with caplog.at_level(logging.WARNING, logger=LOGGER), django_capture_on_commit_callbacks(execute=True):
        response = client_for(official).post(
            "/api/v1/reservations/", {"session": session.pk, "participants": [p.pk for p in chosen]}, format="json"
        )

    assert response.status_code == 201
    assert Reservation.objects.filter(session=session).count() == 2
    assert _failure_logged(caplog, "sessions.tasks.send_reservations_made")
    _delivered_once_when_the_server_is_back(mail_server, "sessions.tasks.send_reservations_made", [official.email])
    body = mail_server.received[0].message.get_content()
    assert all(p.full_name in body for p in chosen)  # "Işıl… Güneş": Turkish letters survive SMTP


def test_announcing_a_session_answers_200_when_the_mail_server_refuses_and_its_emails_go_later(
    staff, mail_server, caplog, django_capture_on_commit_callbacks
):
    officials = [official_of(standard_institution()) for _ in range(2)]
    session = SessionFactory(status=SessionStatus.DRAFT, announced_at=None)

    with caplog.at_level(logging.WARNING, logger=LOGGER), django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/sessions/{session.pk}/announce/")

    assert response.status_code == 200
    assert response.json()["status"] == "announced"
    session.refresh_from_db()
    assert session.status == SessionStatus.ANNOUNCED
    assert _failure_logged(caplog, "sessions.tasks.send_session_announced")
    _delivered_once_when_the_server_is_back(
        mail_server, "sessions.tasks.send_session_announced", [o.email for o in officials]
    )


def test_a_training_request_answers_201_when_the_mail_server_refuses_and_its_email_goes_later(
    program, mail_server, caplog, django_capture_on_commit_callbacks
):
    manager = UserFactory(is_staff=True, email="temsilci@kamusm.gov.tr")
    own = onsite_institution(account_manager=manager)
    soon = timezone.localdate() + timedelta(days=30)  # preferred windows lie within the next two years
    body = {
        "program": program.pk,
        "items": [{"course": Course.objects.get(code="EIMZA-101").pk, "hours": 8}],
        "province": 34,
        "preferred_dates": [{"from": f"{soon:%Y-%m-%d}", "to": f"{soon + timedelta(days=4):%Y-%m-%d}"}],
        "expected_participants": 25,
    }

    with caplog.at_level(logging.WARNING, logger=LOGGER), django_capture_on_commit_callbacks(execute=True):
        response = client_for(official_of(own)).post("/api/v1/training-requests/", body, format="json")

    assert response.status_code == 201
    assert TrainingRequest.objects.filter(pk=response.json()["id"], institution=own).exists()
    assert _failure_logged(caplog, "sessions.tasks.send_request_submitted")
    _delivered_once_when_the_server_is_back(mail_server, "sessions.tasks.send_request_submitted", [manager.email])


def test_the_reserve_page_redirects_as_usual_when_the_mail_server_refuses_and_its_email_goes_later(
    client, mail_server, caplog, django_capture_on_commit_callbacks
):
    own = standard_institution()
    official = official_of(own)
    session = SessionFactory()
    chosen = people(own, 3)
    client.force_login(official)

    with caplog.at_level(logging.WARNING, logger=LOGGER), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sessions_portal:reserve", args=[session.pk]), {"participants": [p.pk for p in chosen]}
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("sessions_portal:reservations")
    assert Reservation.objects.filter(session=session).count() == 3
    assert _failure_logged(caplog, "sessions.tasks.send_reservations_made")
    _delivered_once_when_the_server_is_back(mail_server, "sessions.tasks.send_reservations_made", [official.email])


def test_a_new_official_is_made_when_the_mail_server_refuses_and_the_set_password_email_goes_later(
    staff, mail_server, caplog, django_capture_on_commit_callbacks
):
    own = standard_institution()
    body = {"username": "zeynep", "email": "zeynep@example.gov.tr", "first_name": "Zeynep", "last_name": "Kaya"}

    with caplog.at_level(logging.WARNING, logger=LOGGER), django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/institutions/{own.pk}/officials/", body, format="json")

    assert response.status_code == 201
    assert Official.objects.filter(user__username="zeynep", institution=own).exists()
    assert _failure_logged(caplog, "entitlements.tasks.send_set_password_email")
    _delivered_once_when_the_server_is_back(
        mail_server, "entitlements.tasks.send_set_password_email", ["zeynep@example.gov.tr"]
    )


def test_a_password_reset_answers_as_usual_when_the_mail_server_refuses_and_its_link_goes_later(
    client, mail_server, caplog, django_capture_on_commit_callbacks
):
    """The reset page never shows an error for a mail server that refuses (the e-mail is a task of
    its own, kamusm_portal.tasks.send_password_reset_email); the link that leaves later works."""
    user = UserFactory(username="ayse", email="ayse@igdir.gov.tr")

    with caplog.at_level(logging.WARNING, logger=LOGGER), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "ayse@igdir.gov.tr"})

    assert (response.status_code, response.url) == (302, reverse("password_reset_done"))
    assert _failure_logged(caplog, "kamusm_portal.tasks.send_password_reset_email")
    _delivered_once_when_the_server_is_back(
        mail_server, "kamusm_portal.tasks.send_password_reset_email", ["ayse@igdir.gov.tr"]
    )
    (link,) = [line for line in mail_server.received[0].message.get_content().splitlines() if "/reset/" in line]
    path = link.strip().split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200 and b'name="new_password1"' in form.content
    assert user.pk


# --- A batch of certificate e-mails: only those that failed are tried again ---------------------


def test_certificate_emails_the_mail_server_refused_are_retried_alone_and_each_goes_once(
    mail_server, signing_certificate, caplog, django_capture_on_commit_callbacks
):
    first, second = issued(2, institution=onsite_institution(), days_ago=3)
    refused = Certificate.objects.select_related("participant").get(pk=second.pk).participant.email
    accepted = Certificate.objects.select_related("participant").get(pk=first.pk).participant.email
    mail_server.refuse = {refused}  # the mailbox is unknown today...
    mail_server.start()

    with caplog.at_level(logging.WARNING, logger=LOGGER), django_capture_on_commit_callbacks(execute=True):
        certificates_render(certificate_ids=[first.pk, second.pk])

    assert mail_server.recipients == [accepted]
    (entry,) = OutboxTask.objects.all()  # refused for good (550): not retried, kept for staff
    assert (entry.task, entry.args, entry.status) == (
        "certificates.tasks.send_certificates_ready",
        [[second.pk]],
        OutboxStatus.GIVEN_UP,
    )
    assert "SMTPRecipientsRefused" in entry.last_error
    assert outbox_retry() == 0
    assert mail_server.recipients == [accepted]

    mail_server.refuse = set()  # ...and put right tomorrow: staff try it again
    assert outbox_tasks_retry(ids=[entry.pk]) == 1
    assert outbox_retry() == 1
    assert outbox_retry() == 0
    assert mail_server.recipients == [accepted, refused]
    assert not OutboxTask.objects.exists()


# --- A batch of session e-mails: one refused or a connection lost holds no other back -------------


def test_an_announcement_to_officials_of_whom_one_is_refused_reaches_each_other_once(
    staff, mail_server, caplog, django_capture_on_commit_callbacks
):
    officials = [official_of(standard_institution()) for _ in range(5)]
    refused = sorted(o.email for o in officials)[2]  # mid-batch (the batch goes in address order)
    mail_server.refuse = {refused}
    mail_server.start()
    session = SessionFactory(status=SessionStatus.DRAFT, announced_at=None)

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/sessions/{session.pk}/announce/")
    for _ in range(3):
        outbox_retry(batch=10)
        OutboxTask.objects.filter(status=OutboxStatus.WAITING).update(next_attempt_at=timezone.now())

    assert response.status_code == 200
    others = sorted(o.email for o in officials if o.email != refused)
    assert sorted(mail_server.recipients) == others  # each once; the refused one never
    (entry,) = OutboxTask.objects.all()  # logged, not retried, kept for staff
    assert (entry.task, entry.args, entry.kwargs, entry.status) == (
        "sessions.tasks.send_session_announced",
        [session.pk],
        {"only": [refused]},
        OutboxStatus.GIVEN_UP,
    )
    assert "SMTPRecipientsRefused" in entry.last_error
    assert any(refused in r.getMessage() and "refused for good" in r.getMessage() for r in caplog.records)


def test_a_connection_lost_mid_batch_is_retried_for_the_remaining_officials_only(
    staff, mail_server, django_capture_on_commit_callbacks
):
    officials = [official_of(standard_institution()) for _ in range(5)]
    mail_server.hang_up_after = 2  # the server goes away after the second e-mail
    mail_server.start()
    session = SessionFactory(status=SessionStatus.DRAFT, announced_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/sessions/{session.pk}/announce/")

    assert response.status_code == 200
    addresses = sorted(o.email for o in officials)
    assert mail_server.recipients == addresses[:2]
    (entry,) = OutboxTask.objects.all()
    assert (entry.args, entry.kwargs, entry.status) == ([session.pk], {"only": addresses[2:]}, OutboxStatus.WAITING)

    mail_server.hang_up_after = None  # back
    assert outbox_retry() == 1
    assert outbox_retry() == 0
    assert mail_server.recipients == addresses  # each once
    assert not OutboxTask.objects.exists()


# --- A mail server that never answers, a broker that cannot be reached ---------------------------


def test_a_mail_server_that_never_answers_holds_the_write_no_longer_than_email_timeout(
    settings, django_capture_on_commit_callbacks
):
    assert 0 < settings.EMAIL_TIMEOUT <= 30  # the default: never unbounded
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 1
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never answers
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        own = standard_institution()
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(official_of(own)).post(
                "/api/v1/reservations/",
                {"session": SessionFactory().pk, "participants": [people(own, 1)[0].pk]},
                format="json",
            )
        elapsed = time.monotonic() - started

    assert response.status_code == 201
    assert elapsed < 5, f"the write waited {elapsed:.1f} s on a silent mail server"
    (entry,) = OutboxTask.objects.all()
    assert "timed out" in entry.last_error


@pytest.fixture
def broker_refused(settings):
    """A broker URL where nothing listens: every publish is refused."""
    use_broker(settings, f"redis://127.0.0.1:{closed_port()}/15")
    yield
    use_broker(settings, BROKER)  # as it was (none, or the suite's)
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_a_broker_that_cannot_be_reached_fails_no_write_and_the_task_waits_in_the_outbox(
    broker_refused, caplog, django_capture_on_commit_callbacks
):
    own = standard_institution()
    client = client_for(official_of(own))
    sessions = [SessionFactory(), SessionFactory()]

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for session in sessions:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(
                    "/api/v1/reservations/",
                    {"session": session.pk, "participants": [people(own, 1)[0].pk]},
                    format="json",
                )
            assert response.status_code == 201
    elapsed = time.monotonic() - started

    assert elapsed < 3, f"two writes waited {elapsed:.1f} s on a broker that is down"
    assert Reservation.objects.filter(session__in=sessions).count() == 2
    entries = list(OutboxTask.objects.order_by("pk"))
    assert [(e.task, e.status) for e in entries] == [("sessions.tasks.send_reservations_made", "waiting")] * 2
    assert all("OperationalError" in e.last_error for e in entries)
    assert sum(r.name == LOGGER and r.levelno == logging.WARNING for r in caplog.records) == 2


# --- Bounded retries, shown to staff -----------------------------------------------------------


def test_a_task_is_retried_with_growing_waits_then_given_up_logged_and_shown_to_staff_who_retry_it(
    settings, mail_server, staff_client, caplog, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    own = standard_institution()
    official = official_of(own)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(official).post(
            "/api/v1/reservations/",
            {"session": SessionFactory().pk, "participants": [people(own, 1)[0].pk]},
            format="json",
        )
    assert response.status_code == 201

    assert outbox_retry() == 0  # attempt 2 fails: it waits
    entry = OutboxTask.objects.get()
    assert (entry.status, entry.attempts) == (OutboxStatus.WAITING, 2)
    assert entry.next_attempt_at - timezone.now() > retry_delay(2) - timedelta(seconds=30)
    assert outbox_retry() == 0  # not due yet: not even tried
    assert OutboxTask.objects.get().attempts == 2

    OutboxTask.objects.update(next_attempt_at=timezone.now())
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        assert outbox_retry() == 0  # attempt 3 of 3
    entry = OutboxTask.objects.get()
    assert (entry.status, entry.attempts, entry.next_attempt_at) == (OutboxStatus.GIVEN_UP, 3, None)
    assert any(r.levelno == logging.ERROR and "given up after 3 attempts" in r.getMessage() for r in caplog.records)
    OutboxTask.objects.update(given_up_at=timezone.now() - timedelta(days=1))
    assert outbox_retry() == 0
    assert OutboxTask.objects.get().attempts == 3  # a given-up task is left alone

    changelist = reverse("admin:kamusm_portal_outboxtask_changelist")
    page = staff_client.get(changelist)  # programme staff, not a superuser
    assert page.status_code == 200
    assert "sessions.tasks.send_reservations_made" in page.content.decode()
    assert staff_client.get(reverse("admin:kamusm_portal_outboxtask_change", args=[entry.pk])).status_code == 200

    staff_client.post(changelist, {"action": "retry", "_selected_action": [entry.pk]})
    assert OutboxTask.objects.get().status == OutboxStatus.WAITING
    mail_server.start()
    assert outbox_retry() == 1
    assert mail_server.recipients == [official.email]
    assert not OutboxTask.objects.exists()


def test_the_retry_job_runs_with_the_scheduled_jobs(settings):
    beat = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat["kamusm_portal.tasks.retry_outbox"] == 60.0
    assert app.amqp.router.route({}, "kamusm_portal.tasks.retry_outbox")["queue"].name == "default"


# --- One home: every task goes through kamusm_portal.tasks ---------------------------------------


def test_every_task_of_the_portal_is_a_portal_task():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert len(ours) >= 18
    assert [name for name, task in ours.items() if not isinstance(task, Task)] == []


APPS = ("entitlements", "sessions", "certificates", "reports")


def test_no_app_sends_a_task_but_through_delay_on_commit_or_dispatch():
    """``.delay(...)``/``.apply_async(...)`` would skip the outbox: an app queues a task with
    ``delay_on_commit`` (or ``kamusm_portal.tasks.dispatch`` where it is past its commit)."""
    found = []
    for package in APPS:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr in ("delay", "apply_async", "send_task"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert found == []
