"""Dates of preferred windows, unavailability and sessions lie between today and two years ahead
(``kamusm_portal.validators.YEARS_AHEAD``), through the API, the portal, the admin and the
services; only staff's on-site sessions recorded after the fact may lie in the past (as many years
back). Refused dates are ``invalid`` naming the field out of the window."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from entitlements.models import Province
from kamusm_portal.errors import RuleViolation
from kamusm_portal.validators import YEARS_AHEAD, dates_window
from sessions.models import Course, SessionKind, TrainingRequest, TrainingSession, Unavailability, Venue
from sessions.services import (
    onsite_session_schedule,
    session_create,
    training_request_create,
    unavailability_create,
)
from tests.entitlements.factories import client_for, official_of
from tests.sessions.factories import (
    SessionFactory,
    TrainerFactory,
    onsite_institution,
    submitted_request,
)
from tests.timing import TZ, at, day, dotted, on

LAST = dates_window()[1]  # the last day a date may take: today, two years on


def _years(n: int) -> date:
    """About ``n`` years from today (the 28th at most, so any month has the day)."""
    today = day(0)
    return date(today.year + n, today.month, min(today.day, 28))


#: (first day, last day) of a window of dates out of the rule, each refused.
OUT_OF_WINDOW = [
    pytest.param(day(-1), day(3), "from", id="starting-yesterday"),
    pytest.param(date(2020, 3, 2), date(2020, 3, 6), "from", id="in-2020"),
    pytest.param(date(9999, 12, 30), date(9999, 12, 31), "to", id="in-9999"),
    pytest.param(day(1), _years(100), "to", id="100-years-long"),
    pytest.param(day(30), LAST + timedelta(days=1), "to", id="a-day-past-two-years"),
]


def _moment(value: date, hour: int) -> datetime:
    return datetime(value.year, value.month, value.day, hour, tzinfo=TZ)


@pytest.fixture
def own(db):
    """A band-1 institution (8 on-site hours), made through the service."""
    return onsite_institution()


@pytest.fixture
def official(own):
    return client_for(official_of(own))


def _course() -> Course:
    return Course.objects.get(code="EIMZA-101")


# --- Preferred windows of a training request ------------------------------------------------


def _request_body(program, first: date, last: date) -> dict:
    return {
        "program": program.pk,
        "items": [{"course": _course().pk, "hours": 8}],
        "province": 55,
        "preferred_dates": [{"from": first.isoformat(), "to": last.isoformat()}],
        "expected_participants": 20,
    }


@pytest.mark.parametrize(("first", "last", "side"), OUT_OF_WINDOW)
def test_the_api_refuses_a_preferred_window_out_of_today_and_two_years(official, program, first, last, side):
    response = official.post("/api/v1/training-requests/", _request_body(program, first, last), format="json")

    assert response.status_code == 400
    answer = response.json()
    assert (answer["code"], list(answer["fields"])) == ("invalid", ["preferred_dates"])
    assert list(answer["fields"]["preferred_dates"]) == ["0"]
    assert not TrainingRequest.objects.exists()


def test_a_window_from_today_to_two_years_on_is_taken(official, program):
    response = official.post("/api/v1/training-requests/", _request_body(program, day(0), LAST), format="json")

    assert response.status_code == 201, response.json()
    assert YEARS_AHEAD == 2 and LAST.year == day(0).year + 2


@pytest.mark.parametrize(("first", "last", "side"), OUT_OF_WINDOW[:3])
def test_the_service_refuses_it_for_every_caller(own, program, first, last, side):
    with pytest.raises(RuleViolation) as caught:
        training_request_create(
            institution=own,
            program=program,
            items=[{"course": _course(), "hours": 8}],
            province=Province.objects.get(plate=6),
            expected_participants=20,
            preferred_dates=[{"from": first, "to": last}],
        )

    assert (caught.value.code, list(caught.value.fields)) == ("invalid", ["preferred_dates"])


def _portal(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize(("first", "last", "side"), OUT_OF_WINDOW[:2])
def test_the_portal_request_form_shows_the_refusal_next_to_the_window(client, own, program, first, last, side):
    portal = _portal(client, official_of(own))
    data = {
        "province": 55,
        "expected_participants": 20,
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
        "items-0-course": _course().pk,
        "items-0-hours": "8",
        "windows-TOTAL_FORMS": "2",
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "6",
        "windows-0-starts": dotted(first),
        "windows-0-ends": dotted(last),
    }

    response = portal.post(reverse("sessions_portal:request_new"), data)

    assert response.status_code == 200
    assert response.context["windows"].forms[0].errors["ends"][0].startswith("Dates lie between")
    assert not TrainingRequest.objects.exists()


# --- A trainer's unavailability ---------------------------------------------------------------


@pytest.mark.parametrize(("first", "last", "side"), OUT_OF_WINDOW)
def test_the_api_refuses_unavailability_out_of_today_and_two_years(staff, first, last, side):
    trainer = TrainerFactory()
    body = {"starts_at": _moment(first, 9).isoformat(), "ends_at": _moment(last, 18).isoformat()}

    response = staff.post(f"/api/v1/trainers/{trainer.pk}/unavailability/", body, format="json")

    assert response.status_code == 400
    field = {"from": "starts_at", "to": "ends_at"}[side]
    assert (response.json()["code"], list(response.json()["fields"])) == ("invalid", [field])
    assert not Unavailability.objects.exists()


def test_unavailability_for_today_up_to_two_years_on_is_taken(staff):
    trainer = TrainerFactory()
    body = {"starts_at": at(0, 23, 0).isoformat(), "ends_at": _moment(LAST, 23).isoformat()}

    response = staff.post(f"/api/v1/trainers/{trainer.pk}/unavailability/", body, format="json")

    assert response.status_code == 201, response.json()


def test_the_trainers_portal_form_shows_the_refusal_next_to_the_field(client, db):
    trainer = TrainerFactory()
    portal = _portal(client, trainer.user)

    response = portal.post(
        reverse("sessions_portal:trainer_schedule"),
        {"starts_at": "02.03.2020 09:00", "ends_at": "06.03.2020 18:00", "reason": "Yıllık izin"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["starts_at"][0].startswith("Dates lie between")
    assert not Unavailability.objects.exists()


def test_the_admin_unavailability_inline_shows_the_refusal_on_its_row(staff_client):
    trainer = TrainerFactory()
    url = reverse("admin:training_sessions_trainer_change", args=[trainer.pk])
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    far = LAST + timedelta(days=10)
    data = {
        "home_province": trainer.home_province_id,
        "is_active": "on",
        "unavailability-TOTAL_FORMS": "1",
        "unavailability-INITIAL_FORMS": "0",
        "unavailability-MIN_NUM_FORMS": "0",
        "unavailability-MAX_NUM_FORMS": "1000",
        "unavailability-0-trainer": trainer.pk,
        "unavailability-0-id": "",
        "unavailability-0-starts_at_0": dotted(far),
        "unavailability-0-starts_at_1": "09:00",
        "unavailability-0-ends_at_0": dotted(far),
        "unavailability-0-ends_at_1": "18:00",
        "unavailability-0-reason": "Yıllık izin",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["ends_at"][0].startswith("Dates lie between")
    assert not Unavailability.objects.exists()


def test_the_service_refuses_a_block_in_the_past(db):
    with pytest.raises(RuleViolation) as caught:
        unavailability_create(trainer=TrainerFactory(), starts_at=at(-3, 9), ends_at=at(2, 9))

    assert list(caught.value.fields) == ["starts_at"]


# --- Classroom sessions -----------------------------------------------------------------------


def _session_body(program, first: date, last: date) -> dict:
    return {
        "program": program.pk,
        "course": _course().pk,
        "venue": Venue.objects.get(province_id=41).pk,
        "starts_at": _moment(first, 9).isoformat(),
        "ends_at": _moment(last, 13).isoformat(),
    }


@pytest.mark.parametrize(("first", "last", "side"), OUT_OF_WINDOW)
def test_the_api_refuses_a_classroom_session_out_of_today_and_two_years(staff, program, first, last, side):
    response = staff.post("/api/v1/sessions/", _session_body(program, first, last), format="json")

    assert response.status_code == 400
    field = {"from": "starts_at", "to": "ends_at"}[side]
    assert (response.json()["code"], list(response.json()["fields"])) == ("invalid", [field])
    assert not TrainingSession.objects.exists()


def test_moving_a_session_to_year_9999_is_refused(staff):
    session = SessionFactory()
    body = {
        "starts_at": _moment(date(9999, 12, 30), 9).isoformat(),
        "ends_at": _moment(date(9999, 12, 30), 13).isoformat(),
    }

    response = staff.patch(f"/api/v1/sessions/{session.pk}/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["ends_at"]
    starts_at = session.starts_at
    session.refresh_from_db()
    assert session.starts_at == starts_at


def test_a_session_made_before_the_rule_keeps_changing_what_is_not_its_dates(staff):
    session = SessionFactory(
        starts_at=_moment(LAST + timedelta(days=30), 9), ends_at=_moment(LAST + timedelta(days=30), 13)
    )

    response = staff.patch(f"/api/v1/sessions/{session.pk}/", {"capacity": 20}, format="json")

    assert response.status_code == 200, response.json()


def test_the_admin_session_form_shows_the_refusal_next_to_the_field(staff_client, program):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = {
        "program": program.pk,
        "course": _course().pk,
        "venue": Venue.objects.get(province_id=6).pk,
        "starts_at_0": "02.03.2020",
        "starts_at_1": "09:00",
        "ends_at_0": "02.03.2020",
        "ends_at_1": "13:00",
        "capacity": "24",
    }

    response = staff_client.post(reverse("admin:training_sessions_trainingsession_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["starts_at"][0].startswith("Dates lie between")
    assert not TrainingSession.objects.exists()


def test_the_service_refuses_a_draft_in_the_past(program):
    with pytest.raises(RuleViolation) as caught:
        session_create(
            program=program,
            course=_course(),
            venue=Venue.objects.get(province_id=6),
            starts_at=at(-2, 9),
            ends_at=at(-2, 13),
        )

    assert list(caught.value.fields) == ["starts_at"]


# --- On-site sessions: staff may record them after the fact -----------------------------------


def _schedule(request, starts_at: datetime, ends_at: datetime) -> TrainingSession:
    return onsite_session_schedule(
        request=request, course=_course(), trainer=TrainerFactory(), starts_at=starts_at, ends_at=ends_at, hours=8
    )


def test_a_session_recorded_after_the_fact_a_year_ago_goes_in(own):
    session = _schedule(submitted_request(own), on(day(-365), 9), on(day(-365), 17))

    assert session.kind == SessionKind.ONSITE and session.has_ended


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        pytest.param(date(2020, 3, 2), date(2020, 3, 2), "starts_at", id="in-2020"),
        pytest.param(day(-3 * 365), day(-3 * 365), "starts_at", id="three-years-back"),
        pytest.param(date(9999, 12, 30), date(9999, 12, 30), "ends_at", id="in-9999"),
        pytest.param(day(-365), _years(100), "ends_at", id="100-years-long"),
    ],
)
def test_an_on_site_session_lies_within_two_years_either_way(own, first, last, field):
    request = submitted_request(own)

    with pytest.raises(RuleViolation) as caught:
        _schedule(request, _moment(first, 9), _moment(last, 17))

    assert (caught.value.code, list(caught.value.fields)) == ("invalid", [field])
    assert not TrainingSession.objects.exists()


def test_the_api_schedule_refuses_year_9999(staff, own):
    request = submitted_request(own)
    body = {
        "course": _course().pk,
        "trainer": TrainerFactory().pk,
        "starts_at": _moment(date(9999, 12, 30), 9).isoformat(),
        "ends_at": _moment(date(9999, 12, 30), 17).isoformat(),
    }

    response = staff.post(f"/api/v1/training-requests/{request.pk}/schedule/", body, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["fields"])) == ("invalid", ["ends_at"])


def _inline_edit(staff_client, trainer, block, *, starts, ends, reason):
    url = reverse("admin:training_sessions_trainer_change", args=[trainer.pk])
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return staff_client.post(
        url,
        {
            "home_province": trainer.home_province_id,
            "is_active": "on",
            "unavailability-TOTAL_FORMS": "1",
            "unavailability-INITIAL_FORMS": "1",
            "unavailability-MIN_NUM_FORMS": "0",
            "unavailability-MAX_NUM_FORMS": "1000",
            "unavailability-0-trainer": trainer.pk,
            "unavailability-0-id": block.pk,
            "unavailability-0-starts_at_0": dotted(starts),
            "unavailability-0-starts_at_1": f"{starts:%H:%M}",
            "unavailability-0-ends_at_0": dotted(ends),
            "unavailability-0-ends_at_1": f"{ends:%H:%M}",
            "unavailability-0-reason": reason,
        },
    )


def test_a_block_under_way_keeps_its_start_when_its_end_or_reason_is_corrected(staff_client):
    """A change is a delete and a create; the new block may keep the old one's start, in the past."""
    trainer = TrainerFactory()
    block = Unavailability.objects.create(trainer=trainer, starts_at=at(-1, 9), ends_at=at(6, 18), reason="İzin")

    response = _inline_edit(staff_client, trainer, block, starts=at(-1, 9), ends=at(8, 18), reason="Yıllık izin")

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    (kept,) = Unavailability.objects.filter(trainer=trainer)
    assert (kept.starts_at, kept.ends_at, kept.reason) == (at(-1, 9), at(8, 18), "Yıllık izin")


def test_a_block_under_way_cannot_be_moved_to_start_further_in_the_past(staff_client):
    trainer = TrainerFactory()
    block = Unavailability.objects.create(trainer=trainer, starts_at=at(-1, 9), ends_at=at(6, 18), reason="İzin")

    response = _inline_edit(staff_client, trainer, block, starts=at(-3, 9), ends=at(6, 18), reason="İzin")

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["starts_at"][0].startswith("Dates lie between")
    assert Unavailability.objects.get(trainer=trainer).starts_at == at(-1, 9)
