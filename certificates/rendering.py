"""Certificate PDFs: a certificate's HTML, and HTML → PDF with WeasyPrint. Pure: it reads the
records it is given and writes nothing (``certificates.services.pdfs`` renders, signs and stores in
the worker, ``pdf`` queue). A batch of a session's certificates is laid out as one document, a page
each, and cut into one PDF per certificate (``certificates_pdf``), which spreads WeasyPrint's cost
per document over the batch.

What a worker keeps between renders: the WeasyPrint font configuration (the two shipped DejaVu
faces) and the parsed stylesheet, built once (``_assets``; ``warm_up`` as a ``pdf`` worker process
starts), and the signer (``certificates.signing``). Nothing else: WeasyPrint's image cache is made
per render and dies with it (the one image, the QR code, is a small ``data:`` PNG). So memory stays
flat over a long batch.
"""

from __future__ import annotations

import atexit
import functools
import logging
import re
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from certificates import signing
from certificates.models import Certificate
from kamusm_portal.links import absolute_url
from kamusm_portal.qr import qr_image
from kamusm_portal.text import tr_upper

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
FONT_DIR = HERE / "fonts"
STYLESHEET = HERE / "certificate.css"
USER_AGENT_STYLESHEET = HERE / "certificate-ua.css"
DOCUMENT_TEMPLATE = "certificates/certificate_document.html"  # the document: its pages in a row
TEMPLATE = "certificates/certificate.html"  # one certificate, one page


# --- What the certificate says -----------------------------------------------------------------


def verify_url(certificate: Certificate) -> str:
    """The public verification page of a certificate (the QR code, the printed link, the e-mail)."""
    return absolute_url(reverse("certificates:verify", args=[certificate.code]))


def course_title(certificate: Certificate) -> str:
    """The course as printed: its English title on an English certificate when it has one."""
    if certificate.language == "en" and certificate.course_title_en:
        return certificate.course_title_en
    return certificate.course_title


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
