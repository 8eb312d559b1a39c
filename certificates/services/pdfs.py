"""Certificate PDFs in the background: queued after the records commit, rendered and signed by
the worker (``pdf`` queue), stored under the certificates' row locks, and the participants
e-mailed (``email`` queue); the sweep queues again what was left behind.

Rendering is idempotent: a revoked certificate is never rendered, a ready one with its PDF is left
alone unless forced, and the PDFs are stored under the locks of the certificates' rows, so however
often (and however concurrently) the task runs, a certificate has one PDF.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from certificates import rendering, signing, tasks
from certificates.models import Certificate, CertificateStatus
from kamusm_portal.db import history_copy
from kamusm_portal.locking import lock, lock_one
from kamusm_portal.services import service
from kamusm_portal.tasks import dispatch

logger = logging.getLogger(__name__)

ERROR_LENGTH = 2000
# The sweep leaves a certificate that failed this often to staff (admin: re-render).
SWEEP_MAX_ATTEMPTS = 10


# --- Queue the PDFs ------------------------------------------------------------------------------


def render_later(certificate_id: int, *, force: bool = False) -> None:
    """Queue one certificate's PDF after commit (``render_later_many`` of one)."""
    render_later_many([certificate_id], force=force)


def render_later_many(certificate_ids: list[int], *, force: bool = False) -> None:
    """Queue the PDFs after commit, in batches of CERTIFICATE_RENDER_BATCH (one task each).
    Publishing never fails the caller nor waits long on a broker that is down: the sweep picks up
    whatever stays pending."""
    transaction.on_commit(functools.partial(publish_renders, list(certificate_ids), force=force))


def publish_renders(certificate_ids: list[int], *, force: bool = False) -> int:
    """Publish the render tasks of ``certificate_ids`` now, in batches; answers how many were
    queued (the rest stay as they are for the sweep: a render is not kept in the outbox)."""
    size = max(settings.CERTIFICATE_RENDER_BATCH, 1)
    queued = 0
    for start in range(0, len(certificate_ids), size):
        batch = certificate_ids[start : start + size]
        if dispatch(tasks.render_certificates, (batch,), {"force": force}):
            queued += len(batch)
    return queued


# --- Render, sign, store ------------------------------------------------------------------------


def certificate_render(*, certificate_id: int, force: bool = False) -> str:
    """Render, sign and store one certificate's PDF (``certificates_render`` of one)."""
    return certificates_render(certificate_ids=[certificate_id], force=force)[certificate_id]


def certificates_render(*, certificate_ids: list[int], force: bool = False) -> dict[int, str]:
    """Render, sign and store the PDFs of some certificates (a batch of one session's, as
    ``render_later_many`` queues them); answers what happened to each: ``ready``, ``revoked``,
    ``missing``, or ``unchanged`` when a ready PDF was left as it was.

    Idempotent: the records are read afresh; a revoked certificate is never rendered; a ready one
    with its PDF is left alone unless ``force``. When the batch fails to render, each certificate
    is rendered alone, so one bad record fails alone: it is marked ``failed`` with its error, the
    others are stored, and the error is raised again so that Celery retries the task with backoff
    (a retry renders only what is still missing; the sweep comes after that)."""
    found = Certificate.objects.select_related("participant").in_bulk(certificate_ids)
    outcome: dict[int, str] = {}
    todo: list[Certificate] = []
    for pk in certificate_ids:
        certificate = found.get(pk)
        if certificate is None:
            outcome[pk] = "missing"
        elif certificate.status == CertificateStatus.REVOKED:
            outcome[pk] = "revoked"
        elif certificate.pdf_ready and not force:
            outcome[pk] = "unchanged"
        elif pk not in {c.pk for c in todo}:
            todo.append(certificate)
    if not todo:
        return outcome
    signed: dict[int, bytes] = {}
    errors: dict[int, Exception] = {}
    try:
        for certificate, pdf in zip(todo, rendering.certificates_pdf(todo), strict=True):
            signed[certificate.pk] = signing.pdf_sign(pdf)
    except Exception as exc:
        if len(todo) == 1:
            errors[todo[0].pk] = exc
        else:
            logger.warning("a batch of %s certificates failed; rendering each alone", len(todo), exc_info=True)
            for certificate in todo:
                if certificate.pk in signed:
                    continue
                try:
                    signed[certificate.pk] = signing.pdf_sign(rendering.certificate_pdf(certificate))
                except Exception as one:
                    errors[certificate.pk] = one
    if signed:
        notify = {c.pk for c in todo if c.participant.email}
        try:
            stored, refused = _store(signed, force=force, notify=notify)
            outcome.update(stored)
            errors.update(refused)
        except Exception as exc:
            for pk in signed:
                errors.setdefault(pk, exc)
    for pk, error in errors.items():
        _mark_failed(pk, error)
    if errors:
        raise next(iter(errors.values()))
    return outcome


def _store(pdfs: dict[int, bytes], *, force: bool, notify: set[int]) -> tuple[dict[int, str], dict[int, Exception]]:
    """Save the signed PDFs and mark their certificates ready, in one transaction under their row
    locks (taken in id order), re-checking that nothing changed meanwhile: revoked, or made ready by
    another run. A file is ``certificates/<serial>.pdf``; a file of that name that the record does
    not stand behind (a run that died between saving and committing) is replaced, and the previous
    PDF of a re-render is deleted once the new one is committed. A file the storage refuses fails its
    certificate alone. The participants of ``notify`` whose certificate became ready for the first
    time are e-mailed after commit (one task for the batch). Answers the outcomes, and the storage
    errors by certificate id."""
    saved: list[tuple[Storage, str]] = []
    try:
        return _store_locked(pdfs, force=force, notify=notify, saved=saved)
    except BaseException:
        for storage, name in saved:
            _delete_quietly(storage, name)
        raise


@service
def _store_locked(
    pdfs: dict[int, bytes], *, force: bool, notify: set[int], saved: list[tuple[Storage, str]]
) -> tuple[dict[int, str], dict[int, Exception]]:
    """``_store``'s transaction: ``saved`` collects the files written, for ``_store`` to remove
    should the transaction roll back. Locks the certificates."""
    outcome: dict[int, str] = {}
    failures: dict[int, Exception] = {}
    locked = {certificate.pk: certificate for certificate in lock(Certificate.objects.filter(pk__in=list(pdfs)))}
    announce, changed = [], []
    now = timezone.now()
    for pk in sorted(pdfs):
        certificate = locked.get(pk)
        if certificate is None:
            outcome[pk] = "missing"
            continue
        if certificate.status == CertificateStatus.REVOKED:
            outcome[pk] = "revoked"
            continue
        if certificate.pdf_ready and not force:
            outcome[pk] = "unchanged"
            continue
        first_time = certificate.ready_at is None
        try:
            _save_file(certificate, pdfs[pk], saved)
        except Exception as exc:
            failures[pk] = exc
            continue
        certificate.status = CertificateStatus.READY
        certificate.ready_at = now
        certificate.error = ""
        certificate.attempts += 1
        changed.append(certificate)
        if first_time and pk in notify:
            announce.append(pk)
        outcome[pk] = "ready"
    if changed:  # one UPDATE for the batch, and one INSERT for its history
        Certificate.objects.bulk_update(changed, ["pdf", "status", "ready_at", "error", "attempts"])
        history_copy(Certificate.objects.filter(pk__in=[c.pk for c in changed]), when=now)
    if announce:  # one task for the batch, on the ``email`` queue
        tasks.send_certificates_ready.delay_on_commit(announce)
    return outcome, failures


def _save_file(certificate: Certificate, pdf: bytes, saved: list[tuple[Storage, str]]) -> None:
    """Store ``pdf`` as the certificate's file (call under its row lock; the row is saved by the
    caller); ``saved`` collects what was written, for the caller to remove on a rollback."""
    previous = certificate.pdf.name or ""
    storage = certificate.pdf.storage
    target = certificate.pdf.field.generate_filename(certificate, f"{certificate.serial}.pdf")
    live = certificate.status == CertificateStatus.READY and previous == target
    if not live and storage.exists(target):
        storage.delete(target)  # an orphan, or the old PDF of a pending re-render
    certificate.pdf.save(f"{certificate.serial}.pdf", ContentFile(pdf), save=False)
    saved.append((storage, certificate.pdf.name))
    if live or (previous and previous not in (certificate.pdf.name, target)):
        transaction.on_commit(functools.partial(_delete_quietly, storage, previous))


def _mark_failed(certificate_id: int, exc: BaseException) -> None:
    """``failed`` with the error, one more attempt; never over a revoked or ready certificate."""
    try:
        _failure_record(certificate_id, f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH])
    except Exception:  # the database is what failed: the original error is what the caller re-raises
        logger.exception("certificate %s: could not record its failure", certificate_id)


@service
def _failure_record(certificate_id: int, error: str) -> None:
    """Locks the certificate."""
    certificate = lock_one(Certificate.objects.filter(pk=certificate_id))
    if certificate is None or certificate.status in (CertificateStatus.REVOKED, CertificateStatus.READY):
        return
    certificate.status = CertificateStatus.FAILED
    certificate.error = error
    certificate.attempts += 1
    certificate.save(update_fields=["status", "error", "attempts"])


def _delete_quietly(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:
        logger.warning("could not delete %s from storage", name, exc_info=True)


# --- The sweep ---------------------------------------------------------------------------------


def certificates_stale_requeue(*, after_seconds: int | None = None, batch: int | None = None) -> int:
    """Queue again the certificates left ``pending`` or ``failed`` with no change for
    ``after_seconds`` (CERTIFICATE_SWEEP_AFTER_SECONDS): the broker was down when the attendance
    was saved, a worker died mid-render, or Celery's retries ran out. At most ``batch``
    (CERTIFICATE_SWEEP_BATCH) per run, oldest first; a certificate that failed SWEEP_MAX_ATTEMPTS
    times is left to staff. Answers how many were queued."""
    after = settings.CERTIFICATE_SWEEP_AFTER_SECONDS if after_seconds is None else after_seconds
    limit = settings.CERTIFICATE_SWEEP_BATCH if batch is None else batch
    cutoff = timezone.now() - timedelta(seconds=after)
    last_change = Subquery(
        Certificate.history.model.objects.filter(id=OuterRef("pk")).order_by("-history_date").values("history_date")[:1]
    )
    stale = (
        Certificate.objects.filter(
            Q(status=CertificateStatus.PENDING) | Q(status=CertificateStatus.FAILED, attempts__lt=SWEEP_MAX_ATTEMPTS),
            issued_at__lte=cutoff,
        )
        .annotate(changed=Coalesce(last_change, "issued_at"))
        .filter(changed__lte=cutoff)
        .order_by("issued_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    queued = publish_renders(list(stale))
    if queued:
        logger.info("sweep: queued %s certificate PDFs again", queued)
    return queued
