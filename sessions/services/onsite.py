"""On-site training for categories 1-5: requests, their hours, scheduling and cancelling sessions.

Hours are counted from the facts, never stored, by ``sessions.selectors.usage``: **used** = hours of
the institution's non-cancelled on-site sessions in the program; **held** = hours of the items of
its open (submitted) requests not yet scheduled; **remaining** = the band's hours - used - held.

Locks, in this order: the institution's entitlement row in the program (which guards its hours),
then the request row, then the trainer row; each service recounts under them before deciding.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from entitlements.models import Delivery, Entitlement, Institution, Program, Province
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import lock_one
from kamusm_portal.services import service
from kamusm_portal.validators import dates_check, dates_errors, refuse
from sessions import tasks
from sessions.models import (
    Course,
    RequestStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingRequestItem,
    TrainingSession,
)
from sessions.selectors.usage import usage_for
from sessions.services.shared import booked_session_save, entitlement_lock, program_open_check, session_lock
from sessions.services.trainers import trainer_conflict_check, trainer_lock
from sessions.services.usage import usage_check_queue


def _onsite_entitlement_lock(*, program: Program, institution: Institution) -> Entitlement:
    """The institution's entitlement row in the program, locked; ``not_entitled`` unless on-site."""
    entitlement = entitlement_lock(program_id=program.pk, institution_id=institution.pk)
    if entitlement is None or entitlement.delivery != Delivery.ONSITE:
        raise RuleViolation(
            Code.NOT_ENTITLED,
            _("%(institution)s has no on-site training hours in %(program)s.")
            % {"institution": institution, "program": program},
        )
    return entitlement


def _hours_exceeded(*, requested: int, right: int, used: int, held: int) -> RuleViolation:
    figures = {"requested": requested, "used": used, "held": held, "remaining": right - used - held}
    return RuleViolation(
        Code.HOURS_EXCEEDED,
        _(
            "%(requested)s hours are asked but %(remaining)s remain "
            "(right %(right)s, used %(used)s, held by open requests %(held)s)."
        )
        % {**figures, "right": right},
        fields={**figures, "right": right},
    )


def _windows_clean(preferred_dates: Sequence[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Preferred windows as ``[{"from": "YYYY-MM-DD", "to": ...}]``, each between today and
    ``YEARS_AHEAD`` years ahead (``kamusm_portal.validators``); missing or empty = no preference."""
    cleaned = []
    for index, window in enumerate(preferred_dates or []):
        try:
            start, end = window["from"], window["to"]
            start = start if isinstance(start, date) else date.fromisoformat(str(start))
            end = end if isinstance(end, date) else date.fromisoformat(str(end))
        except (KeyError, TypeError, ValueError) as exc:
            raise RuleViolation(
                Code.INVALID,
                _("Each preferred window has a start and an end date."),
                fields={"preferred_dates": {index: [_("Give dates as from and to.")]}},
            ) from exc
        if end < start:
            raise RuleViolation(
                Code.INVALID,
                _("A preferred window ends on or after its start."),
                fields={"preferred_dates": {index: [_("Ends before it starts.")]}},
            )
        outside = dates_errors(start, end, start_field="from", end_field="to")
        if outside:
            refuse({"preferred_dates": {index: next(iter(outside.values()))}})
        cleaned.append({"from": start.isoformat(), "to": end.isoformat()})
    return cleaned


@service
def training_request_create(
    *,
    institution: Institution,
    program: Program,
    items: Sequence[dict[str, Any]],
    province: Province,
    expected_participants: int,
    preferred_dates: Sequence[dict[str, Any]] | None = None,
    notes: str = "",
    by: User | None = None,
) -> TrainingRequest:
    """Submit a request for on-site training: ``items`` are ``{"course", "hours"}``.

    Refused for an institution whose band is not on-site (``not_entitled``) and when its hours
    would pass what remains (``hours_exceeded``, with requested, used, held and remaining). The
    request holds its hours until it is scheduled, cancelled or rejected; the institution's
    account manager is e-mailed after commit. Locks the entitlement row.
    """
    errors: dict[str, Any] = {}
    item_errors: dict[int, list[str]] = {}
    for index, item in enumerate(items):
        course, hours = item.get("course"), item.get("hours")
        if course is None:
            item_errors[index] = [_("Choose a course.")]
        elif not course.is_active:
            item_errors[index] = [_("The course %(course)s is not offered.") % {"course": course.code}]
        elif not isinstance(hours, int) or hours < 1:
            item_errors[index] = [_("Hours are a whole number, at least 1.")]
    if not items:
        errors["items"] = [_("Ask for at least one course.")]
    elif item_errors:
        errors["items"] = item_errors
    elif len({item["course"].pk for item in items}) != len(items):  # every item has its course here
        errors["items"] = [_("Each course is asked for once; put all its hours on one line.")]
    if expected_participants is None or expected_participants < 1:
        errors["expected_participants"] = [_("At least one participant is expected.")]
    if errors:
        first = next(iter(errors.values()))
        message = first[0] if isinstance(first, list) else next(iter(first.values()))[0]
        raise RuleViolation(Code.INVALID, message, fields=errors)
    windows = _windows_clean(preferred_dates)
    program_open_check(program)
    entitlement = _onsite_entitlement_lock(program=program, institution=institution)
    usage = usage_for(institution=institution, program=program, entitlement=entitlement)
    requested = sum(item["hours"] for item in items)
    if requested > usage.hours_remaining:
        raise _hours_exceeded(requested=requested, right=usage.hours, used=usage.hours_used, held=usage.hours_held)
    by_user = by if by is not None and by.pk else None
    request = TrainingRequest.objects.create(
        program=program,
        institution=institution,
        province=province,
        preferred_dates=windows,
        expected_participants=expected_participants,
        notes=notes,
        submitted_by=by_user,
    )
    for item in items:
        TrainingRequestItem.objects.create(request=request, course=item["course"], hours=item["hours"])
    tasks.send_request_submitted.delay_on_commit(request.pk)
    return request


def _request_lock(request: TrainingRequest) -> TrainingRequest:
    locked = lock_one(
        TrainingRequest.objects.select_related("program", "institution", "province").filter(pk=request.pk)
    )
    if locked is None:
        raise TrainingRequest.DoesNotExist
    return locked


def _lock_for(request: TrainingRequest) -> tuple[Entitlement | None, TrainingRequest]:
    """The entitlement row (it may be gone after a recomputation to no band), then the request."""
    entitlement = entitlement_lock(program_id=request.program_id, institution_id=request.institution_id)
    return entitlement, _request_lock(request)


def _not_open(request: TrainingRequest) -> RuleViolation:
    return RuleViolation(
        Code.REQUEST_NOT_OPEN,
        _("This request is %(status)s: it can no longer change.") % {"status": request.get_status_display()},
    )


def training_request_cancellable(request: TrainingRequest, *, scheduled: bool) -> bool:
    """An official may withdraw a request while it is submitted and none of it is scheduled
    (``scheduled``: a live session of the request exists)."""
    return request.status == RequestStatus.SUBMITTED and not scheduled


@service(durable=True)
def training_request_cancel(*, request: TrainingRequest, by: User | None = None) -> TrainingRequest:
    """The official withdraws a request before it is scheduled, freeing the hours it held. A
    request with a session already scheduled is refused (the centre cancels sessions).
    Locks the entitlement row, then the request."""
    entitlement, request = _lock_for(request)
    if request.status != RequestStatus.SUBMITTED:
        raise _not_open(request)
    scheduled = TrainingSession.objects.live().filter(request_item__request=request).exists()
    if not training_request_cancellable(request, scheduled=scheduled):
        raise RuleViolation(
            Code.REQUEST_HAS_SESSIONS,
            _("A session of this request is already scheduled: ask the centre to cancel it first."),
        )
    request.status = RequestStatus.CANCELLED
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at"])
    usage_check_queue(entitlement)
    return request


@service(durable=True)
def training_request_reject(*, request: TrainingRequest, reason: str, by: User | None = None) -> TrainingRequest:
    """Programme staff turn a request down with a reason, freeing what it still held (sessions
    already scheduled stay). The officials are e-mailed. Locks the entitlement row, then the request."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(
            Code.INVALID, _("Say why the request is rejected."), fields={"reason": [_("This field is required.")]}
        )
    entitlement, request = _lock_for(request)
    if request.status != RequestStatus.SUBMITTED:
        raise _not_open(request)
    request.status = RequestStatus.REJECTED
    request.rejection_reason = reason
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "rejection_reason", "closed_at"])
    tasks.send_request_rejected.delay_on_commit(request.pk)
    usage_check_queue(entitlement)
    return request


def _hours_of(starts_at: datetime, ends_at: datetime, hours: int | None) -> int:
    """The hours a session counts: given (never more than it lasts), or its duration when it starts
    and ends on one day."""
    seconds = (ends_at - starts_at).total_seconds()
    if hours is not None:
        if hours < 1:
            raise RuleViolation(Code.INVALID, _("Hours are at least 1."), fields={"hours": [_("At least 1.")]})
        if hours * 3600 > seconds:
            message = _("The session lasts %(minutes)s minutes: it cannot count %(hours)s hours.") % {
                "minutes": int(seconds // 60),
                "hours": hours,
            }
            raise RuleViolation(Code.INVALID, message, fields={"hours": [message]})
        return hours
    if timezone.localdate(starts_at) != timezone.localdate(ends_at - timedelta(microseconds=1)):
        message = _("A session over several days says how many hours it counts (e.g. 3 days of 8 hours = 24).")
        raise RuleViolation(Code.INVALID, message, fields={"hours": [message]})
    if seconds % 3600:
        message = _("The session lasts %(minutes)s minutes: give the hours it counts.") % {
            "minutes": int(seconds // 60)
        }
        raise RuleViolation(Code.INVALID, message, fields={"hours": [message]})
    return int(seconds // 3600)


@service
def onsite_session_schedule(
    *,
    request: TrainingRequest,
    course: Course,
    trainer: Trainer,
    starts_at: datetime,
    ends_at: datetime,
    hours: int | None = None,
    province: Province | None = None,
    address: str = "",
    by: User | None = None,
) -> TrainingSession:
    """Turn (part of) a request item into an on-site session, announced to the institution at once.

    ``hours`` default to the duration when the session starts and ends on one day and are required
    otherwise; an item may be split over several sessions while its hours last (``hours_exceeded``
    beyond). Scheduling moves hours from held to used and never past the right. The trainer must
    be free (``trainer_conflict``). Dates in the past record a training after the fact: staff, who
    alone schedule, may put a session up to ``YEARS_AHEAD`` years back, and any session up to as
    many years ahead (``kamusm_portal.validators``). When every item is scheduled the request
    becomes ``scheduled``. Officials and the trainer are e-mailed. Locks the entitlement row, the
    request row, then the trainer row.
    """
    if ends_at <= starts_at:
        raise RuleViolation(
            Code.INVALID,
            _("The session ends after it starts."),
            fields={"ends_at": [_("The session ends after it starts.")]},
        )
    dates_check(starts_at, ends_at, start_field="starts_at", end_field="ends_at", past=True)
    hours = _hours_of(starts_at, ends_at, hours)
    program_open_check(request.program)
    entitlement = _onsite_entitlement_lock(program=request.program, institution=request.institution)
    request = _request_lock(request)
    if request.status != RequestStatus.SUBMITTED:
        raise _not_open(request)
    item = request.items.with_scheduled_hours().filter(course=course).select_related("course").first()
    if item is None:
        message = _("This request does not ask for %(course)s.") % {"course": course.code}
        raise RuleViolation(Code.INVALID, message, fields={"course": [message]})
    scheduled, left = item.scheduled, item.hours_left
    if hours > left:
        message = _(
            "%(hours)s hours do not fit: %(course)s asks for %(asked)s, %(scheduled)s are scheduled, %(left)s left."
        ) % {"hours": hours, "course": course.code, "asked": item.hours, "scheduled": scheduled, "left": left}
        raise RuleViolation(
            Code.HOURS_EXCEEDED,
            message,
            fields={"hours": [message], "requested": hours, "item_hours": item.hours, "scheduled": scheduled},
        )
    usage = usage_for(institution=request.institution, program=request.program, entitlement=entitlement)
    if usage.hours_used + hours > usage.hours:
        raise _hours_exceeded(requested=hours, right=usage.hours, used=usage.hours_used, held=0)
    trainer = trainer_lock(trainer)
    trainer_conflict_check(trainer=trainer, starts_at=starts_at, ends_at=ends_at)
    now = timezone.now()
    session = TrainingSession(
        program=request.program,
        course=course,
        kind=SessionKind.ONSITE,
        institution=request.institution,
        request_item=item,
        province=province or request.province,
        address=address,
        starts_at=starts_at,
        ends_at=ends_at,
        hours=hours,
        capacity=request.expected_participants,
        trainer=trainer,
        status=SessionStatus.ANNOUNCED,
        announced_at=now,
    )
    booked_session_save(session)
    if all(item.hours <= item.scheduled for item in request.items.with_scheduled_hours()):
        # every item delivered in full: the request leaves the queue
        request.status = RequestStatus.SCHEDULED
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
    tasks.send_onsite_scheduled.delay_on_commit(session.pk)
    return session


@service
def onsite_session_cancel(*, session: TrainingSession, by: User | None = None) -> TrainingSession:
    """Cancel an on-site session until attendance is recorded: its hours go back to its request
    item, held again to be rescheduled (a request that was fully scheduled opens again; a rejected
    or cancelled one stays closed, so the hours are free). Officials and the trainer are e-mailed.
    Locks the entitlement row, the request row, then the session row."""
    session = TrainingSession.objects.select_related("request_item__request").get(pk=session.pk)
    assert session.request_item is not None  # an on-site session has its request item (a constraint)
    request = session.request_item.request
    entitlement, request = _lock_for(request)
    session = session_lock(session)
    if session.status in (SessionStatus.CANCELLED, SessionStatus.COMPLETED):
        raise RuleViolation(
            Code.SESSION_CLOSED,
            _("A %(status)s session cannot be cancelled.") % {"status": session.get_status_display()},
        )
    if session.attendance.exists():
        raise RuleViolation(
            Code.ATTENDANCE_RECORDED, _("Attendance is recorded for this session: it cannot be cancelled.")
        )
    now = timezone.now()
    session.status = SessionStatus.CANCELLED
    session.cancelled_at = now
    session.save(update_fields=["status", "cancelled_at"])
    if request.status == RequestStatus.SCHEDULED:
        request.status = RequestStatus.SUBMITTED
        request.closed_at = None
        request._change_reason = "a session was cancelled"
        request.save(update_fields=["status", "closed_at"])
    tasks.send_onsite_cancelled.delay_on_commit(session.pk)
    usage_check_queue(entitlement)
    return session
