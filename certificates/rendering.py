"""Certificate PDFs: HTML → PDF with WeasyPrint, signed (``certificates.signing``), stored through
Django's storage API. Runs in the worker (``certificates.tasks.render_certificate``, ``pdf`` queue).

Rendering is idempotent: a revoked certificate is never rendered, a ready one with its PDF is left
alone unless forced, and the PDF is stored under the lock of the certificate's row, so however often
(and however concurrently) the task runs, a certificate has one PDF.

What a worker keeps between renders: the WeasyPrint font configuration (the two shipped DejaVu
faces) and the parsed stylesheet, built once on the first render (``_assets``), and the signer
(``certificates.signing``). Nothing else: WeasyPrint's image cache is made per render and dies with
it (the one image, the QR code, is a small ``data:`` PNG). So memory stays flat over a long batch.
"""

from __future__ import annotations

import atexit
import base64
import functools
import logging
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation

from certificates import signing
from certificates.models import Certificate, CertificateStatus
from kamusm_portal.text import tr_upper

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
FONT_DIR = HERE / "fonts"
STYLESHEET = HERE / "certificate.css"
TEMPLATE = "certificates/certificate.html"
DATE_FORMAT = "%d.%m.%Y"
ERROR_LENGTH = 2000
# The sweep leaves a certificate that failed this often to staff (admin: re-render).
SWEEP_MAX_ATTEMPTS = 10


# --- What the certificate says -----------------------------------------------------------------


def verify_url(certificate: Certificate) -> str:
    """The public verification page of a certificate (the QR code, the printed link, the e-mail)."""
    return settings.PORTAL_BASE_URL.rstrip("/") + f"/verify/{certificate.code}/"


def course_title(certificate: Certificate) -> str:
    """The course as printed: its English title on an English certificate when it has one."""
    if certificate.language == "en" and certificate.course_title_en:
        return certificate.course_title_en
    return certificate.course_title


def date_text(certificate: Certificate) -> str:
    """``04.03.2026``, or ``04.03.2026 – 06.03.2026`` for a training over several days."""
    first = certificate.starts_on.strftime(DATE_FORMAT)
    if certificate.ends_on == certificate.starts_on:
        return first
    return f"{first} – {certificate.ends_on.strftime(DATE_FORMAT)}"


def qr_image(text: str) -> str:
    """``text`` as a QR code: a PNG with one pixel per module, as a ``data:`` URI (a few hundred
    bytes; the stylesheet scales it up without smoothing). The mask pattern is fixed: any of the
    eight is valid, and choosing the "best" one costs more than the rest of the QR code."""
    import qrcode
    from PIL import Image

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=0)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    image = Image.new("1", (len(matrix), len(matrix)))
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    png = BytesIO()
    image.save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def certificate_html(certificate: Certificate) -> str:
    """The certificate as HTML, in its language."""
    url = verify_url(certificate)
    with translation.override(certificate.language or settings.LANGUAGE_CODE):
        return render_to_string(
            TEMPLATE,
            {
                "certificate": certificate,
                "language": translation.get_language(),
                "name": tr_upper(certificate.participant_name),
                "course": course_title(certificate),
                "dates": date_text(certificate),
                "verify_url": url,
                "qr_image": qr_image(url),
            },
        )


# --- HTML → PDF --------------------------------------------------------------------------------


@functools.cache
def _assets():
    """(font configuration, parsed stylesheet, URL fetcher), built once per process.

    The fetcher reads only the shipped font files: a render never reaches the network or the rest
    of the disk, whatever a certificate's text says."""
    progress = logging.getLogger("weasyprint.progress")
    if progress.level == logging.NOTSET:  # seven INFO lines per render, unless LOGGING asks for them
        progress.setLevel(logging.WARNING)
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    fonts = FONT_DIR.as_uri() + "/"

    class FontsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not (url.startswith("data:") or (url.startswith(fonts) and "/../" not in url)):
                raise ValueError(f"a certificate loads only its own fonts and inline images, not {url}")
            return super().fetch(url, headers)

    atexit.register(_assets.cache_clear)  # let the font configuration go while the interpreter still stands
    fetcher = FontsOnly()
    font_config = FontConfiguration()
    stylesheet = CSS(filename=str(STYLESHEET), font_config=font_config, url_fetcher=fetcher)
    return font_config, stylesheet, fetcher


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as an unsigned PDF (A4 landscape, one page)."""
    font_config, stylesheet, fetcher = _assets()  # first: it quietens WeasyPrint's progress log
    from weasyprint import HTML

    document = HTML(string=certificate_html(certificate), base_url=str(HERE), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], font_config=font_config)


# --- The task's work ---------------------------------------------------------------------------


def certificate_render(*, certificate_id: int, force: bool = False) -> str:
    """Render, sign and store one certificate's PDF; answers what happened (``ready``, ``revoked``,
    ``missing``, or ``unchanged`` when a ready PDF was left as it was).

    Idempotent: the record is read afresh; a revoked certificate is never rendered; a ready one
    with its PDF returns at once unless ``force``. A failure marks the certificate ``failed`` with
    the error and raises again, so Celery retries with backoff (and the sweep after that)."""
    certificate = Certificate.objects.select_related("participant").filter(pk=certificate_id).first()
    if certificate is None:
        return "missing"
    if certificate.status == CertificateStatus.REVOKED:
        return "revoked"
    if certificate.status == CertificateStatus.READY and certificate.pdf and not force:
        return "unchanged"
    try:
        signed = signing.pdf_sign(certificate_pdf(certificate))
        outcome = _store(certificate_id, signed, force=force, notify=bool(certificate.participant.email))
    except Exception as exc:
        _mark_failed(certificate_id, exc)
        raise
    return outcome


def _store(certificate_id: int, pdf: bytes, *, force: bool, notify: bool) -> str:
    """Save the signed PDF and mark the certificate ready, under its row lock (on SQLite, the
    IMMEDIATE transaction), re-checking that nothing changed meanwhile: revoked, or made ready by
    another run. The file is ``certificates/<serial>.pdf``; a file of that name that the record
    does not stand behind (a run that died between saving and committing) is replaced, and the
    previous PDF of a re-render is deleted once the new one is committed."""
    saved = None
    try:
        with transaction.atomic():
            certificate = Certificate.objects.select_for_update(of=("self",)).filter(pk=certificate_id).first()
            if certificate is None:
                return "missing"
            if certificate.status == CertificateStatus.REVOKED:
                return "revoked"
            if certificate.status == CertificateStatus.READY and certificate.pdf and not force:
                return "unchanged"
            previous = certificate.pdf.name or ""
            storage = certificate.pdf.storage
            target = certificate.pdf.field.generate_filename(certificate, f"{certificate.serial}.pdf")
            live = certificate.status == CertificateStatus.READY and previous == target
            if not live and storage.exists(target):
                storage.delete(target)  # an orphan, or the old PDF of a pending re-render
            first_time = certificate.ready_at is None
            certificate.pdf.save(f"{certificate.serial}.pdf", ContentFile(pdf), save=False)
            saved = certificate.pdf.name
            certificate.status = CertificateStatus.READY
            certificate.ready_at = timezone.now()
            certificate.error = ""
            certificate.attempts += 1
            certificate.save(update_fields=["pdf", "status", "ready_at", "error", "attempts"])
            if live or (previous and previous not in (saved, target)):
                transaction.on_commit(functools.partial(_delete_quietly, storage, previous))
            if first_time and notify:
                transaction.on_commit(functools.partial(_announce_ready, certificate_id))
    except BaseException:
        if saved:
            _delete_quietly(storage, saved)
        raise
    return "ready"


def _mark_failed(certificate_id: int, exc: BaseException) -> None:
    """``failed`` with the error, one more attempt; never over a revoked or ready certificate."""
    try:
        with transaction.atomic():
            certificate = Certificate.objects.select_for_update(of=("self",)).filter(pk=certificate_id).first()
            if certificate is None or certificate.status in (CertificateStatus.REVOKED, CertificateStatus.READY):
                return
            certificate.status = CertificateStatus.FAILED
            certificate.error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
            certificate.attempts += 1
            certificate.save(update_fields=["status", "error", "attempts"])
    except Exception:  # the database is what failed: the original error is what the caller re-raises
        logger.exception("certificate %s: could not record its failure", certificate_id)


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:
        logger.warning("could not delete %s from storage", name, exc_info=True)


def _announce_ready(certificate_id: int) -> None:
    """Queue the participant's e-mail (``email`` queue). A broker that is down costs the e-mail,
    never the certificate."""
    from certificates import tasks

    try:
        tasks.send_certificate_ready.apply_async(
            (certificate_id,),
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.4},
        )
    except Exception:
        logger.warning("certificate %s: could not queue its e-mail", certificate_id, exc_info=True)


# --- The sweep ---------------------------------------------------------------------------------


def certificates_stale_requeue(*, after_seconds: int | None = None, batch: int | None = None) -> int:
    """Queue again the certificates left ``pending`` or ``failed`` with no change for
    ``after_seconds`` (CERTIFICATE_SWEEP_AFTER_SECONDS): the broker was down when the attendance
    was saved, a worker died mid-render, or Celery's retries ran out. At most ``batch``
    (CERTIFICATE_SWEEP_BATCH) per run, oldest first; a certificate that failed SWEEP_MAX_ATTEMPTS
    times is left to staff. Answers how many were queued."""
    from certificates import tasks

    after = settings.CERTIFICATE_SWEEP_AFTER_SECONDS if after_seconds is None else after_seconds
    limit = settings.CERTIFICATE_SWEEP_BATCH if batch is None else batch
    cutoff = timezone.now() - timedelta(seconds=after)
    last_change = Subquery(
        Certificate.history.model.objects.filter(id=OuterRef("pk")).order_by("-history_date").values("history_date")[:1]
    )
    stale = (
        Certificate.objects.filter(
            Q(status=CertificateStatus.PENDING) | Q(status=CertificateStatus.FAILED, attempts__lt=SWEEP_MAX_ATTEMPTS),
            issued_at__lte=cutoff,
        )
        .annotate(changed=Coalesce(last_change, "issued_at"))
        .filter(changed__lte=cutoff)
        .order_by("issued_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    queued = 0
    for certificate_id in stale:
        tasks.render_certificate.apply_async((certificate_id,))
        queued += 1
    if queued:
        logger.info("sweep: queued %s certificate PDFs again", queued)
    return queued
