"""Certificate PDFs, rendered and signed on the ``pdf`` queue, and the participant's e-mail on the
``email`` queue (settings.CELERY_TASK_ROUTES). Thin tasks: they take a primary key, re-fetch and call
``certificates.rendering`` / ``certificates.notifications``."""

import time

from celery import Task, shared_task
from kombu.exceptions import OperationalError

BROKER_PAUSE_SECONDS = 10.0


class SkipWhileBrokerDown(Task):
    """After a publish fails because the broker cannot be reached, the next publishes of this
    process fail at once for ``BROKER_PAUSE_SECONDS`` instead of each waiting through its own
    retries: saving the attendance of 30 people while Redis is down costs one bounded wait, not
    thirty. Whatever is not queued stays pending, and the sweep queues it once the broker is back."""

    _down_until = 0.0  # per process, shared by the tasks of this module

    def apply_async(self, *args, **kwargs):
        if self.app.conf.task_always_eager:
            return super().apply_async(*args, **kwargs)
        if time.monotonic() < SkipWhileBrokerDown._down_until:
            raise OperationalError("the broker could not be reached a moment ago; not trying again yet")
        try:
            return super().apply_async(*args, **kwargs)
        except OperationalError:
            SkipWhileBrokerDown._down_until = time.monotonic() + BROKER_PAUSE_SECONDS
            raise

    @classmethod
    def reset(cls) -> None:
        SkipWhileBrokerDown._down_until = 0.0


@shared_task(
    base=SkipWhileBrokerDown,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def render_certificate(certificate_id: int, force: bool = False) -> str:
    """Render and sign one certificate's PDF. Idempotent: a ready certificate is left as it is
    (unless ``force``), a revoked one is never rendered."""
    from certificates.rendering import certificate_render

    return certificate_render(certificate_id=certificate_id, force=force)


@shared_task(acks_late=True)
def sweep_certificates() -> int:
    """Periodic (celery beat): queue again the certificates left pending or failed for a while
    (the broker was down when attendance was saved, or a worker died mid-render)."""
    from certificates.rendering import certificates_stale_requeue

    return certificates_stale_requeue()


@shared_task(base=SkipWhileBrokerDown, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_certificate_ready(certificate_id: int) -> int:
    """E-mail the participant that their certificate is ready, with its verification link."""
    from certificates.notifications import certificate_ready_send

    return certificate_ready_send(certificate_id=certificate_id)
