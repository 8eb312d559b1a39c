"""The reservation hot path's SQL (sessions/services/reservation_sql.py) counts what the querysets
count: a live reservation is ``live_reservation_q``, and the session's queue is its confirmed and
waiting reservations. Pinned on a table of cases, on both databases."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sessions.models import Reservation, ReservationStatus, TrainingSession
from sessions.services import reservation_sql
from tests.sessions.factories import ParticipantFactory, SessionFactory, standard_institution

S = ReservationStatus


def _reservation(session, institution, status):
    return Reservation.objects.create(
        session=session,
        participant=ParticipantFactory(institution=institution),
        institution=institution,
        status=status,
        applied_at=timezone.now(),
    )


# (status, session starts in how many hours: negative = it has started)
CASES = [
    (S.CONFIRMED, 24),
    (S.CONFIRMED, -2),  # a seat of a session under way or over keeps counting
    (S.WAITLISTED, 24),
    (S.WAITLISTED, -2),  # a waiting place expires when the session starts, written or not
    (S.WAITLISTED, 0),  # starting now: expired
    (S.CANCELLED, 24),
    (S.EXPIRED, -2),
]


@pytest.mark.parametrize("cases", [CASES, CASES[:3], CASES[3:], [c for c in CASES if c[0] != S.CONFIRMED]])
def test_the_live_count_agrees_with_the_live_queryset(db, cases):
    institution, other = standard_institution(), standard_institution()
    now = timezone.now()
    for status, hours in cases:
        session = SessionFactory(starts_at=now + timedelta(hours=hours), ends_at=now + timedelta(hours=hours + 4))
        _reservation(session, institution, status)
        _reservation(session, other, status)  # another institution's never counts
    program_id = TrainingSession.objects.values_list("program_id", flat=True).first()

    with connection.cursor() as cursor:
        counted = reservation_sql.live_count(cursor, institution_id=institution.pk, program_id=program_id, now=now)

    expected = Reservation.objects.live(now).filter(institution=institution, session__program_id=program_id).count()
    assert counted == expected
    assert expected == sum(
        1 for status, hours in cases if status == S.CONFIRMED or (status == S.WAITLISTED and hours > 0)
    )


def test_the_queue_counts_agree_with_the_sessions_reservations(db):
    session = SessionFactory()
    institution = standard_institution()
    made = [
        _reservation(session, institution, status)
        for status in (S.CONFIRMED, S.CONFIRMED, S.WAITLISTED, S.CANCELLED, S.EXPIRED)
    ]
    asked = [made[0].participant_id, made[3].participant_id, ParticipantFactory(institution=institution).pk]

    with connection.cursor() as cursor:
        confirmed, waitlisted, already = reservation_sql.queue_counts(cursor, session_id=session.pk, ids=asked)

    assert confirmed == session.reservations.filter(status=S.CONFIRMED).count() == 2
    assert waitlisted == session.reservations.filter(status=S.WAITLISTED).count() == 1
    assert already == session.reservations.live().filter(participant_id__in=asked).count() == 1


def test_the_seat_each_person_holds_agrees_with_the_live_queryset(program):
    """``SEAT_HELD``: per person, their first live reservation in the program, on any session."""
    institution = standard_institution()
    now = timezone.now()
    people, expected = [], {}
    for status, hours in CASES:
        session = SessionFactory(starts_at=now + timedelta(hours=hours), ends_at=now + timedelta(hours=hours + 4))
        made = _reservation(session, institution, status)
        people.append(made.participant_id)
    # One person with a cancelled place and a live one: the live one is held.
    person = ParticipantFactory(institution=institution)
    for status in (S.CANCELLED, S.WAITLISTED):
        Reservation.objects.create(
            session=SessionFactory(), participant=person, institution=institution, status=status, applied_at=now
        )
    people.append(person.pk)
    free = ParticipantFactory(institution=institution)  # holds nothing
    people.append(free.pk)
    for pk in people:
        live = Reservation.objects.live(now).filter(participant_id=pk, session__program=program).order_by("pk")
        if live.exists():
            expected[pk] = live.first().pk

    with connection.cursor() as cursor:
        available, _live, held = reservation_sql.participants_locked(
            cursor, ids=people, institution_id=institution.pk, program_id=program.pk, now=now
        )

    assert sorted(available) == sorted(people)
    assert held == expected
    assert (
        len(held)
        == sum(1 for status, hours in CASES if status == S.CONFIRMED or (status == S.WAITLISTED and hours > 0)) + 1
    )
