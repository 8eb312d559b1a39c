"""A session's certificates travel in batches: issued with the attendance in a fixed number of
statements, queued CERTIFICATE_RENDER_BATCH to a task, laid out as one document and cut into one
signed PDF per certificate, stored in one transaction, and e-mailed over one connection."""

from __future__ import annotations

import smtplib
from base64 import b64decode
from datetime import date
from io import BytesIO

import pytest
from asn1crypto import x509 as asn1_x509
from celery.exceptions import Retry
from cryptography.hazmat.primitives import serialization
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image, ImageChops
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from certificates import rendering, tasks
from certificates.models import Certificate, CertificateStatus
from certificates.notifications import certificates_ready_send
from certificates.services import attendance_record, certificates_render
from kamusm_portal.text import tr_upper
from sessions.models import Attendance
from tests.certificates.factories import onsite_finished
from tests.entitlements.factories import ProgrammeStaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_certificate")]

NAMES = [("Işıl", "Şıkoğlu", "tr"), ("İnci", "Güneş", "en"), ("Çağrı", "Öztürk", "tr")]


@pytest.fixture
def no_queue(monkeypatch):
    """What the attendance queues, kept here instead of rendered in-process: [(ids, force)]."""
    calls = []
    monkeypatch.setattr(
        tasks.render_certificates, "apply_async", lambda args, kwargs=None, **kw: calls.append((args[0], kwargs))
    )
    return calls


def _issued(people: int, no_queue) -> list[Certificate]:
    session, participants = onsite_finished(people)
    for participant, (first, last, language) in zip(participants, NAMES * people, strict=False):
        participant.first_name, participant.last_name, participant.language = first, last, language
        participant.save()
    attendance_record(session=session, marks=[(p, "full") for p in participants])
    return list(Certificate.objects.filter(session=session).order_by("pk"))


def _pdf(certificate: Certificate) -> bytes:
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as stored:
        return stored.read()


def test_a_batch_gives_each_certificate_its_own_signed_one_page_pdf_in_its_language(
    no_queue, signing_certificate, django_capture_on_commit_callbacks
):
    certificates = _issued(3, no_queue)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = certificates_render(certificate_ids=[c.pk for c in certificates])

    assert outcome == {c.pk: "ready" for c in certificates}
    root = asn1_x509.Certificate.load(signing_certificate.public_bytes(serialization.Encoding.DER))
    names = [tr_upper(c.participant_name) for c in certificates]
    for certificate, name in zip(certificates, names, strict=True):
        pdf = _pdf(certificate)
        reader = PdfReader(BytesIO(pdf))
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        assert name in text and certificate.serial in text
        assert [other for other in names if other != name and other in text] == []  # only its own page
        english = certificate.language == "en"
        assert ("Certificate of Participation" in text) is english
        assert ("Katılım Sertifikası" in text) is not english
        title = "Certificate of Participation" if english else "Katılım Sertifikası"
        assert reader.metadata["/Title"] == f"{title} {certificate.serial}"
        (image,) = reader.pages[0].images  # its own QR code, none of the batch's others
        own = Image.open(BytesIO(b64decode(rendering.qr_image(rendering.verify_url(certificate)).split(",")[1])))
        assert ImageChops.difference(image.image.convert("L"), own.convert("L")).getbbox() is None
        (embedded,) = PdfFileReader(BytesIO(pdf)).embedded_signatures
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root]))
        assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert certificates[0].pdf.name != certificates[1].pdf.name
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.participant.email for c in certificates)


def test_one_certificate_that_cannot_be_rendered_fails_alone_and_the_task_is_retried(no_queue, monkeypatch):
    certificates = _issued(3, no_queue)
    bad = certificates[1]
    single = rendering.certificate_pdf

    def batch_breaks(batch):
        raise ValueError("a page of the batch is broken")

    def one(certificate):
        if certificate.pk == bad.pk:
            raise ValueError("this certificate is broken")
        return single(certificate)

    monkeypatch.setattr(rendering, "certificates_pdf", batch_breaks)
    monkeypatch.setattr(rendering, "certificate_pdf", one)
    with pytest.raises(ValueError, match="this certificate is broken"):
        certificates_render(certificate_ids=[c.pk for c in certificates])

    states = dict(Certificate.objects.values_list("pk", "status"))
    assert states == {
        certificates[0].pk: CertificateStatus.READY,
        bad.pk: CertificateStatus.FAILED,
        certificates[2].pk: CertificateStatus.READY,
    }
    bad.refresh_from_db()
    assert (bad.error, bad.attempts) == ("ValueError: this certificate is broken", 1)

    monkeypatch.undo()  # the retry of the whole batch renders only what is missing
    again = certificates_render(certificate_ids=[c.pk for c in certificates])
    assert again == {certificates[0].pk: "unchanged", bad.pk: "ready", certificates[2].pk: "unchanged"}


def test_a_sessions_certificates_are_queued_in_batches_after_commit(
    no_queue, settings, django_capture_on_commit_callbacks
):
    settings.CERTIFICATE_RENDER_BATCH = 4
    with django_capture_on_commit_callbacks(execute=True):
        certificates = _issued(10, no_queue)

    ids = [c.pk for c in certificates]
    assert no_queue == [(ids[:4], {"force": False}), (ids[4:8], {"force": False}), (ids[8:], {"force": False})]


def test_saving_a_sessions_attendance_takes_the_same_statements_for_2_or_10_people(no_queue):
    def statements(people: int) -> int:
        session, participants = onsite_finished(people)
        with CaptureQueriesContext(connection) as queries:
            attendance_record(session=session, marks=[(p, "full") for p in participants])
        assert Certificate.objects.filter(session=session).count() == people
        return len(queries)

    statements(1)  # the program year's serial counter is made on the first certificate
    assert statements(2) == statements(10) == 20


def test_issued_certificates_and_first_marks_carry_their_history_with_who_and_when(no_queue):
    session, participants = onsite_finished(3)
    staff = ProgrammeStaffFactory()

    attendance_record(session=session, marks=[(p, "full") for p in participants], by=staff)

    for model in (Certificate, Attendance):
        rows = model.objects.filter(session=session)
        history = model.history.model.objects.filter(id__in=rows.values("pk"))
        assert history.count() == rows.count() == 3
        assert {(h.history_type, h.history_user_id) for h in history} == {("+", staff.pk)}
        for row, record in zip(rows.order_by("pk"), history.order_by("id"), strict=True):
            assert record.history_date == (row.issued_at if model is Certificate else row.recorded_at)
            assert record.status == row.status


def test_becoming_ready_is_recorded_in_the_history_the_sweep_reads(no_queue):
    certificates = _issued(2, no_queue)
    certificates_render(certificate_ids=[c.pk for c in certificates])

    for certificate in certificates:
        certificate.refresh_from_db()
        latest = certificate.history.order_by("-history_date", "-history_id").first()
        assert (latest.history_type, latest.status, latest.pdf) == ("~", "ready", certificate.pdf.name)
        assert latest.history_date == certificate.ready_at


def test_a_batchs_emails_go_over_one_connection(no_queue, monkeypatch):
    certificates = _issued(3, no_queue)
    certificates_render(certificate_ids=[c.pk for c in certificates])
    opened = []
    real = mail.get_connection

    def counted(*args, **kwargs):
        opened.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr("kamusm_portal.mail.get_connection", counted)
    outcome = certificates_ready_send(certificate_ids=[c.pk for c in certificates])
    assert (outcome.sent, outcome.failed, outcome.refused) == (3, {}, {})
    assert len(opened) == 1 and len(mail.outbox) == 3


def test_an_address_the_mail_server_refuses_is_retried_alone_and_the_others_are_not_sent_twice(no_queue, monkeypatch):
    certificates = _issued(3, no_queue)
    certificates_render(certificate_ids=[c.pk for c in certificates])
    refused = certificates[1]
    real = locmem.EmailBackend.send_messages

    def refusing(self, messages):
        if messages[0].to == [refused.participant.email]:
            raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (450, b"mailbox busy, try later")})
        return real(self, messages)

    retries = []

    def retry(*, args, kwargs, exc, countdown):
        retries.append((args, type(exc), countdown))
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refusing)
    monkeypatch.setattr(tasks.send_certificates_ready, "retry", retry)
    with pytest.raises(Retry):
        tasks.send_certificates_ready.run([c.pk for c in certificates])

    others = [c.participant.email for c in certificates if c.pk != refused.pk]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(others)
    assert retries == [(([refused.pk],), smtplib.SMTPRecipientsRefused, 5)]  # only the refused one, later

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", real)  # the server takes it now
    assert tasks.send_certificates_ready.run([refused.pk]) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.participant.email for c in certificates)


def test_a_file_the_storage_refuses_fails_its_certificate_alone(no_queue, monkeypatch):
    certificates = _issued(3, no_queue)
    bad = certificates[2]
    real = FileSystemStorage._save

    def full_disk(self, name, content):
        if bad.serial in name:
            raise OSError(28, "No space left on device")
        return real(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        certificates_render(certificate_ids=[c.pk for c in certificates])

    states = dict(Certificate.objects.values_list("pk", "status"))
    assert [states[c.pk] for c in certificates] == [CertificateStatus.READY, CertificateStatus.READY, "failed"]
    monkeypatch.undo()
    assert certificates_render(certificate_ids=[bad.pk]) == {bad.pk: "ready"}


@pytest.mark.parametrize(
    ("queues", "warmed"), [(["pdf"], True), (["default", "email", "pdf"], True), (["email"], False)]
)
def test_a_worker_process_warms_up_its_renderer_only_when_it_takes_the_pdf_queue(monkeypatch, queues, warmed):
    from kamusm_portal.celery import app

    calls = []
    monkeypatch.setattr(rendering, "warm_up", lambda: calls.append(1))
    monkeypatch.setattr(app.amqp.queues, "_consume_from", {name: app.amqp.queues[name] for name in queues})
    tasks._warm_up()
    assert bool(calls) is warmed


def test_warming_up_renders_and_signs_without_the_database(django_assert_num_queries, monkeypatch):
    signed = []
    real = rendering.signing.pdf_sign
    monkeypatch.setattr(rendering.signing, "pdf_sign", lambda pdf: signed.append(real(pdf)))
    with django_assert_num_queries(0):
        rendering.warm_up()
    assert len(signed) == 2 and all(pdf.startswith(b"%PDF") for pdf in signed)


def _unsaved(serial: str, **fields) -> Certificate:
    values = {
        "code": "0123456789ABCDEF",
        "participant_name": "Işıl Şıkoğlu",
        "institution_name": "Kırşehir Valiliği",
        "course_title": "E-İmza",
        "hours": 8,
        "starts_on": date(2026, 3, 4),
        "ends_on": date(2026, 3, 4),
        "place": "Ankara",
    }
    return Certificate(serial=serial, **{**values, **fields})


def test_a_batch_whose_pages_do_not_match_its_certificates_renders_each_alone(caplog):
    """A place far longer than the record allows spills onto a second page: the batch is not cut
    by page then, or certificates would get each other's pages."""
    spilling = _unsaved("KSM-2026-000002", place="Uzun yer adı, " * 120)
    batch = [_unsaved("KSM-2026-000001"), spilling, _unsaved("KSM-2026-000003")]

    files = rendering.certificates_pdf(batch)

    assert "a batch of 3 certificates made 4 pages" in caplog.text
    pages = [PdfReader(BytesIO(pdf)).pages for pdf in files]
    assert [len(p) for p in pages] == [1, 2, 1]
    for certificate, its_pages in zip(batch, pages, strict=True):
        assert certificate.serial in "".join(page.extract_text() for page in its_pages)
