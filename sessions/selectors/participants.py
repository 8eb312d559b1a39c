"""Reads of participants.

Every list here runs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, QuerySet

from entitlements.selectors import official_institution
from kamusm_portal.db import TurkishCollate
from kamusm_portal.roles import is_programme_staff
from sessions.models import (
    Participant,
    live_reservation_q,
)


def participants_visible(user: User | AnonymousUser) -> QuerySet[Participant]:
    """Staff see every participant; an official their own institution's (not anonymised)."""
    if is_programme_staff(user):
        return Participant.objects.all()
    institution = official_institution(user)
    if institution is None:
        return Participant.objects.none()
    return Participant.objects.filter(institution=institution, anonymised_at__isnull=True)


def participant_list(*, user: User | AnonymousUser, now: datetime | None = None) -> QuerySet[Participant]:
    """Participants with unit and institution joined and their live reservations counted."""
    return (
        participants_visible(user)
        .select_related("institution", "unit", "unit__province", "unit__district")
        .annotate(live_reservations=Count("reservations", filter=live_reservation_q(now, prefix="reservations__")))
        .order_by(TurkishCollate("last_name"), TurkishCollate("first_name"), "pk")
    )
