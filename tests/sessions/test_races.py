"""Races on the last seats of a classroom session, on both databases
(docs/domain.md, "Concurrency").

200 reservation attempts from 40 Standard institutions hit one 24-seat session at once, each from
a thread with its own database connection:

- on PostgreSQL, against the services directly (``select_for_update`` must close the races);
- on the embedded SQLite, as concurrent HTTP requests to a live threaded server on a real database
  *file* (the in-memory test database would be shared through one connection by Django's live
  server, serialising everything and proving nothing). Writers must queue on ``BEGIN IMMEDIATE``:
  never a 500, never "database is locked".

Every institution makes 5 attempts. Even-numbered institutions apply for 1 participant each time
(5 in all, within the quota of 6); odd-numbered ones for 1, 2, 1, 2, 1 (7 in all), so whatever the
order, exactly one of their attempts (the last one served) must be refused ``institution_quota``.

What must hold afterwards: exactly 24 confirmed; no institution above 6 live reservations; the
waiting list ranked 1..n without gap or repeat, in application order (``applied_at``, then id);
every confirmed seat applied before every waitlisted one; and the position each caller was told
equals its final rank (nobody cancelled, so a position told is a position kept).

The six are six people: two applications for the same person on two sessions of the program at the
same moment make one seat and one ``duplicate_participant`` (services on PostgreSQL, HTTP on SQLite).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from entitlements.models import Official
from kamusm_portal.errors import RuleViolation
from sessions.models import Participant, Reservation, ReservationStatus, TrainingSession
from sessions.selectors import session_roster
from sessions.services import reservation_create
from tests.entitlements.factories import UserFactory
from tests.sessions.factories import ParticipantFactory, SessionFactory, standard_institution
from tests.sessions.live import assert_clean, post_json

SEATS = 24
QUOTA = 6
INSTITUTIONS = 40
SIZES_EVEN = (1, 1, 1, 1, 1)  # 5 participants: always within the quota
SIZES_ODD = (1, 2, 1, 2, 1)  # 7 participants: exactly one attempt (the last served) is refused
WORKERS = 20  # service-level race (PostgreSQL)
HTTP_CLIENTS = 50  # HTTP race (SQLite)
RESERVATIONS_URL = "/api/v1/reservations/"
KNOWN_CODES = {"institution_quota", "duplicate_participant", "session_not_open", "not_entitled", "invalid"}

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the service-level race runs on PostgreSQL (DATABASE_URL)"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the HTTP race runs on the embedded SQLite")


# --- The scenario, shared by both databases ---------------------------------------------------


def _build(*, institutions: int = INSTITUTIONS, with_tokens: bool = False, seed: int = 2012) -> dict:
    """One announced 24-seat session; ``institutions`` Standard institutions, each with an official
    and the participants of its 5 attempts. Returns the session and the attempts, shuffled."""
    session = SessionFactory(capacity=SEATS)
    attempts = []
    tokens = {}
    for index in range(institutions):
        institution = standard_institution()
        user = UserFactory()
        Official.objects.create(user=user, institution=institution)
        if with_tokens:
            from rest_framework.authtoken.models import Token

            tokens[institution.pk] = Token.objects.create(user=user).key
        for size in SIZES_ODD if index % 2 else SIZES_EVEN:
            people = [ParticipantFactory(institution=institution).pk for _ in range(size)]
            attempts.append({"institution": institution.pk, "user": user.pk, "participants": people})
    random.Random(seed).shuffle(attempts)
    return {"session": session.pk, "attempts": attempts, "tokens": tokens}


def _check(session_pk: int, outcomes: list[dict], institutions: int = INSTITUTIONS) -> None:
    """The invariants after the race (run on a connection that sees the committed result)."""
    unexpected = [o for o in outcomes if o["result"] == "error"]
    assert not unexpected, f"{len(unexpected)} attempts failed unexpectedly, e.g. {unexpected[:3]}"
    refused = [o for o in outcomes if o["result"] == "refused"]
    assert Counter(o["code"] for o in refused) == Counter({"institution_quota": institutions // 2}), (
        "every odd institution gets exactly one attempt refused for its quota, nothing else is refused"
    )
    per_institution = Counter(o["institution"] for o in refused)
    assert all(count == 1 for count in per_institution.values())

    session = TrainingSession.objects.get(pk=session_pk)
    rows = list(session.reservations.order_by("applied_at", "pk"))
    confirmed = [r for r in rows if r.status == ReservationStatus.CONFIRMED]
    waitlisted = [r for r in rows if r.status == ReservationStatus.WAITLISTED]
    assert len(confirmed) == SEATS, f"{len(confirmed)} confirmed on a {SEATS}-seat session"
    assert len(rows) == len(confirmed) + len(waitlisted)

    live = Counter(r.institution_id for r in rows)
    assert max(live.values()) <= QUOTA, f"an institution holds {max(live.values())} live reservations"
    told = {item["id"]: item for o in outcomes if o["result"] == "made" for item in o["reservations"]}
    assert set(told) == {r.pk for r in rows}, "every reservation made was answered, and only those"
    assert sum(len(o["participants"]) for o in outcomes if o["result"] == "made") == len(rows)

    # The waiting list: ranks 1..n, no gap, no repeat, in application order.
    roster = list(session_roster(session=session))
    ranks = [r.position for r in roster if r.status == ReservationStatus.WAITLISTED]
    assert ranks == list(range(1, len(waitlisted) + 1)), f"waiting-list ranks {ranks}"
    assert [r.pk for r in roster if r.status == ReservationStatus.WAITLISTED] == [r.pk for r in waitlisted]

    # Seats went in order of application: every confirmed one applied before every waitlisted one.
    if waitlisted:
        last_confirmed = max((r.applied_at, r.pk) for r in confirmed)
        first_waitlisted = min((r.applied_at, r.pk) for r in waitlisted)
        assert last_confirmed < first_waitlisted, (
            f"a waitlisted reservation (#{first_waitlisted[1]}, applied {first_waitlisted[0]:%H:%M:%S.%f}) "
            f"applied before a confirmed one (#{last_confirmed[1]}, applied {last_confirmed[0]:%H:%M:%S.%f})"
        )

    # What each caller was told is what holds: status, and rank (nobody cancelled, so none moved).
    final_rank = {r.pk: r.position for r in roster}
    for row in rows:
        assert told[row.pk]["status"] == row.status
    told_ranks = sorted(item["position"] for item in told.values() if item["status"] == ReservationStatus.WAITLISTED)
    assert told_ranks == list(range(1, len(waitlisted) + 1)), f"positions told to the callers: {told_ranks}"
    moved = {pk: (item["position"], final_rank[pk]) for pk, item in told.items() if item["position"] != final_rank[pk]}
    assert not moved, f"positions told then final: {moved}"


# --- PostgreSQL: the services, from parallel threads ------------------------------------------


def _attempt_service(session_pk: int, attempt: dict) -> dict:
    from django.contrib.auth import get_user_model

    outcome = {"institution": attempt["institution"], "participants": attempt["participants"]}
    try:
        people = {
            p.pk: p for p in Participant.objects.select_related("institution").filter(pk__in=attempt["participants"])
        }
        made = reservation_create(
            session=TrainingSession(pk=session_pk),
            participants=[people[pk] for pk in attempt["participants"]],
            by=get_user_model().objects.get(pk=attempt["user"]),
        )
    except RuleViolation as exc:
        outcome.update(result="refused", code=exc.code)
    except Exception as exc:  # any other failure is what the race test looks for
        outcome.update(result="error", error=f"{type(exc).__name__}: {exc}")
    else:
        outcome.update(
            result="made",
            reservations=[{"id": r.pk, "status": r.status, "position": r.position} for r in made],
        )
    return outcome


def _race_services(session_pk: int, attempts: list[dict], workers: int = WORKERS) -> list[dict]:
    """Deal the attempts round-robin to ``workers`` threads that start together; each thread has
    its own connection and closes it at the end."""
    start = threading.Barrier(workers)
    lanes = [attempts[i::workers] for i in range(workers)]

    def lane(mine: list[dict]) -> list[dict]:
        try:
            start.wait(timeout=30)
            return [_attempt_service(session_pk, attempt) for attempt in mine]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [outcome for results in pool.map(lane, lanes) for outcome in results]


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_200_attempts_from_40_institutions_on_24_seats_postgresql():
    scenario = _build()
    began = time.perf_counter()
    outcomes = _race_services(scenario["session"], scenario["attempts"])
    elapsed = time.perf_counter() - began
    assert len(outcomes) == 200
    _check(scenario["session"], outcomes)
    assert elapsed < 30, f"the race took {elapsed:.1f} s"


def _race_for_the_last_seat(session_pk: int, racers: list[Participant]) -> list[Reservation]:
    start = threading.Barrier(len(racers))

    def apply(participant: Participant) -> Reservation:
        try:
            start.wait(timeout=10)
            return reservation_create(session=TrainingSession(pk=session_pk), participants=[participant])[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(racers)) as pool:
        return list(pool.map(apply, racers))


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officials_racing_for_the_last_seat_get_one_seat_between_them():
    for _round in range(10):
        session = SessionFactory(capacity=3)
        filler = standard_institution()
        reservation_create(session=session, participants=[ParticipantFactory(institution=filler) for _ in range(2)])
        racers = [ParticipantFactory(institution=standard_institution()) for _ in range(2)]

        made = _race_for_the_last_seat(session.pk, racers)

        assert sorted(r.status for r in made) == ["confirmed", "waitlisted"]
        assert session.reservations.filter(status=ReservationStatus.CONFIRMED).count() == 3
        winner = next(r for r in made if r.status == ReservationStatus.CONFIRMED)
        loser = next(r for r in made if r.status == ReservationStatus.WAITLISTED)
        assert loser.position == 1
        assert (winner.applied_at, winner.pk) < (loser.applied_at, loser.pk), (
            f"round {_round}: the seat went to the later application "
            f"(confirmed applied {winner.applied_at:%H:%M:%S.%f}, waitlisted applied {loser.applied_at:%H:%M:%S.%f})"
        )


# --- SQLite: HTTP requests to a live threaded server on a database file -----------------------


def _post(port: int, token: str, payload: dict) -> tuple[int, str]:
    return post_json(port, token, RESERVATIONS_URL, payload)


def _race_http(port: int, scenario: dict, clients: int = HTTP_CLIENTS) -> list[dict]:
    start = threading.Barrier(clients)
    lanes = [scenario["attempts"][i::clients] for i in range(clients)]
    answers = []

    def lane(mine):
        start.wait(timeout=30)
        for attempt in mine:
            payload = {"session": scenario["session"], "participants": attempt["participants"]}
            try:
                status, body = _post(port, scenario["tokens"][attempt["institution"]], payload)
            except OSError as exc:
                status, body = 0, f"{type(exc).__name__}: {exc}"
            answers.append((attempt, status, body))

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(lane, lanes))
    return answers


def _outcome(attempt: dict, status: int, body: str) -> dict:
    outcome = {"institution": attempt["institution"], "participants": attempt["participants"]}
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if status == 201 and isinstance(data, list):
        outcome.update(result="made", reservations=data)
    elif status == 400 and isinstance(data, dict) and data.get("code") in KNOWN_CODES:
        outcome.update(result="refused", code=data["code"])
    else:
        outcome.update(result="error", error=f"{status} {body[:300]}")
    return outcome


@sqlite_only
def test_200_concurrent_http_applications_on_24_seats_sqlite(file_server):
    scenario = file_server.db(lambda: _build(with_tokens=True))
    began = time.perf_counter()
    answers = _race_http(file_server.port, scenario)
    elapsed = time.perf_counter() - began

    assert len(answers) == 200
    assert_clean(answers, file_server.errors)
    outcomes = [_outcome(*answer) for answer in answers]
    file_server.db(lambda: _check(scenario["session"], outcomes))
    assert elapsed < 30, f"the race took {elapsed:.1f} s"


def _last_seat_round() -> dict:
    """A 3-seat session with 2 seats taken, and two institutions (official, token, one participant)."""
    from rest_framework.authtoken.models import Token

    session = SessionFactory(capacity=3)
    filler = standard_institution()
    reservation_create(session=session, participants=[ParticipantFactory(institution=filler) for _ in range(2)])
    racers = []
    for _ in range(2):
        institution = standard_institution()
        user = UserFactory()
        Official.objects.create(user=user, institution=institution)
        racers.append(
            {
                "institution": institution.pk,
                "token": Token.objects.create(user=user).key,
                "participants": [ParticipantFactory(institution=institution).pk],
            }
        )
    return {"session": session.pk, "racers": racers}


@sqlite_only
def test_two_officials_racing_for_the_last_seat_over_http_get_one_seat_between_them_sqlite(file_server):
    for _round in range(10):
        scenario = file_server.db(_last_seat_round)
        start = threading.Barrier(2)

        def apply(racer, session_pk=scenario["session"], start=start):
            start.wait(timeout=10)
            return racer, *_post(
                file_server.port, racer["token"], {"session": session_pk, "participants": racer["participants"]}
            )

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(apply, scenario["racers"]))

        assert_clean(answers, file_server.errors)
        assert [status for _racer, status, _body in answers] == [201, 201]
        made = sorted((json.loads(body)[0] for _racer, _status, body in answers), key=lambda r: r["status"])
        assert [(r["status"], r["position"]) for r in made] == [("confirmed", None), ("waitlisted", 1)]
        confirmed = file_server.db(
            lambda pk=scenario["session"]: Reservation.objects.filter(session_id=pk, status="confirmed").count()
        )
        assert confirmed == 3
        winner, loser = made
        applied = {r["id"]: datetime.fromisoformat(r["applied_at"]) for r in made}
        assert (applied[winner["id"]], winner["id"]) < (applied[loser["id"]], loser["id"]), (
            f"round {_round}: the seat went to the later application: {made}"
        )


# --- The six are six people: one person, two sessions, the same moment -------------------------

ROUNDS = 10


def _one_person_two_sessions(*, with_token: bool = False) -> dict:
    """A Standard institution with an official and one participant, and two announced sessions of
    the program on two days."""
    institution = standard_institution()
    user = UserFactory()
    Official.objects.create(user=user, institution=institution)
    token = None
    if with_token:
        from rest_framework.authtoken.models import Token

        token = Token.objects.create(user=user).key
    sessions = [SessionFactory(starts_at=timezone.now() + timedelta(days=days)).pk for days in (30, 45)]
    return {"person": ParticipantFactory(institution=institution).pk, "sessions": sessions, "token": token}


def _one_seat_held(person_pk: int, sessions: list[int]) -> None:
    """The person holds one live seat in the program, on one of the two sessions."""
    held = Reservation.objects.live().filter(participant_id=person_pk)
    assert held.count() == 1, f"the person holds {held.count()} live seats"
    assert held.get().session_id in sessions


def _apply_for_one_person(person_pk: int, session_pk: int, start: threading.Barrier) -> str:
    try:
        person = Participant.objects.select_related("institution").get(pk=person_pk)
        start.wait(timeout=10)
        try:
            reservation_create(session=TrainingSession(pk=session_pk), participants=[person])
        except RuleViolation as exc:
            return exc.code
        return "made"
    finally:
        connection.close()


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_applications_for_one_person_on_two_sessions_at_once_make_one_seat_postgresql():
    for _round in range(ROUNDS):
        scenario = _one_person_two_sessions()
        start = threading.Barrier(2)

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(_apply_for_one_person, [scenario["person"]] * 2, scenario["sessions"], [start] * 2))

        assert sorted(results) == ["duplicate_participant", "made"], f"round {_round}: {results}"
        _one_seat_held(scenario["person"], scenario["sessions"])


@sqlite_only
def test_two_applications_for_one_person_on_two_sessions_at_once_over_http_make_one_seat_sqlite(file_server):
    for _round in range(ROUNDS):
        scenario = file_server.db(lambda: _one_person_two_sessions(with_token=True))
        start = threading.Barrier(2)

        def apply(session_pk, scenario=scenario, start=start):
            start.wait(timeout=10)
            payload = {"session": session_pk, "participants": [scenario["person"]]}
            return scenario, *_post(file_server.port, scenario["token"], payload)

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(apply, scenario["sessions"]))

        assert_clean(answers, file_server.errors)
        assert sorted(status for _scenario, status, _body in answers) == [201, 400], f"round {_round}: {answers}"
        (refused,) = [json.loads(body) for _scenario, status, body in answers if status == 400]
        assert refused["code"] == "duplicate_participant"
        file_server.db(lambda scenario=scenario: _one_seat_held(scenario["person"], scenario["sessions"]))
