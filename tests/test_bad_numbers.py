"""Numbers and dates out of range are refused clearly, never a server error (docs/api.md,
"Errors"; issue 12, finding 3): an id filter of the API past what the database holds, or not a
whole number, is a 400 ``invalid`` naming the parameter; the admin's filters by id and its date
drill-downs drop such a value with a message; the trainers' calendar and the schedule page set
aside a month or a moment Python cannot compute with, with a message. (Ids in paths and pages:
``tests/test_api_contract.py``.)

PostgreSQL refuses an integer past ``bigint`` and SQLite's driver one past 2**63 - 1: the suite
runs these on both."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kamusm_portal.bounds import ID_MAX, id_or_none, moment_or_none, month_or_none
from tests.certificates.factories import issued
from tests.sessions.factories import TrainerFactory, TrainingRequestFactory

HUGE = "99999999999999999999"  # the probe's value: past bigint, past SQLite's 2**63 - 1
PAST_BIGINT = str(2**63)

# Every id filter of the API (the 13 lists and the certificates' archive), by list.
ID_FILTERS = [
    ("sessions", "course"),
    ("sessions", "program"),
    ("certificates", "session"),
    ("certificates", "program"),
    ("certificates", "institution"),
    ("certificates/archive", "session"),
    ("certificates/archive", "program"),
    ("institutions", "province"),
    ("participants", "institution"),
    ("reservations", "session"),
    ("reservations", "institution"),
    ("trainers", "home_province"),
    ("training-requests", "institution"),
    ("training-requests", "program"),
]


@pytest.mark.parametrize("value", [HUGE, PAST_BIGINT, "0", "-3", "1.5", "abc", "٣"])
@pytest.mark.parametrize(("resource", "name"), ID_FILTERS)
def test_an_id_filter_out_of_range_or_malformed_is_400_invalid_naming_it(staff, resource, name, value):
    response = staff.get(f"/api/v1/{resource}/", {name: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and list(body["fields"]) == [name]


@pytest.mark.parametrize(("resource", "name"), [f for f in ID_FILTERS if f[0] != "certificates/archive"])
def test_the_largest_id_the_database_holds_is_a_filter_that_matches_nothing(staff, resource, name):
    response = staff.get(f"/api/v1/{resource}/", {name: str(ID_MAX)})
    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_the_schema_documents_the_id_filters_bounds(client, db):
    schema = client.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/sessions/"]["get"]["parameters"]}
    assert parameters["course"] == {"type": "integer", "minimum": 1, "maximum": ID_MAX}


# --- The admin -------------------------------------------------------------------------------


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("value", [HUGE, PAST_BIGINT, "abc", "-1"])
@pytest.mark.parametrize(
    ("changelist", "name"),
    [
        ("admin:entitlements_institution_changelist", "province"),
        ("admin:entitlements_institution_changelist", "category"),
        ("admin:entitlements_institution_changelist", "program"),
        ("admin:training_sessions_trainingsession_changelist", "trainer"),
        ("admin:training_sessions_unavailability_changelist", "trainer"),
        ("admin:certificates_certificate_changelist", "session"),
    ],
)
def test_an_admin_filter_by_id_drops_a_value_out_of_range_with_a_message(admin_client, changelist, name, value):
    TrainerFactory()  # the filters by trainer and by session show (and read their value) once there is
    issued(1)  # something to choose
    response = admin_client.get(reverse(changelist), {name: value}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("?e=1")  # the admin's own answer to a malformed filter
    assert any(value in message for message in _messages(response))


@pytest.mark.parametrize(
    "query",
    [
        {"starts_at__year": HUGE},
        {"starts_at__year": "9999"},
        {"starts_at__year": "0"},
        {"starts_at__year": "2026", "starts_at__month": HUGE},
        {"starts_at__year": "2026", "starts_at__month": "12", "starts_at__day": PAST_BIGINT},
    ],
)
@pytest.mark.parametrize(
    "changelist",
    ["admin:training_sessions_trainingsession_changelist", "admin:training_sessions_unavailability_changelist"],
)
def test_an_admin_date_drill_down_out_of_range_is_dropped_with_a_message(admin_client, changelist, query):
    response = admin_client.get(reverse(changelist), query, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0].endswith("?e=1")
    assert _messages(response)


def test_an_admin_date_drill_down_in_range_still_filters(admin_client, db):
    url = reverse("admin:training_sessions_trainingsession_changelist")
    response = admin_client.get(url, {"starts_at__year": "9998", "starts_at__month": "12"})
    assert response.status_code == 200 and not _messages(response)


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", f"{HUGE}-01", "2026-٠٣", "bad"])
def test_the_trainers_calendar_shows_the_current_month_for_a_month_it_cannot_show(admin_client, month):
    from django.utils import timezone

    response = admin_client.get(reverse("admin:training_sessions_trainer_calendar"), {"month": month})
    assert response.status_code == 200
    assert response.context["calendar"].month == timezone.localdate().replace(day=1)
    assert any(month in message for message in _messages(response))


@pytest.mark.parametrize("month", ["9998-12", "0002-01"])
def test_the_trainers_calendar_shows_the_first_and_last_months_it_can(admin_client, month):
    response = admin_client.get(reverse("admin:training_sessions_trainer_calendar"), {"month": month})
    assert response.status_code == 200 and response.context["calendar"].month.isoformat()[:7] == month
    assert not _messages(response)


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-02-30T09:00"])
def test_the_schedule_page_leaves_out_a_start_it_cannot_read_with_a_message(admin_client, moment):
    training_request = TrainingRequestFactory()
    url = reverse("admin:training_sessions_trainingrequest_schedule", args=[training_request.pk])
    response = admin_client.get(url, {"starts_at": moment, "ends_at": "2030-05-06T17:00+03:00"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "starts_at" not in form.initial and form.initial["ends_at"].hour == 17
    assert any(moment in message for message in _messages(response))


# --- The bounds themselves -------------------------------------------------------------------


def test_an_id_is_a_whole_number_from_1_to_the_largest_bigint():
    assert id_or_none("1") == 1 and id_or_none(str(ID_MAX)) == ID_MAX and id_or_none(" 42 ") == 42
    for value in ("0", "-1", str(ID_MAX + 1), "9" * 5000, "1.0", "٣", "", None, "1e3"):
        assert id_or_none(value) is None, value


def test_a_month_and_a_moment_lie_within_the_years_python_can_compute_with():
    assert month_or_none("2026-05").isoformat() == "2026-05-01"
    assert month_or_none("0002-01") is not None and month_or_none("9998-12") is not None
    for value in ("0001-12", "9999-01", "2026-00", "2026-13", "9" * 5000 + "-01", "2026-5-1", "", None):
        assert month_or_none(value) is None, value
    assert moment_or_none("2026-05-04T09:00:00+03:00").hour == 9
    for value in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "2026-02-30T09:00", "now", None):
        assert moment_or_none(value) is None, value


@pytest.mark.parametrize("value", ["²", "٣", HUGE, "0"])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/reports/breakdowns/",
        "/admin/reports/standing.pdf",
        "/admin/reports/institutions.csv",
        "/admin/reports/session-fill.csv",
    ],
)
def test_the_dashboards_program_that_is_no_id_falls_back_to_the_newest_program(admin_client, url, value):
    """``?program=²`` passed ``str.isdigit`` and then failed ``int`` (a 500)."""
    assert admin_client.get(url, {"program": value}).status_code == 200
