"""Classroom sessions: drafts, the notice period, announcing, moving, capacity, venue and trainer,
cancelling; a session that has started is no longer cancelled or changed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from kamusm_portal.errors import RuleViolation
from sessions.models import Course, ReservationStatus, SessionStatus, TrainingSession, Venue
from sessions.services import reservation_create, session_announce, session_cancel, session_create, session_update
from tests.entitlements.factories import OfficialFactory
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    onsite_institution,
    people,
    standard_institution,
    started,
)


def _draft(program, starts_in, **kwargs):
    starts_at = timezone.now() + starts_in
    return session_create(
        program=program,
        course=Course.objects.get(code="EIMZA-101"),
        venue=Venue.objects.get(province_id=6),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=4),
        **kwargs,
    )


def test_a_new_session_is_a_draft_with_the_programs_classroom_size(program):
    session = _draft(program, timedelta(days=30))
    assert session.status == SessionStatus.DRAFT
    assert session.capacity == 24


def test_a_capacity_above_the_venues_seats_is_refused(program):
    with pytest.raises(RuleViolation) as exc:
        _draft(program, timedelta(days=30), capacity=40)
    assert "capacity" in exc.value.fields


def test_notice_of_20_days_23_hours_is_refused_with_the_earliest_date(program):
    session = _draft(program, timedelta(days=20, hours=23))
    with pytest.raises(RuleViolation) as exc:
        session_announce(session=session)
    assert exc.value.code == "notice_period"
    earliest = timezone.localtime(timezone.now() + timedelta(days=21))
    assert earliest.strftime("%d.%m.%Y") in exc.value.message
    session.refresh_from_db()
    assert session.status == SessionStatus.DRAFT


def test_notice_of_21_days_is_accepted(program):
    session = _draft(program, timedelta(days=21, minutes=2))
    assert session_announce(session=session).status == SessionStatus.ANNOUNCED


def test_announcing_emails_the_officials_of_classroom_band_institutions(program, django_capture_on_commit_callbacks):
    standard = standard_institution()
    onsite = onsite_institution(users=5_000)
    tr_official = OfficialFactory(institution=standard)
    en_official = OfficialFactory(institution=standard, language="en")
    OfficialFactory(institution=onsite)
    session = _draft(program, timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        session_announce(session=session)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {tr_official.user.email, en_official.user.email}
    assert "E-imza kurulumu ve kullanımı" in by_address[tr_official.user.email].subject
    assert "Yeni sınıf eğitimi" in by_address[tr_official.user.email].subject
    assert by_address[en_official.user.email].subject.startswith("New classroom session")


def test_moving_an_announced_start_needs_the_notice_again(program):
    session = SessionFactory(starts_at=timezone.now() + timedelta(days=40))
    with pytest.raises(RuleViolation) as exc:
        session_update(
            session=session,
            data={
                "starts_at": timezone.now() + timedelta(days=10),
                "ends_at": timezone.now() + timedelta(days=10, hours=4),
            },
        )
    assert exc.value.code == "notice_period"
    later = timezone.now() + timedelta(days=50)
    session_update(session=session, data={"starts_at": later, "ends_at": later + timedelta(hours=4)})
    session.refresh_from_db()
    assert session.starts_at == later


def test_a_draft_may_move_without_notice(program):
    session = _draft(program, timedelta(days=30))
    soon = timezone.now() + timedelta(days=2)
    session_update(session=session, data={"starts_at": soon, "ends_at": soon + timedelta(hours=4)})


def test_a_larger_capacity_promotes_the_waiting_list_at_once(db):
    session = SessionFactory(capacity=1)
    institution = standard_institution()
    made = reservation_create(
        session=session, participants=[ParticipantFactory(institution=institution) for _ in range(3)]
    )
    session_update(session=session, data={"capacity": 2})
    statuses = [r.status for r in session.reservations.order_by("applied_at", "pk")]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert made[1].pk == session.reservations.get(confirmed_at__isnull=False, pk=made[1].pk).pk


@pytest.mark.parametrize("status", [SessionStatus.ANNOUNCED, SessionStatus.DRAFT])
def test_capacity_below_the_confirmed_seats_is_refused_saying_how_many_are_confirmed(db, status):
    session = SessionFactory(capacity=4)
    institution = standard_institution()
    reservation_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(5)])
    TrainingSession.objects.filter(pk=session.pk).update(status=status)  # any session: a draft never has seats
    with translation.override("en"), pytest.raises(RuleViolation) as exc:
        session_update(session=session, data={"capacity": 3})
    assert exc.value.code == "invalid"
    message = "4 seats are already confirmed: the capacity cannot go below 4."
    assert exc.value.fields == {"capacity": [message]}
    assert exc.value.message == message
    session.refresh_from_db()
    assert session.capacity == 4
    assert session.reservations.filter(status=ReservationStatus.CONFIRMED).count() == 4


def test_capacity_equal_to_the_confirmed_seats_is_accepted(db):
    session = SessionFactory(capacity=3)
    reservation_create(session=session, participants=[ParticipantFactory(institution=standard_institution())])
    session_update(session=session, data={"capacity": 1})
    session.refresh_from_db()
    assert session.capacity == 1


def test_the_confirmed_seats_are_said_in_turkish(db):
    session = SessionFactory(capacity=3)
    reservation_create(session=session, participants=people(standard_institution(), 2))
    with translation.override("tr"), pytest.raises(RuleViolation) as exc:
        session_update(session=session, data={"capacity": 1})
    assert exc.value.fields == {"capacity": ["2 yer zaten onaylanmış: kapasite bu sayının altına düşürülemez."]}


def test_every_refused_field_is_named_with_the_capacity(db):
    session = SessionFactory(capacity=3)
    reservation_create(session=session, participants=people(standard_institution(), 2))
    with translation.override("en"), pytest.raises(RuleViolation) as exc:
        session_update(session=session, data={"capacity": 1, "ends_at": session.starts_at})
    assert set(exc.value.fields) == {"capacity", "ends_at"}
    assert exc.value.fields["capacity"] == ["2 seats are already confirmed: the capacity cannot go below 2."]


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


def test_a_session_that_has_started_cannot_be_cancelled_or_changed(db):
    session = SessionFactory()
    reservation_create(session=session, participants=[ParticipantFactory(institution=standard_institution())])
    started(session)
    with pytest.raises(RuleViolation):
        session_cancel(session=session)
    with pytest.raises(RuleViolation):
        session_update(session=session, data={"capacity": 20})
    session.refresh_from_db()
    assert session.status == SessionStatus.ANNOUNCED
    assert session.reservations.get().status == ReservationStatus.CONFIRMED


def test_a_closed_program_takes_no_new_sessions(program):
    program.is_open = False
    program.save()
    with pytest.raises(RuleViolation) as exc:
        _draft(program, timedelta(days=30))
    assert exc.value.code == "program_closed"
