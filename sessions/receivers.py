"""What the sessions app does when a lower layer signals (connected in ``TrainingSessionsConfig.ready``).

A receiver decides nothing: it queues the task that calls the service (docs/architecture.md,
"Signals up the layers").
"""

from __future__ import annotations

from typing import Any


def entitlements_rebanded_check(sender: Any, *, entitlement_ids: list[int], **kwargs: Any) -> None:
    """A recomputation moved these entitlements to another band (sent after its commit): recount
    their usage against the new right (``sessions.services.entitlements_usage_check``)."""
    from sessions import tasks

    tasks.check_usage_above_right.delay_on_commit(list(entitlement_ids))
