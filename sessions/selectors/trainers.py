"""Reads of trainers and their work plan.

Every list here runs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from kamusm_portal.db import TurkishCollate
from sessions.models import (
    Trainer,
    TrainingSession,
    Unavailability,
)


def trainer_of(user: User | AnonymousUser) -> Trainer | None:
    """The user's trainer record, if they are an active trainer."""
    if not user.is_authenticated:
        return None
    return Trainer.objects.filter(user=user, is_active=True).first()


def trainer_list() -> QuerySet[Trainer]:
    """Trainers with user and home province, in Turkish alphabetical order of their names."""
    return Trainer.objects.select_related("user", "home_province").order_by(
        TurkishCollate("user__first_name"), TurkishCollate("user__last_name"), "user__username"
    )


def trainer_work_plan(
    *, trainers: QuerySet[Trainer] | list[Trainer], starts: datetime, ends: datetime
) -> tuple[list[TrainingSession], list[Unavailability]]:
    """The live sessions and unavailability blocks of the trainers that meet [starts, ends), in
    time order (two queries)."""
    sessions = list(
        TrainingSession.objects.live()
        .filter(trainer__in=trainers, starts_at__lt=ends, ends_at__gt=starts)
        .select_related("course", "venue", "province", "institution", "trainer__user")
        .order_by("starts_at", "pk")
    )
    blocks = list(
        Unavailability.objects.filter(trainer__in=trainers, starts_at__lt=ends, ends_at__gt=starts)
        .select_related("trainer__user")
        .order_by("starts_at", "pk")
    )
    return sessions, blocks
