"""Institutions and their units: a unit's rules, creating an institution with its units (exactly
one central) and changing it, each followed by a recompute of its entitlements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from entitlements.models import MAX_ACTIVE_USERS, District, Institution, Province, Unit, UnitLevel
from entitlements.services.ledger import entitlement_recompute
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import lock_one
from kamusm_portal.services import service
from kamusm_portal.validators import field_errors, refuse


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
        raise RuleViolation(Code.INVALID, first, fields=errors)


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
            Code.ONE_CENTRAL_UNIT,
            _("An institution has exactly one central (merkez) unit; %(n)s were given.") % {"n": len(merkez)},
            fields={"units": [_("Exactly one central (merkez) unit is required.")]},
        )
    for index, unit in enumerate(units):
        errors = field_errors(Unit, {"name": unit.name})
        try:
            unit_validate(
                level=unit.level, province=unit.province, district=unit.district, active_users=unit.active_users
            )
        except RuleViolation as exc:
            errors = {**exc.fields, **errors}
        if errors:
            refuse({"units": {index: errors}})
    total = sum(unit.active_users for unit in units)
    if total > MAX_ACTIVE_USERS:
        refuse({"units": [total_users_too_large(total)]})


def total_users_too_large(total: int) -> str:
    """The refusal of a total of active users the ledger cannot hold (``MAX_ACTIVE_USERS``)."""
    return _("The units count %(total)s active users together; at most %(max)s can be recorded.") % {
        "total": total,
        "max": MAX_ACTIVE_USERS,
    }


def _code_unique(code: str, *, exclude_pk: int | None = None) -> None:
    qs = Institution.objects.filter(code=code)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise RuleViolation(
            Code.DUPLICATE_INSTITUTION_CODE,
            _("An institution with code %(code)s already exists.") % {"code": code},
            fields={"code": [_("This code is already used.")]},
        )


@service
def institution_create(
    *,
    name: str,
    code: str,
    kind: str,
    units: Sequence[UnitData],
    account_manager: User | None = None,
    is_active: bool = True,
    by: User | None = None,
) -> Institution:
    """Create an institution with its units (exactly one central) and compute its entitlements."""
    refuse(field_errors(Institution, {"name": name}))
    _code_unique(code)
    _units_validate(units)
    institution = Institution.objects.create(
        name=name, code=code, kind=kind, account_manager=account_manager, is_active=is_active
    )
    for unit in units:
        Unit.objects.create(institution=institution, **unit.__dict__)
    entitlement_recompute(institutions=Institution.objects.filter(pk=institution.pk), by=by, reason="created")
    return institution


@service
def institution_update(
    *,
    institution: Institution,
    data: dict[str, Any],
    units: Sequence[UnitData] | None = None,
    by: User | None = None,
) -> Institution:
    """Change an institution's fields; when ``units`` is given, they replace its units
    (matched on level, province, district and name, so unchanged units keep their history)."""
    locked = lock_one(Institution.objects.filter(pk=institution.pk))
    if locked is None:
        raise Institution.DoesNotExist
    institution = locked
    if "name" in data and data["name"] != institution.name:  # a stored name stays until it is changed
        refuse(field_errors(Institution, {"name": data["name"]}))
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
            kept = existing.get(key)
            if kept is None:
                Unit.objects.create(institution=institution, **unit.__dict__)
                continue
            changed = [
                f for f in ("name", "province", "district", "active_users") if getattr(kept, f) != getattr(unit, f)
            ]
            for field in changed:
                setattr(kept, field, getattr(unit, field))
            if changed:
                kept.save(update_fields=changed)
        entitlement_recompute(institutions=Institution.objects.filter(pk=institution.pk), by=by, reason="units changed")
    return institution


def _unit_key(level: str, province_id: int | None, district_id: int | None, name: str) -> tuple[str | int, ...]:
    """The one central unit is matched on its level alone, so renaming it keeps its row and history."""
    if level == UnitLevel.MERKEZ:
        return (level,)
    return (level, province_id or 0, district_id or 0, name)
