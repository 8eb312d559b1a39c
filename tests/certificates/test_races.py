"""Attendance and certificates under concurrency: attendance recorded on many sessions at once gives every
certificate its own number, with no gap and no repeat; two recordings of one session at once give
each person one certificate (PostgreSQL, from threads with their own connections)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from certificates.models import Certificate
from certificates.services import attendance_record
from sessions.models import Participant, TrainingSession
from tests.certificates.factories import onsite_finished

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SESSIONS = 10
PEOPLE = 3


def _finished_session(days_ago: int) -> tuple[int, list[int]]:
    session, people = onsite_finished(PEOPLE, days_ago=days_ago)
    return session.pk, [p.pk for p in people]


def _together(calls: list) -> list:
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait(timeout=30)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _record(session_pk: int, people: list[int]):
    def call():
        session = TrainingSession.objects.get(pk=session_pk)
        marks = [(p, "full") for p in Participant.objects.filter(pk__in=people).order_by("pk")]
        return len(attendance_record(session=session, marks=marks))

    return call


def test_serials_taken_at_once_on_ten_sessions_have_no_gap_and_no_repeat():
    sessions = [_finished_session(days_ago=2 + i) for i in range(SESSIONS)]
    _together([_record(pk, people) for pk, people in sessions])
    serials = sorted(Certificate.objects.values_list("serial", flat=True))
    assert serials == [f"KSM-2012-{n:06d}" for n in range(1, SESSIONS * PEOPLE + 1)]
    assert Certificate.objects.values("code").distinct().count() == SESSIONS * PEOPLE


def test_one_session_recorded_twice_at_once_gives_each_person_one_certificate():
    session_pk, people = _finished_session(days_ago=2)
    _together([_record(session_pk, people) for _ in range(4)])
    assert sorted(Certificate.objects.values_list("participant_id", flat=True)) == sorted(people)
    assert sorted(Certificate.objects.values_list("serial", flat=True)) == [
        f"KSM-2012-{n:06d}" for n in range(1, PEOPLE + 1)
    ]


def test_recording_attendance_is_not_held_up_by_a_lock_on_a_person_on_the_roster():
    """A service holding a participant's lock (enrolling them elsewhere, say) must not block the
    marks that point at that participant: the services' locks are FOR NO KEY UPDATE, which the
    foreign keys' checks (FOR KEY SHARE, at commit) pass. With FOR UPDATE, enrolling (participant,
    then session) and recording (session, then the participant's key) could deadlock."""
    from django.db import transaction

    from kamusm_portal.locking import lock
    from kamusm_portal.services import service

    session_pk, people = _finished_session(days_ago=2)
    held, release = threading.Event(), threading.Event()

    @service
    def hold_the_participant(*, by=None):
        lock(Participant.objects.filter(pk=people[0]))
        held.set()
        release.wait(timeout=30)

    def holder():
        try:
            hold_the_participant()
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            recorded = _record(session_pk, people)()
    finally:
        release.set()
        thread.join(timeout=30)
    assert recorded == PEOPLE
    assert Certificate.objects.filter(session_id=session_pk).count() == PEOPLE
