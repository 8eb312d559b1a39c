"""Signals the entitlements app sends to the layers above it, which it may not import.

``entitlements_rebanded`` is how the ledger says, after its transaction commits, that a
recomputation moved existing entitlement rows to another band (or to none): their right changed, so
usage counted above this layer may now be above it, or back within it. The sessions layer listens
(``sessions.receivers``) and queues its check; no rule is decided in a receiver
(docs/architecture.md, "Signals up the layers").
"""

from django.dispatch import Signal

entitlements_rebanded = Signal()
"""Sent with ``entitlement_ids`` (a list of ``Entitlement`` ids), after commit, by ``sender=Entitlement``."""
