"""After-commit tasks that never fail the write that queued them (docs/architecture.md, "Background
work and scheduled jobs").

Every Celery task of the portal is a ``Task`` (the Celery app's ``task_cls``). Its
``delay_on_commit`` hands the task to ``dispatch`` once the transaction has committed:

- with a broker, ``dispatch`` publishes the message (with a short, bounded retry of the publish);
  the worker then retries the task itself with backoff (each task's ``autoretry_for`` and
  ``max_retries``);
- without one (the embedded default, ``task_always_eager``), it runs the task in this process, once.

Whatever fails there (the mail server refuses, the broker cannot be reached) is logged and never
reaches the write, whose answer stands. The task is stored in the outbox (``OutboxTask``) and the
scheduled job ``retry_outbox`` (``CELERY_BEAT_SCHEDULE``: Celery beat with a broker, ``manage.py
run_scheduled`` beside the server in the embedded default) sends it again: run in process without
a broker, queued with one. It waits longer after each failure (``retry_delay``) and is given up
after ``OUTBOX_MAX_ATTEMPTS`` attempts in all: an error is logged and the row stays for staff in the
admin, who may try it again. A task that still fails in a worker after Celery's own retries is
stored the same way, waiting ``retry_delay`` after the attempts Celery made, and ``retry_outbox``
carries on until ``OUTBOX_MAX_ATTEMPTS`` in all. A batch of e-mails goes one by one
(``kamusm_portal.mail``): only those that failed are retried (``Task.unsent_retry``), and one the
mail server refused for good (5xx) is stored given up at once. A task with a record of its own to
come back from sets ``outbox = False``
(the certificates' PDFs: the certificate stays pending or failed and the sweep queues it again; the
scheduled jobs, which run again at their next turn): its failures are only logged.

After a publish fails because the broker cannot be reached, the next publishes of this process fail
at once for ``BROKER_PAUSE_SECONDS`` instead of each waiting through its own retries: a write that
queues thirty tasks while Redis is down waits once on it, not thirty times.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from celery import current_app, shared_task
from celery.contrib.django.task import DjangoTask
from celery.exceptions import Retry
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from kamusm_portal.mail import Sent

logger = logging.getLogger(__name__)

BROKER_PAUSE_SECONDS = 10.0
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.4}
"""How long a publish may insist on a broker that does not answer: three tries within a second."""

RETRY_BATCH = 200
"""Stored tasks tried by one run of ``retry_outbox`` (it runs every minute)."""
RETRY_FIRST_SECONDS = 60
RETRY_LONGEST_SECONDS = 3600
CLAIM_SECONDS = 600
"""A run of ``retry_outbox`` holds the rows it tries this long: another run (a second scheduler)
leaves them alone meanwhile."""
ERROR_LENGTH = 2000


class Task(DjangoTask):
    """The portal's Celery task class (``kamusm_portal.celery``: ``task_cls``)."""

    outbox = True
    """Whether a failure after commit is stored in the outbox and retried from there."""

    _broker_down_until = 0.0  # per process, shared by every task

    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        """Send the task once the transaction commits (``dispatch``): never an error for the write."""
        transaction.on_commit(functools.partial(dispatch, self, args, kwargs), robust=True)

    def apply_async_on_commit(
        self, args: Sequence[Any] | None = None, kwargs: dict[str, Any] | None = None, **options: Any
    ) -> None:
        """``delay_on_commit`` with Celery's options (``countdown``, ``queue``, ...)."""
        transaction.on_commit(functools.partial(dispatch, self, args or (), kwargs or {}, **options), robust=True)

    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        """Celery's, failing at once for a while after the broker could not be reached."""
        if self.app.conf.task_always_eager:
            return super().apply_async(*args, **kwargs)
        if time.monotonic() < Task._broker_down_until:
            raise OperationalError("the broker could not be reached a moment ago; not trying again yet")
        try:
            return super().apply_async(*args, **kwargs)
        except OperationalError:
            Task._broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
            raise

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """In a worker, a task that failed after Celery's retries (or with an error it does not
        retry) is stored in the outbox, waiting ``retry_delay`` after the attempts Celery made:
        ``retry_outbox`` carries on until ``OUTBOX_MAX_ATTEMPTS`` in all, then gives it up. Run in
        process, ``dispatch`` stores it."""
        if self.request.is_eager or not self.outbox:
            return
        _keep(self.name, args or (), kwargs or {}, exc, attempts=(self.request.retries or 0) + 1)

    def unsent_retry(
        self, outcome: Sent[Any], narrowed: Callable[[list[Any]], tuple[Sequence[Any], dict[str, Any]]]
    ) -> None:
        """After a batch of e-mails (``kamusm_portal.mail.messages_send``): try again those that
        failed, and only they. ``narrowed(keys)`` gives the task's arguments for those keys.

        - Those the mail server refused for good (5xx) are not tried again: they were logged, and
          are stored given up in the outbox, for staff to see and try again once the address is
          put right.
        - Those that failed for a while are retried: with backoff by Celery (a ``Retry``, whose
          narrowed arguments ``dispatch`` stores in the outbox when run in process); once
          Celery's retries have run out, stored in the outbox (``_keep``) with those arguments."""
        if outcome.refused:
            args, kwargs = narrowed(sorted(outcome.refused))
            _store(self.name, args, kwargs, next(iter(outcome.refused.values())), attempts=1, given_up=True)
        if not outcome.failed:
            return
        args, kwargs = narrowed(sorted(outcome.failed))
        exc = next(iter(outcome.failed.values()))
        retries = self.request.retries or 0
        if self.request.is_eager or self.max_retries is None or retries < self.max_retries:
            raise self.retry(args=args, kwargs=kwargs, exc=exc, countdown=min(5 * 2**retries, 300))
        _keep(self.name, args, kwargs, exc, attempts=retries + 1)

    @classmethod
    def broker_pause_reset(cls) -> None:
        """Forget that the broker was down a moment ago (tests)."""
        Task._broker_down_until = 0.0


def dispatch(task: Task, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None, **options: Any) -> bool:
    """Send ``task`` now: publish it with a broker, run it here (once) without. Never raises: a
    failure is logged and, unless the task has a record of its own (``outbox = False``), stored
    to be tried again by ``retry_outbox``. Answers whether it went."""
    kwargs = dict(kwargs or {})
    try:
        _send(task, args, kwargs, options)
    except Exception as exc:
        args, kwargs, cause = _what_failed(exc, args, kwargs)
        if getattr(task, "outbox", True):
            logger.warning(
                "task %s%s failed after its write committed (%s); stored to be tried again",
                task.name,
                tuple(args),
                _error_text(cause),
                exc_info=cause,
            )
            _store(task.name, args, kwargs, cause, attempts=1, given_up=False)
        else:
            logger.warning(
                "task %s%s failed after its write committed (%s); its own record brings it back",
                task.name,
                tuple(args),
                _error_text(cause),
                exc_info=cause,
            )
        return False
    return True


def _send(task: Task, args: Sequence[Any], kwargs: dict[str, Any], options: dict[str, Any]) -> None:
    """Run the task here (raising what it raises) or publish it (raising when the broker cannot be
    reached)."""
    if task.app.conf.task_always_eager:
        # One attempt: with ``throw``, Celery raises the task's error (a ``Retry`` for one it would
        # retry) instead of retrying it in a loop here, back to back.
        task.apply_async(tuple(args), kwargs, throw=True, **options)
    else:
        task.apply_async(tuple(args), kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY, **options)


def _what_failed(
    exc: BaseException, args: Sequence[Any], kwargs: dict[str, Any]
) -> tuple[Sequence[Any], dict[str, Any], BaseException]:
    """The arguments to try again with and the error: a task that asked for a retry may have
    narrowed its arguments (``send_certificates_ready`` retries only the e-mails that failed)."""
    if isinstance(exc, Retry):
        if exc.sig is not None:
            args, kwargs = tuple(exc.sig.args), dict(exc.sig.kwargs)
        if isinstance(exc.exc, BaseException):
            return args, kwargs, exc.exc
    return args, kwargs, exc


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]


def _keep(name: str, args: Sequence[Any], kwargs: dict[str, Any], exc: BaseException, *, attempts: int) -> None:
    """Store a task a worker failed ``attempts`` times: waiting ``retry_delay(attempts)``, or
    given up if that makes ``OUTBOX_MAX_ATTEMPTS``."""
    given_up = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    if not given_up:
        logger.warning(
            "task %s%s failed (attempt %s of %s): %s; stored to be tried again",
            name,
            tuple(args),
            attempts,
            settings.OUTBOX_MAX_ATTEMPTS,
            _error_text(exc),
        )
    _store(name, args, kwargs, exc, attempts=attempts, given_up=given_up, wait=retry_delay(attempts))


def _store(
    name: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    exc: BaseException,
    *,
    attempts: int,
    given_up: bool,
    wait: timedelta = timedelta(0),
) -> None:
    """Keep a failed task in the outbox: waiting (due ``wait`` from now; at once, the next run of
    ``retry_outbox``) or given up. Never raises: a database that cannot take the row is logged."""
    from kamusm_portal.models import OutboxStatus, OutboxTask

    now = timezone.now()
    try:
        OutboxTask.objects.create(
            task=name,
            args=list(args),
            kwargs=kwargs,
            status=OutboxStatus.GIVEN_UP if given_up else OutboxStatus.WAITING,
            attempts=attempts,
            last_error=_error_text(exc),
            next_attempt_at=None if given_up else now + wait,
            given_up_at=now if given_up else None,
        )
    except Exception:
        logger.exception("task %s%s could not be stored in the outbox: it will not be tried again", name, tuple(args))
        return
    if given_up:
        logger.error("task %s%s was given up after %s attempts: %s", name, tuple(args), attempts, _error_text(exc))


# --- Trying again ------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """How long a stored task waits after its ``attempts``-th failure: 2, 4, 8, ... minutes, at most
    an hour (the first retry comes at the next run of ``retry_outbox``)."""
    return timedelta(seconds=min(RETRY_FIRST_SECONDS * 2 ** max(attempts - 1, 0), RETRY_LONGEST_SECONDS))


def outbox_retry(*, batch: int = RETRY_BATCH) -> int:
    """Try again the stored tasks that are due, oldest first, at most ``batch``: run here without
    a broker, queued with one. A task that went is deleted; one that failed again waits
    ``retry_delay``, or is given up (logged as an error, kept for staff) at its
    ``OUTBOX_MAX_ATTEMPTS``-th attempt. Answers how many went."""
    from kamusm_portal.models import OutboxStatus, OutboxTask

    now = timezone.now()
    due = list(
        OutboxTask.objects.filter(status=OutboxStatus.WAITING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "pk"
        )[:batch]
    )
    went = 0
    for entry in due:
        if _claim(entry.pk, entry.next_attempt_at, now) and _retry_one(entry):
            went += 1
    if due:
        logger.info("outbox: %s of %s stored tasks went", went, len(due))
    return went


def _claim(pk: int, due: datetime | None, now: datetime) -> bool:
    """Hold a stored task for this run: whoever moves its due time first has it."""
    from kamusm_portal.models import OutboxStatus, OutboxTask

    claimed = OutboxTask.objects.filter(pk=pk, status=OutboxStatus.WAITING, next_attempt_at=due).update(
        next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS)
    )
    return claimed == 1


def _retry_one(entry: Any) -> bool:
    from kamusm_portal.models import OutboxStatus, OutboxTask

    task = current_app.tasks.get(entry.task)
    args: Sequence[Any] = entry.args
    kwargs: dict[str, Any] = entry.kwargs
    try:
        if task is None:
            raise LookupError(f"no task is named {entry.task}")
        _send(task, args, kwargs, {})
    except Exception as exc:
        args, kwargs, cause = _what_failed(exc, args, kwargs)
        attempts = entry.attempts + 1
        now = timezone.now()
        changes: dict[str, Any] = {"args": list(args), "kwargs": kwargs, "attempts": attempts}
        changes["last_error"] = _error_text(cause)
        if task is None or attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            changes.update(status=OutboxStatus.GIVEN_UP, next_attempt_at=None, given_up_at=now)
            logger.error(
                "task %s%s was given up after %s attempts: %s", entry.task, tuple(args), attempts, changes["last_error"]
            )
        else:
            changes["next_attempt_at"] = now + retry_delay(attempts)
            logger.warning(
                "task %s%s failed again (attempt %s of %s): %s; next attempt at %s",
                entry.task,
                tuple(args),
                attempts,
                settings.OUTBOX_MAX_ATTEMPTS,
                changes["last_error"],
                changes["next_attempt_at"].isoformat(),
            )
        OutboxTask.objects.filter(pk=entry.pk).update(**changes)
        return False
    OutboxTask.objects.filter(pk=entry.pk).delete()
    return True


def outbox_tasks_retry(*, ids: Sequence[int]) -> int:
    """Staff (the admin's action): try these stored tasks again at the next run of
    ``retry_outbox``, with ``OUTBOX_MAX_ATTEMPTS`` attempts afresh. Answers how many."""
    from kamusm_portal.models import OutboxStatus, OutboxTask

    return OutboxTask.objects.filter(pk__in=list(ids)).update(
        status=OutboxStatus.WAITING, attempts=0, next_attempt_at=timezone.now(), given_up_at=None
    )


@shared_task(outbox=False)  # type: ignore[untyped-decorator]  # Celery has no types
def retry_outbox() -> int:
    """Scheduled (every minute): try again the stored tasks that are due (``outbox_retry``)."""
    return outbox_retry()


# --- The plumbing's own e-mail ---------------------------------------------------------------


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)  # type: ignore[untyped-decorator]
def send_password_reset_email(user_id: int, *, domain: str, protocol: str, language: str) -> None:
    """E-mail ``user_id`` a fresh password-reset link (``kamusm_portal.sign_in``), in the language
    the page was asked in. The link's token is made here, when the e-mail leaves: one held in the
    outbox while the mail server was down is as good as one made at the request."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.utils import translation
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or not user.has_usable_password():
        return
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": domain,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": protocol,
    }
    # Django's own PasswordResetForm.send_mail logs and swallows a failed send; here it raises, so
    # the task is retried (Celery, or the outbox).
    with translation.override(language):
        subject = "".join(render_to_string("registration/password_reset_subject.txt", context).splitlines())
        body = render_to_string("registration/password_reset_email.html", context)
    EmailMessage(subject, body, to=[user.email]).send()
