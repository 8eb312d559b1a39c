"""Pages of the officials' portal for the catalog, classroom sessions, reservations and participants.

Views read through selectors and write through services only. An official reaches their own
institution's participants and reservations only: another institution's row is a 404, never a
403 that would confirm it exists. The catalog is open to any logged-in user; its materials only
to officials of entitled institutions and programme staff (``selectors.materials_visible``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from entitlements.models import Delivery, Institution, Unit, UnitLevel
from entitlements.selectors import entitlement_list, institution_list, official_institution
from kamusm_portal.errors import RuleViolation, add_rule_error
from sessions.forms import ParticipantForm, ReservationForm
from sessions.models import (
    Audience,
    CourseMaterial,
    Participant,
    Reservation,
    ReservationStatus,
    SessionStatus,
)
from sessions.selectors import (
    course_list,
    materials_visible,
    participant_list,
    reservation_list,
    reservations_visible,
    session_list,
    session_open_for_reservations,
)
from sessions.services import (
    institution_quota_remaining,
    live_q,
    participant_create,
    participant_delete,
    participant_update,
    reservation_cancel,
    reservation_cancellable,
    reservation_create,
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


def _free_seats(session) -> int:
    return max(session.capacity - session.seats_confirmed, 0)


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
        session.free_seats = _free_seats(session)
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
        .filter(live_q(now))
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
    free = _free_seats(session)
    remaining = institution_quota_remaining(institution=institution, program=program, now=now)
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
