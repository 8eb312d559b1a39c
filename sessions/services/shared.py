"""Small pieces every service module of the sessions app uses: the open-program rule, the
session row lock, saving a booked session, and how a moment is written in a message."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from entitlements.models import Program
from kamusm_portal.errors import RuleViolation
from sessions.models import TrainingSession


def program_open_check(program: Program) -> None:
    """``program_closed`` unless the program is open."""
    if not program.is_open:
        raise RuleViolation("program_closed", _("The program %(program)s is closed.") % {"program": program})


def local_datetime(moment: datetime) -> str:
    """A moment as people read it in messages: local time, the active language's format."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def session_lock(session: TrainingSession) -> TrainingSession:
    """The session row, locked, with what the services read of it."""
    return (
        TrainingSession.objects.select_for_update(of=("self",))
        .select_related("program", "course", "venue", "institution", "province")
        .get(pk=session.pk)
    )


def booked_session_save(session: TrainingSession, **kwargs) -> None:
    """Save a session whose trainer was checked: the exclusion constraint (PostgreSQL) refusing
    it anyway means a booking slipped past the lock, which is a conflict, never a 500."""
    try:
        with transaction.atomic():
            session.save(**kwargs)
    except IntegrityError as exc:
        if "trainer_never_double_booked" not in str(exc):
            raise
        raise RuleViolation(
            "trainer_conflict", _("%(trainer)s is already booked at that time.") % {"trainer": session.trainer}
        ) from exc
