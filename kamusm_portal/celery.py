"""The Celery application.

Without ``CELERY_BROKER_URL`` the settings make every task run in-process
(``task_always_eager``), so the embedded default needs no broker. Every task is a
``kamusm_portal.tasks.Task``: queued after commit, it never fails the write that queued it, and
what fails is kept in the outbox and retried.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kamusm_portal.settings")

app = Celery("kamusm_portal", task_cls="kamusm_portal.tasks:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
