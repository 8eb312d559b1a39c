"""The participant's e-mail when their certificate is ready, in the certificate's language.

It carries what the certificate says and the link to its public verification page (which offers
the PDF to whoever holds the code); never a kimlik no. Sent once: the renderer queues it only on
the run that first made the certificate ready, and a batch's e-mails go one by one over one
connection, so a retry sends again only those that failed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from certificates.models import Certificate, CertificateStatus
from certificates.rendering import course_title, verify_url


def certificate_ready_send(*, certificate_id: int) -> int:
    """Answers how many e-mails went (0 when the certificate is no longer ready, or the participant
    has no e-mail address); a failure raises."""
    sent, failures = certificates_ready_send(certificate_ids=[certificate_id])
    if failures:
        raise next(iter(failures.values()))
    return sent


def certificates_ready_send(*, certificate_ids: list[int]) -> tuple[int, dict[int, Exception]]:
    """The e-mails of a batch of certificates, one by one over one connection to the mail server
    (none for a certificate no longer ready, or a participant with no e-mail address). Answers
    how many went and, by certificate id, the errors of those that did not."""
    certificates = list(
        Certificate.objects.select_related("participant")
        .filter(pk__in=certificate_ids, status=CertificateStatus.READY)
        .exclude(participant__email="")
        .order_by("pk")
    )
    if not certificates:
        return 0, {}
    sent, failures = 0, {}
    connection = get_connection()
    try:
        connection.open()
    except OSError as exc:  # the mail server cannot be reached: none went
        return 0, {certificate.pk: exc for certificate in certificates}
    try:
        for certificate in certificates:
            try:
                sent += connection.send_messages([_message(certificate)]) or 0
            except OSError as exc:  # smtplib's errors among them: this one, not the batch
                failures[certificate.pk] = exc
    finally:
        connection.close()
    return sent, failures


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
