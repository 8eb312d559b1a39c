"""A trainer's work plan as an iCalendar feed (RFC 5545), read with the secret link of the trainer.

Written by hand rather than with a library: the feed uses a small part of the format (one
calendar, events with text and UTC times), and the three things that are easy to get wrong are
done here and pinned by tests: text escaping (``\\ ; , newline``), CRLF line ends, and folding
long lines at 75 **octets** without ever cutting a UTF-8 sequence in two (a title full of
``İ ş ğ ı`` is two bytes a letter).

What the feed holds: every session of the trainer (both kinds) that ends after ``FEED_PAST``
ago, and every unavailability block in the same range. A cancelled session stays in the feed
with ``STATUS:CANCELLED`` and its usual ``UID``, so a calendar that showed it marks it cancelled
instead of the event silently disappearing; a draft (not yet announced) classroom session is
``TENTATIVE``. Times are in UTC (``…Z``), so no ``VTIMEZONE`` is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from sessions.models import SessionKind, SessionStatus, Trainer, TrainingSession, Unavailability

FEED_PAST = timedelta(days=180)
UID_DOMAIN = "egitim-portali.kamusm"
PRODID = "-//Kamu SM//Training Portal//TR"
LINE_OCTETS = 75
_STATUS = {
    SessionStatus.DRAFT: "TENTATIVE",
    SessionStatus.ANNOUNCED: "CONFIRMED",
    SessionStatus.COMPLETED: "CONFIRMED",
    SessionStatus.CANCELLED: "CANCELLED",
}


def escape_text(value: object) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as ``\\n`` (RFC 5545 3.3.11)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into parts of at most 75 octets, continuation parts starting with a
    space (RFC 5545 3.1), cutting only between characters, never inside a UTF-8 sequence."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size = [], 0
            limit = LINE_OCTETS - 1  # the leading space of a continuation line counts
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n ".join(parts)


def utc(moment: datetime) -> str:
    """A DATE-TIME in UTC form: ``20260304T070000Z``."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _lines(*pairs: tuple[str, str]) -> list[str]:
    return [f"{name}:{value}" for name, value in pairs]


def _location(session: TrainingSession) -> str:
    if session.kind == SessionKind.CLASSROOM and session.venue is not None:
        return ", ".join(part for part in (session.venue.name, session.venue.address) if part)
    return ", ".join(part for part in (session.address, session.province.name if session.province else "") if part)


def _description(session: TrainingSession) -> str:
    lines = [f"{session.course.code} · {session.get_kind_display()}"]
    if session.institution is not None:
        lines.append(_("Institution: %(institution)s") % {"institution": session.institution.name})
    lines.append(_("Hours: %(hours)s") % {"hours": session.counted_hours})
    if session.kind == SessionKind.ONSITE:
        lines.append(_("Room for %(capacity)s participants") % {"capacity": session.capacity})
    return "\n".join(lines)


def session_event(session: TrainingSession, *, stamp: datetime) -> list[str]:
    return _lines(
        ("BEGIN", "VEVENT"),
        ("UID", f"training-session-{session.pk}@{UID_DOMAIN}"),
        ("DTSTAMP", utc(stamp)),
        ("DTSTART", utc(session.starts_at)),
        ("DTEND", utc(session.ends_at)),
        ("SUMMARY", escape_text(session.course.title_tr)),
        ("LOCATION", escape_text(_location(session))),
        ("DESCRIPTION", escape_text(_description(session))),
        ("STATUS", _STATUS.get(session.status, "CONFIRMED")),
        ("TRANSP", "OPAQUE"),
        ("END", "VEVENT"),
    )


def block_event(block: Unavailability, *, stamp: datetime) -> list[str]:
    summary = _("Unavailable: %(reason)s") % {"reason": block.reason} if block.reason else _("Unavailable")
    return _lines(
        ("BEGIN", "VEVENT"),
        ("UID", f"unavailability-{block.pk}@{UID_DOMAIN}"),
        ("DTSTAMP", utc(stamp)),
        ("DTSTART", utc(block.starts_at)),
        ("DTEND", utc(block.ends_at)),
        ("SUMMARY", escape_text(summary)),
        ("TRANSP", "OPAQUE"),
        ("END", "VEVENT"),
    )


def render_calendar(
    *,
    name: str,
    sessions: Iterable[TrainingSession],
    blocks: Iterable[Unavailability],
    stamp: datetime,
) -> str:
    """The VCALENDAR text, CRLF line ends, every line folded."""
    lines = _lines(
        ("BEGIN", "VCALENDAR"),
        ("VERSION", "2.0"),
        ("PRODID", PRODID),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", escape_text(name)),
    )
    for session in sessions:
        lines.extend(session_event(session, stamp=stamp))
    for block in blocks:
        lines.extend(block_event(block, stamp=stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def trainer_by_token(token: str) -> Trainer | None:
    """The active trainer whose calendar link carries ``token``, or ``None``."""
    if not token:
        return None
    return (
        Trainer.objects.filter(calendar_token=token, is_active=True, user__is_active=True)
        .select_related("user")
        .first()
    )


def trainer_calendar(*, trainer: Trainer, now: datetime) -> str:
    """The trainer's feed: sessions (cancelled ones marked so) and blocks ending after
    ``now - FEED_PAST``, in time order (two queries). Text in the portal's default language."""
    since = now - FEED_PAST
    sessions = (
        TrainingSession.objects.filter(trainer=trainer, ends_at__gt=since)
        .select_related("course", "venue", "province", "institution")
        .order_by("starts_at", "pk")
    )
    blocks = Unavailability.objects.filter(trainer=trainer, ends_at__gt=since).order_by("starts_at", "pk")
    with translation.override(settings.LANGUAGE_CODE):
        name = _("%(trainer)s · Kamu SM trainings") % {"trainer": trainer}
        return render_calendar(name=name, sessions=list(sessions), blocks=list(blocks), stamp=now)
