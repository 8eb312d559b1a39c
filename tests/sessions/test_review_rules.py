"""Rules around the edges of seats: held sessions, removed people, waiting lists read late, usage."""

from datetime import timedelta

import pytest
from django.utils import timezone

from entitlements.models import Entitlement
from kamusm_portal.errors import RuleViolation
from sessions.models import ReservationStatus, SessionStatus, Venue
from sessions.selectors import reservation_list, usage_of
from sessions.services import participant_delete, reservation_create, session_cancel, session_update
from tests.entitlements.factories import ProgrammeStaffFactory
from tests.sessions.factories import ParticipantFactory, SessionFactory, TrainerFactory, standard_institution


def _start(session, ago=timedelta(minutes=5)):
    session.starts_at = timezone.now() - ago
    session.ends_at = session.starts_at + timedelta(hours=4)
    session.save()


def test_someone_who_attended_can_be_anonymised_and_their_history_loses_the_name(db):
    participant = ParticipantFactory(institution=standard_institution(), email="isil@kurum.gov.tr")
    session = SessionFactory()
    reservation_create(session=session, participants=[participant])
    _start(session, ago=timedelta(days=3))
    participant_delete(participant=participant)
    participant.refresh_from_db()
    assert participant.anonymised_at is not None
    assert set(participant.history.values_list("email", flat=True)) == {""}
    assert not participant.history.filter(first_name__startswith="Işıl").exists()


def test_a_session_that_has_started_cannot_be_cancelled_or_changed(db):
    session = SessionFactory()
    reservation_create(session=session, participants=[ParticipantFactory(institution=standard_institution())])
    _start(session)
    with pytest.raises(RuleViolation):
        session_cancel(session=session)
    with pytest.raises(RuleViolation):
        session_update(session=session, data={"capacity": 20})
    session.refresh_from_db()
    assert session.status == SessionStatus.ANNOUNCED
    assert session.reservations.get().status == ReservationStatus.CONFIRMED


def test_a_waiting_place_reads_as_expired_once_the_session_has_started(db):
    session = SessionFactory(capacity=1)
    institution = standard_institution()
    reservation_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(2)])
    _start(session)
    rows = {r.current_status: r.position for r in reservation_list(user=ProgrammeStaffFactory())}
    assert rows == {"confirmed": None, "expired": None}
    # Read, not written: the scheduled job writes the stored status later.
    assert sorted(session.reservations.values_list("status", flat=True)) == ["confirmed", "waitlisted"]


def test_an_inactive_venue_or_an_inactive_trainer_is_refused(db):
    session = SessionFactory(status=SessionStatus.DRAFT)
    closed = Venue.objects.get(province_id=41)
    closed.is_active = False
    closed.save()
    with pytest.raises(RuleViolation):
        session_update(session=session, data={"venue": closed})
    with pytest.raises(RuleViolation) as exc:
        session_update(session=session, data={"trainer": TrainerFactory(is_active=False)})
    assert "trainer" in exc.value.fields


def test_seats_used_and_remaining_count_live_reservations(program):
    institution = standard_institution()
    session = SessionFactory()
    reservation_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(4)])
    entitlement = Entitlement.objects.select_related("program", "category").get(institution=institution)
    figures = usage_of([entitlement])[(entitlement.institution_id, entitlement.program_id)]
    assert (figures.seat_quota, figures.seats_used, figures.seats_remaining) == (6, 4, 2)
