"""The participant's e-mail when their certificate is ready, in the certificate's language.

It carries what the certificate says and the link to its public verification page (which offers
the PDF to whoever holds the code); never a kimlik no. Sent once: the renderer queues it only on
the run that first made the certificate ready, and a batch's e-mails go one by one over one
connection, so a retry sends again only those that failed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from certificates.models import Certificate, CertificateStatus
from certificates.rendering import course_title, verify_url
from kamusm_portal.mail import Sent, messages_send


def certificate_ready_send(*, certificate_id: int) -> int:
    """Answers how many e-mails went (0 when the certificate is no longer ready, or the participant
    has no e-mail address); a failure raises."""
    outcome = certificates_ready_send(certificate_ids=[certificate_id])
    for exc in (*outcome.failed.values(), *outcome.refused.values()):
        raise exc
    return outcome.sent


def certificates_ready_send(*, certificate_ids: list[int]) -> Sent[int]:
    """The e-mails of a batch of certificates, one by one over one connection to the mail server
    (``kamusm_portal.mail.messages_send``; none for a certificate no longer ready, or a participant
    with no e-mail address). Answers, by certificate id, what went, failed or was refused."""
    certificates = (
        Certificate.objects.select_related("participant")
        .filter(pk__in=certificate_ids, status=CertificateStatus.READY)
        .exclude(participant__email="")
        .order_by("pk")
    )
    return messages_send((certificate.pk, _message(certificate)) for certificate in certificates)


def _message(certificate: Certificate) -> EmailMessage:
    context = {
        "certificate": certificate,
        "course": course_title(certificate),
        "dates": certificate.dates_text,
        "link": verify_url(certificate),
    }
    with translation.override(certificate.language or settings.LANGUAGE_CODE):
        subject = render_to_string("emails/certificate_ready_subject.txt", context).strip()
        body = render_to_string("emails/certificate_ready.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [certificate.participant.email])
