"""Background work of the entitlements app: thin tasks that re-fetch and call a service."""

from celery import shared_task
from django.contrib.auth import get_user_model


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_set_password_email(user_id: int) -> None:
    """E-mail a new official the link to choose their password (in the user's language)."""
    from entitlements.notifications import set_password_email_send

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password() or not user.email:
        return
    set_password_email_send(user=user)
