"""E-mails and periodic work of sessions and requests: thin tasks that re-fetch and call a service.

The e-mail tasks run on the ``email`` queue (settings.CELERY_TASK_ROUTES), away from PDFs. Queued
with ``delay_on_commit``, they never fail the write that queued them: a worker retries them with
backoff, and what fails in process or cannot be queued is kept in the outbox and tried again
(``kamusm_portal.tasks``). A batch goes one e-mail at a time: a retry sends again only those that
failed (``only``, their addresses; ``Task.unsent_retry``), and one the mail server refused for good
(5xx) is not retried but kept given up in the outbox for staff.
"""

from celery import shared_task

EMAIL_RETRY = {"bind": True, "acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**EMAIL_RETRY)
def send_session_announced(self, session_id: int, only: list[str] | None = None) -> None:
    from sessions import notifications

    self.unsent_retry(
        notifications.session_announced_send(session_id=session_id, only=only),
        lambda keys: ((session_id,), {"only": keys}),
    )


@shared_task(**EMAIL_RETRY)
def send_reservations_made(self, reservation_ids: list[int], only: list[str] | None = None) -> None:
    from sessions import notifications

    self.unsent_retry(
        notifications.reservations_made_send(reservation_ids=reservation_ids, only=only),
        lambda keys: ((reservation_ids,), {"only": keys}),
    )


@shared_task(**EMAIL_RETRY)
def send_reservation_promoted(self, reservation_id: int, only: list[str] | None = None) -> None:
    from sessions import notifications

    self.unsent_retry(
        notifications.reservation_promoted_send(reservation_id=reservation_id, only=only),
        lambda keys: ((reservation_id,), {"only": keys}),
    )


@shared_task(**EMAIL_RETRY)
def send_session_cancelled(self, session_id: int, reservation_ids: list[int], only: list[str] | None = None) -> None:
    from sessions import notifications

    self.unsent_retry(
        notifications.session_cancelled_send(session_id=session_id, reservation_ids=reservation_ids, only=only),
        lambda keys: ((session_id, reservation_ids), {"only": keys}),
    )


@shared_task(acks_late=True, outbox=False)
def expire_waitlists() -> int:
    """Periodic (celery beat): waiting lists of sessions that have started expire."""
    from sessions.services import waitlists_expire

    return waitlists_expire()


@shared_task(**EMAIL_RETRY)
def send_request_submitted(self, request_id: int, only: list[str] | None = None) -> None:
    from sessions import notifications

    self.unsent_retry(
        notifications.request_submitted_send(request_id=request_id, only=only),
        lambda keys: ((request_id,), {"only": keys}),
    )


@shared_task(**EMAIL_RETRY)
def send_request_rejected(self, request_id: int, only: list[str] | None = None) -> None:
    from sessions import notifications

    self.unsent_retry(
        notifications.request_rejected_send(request_id=request_id, only=only),
        lambda keys: ((request_id,), {"only": keys}),
    )


@shared_task(**EMAIL_RETRY)
def send_onsite_scheduled(self, session_id: int, only: list[str] | None = None) -> None:
    from sessions import notifications

    self.unsent_retry(
        notifications.onsite_session_send(session_id=session_id, template="onsite_scheduled", only=only),
        lambda keys: ((session_id,), {"only": keys}),
    )


@shared_task(**EMAIL_RETRY)
def send_onsite_cancelled(self, session_id: int, only: list[str] | None = None) -> None:
    from sessions import notifications

    self.unsent_retry(
        notifications.onsite_session_send(session_id=session_id, template="onsite_cancelled", only=only),
        lambda keys: ((session_id,), {"only": keys}),
    )


USAGE_CHECK_BATCH = 500
"""Entitlements recounted per transaction: the check after a recomputation of a whole program stays
in bounded statements and short locks."""


@shared_task(acks_late=True)
def check_usage_above_right(entitlement_ids: list[int]) -> None:
    """Recount these entitlements and store (or clear) usage above the right, a batch per transaction."""
    from sessions.services import entitlements_usage_check

    ids = sorted(set(entitlement_ids))
    for start in range(0, len(ids), USAGE_CHECK_BATCH):
        entitlements_usage_check(entitlement_ids=ids[start : start + USAGE_CHECK_BATCH])


@shared_task(**{**EMAIL_RETRY, "bind": False})
def send_usage_above_right(entitlement_id: int) -> None:
    """E-mail an occurrence of usage above the right once (nothing if told already or over)."""
    from sessions.services import entitlement_usage_notify

    entitlement_usage_notify(entitlement_id=entitlement_id)
