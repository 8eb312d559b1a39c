"""The category table: the letter's bands, their boundaries, and tables refused when invalid."""

import pytest

from entitlements.models import Category
from entitlements.services import Band, category_for, category_table_validate
from kamusm_portal.errors import RuleViolation

BOUNDARIES = [
    (0, None),
    (1, "STANDARD"),
    (100, "STANDARD"),
    (101, "1"),
    (1_000, "1"),
    (1_001, "2"),
    (10_000, "2"),
    (10_001, "3"),
    (50_000, "3"),
    (50_001, "4"),
    (100_000, "4"),
    (100_001, "5"),
    (1_000_000, "5"),
    (1_000_001, None),
]


@pytest.mark.parametrize(("users", "code"), BOUNDARIES)
def test_every_band_boundary_falls_in_the_letters_band(program, users, code):
    band = category_for(program=program, active_users=users)
    assert (band.code if band else None) == code


def test_the_2012_table_is_seeded_with_hours_delivery_and_certificate_rule(program):
    rows = list(program.categories.order_by("min_users").values_list("code", "hours", "delivery", "certificate_rule"))
    assert rows == [
        ("STANDARD", 4, "classroom", "attended"),
        ("1", 8, "onsite", "full"),
        ("2", 12, "onsite", "full"),
        ("3", 16, "onsite", "full"),
        ("4", 20, "onsite", "full"),
        ("5", 24, "onsite", "full"),
    ]
    assert (program.trainee_target, program.notice_days, program.classroom_size, program.classroom_quota) == (
        4000,
        21,
        24,
        6,
    )
    assert program.is_open


def test_the_seeded_table_is_valid(program):
    category_table_validate(bands=[Band(c.code, c.min_users, c.max_users) for c in Category.objects.all()])


def test_overlapping_bands_are_refused_naming_both():
    with pytest.raises(RuleViolation) as exc:
        category_table_validate(bands=[Band("A", 1, 100), Band("B", 90, 200)])
    assert exc.value.code == "category_table_invalid"
    assert "A" in exc.value.message and "B" in exc.value.message


def test_a_gap_between_bands_is_refused_naming_both():
    with pytest.raises(RuleViolation) as exc:
        category_table_validate(bands=[Band("A", 1, 100), Band("B", 102, 200)])
    assert exc.value.code == "category_table_invalid"
    assert "A" in exc.value.message and "B" in exc.value.message and "101" in exc.value.message


def test_a_table_not_starting_at_one_user_is_refused():
    with pytest.raises(RuleViolation) as exc:
        category_table_validate(bands=[Band("A", 5, 100)])
    assert exc.value.code == "category_table_invalid"


def test_touching_bands_are_valid():
    category_table_validate(bands=[Band("B", 101, 200), Band("A", 1, 100)])


def test_an_empty_table_is_refused():
    with pytest.raises(RuleViolation):
        category_table_validate(bands=[])
