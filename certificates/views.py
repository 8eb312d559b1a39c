"""Pages of attendance and certificates: the attendance sheet (programme staff and the session's
trainer; recording it issues the certificates), the public verification page (no login: the code is
the key) and the officials' list with their PDFs and ZIP archives.

Also the delivery shared with the API (``certificates.api``): the per-address rate limit of
verification, a certificate's PDF as a file answer and the streamed ZIP archive.

An official reaches their own institution's certificates only (another institution's is a 404,
never a 403); programme staff reach all of them. Verification shows only what the certificate
says (``selectors.certificate_public_facts``): never a kimlik no or an e-mail.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from certificates.forms import AttendanceForm
from certificates.models import Certificate, CertificateStatus
from certificates.selectors import (
    certificate_archive_rows,
    certificate_batches,
    certificate_by_code,
    certificate_filter,
    certificate_list,
    certificate_public_facts,
    certificates_visible,
)
from certificates.services import attendance_record, code_normalise
from entitlements.selectors import official_institution
from kamusm_portal.errors import RuleViolation
from kamusm_portal.roles import is_programme_staff
from kamusm_portal.text import tr_fold
from sessions.models import SessionStatus, TrainingSession
from sessions.selectors import attendance_sheet, trainer_of
from sessions.services import may_record_attendance

PAGE_SIZE = 100

# --- Delivery shared with the API -------------------------------------------------------------


class VerifyThrottle(SimpleRateThrottle):
    """Verification (page, its PDF and the API) is limited per client address, at the rate of
    ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["verify"]`` (``VERIFY_THROTTLE_RATE``), logged in or
    not; the page and the API share one budget per address.

    The address is ``REMOTE_ADDR``, which a client cannot forge. Behind a reverse proxy, set
    DRF's ``NUM_PROXIES`` and the address is read from ``X-Forwarded-For`` as DRF does.
    """

    scope = "verify"

    def get_rate(self) -> str | None:
        # Read live rather than when the class was made, so a changed setting takes effect.
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()

    def get_ident(self, request) -> str:
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR", "")
        return super().get_ident(request)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def verify_wait(request: HttpRequest) -> int | None:
    """``None`` while the client's address is within the verification rate, else the seconds to
    wait (counts this request)."""
    throttle = VerifyThrottle()
    if throttle.allow_request(request, None):
        return None
    return max(int(throttle.wait() or 1), 1)


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


# --- Public verification ----------------------------------------------------------------------


def _too_many(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(request, "certificates/verify.html", {"throttled": True, "wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


@require_safe
@never_cache
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """The form where a code is typed from paper; it leads to the code's page."""
    code = "".join(ch for ch in code_normalise(request.GET.get("code", "")) if ch.isascii() and ch.isalnum())
    if code:
        return redirect("certificates:verify", code=code[:40])
    return render(request, "certificates/verify.html")


@require_safe
@never_cache
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Anyone holding the code sees whether the certificate stands (or was revoked), what it says,
    and its PDF once ready. Unknown codes are 404; the page is rate-limited per client address."""
    wait = verify_wait(request)
    if wait is not None:
        return _too_many(request, wait)
    certificate = certificate_by_code(code)
    if certificate is None:
        response = render(request, "certificates/verify.html", {"not_found": True, "code": code}, status=404)
    else:
        facts = certificate_public_facts(certificate, english_title=(get_language() or "").startswith("en"))
        response = render(
            request,
            "certificates/verify.html",
            {
                "certificate": certificate,
                "facts": facts,
                "pdf_ready": certificate.pdf_ready,
            },
        )
    response["X-Robots-Tag"] = "noindex, nofollow"  # names of people: not for search engines
    return response


@require_safe
@never_cache
def verify_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The PDF, for whoever holds the code: only once ready, never for a revoked certificate."""
    wait = verify_wait(request)
    if wait is not None:
        return _too_many(request, wait)
    certificate = certificate_by_code(code)
    if certificate is None or not certificate.pdf_ready:
        raise Http404
    response = pdf_response(certificate, as_attachment=False)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- The officials' certificates ----------------------------------------------------------------


@require_safe
@login_required
def certificates(request: HttpRequest) -> HttpResponse:
    """An official's institution's certificates (programme staff: all), newest sessions first,
    with each ready PDF and one ZIP per session and per program."""
    user = request.user
    if not is_programme_staff(user) and official_institution(user) is None:
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


# --- Attendance ---------------------------------------------------------------------------------


def _sheet_session_or_404(request: HttpRequest, pk: int) -> TrainingSession:
    """Any session for programme staff; for a trainer only their own; 404 for everyone else."""
    sessions = TrainingSession.objects.select_related(
        "course", "venue", "province", "institution", "trainer__user", "program"
    )
    if not is_programme_staff(request.user):
        trainer = trainer_of(request.user)
        if trainer is None:
            raise Http404
        sessions = sessions.filter(trainer=trainer)
    session = sessions.filter(pk=pk).first()
    if session is None or not may_record_attendance(request.user, session):
        raise Http404
    return session


@require_http_methods(["GET", "POST"])
@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance sheet of a session: after its end, full / partial / absent for each person
    on its roster; before the end, when it can be filled."""
    session = _sheet_session_or_404(request, pk)
    sheet = attendance_sheet(session=session)
    form = AttendanceForm(request.POST if request.method == "POST" else None, sheet=sheet)
    if form.is_bound and form.is_valid():
        try:
            attendance_record(session=session, marks=form.marks(), by=request.user)
        except RuleViolation as exc:  # its fields carry participant ids, not messages: the sentence on top
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Attendance is recorded."))
            return redirect("certificates:attendance", pk=session.pk)
    return render(
        request,
        "certificates/attendance.html",
        {
            "session": session,
            "form": form,
            "ended": session.has_ended,
            "cancelled": session.status == SessionStatus.CANCELLED,
            "recorded": sum(1 for _participant, mark in sheet if mark is not None),
            "staff": is_programme_staff(request.user),
        },
    )
