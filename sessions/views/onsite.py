"""On-site training (categories 1-5): the institution's requests (submitting and cancelling
them), and its on-site sessions, where the official keeps each session's roster."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from entitlements.models import Delivery, Entitlement, Institution
from entitlements.navigation import official_bands_of
from entitlements.selectors import entitlement_list
from kamusm_portal.errors import RuleViolation, add_rule_error
from sessions.forms.attendance import EnrolmentForm
from sessions.forms.onsite import DateWindowFormSet, TrainingRequestForm, TrainingRequestItemFormSet
from sessions.models import free_places
from sessions.selectors import (
    attendance_sheet,
    course_list,
    onsite_roster,
    participant_list,
    request_list,
    requests_visible,
    usage_for,
)
from sessions.services import (
    enrolment_create,
    enrolment_removable,
    roster_open,
    training_request_cancel,
    training_request_cancellable,
    training_request_create,
)
from sessions.views.shared import (
    no_institution_page,
    official_institution_or_404,
    onsite_session_or_404,
    onsite_sessions_of,
)

# --- Requests ---------------------------------------------------------------------------------


def _onsite_entitlement(institution: Institution) -> tuple[Entitlement | None, bool]:
    """The institution's on-site entitlement in the newest open program (band and program joined),
    and whether its right in an open program is classroom seats instead."""
    entitlements = [e for e in entitlement_list(institution=institution) if e.program.is_open]
    onsite = next((e for e in entitlements if e.delivery == Delivery.ONSITE), None)
    return onsite, any(e.delivery == Delivery.CLASSROOM for e in entitlements)


def _hours_context(institution: Institution, entitlement: Entitlement | None) -> dict:
    if entitlement is None:
        return {"usage": None, "program": None}
    usage = usage_for(institution=institution, program=entitlement.program, entitlement=entitlement)
    return {"usage": usage, "program": entitlement.program}


def _place_request_error(exc: RuleViolation, form, items, windows) -> list[str]:
    """A refused request back on the page: per course line or window where the service names
    one, on a field of the main form; what names none of them is returned, for the top of the
    page (said there once: never also inside the main form's card)."""
    placed = False
    item_errors = exc.fields.get("items")
    if isinstance(item_errors, dict):
        lines = items.filled_forms()
        for index, errors in item_errors.items():
            if 0 <= int(index) < len(lines):
                for error in errors:
                    lines[int(index)].add_error(None, str(error))
                placed = True
    window_errors = exc.fields.get("preferred_dates")
    if isinstance(window_errors, dict):
        lines = windows.filled_forms()
        for index, errors in window_errors.items():
            if 0 <= int(index) < len(lines):
                for error in errors:
                    lines[int(index)].add_error("ends", str(error))
                placed = True
    named = {name: errors for name, errors in exc.fields.items() if name in form.fields}
    if named:
        add_rule_error(form, RuleViolation(exc.code, exc.message, fields=named))
        placed = True
    return [] if placed else [exc.message]


def _example_window(today: date) -> tuple[date, date]:
    """The example window the form shows: ten days starting five weeks ahead, so never in the past."""
    starts = today + timedelta(weeks=5)
    return starts, starts + timedelta(days=9)


@require_http_methods(["GET", "POST"])
@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """The request form of a category 1-5 institution: courses with hours, province, windows,
    expected participants; the institution's hours above it. A Standard institution is told its
    right is classroom seats instead."""
    institution = official_bands_of(request).institution
    if institution is None:
        return no_institution_page(request)
    entitlement, classroom = _onsite_entitlement(institution)
    if entitlement is None:
        return render(request, "sessions/request_not_entitled.html", {"classroom": classroom})
    hours = _hours_context(institution, entitlement)
    if hours["usage"].hours_available <= 0:
        # Nothing left to ask for: the form does not open; the hours and the reason, said once.
        return render(request, "sessions/request_form.html", {"no_hours": True, **hours})
    courses = list(course_list())
    data = request.POST if request.method == "POST" else None
    request_errors: list[str] = []
    form = TrainingRequestForm(data)
    items = TrainingRequestItemFormSet(data, prefix="items", form_kwargs={"courses": courses})
    windows = DateWindowFormSet(data, prefix="windows")
    if data is not None and all([form.is_valid(), items.is_valid(), windows.is_valid()]):
        try:
            made = training_request_create(
                institution=institution,
                program=entitlement.program,
                items=items.items(),
                province=form.cleaned_data["province"],
                expected_participants=form.cleaned_data["expected_participants"],
                preferred_dates=windows.windows(),
                notes=form.cleaned_data["notes"],
                by=request.user,
            )
        except RuleViolation as exc:
            request_errors = _place_request_error(exc, form, items, windows)
        else:
            asked = sum(item["hours"] for item in items.items())
            messages.success(
                request,
                ngettext(
                    "Request #%(id)s is submitted: it holds %(hours)s hour until it is scheduled.",
                    "Request #%(id)s is submitted: it holds %(hours)s hours until it is scheduled.",
                    asked,
                )
                % {"id": made.pk, "hours": asked},
            )
            return redirect("sessions_portal:requests")
    example_from, example_to = _example_window(timezone.localdate())
    return render(
        request,
        "sessions/request_form.html",
        {
            "form": form,
            "items": items,
            "windows": windows,
            "request_errors": request_errors,
            "course_hours": {str(course.pk): course.hours for course in courses},
            "example_from": example_from,
            "example_to": example_to,
            **hours,
        },
    )


@require_GET
@login_required
def requests(request: HttpRequest) -> HttpResponse:
    """The institution's requests, open ones first: status, courses with hours asked and
    scheduled, province, windows; a cancel button while nothing of it is scheduled."""
    institution = official_bands_of(request).institution
    if institution is None:
        return no_institution_page(request)
    entitlement, classroom = _onsite_entitlement(institution)
    rows = list(request_list(user=request.user).filter(institution=institution))
    for row in rows:
        lines = list(row.items.all())
        row.lines = lines
        row.hours_asked = sum(line.hours for line in lines)
        row.hours_scheduled = sum(line.scheduled for line in lines)
        row.can_cancel = training_request_cancellable(row, scheduled=row.hours_scheduled > 0)
    return render(
        request,
        "sessions/requests.html",
        {"requests": rows, "classroom": classroom, **_hours_context(institution, entitlement)},
    )


@require_POST
@login_required
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    institution = official_institution_or_404(request)
    training_request = requests_visible(request.user).filter(pk=pk, institution=institution).first()
    if training_request is None:
        raise Http404
    try:
        training_request_cancel(request=training_request, by=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Request #%(id)s is cancelled: the hours it held are free.") % {"id": training_request.pk}
        )
    return redirect("sessions_portal:requests")


# --- Sessions and rosters ---------------------------------------------------------------------


@require_GET
@login_required
def onsite_sessions(request: HttpRequest) -> HttpResponse:
    """The institution's on-site sessions: those not over yet first (soonest first), then past ones."""
    institution = official_bands_of(request).institution
    if institution is None:
        return no_institution_page(request)
    now = timezone.now()
    rows = list(onsite_sessions_of(request, institution).annotate(enrolled=Count("enrolments")).order_by("starts_at"))
    upcoming = [s for s in rows if s.ends_at > now]
    past = sorted((s for s in rows if s.ends_at <= now), key=lambda s: s.starts_at, reverse=True)
    return render(request, "sessions/onsite_sessions.html", {"sessions": upcoming + past, "now": now})


@require_http_methods(["GET", "POST"])
@login_required
def onsite_session(request: HttpRequest, pk: int) -> HttpResponse:
    """One on-site session: its roster, where the official enrols and removes their own
    participants while the session is announced; after the end, the attendance marks (read-only)."""
    institution = official_institution_or_404(request)
    session = onsite_session_or_404(request, institution, pk)
    roster = list(onsite_roster(session=session))
    enrolled = {enrolment.participant_id for enrolment in roster}
    open_roster = roster_open(session)
    candidates = [p for p in participant_list(user=request.user) if p.pk not in enrolled] if open_roster else []
    form = EnrolmentForm(request.POST if request.method == "POST" else None, participants=candidates)
    if form.is_bound and form.is_valid():
        try:
            enrolment_create(session=session, participants=form.chosen(), by=request.user)
        except RuleViolation as exc:  # its fields carry participant ids, not messages: the sentence on top
            form.add_error(None, exc.message)
        else:
            names = ", ".join(p.full_name for p in form.chosen())
            messages.success(request, _("Enrolled: %(names)s.") % {"names": names})
            return redirect("sessions_portal:onsite_session", pk=session.pk)
    marks = {}
    if session.has_ended:
        marks = {participant.pk: mark for participant, mark in attendance_sheet(session=session) if mark is not None}
    for enrolment in roster:
        enrolment.mark = marks.get(enrolment.participant_id)
        enrolment.can_remove = enrolment_removable(session, marked=enrolment.mark is not None)
    return render(
        request,
        "sessions/onsite_session.html",
        {
            "session": session,
            "roster": roster,
            "form": form,
            "open_roster": open_roster,
            "free": free_places(session.capacity, len(roster)),
            "ended": session.has_ended,
        },
    )
