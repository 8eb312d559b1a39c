"""Fixtures of the sessions tests: the user course, a classroom session, a trainer, and a live
server on a SQLite file for the races over HTTP."""

import pytest

from sessions.models import Course
from tests.sessions.factories import SessionFactory, TrainerFactory
from tests.sessions.live import FileServer, file_database, live_server_thread, server_errors


@pytest.fixture
def course(db):
    """EIMZA-101, the user course of the catalog."""
    return Course.objects.get(code="EIMZA-101")


@pytest.fixture
def session(db):
    """An announced classroom session a month ahead (``SessionFactory``)."""
    return SessionFactory()


@pytest.fixture
def trainer(db):
    """A trainer based in Ankara (``TrainerFactory``)."""
    return TrainerFactory()


@pytest.fixture
def file_server(settings, tmp_path, django_db_blocker):
    """A live threaded server on a migrated SQLite file (``tests.sessions.live``), collecting the
    errors it logs."""
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
