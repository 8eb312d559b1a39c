"""Real Celery workers for the tests marked ``broker``: subprocesses of ``celery -A kamusm_portal
worker`` on the test database (PostgreSQL: a worker process cannot see the test's in-memory
SQLite) and the test broker. Test and workers share a Redis database of their own (number 15 of the
broker's server, or CELERY_TEST_REDIS_DB), emptied before and after each test by the ``broker``
fixture (tests/conftest.py), so the queues of anything else on that server are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import kombu.pools
import pytest
from django.db import connection

from kamusm_portal.celery import app
from kamusm_portal.tasks import Task

BASE_DIR = Path(__file__).resolve().parent.parent
BROKER = os.environ.get("CELERY_BROKER_URL", "")
TEST_REDIS_DB = os.environ.get("CELERY_TEST_REDIS_DB", "15")

NEEDS_A_WORKER = [
    pytest.mark.broker,
    pytest.mark.skipif(not BROKER, reason="needs a Celery broker (CELERY_BROKER_URL)"),
    pytest.mark.skipif(
        bool(BROKER) and not BROKER.startswith(("redis://", "rediss://")), reason="the worker tests use a Redis broker"
    ),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a worker process needs the test database on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
"""The marks of a module whose tests run a worker."""


def broker_url_of_the_tests() -> str:
    """The broker's server, database TEST_REDIS_DB."""
    parts = urlsplit(BROKER)
    return urlunsplit((parts.scheme, parts.netloc, f"/{TEST_REDIS_DB}", parts.query, ""))


def use_broker(settings, url: str) -> None:
    """Point this process's Celery app at ``url`` (``""``: no broker, tasks run in process): the
    variable (Celery reads CELERY_BROKER_URL from the environment before its settings), the
    settings, and the connection pools built from the previous address."""
    if url:
        os.environ["CELERY_BROKER_URL"] = url
    else:
        os.environ.pop("CELERY_BROKER_URL", None)
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = not url
    kombu.pools.reset()  # close and forget every pooled connection and producer
    Task.broker_pause_reset()  # forget that the broker was down a moment ago
    app._pool = None
    app.amqp._producer_pool = None
    if url:
        publishing_to = urlsplit(app.connection_for_write().as_uri())
        assert (publishing_to.port, publishing_to.path) == (urlsplit(url).port, urlsplit(url).path)


class Workers:
    """Celery workers as subprocesses on the test database and the test broker, with ``env`` (the
    settings they need: media folder, signing key, e-mail backend) in their environment."""

    def __init__(self, tmp_path: Path, broker_url: str, **env: str):
        database = connection.settings_dict
        credentials = quote(database["USER"] or "", safe="")
        if database["PASSWORD"]:
            credentials += ":" + quote(database["PASSWORD"], safe="")
        host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kamusm_portal.settings",
            "PYTHONPATH": str(BASE_DIR),
            "DEBUG": "true",
            "DATABASE_URL": f"postgres://{credentials}@{host}/{database['NAME']}",
            "CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": broker_url,
            **env,
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.env.pop("EMAIL_URL", None)
        self.tmp_path = tmp_path
        self.running: list[tuple[subprocess.Popen, Path]] = []

    def start(self, queues: str = "pdf,email,default") -> subprocess.Popen:
        """A prefork worker (2 processes) on ``queues``; returns once it consumes."""
        log = self.tmp_path / f"worker-{len(self.running) + 1}.log"
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "kamusm_portal",
                "worker",
                "-Q",
                queues,
                "--pool=prefork",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches the pool's children too
        )
        self.running.append((process, log))
        deadline = time.monotonic() + 60
        while b" ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the worker did not start:\n" + self.log_tail())
            time.sleep(0.1)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine would: no warm shutdown."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process, _log in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _log in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        connection.close()  # the flush after the test needs no lock of ours

    def log(self) -> str:
        return "\n".join(log.read_text(errors="replace") for _process, log in self.running)

    def log_tail(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-3000:] for _process, log in self.running)
