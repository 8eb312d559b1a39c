"""Classroom sessions and reservations: the announced sessions, applying for seats, and the
institution's reservations with their waiting-list positions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from entitlements.models import Delivery, Institution
from entitlements.selectors import entitlement_list, official_institution
from kamusm_portal.errors import RuleViolation, add_rule_error
from sessions.forms.classroom import ReservationForm
from sessions.models import Reservation, ReservationStatus, SessionStatus, live_reservation_q
from sessions.selectors import (
    participant_list,
    reservation_list,
    reservations_visible,
    session_list,
    session_open_for_reservations,
    usage_for,
)
from sessions.services import reservation_cancel, reservation_cancellable, reservation_create
from sessions.views.shared import no_institution_page, official_institution_or_404


def _classroom_programs(institution: Institution) -> set[int]:
    """Programs in which the institution's band gives classroom seats."""
    return {e.program_id for e in entitlement_list(institution=institution) if e.delivery == Delivery.CLASSROOM}


@require_GET
@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    """Announced classroom sessions, upcoming first (soonest first), then those already started."""
    institution = official_institution(request.user)
    if institution is None:
        return no_institution_page(request)
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
    institution = official_institution_or_404(request)
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
        return no_institution_page(request)
    now = timezone.now()
    rows = list(reservation_list(user=request.user))
    for reservation in rows:
        reservation.can_cancel = reservation_cancellable(reservation, now)
    return render(request, "sessions/reservations.html", {"reservations": rows})


@require_POST
@login_required
def reservation_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    official_institution_or_404(request)
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
