"""Fixtures of the whole suite: fast hashing and local e-mail, a fresh cache, the letter's program,
programme staff and their clients, a superuser's admin client, and the tests' own signing key."""

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.AXES_ENABLED = False
    settings.STAFF_OTP_REQUIRED = False  # tests of the second factor switch it on
    settings.LANGUAGE_CODE = "tr"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: rate-limit counters never carry over between tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def program(db):
    """The letter's program, made by the data migration."""
    from entitlements.models import Program

    return Program.objects.get(year=2012)


@pytest.fixture
def staff_user(db):
    from tests.entitlements.factories import ProgrammeStaffFactory

    return ProgrammeStaffFactory()


@pytest.fixture
def staff(staff_user):
    """An API client of the programme staff (``staff_user``), with a token."""
    from tests.entitlements.factories import client_for

    return client_for(staff_user)


@pytest.fixture
def staff_client(client, staff_user):
    """The test client, logged in as the programme staff (``staff_user``)."""
    client.force_login(staff_user)
    return client


@pytest.fixture
def admin_client(client, db):
    """The test client, logged in as a superuser (``root``, also ``admin_client.user``)."""
    from tests.entitlements.factories import UserFactory

    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def signing_certificate(settings, tmp_path):
    """The tests' own signing key and certificate (DEBUG is off in tests: no demo pair), and stored
    PDFs under a temporary media folder; answers the signing certificate."""
    from tests.certificates.factories import use_test_signing

    return use_test_signing(settings, tmp_path, "Kamu SM tests")


@pytest.fixture
def broker(settings) -> Iterator[str]:
    """The Redis database of the worker tests (tests/workers.py), emptied before and after, with this
    process's Celery app publishing to it; answers its URL."""
    import redis

    from tests.workers import BROKER, broker_url_of_the_tests, use_broker

    url = broker_url_of_the_tests()
    client = redis.Redis.from_url(url)
    client.flushdb()  # the queues (and unacknowledged messages) of earlier runs
    try:
        use_broker(settings, url)
        yield url
    finally:
        client.flushdb()
        client.close()
        use_broker(settings, BROKER)  # the settings fixture restores the rest
        settings.CELERY_TASK_ALWAYS_EAGER = True
