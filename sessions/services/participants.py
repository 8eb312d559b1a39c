"""Participants: the people an institution's officials nominate, for classroom seats and on-site
rosters alike. A participant with history is anonymised rather than deleted, so counts and
certificates stay true; the T.C. kimlik no is checked by its checksum.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.tr import tckimlik

from entitlements.models import Institution, Unit
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import lock_one
from kamusm_portal.services import service
from kamusm_portal.validators import field_errors
from sessions.models import (
    LIVE_STATUSES,
    Participant,
    live_session_q,
)


def kimlik_no_clean(value: str) -> str:
    """A T.C. kimlik no with a valid checksum (python-stdnum), or ``invalid_kimlik_no``."""
    value = (value or "").strip()
    if not value:
        return ""
    if not tckimlik.is_valid(value):
        raise RuleViolation(
            Code.INVALID_KIMLIK_NO,
            _("%(value)s is not a valid T.C. kimlik no.") % {"value": value},
            fields={"kimlik_no": [_("Not a valid T.C. kimlik no.")]},
        )
    return tckimlik.compact(value)


def _participant_lock(participant: Participant) -> Participant:
    locked = lock_one(Participant.objects.filter(pk=participant.pk))
    if locked is None:
        raise Participant.DoesNotExist
    return locked


_PARTICIPANT_FIELDS = ("first_name", "last_name", "email", "unit", "role", "kimlik_no", "multiplier", "language")
_TEXT_FIELDS = ("first_name", "last_name", "email")


def _participant_check(
    *, institution: Institution, values: dict[str, Any], new: dict[str, Any], exclude_pk: int | None = None
) -> None:
    """The participant's rules on its ``values``; the characters of names and the e-mail's shape
    (the model's validators) on ``new``, the values given anew (a stored e-mail written before the
    rule stays until it is changed)."""
    errors: dict[str, list[str]] = field_errors(Participant, {f: new[f] for f in _TEXT_FIELDS if f in new})
    unit = values.get("unit")
    if unit is not None and unit.institution_id != institution.pk:
        errors["unit"] = [_("The unit is not one of this institution's units.")]
    for name in ("first_name", "last_name"):
        if not (values.get(name) or "").strip():
            errors[name] = [_("This field is required.")]
    others = Participant.objects.filter(institution=institution, anonymised_at__isnull=True)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    duplicates = []
    if values.get("email") and others.filter(email__iexact=values["email"]).exists():
        errors["email"] = [_duplicate_email_message()]
        duplicates.append((Code.DUPLICATE_EMAIL, "email"))
    if values.get("kimlik_no") and others.filter(kimlik_no=values["kimlik_no"]).exists():
        errors["kimlik_no"] = [_duplicate_kimlik_no_message()]
        duplicates.append((Code.DUPLICATE_KIMLIK_NO, "kimlik_no"))
    if errors:
        # A duplicate is a rule of its own: its code is the answer's; any other refusal is ``invalid``.
        code, field = duplicates[0] if duplicates else (Code.INVALID, next(iter(errors)))
        raise RuleViolation(code, errors[field][0], fields=errors)


def _duplicate_email_message() -> str:
    return _("A participant of this institution already has this e-mail.")


def _duplicate_kimlik_no_message() -> str:
    return _("A participant of this institution already has this T.C. kimlik no.")


def _duplicate_from(exc: IntegrityError) -> RuleViolation:
    """A unique constraint that refused a row another request wrote meanwhile, as its rule."""
    if "kimlik_no" in str(exc):
        return RuleViolation(
            Code.DUPLICATE_KIMLIK_NO,
            _duplicate_kimlik_no_message(),
            fields={"kimlik_no": [_duplicate_kimlik_no_message()]},
        )
    return RuleViolation(
        Code.DUPLICATE_EMAIL, _duplicate_email_message(), fields={"email": [_duplicate_email_message()]}
    )


@service
def participant_create(*, institution: Institution, data: dict[str, Any], by: User | None = None) -> Participant:
    """Nominate a participant: unit of this institution (the central unit by default), unique
    e-mail and kimlik no within the institution, kimlik no checked by its checksum."""
    values = {f: data[f] for f in _PARTICIPANT_FIELDS if f in data}
    values["kimlik_no"] = kimlik_no_clean(values.get("kimlik_no", ""))
    values["email"] = (values.get("email") or "").strip().lower()
    if values.get("unit") is None:
        values["unit"] = Unit.objects.get(institution=institution, level="merkez")
    _participant_check(institution=institution, values=values, new=values)
    try:
        with transaction.atomic():
            return Participant.objects.create(institution=institution, **values)
    except IntegrityError as exc:  # a concurrent nomination of the same person won
        raise _duplicate_from(exc) from exc


@service
def participant_update(*, participant: Participant, data: dict[str, Any], by: User | None = None) -> Participant:
    participant = _participant_lock(participant)
    if participant.anonymised_at:
        raise RuleViolation(Code.PARTICIPANT_REMOVED, _("An anonymised participant cannot be changed."))
    values = {f: data[f] for f in _PARTICIPANT_FIELDS if f in data}
    if "kimlik_no" in values:
        values["kimlik_no"] = kimlik_no_clean(values["kimlik_no"])
    if "email" in values:
        values["email"] = (values["email"] or "").strip().lower()
    merged = {f: values.get(f, getattr(participant, f)) for f in _PARTICIPANT_FIELDS}
    changed = [f for f in values if getattr(participant, f) != values[f]]
    new = {f: values[f] for f in changed}
    _participant_check(institution=participant.institution, values=merged, new=new, exclude_pk=participant.pk)
    for field in changed:
        setattr(participant, field, values[field])
    if changed:
        participant.save(update_fields=changed)
    return participant


@service
def participant_delete(*, participant: Participant, by: User | None = None) -> None:
    """Remove a participant. One holding live reservations, or enrolled on an on-site session that
    has not ended, is refused (``participant_in_use``); one with history is anonymised, so counts
    and records stay true; otherwise the row goes."""
    participant = _participant_lock(participant)
    now = timezone.now()
    upcoming = Q(status__in=LIVE_STATUSES, session__starts_at__gt=now)
    if participant.reservations.filter(upcoming).exists():
        raise RuleViolation(
            Code.PARTICIPANT_IN_USE,
            _("%(name)s holds live reservations: cancel them first.") % {"name": participant.full_name},
        )
    if participant.enrolments.filter(live_session_q("session__"), session__ends_at__gt=now).exists():
        raise RuleViolation(
            Code.PARTICIPANT_IN_USE,
            _("%(name)s is enrolled on an on-site session: take them off its roster first.")
            % {"name": participant.full_name},
        )
    if participant.reservations.exists() or participant.enrolments.exists() or participant.attendance.exists():
        participant.first_name = _("Anonymised")
        participant.last_name = f"#{participant.pk}"
        participant.email = ""
        participant.kimlik_no = ""
        participant.anonymised_at = timezone.now()
        participant.save(update_fields=["first_name", "last_name", "email", "kimlik_no", "anonymised_at"])
        # The history keeps the change, not the person: earlier rows lose the name and e-mail too.
        participant.history.update(first_name=participant.first_name, last_name=participant.last_name, email="")
    else:
        participant.delete()
