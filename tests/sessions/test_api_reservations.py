"""Reservations over the API: seats in the order sent, the institution quota, the waiting list,
cancellations, closed sessions, and another institution's objects answered 404."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from sessions.models import Reservation, ReservationStatus, SessionStatus
from sessions.services import reservation_create
from sessions.services.shared import local_datetime
from tests.entitlements.factories import UserFactory, client_for, official_of
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    onsite_institution,
    people,
    standard_institution,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def own():
    return standard_institution(name="Kendi Kurumu")


@pytest.fixture
def other():
    return standard_institution(name="Başka Kurum")


@pytest.fixture
def official(own):
    return client_for(official_of(own))


def _apply(client, session, participants):
    return client.post(
        "/api/v1/reservations/",
        {"session": session.pk, "participants": [p.pk for p in participants]},
        format="json",
    )


def _fill(session, seats):
    """Take ``seats`` confirmed seats of the session for other institutions (6 at most each)."""
    while seats > 0:
        n = min(seats, 6)
        reservation_create(session=session, participants=people(standard_institution(), n))
        seats -= n


# --- Applying -------------------------------------------------------------------------------


def test_an_application_answers_201_with_a_bare_array_in_the_order_sent(
    official, own, django_capture_on_commit_callbacks
):
    session = SessionFactory(capacity=2)
    sent = list(reversed(people(own, 3)))

    with django_capture_on_commit_callbacks(execute=True):
        response = _apply(official, session, sent)

    assert response.status_code == 201
    body = response.json()
    assert isinstance(body, list)
    assert [r["participant"] for r in body] == [p.pk for p in sent]
    assert [(r["status"], r["position"]) for r in body] == [("confirmed", None), ("confirmed", None), ("waitlisted", 1)]
    assert all(r["session"] == session.pk for r in body)
    assert set(body[0]) >= {"id", "participant", "session", "status", "position"}
    assert [r["id"] for r in body] == list(
        Reservation.objects.filter(pk__in=[r["id"] for r in body]).order_by("pk").values_list("pk", flat=True)
    )


def test_the_seventh_live_reservation_is_refused_saying_how_many_remain(official, own, session):
    first = people(own, 4)
    assert _apply(official, session, first).status_code == 201

    response = _apply(official, SessionFactory(), people(own, 3))

    assert response.status_code == 400
    assert response.json()["code"] == "institution_quota"
    assert response.json()["fields"]["remaining"] == 2
    assert "2" in response.json()["detail"]
    assert Reservation.objects.filter(institution=own).count() == 4


def test_the_quota_counts_all_sessions_of_the_program(official, own, session):
    assert _apply(official, session, people(own, 6)).status_code == 201

    response = _apply(official, SessionFactory(), people(own, 1))

    assert response.status_code == 400
    assert response.json()["code"] == "institution_quota"
    assert response.json()["fields"]["remaining"] == 0


def test_the_25th_seat_is_waitlisted(official, own, session):
    _fill(session, 24)

    response = _apply(official, session, people(own, 2))

    assert response.status_code == 201
    assert [(r["status"], r["position"]) for r in response.json()] == [("waitlisted", 1), ("waitlisted", 2)]
    assert session.reservations.filter(status=ReservationStatus.CONFIRMED).count() == 24


def test_the_same_participant_twice_on_a_session_is_duplicate_participant(official, own, session):
    participant = people(own, 1)[0]
    _apply(official, session, [participant])

    again = _apply(official, session, [participant])
    twice = _apply(official, SessionFactory(), [people(own, 1)[0]] * 2)

    assert again.status_code == twice.status_code == 400
    assert again.json()["code"] == twice.json()["code"] == "duplicate_participant"
    for body in (again.json(), twice.json()):  # the refused field is named with why
        assert body["fields"] == {"participants": [body["detail"]]}


@pytest.mark.parametrize(
    ("language", "held_words"),
    [("tr", "eğitim seansında zaten onaylı bir yere sahip"), ("en", "already holds a confirmed seat on")],
)
def test_a_person_holding_a_seat_on_another_session_of_the_program_is_duplicate_participant(
    official, own, session, language, held_words
):
    person = ParticipantFactory(institution=own, first_name="Şule", last_name="Çağlayık")
    other = ParticipantFactory(institution=own)
    _apply(official, session, [person])
    later = SessionFactory(starts_at=timezone.now() + timedelta(days=45))

    response = official.post(
        "/api/v1/reservations/",
        {"session": later.pk, "participants": [other.pk, person.pk]},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "duplicate_participant"
    with translation.override(language):
        held = f"{session.course.code} {session.course.title} ({local_datetime(session.starts_at)})"
    assert "Şule Çağlayık" in body["detail"] and held in body["detail"] and held_words in body["detail"]
    assert body["fields"] == {"participants": [body["detail"]]}
    assert not later.reservations.exists()  # refused whole: the other person has no seat either
    assert Reservation.objects.filter(participant=other).count() == 0


def test_an_institution_in_an_onsite_band_is_not_entitled(session):
    onsite = onsite_institution()
    client = client_for(official_of(onsite))

    response = _apply(client, session, people(onsite, 1))

    assert response.status_code == 400
    assert response.json()["code"] == "not_entitled"
    assert not Reservation.objects.exists()


@pytest.mark.parametrize(
    "state",
    [
        {"status": SessionStatus.DRAFT},
        {"status": SessionStatus.CANCELLED},
        {"status": SessionStatus.ANNOUNCED, "starts_at_delta": timedelta(hours=-1)},
    ],
    ids=["draft", "cancelled", "started"],
)
def test_a_session_not_open_is_session_not_open_even_when_the_official_cannot_list_it(official, own, state):
    delta = state.get("starts_at_delta", timedelta(days=30))
    session = SessionFactory(status=state["status"], starts_at=timezone.now() + delta)

    response = _apply(official, session, people(own, 1))

    assert response.status_code == 400
    assert response.json()["code"] == "session_not_open"
    assert not Reservation.objects.exists()


def test_an_unknown_session_is_invalid(official, own):
    response = official.post(
        "/api/v1/reservations/", {"session": 999999, "participants": [people(own, 1)[0].pk]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "session" in response.json()["fields"]


@pytest.mark.parametrize("participants", [[], None, "x"], ids=["empty", "null", "not-a-list"])
def test_participants_are_a_non_empty_list_of_ids(official, session, participants):
    response = official.post(
        "/api/v1/reservations/", {"session": session.pk, "participants": participants}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "participants" in response.json()["fields"]


def test_one_participant_of_another_institution_makes_the_whole_application_404(official, own, other, session):
    response = _apply(official, session, [people(own, 1)[0], people(other, 1)[0]])

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Reservation.objects.exists()


def test_staff_apply_for_an_institutions_participants(staff, other, session):
    response = _apply(staff, session, people(other, 2))

    assert response.status_code == 201
    assert {r.institution_id for r in Reservation.objects.all()} == {other.pk}


def test_staff_may_not_mix_institutions_in_one_application(staff, own, other, session):
    response = _apply(staff, session, [people(own, 1)[0], people(other, 1)[0]])

    assert response.status_code == 400
    assert response.json()["code"] == "other_institution"


def test_a_user_who_is_neither_official_nor_staff_may_not_apply(own, session):
    response = _apply(client_for(UserFactory()), session, people(own, 1))

    assert response.status_code == 403


# --- Reading --------------------------------------------------------------------------------


def test_an_official_lists_only_their_institutions_reservations_with_positions(official, own, other):
    session = SessionFactory(capacity=1)
    reservation_create(session=session, participants=people(other, 1))
    mine = reservation_create(session=session, participants=people(own, 2))

    response = official.get("/api/v1/reservations/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["id"], r["status"], r["position"]) for r in rows] == [
        (mine[0].pk, "waitlisted", 1),
        (mine[1].pk, "waitlisted", 2),
    ]
    assert set(rows[0]) >= {"id", "participant", "session", "status", "position", "applied_at"}


def test_reservations_filter_by_session_status_and_institution(staff, own, other):
    first, second = SessionFactory(capacity=1), SessionFactory()
    reservation_create(session=first, participants=people(own, 2))
    theirs = reservation_create(session=second, participants=people(other, 1))

    by_session = staff.get(f"/api/v1/reservations/?session={second.pk}")
    waitlisted = staff.get("/api/v1/reservations/?status=waitlisted")
    by_institution = staff.get(f"/api/v1/reservations/?institution={other.pk}")

    assert [r["id"] for r in by_session.json()["results"]] == [theirs[0].pk]
    assert [r["position"] for r in waitlisted.json()["results"]] == [1]
    assert [r["id"] for r in by_institution.json()["results"]] == [theirs[0].pk]
    assert staff.get("/api/v1/reservations/").json()["count"] == 3


def test_an_official_reads_their_reservation(official, own, session):
    made = reservation_create(session=session, participants=people(own, 1))[0]

    response = official.get(f"/api/v1/reservations/{made.pk}/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["position"]) == ("confirmed", None)


# --- Cancelling -----------------------------------------------------------------------------


def test_cancelling_a_confirmed_seat_promotes_the_earliest_waitlisted(
    official, own, other, django_capture_on_commit_callbacks
):
    session = SessionFactory(capacity=1)
    seat = reservation_create(session=session, participants=people(own, 1))[0]
    official_of(other)
    early = reservation_create(session=session, participants=people(other, 1))[0]
    late = reservation_create(session=session, participants=people(standard_institution(), 1))[0]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = official.post(f"/api/v1/reservations/{seat.pk}/cancel/")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"], response.json()["position"]) == (
        seat.pk,
        "cancelled",
        None,
    )
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, late.status) == (ReservationStatus.CONFIRMED, ReservationStatus.WAITLISTED)
    assert mail.outbox, "the promoted institution is notified"


def test_cancelling_after_the_session_started_is_session_not_open(official, own, session):
    made = reservation_create(session=session, participants=people(own, 1))[0]
    type(session).objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(minutes=1))

    response = official.post(f"/api/v1/reservations/{made.pk}/cancel/")

    assert response.status_code == 400
    assert response.json()["code"] == "session_not_open"
    made.refresh_from_db()
    assert made.status == ReservationStatus.CONFIRMED


def test_cancelling_twice_is_refused_as_not_live(official, own, session):
    made = reservation_create(session=session, participants=people(own, 1))[0]
    official.post(f"/api/v1/reservations/{made.pk}/cancel/")

    response = official.post(f"/api/v1/reservations/{made.pk}/cancel/")

    assert response.status_code == 400
    assert response.json()["code"] == "reservation_not_live"


def test_staff_cancel_any_reservation(staff, other, session):
    made = reservation_create(session=session, participants=people(other, 1))[0]

    assert staff.post(f"/api/v1/reservations/{made.pk}/cancel/").status_code == 200


# --- Another institution --------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("get", "/{id}/"), ("post", "/{id}/cancel/")])
def test_another_institutions_reservation_is_404(official, other, session, method, path):
    theirs = reservation_create(session=session, participants=people(other, 1))[0]

    response = getattr(official, method)("/api/v1/reservations" + path.format(id=theirs.pk))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == ReservationStatus.CONFIRMED


def test_another_institutions_reservations_are_not_listed(official, other, session):
    reservation_create(session=session, participants=people(other, 2))

    assert official.get(f"/api/v1/reservations/?institution={other.pk}").json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/reservations/"),
        ("post", "/api/v1/reservations/"),
        ("get", "/api/v1/reservations/{id}/"),
        ("post", "/api/v1/reservations/{id}/cancel/"),
    ],
)
def test_anonymous_gets_401(api_client, own, session, method, path):
    made = reservation_create(session=session, participants=people(own, 1))[0]

    response = getattr(api_client, method)(path.format(id=made.pk), {}, format="json")

    assert response.status_code == 401


# --- Query budget ---------------------------------------------------------------------------

# token, the user's two permission queries, (the official's institution,) count, reservations
STAFF_LIST_QUERIES = 5
OFFICIAL_LIST_QUERIES = 6


@pytest.mark.parametrize("count", [2, 6])
def test_official_reservation_list_runs_a_fixed_number_of_queries(official, own, count, django_assert_num_queries):
    for participant in people(own, count):
        reservation_create(session=SessionFactory(capacity=1), participants=[participant])
    official.get("/api/v1/reservations/")

    with django_assert_num_queries(OFFICIAL_LIST_QUERIES):
        response = official.get("/api/v1/reservations/")

    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [2, 20])
def test_staff_reservation_list_runs_a_fixed_number_of_queries(staff, count, django_assert_num_queries):
    session = SessionFactory(capacity=1)
    for _ in range(count):
        reservation_create(session=session, participants=people(standard_institution(), 1))
    staff.get("/api/v1/reservations/")

    with django_assert_num_queries(STAFF_LIST_QUERIES):
        response = staff.get("/api/v1/reservations/")

    assert response.json()["count"] == count
    assert sorted(r["position"] for r in response.json()["results"] if r["position"]) == list(range(1, count))
