"""Units: one central unit per institution, province and district rules, totals decide the band."""

import pytest
from django.db import IntegrityError, transaction

from entitlements.models import District, Entitlement, Institution, Province, Unit, UnitLevel
from entitlements.services import UnitData, entitlement_recompute, institution_create, institution_update
from kamusm_portal.errors import RuleViolation
from tests.entitlements.factories import InstitutionFactory


@pytest.fixture
def ankara(db):
    return Province.objects.get(plate=6)


@pytest.fixture
def cankaya(ankara):
    return District.objects.get(province=ankara, name="Çankaya")


def test_a_second_merkez_unit_is_refused_by_the_database(db):
    institution = InstitutionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(institution=institution, level=UnitLevel.MERKEZ, name="İkinci merkez")


def test_creating_an_institution_without_a_merkez_unit_is_refused(ankara):
    with pytest.raises(RuleViolation) as exc:
        institution_create(
            name="Kurum", code="X1", kind="other", units=[UnitData(level="il", name="Ankara", province=ankara)]
        )
    assert exc.value.code == "one_central_unit"
    assert not Institution.objects.exists()


def test_creating_an_institution_with_two_merkez_units_is_refused(db):
    with pytest.raises(RuleViolation):
        institution_create(
            name="Kurum",
            code="X1",
            kind="other",
            units=[UnitData(level="merkez", name="A"), UnitData(level="merkez", name="B")],
        )
    assert not Institution.objects.exists()


def test_a_district_outside_the_province_is_refused(ankara):
    kadikoy = District.objects.get(province__plate=34, name="Kadıköy")
    with pytest.raises(RuleViolation) as exc:
        institution_create(
            name="Kurum",
            code="X1",
            kind="other",
            units=[
                UnitData(level="merkez", name="Merkez"),
                UnitData(level="ilce", name="Kadıköy", province=ankara, district=kadikoy),
            ],
        )
    assert "district" in str(exc.value.fields)
    assert not Unit.objects.exists()


def test_a_district_unit_needs_a_district_and_a_provincial_unit_a_province(ankara):
    for unit in (UnitData(level="ilce", name="x", province=ankara), UnitData(level="il", name="x")):
        with pytest.raises(RuleViolation):
            institution_create(
                name="Kurum", code="X1", kind="other", units=[UnitData(level="merkez", name="Merkez"), unit]
            )


def test_a_district_unit_without_district_is_refused_by_the_database(ankara):
    institution = InstitutionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(institution=institution, level=UnitLevel.ILCE, name="x", province=ankara)


def test_the_sum_over_central_provincial_and_district_units_decides_the_band(program, ankara, cankaya):
    institution = institution_create(
        name="Tapu ve Kadastro Genel Müdürlüğü",
        code="T1",
        kind="general_directorate",
        units=[
            UnitData(level="merkez", name="Merkez", active_users=40),
            UnitData(level="il", name="Ankara İl Müdürlüğü", province=ankara, active_users=40),
            UnitData(level="ilce", name="Çankaya", province=ankara, district=cankaya, active_users=30),
        ],
    )
    entitlement = Entitlement.objects.get(institution=institution, program=program)
    # No unit alone passes 100 (the Standard band), the sum of 110 is category 1.
    assert entitlement.total_active_users == 110
    assert entitlement.category.code == "1"
    assert entitlement.band_hours == entitlement.right.hours == 8
    assert entitlement.delivery == "onsite"
    assert entitlement.seat_quota == 0


def test_a_unit_alone_never_gives_an_entitlement(program, ankara):
    institution = InstitutionFactory(merkez_users=0)
    Unit.objects.create(institution=institution, level="il", name="Ankara", province=ankara, active_users=50)
    entitlement_recompute()
    entitlement = Entitlement.objects.get(institution=institution, program=program)
    assert entitlement.category.code == "STANDARD"
    assert entitlement.seat_quota == 6


def test_updating_units_keeps_unchanged_units_and_recomputes(program, ankara):
    institution = institution_create(
        name="Kurum",
        code="U1",
        kind="other",
        units=[
            UnitData(level="merkez", name="Merkez", active_users=50),
            UnitData(level="il", name="Ankara", province=ankara, active_users=10),
        ],
    )
    merkez_pk = institution.units.get(level="merkez").pk
    institution_update(
        institution=institution,
        data={"name": "Kurum Yeni"},
        units=[UnitData(level="merkez", name="Merkez", active_users=500)],
    )
    institution.refresh_from_db()
    assert institution.name == "Kurum Yeni"
    assert list(institution.units.values_list("pk", flat=True)) == [merkez_pk]
    assert Entitlement.objects.get(institution=institution, program=program).category.code == "1"
