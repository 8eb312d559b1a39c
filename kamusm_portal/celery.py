"""The Celery application.

Without ``CELERY_BROKER_URL`` the settings make every task run in-process
(``task_always_eager``), so the embedded default needs no broker. Every task is a
``kamusm_portal.tasks.Task``: queued after commit, it never fails the write that queued it, and
what fails is kept in the outbox and retried.

Logs: a worker logs as the portal does (``LOGGING``, ``LOG_FORMAT``, ``LOG_LEVEL``; Celery's own
``--loglevel`` and format are not used), and a task queued by a request carries the request's id in
its message headers, so the worker's log lines for it have the same ``request_id``.
"""

import os
from typing import Any

from celery import Celery, signals

from kamusm_portal import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kamusm_portal.settings")

app = Celery("kamusm_portal", task_cls="kamusm_portal.tasks:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

signals.before_task_publish.connect(logs.request_id_to_task_headers, weak=False)
signals.task_prerun.connect(logs.request_id_of_task, weak=False)
signals.task_postrun.connect(logs.request_id_after_task, weak=False)


def _portal_logging(**_kwargs: Any) -> None:
    """A worker or beat keeps the portal's logging instead of Celery's (a receiver of this signal
    tells Celery to leave logging alone)."""
    from django.conf import settings

    logs.configure(settings.LOGGING)


signals.setup_logging.connect(_portal_logging, weak=False)
