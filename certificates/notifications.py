"""The participant's e-mail when their certificate is ready, in the certificate's language.

It carries what the certificate says and the link to its public verification page (which offers
the PDF to whoever holds the code); never a kimlik no. Sent once: the renderer queues it only on
the run that first made the certificate ready.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from certificates.models import Certificate, CertificateStatus
from certificates.rendering import course_title, date_text, verify_url


def certificate_ready_send(*, certificate_id: int) -> int:
    """Answers how many e-mails went (0 when the certificate is no longer ready, or the participant
    has no e-mail address)."""
    return certificates_ready_send(certificate_ids=[certificate_id])


def certificates_ready_send(*, certificate_ids: list[int]) -> int:
    """The e-mails of a batch of certificates, over one connection to the mail server; answers how
    many went (none for a certificate no longer ready, or a participant with no e-mail address)."""
    certificates = (
        Certificate.objects.select_related("participant")
        .filter(pk__in=certificate_ids, status=CertificateStatus.READY)
        .exclude(participant__email="")
        .order_by("pk")
    )
    messages = [_message(certificate) for certificate in certificates]
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


def _message(certificate: Certificate) -> EmailMessage:
    context = {
        "certificate": certificate,
        "course": course_title(certificate),
        "dates": date_text(certificate),
        "link": verify_url(certificate),
    }
    with translation.override(certificate.language or settings.LANGUAGE_CODE):
        subject = render_to_string("emails/certificate_ready_subject.txt", context).strip()
        body = render_to_string("emails/certificate_ready.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [certificate.participant.email])
