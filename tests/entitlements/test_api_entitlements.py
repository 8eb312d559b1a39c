"""An institution's entitlements over the API: one row per program, the band set by the sum of all
units, flags, and the usage figures counted in one place (sessions.selectors.usage)."""

import pytest

from entitlements import services
from entitlements.models import Entitlement, EntitlementFlag, UnitLevel
from sessions.selectors.usage import Usage, usage_of
from tests.entitlements.factories import client_for, institution_with_entitlements, official_of, unit

pytestmark = pytest.mark.django_db

ROW_FIELDS = {
    "program",
    "total_active_users",
    "category",
    "delivery",
    "hours",
    "seat_quota",
    "seats_used",
    "seats_remaining",
    "hours_used",
    "hours_held",
    "hours_remaining",
    "flag",
}


def _rows(client, inst):
    response = client.get(f"/api/v1/institutions/{inst.pk}/entitlements/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    return body["results"]


def _row(client, inst, program):
    return next(r for r in _rows(client, inst) if r["program"] == program.pk)


def test_a_classroom_band_gives_seats_not_hours(staff, program):
    inst = institution_with_entitlements(merkez=50)

    row = _row(staff, inst, program)

    assert set(row) == ROW_FIELDS
    assert row == {
        "program": program.pk,
        "total_active_users": 50,
        "category": {"code": "STANDARD", "name": "Standart"},
        "delivery": "classroom",
        "hours": 0,
        "seat_quota": 6,
        "seats_used": 0,
        "seats_remaining": 6,
        "hours_used": 0,
        "hours_held": 0,
        "hours_remaining": 0,
        "flag": None,
    }


def test_an_onsite_band_gives_hours_not_seats(staff, program):
    inst = institution_with_entitlements(merkez=1500)

    row = _row(staff, inst, program)

    assert row["category"] == {"code": "2", "name": "Kategori 2"}
    assert row["delivery"] == "onsite"
    assert (row["hours"], row["hours_used"], row["hours_held"], row["hours_remaining"]) == (12, 0, 0, 12)
    assert (row["seat_quota"], row["seats_used"], row["seats_remaining"]) == (0, 0, 0)
    assert row["flag"] is None


def test_no_users_is_no_band_and_flagged(staff, program):
    inst = institution_with_entitlements(merkez=0)

    row = _row(staff, inst, program)

    assert row["category"] is None
    assert row["delivery"] is None
    assert (row["hours"], row["seat_quota"], row["hours_remaining"], row["seats_remaining"]) == (0, 0, 0, 0)
    assert row["flag"] == "no_users"


def test_above_the_last_band_is_not_clamped_but_flagged(staff, program):
    inst = institution_with_entitlements(merkez=1_000_001)

    row = _row(staff, inst, program)

    assert row["total_active_users"] == 1_000_001
    assert row["category"] is None
    assert row["hours"] == 0
    assert row["flag"] == "above_last_band"


def test_the_sum_of_all_units_decides_the_band_not_any_unit_alone(staff, program):
    inst = institution_with_entitlements(
        merkez=40,
        units=[unit(UnitLevel.IL, 40, plate=34), unit(UnitLevel.ILCE, 40, plate=6, district="Çankaya")],
    )

    row = _row(staff, inst, program)

    # Each unit alone (40) would be Standard; together (120) they are category 1.
    assert row["total_active_users"] == 120
    assert row["category"]["code"] == "1"
    assert row["hours"] == 8


def test_provincial_users_alone_make_the_central_unit_entitled(staff, program):
    inst = institution_with_entitlements(merkez=0, units=[unit(UnitLevel.IL, 150, plate=35)])

    row = _row(staff, inst, program)

    assert row["category"]["code"] == "1"
    assert row["flag"] is None


def test_there_is_a_row_for_every_program_even_one_never_open(staff, program):
    inst = institution_with_entitlements(merkez=120)
    later = services.program_copy(program=program, name="Eğitim Promosyonu 2013", year=2013)
    assert not Entitlement.objects.filter(institution=inst, program=later).exists()

    rows = _rows(staff, inst)

    assert [r["program"] for r in rows] == [later.pk, program.pk]  # newest first
    assert rows[0]["category"] == {"code": "1", "name": "Kategori 1"}
    assert rows[0]["total_active_users"] == 120
    assert not Entitlement.objects.filter(institution=inst, program=later).exists()  # a read writes nothing


def test_a_program_never_open_flags_no_users_too(staff, program):
    inst = institution_with_entitlements(merkez=0)
    services.program_copy(program=program, name="Eğitim Promosyonu 2013", year=2013)

    assert [r["flag"] for r in _rows(staff, inst)] == ["no_users", "no_users"]


def test_the_official_reads_their_own_entitlements(program):
    inst = institution_with_entitlements(merkez=50)
    client = client_for(official_of(inst))

    assert _row(client, inst, program)["seat_quota"] == 6


def test_another_institutions_entitlements_are_404_for_an_official(program):
    mine, theirs = institution_with_entitlements(merkez=50), institution_with_entitlements(merkez=500)
    client = client_for(official_of(mine))

    response = client.get(f"/api/v1/institutions/{theirs.pk}/entitlements/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_gets_401(api_client, program):
    inst = institution_with_entitlements(merkez=50)

    assert api_client.get(f"/api/v1/institutions/{inst.pk}/entitlements/").status_code == 401


def test_entitlements_run_a_fixed_number_of_queries(staff, program, django_assert_num_queries):
    inst = institution_with_entitlements(merkez=50)

    # token, permissions (2), institution with its total, its units, stored rows, programs, bands,
    # live reservations (seats used), on-site sessions (hours used), open request items (hours held)
    with django_assert_num_queries(11):
        _rows(staff, inst)
    for year in range(2013, 2018):
        services.program_copy(program=program, name=f"Program {year}", year=year)
    with django_assert_num_queries(11):
        assert len(_rows(staff, inst)) == 6


# --- The figures, counted in one place ------------------------------------------------------


def test_usage_is_zero_until_reservations_and_sessions_exist(program):
    inst = institution_with_entitlements(merkez=50)
    rows = list(Entitlement.objects.filter(institution=inst))

    assert usage_of(rows) == {(inst.pk, program.pk): Usage(seat_quota=6, seats_used=0, hours_used=0, hours_held=0)}


def test_usage_above_the_right_is_flagged_and_not_clamped(program):
    onsite = Entitlement.objects.select_related("program", "category").get(
        institution=institution_with_entitlements(merkez=500)
    )
    classroom = Entitlement.objects.select_related("program", "category").get(
        institution=institution_with_entitlements(merkez=50)
    )

    hours = Usage(hours=onsite.right.hours, hours_used=6, hours_held=4)
    seats = Usage(seat_quota=classroom.right.seats, seats_used=7)

    assert (hours.hours, hours.hours_remaining, hours.flag) == (8, -2, EntitlementFlag.USAGE_ABOVE_RIGHT)
    assert (seats.seat_quota, seats.seats_remaining, seats.flag) == (6, -1, EntitlementFlag.USAGE_ABOVE_RIGHT)
    assert (hours.hours_available, seats.seats_available) == (0, 0)
    assert Usage(hours=onsite.right.hours, hours_used=8).flag is None
