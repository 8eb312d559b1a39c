"""E-mails of the entitlements app."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import override

from kamusm_portal.links import absolute_url


def set_password_email_send(*, user) -> None:
    """Send a new official the one-time link to set their password (Django's reset token)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "url": absolute_url(path)}
    with override(settings.LANGUAGE_CODE):
        subject = _("Your Kamu SM training portal account")
        body = render_to_string("registration/set_password_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
