"""Certificate PDFs (docs/domain.md, "PDFs, rendered in the background"): what they say, in the
participant's language, with the project's own fonts; one PDF per certificate however often the
task runs; never for a revoked one; a failure is recorded and retried; the sweep re-queues what
was left behind; the participant is e-mailed once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import celery.app.task
import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from fontTools.ttLib import TTFont
from kombu.exceptions import OperationalError
from pypdf import PdfReader

from certificates import rendering, signing, tasks
from certificates.models import Certificate, CertificateStatus
from certificates.services import (
    certificate_render,
    certificate_revoke,
    certificates_stale_requeue,
    pdfs,
    publish_renders,
)
from kamusm_portal import tasks as portal_tasks
from sessions.models import Course
from tests.certificates.factories import issued
from tests.sessions.factories import onsite_institution

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_certificate")]

BASE_DIR = Path(__file__).resolve().parent.parent.parent
COURSE_TR = "İleri E-İmza: Şifreleme ve Doğrulama Kılavuzu"
COURSE_EN = "Advanced e-signature: encryption and verification"
KIMLIK_NO = "12345678950"


@pytest.fixture(autouse=True)
def _portal_url(settings):
    settings.PORTAL_BASE_URL = "https://egitim.kamusm.example/"


def _issue(*, language: str = "tr", email: str = "isil.sikoglu@kurum.gov.tr", days: int = 1) -> Certificate:
    """One pending certificate: full attendance of Işıl İnci Güneş Şıkoğlu on a finished on-site
    training of the course above."""
    Course.objects.filter(code="EIMZA-101").update(title_tr=COURSE_TR, title_en=COURSE_EN)
    (certificate,) = issued(
        1,
        institution=onsite_institution(name="Kırşehir Valiliği"),
        days_ago=3,
        first_name="Işıl İnci",
        last_name="Güneş Şıkoğlu",
        email=email,
        language=language,
        kimlik_no=KIMLIK_NO,
    )
    if days > 1:  # a training over several days (the snapshot says so)
        Certificate.objects.filter(pk=certificate.pk).update(ends_on=certificate.starts_on + timedelta(days=days - 1))
        certificate.refresh_from_db()
    return certificate


def _text(certificate: Certificate) -> str:
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as stored:
        reader = PdfReader(BytesIO(stored.read()))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def _stored_pdfs() -> list[str]:
    _folders, files = default_storage.listdir("certificates")
    return sorted(files)


# --- What the PDF says --------------------------------------------------------------------------


def test_the_pdf_has_the_name_in_turkish_capitals_and_the_course_exactly():
    certificate = _issue(days=3)

    assert certificate_render(certificate_id=certificate.pk) == "ready"

    text = _text(certificate)
    assert "IŞIL İNCİ GÜNEŞ ŞIKOĞLU" in text  # not "ISIL INCI", not "IŞıL"
    assert COURSE_TR in text
    assert "Kırşehir Valiliği" in text
    assert certificate.serial in text
    assert certificate.code_display in text
    assert f"https://egitim.kamusm.example/verify/{certificate.code}/" in text
    first, last = certificate.starts_on, certificate.ends_on
    assert f"{first:%d.%m.%Y} – {last:%d.%m.%Y}" in text
    assert certificate.place in text
    assert KIMLIK_NO not in text
    assert certificate.status == CertificateStatus.READY
    assert (certificate.ready_at is not None, certificate.error, certificate.attempts) == (True, "", 1)


def test_the_page_is_a4_landscape():
    certificate = _issue()
    certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as stored:
        box = PdfReader(BytesIO(stored.read())).pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (297, 210)


def test_a_one_day_training_shows_one_date():
    certificate = _issue(days=1)
    certificate_render(certificate_id=certificate.pk)
    text = _text(certificate)
    assert f"{certificate.starts_on:%d.%m.%Y}" in text
    assert " – " not in text


def test_the_turkish_certificate_is_a_katilim_sertifikasi():
    certificate = _issue(language="tr")
    certificate_render(certificate_id=certificate.pk)
    text = _text(certificate)
    assert "Katılım Sertifikası" in text
    assert "8 saat" in text


def test_an_english_participant_gets_the_certificate_in_english():
    certificate = _issue(language="en")
    certificate_render(certificate_id=certificate.pk)
    text = _text(certificate)
    assert "Certificate of Participation" in text
    assert COURSE_EN in text
    assert "8 hours" in text
    assert "IŞIL İNCİ GÜNEŞ ŞIKOĞLU" in text  # a Turkish name stays Turkish in capitals


def _embedded_fonts(pdf: bytes) -> set[str]:
    """The full names (name table) of the font programs embedded in the PDF's page."""
    page = PdfReader(BytesIO(pdf)).pages[0]
    names = set()
    for reference in page["/Resources"]["/Font"].values():
        font = reference.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        program = descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()  # embedded
        names.add(TTFont(BytesIO(program))["name"].getDebugName(4))
    return names


SHIPPED = {TTFont(path)["name"].getDebugName(4) for path in rendering.FONT_DIR.glob("*.ttf")}


def test_the_embedded_fonts_are_the_shipped_dejavu_sans_and_nothing_else():
    certificate = _issue()
    certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as stored:
        embedded = _embedded_fonts(stored.read())
    assert {"DejaVu Sans", "DejaVu Sans Bold"} == SHIPPED
    assert embedded == SHIPPED


def test_the_fonts_come_from_the_project_not_from_the_machine(tmp_path):
    """With a fontconfig that knows no font at all, the certificate still renders in DejaVu Sans:
    its @font-face rules load certificates/fonts/, never the system's fonts."""
    (tmp_path / "fonts.conf").write_text(
        f'<?xml version="1.0"?><fontconfig><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>'
    )
    script = textwrap.dedent(
        """
        import datetime, sys, django
        django.setup()
        from certificates.models import Certificate
        from certificates.rendering import certificate_pdf
        certificate = Certificate(
            serial="KSM-2012-000001", code="7KQM4XZ29DHF3BRT", language="tr",
            participant_name="Işıl İnci Güneş Şıkoğlu", institution_name="Kırşehir Valiliği",
            course_title="İleri E-İmza", hours=8, starts_on=datetime.date(2026, 3, 4),
            ends_on=datetime.date(2026, 3, 4), place="Ankara",
        )
        sys.stdout.buffer.write(certificate_pdf(certificate))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_"))}
    env.update(
        FONTCONFIG_FILE=str(tmp_path / "fonts.conf"),
        DJANGO_SETTINGS_MODULE="kamusm_portal.settings",
        DEBUG="true",
        PYTHONPATH=str(BASE_DIR),
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()
    assert _embedded_fonts(result.stdout) == SHIPPED
    assert "IŞIL İNCİ GÜNEŞ ŞIKOĞLU" in PdfReader(BytesIO(result.stdout)).pages[0].extract_text()


def test_the_worker_builds_its_fonts_and_stylesheet_once():
    rendering._assets.cache_clear()
    first, second = _issue(), _issue()
    certificate_render(certificate_id=first.pk)
    certificate_render(certificate_id=second.pk)
    info = rendering._assets.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def _layout(document) -> list[tuple]:
    """Every box of the first page: its kind, element, position and size (to 0.01 pt)."""
    boxes = []

    def walk(box) -> None:
        size = [round(v, 2) if isinstance(v, (int, float)) else v for v in (box.width, box.height)]
        boxes.append((type(box).__name__, box.element_tag, round(box.position_x, 2), round(box.position_y, 2), *size))
        for child in getattr(box, "children", ()):
            walk(child)

    walk(document.pages[0]._page_box)
    return boxes


@pytest.mark.parametrize("language", ["tr", "en"])
def test_the_certificates_own_user_agent_stylesheet_lays_out_as_weasyprints_html5_one(language):
    """``certificate-ua.css`` stands in for WeasyPrint's HTML5 stylesheet (a tenth of the render
    time): every box of the page is where WeasyPrint's own would put it. An element added to the
    template without its defaults in ``certificate-ua.css`` fails here."""
    from weasyprint import HTML

    certificate = _issue(language=language, days=3)
    font_config, stylesheet, fetcher, html_class = rendering._assets()
    html = rendering.certificates_html([certificate, certificate])
    options = {"base_url": str(rendering.HERE), "url_fetcher": fetcher}
    ours = html_class(string=html, **options).render(stylesheets=[stylesheet], font_config=font_config)
    weasyprints = HTML(string=html, **options).render(stylesheets=[stylesheet], font_config=font_config)

    assert len(ours.pages) == len(weasyprints.pages) == 2
    assert _layout(ours) == _layout(weasyprints)
    assert len(_layout(ours)) > 20
    # The hook is WeasyPrint's own: its HTML5 stylesheet makes a bookmark of the <h1>, ours does not.
    assert weasyprints.make_bookmark_tree() and not ours.make_bookmark_tree()


def _longest(field: str, word: str) -> str:
    """As long a text as the certificate's ``field`` holds, made of ``word``."""
    length = Certificate._meta.get_field(field).max_length
    return (word * (length // len(word) + 1))[:length]


@pytest.mark.parametrize("language", ["tr", "en"])
def test_the_longest_texts_the_record_holds_still_fit_on_one_page_above_the_footer(language):
    certificate = _issue(language=language, days=3)
    certificate.participant_name = _longest("participant_name", "Şükrüoğlu Gülümser Ağaoğlu ")
    certificate.institution_name = _longest("institution_name", "Çok Uzun Kurum Adı ")
    certificate.course_title = _longest("course_title", "Çok uzun kurs adı ")
    certificate.course_title_en = _longest("course_title_en", "A very long course title ")
    certificate.place = _longest("place", "Uzun yer adı, ")
    font_config, stylesheet, fetcher, html_class = rendering._assets()
    document = html_class(
        string=rendering.certificates_html([certificate]), base_url=str(rendering.HERE), url_fetcher=fetcher
    ).render(stylesheets=[stylesheet], font_config=font_config)

    assert len(document.pages) == 1
    paragraphs = {}

    def walk(box) -> None:
        if box.element_tag == "p" and box.element.get("class") not in paragraphs:
            paragraphs[box.element.get("class")] = box
        for child in getattr(box, "children", ()):
            walk(child)

    walk(document.pages[0]._page_box)
    place, footer = paragraphs["value place long longer"], paragraphs["footer"]
    assert place.position_y + place.margin_height() < footer.position_y
    assert "name long longer" in paragraphs and "course long" in paragraphs


# --- One PDF, whatever happens ----------------------------------------------------------------


def test_running_the_task_twice_leaves_one_pdf():
    certificate = _issue()

    assert tasks.render_certificate.apply((certificate.pk,)).get() == "ready"
    stored = _stored_pdfs()
    assert tasks.render_certificate.apply((certificate.pk,)).get() == "unchanged"

    certificate.refresh_from_db()
    assert stored == _stored_pdfs() == [f"{certificate.serial}.pdf"]
    assert certificate.pdf.name == f"certificates/{certificate.serial}.pdf"
    assert certificate.attempts == 1


def test_a_forced_rerender_replaces_the_pdf_and_still_leaves_one(django_capture_on_commit_callbacks):
    certificate = _issue()
    certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as stored:
        before = stored.read()

    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert certificate_render(certificate_id=certificate.pk, force=True) == "ready"
        certificate.refresh_from_db()
        assert _stored_pdfs() == [Path(certificate.pdf.name).name]

    with certificate.pdf.open("rb") as stored:
        assert stored.read() != before  # signed again, at another moment
    assert certificate.status == CertificateStatus.READY


def test_a_file_left_by_a_worker_that_died_before_committing_is_replaced():
    certificate = _issue()
    default_storage.save(f"certificates/{certificate.serial}.pdf", ContentFile(b"half a PDF"))

    certificate_render(certificate_id=certificate.pk)

    certificate.refresh_from_db()
    assert _stored_pdfs() == [f"{certificate.serial}.pdf"]
    with certificate.pdf.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"


def test_a_revoked_certificate_is_never_rendered():
    certificate = _issue()
    certificate_revoke(certificate=certificate, reason="Kimlik hatası")

    assert certificate_render(certificate_id=certificate.pk) == "revoked"
    assert certificate_render(certificate_id=certificate.pk, force=True) == "revoked"

    certificate.refresh_from_db()
    assert (certificate.status, certificate.pdf.name) == (CertificateStatus.REVOKED, "")
    assert not default_storage.exists("certificates") or _stored_pdfs() == []


def test_a_certificate_revoked_while_it_was_rendered_is_not_stored(monkeypatch):
    certificate = _issue()
    real_sign = signing.pdf_sign

    def sign_then_revoke(pdf: bytes) -> bytes:
        signed = real_sign(pdf)
        certificate_revoke(certificate=Certificate.objects.get(pk=certificate.pk), reason="Yanlış kişi")
        return signed

    monkeypatch.setattr(signing, "pdf_sign", sign_then_revoke)

    assert certificate_render(certificate_id=certificate.pk) == "revoked"
    certificate.refresh_from_db()
    assert (certificate.status, certificate.pdf.name) == (CertificateStatus.REVOKED, "")
    assert not default_storage.exists("certificates") or _stored_pdfs() == []


def test_a_failure_marks_the_certificate_failed_with_the_error_and_raises_again(monkeypatch):
    certificate = _issue()

    def broken(certificate):
        raise RuntimeError("the stylesheet is missing")

    monkeypatch.setattr(rendering, "certificate_pdf", broken)
    with pytest.raises(RuntimeError, match="stylesheet"):
        certificate_render(certificate_id=certificate.pk)

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.FAILED
    assert certificate.error == "RuntimeError: the stylesheet is missing"
    assert certificate.attempts == 1

    monkeypatch.undo()  # fixed: the retry makes it
    assert certificate_render(certificate_id=certificate.pk) == "ready"
    certificate.refresh_from_db()
    assert (certificate.status, certificate.error, certificate.attempts) == (CertificateStatus.READY, "", 2)


def test_the_task_is_retried_with_backoff_and_acks_late():
    task = tasks.render_certificate
    assert (task.acks_late, task.reject_on_worker_lost) == (True, True)
    assert task.autoretry_for == (Exception,)
    assert task.retry_backoff and task.max_retries >= 5


def test_renders_go_to_the_pdf_queue_e_mails_to_email_and_the_sweep_to_default(settings):
    from kamusm_portal.celery import app

    def queue(name: str) -> str:
        return app.amqp.router.route({}, name)["queue"].name

    assert queue("certificates.tasks.render_certificates") == "pdf"
    assert queue("certificates.tasks.render_certificate") == "pdf"
    assert queue("certificates.tasks.send_certificates_ready") == "email"
    assert queue("certificates.tasks.send_certificate_ready") == "email"
    assert queue("certificates.tasks.sweep_certificates") == "default"
    beat = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat["certificates.tasks.sweep_certificates"] == 60.0


@pytest.fixture
def broker_down(settings, monkeypatch) -> list[str]:
    """Redis refuses every publish; answers the names of the tasks whose publish was tried."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    attempts = []

    def refused(self, *args, **kwargs):
        attempts.append(self.name)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(celery.app.task.Task, "apply_async", refused)
    portal_tasks.Task.broker_pause_reset()
    yield attempts
    portal_tasks.Task.broker_pause_reset()


def test_after_a_publish_fails_the_next_ones_of_the_process_fail_at_once_for_a_few_seconds(broker_down, monkeypatch):
    """A batch saved while Redis is down waits once on it, not once per certificate."""
    for task in (tasks.render_certificate, tasks.render_certificate, tasks.send_certificate_ready):
        with pytest.raises(OperationalError):
            task.apply_async((1,))
    assert broker_down == ["certificates.tasks.render_certificate"]

    later = time.monotonic() + portal_tasks.BROKER_PAUSE_SECONDS + 1
    monkeypatch.setattr(portal_tasks.time, "monotonic", lambda: later)
    with pytest.raises(OperationalError):
        tasks.render_certificate.apply_async((1,))
    assert len(broker_down) == 2  # tried again after the pause


def test_with_the_broker_down_the_batches_after_the_first_are_not_even_tried(broker_down, settings):
    """Saving the attendance of 30 people while Redis is down waits once on it, not once a batch."""
    settings.CERTIFICATE_RENDER_BATCH = 10
    assert publish_renders(list(range(1, 31))) == 0  # nothing raised: the sweep will queue them
    assert broker_down == ["certificates.tasks.render_certificates"]


# --- The sweep -----------------------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    """The ids the sweep queues (in batches of CERTIFICATE_RENDER_BATCH)."""
    calls = []
    monkeypatch.setattr(tasks.render_certificates, "apply_async", lambda args, *rest, **kw: calls.extend(args[0]))
    return calls


def _age(certificate: Certificate, minutes: int) -> None:
    """As if the certificate, and each change to it, were ``minutes`` old."""
    then = timezone.now() - timedelta(minutes=minutes)
    Certificate.objects.filter(pk=certificate.pk).update(issued_at=then)
    Certificate.history.model.objects.filter(id=certificate.pk).update(history_date=then)


def test_the_sweep_queues_again_what_was_left_pending_or_failed_for_minutes(queued, settings):
    settings.CERTIFICATE_SWEEP_AFTER_SECONDS = 300
    stale_pending, stale_failed, fresh, ready, revoked, given_up = (_issue() for _ in range(6))
    Certificate.objects.filter(pk__in=[stale_failed.pk, given_up.pk]).update(status=CertificateStatus.FAILED)
    Certificate.objects.filter(pk=given_up.pk).update(attempts=pdfs.SWEEP_MAX_ATTEMPTS)
    certificate_render(certificate_id=ready.pk)
    certificate_revoke(certificate=revoked, reason="Kimlik hatası")
    for certificate in (stale_pending, stale_failed, ready, revoked, given_up):
        _age(certificate, 10)

    assert certificates_stale_requeue() == 2
    assert sorted(queued) == sorted([stale_pending.pk, stale_failed.pk])
    assert fresh.pk not in queued  # pending for seconds only: its message is still on its way


def test_a_certificate_that_just_failed_waits_for_celerys_own_retries_before_the_sweep(queued):
    certificate = _issue()
    _age(certificate, 10)
    Certificate.history.model.objects.filter(id=certificate.pk).update(history_date=timezone.now())  # just failed

    assert certificates_stale_requeue(after_seconds=300) == 0
    assert certificates_stale_requeue(after_seconds=0) == 1


def test_the_sweep_takes_a_bounded_batch_oldest_first(queued):
    certificates = [_issue() for _ in range(3)]
    for minutes, certificate in zip((30, 20, 10), certificates, strict=True):
        _age(certificate, minutes)

    assert certificates_stale_requeue(after_seconds=60, batch=2) == 2
    assert queued == [certificates[0].pk, certificates[1].pk]


# --- The participant's e-mail ------------------------------------------------------------------


def test_the_participant_is_emailed_once_with_the_verify_link_and_no_kimlik_no(django_capture_on_commit_callbacks):
    certificate = _issue(language="en")

    with django_capture_on_commit_callbacks(execute=True):
        certificate_render(certificate_id=certificate.pk)
    with django_capture_on_commit_callbacks(execute=True):
        certificate_render(certificate_id=certificate.pk)  # nothing new
        certificate_render(certificate_id=certificate.pk, force=True)  # a re-render: no second e-mail

    (message,) = mail.outbox
    assert message.to == ["isil.sikoglu@kurum.gov.tr"]
    assert "Your certificate is ready" in message.subject
    assert COURSE_EN in message.subject
    assert f"https://egitim.kamusm.example/verify/{certificate.code}/" in message.body
    assert certificate.serial in message.body
    assert KIMLIK_NO not in message.subject + message.body


def test_a_participant_without_an_email_address_gets_none(django_capture_on_commit_callbacks):
    certificate = _issue(email="")
    with django_capture_on_commit_callbacks(execute=True):
        certificate_render(certificate_id=certificate.pk)
    assert mail.outbox == []


def test_no_email_for_a_certificate_revoked_before_the_email_went():
    certificate = _issue()
    certificate_render(certificate_id=certificate.pk)
    certificate_revoke(certificate=Certificate.objects.get(pk=certificate.pk), reason="Yanlış kişi")

    assert tasks.send_certificate_ready.apply((certificate.pk,)).get() == 0
    assert mail.outbox == []
