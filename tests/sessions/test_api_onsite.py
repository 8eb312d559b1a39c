"""On-site training over the API (categories 1-5): officials submit and cancel requests that hold
their hours, programme staff reject them or schedule their items as on-site sessions (trainers
never double-booked nor booked while unavailable), trainers and their unavailability, on-site
rosters and attendance; another institution's objects are 404, a role that may not act is 403."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from sessions.models import (
    Attendance,
    Course,
    Enrolment,
    RequestStatus,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingRequestItem,
    TrainingSession,
    Unavailability,
)
from sessions.services import enrolment_create, unavailability_create
from tests.entitlements.factories import UserFactory, client_for, institution_with_entitlements, official_of
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    onsite_institution,
    onsite_session,
    people,
    standard_institution,
    submitted_request,
)
from tests.timing import at, day

WINDOW = (day(90).isoformat(), day(94).isoformat())  # a preferred window: from, to

pytestmark = pytest.mark.django_db

REQUEST_FIELDS = {
    "id",
    "program",
    "institution",
    "items",
    "province",
    "preferred_dates",
    "expected_participants",
    "notes",
    "status",
    "submitted_at",
    "rejection_reason",
}
SESSION_FIELDS = {
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
    """Institution A, band 1: 8 on-site hours."""
    return onsite_institution()


@pytest.fixture
def other():
    """Institution B, band 1 as well."""
    return onsite_institution()


@pytest.fixture
def official(own):
    return client_for(official_of(own))


@pytest.fixture
def official_b(other):
    return client_for(official_of(other))


def _course(code="EIMZA-101"):
    return Course.objects.get(code=code)


def _request_body(program, **overrides):
    body = {
        "program": program.pk,
        "items": [{"course": _course().pk, "hours": 8}],
        "province": 34,
        "preferred_dates": [{"from": WINDOW[0], "to": WINDOW[1]}],
        "expected_participants": 25,
        "notes": "Toplantı salonu 3. katta.",
    }
    body.update(overrides)
    return body


def _schedule_body(trainer, starts_at, ends_at=None, **overrides):
    body = {
        "course": _course().pk,
        "trainer": trainer.pk,
        "starts_at": starts_at.isoformat(),
        "ends_at": (ends_at or starts_at + timedelta(hours=8)).isoformat(),
    }
    body.update(overrides)
    return body


def _entitlement(client, inst, program):
    rows = client.get(f"/api/v1/institutions/{inst.pk}/entitlements/").json()["results"]
    row = next(r for r in rows if r["program"] == program.pk)
    return row["hours_used"], row["hours_held"], row["hours_remaining"]


# --- Submitting requests --------------------------------------------------------------------


def test_an_official_submits_a_request_and_gets_201_with_its_shape(official, own, program):
    response = official.post("/api/v1/training-requests/", _request_body(program), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == REQUEST_FIELDS
    assert (body["program"], body["institution"], body["province"]) == (program.pk, own.pk, 34)
    assert [(i["course"], i["hours"], i["hours_scheduled"]) for i in body["items"]] == [(_course().pk, 8, 0)]
    assert set(body["items"][0]) == {"id", "course", "hours", "hours_scheduled"}
    assert body["preferred_dates"] == [{"from": WINDOW[0], "to": WINDOW[1]}]
    assert (body["expected_participants"], body["notes"]) == (25, "Toplantı salonu 3. katta.")
    assert (body["status"], body["rejection_reason"]) == ("submitted", "")
    assert TrainingRequest.objects.get(pk=body["id"]).institution == own


@pytest.mark.parametrize("preferred", ["missing", None, []])
def test_missing_null_or_empty_preferred_dates_mean_no_preference(official, program, preferred):
    body = _request_body(program, preferred_dates=preferred)
    if preferred == "missing":
        del body["preferred_dates"]

    response = official.post("/api/v1/training-requests/", body, format="json")

    assert response.status_code == 201
    assert response.json()["preferred_dates"] == []


def test_a_preferred_window_ending_before_it_starts_is_invalid(official, program):
    body = _request_body(program, preferred_dates=[{"from": WINDOW[1], "to": WINDOW[0]}])

    response = official.post("/api/v1/training-requests/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "preferred_dates" in response.json()["fields"]


def test_a_request_for_9_hours_when_8_remain_is_hours_exceeded_and_writes_nothing(official, program):
    body = _request_body(program, items=[{"course": _course().pk, "hours": 9}])

    response = official.post("/api/v1/training-requests/", body, format="json")

    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "hours_exceeded"
    assert {k: error["fields"][k] for k in ("requested", "used", "held", "remaining")} == {
        "requested": 9,
        "used": 0,
        "held": 0,
        "remaining": 8,
    }
    assert not TrainingRequest.objects.exists()
    assert not TrainingRequestItem.objects.exists()


def test_an_open_request_holds_its_hours_against_the_next_one(official, own, program):
    submitted_request(own, {"EIMZA-101": 5})
    body = _request_body(program, items=[{"course": _course("EIMZA-102").pk, "hours": 4}])

    response = official.post("/api/v1/training-requests/", body, format="json")

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert (response.json()["code"], fields["held"], fields["remaining"]) == ("hours_exceeded", 5, 3)
    assert TrainingRequest.objects.count() == 1


def test_a_standard_institution_is_not_entitled(program):
    standard = standard_institution()

    response = client_for(official_of(standard)).post(
        "/api/v1/training-requests/",
        _request_body(program, items=[{"course": _course().pk, "hours": 4}]),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "not_entitled"
    assert not TrainingRequest.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"items": []}, "items"),
        ({"province": 82}, "province"),
        ({"expected_participants": 0}, "expected_participants"),
        ({"items": [{"course": 999_999, "hours": 4}]}, "items"),
        ({"items": [{"course": 1, "hours": 0}]}, "items"),
    ],
)
def test_a_malformed_request_is_invalid_naming_the_field(official, program, change, field):
    response = official.post("/api/v1/training-requests/", _request_body(program, **change), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


def test_an_official_cannot_submit_for_another_institution(official, own, other, program):
    response = official.post("/api/v1/training-requests/", _request_body(program, institution=other.pk), format="json")

    assert response.status_code == 400
    assert "institution" in response.json()["fields"]
    assert not TrainingRequest.objects.filter(institution=other).exists()


def test_staff_submit_for_the_institution_they_name(staff, other, program):
    response = staff.post("/api/v1/training-requests/", _request_body(program, institution=other.pk), format="json")

    assert response.status_code == 201
    assert response.json()["institution"] == other.pk


def test_staff_must_name_the_institution(staff, program):
    response = staff.post("/api/v1/training-requests/", _request_body(program), format="json")

    assert response.status_code == 400
    assert "institution" in response.json()["fields"]


@pytest.mark.parametrize("who", ["plain", "account_manager", "trainer"])
def test_only_officials_and_staff_submit(own, program, who):
    user = {
        "plain": UserFactory,
        "account_manager": lambda: UserFactory(is_staff=True),
        "trainer": lambda: TrainerFactory().user,
    }[who]()

    response = client_for(user).post(
        "/api/v1/training-requests/", _request_body(program, institution=own.pk), format="json"
    )

    assert response.status_code == 403


# --- Reading requests -----------------------------------------------------------------------


def test_an_official_lists_only_their_own_requests(official, own, other):
    mine = submitted_request(own)
    submitted_request(other)

    response = official.get("/api/v1/training-requests/")

    assert [r["id"] for r in response.json()["results"]] == [mine.pk]


def test_staff_see_every_request_and_filter_them(staff, own, other, program):
    mine = submitted_request(own)
    theirs = submitted_request(other)
    theirs.status = RequestStatus.CANCELLED
    theirs.save(update_fields=["status"])

    everything = staff.get("/api/v1/training-requests/")
    of_other = staff.get(f"/api/v1/training-requests/?institution={other.pk}")
    submitted = staff.get("/api/v1/training-requests/?status=submitted")
    of_program = staff.get(f"/api/v1/training-requests/?program={program.pk}")

    assert [r["id"] for r in everything.json()["results"]] == [mine.pk, theirs.pk]  # open ones first
    assert [r["id"] for r in of_other.json()["results"]] == [theirs.pk]
    assert [r["id"] for r in submitted.json()["results"]] == [mine.pk]
    assert of_program.json()["count"] == 2


def test_an_account_manager_sees_the_requests_of_their_institutions_and_may_not_act(own, other, trainer):
    manager = UserFactory(is_staff=True)
    own.account_manager = manager
    own.save(update_fields=["account_manager"])
    mine = submitted_request(own)
    theirs = submitted_request(other)
    client = client_for(manager)

    listed = client.get("/api/v1/training-requests/")

    assert [r["id"] for r in listed.json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/training-requests/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/training-requests/{mine.pk}/cancel/").status_code == 403
    assert (
        client.post(f"/api/v1/training-requests/{mine.pk}/reject/", {"reason": "x"}, format="json").status_code == 403
    )
    body = _schedule_body(trainer, at(30, 9))
    assert client.post(f"/api/v1/training-requests/{mine.pk}/schedule/", body, format="json").status_code == 403


def test_a_plain_user_sees_no_request(own):
    submitted_request(own)

    assert client_for(UserFactory()).get("/api/v1/training-requests/").json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/training-requests/{id}/", None),
        ("post", "/api/v1/training-requests/{id}/cancel/", None),
        ("post", "/api/v1/training-requests/{id}/reject/", {"reason": "Yer yok."}),
        ("post", "/api/v1/training-requests/{id}/schedule/", "schedule"),
    ],
)
def test_another_institutions_request_is_404_for_every_method(official_b, own, trainer, method, path, body):
    request = submitted_request(own)
    if body == "schedule":
        body = _schedule_body(trainer, at(30, 9))

    response = getattr(official_b, method)(path.format(id=request.pk), body, format="json")

    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/training-requests/"),
        ("post", "/api/v1/training-requests/"),
        ("get", "/api/v1/training-requests/{id}/"),
        ("post", "/api/v1/training-requests/{id}/cancel/"),
        ("post", "/api/v1/training-requests/{id}/reject/"),
        ("post", "/api/v1/training-requests/{id}/schedule/"),
        ("get", "/api/v1/trainers/"),
        ("post", "/api/v1/trainers/"),
        ("get", "/api/v1/trainers/{trainer}/"),
        ("get", "/api/v1/trainers/{trainer}/unavailability/"),
        ("post", "/api/v1/trainers/{trainer}/unavailability/"),
        ("get", "/api/v1/sessions/{session}/enrolments/"),
        ("post", "/api/v1/sessions/{session}/enrolments/"),
        ("get", "/api/v1/sessions/{session}/attendance/"),
        ("post", "/api/v1/sessions/{session}/attendance/"),
    ],
)
def test_anonymous_gets_401(api_client, own, trainer, method, path):
    request = submitted_request(own, {"EIMZA-101": 4, "EIMZA-102": 4})
    session = onsite_session(request, trainer, hours=4)

    url = path.format(id=request.pk, trainer=trainer.pk, session=session.pk)
    response = getattr(api_client, method)(url, {}, format="json")

    assert response.status_code == 401


# --- Cancelling and rejecting ---------------------------------------------------------------


def test_an_official_cancels_their_request_and_frees_its_hours(official, own, program):
    request = submitted_request(own)

    response = official.post(f"/api/v1/training-requests/{request.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert _entitlement(official, own, program) == (0, 0, 8)


def test_cancelling_a_closed_request_is_refused_as_not_open(official, own):
    request = submitted_request(own)
    official.post(f"/api/v1/training-requests/{request.pk}/cancel/")

    response = official.post(f"/api/v1/training-requests/{request.pk}/cancel/")

    assert response.status_code == 400
    assert response.json()["code"] == "request_not_open"


def test_staff_reject_rather_than_cancel(staff, own):
    request = submitted_request(own)

    assert staff.post(f"/api/v1/training-requests/{request.pk}/cancel/").status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_staff_reject_a_request_with_a_reason_and_its_officials_are_told(
    staff, own, program, django_capture_on_commit_callbacks
):
    official = official_of(own)
    request = submitted_request(own)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/api/v1/training-requests/{request.pk}/reject/", {"reason": "Eğitmen yok."}, format="json"
        )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rejection_reason"]) == ("rejected", "Eğitmen yok.")
    assert any(official.email in m.to for m in mail.outbox)
    assert _entitlement(staff, own, program) == (0, 0, 8)


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_rejection_needs_a_reason(staff, own, body):
    request = submitted_request(own)

    response = staff.post(f"/api/v1/training-requests/{request.pk}/reject/", body, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], "reason" in response.json()["fields"]) == ("invalid", True)


@pytest.mark.parametrize("action", ["reject", "schedule"])
def test_an_official_cannot_reject_or_schedule_their_own_request(official, own, trainer, action):
    request = submitted_request(own)
    body = {"reason": "x"} if action == "reject" else _schedule_body(trainer, at(30, 9))

    response = official.post(f"/api/v1/training-requests/{request.pk}/{action}/", body, format="json")

    assert response.status_code == 403
    assert not TrainingSession.objects.exists()


# --- Scheduling -----------------------------------------------------------------------------


def test_scheduling_answers_201_with_the_new_session(staff, own, trainer):
    request = submitted_request(own, expected=12)

    response = staff.post(
        f"/api/v1/training-requests/{request.pk}/schedule/",
        _schedule_body(trainer, at(30, 9), address="Atatürk Bulvarı 1, Çankaya"),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == SESSION_FIELDS
    assert (body["kind"], body["institution"], body["venue"], body["trainer"]) == ("onsite", own.pk, None, trainer.pk)
    assert (body["province"], body["address"], body["hours"]) == (6, "Atatürk Bulvarı 1, Çankaya", 8)
    assert (body["capacity"], body["status"]) == (12, "announced")
    request.refresh_from_db()
    assert request.status == RequestStatus.SCHEDULED


def test_the_province_may_differ_from_the_requests(staff, own, trainer):
    request = submitted_request(own)

    response = staff.post(
        f"/api/v1/training-requests/{request.pk}/schedule/",
        _schedule_body(trainer, at(30, 9), province=41),
        format="json",
    )

    assert response.json()["province"] == 41


def test_hours_default_to_the_duration_of_a_one_day_session(staff, own, trainer):
    request = submitted_request(own)

    response = staff.post(
        f"/api/v1/training-requests/{request.pk}/schedule/",
        _schedule_body(trainer, at(30, 9), at(30, 13)),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["hours"] == 4
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED  # 4 of its 8 hours are still to schedule


def test_a_session_over_several_days_must_say_its_hours(staff, own, trainer):
    request = submitted_request(own)
    body = _schedule_body(trainer, at(30, 9), at(31, 17))

    without = staff.post(f"/api/v1/training-requests/{request.pk}/schedule/", body, format="json")
    given = staff.post(f"/api/v1/training-requests/{request.pk}/schedule/", {**body, "hours": 8}, format="json")

    assert without.status_code == 400
    assert (without.json()["code"], "hours" in without.json()["fields"]) == ("invalid", True)
    assert given.status_code == 201
    assert given.json()["hours"] == 8


def test_an_item_is_split_over_sessions_while_its_hours_last(staff, own):
    request = submitted_request(own)
    url = f"/api/v1/training-requests/{request.pk}/schedule/"

    first = staff.post(url, _schedule_body(TrainerFactory(), at(30, 9), at(30, 14)), format="json")
    too_many = staff.post(url, _schedule_body(TrainerFactory(), at(31, 9), at(31, 13)), format="json")
    rest = staff.post(url, _schedule_body(TrainerFactory(), at(31, 9), at(31, 12)), format="json")

    assert (first.status_code, first.json()["hours"]) == (201, 5)
    assert (too_many.status_code, too_many.json()["code"]) == (400, "hours_exceeded")
    assert (rest.status_code, rest.json()["hours"]) == (201, 3)


def test_a_course_the_request_does_not_ask_for_is_invalid(staff, own, trainer):
    request = submitted_request(own)
    body = _schedule_body(trainer, at(30, 9), course=_course("EIMZA-201").pk)

    response = staff.post(f"/api/v1/training-requests/{request.pk}/schedule/", body, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], "course" in response.json()["fields"]) == ("invalid", True)


def test_a_session_overlapping_the_trainers_other_session_by_one_minute_is_trainer_conflict(staff, own, other, trainer):
    booked = onsite_session(submitted_request(own), trainer, starts_at=at(30, 9))  # 09:00-17:00
    request = submitted_request(other)

    response = staff.post(
        f"/api/v1/training-requests/{request.pk}/schedule/",
        _schedule_body(trainer, at(30, 16, 59), at(30, 20, 59), hours=4),
        format="json",
    )

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["fields"]["session"]) == ("trainer_conflict", booked.pk)
    assert TrainingSession.objects.filter(trainer=trainer).count() == 1


def test_sessions_touching_end_to_start_are_both_booked(staff, own, other, trainer):
    onsite_session(submitted_request(own), trainer, starts_at=at(30, 9))  # 09:00-17:00
    request = submitted_request(other)

    response = staff.post(
        f"/api/v1/training-requests/{request.pk}/schedule/",
        _schedule_body(trainer, at(30, 17), at(30, 21)),
        format="json",
    )

    assert response.status_code == 201
    assert TrainingSession.objects.filter(trainer=trainer).count() == 2


def test_a_session_inside_the_trainers_unavailability_is_trainer_conflict(staff, own, trainer):
    block = unavailability_create(trainer=trainer, starts_at=at(30, 0), ends_at=at(31, 0), reason="Yıllık izin")
    request = submitted_request(own)

    response = staff.post(
        f"/api/v1/training-requests/{request.pk}/schedule/", _schedule_body(trainer, at(30, 9)), format="json"
    )

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["fields"]["unavailability"]) == ("trainer_conflict", block.pk)
    assert not TrainingSession.objects.exists()


def test_an_inactive_or_unknown_trainer_is_invalid(staff, own):
    inactive = TrainerFactory(is_active=False)
    request = submitted_request(own)
    url = f"/api/v1/training-requests/{request.pk}/schedule/"

    for trainer_id in (inactive.pk, 999_999):
        body = {**_schedule_body(inactive, at(30, 9)), "trainer": trainer_id}
        response = staff.post(url, body, format="json")
        assert response.status_code == 400
        assert "trainer" in response.json()["fields"]


def test_staff_record_a_training_after_the_fact(staff, own, trainer):
    request = submitted_request(own)

    response = staff.post(
        f"/api/v1/training-requests/{request.pk}/schedule/", _schedule_body(trainer, at(-10, 9)), format="json"
    )

    assert response.status_code == 201
    assert response.json()["status"] == "announced"


# --- Hours on the entitlement ---------------------------------------------------------------


def test_hours_move_from_held_to_used_on_scheduling_and_back_on_cancelling(staff, official, own, program, trainer):
    assert _entitlement(official, own, program) == (0, 0, 8)

    request_id = official.post("/api/v1/training-requests/", _request_body(program), format="json").json()["id"]
    assert _entitlement(official, own, program) == (0, 8, 0)

    session_id = staff.post(
        f"/api/v1/training-requests/{request_id}/schedule/", _schedule_body(trainer, at(30, 9)), format="json"
    ).json()["id"]
    assert _entitlement(official, own, program) == (8, 0, 0)

    cancelled = staff.post(f"/api/v1/sessions/{session_id}/cancel/")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert _entitlement(official, own, program) == (0, 8, 0)
    assert official.get(f"/api/v1/training-requests/{request_id}/").json()["status"] == "submitted"


def test_an_official_cannot_cancel_their_onsite_session(official, own):
    session = onsite_session(submitted_request(own))

    response = official.post(f"/api/v1/sessions/{session.pk}/cancel/")

    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.ANNOUNCED


# --- Who sees which sessions ----------------------------------------------------------------


def test_an_official_sees_their_own_onsite_sessions_with_where_and_how_long(official, own, other):
    mine = onsite_session(submitted_request(own), starts_at=at(30, 9), ends_at=at(30, 13))
    theirs = onsite_session(submitted_request(other))
    classroom = SessionFactory()

    listed = official.get("/api/v1/sessions/").json()["results"]
    detail = official.get(f"/api/v1/sessions/{mine.pk}/").json()

    assert {s["id"] for s in listed} == {mine.pk, classroom.pk}
    assert (detail["kind"], detail["institution"], detail["province"], detail["hours"]) == ("onsite", own.pk, 6, 4)
    assert (detail["venue"], detail["address"], detail["capacity"]) == (None, "", 20)
    assert official.get(f"/api/v1/sessions/{theirs.pk}/").status_code == 404


def test_a_trainer_sees_the_sessions_they_deliver_and_not_another_trainers_onsite_ones(own, other, trainer):
    mine = onsite_session(submitted_request(own), trainer)
    theirs = onsite_session(submitted_request(other))
    client = client_for(trainer.user)

    listed = client.get("/api/v1/sessions/").json()["results"]

    assert [s["id"] for s in listed] == [mine.pk]
    assert client.get(f"/api/v1/sessions/{theirs.pk}/").status_code == 404


# --- Trainers and their unavailability ------------------------------------------------------


def test_staff_create_a_trainer_and_get_201_with_its_shape(staff, django_capture_on_commit_callbacks):
    body = {
        "username": "egitmen.kaya",
        "email": "kaya@kamusm.gov.tr",
        "first_name": "Şule",
        "last_name": "Kaya",
        "home_province": 41,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post("/api/v1/trainers/", body, format="json")

    assert response.status_code == 201
    created = response.json()
    assert created == {**body, "id": created["id"], "is_active": True}
    trainer = Trainer.objects.select_related("user").get(pk=created["id"])
    assert trainer.user.is_staff and not trainer.user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["kaya@kamusm.gov.tr"]]  # the set-password link


def test_a_taken_username_is_invalid(staff, trainer):
    body = {"username": trainer.user.username, "email": "a@b.gov.tr", "first_name": "A", "last_name": "B"}

    response = staff.post("/api/v1/trainers/", {**body, "home_province": 6}, format="json")

    assert response.status_code == 400
    assert "username" in response.json()["fields"]


@pytest.mark.parametrize("who", ["official", "trainer", "plain"])
def test_only_staff_create_trainers(own, who):
    user = {"official": lambda: official_of(own), "trainer": lambda: TrainerFactory().user, "plain": UserFactory}[who]()
    body = {"username": "x", "email": "x@kamusm.gov.tr", "first_name": "X", "last_name": "Y", "home_province": 6}

    response = client_for(user).post("/api/v1/trainers/", body, format="json")

    assert response.status_code == 403


def test_staff_list_every_trainer_a_trainer_only_themself_an_official_none(staff, official, trainer):
    another = TrainerFactory()

    assert {t["id"] for t in staff.get("/api/v1/trainers/").json()["results"]} == {trainer.pk, another.pk}
    assert [t["id"] for t in client_for(trainer.user).get("/api/v1/trainers/").json()["results"]] == [trainer.pk]
    assert official.get("/api/v1/trainers/").json()["count"] == 0


def test_a_trainer_reads_their_own_row_but_not_another_trainers(trainer, official):
    another = TrainerFactory()
    client = client_for(trainer.user)

    assert client.get(f"/api/v1/trainers/{trainer.pk}/").status_code == 200
    assert client.get(f"/api/v1/trainers/{another.pk}/").status_code == 403
    assert official.get(f"/api/v1/trainers/{trainer.pk}/").status_code == 403


def test_a_trainer_blocks_their_own_time(trainer):
    body = {"starts_at": at(40, 0).isoformat(), "ends_at": at(42, 0).isoformat(), "reason": "Yıllık izin"}

    response = client_for(trainer.user).post(f"/api/v1/trainers/{trainer.pk}/unavailability/", body, format="json")

    assert response.status_code == 201
    assert set(response.json()) == {"id", "trainer", "starts_at", "ends_at", "reason"}
    assert (response.json()["trainer"], response.json()["reason"]) == (trainer.pk, "Yıllık izin")
    listed = client_for(trainer.user).get(f"/api/v1/trainers/{trainer.pk}/unavailability/").json()["results"]
    assert [b["id"] for b in listed] == [response.json()["id"]]


def test_a_trainer_cannot_block_another_trainers_time(trainer):
    another = TrainerFactory()
    body = {"starts_at": at(40, 0).isoformat(), "ends_at": at(42, 0).isoformat(), "reason": "—"}

    response = client_for(trainer.user).post(f"/api/v1/trainers/{another.pk}/unavailability/", body, format="json")

    assert response.status_code == 403
    assert not Unavailability.objects.exists()


def test_staff_block_a_trainers_time_but_not_over_a_booked_session(staff, own, trainer):
    session = onsite_session(submitted_request(own), trainer, starts_at=at(30, 9))
    url = f"/api/v1/trainers/{trainer.pk}/unavailability/"

    clash = staff.post(url, {"starts_at": at(30, 12).isoformat(), "ends_at": at(31, 0).isoformat()}, format="json")
    free = staff.post(url, {"starts_at": at(30, 17).isoformat(), "ends_at": at(31, 0).isoformat()}, format="json")

    assert clash.status_code == 400
    assert (clash.json()["code"], clash.json()["fields"]["session"]) == ("trainer_conflict", session.pk)
    assert free.status_code == 201


def test_a_block_ending_before_it_starts_is_invalid(staff, trainer):
    body = {"starts_at": at(42, 0).isoformat(), "ends_at": at(40, 0).isoformat()}

    response = staff.post(f"/api/v1/trainers/{trainer.pk}/unavailability/", body, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], "ends_at" in response.json()["fields"]) == ("invalid", True)


# --- Rosters of on-site sessions ------------------------------------------------------------


def test_an_official_enrols_their_participants_and_gets_201_in_the_order_sent(official, own):
    session = onsite_session(submitted_request(own))
    first, second = people(own, 2)

    response = official.post(
        f"/api/v1/sessions/{session.pk}/enrolments/", {"participants": [second.pk, first.pk]}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert [e["participant"] for e in body] == [second.pk, first.pk]
    assert set(body[0]) == {"id", "participant", "session", "enrolled_at"}
    assert {e["session"] for e in body} == {session.pk}
    roster = official.get(f"/api/v1/sessions/{session.pk}/enrolments/").json()
    assert [e["participant"] for e in roster["results"]] == [second.pk, first.pk]


def test_enrolling_someone_already_enrolled_changes_nothing(official, own):
    session = onsite_session(submitted_request(own))
    (person,) = people(own, 1)
    url = f"/api/v1/sessions/{session.pk}/enrolments/"
    first = official.post(url, {"participants": [person.pk]}, format="json").json()

    again = official.post(url, {"participants": [person.pk]}, format="json")

    assert again.status_code == 201
    assert again.json() == first
    assert Enrolment.objects.filter(session=session).count() == 1
    assert Enrolment.history.count() == 1


def test_enrolling_past_the_room_is_roster_full(official, own):
    session = onsite_session(submitted_request(own, expected=2))
    crowd = people(own, 3)

    response = official.post(
        f"/api/v1/sessions/{session.pk}/enrolments/", {"participants": [p.pk for p in crowd]}, format="json"
    )

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["fields"]["remaining"]) == ("roster_full", 2)
    assert not Enrolment.objects.exists()


def test_staff_enrol_an_institutions_participants(staff, own):
    session = onsite_session(submitted_request(own))
    (person,) = people(own, 1)

    response = staff.post(f"/api/v1/sessions/{session.pk}/enrolments/", {"participants": [person.pk]}, format="json")

    assert response.status_code == 201


def test_staff_cannot_enrol_another_institutions_participants(staff, own, other):
    session = onsite_session(submitted_request(own))
    (stranger,) = people(other, 1)

    response = staff.post(f"/api/v1/sessions/{session.pk}/enrolments/", {"participants": [stranger.pk]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "other_institution"
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_official_b_can_neither_see_nor_enrol_into_as_session(official_b, own, other, method):
    session = onsite_session(submitted_request(own))
    body = {"participants": [p.pk for p in people(other, 1)]}

    response = getattr(official_b, method)(f"/api/v1/sessions/{session.pk}/enrolments/", body, format="json")

    assert response.status_code == 404
    assert not Enrolment.objects.exists()


def test_an_official_cannot_enrol_another_institutions_participants(official, own, other):
    session = onsite_session(submitted_request(own))
    mine = people(own, 1)
    theirs = people(other, 1)

    response = official.post(
        f"/api/v1/sessions/{session.pk}/enrolments/", {"participants": [mine[0].pk, theirs[0].pk]}, format="json"
    )

    assert response.status_code == 404
    assert not Enrolment.objects.exists()


def test_a_classroom_session_has_no_enrolments(staff, official):
    session = SessionFactory()
    (person,) = people(standard_institution(), 1)

    by_staff = staff.post(f"/api/v1/sessions/{session.pk}/enrolments/", {"participants": [person.pk]}, format="json")
    by_official = official.post(f"/api/v1/sessions/{session.pk}/enrolments/", {"participants": []}, format="json")

    assert (by_staff.status_code, by_staff.json()["code"]) == (400, "wrong_session_kind")
    assert by_official.status_code == 403  # they may see the session, not keep its roster


def test_the_trainer_reads_the_roster_of_their_session_but_does_not_enrol(own, trainer):
    session = onsite_session(submitted_request(own), trainer)
    (person,) = people(own, 1)
    enrolment_create(session=session, participants=[person])
    client = client_for(trainer.user)

    listed = client.get(f"/api/v1/sessions/{session.pk}/enrolments/")
    enrol = client.post(f"/api/v1/sessions/{session.pk}/enrolments/", {"participants": [person.pk]}, format="json")

    assert [e["participant"] for e in listed.json()["results"]] == [person.pk]
    assert enrol.status_code == 403


# --- Attendance -----------------------------------------------------------------------------


@pytest.fixture
def finished(own, trainer):
    """An on-site session of institution A held yesterday by ``trainer``, three people enrolled."""
    session = onsite_session(submitted_request(own), trainer, starts_at=at(-1, 9))
    enrolment_create(session=session, participants=people(own, 3))
    return session


def _marks(session, *statuses):
    roster = list(Enrolment.objects.filter(session=session).order_by("pk").values_list("participant_id", flat=True))
    return [{"participant": p, "status": s} for p, s in zip(roster, statuses, strict=False)]


def test_the_trainer_records_attendance_answered_in_the_order_sent(finished, trainer):
    marks = list(reversed(_marks(finished, "full", "partial", "absent")))

    response = client_for(trainer.user).post(f"/api/v1/sessions/{finished.pk}/attendance/", marks, format="json")

    assert response.status_code == 200
    body = response.json()
    assert [(r["participant"], r["status"]) for r in body] == [(m["participant"], m["status"]) for m in marks]
    assert set(body[0]) == {"participant", "status", "recorded_at"}
    finished.refresh_from_db()
    assert finished.status == SessionStatus.COMPLETED  # everyone on the roster has a mark


def test_attendance_may_cover_part_of_the_roster(staff, finished):
    response = staff.post(f"/api/v1/sessions/{finished.pk}/attendance/", _marks(finished, "full"), format="json")

    assert response.status_code == 200
    finished.refresh_from_db()
    assert finished.status == SessionStatus.ANNOUNCED
    sheet = staff.get(f"/api/v1/sessions/{finished.pk}/attendance/").json()["results"]
    assert [r["status"] for r in sheet] == ["full", None, None]


def test_attendance_before_the_end_is_attendance_not_allowed(staff, own, trainer):
    session = onsite_session(submitted_request(own), trainer, starts_at=timezone.now() - timedelta(hours=1))
    enrolment_create(session=session, participants=people(own, 1))

    response = staff.post(f"/api/v1/sessions/{session.pk}/attendance/", _marks(session, "full"), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "attendance_not_allowed"
    assert not Attendance.objects.exists()


def test_attendance_for_someone_not_enrolled_is_attendance_not_allowed(staff, own, finished):
    (outsider,) = people(own, 1)
    marks = [*_marks(finished, "full"), {"participant": outsider.pk, "status": "full"}]

    response = staff.post(f"/api/v1/sessions/{finished.pk}/attendance/", marks, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["fields"]["participants"]) == (
        "attendance_not_allowed",
        [outsider.pk],
    )
    assert not Attendance.objects.exists()


def test_a_trainer_cannot_record_another_trainers_session(finished):
    another = TrainerFactory()

    response = client_for(another.user).post(
        f"/api/v1/sessions/{finished.pk}/attendance/", _marks(finished, "full"), format="json"
    )

    assert response.status_code == 404  # not their session: they cannot see it
    assert not Attendance.objects.exists()


def test_a_trainer_who_can_see_a_classroom_session_of_another_trainer_still_may_not_record_it():
    session = SessionFactory(trainer=TrainerFactory())

    response = client_for(TrainerFactory().user).post(f"/api/v1/sessions/{session.pk}/attendance/", [], format="json")

    assert response.status_code == 403


def test_an_official_cannot_record_attendance_of_their_own_session(official, finished):
    for method, body in (("get", None), ("post", _marks(finished, "full"))):
        response = getattr(official, method)(f"/api/v1/sessions/{finished.pk}/attendance/", body, format="json")
        assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_resending_the_same_marks_changes_nothing(staff, finished):
    marks = _marks(finished, "full", "partial")
    url = f"/api/v1/sessions/{finished.pk}/attendance/"
    first = staff.post(url, marks, format="json").json()
    history = Attendance.history.count()

    again = staff.post(url, marks, format="json")

    assert again.status_code == 200
    assert again.json() == first
    assert Attendance.history.count() == history


def test_a_different_mark_corrects_the_attendance(staff, finished):
    url = f"/api/v1/sessions/{finished.pk}/attendance/"
    staff.post(url, _marks(finished, "full"), format="json")

    response = staff.post(url, _marks(finished, "absent"), format="json")

    assert response.json()[0]["status"] == "absent"
    assert Attendance.objects.get().status == "absent"


@pytest.mark.parametrize(
    "body",
    [{}, [], [{"participant": 1}], [{"participant": 1, "status": "late"}], "full"],
)
def test_a_malformed_attendance_is_invalid(staff, finished, body):
    response = staff.post(f"/api/v1/sessions/{finished.pk}/attendance/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_an_unknown_participant_in_the_marks_is_refused_like_anyone_off_the_roster(staff, finished):
    """Whether the id exists or belongs to another institution, the answer is the same."""
    unknown = staff.post(
        f"/api/v1/sessions/{finished.pk}/attendance/", [{"participant": 999_999, "status": "full"}], format="json"
    )
    stranger = ParticipantFactory(institution=standard_institution())
    other = staff.post(
        f"/api/v1/sessions/{finished.pk}/attendance/", [{"participant": stranger.pk, "status": "full"}], format="json"
    )

    assert (unknown.status_code, unknown.json()["code"]) == (400, "attendance_not_allowed")
    assert (other.status_code, other.json()["code"]) == (400, "attendance_not_allowed")


# --- Query budgets --------------------------------------------------------------------------

# token, the user's two permission queries, the official's institution (officials), count, page,
# items with their scheduled hours
STAFF_REQUESTS_QUERIES = 6
OFFICIAL_REQUESTS_QUERIES = 7
# token, two permission queries, the official's institution twice (visibility, then the roster
# permission), the trainer check of visibility is not reached; session, count, page
ROSTER_QUERIES = 8
# token, two permission queries, the official's institution, count, page
SESSION_LIST_QUERIES = 6


@pytest.mark.parametrize("count", [1, 10])
def test_staff_request_list_runs_a_fixed_number_of_queries(staff, count, django_assert_max_num_queries):
    for _ in range(count):
        submitted_request(onsite_institution(), {"EIMZA-101": 4, "EIMZA-102": 4})
    staff.get("/api/v1/training-requests/")

    with django_assert_max_num_queries(STAFF_REQUESTS_QUERIES):
        response = staff.get("/api/v1/training-requests/")

    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [1, 10])
def test_official_request_list_runs_a_fixed_number_of_queries(
    official, own, count, program, django_assert_max_num_queries
):
    for _ in range(count):
        request = TrainingRequest.objects.create(
            program=program, institution=own, province_id=6, expected_participants=5
        )
        TrainingRequestItem.objects.create(request=request, course=_course(), hours=1)
    official.get("/api/v1/training-requests/")

    with django_assert_max_num_queries(OFFICIAL_REQUESTS_QUERIES):
        response = official.get("/api/v1/training-requests/")

    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [1, 10])
def test_roster_runs_a_fixed_number_of_queries(official, own, count, django_assert_max_num_queries):
    session = onsite_session(submitted_request(own))
    enrolment_create(session=session, participants=people(own, count))
    official.get(f"/api/v1/sessions/{session.pk}/enrolments/")

    with django_assert_max_num_queries(ROSTER_QUERIES):
        response = official.get(f"/api/v1/sessions/{session.pk}/enrolments/")

    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [1, 10])
def test_an_officials_session_list_with_onsite_sessions_runs_a_fixed_number_of_queries(
    count, django_assert_max_num_queries
):
    band_2 = institution_with_entitlements(merkez=5000)  # 12 hours: room for ten 1-hour sessions
    client = client_for(official_of(band_2))
    request = submitted_request(band_2, {"EIMZA-101": 12})
    for offset in range(count):
        onsite_session(request, starts_at=at(30 + offset, 9), ends_at=at(30 + offset, 10))
    SessionFactory()
    client.get("/api/v1/sessions/")

    with django_assert_max_num_queries(SESSION_LIST_QUERIES):
        response = client.get("/api/v1/sessions/")

    assert response.json()["count"] == count + 1
