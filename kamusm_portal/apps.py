from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The portal's own app: the composition root's commands and the plumbing's one model, the
    outbox of tasks to retry (``kamusm_portal.models.OutboxTask``)."""

    name = "kamusm_portal"
    verbose_name = _("Portal")
    default_auto_field = "django.db.models.BigAutoField"
