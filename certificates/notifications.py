"""The participant's e-mail when their certificate is ready, in the certificate's language.

It carries what the certificate says and the link to its public verification page (which offers
the PDF to whoever holds the code); never a kimlik no. Sent once: the renderer queues it only on
the run that first made the certificate ready.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from certificates.models import Certificate, CertificateStatus
from certificates.rendering import course_title, date_text, verify_url


def certificate_ready_send(*, certificate_id: int) -> int:
    """Answers how many e-mails went (0 when the certificate is no longer ready, or the participant
    has no e-mail address)."""
    certificate = Certificate.objects.select_related("participant").filter(pk=certificate_id).first()
    if certificate is None or certificate.status != CertificateStatus.READY or not certificate.participant.email:
        return 0
    context = {
        "certificate": certificate,
        "course": course_title(certificate),
        "dates": date_text(certificate),
        "link": verify_url(certificate),
    }
    with translation.override(certificate.language or settings.LANGUAGE_CODE):
        subject = render_to_string("emails/certificate_ready_subject.txt", context).strip()
        body = render_to_string("emails/certificate_ready.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [certificate.participant.email])
