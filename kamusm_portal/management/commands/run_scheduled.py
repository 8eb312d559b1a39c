"""``manage.py run_scheduled [--once]``: the scheduled jobs, in this process.

With a broker, Celery beat sends the jobs of ``CELERY_BEAT_SCHEDULE`` (expiring waiting places,
the certificate sweep, ...) to the workers. The embedded default has no broker and no beat, so
``make run`` starts this command beside the server: it runs each job of the same schedule in
process (``task.apply``), once at the start and then at its interval, so a newcomer's portal
behaves as production does. ``--once`` runs every job once and stops (tests, cron).

A job that fails is logged and tried again at its next turn; the loop goes on.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from celery import current_app
from celery.schedules import maybe_schedule
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the scheduled jobs (CELERY_BEAT_SCHEDULE) in this process: once, or at their intervals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once, then stop")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        jobs = {
            name: (entry["task"], maybe_schedule(entry["schedule"], app=current_app))
            for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        }
        if settings.CELERY_BROKER_URL and not once:
            self.stderr.write("A broker is configured: Celery beat should run these jobs; running them here too.")
        last: dict[str, datetime] = {}
        for name, (task, _schedule) in jobs.items():
            self._run(name, task)
            last[name] = timezone.now()
        if once:
            return
        self.stdout.write(f"Running {len(jobs)} scheduled jobs: {', '.join(jobs)}.")
        while True:
            wait = 60.0
            for name, (task, schedule) in jobs.items():
                due, next_check = schedule.is_due(last[name])
                if due:
                    self._run(name, task)
                    last[name] = timezone.now()
                wait = min(wait, next_check)
            time.sleep(max(wait, 1.0))

    def _run(self, name: str, task: str) -> None:
        try:
            result = current_app.tasks[task].apply(throw=True).get()
        except Exception:
            logger.exception("scheduled job %s (%s) failed; it runs again at its next turn", name, task)
            return
        if result:
            self.stdout.write(f"{name}: {result}")
