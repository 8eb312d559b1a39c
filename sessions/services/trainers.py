"""Trainers and their work plan: sessions plus blocks of unavailability.

A trainer is never booked on two overlapping sessions nor during unavailability. Every service
that books a trainer's time locks the trainer row first and checks the work plan under it; on
PostgreSQL an exclusion constraint (trainer + time range) also holds the sessions part.
Sessions that merely touch (one ends when the next starts) do not overlap.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils.translation import gettext as _

from entitlements.models import Province
from entitlements.services import account_create
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import lock_one
from kamusm_portal.services import service
from kamusm_portal.validators import dates_check
from sessions.models import Trainer, TrainingSession, Unavailability, _calendar_token
from sessions.services.shared import local_datetime

TRAINERS_GROUP = "Trainers"


def trainer_lock(trainer: Trainer, *, active: bool = True) -> Trainer:
    """The trainer row, locked, with its user; ``trainer_inactive`` when ``active`` is asked and the
    trainer or their account is not active."""
    locked = lock_one(Trainer.objects.select_related("user").filter(pk=trainer.pk))
    if locked is None:
        raise Trainer.DoesNotExist
    if active and not (locked.is_active and locked.user.is_active):
        raise RuleViolation(
            Code.TRAINER_INACTIVE,
            _("%(trainer)s is not an active trainer.") % {"trainer": locked},
            fields={"trainer": [_("Not an active trainer.")]},
        )
    return locked


def _session_clash(
    trainer: Trainer, starts_at: datetime, ends_at: datetime, exclude_session: int | None = None
) -> TrainingSession | None:
    """The trainer's first live session that overlaps [starts_at, ends_at) (touching is not overlapping)."""
    sessions = TrainingSession.objects.live().filter(trainer=trainer, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude_session is not None:
        sessions = sessions.exclude(pk=exclude_session)
    return sessions.select_related("course").order_by("starts_at").first()


def trainer_conflict_check(
    *, trainer: Trainer, starts_at: datetime, ends_at: datetime, exclude_session: int | None = None
) -> None:
    """``trainer_conflict`` naming the clashing session or block when the trainer is booked or
    unavailable in [starts_at, ends_at). Call it under ``trainer_lock``."""
    clash = _session_clash(trainer, starts_at, ends_at, exclude_session)
    if clash is not None:
        message = _("%(trainer)s is already booked on %(course)s from %(start)s to %(end)s.") % {
            "trainer": trainer,
            "course": clash.course.title,
            "start": local_datetime(clash.starts_at),
            "end": local_datetime(clash.ends_at),
        }
        raise RuleViolation(Code.TRAINER_CONFLICT, message, fields={"trainer": [message], "session": clash.pk})
    block = (
        Unavailability.objects.filter(trainer=trainer, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .order_by("starts_at")
        .first()
    )
    if block is not None:
        message = _("%(trainer)s is unavailable from %(start)s to %(end)s (%(reason)s).") % {
            "trainer": trainer,
            "start": local_datetime(block.starts_at),
            "end": local_datetime(block.ends_at),
            "reason": block.reason or _("no reason given"),
        }
        raise RuleViolation(Code.TRAINER_CONFLICT, message, fields={"trainer": [message], "unavailability": block.pk})


@service
def trainer_create(
    *,
    username: str,
    email: str,
    home_province: Province,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    by: User | None = None,
) -> Trainer:
    """A new staff user who trains, in the "Trainers" group. Without a password the account gets
    an unusable one and a set-password link is e-mailed after commit."""
    user = account_create(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        is_staff=True,
    )
    group, _created = Group.objects.get_or_create(name=TRAINERS_GROUP)
    user.groups.add(group)
    return Trainer.objects.create(user=user, home_province=home_province)


@service
def trainer_update(*, trainer: Trainer, data: dict[str, Any], by: User | None = None) -> Trainer:
    """Change a trainer's home province or active flag. Locks the trainer row."""
    trainer = trainer_lock(trainer, active=False)
    fields = [f for f in ("home_province", "is_active") if f in data and data[f] != getattr(trainer, f)]
    for field in fields:
        setattr(trainer, field, data[field])
    if fields:
        trainer.save(update_fields=fields)
    return trainer


@service(durable=True)
def trainer_calendar_link_renew(*, trainer: Trainer, by: User | None = None) -> Trainer:
    """A new secret for the trainer's calendar feed: the old link stops working. Locks the trainer row."""
    trainer = trainer_lock(trainer, active=False)
    trainer.calendar_token = _calendar_token()
    trainer.save(update_fields=["calendar_token"])
    return trainer


def unavailability_check(
    *, trainer: Trainer, starts_at: datetime, ends_at: datetime, previous_start: datetime | None = None
) -> None:
    """Whether a block may be made: it ends after it starts, lies between today and
    ``YEARS_AHEAD`` years ahead (``kamusm_portal.validators``), and not over a session the trainer
    is booked on (``trainer_conflict``); blocks may overlap each other. A block that replaces one
    already under way may keep that block's start (``previous_start``), in the past: its end or
    reason is corrected.
    Reads only (forms check with it; ``unavailability_create`` calls it under the trainer's lock)."""
    if ends_at <= starts_at:
        raise RuleViolation(
            Code.INVALID,
            _("The block ends after it starts."),
            fields={"ends_at": [_("The block ends after it starts.")]},
        )
    keeps_start = previous_start is not None and previous_start == starts_at
    dates_check(starts_at, ends_at, start_field="starts_at", end_field="ends_at", past=keeps_start)
    clash = _session_clash(trainer, starts_at, ends_at)
    if clash is not None:
        message = _("%(trainer)s is booked on %(course)s from %(start)s to %(end)s: cancel or move it first.") % {
            "trainer": trainer,
            "course": clash.course.title,
            "start": local_datetime(clash.starts_at),
            "end": local_datetime(clash.ends_at),
        }
        raise RuleViolation(Code.TRAINER_CONFLICT, message, fields={"starts_at": [message], "session": clash.pk})


@service
def unavailability_create(
    *,
    trainer: Trainer,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    previous_start: datetime | None = None,
    by: User | None = None,
) -> Unavailability:
    """Block a time of the trainer's work plan (``unavailability_check``; ``previous_start``: the
    start of the block this one replaces, freed just before). Locks the trainer row."""
    trainer = trainer_lock(trainer, active=False)
    unavailability_check(trainer=trainer, starts_at=starts_at, ends_at=ends_at, previous_start=previous_start)
    by_user = by if by is not None and by.pk else None
    return Unavailability.objects.create(
        trainer=trainer, starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=by_user
    )


@service
def unavailability_delete(*, block: Unavailability, by: User | None = None) -> None:
    """Free a block of the trainer's time (the history keeps it). Locks the trainer row."""
    trainer_lock(block.trainer, active=False)
    current = Unavailability.objects.filter(pk=block.pk).first()
    if current is not None:
        current.delete()
