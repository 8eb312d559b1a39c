"""Facts of a program's reach, built through the services as in production."""

from __future__ import annotations

from entitlements.models import Institution, Unit, UnitLevel
from sessions.models import Participant, TrainingSession
from sessions.services import reservation_create
from tests.sessions.factories import ParticipantFactory, SessionFactory


def person(institution: Institution, *, plate: int | None = None, **fields) -> Participant:
    """A participant of ``institution``: of its provincial unit in ``plate`` (made if missing),
    or of its central unit."""
    if plate is None:
        return ParticipantFactory(institution=institution, **fields)
    unit = Unit.objects.filter(institution=institution, level=UnitLevel.IL, province_id=plate).first()
    if unit is None:
        unit = Unit.objects.create(institution=institution, level=UnitLevel.IL, name=f"İl {plate}", province_id=plate)
    return ParticipantFactory(institution=institution, unit=unit, **fields)


def seats(participants: list[Participant], *, capacity: int = 24) -> TrainingSession:
    """A new announced classroom session a month ahead with ``participants`` applied for (confirmed
    while seats last, then waitlisted)."""
    session = SessionFactory(capacity=capacity)
    reservation_create(session=session, participants=participants)
    return session
