"""Classroom sessions over the API: officials read the announced ones; programme staff create,
change, announce and cancel them; the notice period holds; lists count seats in fixed queries."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from sessions.models import Course, ReservationStatus, SessionStatus, TrainingSession, Venue
from sessions.services import reservation_create
from tests.entitlements.factories import UserFactory, client_for, official_of
from tests.sessions.factories import SessionFactory, TrainerFactory, people, standard_institution

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "program",
    "course",
    "kind",
    "venue",
    "province",
    "address",
    "institution",
    "starts_at",
    "ends_at",
    "hours",
    "capacity",
    "seats_confirmed",
    "seats_free",
    "waitlist_length",
    "status",
    "trainer",
}


@pytest.fixture
def own():
    return standard_institution()


@pytest.fixture
def official(own):
    return client_for(official_of(own))


def _iso(moment):
    return moment.isoformat()


def _new_session_body(program, starts_at, **overrides):
    body = {
        "program": program.pk,
        "course": Course.objects.get(code="EIMZA-101").pk,
        "venue": Venue.objects.get(province_id=41).pk,
        "starts_at": _iso(starts_at),
        "ends_at": _iso(starts_at + timedelta(hours=4)),
    }
    body.update(overrides)
    return body


# --- Reading --------------------------------------------------------------------------------


def test_a_session_shows_its_fields_seats_and_waiting_list(official, own):
    session = SessionFactory(capacity=2)
    reservation_create(session=session, participants=people(own, 3))

    response = official.get(f"/api/v1/sessions/{session.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["kind"] == "classroom"
    assert (body["province"], body["institution"], body["hours"]) == (6, None, 4)
    assert body["address"] == session.venue.address
    assert (body["capacity"], body["seats_confirmed"], body["seats_free"], body["waitlist_length"]) == (2, 2, 0, 1)
    assert body["status"] == "announced"
    assert body["venue"] == session.venue_id


def test_officials_see_announced_and_completed_sessions_never_drafts_or_cancelled(official):
    announced = SessionFactory()
    completed = SessionFactory(status=SessionStatus.COMPLETED, starts_at=timezone.now() - timedelta(days=3))
    draft = SessionFactory(status=SessionStatus.DRAFT)
    cancelled = SessionFactory(status=SessionStatus.CANCELLED)

    response = official.get("/api/v1/sessions/")

    assert {s["id"] for s in response.json()["results"]} == {announced.pk, completed.pk}
    assert official.get(f"/api/v1/sessions/{draft.pk}/").status_code == 404
    assert official.get(f"/api/v1/sessions/{cancelled.pk}/").status_code == 404


def test_staff_see_every_session_and_filter_them(staff, program):
    draft = SessionFactory(status=SessionStatus.DRAFT)
    announced = SessionFactory(course=Course.objects.get(code="EIMZA-201"))

    everything = staff.get("/api/v1/sessions/")
    drafts = staff.get("/api/v1/sessions/?status=draft")
    technical = staff.get(f"/api/v1/sessions/?course={announced.course_id}")
    of_program = staff.get(f"/api/v1/sessions/?program={program.pk}")

    assert {s["id"] for s in everything.json()["results"]} == {draft.pk, announced.pk}
    assert [s["id"] for s in drafts.json()["results"]] == [draft.pk]
    assert [s["id"] for s in technical.json()["results"]] == [announced.pk]
    assert of_program.json()["count"] == 2


def test_a_user_who_is_neither_official_nor_staff_sees_no_session():
    SessionFactory()

    assert client_for(UserFactory()).get("/api/v1/sessions/").json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/sessions/"),
        ("post", "/api/v1/sessions/"),
        ("get", "/api/v1/sessions/{id}/"),
        ("patch", "/api/v1/sessions/{id}/"),
        ("post", "/api/v1/sessions/{id}/announce/"),
        ("post", "/api/v1/sessions/{id}/cancel/"),
    ],
)
def test_anonymous_gets_401(api_client, method, path):
    session = SessionFactory()

    response = getattr(api_client, method)(path.format(id=session.pk), {}, format="json")

    assert response.status_code == 401


# --- Staff create, change, announce, cancel -------------------------------------------------


def test_staff_create_a_draft_with_the_programs_classroom_size(staff, program):
    trainer = TrainerFactory()
    starts_at = timezone.now() + timedelta(days=40)

    response = staff.post("/api/v1/sessions/", _new_session_body(program, starts_at, trainer=trainer.pk), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    assert (body["status"], body["capacity"], body["province"], body["trainer"]) == ("draft", 24, 41, trainer.pk)
    assert (body["seats_confirmed"], body["seats_free"], body["waitlist_length"]) == (0, 24, 0)
    assert TrainingSession.objects.get(pk=body["id"]).status == SessionStatus.DRAFT


def test_a_capacity_above_the_venues_seats_is_invalid(staff, program):
    body = _new_session_body(program, timezone.now() + timedelta(days=40), capacity=30)

    response = staff.post("/api/v1/sessions/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "capacity" in response.json()["fields"]


def test_a_session_ending_before_it_starts_is_invalid(staff, program):
    starts_at = timezone.now() + timedelta(days=40)
    body = _new_session_body(program, starts_at, ends_at=_iso(starts_at - timedelta(hours=1)))

    response = staff.post("/api/v1/sessions/", body, format="json")

    assert response.status_code == 400
    assert "ends_at" in response.json()["fields"]


def test_a_missing_field_is_invalid(staff, program):
    body = _new_session_body(program, timezone.now() + timedelta(days=40))
    del body["venue"]

    response = staff.post("/api/v1/sessions/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "venue" in response.json()["fields"]


def test_creating_in_a_closed_program_is_program_closed(staff, program):
    program.is_open = False
    program.save(update_fields=["is_open"])

    response = staff.post(
        "/api/v1/sessions/", _new_session_body(program, timezone.now() + timedelta(days=40)), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "program_closed"


def test_announcing_21_days_and_5_minutes_ahead_is_accepted(staff, official, django_capture_on_commit_callbacks):
    session = SessionFactory(status=SessionStatus.DRAFT, starts_at=timezone.now() + timedelta(days=21, minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/sessions/{session.pk}/announce/")

    assert response.status_code == 200
    assert response.json()["status"] == "announced"
    assert response.json()["id"] == session.pk
    assert official.get(f"/api/v1/sessions/{session.pk}/").status_code == 200


def test_announcing_20_days_and_23_hours_ahead_is_notice_period(staff):
    session = SessionFactory(status=SessionStatus.DRAFT, starts_at=timezone.now() + timedelta(days=20, hours=23))

    response = staff.post(f"/api/v1/sessions/{session.pk}/announce/")

    assert response.status_code == 400
    assert response.json()["code"] == "notice_period"
    assert "starts_at" in response.json()["fields"]
    session.refresh_from_db()
    assert session.status == SessionStatus.DRAFT


def test_announcing_an_announced_session_again_is_refused_as_not_a_draft(staff):
    session = SessionFactory()

    response = staff.post(f"/api/v1/sessions/{session.pk}/announce/")

    assert response.status_code == 400
    assert response.json()["code"] == "session_not_draft"


def test_staff_change_a_draft_freely(staff):
    session = SessionFactory(status=SessionStatus.DRAFT, starts_at=timezone.now() + timedelta(days=5))
    new_start = timezone.now() + timedelta(days=3)

    response = staff.patch(
        f"/api/v1/sessions/{session.pk}/",
        {"starts_at": _iso(new_start), "ends_at": _iso(new_start + timedelta(hours=2)), "capacity": 20},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["capacity"] == 20
    session.refresh_from_db()
    assert session.starts_at == new_start


def test_moving_an_announced_start_inside_the_notice_period_is_refused(staff):
    session = SessionFactory(starts_at=timezone.now() + timedelta(days=30))
    original = session.starts_at
    new_start = timezone.now() + timedelta(days=20, hours=23)

    response = staff.patch(
        f"/api/v1/sessions/{session.pk}/",
        {"starts_at": _iso(new_start), "ends_at": _iso(new_start + timedelta(hours=4))},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "notice_period"
    session.refresh_from_db()
    assert session.starts_at == original


def test_moving_an_announced_start_with_enough_notice_is_accepted(staff):
    session = SessionFactory(starts_at=timezone.now() + timedelta(days=30))
    new_start = timezone.now() + timedelta(days=21, minutes=5)

    response = staff.patch(
        f"/api/v1/sessions/{session.pk}/",
        {"starts_at": _iso(new_start), "ends_at": _iso(new_start + timedelta(hours=4))},
        format="json",
    )

    assert response.status_code == 200


def test_a_larger_capacity_promotes_from_the_waiting_list(staff, own):
    session = SessionFactory(capacity=1)
    reservation_create(session=session, participants=people(own, 2))

    response = staff.patch(f"/api/v1/sessions/{session.pk}/", {"capacity": 2}, format="json")

    assert response.status_code == 200
    assert (response.json()["seats_confirmed"], response.json()["waitlist_length"]) == (2, 0)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "3 seats are already confirmed: the capacity cannot go below 3."),
        ("tr", "3 yer zaten onaylanmış: kapasite bu sayının altına düşürülemez."),
    ],
)
def test_a_capacity_below_the_confirmed_seats_is_invalid_on_the_capacity_field(staff, own, language, message):
    session = SessionFactory(capacity=3)
    reservation_create(session=session, participants=people(own, 4))  # 3 confirmed, 1 waiting

    response = staff.patch(
        f"/api/v1/sessions/{session.pk}/", {"capacity": 2}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": message, "fields": {"capacity": [message]}}
    session.refresh_from_db()
    assert session.capacity == 3
    statuses = sorted(session.reservations.values_list("status", flat=True))
    assert statuses == [ReservationStatus.CONFIRMED] * 3 + [ReservationStatus.WAITLISTED]


def test_cancelling_frees_the_seats_and_notifies(staff, own, django_capture_on_commit_callbacks):
    session = SessionFactory()
    official_of(own)
    made = reservation_create(session=session, participants=people(own, 2))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/sessions/{session.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["seats_confirmed"] == 0
    assert {r.status for r in session.reservations.all()} == {ReservationStatus.CANCELLED}
    assert len(made) == 2
    assert len(mail.outbox) >= 1


def test_cancelling_a_cancelled_session_is_refused_as_closed(staff):
    session = SessionFactory(status=SessionStatus.CANCELLED)

    assert staff.post(f"/api/v1/sessions/{session.pk}/cancel/").json()["code"] == "session_closed"


# --- Officials on staff-only actions --------------------------------------------------------


def test_an_official_may_not_create_a_session(official, program):
    response = official.post(
        "/api/v1/sessions/", _new_session_body(program, timezone.now() + timedelta(days=40)), format="json"
    )

    assert response.status_code == 403
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/v1/sessions/{id}/", {"capacity": 10}),
        ("post", "/api/v1/sessions/{id}/announce/", None),
        ("post", "/api/v1/sessions/{id}/cancel/", None),
    ],
)
def test_an_official_gets_403_on_a_session_they_see_and_404_on_a_draft(official, method, path, body):
    announced = SessionFactory()
    draft = SessionFactory(status=SessionStatus.DRAFT)

    visible = getattr(official, method)(path.format(id=announced.pk), body, format="json")
    hidden = getattr(official, method)(path.format(id=draft.pk), body, format="json")

    assert visible.status_code == 403
    assert hidden.status_code == 404
    announced.refresh_from_db()
    draft.refresh_from_db()
    assert (announced.status, announced.capacity) == (SessionStatus.ANNOUNCED, 24)
    assert (draft.status, draft.capacity) == (SessionStatus.DRAFT, 24)


# --- Query budget ---------------------------------------------------------------------------

# token, the user's two permission queries, (the official's institution,) count, sessions
STAFF_LIST_QUERIES = 5
OFFICIAL_LIST_QUERIES = 6


def _sessions_with_reservations(n):
    for _ in range(n):
        session = SessionFactory(capacity=1)
        reservation_create(session=session, participants=people(standard_institution(), 2))


@pytest.mark.parametrize("count", [2, 20])
def test_official_session_list_runs_a_fixed_number_of_queries(official, count, django_assert_num_queries):
    _sessions_with_reservations(count)
    official.get("/api/v1/sessions/")

    with django_assert_num_queries(OFFICIAL_LIST_QUERIES):
        response = official.get("/api/v1/sessions/")

    assert response.json()["count"] == count
    assert all((s["seats_confirmed"], s["waitlist_length"]) == (1, 1) for s in response.json()["results"])


@pytest.mark.parametrize("count", [2, 20])
def test_staff_session_list_runs_a_fixed_number_of_queries(staff, count, django_assert_num_queries):
    _sessions_with_reservations(count)
    staff.get("/api/v1/sessions/")

    with django_assert_num_queries(STAFF_LIST_QUERIES):
        response = staff.get("/api/v1/sessions/")

    assert response.json()["count"] == count
