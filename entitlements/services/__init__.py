"""Every write and business rule of the entitlements app, one module per subject:

- ``programs``: category tables (their validation, the band of a count of users) and copying a program;
- ``institutions``: institutions and their units;
- ``accounts``: user accounts of the people the portal knows, and making one an official;
- ``ledger``: the entitlement ledger, recomputed from the units' active users.

Callers import from here: ``from entitlements.services import institution_create``.
"""

from entitlements.services.accounts import account_create, account_errors, official_create
from entitlements.services.institutions import (
    UnitData,
    institution_create,
    institution_update,
    total_users_too_large,
    unit_merkez_taken,
    unit_validate,
)
from entitlements.services.ledger import entitlement_recompute
from entitlements.services.programs import Band, category_for, category_table_validate, program_copy

__all__ = [
    "Band",
    "UnitData",
    "account_create",
    "account_errors",
    "category_for",
    "category_table_validate",
    "entitlement_recompute",
    "institution_create",
    "institution_update",
    "official_create",
    "program_copy",
    "total_users_too_large",
    "unit_merkez_taken",
    "unit_validate",
]
