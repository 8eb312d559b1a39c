import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.AXES_ENABLED = False
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
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
