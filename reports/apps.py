from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _

from kamusm_portal import text


class ReportsConfig(AppConfig):
    default = True  # this module also holds the admin's configuration (PortalAdminConfig)
    name = "reports"
    verbose_name = _("Reports")
    default_auto_field = "django.db.models.BigAutoField"


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the centre's site (``reports.admin_site.PortalAdminSite``): the program's
    dashboard is its start page."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin; ReportsConfig is the app's
    default_site = "reports.admin_site.PortalAdminSite"

    def ready(self) -> None:
        # Turkish capitals ("İller", not "Iller") here, before ``super().ready()`` autodiscovers
        # the admins, and not in the portal's own app config: this app is the first installed, so
        # its ``ready`` runs first, and the admins' export mixin compiles ``change_list.html`` as
        # each admin is registered (``kamusm_portal.admin``, ``init_change_list_template``). A
        # template compiled before the ``capfirst`` filter is replaced keeps Django's for good (the
        # cached loader), so ``kamusm_portal.apps.PortalConfig.ready``, the last to run, is too late.
        text.turkish_capitals_use()
        super().ready()
