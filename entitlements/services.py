"""Every write and business rule of the entitlements app."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, IsNull
from django.utils import timezone
from django.utils.translation import gettext as _

from entitlements.models import (
    Category,
    District,
    Entitlement,
    EntitlementFlag,
    Institution,
    Official,
    Program,
    Province,
    Unit,
    UnitLevel,
)
from kamusm_portal.db import history_copy
from kamusm_portal.errors import RuleViolation

User = get_user_model()


# --- Category tables ------------------------------------------------------------------------


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
            "category_table_invalid",
            _("The category table is invalid: %(problems)s") % {"problems": " ".join(problems)},
            fields={"categories": problems},
        )


def category_for(*, program: Program, active_users: int) -> Category | None:
    """The band that ``active_users`` falls into, or ``None`` (0 users, or above the last band)."""
    return program.categories.filter(min_users__lte=active_users, max_users__gte=active_users).first()


@transaction.atomic
def program_copy(*, program: Program, name: str, year: int, by: AbstractBaseUser | None = None) -> Program:
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


# --- Units and institutions -----------------------------------------------------------------


@dataclass
class UnitData:
    level: str
    name: str
    province: Province | None = None
    district: District | None = None
    active_users: int = 0


def unit_validate(*, level: str, province: Province | None, district: District | None, active_users: int) -> None:
    """Province required below the centre, district required for (and only for) a district unit,
    and the district must lie in the province."""
    errors: dict[str, list[str]] = {}
    if level not in UnitLevel.values:
        errors.setdefault("level", []).append(_("Unknown unit level %(level)s.") % {"level": level})
    if level in (UnitLevel.IL, UnitLevel.ILCE) and province is None:
        errors.setdefault("province", []).append(_("A provincial or district unit needs a province."))
    if level == UnitLevel.ILCE and district is None:
        errors.setdefault("district", []).append(_("A district unit needs a district."))
    if level != UnitLevel.ILCE and district is not None:
        errors.setdefault("district", []).append(_("Only a district unit has a district."))
    if district is not None and province is not None and district.province_id != province.pk:
        errors.setdefault("district", []).append(
            _("District %(district)s is not in province %(province)s.")
            % {"district": district.name, "province": province.name}
        )
    if active_users is None or active_users < 0:
        errors.setdefault("active_users", []).append(_("Active users must be a whole number, 0 or more."))
    if errors:
        first = next(iter(errors.values()))[0]
        raise RuleViolation("invalid", first, fields=errors)


def unit_merkez_taken(*, institution: Institution, exclude_pk: int | None = None) -> bool:
    """Whether the institution already has its one central unit (other than ``exclude_pk``)."""
    qs = Unit.objects.filter(institution=institution, level=UnitLevel.MERKEZ)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _units_validate(units: Sequence[UnitData]) -> None:
    merkez = [u for u in units if u.level == UnitLevel.MERKEZ]
    if len(merkez) != 1:
        raise RuleViolation(
            "invalid",
            _("An institution has exactly one central (merkez) unit; %(n)s were given.") % {"n": len(merkez)},
            fields={"units": [_("Exactly one central (merkez) unit is required.")]},
        )
    for index, unit in enumerate(units):
        try:
            unit_validate(
                level=unit.level, province=unit.province, district=unit.district, active_users=unit.active_users
            )
        except RuleViolation as exc:
            raise RuleViolation(exc.code, exc.message, fields={"units": {index: exc.fields}}) from exc


def _code_unique(code: str, *, exclude_pk: int | None = None) -> None:
    qs = Institution.objects.filter(code=code)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise RuleViolation(
            "invalid",
            _("An institution with code %(code)s already exists.") % {"code": code},
            fields={"code": [_("This code is already used.")]},
        )


@transaction.atomic
def institution_create(
    *,
    name: str,
    code: str,
    kind: str,
    units: Sequence[UnitData],
    account_manager: AbstractBaseUser | None = None,
    is_active: bool = True,
    by: AbstractBaseUser | None = None,
) -> Institution:
    """Create an institution with its units (exactly one central) and compute its entitlements."""
    _code_unique(code)
    _units_validate(units)
    institution = Institution.objects.create(
        name=name, code=code, kind=kind, account_manager=account_manager, is_active=is_active
    )
    for unit in units:
        Unit.objects.create(institution=institution, **unit.__dict__)
    entitlement_recompute(institutions=Institution.objects.filter(pk=institution.pk), by=by, reason="created")
    return institution


@transaction.atomic
def institution_update(
    *,
    institution: Institution,
    data: dict[str, Any],
    units: Sequence[UnitData] | None = None,
    by: AbstractBaseUser | None = None,
) -> Institution:
    """Change an institution's fields; when ``units`` is given, they replace its units
    (matched on level, province, district and name, so unchanged units keep their history)."""
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    if "code" in data and data["code"] != institution.code:
        _code_unique(data["code"], exclude_pk=institution.pk)
    fields = [f for f in ("name", "code", "kind", "account_manager", "is_active") if f in data]
    for field in fields:
        setattr(institution, field, data[field])
    if fields:
        institution.save(update_fields=fields)
    if units is not None:
        _units_validate(units)
        existing = {_unit_key(u.level, u.province_id, u.district_id, u.name): u for u in institution.units.all()}
        wanted = {
            _unit_key(
                unit.level,
                unit.province.pk if unit.province else None,
                unit.district.pk if unit.district else None,
                unit.name,
            ): unit
            for unit in units
        }
        # Dropped units go first, so a new unit never meets the one it replaces.
        for key, current in existing.items():
            if key not in wanted:
                current.delete()
        for key, unit in wanted.items():
            current = existing.get(key)
            if current is None:
                Unit.objects.create(institution=institution, **unit.__dict__)
                continue
            changed = [
                f for f in ("name", "province", "district", "active_users") if getattr(current, f) != getattr(unit, f)
            ]
            for field in changed:
                setattr(current, field, getattr(unit, field))
            if changed:
                current.save(update_fields=changed)
        entitlement_recompute(institutions=Institution.objects.filter(pk=institution.pk), by=by, reason="units changed")
    return institution


def _unit_key(level: str, province_id: int | None, district_id: int | None, name: str) -> tuple:
    """The one central unit is matched on its level alone, so renaming it keeps its row and history."""
    if level == UnitLevel.MERKEZ:
        return (level,)
    return (level, province_id or 0, district_id or 0, name)


# --- Officials ------------------------------------------------------------------------------


def account_create(
    *, username: str, email: str, first_name: str = "", last_name: str = "", password: str | None = None, **flags
) -> User:
    """A new user account for a person the portal knows (an official, a trainer).

    The username must be free; a given password must pass the validators. Without one the
    account gets an unusable password and a set-password link is e-mailed after commit.
    """
    from entitlements.tasks import send_set_password_email

    if User.objects.filter(username=username).exists():
        raise RuleViolation(
            "invalid",
            _("The username %(username)s is taken.") % {"username": username},
            fields={"username": [_("This username is taken.")]},
        )
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, **flags)
    if password:
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise RuleViolation("invalid", " ".join(exc.messages), fields={"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if not password:
        send_set_password_email.delay_on_commit(user.pk)
    return user


@transaction.atomic
def official_create(
    *,
    institution: Institution,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    by: AbstractBaseUser | None = None,
) -> User:
    """Make a new user an official of ``institution`` (``account_create``: without a password,
    a set-password link is e-mailed after commit)."""
    user = account_create(username=username, email=email, first_name=first_name, last_name=last_name, password=password)
    Official.objects.create(user=user, institution=institution)
    return user


# --- The entitlement ledger -----------------------------------------------------------------


def _total_users(institution_ref) -> Coalesce:
    return Coalesce(
        Subquery(
            Unit.objects.filter(institution_id=institution_ref)
            .order_by()
            .values("institution_id")
            .annotate(total=Sum("active_users"))
            .values("total")
        ),
        Value(0),
    )


@transaction.atomic
def entitlement_recompute(
    *,
    institutions: QuerySet[Institution] | None = None,
    programs: Iterable[Program] | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "recomputed",
) -> int:
    """Recompute the entitlements of some institutions (``None``: all) in the open programs.

    Set-based: per program one INSERT for missing rows, one UPDATE of the rows whose total, band
    or flag changed, and one INSERT of their history rows (who, when, from what total), so the
    number of queries does not grow with the number of institutions. Only rows that change get
    a history row. Usage (reservations, sessions) is never touched. Returns the rows changed.
    """
    if programs is None:
        programs = Program.objects.filter(is_open=True)
    now = timezone.now()
    changed = 0
    for program in programs:
        _entitlement_rows_ensure(program=program, institutions=institutions)
        total = _total_users(OuterRef("institution_id"))
        inner_total = _total_users(OuterRef(OuterRef("institution_id")))
        band = Subquery(
            Category.objects.filter(program_id=program.pk, min_users__lte=inner_total, max_users__gte=inner_total)
            .order_by("min_users")
            .values("id")[:1]
        )
        flag = Case(
            When(Exact(total, 0), then=Value(EntitlementFlag.NO_USERS.value)),
            When(IsNull(band, True), then=Value(EntitlementFlag.ABOVE_LAST_BAND.value)),
            default=Value(""),
        )
        rows = Entitlement.objects.filter(program=program)
        if institutions is not None:
            rows = rows.filter(institution__in=institutions.values("pk"))
        stale = rows.alias(
            new_total=total,
            new_band=Coalesce(band, Value(0)),
            old_band=Coalesce(F("category_id"), Value(0)),
            new_flag=flag,
        ).filter(~Q(total_active_users=F("new_total")) | ~Q(old_band=F("new_band")) | ~Q(flag=F("new_flag")))
        count = Entitlement.objects.filter(pk__in=stale.values("pk")).update(
            previous_total_active_users=F("total_active_users"),
            total_active_users=total,
            category_id=band,
            flag=flag,
            recomputed_at=now,
        )
        if count:
            history_copy(
                Entitlement.objects.filter(program=program, recomputed_at=now),
                when=now,
                user_id=by.pk if by is not None else None,
                reason=reason,
            )
        changed += count
    return changed


def _entitlement_rows_ensure(*, program: Program, institutions: QuerySet[Institution] | None) -> None:
    """One INSERT … SELECT for the institutions that have no row in ``program`` yet."""
    candidates = Institution.objects.exclude(entitlements__program=program)
    if institutions is not None:
        candidates = candidates.filter(pk__in=institutions.values("pk"))
    select_sql, params = (
        candidates.order_by()
        .annotate(
            _program=Value(program.pk),
            _total=Value(0),
            _flag=Value(""),
        )
        .values_list("_program", "pk", "_total", "_flag")
        .query.sql_with_params()
    )
    table = connection.ops.quote_name(Entitlement._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (program_id, institution_id, total_active_users, flag) {select_sql}",
            params,
        )
