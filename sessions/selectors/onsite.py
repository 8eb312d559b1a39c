"""Reads of on-site training requests and their items, and the input of a scheduling proposal.

Every list here runs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Prefetch, QuerySet, Value, When

from entitlements.models import Program
from entitlements.selectors import official_institution
from kamusm_portal.roles import is_programme_staff
from sessions.models import (
    RequestStatus,
    TrainingRequest,
    TrainingRequestItem,
    TrainingSession,
    Unavailability,
)
from sessions.selectors.trainers import trainer_list, trainer_work_plan

if TYPE_CHECKING:
    from sessions.proposal import ItemToPlace, TrainerPlan


def requests_visible(user: User | AnonymousUser) -> QuerySet[TrainingRequest]:
    """Staff see every request; an account manager (staff user) the requests of their
    institutions; an official their own institution's; anyone else none."""
    if is_programme_staff(user):
        return TrainingRequest.objects.all()
    institution = official_institution(user)
    if institution is not None:
        return TrainingRequest.objects.filter(institution=institution)
    if user.is_staff:
        return TrainingRequest.objects.filter(institution__account_manager=user)
    return TrainingRequest.objects.none()


def items_with_scheduled_hours() -> QuerySet[TrainingRequestItem]:
    """Request items with ``scheduled`` (hours of their non-cancelled sessions) and their course."""
    return TrainingRequestItem.objects.select_related("course").with_scheduled_hours().order_by("pk")


def request_list(*, user: User | AnonymousUser) -> QuerySet[TrainingRequest]:
    """Requests with program, institution and province joined, items prefetched with their
    scheduled hours; open ones first, newest first."""
    return (
        requests_visible(user)
        .select_related("program", "institution", "province", "institution__account_manager")
        .prefetch_related(Prefetch("items", queryset=items_with_scheduled_hours()))
        .order_by(Case(When(status=RequestStatus.SUBMITTED, then=Value(0)), default=Value(1)), "-submitted_at", "-pk")
    )


def proposal_input(
    *, program: Program, first_day: date, last_day: date, tz: tzinfo
) -> tuple[list[ItemToPlace], list[TrainerPlan]]:
    """The open request items of a program still to schedule and the active trainers with their
    work plan over the range, as ``sessions.proposal`` takes them (four queries)."""
    from datetime import time, timedelta

    from sessions.proposal import ItemToPlace, TrainerPlan

    items = [
        ItemToPlace(
            key=item.pk,
            request=item.request_id,
            hours=item.hours_left,
            province=item.request.province_id,
            windows=tuple(item.request.windows),
        )
        for item in items_with_scheduled_hours()
        .filter(request__program=program, request__status=RequestStatus.SUBMITTED)
        .select_related("request")
        if item.hours_left
    ]
    trainers = list(trainer_list().filter(is_active=True, user__is_active=True))
    starts = datetime.combine(first_day, time.min, tzinfo=tz)
    ends = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz)
    sessions, blocks = trainer_work_plan(trainers=trainers, starts=starts, ends=ends)
    busy: dict[int, list[tuple[datetime, datetime]]] = {t.pk: [] for t in trainers}
    booked: list[TrainingSession | Unavailability] = [*sessions, *blocks]
    for row in booked:
        assert row.trainer_id is not None  # the work plan of these trainers: their sessions and blocks
        busy[row.trainer_id].append((row.starts_at, row.ends_at))
    plans = [TrainerPlan(key=t.pk, home_province=t.home_province_id, busy=tuple(sorted(busy[t.pk]))) for t in trainers]
    return items, plans
