"""The report API: who may read it, what it answers, and its shape as API.md gives it."""

import pytest

from tests.entitlements.factories import UserFactory, client_for, official_of
from tests.reports.factories import person, seats
from tests.sessions.factories import onsite_institution, standard_institution

pytestmark = pytest.mark.django_db


def report_url(program):
    return f"/api/v1/reports/programs/{program.pk}/"


def list_url(program):
    return f"/api/v1/reports/programs/{program.pk}/institutions/"


def test_programme_staff_read_the_whole_program_in_the_documented_shape(staff, program):
    own = standard_institution()
    seats([person(own, plate=34), person(own)], capacity=1)
    response = staff.get(report_url(program))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "program",
        "target",
        "totals",
        "by_category",
        "by_province",
        "by_kind",
        "by_month",
        "materials",
        "trips",
    }
    assert set(body["totals"]) == {
        "institutions",
        "institutions_without_use",
        "booked",
        "waitlisted",
        "trained",
        "certified",
        "multiplier_reach",
        "seats_capacity",
        "seats_confirmed",
        "hours_entitled",
        "hours_held",
        "hours_scheduled",
        "hours_delivered",
    }
    assert (body["program"], body["target"]) == (program.pk, 4000)
    assert (body["totals"]["booked"], body["totals"]["waitlisted"]) == (1, 1)
    assert set(body["by_category"][0]) == {"code", "name", "institutions", "booked", "trained", "certified"}
    assert set(body["by_province"][0]) == {"province", "name", "booked", "trained", "certified"}
    assert len(body["by_province"]) == 81
    assert set(body["by_kind"][0]) == {"kind", "institutions", "booked", "trained", "certified"}
    assert body["materials"] == {"downloads": 0, "views": 0, "institutions": 0}
    assert body["trips"] == {"cost": 0, "cost_per_trained": 0}


def test_an_account_manager_reads_only_their_institutions(program):
    manager = UserFactory(is_staff=True)
    mine = standard_institution(account_manager=manager)
    other = standard_institution()
    seats([person(mine)])
    seats([person(other), person(other)])
    client = client_for(manager)
    assert client.get(report_url(program)).json()["totals"]["booked"] == 1
    rows = client.get(list_url(program)).json()["results"]
    assert [row["institution"] for row in rows] == [mine.pk]


@pytest.mark.parametrize("path", [report_url, list_url])
def test_an_official_a_trainer_and_staff_managing_nobody_get_403_and_anonymous_401(program, api_client, path):
    official = official_of(standard_institution())
    assert client_for(official).get(path(program)).status_code == 403
    assert client_for(UserFactory(is_staff=True)).get(path(program)).json()["code"] == "permission_denied"
    assert api_client.get(path(program)).status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/reports/programs/999999/", "/api/v1/reports/programs/999999/institutions/"])
def test_an_unknown_program_is_404_not_found(staff, path):
    response = staff.get(path)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_institution_list_is_paginated_with_usage_and_people(staff, program):
    standard = standard_institution(name="Ağrı Valiliği")
    onsite = onsite_institution(name="Bursa Büyükşehir Belediyesi")
    standard_institution(users=0, name="Kullanıcısız Kurum")  # no band: not listed
    seats([person(standard), person(standard)])
    body = staff.get(list_url(program)).json()
    assert body["count"] == 2 and {"next", "previous"} <= set(body)
    first, second = body["results"]
    assert (first["name"], second["name"]) == ("Ağrı Valiliği", "Bursa Büyükşehir Belediyesi")
    assert (first["seat_quota"], first["seats_used"], first["hours"], first["booked"]) == (6, 2, 0, 2)
    assert (second["category"]["code"], second["seat_quota"], second["hours"]) == ("1", 0, 8)
    assert second["institution"] == onsite.pk
    assert set(first) == {
        "institution",
        "name",
        "kind",
        "category",
        "seat_quota",
        "seats_used",
        "hours",
        "hours_used",
        "hours_held",
        "booked",
        "trained",
        "certified",
        "multiplier_reach",
        "flag",
    }


def test_the_reports_are_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/reports/programs/{id}/" in schema["paths"]
    assert "/api/v1/reports/programs/{id}/institutions/" in schema["paths"]
