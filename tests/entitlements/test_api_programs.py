"""The public part of the API: programs with their tables, the calculator, the schema and docs."""

import pytest

from entitlements.models import Category, Delivery, Program
from tests.entitlements.factories import client_for

pytestmark = pytest.mark.django_db

CATEGORY_FIELDS = {"code", "name", "min_users", "max_users", "hours", "delivery"}


def test_anyone_lists_programs_with_their_tables(program, api_client):
    response = api_client.get("/api/v1/programs/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    row = next(p for p in body["results"] if p["id"] == program.pk)
    assert row == {
        "id": program.pk,
        "name": program.name,
        "year": 2012,
        "is_open": True,
        "trainee_target": 4000,
        "notice_days": 21,
        "classroom_size": 24,
        "classroom_quota": 6,
        "categories": row["categories"],
    }
    assert [c["code"] for c in row["categories"]] == ["STANDARD", "1", "2", "3", "4", "5"]
    assert all(set(c) == CATEGORY_FIELDS for c in row["categories"])
    assert row["categories"][0] == {
        "code": "STANDARD",
        "name": "Standart",
        "min_users": 1,
        "max_users": 100,
        "hours": 4,
        "delivery": "classroom",
    }
    assert row["categories"][-1]["max_users"] == 1_000_000


def test_anyone_reads_one_program(program, api_client):
    response = api_client.get(f"/api/v1/programs/{program.pk}/")

    assert response.status_code == 200
    assert response.json()["name"] == program.name


def test_unknown_program_is_404_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/programs/999999/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": response.json()["detail"], "fields": {}}


def test_programs_are_read_only_in_the_api(program, staff_user):
    client = client_for(staff_user)

    assert client.post("/api/v1/programs/", {"name": "X", "year": 2030}, format="json").status_code == 405
    assert client.patch(f"/api/v1/programs/{program.pk}/", {"is_open": False}, format="json").status_code == 405
    assert client.delete(f"/api/v1/programs/{program.pk}/").status_code == 405


def test_program_list_runs_a_fixed_number_of_queries(program, api_client, django_assert_num_queries):
    for year in range(2013, 2018):
        copy = Program.objects.create(name=f"Program {year}", year=year)
        Category.objects.create(
            program=copy, code="S", name="S", min_users=1, max_users=10, hours=4, delivery=Delivery.CLASSROOM
        )

    with django_assert_num_queries(3):  # count, programs, their categories
        response = api_client.get("/api/v1/programs/")

    assert response.json()["count"] == 6


@pytest.mark.parametrize(
    ("active_users", "code", "hours", "delivery"),
    [
        (1, "STANDARD", 4, "classroom"),
        (100, "STANDARD", 4, "classroom"),
        (101, "1", 8, "onsite"),
        (1000, "1", 8, "onsite"),
        (1001, "2", 12, "onsite"),
        (10000, "2", 12, "onsite"),
        (10001, "3", 16, "onsite"),
        (50000, "3", 16, "onsite"),
        (50001, "4", 20, "onsite"),
        (100000, "4", 20, "onsite"),
        (100001, "5", 24, "onsite"),
        (1000000, "5", 24, "onsite"),
    ],
)
def test_calculator_gives_the_band_at_every_boundary(program, api_client, active_users, code, hours, delivery):
    response = api_client.get(f"/api/v1/programs/{program.pk}/category/", {"active_users": active_users})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == CATEGORY_FIELDS
    assert (body["code"], body["hours"], body["delivery"]) == (code, hours, delivery)
    assert body["min_users"] <= active_users <= body["max_users"]


@pytest.mark.parametrize("active_users", ["0", "1000001", "2147483648", "9" * 40, "007000000"])
def test_calculator_answers_404_no_category_outside_the_table(program, api_client, active_users):
    response = api_client.get(f"/api/v1/programs/{program.pk}/category/", {"active_users": active_users})

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "no_category"
    assert body["detail"]
    assert body["fields"] == {}


@pytest.mark.parametrize("active_users", [None, "", "abc", "-1", "1.5", "1e3", "+5", " ", "١٢"])
def test_calculator_refuses_what_is_not_a_whole_number(program, api_client, active_users):
    params = {} if active_users is None else {"active_users": active_users}

    response = api_client.get(f"/api/v1/programs/{program.pk}/category/", params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["active_users"]


def test_calculator_uses_the_programs_own_table(api_client):
    other = Program.objects.create(name="Program 2030", year=2030, is_open=False)
    Category.objects.create(
        program=other, code="A", name="A", min_users=1, max_users=500, hours=6, delivery=Delivery.ONSITE
    )

    response = api_client.get(f"/api/v1/programs/{other.pk}/category/", {"active_users": 101})

    assert response.status_code == 200
    assert response.json()["code"] == "A"
    assert api_client.get(f"/api/v1/programs/{other.pk}/category/", {"active_users": 501}).status_code == 404


def test_calculator_of_an_unknown_program_is_404_not_found(api_client):
    response = api_client.get("/api/v1/programs/999999/category/", {"active_users": 50})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_schema_and_docs_are_public(api_client):
    schema = api_client.get("/api/schema/")
    docs = api_client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/programs/{id}/category/" in schema.content
    assert b"/api/v1/institutions/{id}/entitlements/" in schema.content
    assert docs.status_code == 200
