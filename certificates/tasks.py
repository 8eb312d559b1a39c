"""Certificate PDFs, rendered and signed on the ``pdf`` queue (settings.CELERY_TASK_ROUTES)."""

from celery import shared_task


@shared_task(
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
