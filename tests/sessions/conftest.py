"""Fixtures of the sessions tests."""

import pytest

from tests.sessions.live import FileServer, file_database, live_server_thread, server_errors


@pytest.fixture
def file_server(settings, tmp_path, django_db_blocker):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    settings.SECURE_SSL_REDIRECT = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    with (
        django_db_blocker.unblock(),
        file_database(tmp_path / "race.sqlite3"),
        server_errors() as errors,
        live_server_thread() as server,
    ):
        yield FileServer(server.port, errors)
