from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingSessionsConfig(AppConfig):
    name = "sessions"
    # Django's own django.contrib.sessions holds the label "sessions"; this label never changes.
    label = "training_sessions"
    verbose_name = _("Training sessions")
    default_auto_field = "django.db.models.BigAutoField"
