"""E-mails about sessions and training requests, each in its recipient's language (Turkish unless English).

Each function re-reads what it reports, so a task that runs twice sends the same facts. A batch
goes one e-mail at a time (``kamusm_portal.mail.messages_send``), each keyed by its recipient's
address; ``only`` (the addresses that failed last time) narrows a retry to those.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from entitlements.models import Delivery, Entitlement, Official
from kamusm_portal.links import absolute_url
from kamusm_portal.mail import Sent, messages_send
from kamusm_portal.roles import programme_staff_with_email
from sessions.models import (
    RequestStatus,
    Reservation,
    ReservationStatus,
    SessionStatus,
    TrainingRequest,
    TrainingSession,
)
from sessions.selectors.usage import Usage


def _message(template: str, context: dict, *, language: str, to: list[str]) -> EmailMessage:
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        body = render_to_string(f"emails/{template}.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def _send(messages: list[EmailMessage], only: list[str] | None) -> Sent[str]:
    """Each message (to one recipient) alone, keyed by its address; with ``only``, those alone."""
    return messages_send((m.to[0], m) for m in messages if only is None or m.to[0] in only)


def _session_context(session: TrainingSession) -> dict:
    return {"session": session, "portal_url": absolute_url()}


def _officials_by_institution(institution_ids) -> dict[int, list[Official]]:
    officials = defaultdict(list)
    for official in Official.objects.filter(institution_id__in=institution_ids, user__is_active=True).select_related(
        "user"
    ):
        if official.user.email:
            officials[official.institution_id].append(official)
    return officials


def session_announced_send(*, session_id: int, only: list[str] | None = None) -> Sent[str]:
    """Tell the officials of every institution whose band gives classroom seats."""
    session = TrainingSession.objects.select_related("course", "venue", "program").filter(pk=session_id).first()
    if session is None or session.status != SessionStatus.ANNOUNCED:
        return Sent()
    entitled = Entitlement.objects.filter(
        program=session.program, category__delivery=Delivery.CLASSROOM, institution__is_active=True
    ).values("institution_id")
    messages = [
        _message("session_announced", _session_context(session), language=o.language, to=[o.user.email])
        for officials in _officials_by_institution(entitled).values()
        for o in officials
    ]
    return _send(messages, only)


def _reservations(ids) -> list[Reservation]:
    return list(
        Reservation.objects.filter(pk__in=ids)
        .select_related("session__course", "session__venue", "participant", "applied_by", "institution")
        .order_by("applied_at", "pk")
    )


def _to_officials(reservations: list[Reservation], template: str, only: list[str] | None) -> Sent[str]:
    """One e-mail per official of each institution concerned, listing that institution's rows."""
    by_institution: dict[int, list[Reservation]] = defaultdict(list)
    for reservation in reservations:
        by_institution[reservation.institution_id].append(reservation)
    messages = []
    for institution_id, officials in _officials_by_institution(by_institution.keys()).items():
        rows = by_institution[institution_id]
        context = {**_session_context(rows[0].session), "reservations": rows}
        for official in officials:
            messages.append(_message(template, context, language=official.language, to=[official.user.email]))
    return _send(messages, only)


def reservations_made_send(*, reservation_ids: list[int], only: list[str] | None = None) -> Sent[str]:
    return _to_officials(_reservations(reservation_ids), "reservations_made", only)


def reservation_promoted_send(*, reservation_id: int, only: list[str] | None = None) -> Sent[str]:
    rows = [r for r in _reservations([reservation_id]) if r.status == ReservationStatus.CONFIRMED]
    return _to_officials(rows, "reservation_promoted", only) if rows else Sent()


def session_cancelled_send(*, session_id: int, reservation_ids: list[int], only: list[str] | None = None) -> Sent[str]:
    return _to_officials(_reservations(reservation_ids), "session_cancelled", only)


def request_submitted_send(*, request_id: int, only: list[str] | None = None) -> Sent[str]:
    """Tell the institution's account manager (or, without one, nobody) of a new request."""
    request = (
        TrainingRequest.objects.select_related("institution__account_manager", "province", "program")
        .filter(pk=request_id)
        .first()
    )
    manager = request.institution.account_manager if request else None
    if manager is None or not manager.email or not manager.is_active:
        return Sent()
    link = absolute_url(reverse("admin:training_sessions_trainingrequest_change", args=[request.pk]))
    context = {"request": request, "items": list(request.items.select_related("course")), "link": link}
    language = getattr(getattr(manager, "official", None), "language", "") or settings.LANGUAGE_CODE
    return _send([_message("request_submitted", context, language=language, to=[manager.email])], only)


def request_rejected_send(*, request_id: int, only: list[str] | None = None) -> Sent[str]:
    request = TrainingRequest.objects.select_related("institution", "program").filter(pk=request_id).first()
    if request is None or request.status != RequestStatus.REJECTED:
        return Sent()
    context = {
        "request": request,
        "items": list(request.items.select_related("course")),
        "link": absolute_url(reverse("sessions_portal:requests")),
    }
    messages = [
        _message("request_rejected", context, language=o.language, to=[o.user.email])
        for o in _officials_by_institution([request.institution_id]).get(request.institution_id, [])
    ]
    return _send(messages, only)


def onsite_session_send(*, session_id: int, template: str, only: list[str] | None = None) -> Sent[str]:
    """An on-site session scheduled or cancelled: to the institution's officials and the trainer."""
    session = (
        TrainingSession.objects.select_related("course", "province", "institution", "trainer__user")
        .filter(pk=session_id)
        .first()
    )
    wanted = SessionStatus.CANCELLED if template == "onsite_cancelled" else SessionStatus.ANNOUNCED
    if session is None or session.status != wanted:
        return Sent()
    context = {
        **_session_context(session),
        "link": absolute_url(reverse("sessions_portal:onsite_session", args=[session.pk])),
    }
    messages = [
        _message(template, context, language=o.language, to=[o.user.email])
        for o in _officials_by_institution([session.institution_id]).get(session.institution_id, [])
    ]
    if session.trainer_id and session.trainer.user.email:
        mine = {**context, "to_trainer": True, "link": absolute_url(reverse("sessions_portal:trainer_schedule"))}
        messages.append(_message(template, mine, language=settings.LANGUAGE_CODE, to=[session.trainer.user.email]))
    return _send(messages, only)


def usage_above_right_send(*, entitlement: Entitlement, usage: Usage) -> int:
    """Tell the institution's account manager (active, with an e-mail) that its usage is above its
    right; without one, every programme-staff user with an e-mail. In Turkish (the centre's
    language), with the institution, program, band, right and usage, and a link to the row."""
    manager = entitlement.institution.account_manager
    if manager is not None and manager.is_active and manager.email:
        recipients = [manager.email]
    else:
        recipients = list(programme_staff_with_email().values_list("email", flat=True))
    context = {
        "entitlement": entitlement,
        "institution": entitlement.institution,
        "program": entitlement.program,
        "category": entitlement.category,
        "usage": usage,
        "link": absolute_url(reverse("admin:entitlements_entitlement_change", args=[entitlement.pk])),
    }
    messages = [_message("usage_above_right", context, language=settings.LANGUAGE_CODE, to=[to]) for to in recipients]
    outcome = _send(messages, None)
    for exc in (*outcome.failed.values(), *outcome.refused.values()):
        raise exc  # the caller's lock and stamp: all again, or none stamped
    return outcome.sent
