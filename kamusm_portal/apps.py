from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The portal's own app: the composition root's commands and the plumbing's one model, the
    outbox of tasks to retry (``kamusm_portal.models.OutboxTask``)."""

    name = "kamusm_portal"
    verbose_name = _("Portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The outbox's admin is registered here, not where it is defined: ``kamusm_portal.admin``
        # is imported by the admin site's own module (``reports.admin_site``), so registering
        # while it loads would ask for the site before it exists.
        from django.contrib import admin

        from kamusm_portal.admin import OutboxTaskAdmin, third_party_names_use
        from kamusm_portal.models import OutboxTask

        admin.site.register(OutboxTask, OutboxTaskAdmin)
        third_party_names_use(admin.site)
