"""Programs and their category tables: a table's validation, the band a count of active users
falls into, and a new program copied from an existing one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from entitlements.models import Category, Program
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.services import service


@dataclass(frozen=True)
class Band:
    code: str
    min_users: int
    max_users: int


def category_table_validate(*, bands: Sequence[Band]) -> None:
    """Refuse a table whose bands overlap, leave a gap, or do not start at one user.

    Raises ``category_table_invalid`` naming every offending pair of bands.
    """
    problems: list[str] = []
    if not bands:
        problems.append(_("The table has no bands."))
    ordered = sorted(bands, key=lambda b: (b.min_users, b.max_users))
    for band in ordered:
        if band.min_users > band.max_users:
            problems.append(
                _("Band %(code)s: the lower bound %(min)s is above the upper bound %(max)s.")
                % {"code": band.code, "min": band.min_users, "max": band.max_users}
            )
    if ordered and ordered[0].min_users != 1:
        problems.append(
            _("Band %(code)s starts at %(min)s: the first band must start at 1 active user.")
            % {"code": ordered[0].code, "min": ordered[0].min_users}
        )
    for lower, upper in pairwise(ordered):
        if upper.min_users <= lower.max_users:
            problems.append(
                _("Bands %(a)s (%(a_min)s–%(a_max)s) and %(b)s (%(b_min)s–%(b_max)s) overlap.")
                % {
                    "a": lower.code,
                    "a_min": lower.min_users,
                    "a_max": lower.max_users,
                    "b": upper.code,
                    "b_min": upper.min_users,
                    "b_max": upper.max_users,
                }
            )
        elif upper.min_users > lower.max_users + 1:
            problems.append(
                _("Between bands %(a)s (up to %(a_max)s) and %(b)s (from %(b_min)s) there is a gap of %(from)s–%(to)s.")
                % {
                    "a": lower.code,
                    "a_max": lower.max_users,
                    "b": upper.code,
                    "b_min": upper.min_users,
                    "from": lower.max_users + 1,
                    "to": upper.min_users - 1,
                }
            )
    codes = [b.code for b in bands]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(_("Band code %(code)s is used twice.") % {"code": code})
    if problems:
        raise RuleViolation(
            Code.CATEGORY_TABLE_INVALID,
            _("The category table is invalid: %(problems)s") % {"problems": " ".join(problems)},
            fields={"categories": problems},
        )


def category_for(*, program: Program, active_users: int) -> Category | None:
    """The band that ``active_users`` falls into, or ``None`` (0 users, or above the last band)."""
    return program.categories.filter(min_users__lte=active_users, max_users__gte=active_users).first()


@service
def program_copy(*, program: Program, name: str, year: int, by: User | None = None) -> Program:
    """Start a new program from an existing one: its figures and its category table, closed for now."""
    new = Program.objects.create(
        name=name,
        year=year,
        is_open=False,
        trainee_target=program.trainee_target,
        notice_days=program.notice_days,
        classroom_size=program.classroom_size,
        classroom_quota=program.classroom_quota,
    )
    Category.objects.bulk_create(
        Category(
            program=new,
            code=c.code,
            name=c.name,
            min_users=c.min_users,
            max_users=c.max_users,
            hours=c.hours,
            delivery=c.delivery,
            certificate_rule=c.certificate_rule,
        )
        for c in program.categories.all()
    )
    return new
