"""Classroom sessions and reservations: the announced sessions, applying for seats, and the
institution's reservations with their waiting-list positions."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from entitlements.models import Delivery, Institution, Program
from entitlements.navigation import official_bands_of
from entitlements.selectors import entitlement_list
from kamusm_portal.errors import RuleViolation, add_rule_error
from sessions.forms.classroom import ReservationForm
from sessions.models import Reservation, ReservationStatus, SessionStatus, live_reservation_q
from sessions.selectors import (
    Usage,
    participant_list,
    reservation_list,
    reservations_visible,
    session_list,
    session_open_for_reservations,
    usage_for,
    usage_of,
)
from sessions.services import reservation_cancel, reservation_cancellable, reservation_create, seat_held_reason
from sessions.views.shared import no_institution_page, official_institution_or_404


def _classroom_quotas(institution: Institution, now: datetime) -> list[tuple[Program, Usage]]:
    """Per open program in which the institution's band gives classroom seats: the program and the
    institution's usage of its quota (``usage_of``: entitlements and three counts, whatever their number)."""
    entitlements = [
        e for e in entitlement_list(institution=institution) if e.delivery == Delivery.CLASSROOM and e.program.is_open
    ]
    usage = usage_of(entitlements, now)
    return [(e.program, usage[(institution.pk, e.program_id)]) for e in entitlements]


@require_GET
@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    """Announced classroom sessions, upcoming first (soonest first), then those already started.
    The institution's quota is shown above them; with the quota used up, no session offers to
    reserve (the button is disabled and says why)."""
    institution = official_bands_of(request).institution
    if institution is None:
        return no_institution_page(request)
    now = timezone.now()
    quotas = _classroom_quotas(institution, now)
    usage = {program.pk: used for program, used in quotas}
    rows = list(session_list(user=request.user, now=now).filter(kind="classroom", status=SessionStatus.ANNOUNCED))
    upcoming = [s for s in rows if s.starts_at > now]
    started = sorted((s for s in rows if s.starts_at <= now), key=lambda s: s.starts_at, reverse=True)
    for session in rows:
        open_ = session_open_for_reservations(session, now)
        program_usage = usage.get(session.program_id)
        session.quota_used = open_ and program_usage is not None and program_usage.seats_available == 0
        session.can_reserve = open_ and program_usage is not None and not session.quota_used
    return render(
        request,
        "sessions/sessions.html",
        {"sessions": upcoming + started, "entitled": bool(quotas), "quotas": quotas},
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
    """Tick participants and apply; the page says beforehand how many will be confirmed. When the
    application cannot succeed (session not open, no classroom right, quota used up) the page says
    why instead of offering the form (a closed program too: the service would refuse it)."""
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
    # The six are six people: who holds a live place on another session of the program cannot apply
    # (shown disabled, with why; the service still refuses them, under its locks).
    held_elsewhere = (
        Reservation.objects.live(now)
        .filter(institution=institution, session__program_id=session.program_id)
        .exclude(session=session)
        .select_related("session__course")
    )
    unavailable = {r.participant_id: seat_held_reason(r) for r in held_elsewhere}
    form = ReservationForm(
        request.POST if request.method == "POST" else None, participants=participants, unavailable=unavailable
    )
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
    usage = usage_for(institution=institution, program=program, now=now)
    is_open = session_open_for_reservations(session, now)
    is_entitled = program.is_open and usage.seat_quota > 0
    return render(
        request,
        "sessions/reserve.html",
        {
            "session": session,
            "form": form,
            "free_seats": free,
            "quota": usage.seat_quota,
            "used": usage.seats_used,
            "remaining": usage.seats_available,
            "split_text": _split_text(free=free),
            "is_open": is_open,
            "program": program,
            "is_entitled": is_entitled,
            "can_apply": is_open and is_entitled and usage.seats_available > 0,
            "already": len(live_here),
            "selectable": form.selectable,
        },
    )


@require_GET
@login_required
def reservations(request: HttpRequest) -> HttpResponse:
    """The institution's reservations, newest session first, with waiting-list positions."""
    if official_bands_of(request).institution is None:
        return no_institution_page(request)
    now = timezone.now()
    rows = list(reservation_list(user=request.user))
    for reservation in rows:
        reservation.can_cancel = reservation_cancellable(reservation, now)
    return render(request, "sessions/reservations.html", {"reservations": rows})


@require_http_methods(["GET", "POST"])
@login_required
def reservation_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancelling a reservation: GET shows what would be cancelled and asks to confirm (a plain
    form, no script needed); POST cancels and says that the seat or waiting place is released.
    Who moves up from the waiting list is another institution's business: it is not said.
    Another institution's reservation is a 404."""
    official_institution_or_404(request)
    now = timezone.now()
    reservation = reservation_list(user=request.user, now=now).filter(pk=pk).first()
    if reservation is None:
        raise Http404
    if request.method == "GET":
        return render(
            request,
            "sessions/reservation_cancel.html",
            {"reservation": reservation, "can_cancel": reservation_cancellable(reservation, now)},
        )
    try:
        cancelled = reservation_cancel(reservation=reservation, by=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _cancelled_message(cancelled))
    return redirect("sessions_portal:reservations")


def _cancelled_message(cancelled: Reservation) -> str:
    """What was released, from the status the service cancelled (its locked row, not the page's
    earlier read: a promotion may have given the person a seat meanwhile)."""
    names = {"name": cancelled.participant.full_name, "course": cancelled.session.course.title}
    if cancelled.cancelled_from == ReservationStatus.WAITLISTED:
        return _("The reservation of %(name)s is cancelled: their waiting place on %(course)s is released.") % names
    return _("The reservation of %(name)s is cancelled: their seat on %(course)s is released.") % names
