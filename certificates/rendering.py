"""Certificate PDFs: HTML → PDF with WeasyPrint, signed (``certificates.signing``), stored through
Django's storage API. Runs in the worker (``certificates.tasks.render_certificates``, ``pdf``
queue), a batch of a session's certificates at a time: laid out as one document, a page each, and
cut into one PDF per certificate (``certificates_pdf``), which spreads WeasyPrint's cost per
document over the batch.

Rendering is idempotent: a revoked certificate is never rendered, a ready one with its PDF is left
alone unless forced, and the PDFs are stored under the locks of the certificates' rows, so however
often (and however concurrently) the task runs, a certificate has one PDF.

What a worker keeps between renders: the WeasyPrint font configuration (the two shipped DejaVu
faces) and the parsed stylesheet, built once (``_assets``; ``warm_up`` as a ``pdf`` worker process
starts), and the signer (``certificates.signing``). Nothing else: WeasyPrint's image cache is made
per render and dies with it (the one image, the QR code, is a small ``data:`` PNG). So memory stays
flat over a long batch.
"""

from __future__ import annotations

import atexit
import base64
import functools
import logging
import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from certificates import signing
from certificates.models import Certificate, CertificateStatus
from kamusm_portal.db import history_copy
from kamusm_portal.links import absolute_url
from kamusm_portal.text import tr_upper

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
FONT_DIR = HERE / "fonts"
STYLESHEET = HERE / "certificate.css"
USER_AGENT_STYLESHEET = HERE / "certificate-ua.css"
DOCUMENT_TEMPLATE = "certificates/certificate_document.html"  # the document: its pages in a row
TEMPLATE = "certificates/certificate.html"  # one certificate, one page
ERROR_LENGTH = 2000
# The sweep leaves a certificate that failed this often to staff (admin: re-render).
SWEEP_MAX_ATTEMPTS = 10


# --- What the certificate says -----------------------------------------------------------------


def verify_url(certificate: Certificate) -> str:
    """The public verification page of a certificate (the QR code, the printed link, the e-mail)."""
    return absolute_url(reverse("certificates:verify", args=[certificate.code]))


def course_title(certificate: Certificate) -> str:
    """The course as printed: its English title on an English certificate when it has one."""
    if certificate.language == "en" and certificate.course_title_en:
        return certificate.course_title_en
    return certificate.course_title


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
    """The certificate as an HTML document, in its language."""
    return certificates_html([certificate])


def certificates_html(certificates: list[Certificate]) -> str:
    """One HTML document of the certificates, a page each, each page in its certificate's
    language (a batch may mix Turkish and English)."""
    pages = [_page_html(certificate) for certificate in certificates]
    first = certificates[0]
    with translation.override(first.language or settings.LANGUAGE_CODE):
        return render_to_string(
            DOCUMENT_TEMPLATE, {"language": translation.get_language(), "title": _title(first), "pages": pages}
        )


def _page_html(certificate: Certificate) -> SafeString:
    url = verify_url(certificate)
    with translation.override(certificate.language or settings.LANGUAGE_CODE):
        return render_to_string(
            TEMPLATE,
            {
                "certificate": certificate,
                "language": translation.get_language(),
                "name": tr_upper(certificate.participant_name),
                "course": course_title(certificate),
                "dates": certificate.dates_text,
                "verify_url": url,
                "qr_image": qr_image(url),
            },
        )


def _title(certificate: Certificate) -> str:
    """The PDF's title: ``Katılım Sertifikası KSM-2026-000123``."""
    with translation.override(certificate.language or settings.LANGUAGE_CODE):
        return f"{gettext('Certificate of Participation')} {certificate.serial}"


# --- HTML → PDF --------------------------------------------------------------------------------


@functools.cache
def _assets():
    """(font configuration, parsed stylesheet, URL fetcher, HTML class), built once per process.

    The fetcher reads only the shipped font files: a render never reaches the network or the rest
    of the disk, whatever a certificate's text says. The HTML class brings the certificate's own
    user-agent stylesheet (``certificate-ua.css``) instead of WeasyPrint's HTML5 one."""
    progress = logging.getLogger("weasyprint.progress")
    if progress.level == logging.NOTSET:  # seven INFO lines per render, unless LOGGING asks for them
        progress.setLevel(logging.WARNING)
    from weasyprint import CSS, HTML
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
    user_agent = CSS(filename=str(USER_AGENT_STYLESHEET), url_fetcher=fetcher)

    class CertificateHTML(HTML):
        def _ua_stylesheets(self, forms=False):  # WeasyPrint's hook for its HTML5 stylesheet
            return [user_agent]

    return font_config, stylesheet, fetcher, CertificateHTML


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as an unsigned PDF (A4 landscape, one page)."""
    font_config, stylesheet, fetcher, html_class = _assets()  # first: it quietens WeasyPrint's progress log
    document = html_class(string=certificate_html(certificate), base_url=str(HERE), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], font_config=font_config)


def certificates_pdf(certificates: list[Certificate]) -> list[bytes]:
    """Each certificate as an unsigned one-page PDF, in order.

    Several are laid out as one document, a page each, and that PDF is cut into one file per page:
    WeasyPrint's cost per document (building the font subsets, writing the file) is paid once per
    batch instead of once per certificate. Each file carries its own page, with the fonts'
    subset of the batch (glyphs, no text of the other pages). Should a page not come out as
    exactly one (it never does with the layout's fixed frame), each is rendered alone."""
    if len(certificates) == 1:
        return [certificate_pdf(certificates[0])]
    font_config, stylesheet, fetcher, html_class = _assets()
    document = html_class(string=certificates_html(certificates), base_url=str(HERE), url_fetcher=fetcher).render(
        stylesheets=[stylesheet], font_config=font_config
    )
    if len(document.pages) != len(certificates):
        logger.warning("a batch of %s certificates made %s pages", len(certificates), len(document.pages))
        return [certificate_pdf(certificate) for certificate in certificates]
    return _pages(document.write_pdf(), [_title(certificate) for certificate in certificates])


def _pages(pdf: bytes, titles: list[str]) -> list[bytes]:
    """A PDF of n pages as n one-page PDFs, each with its own title.

    WeasyPrint gives all the pages of a document one resource dictionary, so each page's images
    (the QR codes, which carry the verification codes) are named in every page's resources. Each
    file keeps only the images its own page draws: nothing of the other certificates of the batch
    but the fonts' subset (glyphs, no text)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject

    reader = PdfReader(BytesIO(pdf))
    producer = reader.metadata.get("/Producer", "") if reader.metadata else ""
    files = []
    for page, title in zip(reader.pages, titles, strict=True):
        resources = page["/Resources"].get_object()
        if "/XObject" in resources:
            drawn = {b"/" + name for name in _DRAWN.findall(page.get_contents().get_data())}
            own = DictionaryObject(resources)
            own[NameObject("/XObject")] = DictionaryObject(
                {key: value for key, value in resources["/XObject"].get_object().items() if key.encode() in drawn}
            )
            page[NameObject("/Resources")] = own  # this page's own copy: the others keep theirs
        writer = PdfWriter()
        writer.add_page(page)
        writer.add_metadata({"/Title": title, "/Producer": producer})
        out = BytesIO()
        writer.write(out)
        files.append(out.getvalue())
    return files


# ``/Name Do``: a content stream drawing the external object (an image) of that name.
_DRAWN = re.compile(rb"/([^\s/()<>\[\]{}%]+)\s*Do\b")


def warm_up() -> None:
    """Build what a worker keeps (fonts, stylesheet, signer) and run each library once, on two
    certificates that are never saved."""
    from datetime import date

    sample = {
        "code": "0" * 16,
        "participant_name": "Işık Çağlar Öztürk",
        "institution_name": "Kamu SM",
        "course_title": "E-İmza",
        "hours": 1,
        "starts_on": date(2000, 1, 1),
        "ends_on": date(2000, 1, 1),
    }
    pair = [Certificate(serial=f"KSM-2000-00000{n}", **sample) for n in (1, 2)]
    for pdf in certificates_pdf(pair):
        signing.pdf_sign(pdf)


# --- The task's work ---------------------------------------------------------------------------


def certificate_render(*, certificate_id: int, force: bool = False) -> str:
    """Render, sign and store one certificate's PDF (``certificates_render`` of one)."""
    return certificates_render(certificate_ids=[certificate_id], force=force)[certificate_id]


def certificates_render(*, certificate_ids: list[int], force: bool = False) -> dict[int, str]:
    """Render, sign and store the PDFs of some certificates (a batch of one session's, as
    ``render_later_many`` queues them); answers what happened to each: ``ready``, ``revoked``,
    ``missing``, or ``unchanged`` when a ready PDF was left as it was.

    Idempotent: the records are read afresh; a revoked certificate is never rendered; a ready one
    with its PDF is left alone unless ``force``. When the batch fails to render, each certificate
    is rendered alone, so one bad record fails alone: it is marked ``failed`` with its error, the
    others are stored, and the error is raised again so that Celery retries the task with backoff
    (a retry renders only what is still missing; the sweep comes after that)."""
    found = Certificate.objects.select_related("participant").in_bulk(certificate_ids)
    outcome: dict[int, str] = {}
    todo = []
    for pk in certificate_ids:
        certificate = found.get(pk)
        if certificate is None:
            outcome[pk] = "missing"
        elif certificate.status == CertificateStatus.REVOKED:
            outcome[pk] = "revoked"
        elif certificate.pdf_ready and not force:
            outcome[pk] = "unchanged"
        elif pk not in {c.pk for c in todo}:
            todo.append(certificate)
    if not todo:
        return outcome
    signed: dict[int, bytes] = {}
    errors: dict[int, Exception] = {}
    try:
        for certificate, pdf in zip(todo, certificates_pdf(todo), strict=True):
            signed[certificate.pk] = signing.pdf_sign(pdf)
    except Exception as exc:
        if len(todo) == 1:
            errors[todo[0].pk] = exc
        else:
            logger.warning("a batch of %s certificates failed; rendering each alone", len(todo), exc_info=True)
            for certificate in todo:
                if certificate.pk in signed:
                    continue
                try:
                    signed[certificate.pk] = signing.pdf_sign(certificate_pdf(certificate))
                except Exception as one:
                    errors[certificate.pk] = one
    if signed:
        notify = {c.pk for c in todo if c.participant.email}
        try:
            stored, refused = _store(signed, force=force, notify=notify)
            outcome.update(stored)
            errors.update(refused)
        except Exception as exc:
            for pk in signed:
                errors.setdefault(pk, exc)
    for pk, exc in errors.items():
        _mark_failed(pk, exc)
    if errors:
        raise next(iter(errors.values()))
    return outcome


def _store(pdfs: dict[int, bytes], *, force: bool, notify: set[int]) -> tuple[dict[int, str], dict[int, Exception]]:
    """Save the signed PDFs and mark their certificates ready, in one transaction under their row
    locks (taken in id order; on SQLite, the IMMEDIATE transaction), re-checking that nothing
    changed meanwhile: revoked, or made ready by another run. A file is
    ``certificates/<serial>.pdf``; a file of that name that the record does not stand behind (a
    run that died between saving and committing) is replaced, and the previous PDF of a re-render
    is deleted once the new one is committed. A file the storage refuses fails its certificate
    alone. The participants of ``notify`` whose certificate became ready for the first time are
    e-mailed after commit (one task for the batch). Answers the outcomes, and the storage errors
    by certificate id."""
    saved: list[tuple] = []
    outcome: dict[int, str] = {}
    failures: dict[int, Exception] = {}
    try:
        with transaction.atomic():
            rows = Certificate.objects.select_for_update(of=("self",)).filter(pk__in=list(pdfs)).order_by("pk")
            locked = {certificate.pk: certificate for certificate in rows}
            announce, changed = [], []
            now = timezone.now()
            for pk in sorted(pdfs):
                certificate = locked.get(pk)
                if certificate is None:
                    outcome[pk] = "missing"
                    continue
                if certificate.status == CertificateStatus.REVOKED:
                    outcome[pk] = "revoked"
                    continue
                if certificate.pdf_ready and not force:
                    outcome[pk] = "unchanged"
                    continue
                first_time = certificate.ready_at is None
                try:
                    _save_file(certificate, pdfs[pk], saved)
                except Exception as exc:
                    failures[pk] = exc
                    continue
                certificate.status = CertificateStatus.READY
                certificate.ready_at = now
                certificate.error = ""
                certificate.attempts += 1
                changed.append(certificate)
                if first_time and pk in notify:
                    announce.append(pk)
                outcome[pk] = "ready"
            if changed:  # one UPDATE for the batch, and one INSERT for its history
                Certificate.objects.bulk_update(changed, ["pdf", "status", "ready_at", "error", "attempts"])
                history_copy(Certificate.objects.filter(pk__in=[c.pk for c in changed]), when=now)
            if announce:
                transaction.on_commit(functools.partial(_announce_ready, announce))
    except BaseException:
        for storage, name in saved:
            _delete_quietly(storage, name)
        raise
    return outcome, failures


def _save_file(certificate: Certificate, pdf: bytes, saved: list[tuple]) -> None:
    """Store ``pdf`` as the certificate's file (call under its row lock; the row is saved by the
    caller); ``saved`` collects what was written, for the caller to remove on a rollback."""
    previous = certificate.pdf.name or ""
    storage = certificate.pdf.storage
    target = certificate.pdf.field.generate_filename(certificate, f"{certificate.serial}.pdf")
    live = certificate.status == CertificateStatus.READY and previous == target
    if not live and storage.exists(target):
        storage.delete(target)  # an orphan, or the old PDF of a pending re-render
    certificate.pdf.save(f"{certificate.serial}.pdf", ContentFile(pdf), save=False)
    saved.append((storage, certificate.pdf.name))
    if live or (previous and previous not in (certificate.pdf.name, target)):
        transaction.on_commit(functools.partial(_delete_quietly, storage, previous))


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


def _announce_ready(certificate_ids: list[int]) -> None:
    """Queue the participants' e-mails (``email`` queue), one task for the batch. A broker that is
    down costs the e-mails, never the certificates."""
    from certificates import tasks

    try:
        tasks.send_certificates_ready.apply_async(
            (certificate_ids,),
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.4},
        )
    except Exception:
        logger.warning("certificates %s: could not queue their e-mails", certificate_ids, exc_info=True)


# --- The sweep ---------------------------------------------------------------------------------


def certificates_stale_requeue(*, after_seconds: int | None = None, batch: int | None = None) -> int:
    """Queue again the certificates left ``pending`` or ``failed`` with no change for
    ``after_seconds`` (CERTIFICATE_SWEEP_AFTER_SECONDS): the broker was down when the attendance
    was saved, a worker died mid-render, or Celery's retries ran out. At most ``batch``
    (CERTIFICATE_SWEEP_BATCH) per run, oldest first; a certificate that failed SWEEP_MAX_ATTEMPTS
    times is left to staff. Answers how many were queued."""
    from certificates.services import publish_renders

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
    queued = publish_renders(list(stale))
    if queued:
        logger.info("sweep: queued %s certificate PDFs again", queued)
    return queued
