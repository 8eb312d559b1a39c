from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntitlementsConfig(AppConfig):
    name = "entitlements"
    verbose_name = _("Entitlements")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kamusm_portal import db

        db.install_sqlite_collation()
