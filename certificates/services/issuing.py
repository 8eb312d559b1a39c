"""Issuing, revoking and re-rendering certificate records.

Eligibility follows the band (docs/domain.md): each category band carries its rule, ``attended`` (full
or partial: the Standard classroom) or ``full`` (categories 1-5). ``certificates_sync`` runs in the
transaction that records attendance, so a certificate exists exactly when its attendance does.

Locks: the caller holds the session row; a serial number is taken under the program year's
counter row, in the same transaction (a rolled-back attendance gives its number back: no gap).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.models import Certificate, CertificateStatus, SerialCounter
from certificates.services.pdfs import render_later, render_later_many
from entitlements.models import CertificateRule, Entitlement, Institution
from kamusm_portal.db import history_copy
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import lock, lock_one, locked_update
from kamusm_portal.services import service
from sessions.models import Participant, TrainingSession

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits
ATTENDED = ("full", "partial")
CORRECTED = "attendance corrected"
_READ_AS_DIGITS = str.maketrans({"O": "0", "I": "1", "L": "1"})
SERIAL_RE = re.compile(r"KSM-?(\d{4})-?(\d{6})")
"""A serial number as ``serials_take`` makes it (``KSM-2012-000001``), or as ``code_normalise``
leaves it (``KSM2012000001``: 13 characters, never a code's 16)."""


def code_new() -> str:
    """A random verification code: 16 Crockford base-32 characters (80 bits)."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(CODE_LENGTH))


def code_normalise(text: str) -> str:
    """What someone typed from paper, as stored: capitals, no dashes or spaces, and the letters
    Crockford reads as digits (O → 0, I and L → 1)."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch not in "- ")
    return cleaned.translate(_READ_AS_DIGITS)


def serials_take(year: int, count: int) -> list[str]:
    """The next ``count`` serials of the program year, taken at once under the counter row's lock
    (held to the end of the transaction: a rollback gives them back)."""
    SerialCounter.objects.get_or_create(year=year)  # a savepoint: a racing creator is harmless
    locked_update(SerialCounter.objects.filter(year=year), last=F("last") + count)  # the UPDATE takes the row lock
    last = SerialCounter.objects.values_list("last", flat=True).get(year=year)
    return [f"KSM-{year}-{n:06d}" for n in range(last - count + 1, last + 1)]  # SERIAL_RE reads them


def certificate_rule(session: TrainingSession, institution_id: int) -> str:
    """The band's rule for an institution in the session's program (``attended`` or ``full``).
    Without a band: ``attended`` in a classroom, ``full`` on site, as the 2012 table has it."""
    entitlement = (
        Entitlement.objects.filter(program_id=session.program_id, institution_id=institution_id)
        .select_related("category")
        .first()
    )
    if entitlement is not None and entitlement.category is not None:
        return entitlement.category.certificate_rule
    return CertificateRule.ATTENDED if session.kind == "classroom" else CertificateRule.FULL


def eligible(rule: str, status: str) -> bool:
    return status == "full" or (rule == CertificateRule.ATTENDED and status in ATTENDED)


def _place(session: TrainingSession) -> str:
    if session.kind == "classroom" and session.venue is not None:
        return session.venue.name
    parts = [session.province.name if session.province is not None else "", session.address]
    return ", ".join(p for p in parts if p)


def _issue_all(
    session: TrainingSession,
    people: list[Participant],
    now: datetime,
    names: dict[int, str],
    serials: list[str],
    by: User | None,
) -> list[Certificate]:
    """The certificates of ``people`` (participants), in one INSERT and their history rows in one
    more, whatever their number (the attendance transaction of a whole session stays short)."""
    local_start, local_end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    shared = {
        "session": session,
        "course_title": session.course.title_tr,
        "course_title_en": session.course.title_en,
        "hours": session.counted_hours,
        "starts_on": local_start.date(),
        "ends_on": local_end.date(),
        "place": _place(session),
        "issued_at": now,
    }
    rows = [
        Certificate(
            participant=participant,
            institution_id=participant.institution_id,
            serial=serial,
            language=participant.language,
            participant_name=participant.full_name,
            institution_name=names[participant.institution_id],
            **shared,
        )
        for participant, serial in zip(people, serials, strict=True)
    ]
    for _attempt in range(5):  # a repeated random code (1 in 2**80 each) is simply drawn again
        for row in rows:
            row.code = code_new()
        try:
            with transaction.atomic():
                issued = Certificate.objects.bulk_create(rows)
                break
        except IntegrityError as exc:
            if "code" not in str(exc).lower():
                raise
    else:  # pragma: no cover - 80 random bits
        raise RuntimeError("no free verification code")
    history_copy(
        Certificate.objects.filter(pk__in=[c.pk for c in issued]),
        when=now,
        user_id=by.pk if by is not None and by.pk else None,
        kind="+",
    )
    return issued


@dataclass(frozen=True)
class CertificatesSynced:
    """What ``certificates_sync`` changed."""

    issued: list[Certificate] = field(default_factory=list)
    """The new certificates; their PDFs are queued after commit."""
    revoked: list[Certificate] = field(default_factory=list)
    """The live certificates revoked because their mark is no longer eligible (attendance corrected)."""


@service
def certificates_sync(
    *, session: TrainingSession, marks: Iterable[tuple[Participant, str]], by: User | None = None
) -> CertificatesSynced:
    """Make the certificates of ``session`` follow the attendance just recorded: ``marks`` are
    (participant, status). An eligible mark without a live certificate issues one; a live
    certificate whose mark is no longer eligible is revoked (reason: attendance corrected).
    Call inside the attendance transaction, under the session lock; locks the session's live
    certificates of these people, then the serial counter. Answers the certificates it issued (their
    PDFs are queued after commit) and those it revoked."""
    marks = list(marks)
    if not marks:
        return CertificatesSynced()
    live = {  # locked: staff may be revoking one of them at this moment
        c.participant_id: c
        for c in lock(
            Certificate.objects.filter(session=session, participant_id__in=[p.pk for p, _s in marks], status__in=_LIVE)
        )
    }
    rules: dict[int, str] = {}
    names = dict(Institution.objects.filter(pk__in={p.institution_id for p, _s in marks}).values_list("pk", "name"))
    now = timezone.now()
    to_issue = []
    revoked = []
    for participant, status in marks:
        if participant.institution_id not in rules:
            rules[participant.institution_id] = certificate_rule(session, participant.institution_id)
        wanted = eligible(rules[participant.institution_id], status)
        current = live.get(participant.pk)
        if wanted and current is None:
            to_issue.append(participant)
        elif not wanted and current is not None:
            _revoke(current, reason=CORRECTED, by=by, now=now)
            revoked.append(current)
    if not to_issue:
        return CertificatesSynced(revoked=revoked)
    serials = serials_take(session.program.year, len(to_issue))
    issued = _issue_all(session, to_issue, now, names, serials, by)
    render_later_many([c.pk for c in issued])
    return CertificatesSynced(issued=issued, revoked=revoked)


_LIVE = (CertificateStatus.PENDING, CertificateStatus.READY, CertificateStatus.FAILED)


def _certificate_lock(certificate: Certificate) -> Certificate:
    locked = lock_one(Certificate.objects.filter(pk=certificate.pk))
    if locked is None:
        raise Certificate.DoesNotExist
    return locked


def _revoke(certificate: Certificate, *, reason: str, by: User | None, now: datetime) -> None:
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = now
    certificate.revoked_reason = reason[:300]
    certificate.revoked_by = by if by is not None and by.pk else None
    certificate._change_reason = reason[:100]
    certificate.save(update_fields=["status", "revoked_at", "revoked_reason", "revoked_by"])


@service(durable=True)
def certificate_revoke(*, certificate: Certificate, reason: str, by: User | None = None) -> Certificate:
    """Programme staff revoke a certificate with a reason; the record and its code stay, and the
    verification page says it is revoked."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(
            Code.INVALID, _("Say why the certificate is revoked."), fields={"reason": [_("This field is required.")]}
        )
    certificate = _certificate_lock(certificate)
    if certificate.status == CertificateStatus.REVOKED:
        raise RuleViolation(Code.CERTIFICATE_REVOKED, _("This certificate is already revoked."))
    _revoke(certificate, reason=reason, by=by, now=timezone.now())
    return certificate


@service(durable=True)
def certificate_rerender(*, certificate: Certificate, by: User | None = None) -> Certificate:
    """Render a live certificate's PDF again (e.g. after a font or layout fix). Locks the certificate."""
    certificate = _certificate_lock(certificate)
    if certificate.status == CertificateStatus.REVOKED:
        raise RuleViolation(Code.CERTIFICATE_REVOKED, _("A revoked certificate is not rendered."))
    certificate.status = CertificateStatus.PENDING
    certificate.error = ""
    certificate.save(update_fields=["status", "error"])
    render_later(certificate.pk, force=True)
    return certificate
