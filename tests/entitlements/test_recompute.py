"""The entitlement ledger: one service recomputes one institution or all, and keeps history."""

import pytest

from entitlements.models import Entitlement, EntitlementFlag, Institution, Program, Unit
from entitlements.services import entitlement_recompute, program_copy
from tests.entitlements.factories import InstitutionFactory, UserFactory


def _entitlement(institution, program):
    return Entitlement.objects.select_related("category").get(institution=institution, program=program)


def test_recompute_all_makes_a_row_per_institution_and_open_program(program):
    institutions = [InstitutionFactory(merkez_users=n) for n in (0, 50, 5_000, 2_000_000)]
    entitlement_recompute()
    rows = {e.institution_id: e for e in Entitlement.objects.select_related("category")}
    assert [rows[i.pk].category.code if rows[i.pk].category else None for i in institutions] == [
        None,
        "STANDARD",
        "2",
        None,
    ]
    assert [rows[i.pk].flag for i in institutions] == [
        EntitlementFlag.NO_USERS,
        "",
        "",
        EntitlementFlag.ABOVE_LAST_BAND,
    ]


def test_above_the_last_band_is_flagged_not_clamped(program):
    institution = InstitutionFactory(merkez_users=1_000_001)
    entitlement_recompute()
    entitlement = _entitlement(institution, program)
    assert entitlement.category is None
    assert entitlement.right.hours == entitlement.band_hours == 0
    assert entitlement.flag == EntitlementFlag.ABOVE_LAST_BAND


def test_recompute_one_institution_leaves_the_others(program):
    one, other = InstitutionFactory(merkez_users=10), InstitutionFactory(merkez_users=10)
    entitlement_recompute()
    Unit.objects.filter(institution__in=[one, other]).update(active_users=500)
    entitlement_recompute(institutions=Institution.objects.filter(pk=one.pk))
    assert _entitlement(one, program).category.code == "1"
    assert _entitlement(other, program).category.code == "STANDARD"


def test_each_recomputation_that_changes_a_row_is_kept_in_history_with_who_and_from_what(program):
    staff = UserFactory(is_staff=True)
    institution = InstitutionFactory(merkez_users=80)
    entitlement_recompute()
    Unit.objects.filter(institution=institution).update(active_users=120)
    entitlement_recompute(by=staff, reason="manual")
    entitlement = _entitlement(institution, program)
    assert (entitlement.previous_total_active_users, entitlement.total_active_users) == (80, 120)
    latest = entitlement.history.order_by("-history_id").first()
    assert latest.history_user == staff
    assert latest.history_change_reason == "manual"
    assert latest.total_active_users == 120
    assert latest.previous_total_active_users == 80
    assert latest.category.code == "1"
    assert latest.history_date is not None
    assert entitlement.history.count() == 2


def test_a_recomputation_that_changes_nothing_writes_no_history(program):
    institution = InstitutionFactory(merkez_users=80)
    entitlement_recompute()
    before = _entitlement(institution, program).history.count()
    assert entitlement_recompute() == 0
    assert _entitlement(institution, program).history.count() == before


def test_a_changed_table_changes_the_band_without_a_change_of_users(program):
    institution = InstitutionFactory(merkez_users=100)
    entitlement_recompute()
    program.categories.filter(code="STANDARD").update(max_users=99)
    program.categories.filter(code="1").update(min_users=100)
    assert entitlement_recompute() == 1
    assert _entitlement(institution, program).category.code == "1"


def test_recompute_runs_a_fixed_number_of_queries(program, django_assert_max_num_queries):
    def run(n):
        for _ in range(n):
            InstitutionFactory(merkez_users=150)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            entitlement_recompute()
        return len(ctx.captured_queries)

    assert run(5) == run(50)
    with django_assert_max_num_queries(8):
        entitlement_recompute()


def test_closed_programs_are_not_recomputed(program):
    closed = program_copy(program=program, name="2013", year=2013)
    InstitutionFactory(merkez_users=10)
    entitlement_recompute()
    assert not Entitlement.objects.filter(program=closed).exists()
    closed.is_open = True
    closed.save()
    entitlement_recompute()
    assert Entitlement.objects.filter(program=closed).count() == 1


def test_program_copy_copies_the_table(program):
    copy = program_copy(program=program, name="Eğitim Promosyonu 2013", year=2013)
    assert copy.categories.count() == 6
    assert not copy.is_open
    assert Program.objects.count() == 2


@pytest.mark.parametrize("users", [0, 100, 101])
def test_recompute_never_deletes_rows(program, users):
    institution = InstitutionFactory(merkez_users=150)
    entitlement_recompute()
    Unit.objects.filter(institution=institution).update(active_users=users)
    entitlement_recompute()
    assert Entitlement.objects.filter(institution=institution).count() == 1
