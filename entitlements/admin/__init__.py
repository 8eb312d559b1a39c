"""The centre's screens for programs, tables, institutions, units, officials and entitlements,
one module per subject:

- ``programs``: programs and their category tables;
- ``places``: provinces and their districts (reference data);
- ``institutions``: institutions, their units and officials, and the import of user counts;
- ``ledger``: the entitlements, recomputed rather than edited;
- ``accounts``: Django's user screens, under the rules of any input for names and e-mails.

Every write that carries a rule goes through ``entitlements.services``. Each module registers its
screens; importing this package (as Django's admin autodiscovery does) registers them all.
"""

from entitlements.admin import accounts, institutions, ledger, places, programs

__all__ = ["accounts", "institutions", "ledger", "places", "programs"]
