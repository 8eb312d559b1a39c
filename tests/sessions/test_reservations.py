"""Seats in order of application, the institution quota and its figures (seats used and remaining),
one live seat a person in a program (the six are six people), waiting lists and cancellations."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from entitlements.models import Entitlement, Program
from entitlements.services import entitlement_recompute, program_copy
from kamusm_portal.errors import RuleViolation
from sessions.models import Participant, Reservation, ReservationStatus, SessionStatus, TrainingSession
from sessions.selectors import usage_for, usage_of
from sessions.services import (
    reservation_cancel,
    reservation_create,
    session_cancel,
    waitlists_expire,
)
from sessions.services.shared import local_datetime
from sessions.views.classroom import _cancelled_message
from tests.entitlements.factories import OfficialFactory, UserFactory
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    onsite_institution,
    standard_institution,
    started,
)


def _people(institution, n):
    return [ParticipantFactory(institution=institution) for _ in range(n)]


def test_the_seventh_live_reservation_of_an_institution_is_refused(session):
    institution = standard_institution()
    people = _people(institution, 7)
    reservation_create(session=session, participants=people[:6])
    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=SessionFactory(), participants=people[6:])
    assert exc.value.code == "institution_quota"
    assert "0" in exc.value.message
    assert usage_for(institution=institution, program=session.program).seats_used == 6


def test_an_application_past_the_quota_is_refused_whole_saying_how_many_remain(session):
    institution = standard_institution()
    people = _people(institution, 8)
    reservation_create(session=session, participants=people[:4])
    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=SessionFactory(), participants=people[4:])
    assert exc.value.code == "institution_quota"
    assert exc.value.fields["remaining"] == 2
    assert Reservation.objects.count() == 4


def test_the_25th_confirmed_seat_does_not_exist_it_is_waitlisted(session):
    for _ in range(4):
        reservation_create(session=session, participants=_people(standard_institution(), 6))
    last = reservation_create(session=session, participants=_people(standard_institution(), 2))
    assert session.reservations.filter(status=ReservationStatus.CONFIRMED).count() == 24
    assert [(r.status, r.position) for r in last] == [("waitlisted", 1), ("waitlisted", 2)]


def test_an_application_is_confirmed_as_far_as_it_fits_the_rest_waitlisted(db):
    session = SessionFactory(capacity=3)
    made = reservation_create(session=session, participants=_people(standard_institution(), 5))
    assert [r.status for r in made] == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert [r.position for r in made] == [None, None, None, 1, 2]


def test_a_cancellation_promotes_the_earliest_waitlisted_not_another(db, django_capture_on_commit_callbacks):
    session = SessionFactory(capacity=1)
    first = reservation_create(session=session, participants=_people(standard_institution(), 1))[0]
    early_institution = standard_institution()
    official = OfficialFactory(institution=early_institution)
    early = reservation_create(session=session, participants=_people(early_institution, 1))[0]
    late = reservation_create(session=session, participants=_people(standard_institution(), 1))[0]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reservation_cancel(reservation=first)
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.status == ReservationStatus.CONFIRMED
    assert late.status == ReservationStatus.WAITLISTED
    assert [m.to for m in mail.outbox] == [[official.user.email]]


def test_cancelling_frees_quota(session):
    institution = standard_institution()
    people = _people(institution, 7)
    made = reservation_create(session=session, participants=people[:6])
    reservation_cancel(reservation=made[0])
    reservation_create(session=SessionFactory(), participants=people[6:])
    assert usage_for(institution=institution, program=session.program).seats_used == 6


@pytest.mark.parametrize("status", [SessionStatus.DRAFT, SessionStatus.CANCELLED])
def test_reserving_on_a_draft_or_cancelled_session_is_refused(db, status):
    session = SessionFactory(status=status)
    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=session, participants=_people(standard_institution(), 1))
    assert exc.value.code == "session_not_open"


def test_reserving_on_a_started_session_is_refused(db):
    session = SessionFactory(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=session, participants=_people(standard_institution(), 1))
    assert exc.value.code == "session_not_open"


def test_the_same_participant_twice_on_a_session_is_refused(session):
    person = _people(standard_institution(), 1)
    reservation_create(session=session, participants=person)
    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=session, participants=person)
    assert exc.value.code == "duplicate_participant"


def test_an_on_site_band_has_no_classroom_seats(session):
    institution = onsite_institution()
    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=session, participants=_people(institution, 1))
    assert exc.value.code == "not_entitled"


def test_a_waiting_list_expires_when_its_session_starts_freeing_quota(db):
    session = SessionFactory(capacity=1)
    institution = standard_institution()
    made = reservation_create(session=session, participants=_people(institution, 2))
    assert made[1].status == ReservationStatus.WAITLISTED
    session.starts_at = timezone.now() - timedelta(minutes=5)
    session.save()
    # Checked on read before the periodic task runs: the waitlisted place no longer counts.
    assert usage_for(institution=institution, program=session.program).seats_used == 1
    with pytest.raises(RuleViolation):
        reservation_cancel(reservation=made[0])  # no late promotion
    assert waitlists_expire() == 1
    made[1].refresh_from_db()
    assert made[1].status == ReservationStatus.EXPIRED


def test_cancelling_a_session_frees_every_seat_and_keeps_the_rows(session, django_capture_on_commit_callbacks):
    institution = standard_institution()
    official = OfficialFactory(institution=institution)
    reservation_create(session=session, participants=_people(institution, 3))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session)
    assert set(session.reservations.values_list("status", flat=True)) == {"cancelled"}
    assert session.reservations.first().history.count() == 2
    assert usage_for(institution=institution, program=session.program).seats_used == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [official.user.email]


def test_reserving_in_a_closed_program_is_refused(session):
    session.program.is_open = False
    session.program.save()
    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=session, participants=_people(standard_institution(), 1))
    assert exc.value.code == "program_closed"
    assert not Reservation.objects.exists()


def test_the_remaining_quota_shown_is_the_one_the_service_enforces(session):

    institution = standard_institution()
    reservation_create(session=session, participants=_people(institution, 4))
    assert usage_for(institution=institution, program=session.program).seats_available == 2


def test_seats_used_and_remaining_count_live_reservations(program):
    institution = standard_institution()
    session = SessionFactory()
    reservation_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(4)])
    entitlement = Entitlement.objects.select_related("program", "category").get(institution=institution)
    figures = usage_of([entitlement])[(entitlement.institution_id, entitlement.program_id)]
    assert (figures.seat_quota, figures.seats_used, figures.seats_remaining) == (6, 4, 2)


def test_every_reservation_made_has_its_history_row_with_who_and_when(session):
    """The rows and their history go in together (one statement on PostgreSQL, two on SQLite)."""
    institution = standard_institution()
    user = UserFactory()
    session.capacity = 1
    session.save(update_fields=["capacity"])
    made = reservation_create(session=session, participants=_people(institution, 2), by=user)
    for reservation in made:
        stored = Reservation.objects.get(pk=reservation.pk)
        (row,) = stored.history.all()
        assert row.history_type == "+"
        assert row.history_user_id == user.pk
        assert row.history_date == stored.applied_at
        assert (row.status, row.participant_id, row.confirmed_at) == (
            stored.status,
            stored.participant_id,
            stored.confirmed_at,
        )
    assert [r.status for r in made] == [ReservationStatus.CONFIRMED, ReservationStatus.WAITLISTED]
    assert [r.position for r in made] == [None, 1]
    assert made[0].pk < made[1].pk


def test_a_participant_anonymised_meanwhile_is_no_longer_available(session):
    institution = standard_institution()
    people = _people(institution, 2)
    Participant.objects.filter(pk=people[1].pk).update(anonymised_at=timezone.now())
    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=session, participants=people)
    assert exc.value.code == "participant_removed"
    assert not Reservation.objects.exists()


# --- The six are six people: one live classroom seat a person in a program ------------------


def _later_session(days: int = 45, **kwargs):
    """Another announced session of the 2012 program, on another day."""
    return SessionFactory(starts_at=timezone.now() + timedelta(days=days), **kwargs)


def _named(session):
    """How a refusal names a session: the course (code and title) and its start."""
    return f"{session.course.code} {session.course.title} ({local_datetime(session.starts_at)})"


def test_a_person_with_a_seat_in_the_program_is_refused_on_another_session_naming_both(session):
    institution = standard_institution()
    ayse = ParticipantFactory(institution=institution, first_name="Ayşe", last_name="Işıkoğlu")
    reservation_create(session=session, participants=[ayse])
    later = _later_session()

    with translation.override("tr"), pytest.raises(RuleViolation) as exc:
        reservation_create(session=later, participants=[ayse])

    assert exc.value.code == "duplicate_participant"
    assert "Ayşe Işıkoğlu" in exc.value.message
    with translation.override("tr"):
        assert _named(session) in exc.value.message  # the session they hold, not the one asked for
        assert "onaylı" in exc.value.message
    assert exc.value.fields == {"participants": [exc.value.message]}
    assert not later.reservations.exists()


def test_the_refusal_is_whole_nobody_of_the_application_gets_a_seat(session):
    institution = standard_institution()
    holder, newcomer = _people(institution, 2)
    reservation_create(session=session, participants=[holder])
    later = _later_session()

    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=later, participants=[newcomer, holder])

    assert exc.value.code == "duplicate_participant"
    assert holder.full_name in exc.value.message and newcomer.full_name not in exc.value.message
    assert not later.reservations.exists()
    assert Reservation.objects.count() == 1
    assert usage_for(institution=institution, program=session.program).seats_used == 1


def test_a_waiting_place_holds_the_persons_seat_too(db):
    full = SessionFactory(capacity=1)
    reservation_create(session=full, participants=_people(standard_institution(), 1))
    person = _people(standard_institution(), 1)
    assert reservation_create(session=full, participants=person)[0].status == ReservationStatus.WAITLISTED

    with translation.override("en"):
        with pytest.raises(RuleViolation) as exc:
            reservation_create(session=_later_session(), participants=person)
        assert f"{person[0].full_name} is already on the waiting list of {_named(full)}." in exc.value.message

    assert exc.value.code == "duplicate_participant"


def test_every_person_who_holds_a_seat_is_named_with_their_session(session):
    institution = standard_institution()
    first, second = _people(institution, 2)
    other = _later_session(days=50)
    reservation_create(session=session, participants=[first])
    reservation_create(session=other, participants=[second])

    with translation.override("en"):
        with pytest.raises(RuleViolation) as exc:
            reservation_create(session=_later_session(days=60), participants=[first, second])
        message = exc.value.message
        assert f"{first.full_name} already holds a confirmed seat on {_named(session)}." in message
        assert f"{second.full_name} already holds a confirmed seat on {_named(other)}." in message


def test_a_cancelled_reservation_frees_the_person_for_another_session(session):
    person = _people(standard_institution(), 1)
    (held,) = reservation_create(session=session, participants=person)
    later = _later_session()
    with pytest.raises(RuleViolation):
        reservation_create(session=later, participants=person)

    reservation_cancel(reservation=held)

    assert reservation_create(session=later, participants=person)[0].status == ReservationStatus.CONFIRMED


def test_a_cancelled_session_frees_its_people_for_another_session(session):
    person = _people(standard_institution(), 1)
    reservation_create(session=session, participants=person)
    session_cancel(session=session)
    assert reservation_create(session=_later_session(), participants=person)[0].status == ReservationStatus.CONFIRMED


@pytest.mark.parametrize("written", [False, True])
def test_a_waiting_place_of_a_started_session_has_expired_written_or_not(db, written):
    full = SessionFactory(capacity=1)
    reservation_create(session=full, participants=_people(standard_institution(), 1))
    person = _people(standard_institution(), 1)
    reservation_create(session=full, participants=person)  # waitlisted
    started(full)
    if written:
        assert waitlists_expire() == 1

    made = reservation_create(session=_later_session(), participants=person)

    assert made[0].status == ReservationStatus.CONFIRMED


def test_a_confirmed_seat_of_a_session_that_took_place_keeps_the_persons_place(db):
    person = _people(standard_institution(), 1)
    held = SessionFactory()
    reservation_create(session=held, participants=person)
    started(held, ago=timedelta(days=3))
    TrainingSession.objects.filter(pk=held.pk).update(status=SessionStatus.COMPLETED)

    with pytest.raises(RuleViolation) as exc:
        reservation_create(session=_later_session(), participants=person)

    assert exc.value.code == "duplicate_participant"


def test_a_seat_in_another_program_does_not_count(program):
    later_program = program_copy(program=program, name="Eğitim Promosyonu 2013", year=2013)
    Program.objects.filter(pk=later_program.pk).update(is_open=True)
    institution = standard_institution()
    entitlement_recompute(programs=[Program.objects.get(pk=later_program.pk)])
    person = _people(institution, 1)
    reservation_create(session=SessionFactory(), participants=person)

    made = reservation_create(session=SessionFactory(program=later_program), participants=person)

    assert made[0].status == ReservationStatus.CONFIRMED


def test_other_people_of_the_institution_apply_as_before(session):
    institution = standard_institution()
    holder, *others = _people(institution, 3)
    reservation_create(session=session, participants=[holder])
    made = reservation_create(session=_later_session(), participants=others)
    assert [r.status for r in made] == [ReservationStatus.CONFIRMED] * 2


def test_cancelling_reports_the_status_of_the_locked_row_not_of_a_stale_copy(db):
    """The page reads the reservation before the service locks it: a promotion in between gave the
    person a seat, so the cancellation releases a seat, and says so."""
    session = SessionFactory(capacity=1)
    first = reservation_create(session=session, participants=_people(standard_institution(), 1))[0]
    waiting = reservation_create(session=session, participants=_people(standard_institution(), 1))[0]
    stale = Reservation.objects.select_related("participant", "session__course").get(pk=waiting.pk)
    assert stale.status == ReservationStatus.WAITLISTED
    reservation_cancel(reservation=first)  # promotes the waiting one meanwhile

    cancelled = reservation_cancel(reservation=stale)

    assert cancelled.cancelled_from == ReservationStatus.CONFIRMED
    assert cancelled.status == ReservationStatus.CANCELLED
    with translation.override("en"):
        message = _cancelled_message(cancelled)
    assert "their seat on" in message and "waiting place" not in message
