"""Usage above the right, stored on the entitlement (docs/domain.md, "Usage above the right").

Usage is counted from the facts (``sessions.selectors.usage``); what is stored is the occurrence:
``Entitlement.usage_above_right_since`` while the institution's usage is above its right, and
``usage_above_right_notified_at`` once its account manager (or programme staff) has been e-mailed.

- ``entitlements_usage_check`` recounts some entitlements under their row locks and sets or clears
  the occurrence. It runs in a task (``sessions.tasks.check_usage_above_right``), queued after a
  recomputation moved rows to another band (``entitlements.signals.entitlements_rebanded``, heard in
  ``sessions.receivers``) and after a write that lowers the usage of a flagged entitlement
  (``usage_check_queue``);
- ``entitlement_usage_notify`` sends the e-mail of an occurrence once, in its own task.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from entitlements.models import Entitlement, EntitlementFlag
from kamusm_portal.locking import lock, lock_one
from kamusm_portal.services import service
from sessions import notifications, tasks
from sessions.models import Reservation
from sessions.selectors.usage import usage_of


@service
def entitlements_usage_check(*, entitlement_ids: Iterable[int], by: User | None = None) -> list[int]:
    """Recount the usage of the given entitlements and store what it says: an entitlement whose
    usage is now above its right (``Usage.flag`` reads ``usage_above_right``) gets
    ``usage_above_right_since`` if it had none, and its e-mail is queued after commit; one whose
    usage no longer is has both fields cleared (a later occurrence is a new one, e-mailed again).
    Answers the ids newly flagged. Locks the entitlement rows (in id order), then counts."""
    rows = lock(Entitlement.objects.select_related("category", "program").filter(pk__in=sorted(set(entitlement_ids))))
    if not rows:
        return []
    usage = usage_of(rows)
    now = timezone.now()
    flagged = []
    for entitlement in rows:
        above = usage[(entitlement.institution_id, entitlement.program_id)].flag == EntitlementFlag.USAGE_ABOVE_RIGHT
        if above and entitlement.usage_above_right_since is None:
            entitlement.usage_above_right_since = now
            entitlement.usage_above_right_notified_at = None
            entitlement._change_reason = "usage above the right"
            entitlement.save(update_fields=["usage_above_right_since", "usage_above_right_notified_at"])
            tasks.send_usage_above_right.delay_on_commit(entitlement.pk)
            flagged.append(entitlement.pk)
        elif not above and entitlement.usage_above_right_since is not None:
            entitlement.usage_above_right_since = None
            entitlement.usage_above_right_notified_at = None
            entitlement._change_reason = "usage within the right again"
            entitlement.save(update_fields=["usage_above_right_since", "usage_above_right_notified_at"])
    return flagged


def usage_check_queue(entitlement: Entitlement | None) -> None:
    """After a write that lowers an institution's usage in a program, under its entitlement row's
    lock: queue the check after commit when the row holds an occurrence, and do nothing (no
    query) when it does not."""
    if entitlement is not None and entitlement.usage_above_right_since is not None:
        tasks.check_usage_above_right.delay_on_commit([entitlement.pk])


def flagged_entitlements_of(reservations: QuerySet[Reservation]) -> list[int]:
    """The flagged entitlements of the institutions and programs of ``reservations`` (one query):
    after a write that frees many institutions' seats at once (a session cancelled, waiting places
    expired)."""
    concerned = reservations.filter(
        institution_id=OuterRef("institution_id"), session__program_id=OuterRef("program_id")
    )
    return list(
        Entitlement.objects.filter(usage_above_right_since__isnull=False)
        .filter(Exists(concerned))
        .values_list("pk", flat=True)
    )


@service
def entitlement_usage_notify(*, entitlement_id: int) -> int:
    """E-mail an occurrence of usage above the right once: to the institution's account manager,
    or to every programme-staff user with an e-mail when it has none (or theirs cannot be
    reached), then stamp ``usage_above_right_notified_at``. Nothing when the occurrence is over or
    already told, so the task may run again. Answers the e-mails sent. Locks the entitlement row
    while it sends, so two runs never both send."""
    entitlement = lock_one(
        Entitlement.objects.select_related("category", "program", "institution__account_manager").filter(
            pk=entitlement_id
        )
    )
    if (
        entitlement is None
        or entitlement.usage_above_right_since is None
        or entitlement.usage_above_right_notified_at is not None
    ):
        return 0
    usage = usage_of([entitlement])[(entitlement.institution_id, entitlement.program_id)]
    sent = notifications.usage_above_right_send(entitlement=entitlement, usage=usage)
    entitlement.usage_above_right_notified_at = timezone.now()
    entitlement._change_reason = "usage above the right e-mailed"
    entitlement.save(update_fields=["usage_above_right_notified_at"])
    return sent
