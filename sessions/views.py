"""Pages of the portal: the catalog, classroom sessions, reservations and participants; on-site
training requests, sessions and rosters; trainers' work plans, calendar feed and attendance sheets.

Views read through selectors and write through services only. An official reaches their own
institution's participants, reservations, requests and on-site sessions only: another
institution's row is a 404, never a 403 that would confirm it exists; a trainer reaches their own
sessions only. The catalog is open to any logged-in user; its materials only to officials of
entitled institutions and programme staff (``selectors.materials_visible``). Every page needs a
login except the trainer's calendar feed, whose secret link is its key.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from entitlements.models import Delivery, Entitlement, Institution, Unit, UnitLevel
from entitlements.selectors import entitlement_list, institution_list, official_institution
from kamusm_portal.errors import RuleViolation, add_rule_error
from sessions.calendar import trainer_by_token, trainer_calendar
from sessions.forms import (
    DateWindowFormSet,
    EnrolmentForm,
    ParticipantForm,
    ReservationForm,
    TrainingRequestForm,
    TrainingRequestItemFormSet,
    UnavailabilityForm,
)
from sessions.models import (
    Audience,
    CourseMaterial,
    Participant,
    Reservation,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingSession,
    Unavailability,
    free_places,
    live_reservation_q,
)
from sessions.selectors import (
    attendance_sheet,
    course_list,
    materials_visible,
    onsite_roster,
    participant_list,
    request_list,
    requests_visible,
    reservation_list,
    reservations_visible,
    session_list,
    session_open_for_reservations,
    sessions_visible,
    trainer_of,
    trainer_work_plan,
    usage_for,
)
from sessions.services import (
    enrolment_create,
    enrolment_delete,
    enrolment_removable,
    participant_create,
    participant_delete,
    participant_update,
    reservation_cancel,
    reservation_cancellable,
    reservation_create,
    roster_open,
    trainer_calendar_link_renew,
    training_request_cancel,
    training_request_cancellable,
    training_request_create,
    unavailability_create,
    unavailability_delete,
)

_LEVEL_ORDER = {UnitLevel.MERKEZ: 0, UnitLevel.IL: 1, UnitLevel.ILCE: 2}
_PARTICIPANT_FIELDS = ("first_name", "last_name", "email", "unit", "role", "kimlik_no", "multiplier", "language")


def _no_institution(request: HttpRequest) -> HttpResponse:
    """Staff, trainers or a user not (yet) linked to an institution: the page that says so."""
    return render(request, "portal/no_institution.html")


def _institution_or_404(request: HttpRequest) -> Institution:
    institution = official_institution(request.user)
    if institution is None:
        raise Http404
    return institution


def _classroom_programs(institution: Institution) -> set[int]:
    """Programs in which the institution's band gives classroom seats."""
    return {e.program_id for e in entitlement_list(institution=institution) if e.delivery == Delivery.CLASSROOM}


# --- Catalog ----------------------------------------------------------------------------------


@require_GET
@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """Active courses, end-user courses first, then technical; materials for entitled officials."""
    courses = list(course_list())
    groups = [
        (value, label, [course for course in courses if course.audience == value])
        for value, label in ((Audience.USER, Audience.USER.label), (Audience.TECHNICAL, Audience.TECHNICAL.label))
    ]
    return render(
        request,
        "sessions/catalog.html",
        {"groups": [group for group in groups if group[2]], "show_materials": materials_visible(request.user)},
    )


# --- Sessions and reservations ----------------------------------------------------------------


@require_GET
@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    """Announced classroom sessions, upcoming first (soonest first), then those already started."""
    institution = official_institution(request.user)
    if institution is None:
        return _no_institution(request)
    now = timezone.now()
    entitled = _classroom_programs(institution)
    rows = list(session_list(user=request.user, now=now).filter(kind="classroom", status=SessionStatus.ANNOUNCED))
    upcoming = [s for s in rows if s.starts_at > now]
    started = sorted((s for s in rows if s.starts_at <= now), key=lambda s: s.starts_at, reverse=True)
    for session in rows:
        session.can_reserve = session.program_id in entitled and session_open_for_reservations(session, now)
    return render(
        request,
        "sessions/sessions.html",
        {"sessions": upcoming + started, "entitled": bool(entitled)},
    )


def _split_text(*, free: int) -> str:
    if free <= 0:
        return _("The session is full: every participant you choose goes on the waiting list, in the order shown.")
    return ngettext(
        "Up to %(free)s participant will be confirmed, in the order shown; the rest go on the waiting list.",
        "Up to %(free)s participants will be confirmed, in the order shown; the rest go on the waiting list.",
        free,
    ) % {"free": free}


def _made_message(made: list[Reservation]) -> str:
    confirmed = [r.participant.full_name for r in made if r.status == ReservationStatus.CONFIRMED]
    waitlisted = [
        _("%(name)s (position %(position)s)") % {"name": r.participant.full_name, "position": r.position}
        for r in made
        if r.status == ReservationStatus.WAITLISTED
    ]
    parts = []
    if confirmed:
        parts.append(_("Confirmed: %(names)s.") % {"names": ", ".join(confirmed)})
    if waitlisted:
        parts.append(_("On the waiting list: %(names)s.") % {"names": ", ".join(waitlisted)})
    return " ".join(parts)


@require_http_methods(["GET", "POST"])
@login_required
def reserve(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick participants and apply; the page says beforehand how many will be confirmed."""
    institution = _institution_or_404(request)
    now = timezone.now()
    session = session_list(user=request.user, now=now).filter(pk=pk).first()
    if session is None:
        raise Http404
    live_here = set(
        reservations_visible(request.user)
        .filter(session=session)
        .filter(live_reservation_q(now))
        .values_list("participant_id", flat=True)
    )
    participants = [p for p in participant_list(user=request.user, now=now) if p.pk not in live_here]
    form = ReservationForm(request.POST if request.method == "POST" else None, participants=participants)
    if form.is_bound and form.is_valid():
        try:
            made = reservation_create(session=session, participants=form.chosen(), by=request.user)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _made_message(made))
            return redirect("sessions_portal:reservations")

    program = session.program
    free = session.seats_free
    remaining = usage_for(institution=institution, program=program, now=now).seats_available
    return render(
        request,
        "sessions/reserve.html",
        {
            "session": session,
            "form": form,
            "free_seats": free,
            "quota": program.classroom_quota,
            "remaining": remaining,
            "split_text": _split_text(free=free),
            "is_open": session_open_for_reservations(session, now),
            "is_entitled": program.pk in _classroom_programs(institution),
            "already": len(live_here),
        },
    )


@require_GET
@login_required
def reservations(request: HttpRequest) -> HttpResponse:
    """The institution's reservations, newest session first, with waiting-list positions."""
    if official_institution(request.user) is None:
        return _no_institution(request)
    now = timezone.now()
    rows = list(reservation_list(user=request.user))
    for reservation in rows:
        reservation.can_cancel = reservation_cancellable(reservation, now)
    return render(request, "sessions/reservations.html", {"reservations": rows})


@require_POST
@login_required
def reservation_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    _institution_or_404(request)
    reservation = reservations_visible(request.user).select_related("participant").filter(pk=pk).first()
    if reservation is None:
        raise Http404
    try:
        reservation_cancel(reservation=reservation, by=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The reservation of %(name)s is cancelled.") % {"name": reservation.participant.full_name}
        )
    return redirect("sessions_portal:reservations")


# --- Participants -----------------------------------------------------------------------------


@require_GET
@login_required
def participants(request: HttpRequest) -> HttpResponse:
    if official_institution(request.user) is None:
        return _no_institution(request)
    return render(request, "sessions/participants.html", {"participants": list(participant_list(user=request.user))})


def _units(request: HttpRequest, institution: Institution) -> list[Unit]:
    """The institution's units, central first, then provincial, then district."""
    own = institution_list(user=request.user).filter(pk=institution.pk).first()
    if own is None:
        raise Http404
    return sorted(own.units.all(), key=lambda unit: _LEVEL_ORDER.get(unit.level, 9))


def _participant_or_404(request: HttpRequest, pk: int) -> Participant:
    participant = participant_list(user=request.user).filter(pk=pk).first()
    if participant is None:
        raise Http404
    return participant


def _participant_form(request: HttpRequest, institution: Institution, *, submit_label: str, initial=None):
    return ParticipantForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        units=_units(request, institution),
        submit_label=submit_label,
        cancel_url=reverse("sessions_portal:participants"),
    )


@require_http_methods(["GET", "POST"])
@login_required
def participant_add(request: HttpRequest) -> HttpResponse:
    institution = _institution_or_404(request)
    form = _participant_form(request, institution, submit_label=_("Add participant"))
    if form.is_bound and form.is_valid():
        try:
            participant = participant_create(institution=institution, data=form.cleaned_data, by=request.user)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("%(name)s is added.") % {"name": participant.full_name})
            return redirect("sessions_portal:participants")
    return render(request, "sessions/participant_form.html", {"form": form, "participant": None})


@require_http_methods(["GET", "POST"])
@login_required
def participant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    institution = _institution_or_404(request)
    participant = _participant_or_404(request, pk)
    initial = {field: getattr(participant, field) for field in _PARTICIPANT_FIELDS}
    initial["unit"] = participant.unit_id
    form = _participant_form(request, institution, submit_label=_("Save"), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            participant = participant_update(participant=participant, data=form.cleaned_data, by=request.user)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": participant.full_name})
            return redirect("sessions_portal:participants")
    return render(request, "sessions/participant_form.html", {"form": form, "participant": participant})


@require_http_methods(["GET", "POST"])
@login_required
def participant_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page, then a POST; one holding live reservations stays, with the reason."""
    _institution_or_404(request)
    participant = _participant_or_404(request, pk)
    if request.method == "POST":
        try:
            participant_delete(participant=participant, by=request.user)
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s is removed.") % {"name": participant.full_name})
        return redirect("sessions_portal:participants")
    return render(request, "sessions/participant_confirm_delete.html", {"participant": participant})


@require_GET
@login_required
def material_download(request: HttpRequest, pk: int) -> FileResponse:
    """A course file, for programme staff and officials of entitled institutions only (media files are
    not served publicly)."""
    if not materials_visible(request.user):
        raise Http404
    material = CourseMaterial.objects.filter(pk=pk, course__is_active=True).exclude(file="").first()
    if material is None:
        raise Http404
    return FileResponse(material.file.open("rb"), as_attachment=True, filename=material.file.name.rsplit("/", 1)[-1])


# --- On-site training: the institution's requests -----------------------------------------------


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


def _place_request_error(exc: RuleViolation, form, items, windows) -> None:
    """A refused request back on the page: per course line or window where the service names
    one, on a field of the main form, else at the top with the service's sentence (and its figures)."""
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
    if not placed:
        form.add_error(None, exc.message)


@require_http_methods(["GET", "POST"])
@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """The request form of a category 1-5 institution: courses with hours, province, windows,
    expected participants; the institution's hours above it. A Standard institution is told its
    right is classroom seats instead."""
    institution = official_institution(request.user)
    if institution is None:
        return _no_institution(request)
    entitlement, classroom = _onsite_entitlement(institution)
    if entitlement is None:
        return render(request, "sessions/request_not_entitled.html", {"classroom": classroom})
    courses = list(course_list())
    data = request.POST if request.method == "POST" else None
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
            _place_request_error(exc, form, items, windows)
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
    return render(
        request,
        "sessions/request_form.html",
        {
            "form": form,
            "items": items,
            "windows": windows,
            "course_hours": {str(course.pk): course.hours for course in courses},
            **_hours_context(institution, entitlement),
        },
    )


@require_GET
@login_required
def requests(request: HttpRequest) -> HttpResponse:
    """The institution's requests, open ones first: status, courses with hours asked and
    scheduled, province, windows; a cancel button while nothing of it is scheduled."""
    institution = official_institution(request.user)
    if institution is None:
        return _no_institution(request)
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
    institution = _institution_or_404(request)
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


# --- On-site training: the institution's sessions and rosters ----------------------------------


def _onsite_sessions(request: HttpRequest, institution: Institution):
    """The institution's on-site sessions (the selector already limits an official to them)."""
    return (
        sessions_visible(request.user)
        .filter(kind=SessionKind.ONSITE, institution=institution)
        .select_related("course", "province", "trainer__user", "request_item")
    )


def _onsite_session_or_404(request: HttpRequest, institution: Institution, pk: int) -> TrainingSession:
    session = _onsite_sessions(request, institution).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


@require_GET
@login_required
def onsite_sessions(request: HttpRequest) -> HttpResponse:
    """The institution's on-site sessions: those not over yet first (soonest first), then past ones."""
    institution = official_institution(request.user)
    if institution is None:
        return _no_institution(request)
    now = timezone.now()
    rows = list(_onsite_sessions(request, institution).annotate(enrolled=Count("enrolments")).order_by("starts_at"))
    upcoming = [s for s in rows if s.ends_at > now]
    past = sorted((s for s in rows if s.ends_at <= now), key=lambda s: s.starts_at, reverse=True)
    return render(request, "sessions/onsite_sessions.html", {"sessions": upcoming + past, "now": now})


@require_http_methods(["GET", "POST"])
@login_required
def onsite_session(request: HttpRequest, pk: int) -> HttpResponse:
    """One on-site session: its roster, where the official enrols and removes their own
    participants while the session is announced; after the end, the attendance marks (read-only)."""
    institution = _institution_or_404(request)
    session = _onsite_session_or_404(request, institution, pk)
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


@require_POST
@login_required
def enrolment_remove(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    institution = _institution_or_404(request)
    session = _onsite_session_or_404(request, institution, pk)
    enrolment = session.enrolments.select_related("participant").filter(pk=enrolment_pk).first()
    if enrolment is None:
        raise Http404
    try:
        enrolment_delete(enrolment=enrolment, by=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is taken off the roster.") % {"name": enrolment.participant.full_name})
    return redirect("sessions_portal:onsite_session", pk=session.pk)


# --- Trainers: work plan, calendar feed, attendance --------------------------------------------

SCHEDULE_AHEAD = timedelta(days=3 * 366)
SCHEDULE_PAST = 50


def _trainer_or_404(request: HttpRequest) -> Trainer:
    trainer = trainer_of(request.user)
    if trainer is None:
        raise Http404
    return trainer


@require_http_methods(["GET", "POST"])
@login_required
def trainer_schedule(request: HttpRequest) -> HttpResponse:
    """The trainer's work plan: upcoming sessions and blocks of unavailability (with a form to add
    one), the latest past sessions with their attendance sheets, and the calendar link."""
    trainer = _trainer_or_404(request)
    form = UnavailabilityForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            unavailability_create(
                trainer=trainer,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The block is added to your work plan."))
            return redirect("sessions_portal:trainer_schedule")
    now = timezone.now()
    upcoming, blocks = trainer_work_plan(trainers=[trainer], starts=now, ends=now + SCHEDULE_AHEAD)
    past = list(
        TrainingSession.objects.filter(trainer=trainer, ends_at__lte=now)
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("course", "venue", "province", "institution")
        .order_by("-starts_at", "-pk")[:SCHEDULE_PAST]
    )
    feed = request.build_absolute_uri(reverse("sessions_portal:trainer_calendar", args=[trainer.calendar_token]))
    return render(
        request,
        "sessions/trainer_schedule.html",
        {
            "trainer": trainer,
            "upcoming": upcoming,
            "past": past,
            "past_limit": SCHEDULE_PAST,
            "blocks": blocks,
            "form": form,
            "feed_url": feed,
            "now": now,
        },
    )


@require_POST
@login_required
def unavailability_remove(request: HttpRequest, pk: int) -> HttpResponse:
    trainer = _trainer_or_404(request)
    block = Unavailability.objects.filter(pk=pk, trainer=trainer).first()
    if block is None:
        raise Http404
    unavailability_delete(block=block, by=request.user)
    messages.success(request, _("The block is removed from your work plan."))
    return redirect("sessions_portal:trainer_schedule")


@require_POST
@login_required
def trainer_calendar_renew(request: HttpRequest) -> HttpResponse:
    trainer = _trainer_or_404(request)
    trainer_calendar_link_renew(trainer=trainer)
    messages.success(request, _("Your calendar link is renewed: the old link no longer works."))
    return redirect("sessions_portal:trainer_schedule")


@require_safe
def trainer_calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The trainer's work plan as iCalendar, for their calendar application. No login: the secret
    link is the key (renewing it revokes the old one); an unknown link is a 404."""
    trainer = trainer_by_token(token)
    if trainer is None:
        raise Http404
    response = HttpResponse(
        trainer_calendar(trainer=trainer, now=timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="kamusm-egitimler.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response
