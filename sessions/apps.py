from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingSessionsConfig(AppConfig):
    name = "sessions"
    # Django's own django.contrib.sessions holds the label "sessions"; this label never changes.
    label = "training_sessions"
    verbose_name = _("Training sessions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from entitlements.signals import entitlements_rebanded
        from sessions.receivers import entitlements_rebanded_check

        entitlements_rebanded.connect(entitlements_rebanded_check, dispatch_uid="sessions.usage_above_right")
