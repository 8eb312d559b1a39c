"""Certificate PDFs, rendered and signed on the ``pdf`` queue, and the participant's e-mail on the
``email`` queue (settings.CELERY_TASK_ROUTES). Thin tasks: they take a primary key, re-fetch and call
``certificates.rendering`` / ``certificates.notifications``."""

import logging

from celery import current_app, shared_task
from celery.signals import worker_process_init

logger = logging.getLogger(__name__)

# A render that fails is not kept in the outbox (kamusm_portal.tasks): the certificate stays pending
# or failed, and the sweep queues it again.
RENDER_OPTIONS = {
    "outbox": False,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 8,
}


@shared_task(**RENDER_OPTIONS)
def render_certificates(certificate_ids: list[int], force: bool = False) -> dict[str, str]:
    """Render and sign a batch of certificates' PDFs (``certificates.services.render_later_many``
    queues a session's in batches). Idempotent: a ready certificate is left as it is (unless
    ``force``), a revoked one is never rendered. Answers what happened to each, by id."""
    from certificates.services import certificates_render

    done = certificates_render(certificate_ids=list(certificate_ids), force=force)
    return {str(pk): outcome for pk, outcome in done.items()}


# Kept for messages queued before the batches (a worker drops a task whose name it does not know).
@shared_task(**RENDER_OPTIONS)
def render_certificate(certificate_id: int, force: bool = False) -> str:
    """Render and sign one certificate's PDF (``render_certificates`` of one)."""
    from certificates.services import certificate_render

    return certificate_render(certificate_id=certificate_id, force=force)


@shared_task(acks_late=True, outbox=False)
def sweep_certificates() -> int:
    """Periodic (celery beat): queue again the certificates left pending or failed for a while
    (the broker was down when attendance was saved, or a worker died mid-render)."""
    from certificates.services import certificates_stale_requeue

    return certificates_stale_requeue()


EMAIL_OPTIONS = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True}
EMAIL_MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_MAX_RETRIES)
def send_certificates_ready(self, certificate_ids: list[int]) -> int:
    """E-mail the participants of a batch that their certificates are ready, with the verification
    links, over one connection. Those that could not be sent are retried with backoff, and only
    they: the others are not e-mailed twice (``Task.unsent_retry``; one the mail server refused for
    good is kept given up in the outbox)."""
    from certificates.notifications import certificates_ready_send

    outcome = certificates_ready_send(certificate_ids=list(certificate_ids))
    self.unsent_retry(outcome, lambda keys: ((keys,), {}))
    return outcome.sent


# Kept for messages queued before the batches (a worker drops a task whose name it does not know).
@shared_task(**EMAIL_OPTIONS, max_retries=EMAIL_MAX_RETRIES)
def send_certificate_ready(certificate_id: int) -> int:
    """E-mail the participant that their certificate is ready, with its verification link."""
    from certificates.notifications import certificate_ready_send

    return certificate_ready_send(certificate_id=certificate_id)


@worker_process_init.connect
def _warm_up(**kwargs) -> None:
    """A worker process that takes the ``pdf`` queue builds its font configuration, stylesheet and
    signer as it starts (about a second), not on its first certificate."""
    from certificates.rendering import warm_up

    if "pdf" not in {queue.name for queue in current_app.amqp.queues.consume_from.values()}:
        return
    try:
        warm_up()
    except Exception:  # a signing key that is missing is reported by the checks and by each task
        logger.warning("the certificate renderer could not warm up", exc_info=True)
