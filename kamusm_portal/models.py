"""The plumbing's one model: the outbox of after-commit tasks that could not run or be queued
(``kamusm_portal.tasks``; docs/architecture.md, "Background work and scheduled jobs")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting to be retried")
    GIVEN_UP = "given_up", _("Given up")


class OutboxTask(models.Model):
    """A task (an e-mail, a check) that failed after its write committed: the mail server refused,
    the broker could not be reached, or a worker gave up after Celery's retries. The scheduled job
    ``retry_outbox`` tries a waiting one again when ``next_attempt_at`` comes and deletes it once it
    has run (or, with a broker, been queued); after ``OUTBOX_MAX_ATTEMPTS`` it is given up and
    stays for staff to see in the admin, and to retry."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.WAITING)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("first failed at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    given_up_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task to retry")
        verbose_name_plural = _("tasks to retry")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=OutboxStatus.GIVEN_UP) | models.Q(next_attempt_at__isnull=False),
                name="outbox_waiting_has_a_next_attempt",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
