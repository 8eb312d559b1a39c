"""The officials' certificates: their institution's (programme staff: all), with each ready PDF
and one ZIP archive per session and per program. An official reaches their own institution's
certificates only (another institution's is a 404, never a 403); programme staff reach all of them.

Also the delivery shared with the API (``certificates.api``): a certificate's PDF as a file answer
and the streamed ZIP archive.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from certificates.models import Certificate, CertificateStatus
from certificates.selectors import (
    certificate_archive_rows,
    certificate_batches,
    certificate_filter,
    certificate_list,
    certificates_visible,
)
from entitlements.navigation import official_bands_of
from kamusm_portal.roles import is_programme_staff
from kamusm_portal.text import tr_fold

PAGE_SIZE = 100

# --- Delivery shared with the API -------------------------------------------------------------


def pdf_response(certificate: Certificate, *, as_attachment: bool) -> FileResponse:
    """A ready certificate's stored PDF, named after its serial number."""
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=as_attachment,
        filename=f"{certificate.serial}.pdf",
        content_type="application/pdf",
    )


class _ZipSink:
    """An unseekable file for ``zipfile``: it keeps what is written until the generator takes it.
    ``zipfile`` then writes each member's sizes after its data and never seeks back, so the
    archive leaves as it is made."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zip_member_name(serial: str, participant_name: str) -> str:
    """``KSM-2012-000001-isil-gunes.pdf``: the serial keeps names unique, the name helps people."""
    name = slugify(tr_fold(participant_name))
    return f"{serial}-{name}.pdf" if name else f"{serial}.pdf"


def zip_stream(rows: Iterable[tuple[str, str, str]]) -> Iterator[bytes]:
    """A ZIP of stored PDFs, ``rows`` of (serial, participant name, stored name), yielded piece by
    piece: at most one read chunk of one PDF is held at a time. PDFs are already compressed, so
    members are stored as they are."""
    storage = Certificate._meta.get_field("pdf").storage
    sink = _ZipSink()
    stamp = timezone.localtime().timetuple()[:6]
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for serial, participant_name, stored in rows:
            info = zipfile.ZipInfo(zip_member_name(serial, participant_name), date_time=stamp)
            info.external_attr = 0o644 << 16
            with storage.open(stored, "rb") as source, archive.open(info, mode="w") as target:
                for chunk in source.chunks():
                    target.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    if data := sink.take():  # the central directory
        yield data


def archive_response(
    user, *, session: int | None, program: int | None, institution: int | None = None
) -> StreamingHttpResponse:
    """The ready certificates ``user`` may see of a session or a program (and, for staff, an
    institution), as one streamed ZIP. The rows are read first (one query); the PDFs are read
    one at a time while the answer streams."""
    rows = certificate_archive_rows(certificate_list(user, session=session, program=program, institution=institution))
    filename = f"certificates-session-{session}.zip" if session is not None else f"certificates-program-{program}.zip"
    response = StreamingHttpResponse(zip_stream(rows), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    add_never_cache_headers(response)
    return response


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


# --- The officials' certificates ----------------------------------------------------------------


@require_safe
@login_required
def certificates(request: HttpRequest) -> HttpResponse:
    """An official's institution's certificates (programme staff: all), newest sessions first,
    with each ready PDF and one ZIP per session and per program."""
    user = request.user
    if not is_programme_staff(user) and official_bands_of(request).institution is None:  # shared with the navigation
        return render(request, "portal/no_institution.html")
    status = request.GET.get("status", "")
    status = status if status in CertificateStatus.values else ""
    session, program = _int_param(request, "session"), _int_param(request, "program")
    visible = certificates_visible(user)
    rows = certificate_filter(visible, session=session, program=program, status=status or None)
    page = Paginator(rows.order_by("-starts_on", "session_id", "serial"), PAGE_SIZE).get_page(request.GET.get("page"))
    english = (get_language() or "").startswith("en")
    batches = certificate_batches(visible)
    programs: dict[int, dict] = {}
    for batch in batches:
        batch["course"] = (english and batch["session__course__title_en"]) or batch["session__course__title_tr"]
        entry = programs.setdefault(
            batch["session__program_id"],
            {"id": batch["session__program_id"], "name": batch["session__program__name"], "ready": 0, "total": 0},
        )
        entry["ready"] += batch["ready"]
        entry["total"] += batch["total"]
    return render(
        request,
        "certificates/list.html",
        {
            "page": page,
            "batches": batches,
            "programs": list(programs.values()),
            "statuses": CertificateStatus.choices,
            "filters": {"session": session, "program": program, "status": status},
            "english": english,
            "staff": is_programme_staff(user),
        },
    )


@require_safe
@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """One ready certificate's PDF, for its institution's officials and programme staff."""
    certificate = get_object_or_404(certificates_visible(request.user), pk=pk, status=CertificateStatus.READY)
    if not certificate.pdf:
        raise Http404
    return pdf_response(certificate, as_attachment=True)


@require_safe
@login_required
def certificate_archive(request: HttpRequest) -> HttpResponse:
    """All ready certificates of a session (``?session=``) or a program (``?program=``) the user
    may see, as one streamed ZIP."""
    session, program = _int_param(request, "session"), _int_param(request, "program")
    if session is None and program is None:
        return HttpResponseBadRequest(_("Choose a session or a program."))
    return archive_response(request.user, session=session, program=program)
