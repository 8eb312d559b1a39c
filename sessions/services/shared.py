"""Small pieces every service module of the sessions app uses: the open-program rule, the
entitlement and session row locks, saving a booked session, and how a moment is written in a
message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from entitlements.models import Entitlement, Program
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import lock_one
from sessions.models import TrainingSession


def program_open_check(program: Program) -> None:
    """``program_closed`` unless the program is open."""
    if not program.is_open:
        raise RuleViolation(Code.PROGRAM_CLOSED, _("The program %(program)s is closed.") % {"program": program})


def local_datetime(moment: datetime) -> str:
    """A moment as people read it in messages: local time, the active language's format."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def entitlement_lock(*, program_id: int, institution_id: int) -> Entitlement | None:
    """The institution's entitlement row in the program, locked, with its band and program (it may
    be missing: a recomputation to no band keeps the row, a program never open has none). It guards
    the institution's quota and hours: every service that changes them takes it first."""
    return lock_one(
        Entitlement.objects.select_related("category", "program").filter(
            program_id=program_id, institution_id=institution_id
        )
    )


def session_lock(session: TrainingSession) -> TrainingSession:
    """The session row, locked, with what the services read of it."""
    locked = lock_one(
        TrainingSession.objects.select_related("program", "course", "venue", "institution", "province").filter(
            pk=session.pk
        )
    )
    if locked is None:
        raise TrainingSession.DoesNotExist
    return locked


def booked_session_save(session: TrainingSession, **kwargs: Any) -> None:
    """Save a session whose trainer was checked: the exclusion constraint (PostgreSQL) refusing
    it anyway means a booking slipped past the lock, which is a conflict, never a 500."""
    try:
        with transaction.atomic():
            session.save(**kwargs)
    except IntegrityError as exc:
        if "trainer_never_double_booked" not in str(exc):
            raise
        raise RuleViolation(
            Code.TRAINER_CONFLICT, _("%(trainer)s is already booked at that time.") % {"trainer": session.trainer}
        ) from exc
