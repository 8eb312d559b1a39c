"""The attendance sheet of a session, for programme staff and the session's trainer: recording it
issues the certificates, and the page says how many (their PDFs follow in the background).

"Everyone: …" buttons mark every row at once. With JavaScript they set the radios in the page;
without it they are submit buttons of their own small form, and the sheet comes back marked, not
yet saved. Saving disables its button and shows that it is busy (the certificates are issued in
the same request); a sheet sent twice still issues each certificate once (the marks of the second
are unchanged, see ``certificates.services.attendance``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from certificates.forms import AttendanceForm
from certificates.services import attendance_sheet_record
from kamusm_portal.errors import RuleViolation
from kamusm_portal.roles import is_programme_staff
from sessions.models import AttendanceStatus, SessionStatus, TrainingSession
from sessions.selectors import attendance_sheet, trainer_of
from sessions.services import may_record_attendance


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
    fill = AttendanceForm.fill_asked(request.POST) if request.method == "POST" else None
    if fill is not None:  # "everyone: …" without JavaScript: the sheet comes back marked, unsaved
        form = AttendanceForm(sheet=sheet, fill=fill)
    else:
        form = AttendanceForm(request.POST if request.method == "POST" else None, sheet=sheet)
    if form.is_bound and form.is_valid():
        try:
            recorded = attendance_sheet_record(session=session, marks=form.marks(), by=request.user)
        except RuleViolation as exc:  # its fields carry participant ids, not messages: the sentence on top
            form.add_error(None, exc.message)
        else:
            messages.success(request, _saved_message(len(recorded.issued), len(recorded.revoked)))
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
            "statuses": AttendanceStatus.choices,
            "filled": AttendanceStatus(fill).label if fill else None,
        },
    )


def _saved_message(issued: int, revoked: int = 0) -> str:
    """What the save did to the certificates: issued, revoked by a correction, or neither."""
    if issued:
        text = ngettext(
            "Attendance is recorded. %(count)d certificate is issued; its PDF follows, prepared in the background.",
            "Attendance is recorded. %(count)d certificates are issued; their PDFs follow, prepared in the background.",
            issued,
        ) % {"count": issued}
    elif revoked:
        text = _("Attendance is recorded.")
    else:
        return _("Attendance is recorded. No new certificate is issued.")
    if revoked:
        text += " " + ngettext(
            "%(n)s certificate is revoked (attendance corrected).",
            "%(n)s certificates are revoked (attendance corrected).",
            revoked,
        ) % {"n": revoked}
    return text
