"""A live threaded server on a migrated SQLite *file*, for races over HTTP on the embedded default.

The in-memory test database would be shared through one connection by Django's live server,
serialising everything and proving nothing; on a file, every request thread has its own
connection and writers must queue on ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.client import HTTPConnection

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection, connections
from django.test.testcases import LiveServerThread


class _Server(ThreadedWSGIServer):
    request_queue_size = 256  # 200 clients connect at once: do not drop their SYNs


class _ServerThread(LiveServerThread):
    server_class = _Server


@contextmanager
def file_database(path, **overrides):
    """Point every *new* thread's default connection at a fresh SQLite file (the portal's own
    settings: ``BEGIN IMMEDIATE``, timeout 20 s, WAL), migrated. The calling thread's connection
    (the in-memory test database) is left alone, so the rest of the suite is untouched.
    ``overrides`` replace more of the connection's settings (the engine, on a PostgreSQL run)."""
    original = connections.settings
    patched = {alias: dict(values) for alias, values in original.items()}
    patched["default"].update(NAME=str(path), **overrides)
    connections.__dict__["settings"] = patched
    ContentType.objects.clear_cache()
    try:
        in_thread(lambda: call_command("migrate", verbosity=0, interactive=False))
        yield
    finally:
        connections.__dict__["settings"] = original
        ContentType.objects.clear_cache()


def in_thread(function):
    """Run ``function`` in a thread of its own (so on its own connection), closed at the end."""

    def run():
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=120)


@contextmanager
def live_server_thread():
    server = _ServerThread("127.0.0.1", lambda handler: handler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield server
    finally:
        server.terminate()


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(self.format(record))


@contextmanager
def server_errors():
    handler = _Collect()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def post_json(port: int, token: str, path: str, payload) -> tuple[int, str]:
    """POST ``payload`` as JSON with a token; answers (status, body)."""
    client = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        client.request(
            "POST",
            path,
            body=json.dumps(payload),
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}", "Connection": "close"},
        )
        response = client.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        client.close()


class FileServer:
    """A live threaded server on a migrated SQLite file; ``db(fn)`` runs ORM code on that file."""

    def __init__(self, port: int, errors: list[str]):
        self.port = port
        self.errors = errors

    @staticmethod
    def db(function):
        return in_thread(function)


def assert_clean(answers: list[tuple[dict, int, str]], errors: list[str]) -> None:
    """Never a 500, never "database is locked"; only 201 or 400 with a known code."""
    statuses = Counter(status for _attempt, status, _body in answers)
    locked = [body for _attempt, _status, body in answers if "database is locked" in body]
    assert not locked, f"{len(locked)} answers say the database is locked"
    assert statuses[500] == 0, f"{statuses[500]} answers were 500: {errors[:2]}"
    assert not errors, f"the server logged errors: {errors[:2]}"
    assert set(statuses) <= {201, 400}, f"statuses {dict(statuses)}"
