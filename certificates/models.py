"""Certificates of attendance: records first, PDFs second.

A certificate is issued in the transaction that records an eligible attendance; its printed facts
(name, institution, course, hours, dates, place) are kept on the record as they were then, so the
verification page and a re-rendered PDF say what the certificate said. The PDF is rendered and
signed later by a worker (``status`` pending → ready, or failed and retried).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from entitlements.models import Institution, Language
from kamusm_portal.services import history_user


class CertificateStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    REVOKED = "revoked", _("Revoked")


class SerialCounter(models.Model):
    """The last serial number given in a program year (``KSM-<year>-<6 digits>``). Locked while a
    number is taken, in the transaction that issues the certificate: no gap, no repeat."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last serial number"), default=0)

    class Meta:
        verbose_name = _("serial counter")
        verbose_name_plural = _("serial counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Certificate(models.Model):
    participant = models.ForeignKey(
        "training_sessions.Participant",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("participant"),
    )
    session = models.ForeignKey(
        "training_sessions.TrainingSession",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("session"),
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("institution")
    )
    serial = models.CharField(_("serial number"), max_length=20, unique=True)
    code = models.CharField(
        _("verification code"), max_length=16, unique=True, help_text=_("Crockford base-32, 80 bits.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.PENDING
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.TR)
    # What the certificate says, as it was when it was issued.
    participant_name = models.CharField(_("name"), max_length=210)
    institution_name = models.CharField(_("institution"), max_length=300)
    course_title = models.CharField(_("course"), max_length=200)
    course_title_en = models.CharField(_("course (English)"), max_length=200, blank=True)
    hours = models.PositiveSmallIntegerField(_("hours"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    place = models.CharField(_("venue or province"), max_length=300)

    issued_at = models.DateTimeField(_("issued at"))
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="certificates/", blank=True)
    attempts = models.PositiveSmallIntegerField(_("render attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    history = HistoricalRecords(get_user=history_user)

    _change_reason: str
    """Not a column: simple-history records it as the reason of the history row of the next ``save()``."""

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"],
                condition=~Q(status="revoked"),
                name="certificate_one_per_participant_and_session",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | ~Q(revoked_reason=""), name="certificate_revoked_with_a_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "issued_at"], name="certificate_queue"),
            models.Index(fields=["institution", "session"], name="certificate_by_institution"),
        ]

    def __str__(self) -> str:
        return f"{self.serial} · {self.participant_name}"

    @property
    def code_display(self) -> str:
        """The code as printed: groups of four (``7KQM-4XZ2-9DHF-3BRT``)."""
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))

    @property
    def dates_text(self) -> str:
        """The dates as printed: ``04.03.2026``, or ``04.03.2026 – 06.03.2026`` over several days."""
        first = self.starts_on.strftime("%d.%m.%Y")
        return first if self.ends_on == self.starts_on else f"{first} – {self.ends_on.strftime('%d.%m.%Y')}"

    @property
    def pdf_ready(self) -> bool:
        """Its signed PDF can be handed out: ready, with the file stored."""
        return self.status == CertificateStatus.READY and bool(self.pdf)

    @property
    def is_valid(self) -> bool:
        return self.status != CertificateStatus.REVOKED
