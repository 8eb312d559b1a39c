"""Fixtures of the certificate tests."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _media_and_limits(settings, tmp_path):
    """Stored PDFs under a temporary media folder; the verification rate limit starts afresh."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    yield
    cache.clear()
