"""Races on a trainer's time and an institution's hours, on both databases
(docs/domain.md, "Concurrency").

- Twenty schedulings of one trainer into overlapping times at once: exactly one succeeds, the
  rest are ``trainer_conflict``, never a 500.
- One institution's requests and schedulings at once never take it past its hours: with 6 hours
  remaining, ten 3-hour requests let exactly two in; on one 8-hour item, eight 2-hour sessions
  let exactly four in.
- Ten officials' enrolments at once for the last two places of a room: exactly two get in, the
  rest are ``roster_full`` (PostgreSQL).

On PostgreSQL through the services, from threads with their own connections; on the embedded
SQLite as concurrent HTTP requests to a live threaded server on a database file.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from entitlements.models import Institution, Official, Program, Province
from kamusm_portal.errors import RuleViolation
from sessions.models import (
    Course,
    Enrolment,
    Participant,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingSession,
)
from sessions.selectors import usage_for
from sessions.services import enrolment_create, onsite_session_schedule, training_request_create
from tests.entitlements.factories import ProgrammeStaffFactory, UserFactory
from tests.sessions.factories import ParticipantFactory, TrainerFactory, onsite_institution, submitted_request
from tests.sessions.live import assert_clean, post_json
from tests.timing import at

SCHEDULINGS = 20
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="service-level races run on PostgreSQL")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the HTTP races run on the embedded SQLite")


def _start(days: int = 30, minutes: int = 0):
    """09:00 local time ``days`` from today, plus ``minutes``."""
    return at(days, 9) + timedelta(minutes=minutes)


def _request(institution, hours: int) -> TrainingRequest:
    return submitted_request(institution, {"EIMZA-101": hours}, expected=10)


def _together(calls: list) -> list:
    """Run the calls at once, each in a thread with its own connection; answers in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait(timeout=30)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _code(call):
    try:
        call()
    except RuleViolation as exc:
        return exc.code
    except Exception as exc:  # the race test looks for anything else
        return f"error {type(exc).__name__}: {exc}"
    return "made"


# --- The scenarios ----------------------------------------------------------------------------


def _one_trainer_scenario() -> dict:
    """Twenty band-1 institutions, each with an 8-hour request; one trainer; overlapping slots
    (each starts a minute after the previous one and lasts 4 hours)."""
    trainer = TrainerFactory()
    requests = [_request(onsite_institution(), 8) for _ in range(SCHEDULINGS)]
    slots = [(_start(minutes=i), _start(minutes=i) + timedelta(hours=4)) for i in range(SCHEDULINGS)]
    return {"trainer": trainer.pk, "requests": [r.pk for r in requests], "slots": slots}


def _check_one_trainer(scenario: dict, codes: list[str]) -> None:
    assert Counter(codes) == Counter({"made": 1, "trainer_conflict": SCHEDULINGS - 1}), Counter(codes)
    live = TrainingSession.objects.filter(trainer_id=scenario["trainer"]).exclude(status=SessionStatus.CANCELLED)
    assert live.count() == 1


def _hours_scenario() -> dict:
    """A band-3 institution (16 hours) with a request open for 8 hours of one course and 2 of
    another (which keeps the request open while the first is scheduled): 6 hours remain."""
    institution = onsite_institution(users=20_000)
    request = training_request_create(
        institution=institution,
        program=Program.objects.get(year=2012),
        items=[
            {"course": Course.objects.get(code="EIMZA-101"), "hours": 8},
            {"course": Course.objects.filter(audience="technical").first(), "hours": 2},
        ],
        province=Province.objects.get(pk=6),
        expected_participants=10,
    )
    trainers = [TrainerFactory() for _ in range(8)]
    return {"institution": institution.pk, "request": request.pk, "trainers": [t.pk for t in trainers]}


def _check_hours(scenario: dict, request_codes: list[str], schedule_codes: list[str]) -> None:
    assert Counter(request_codes) == Counter({"made": 2, "hours_exceeded": 8}), Counter(request_codes)
    assert Counter(schedule_codes) == Counter({"made": 4, "hours_exceeded": 4}), Counter(schedule_codes)
    institution = Institution.objects.get(pk=scenario["institution"])
    hours = usage_for(institution=institution, program=Program.objects.get(year=2012))
    assert (hours.hours_used, hours.hours_held, hours.hours_remaining) == (8, 8, 0)
    assert hours.hours_used + hours.hours_held <= hours.hours


# --- PostgreSQL: the services -----------------------------------------------------------------


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_schedulings_of_one_trainer_into_overlapping_times_let_exactly_one_in_postgresql():
    scenario = _one_trainer_scenario()
    course = Course.objects.get(code="EIMZA-101")

    def schedule(request_pk, slot):
        return lambda: _code(
            lambda: onsite_session_schedule(
                request=TrainingRequest.objects.get(pk=request_pk),
                course=course,
                trainer=Trainer.objects.get(pk=scenario["trainer"]),
                starts_at=slot[0],
                ends_at=slot[1],
            )
        )

    codes = _together([schedule(pk, slot) for pk, slot in zip(scenario["requests"], scenario["slots"], strict=True)])
    _check_one_trainer(scenario, codes)


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_and_schedulings_never_take_an_institution_past_its_hours_postgresql():
    scenario = _hours_scenario()
    institution = Institution.objects.get(pk=scenario["institution"])
    course = Course.objects.get(code="EIMZA-101")

    def ask():
        return _code(lambda: _request(Institution.objects.get(pk=institution.pk), 3))

    def schedule(trainer_pk):
        return lambda: _code(
            lambda: onsite_session_schedule(
                request=TrainingRequest.objects.get(pk=scenario["request"]),
                course=course,
                trainer=Trainer.objects.get(pk=trainer_pk),
                starts_at=_start(),
                ends_at=_start() + timedelta(hours=2),
            )
        )

    calls = [ask] * 10 + [schedule(pk) for pk in scenario["trainers"]]
    codes = _together(calls)
    _check_hours(scenario, codes[:10], codes[10:])


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_officials_enrolling_at_once_for_the_last_places_never_overfill_the_roster_postgresql():
    """A room for 10 with 8 enrolled; ten officials' enrolments of one person each at once:
    exactly two get in, the rest are ``roster_full``."""
    institution = onsite_institution()
    request = _request(institution, 8)  # a room for 10
    session = onsite_session_schedule(
        request=request,
        course=Course.objects.get(code="EIMZA-101"),
        trainer=TrainerFactory(),
        starts_at=_start(),
        ends_at=_start() + timedelta(hours=8),
    )
    enrolment_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(8)])
    waiting = [ParticipantFactory(institution=institution).pk for _ in range(10)]

    def enrol(participant_pk):
        return lambda: _code(
            lambda: enrolment_create(
                session=TrainingSession.objects.get(pk=session.pk),
                participants=[Participant.objects.get(pk=participant_pk)],
            )
        )

    codes = _together([enrol(pk) for pk in waiting])
    assert Counter(codes) == Counter({"made": 2, "roster_full": 8}), Counter(codes)
    assert Enrolment.objects.filter(session=session).count() == session.capacity == 10


# --- SQLite: HTTP requests to a live threaded server on a database file -----------------------


def _token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=user).key


def _http_code(status: int, body: str) -> str:
    if status == 201:
        return "made"
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    return data.get("code", f"error {status} {body[:200]}") if status == 400 else f"error {status} {body[:200]}"


@sqlite_only
def test_twenty_schedulings_of_one_trainer_over_http_let_exactly_one_in_sqlite(file_server):
    def build():
        scenario = _one_trainer_scenario()
        scenario["token"] = _token(ProgrammeStaffFactory())
        scenario["course"] = Course.objects.get(code="EIMZA-101").pk
        return scenario

    scenario = file_server.db(build)

    def schedule(request_pk, slot):
        body = {
            "course": scenario["course"],
            "trainer": scenario["trainer"],
            "starts_at": slot[0].isoformat(),
            "ends_at": slot[1].isoformat(),
        }
        return lambda: post_json(
            file_server.port, scenario["token"], f"/api/v1/training-requests/{request_pk}/schedule/", body
        )

    answers = _together([schedule(pk, slot) for pk, slot in zip(scenario["requests"], scenario["slots"], strict=True)])
    assert_clean([(None, status, body) for status, body in answers], file_server.errors)
    file_server.db(lambda: _check_one_trainer(scenario, [_http_code(*answer) for answer in answers]))


@sqlite_only
def test_concurrent_requests_and_schedulings_over_http_never_pass_the_hours_sqlite(file_server):
    def build():
        scenario = _hours_scenario()
        official = UserFactory()
        Official.objects.create(user=official, institution_id=scenario["institution"])
        scenario["official"] = _token(official)
        scenario["staff"] = _token(ProgrammeStaffFactory())
        scenario["course"] = Course.objects.get(code="EIMZA-101").pk
        scenario["program"] = Program.objects.get(year=2012).pk
        return scenario

    scenario = file_server.db(build)
    ask_body = {
        "program": scenario["program"],
        "items": [{"course": scenario["course"], "hours": 3}],
        "province": 6,
        "expected_participants": 10,
    }

    def ask():
        return post_json(file_server.port, scenario["official"], "/api/v1/training-requests/", ask_body)

    def schedule(trainer_pk):
        body = {
            "course": scenario["course"],
            "trainer": trainer_pk,
            "starts_at": _start().isoformat(),
            "ends_at": (_start() + timedelta(hours=2)).isoformat(),
        }
        path = f"/api/v1/training-requests/{scenario['request']}/schedule/"
        return lambda: post_json(file_server.port, scenario["staff"], path, body)

    answers = _together([ask] * 10 + [schedule(pk) for pk in scenario["trainers"]])
    assert_clean([(None, status, body) for status, body in answers], file_server.errors)
    codes = [_http_code(*answer) for answer in answers]
    file_server.db(lambda: _check_hours(scenario, codes[:10], codes[10:]))
    assert (
        file_server.db(
            lambda: TrainingSession.objects.filter(
                kind=SessionKind.ONSITE, request_item__request=scenario["request"]
            ).count()
        )
        == 4
    )
