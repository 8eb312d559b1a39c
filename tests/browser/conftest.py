"""Playwright driving Debian's Chromium (``/usr/bin/chromium``) against pytest-django's live server.

The tests skip, saying why, when that Chromium is missing (the Makefile installs it); Playwright's
own browser downloads are never used.

Playwright's sync API leaves an asyncio loop marked as running in the thread that started it.
Django then keeps that thread's database connections in a different (async) slot, so a test whose
database was set up before the browser started would talk to another connection object, which
breaks serialized rollback and trips the async-safety check. So the browser lives in a thread of
its own: a test hands it a function of the page (``browser.run(steps)``) and waits for it, while
the test thread keeps the ORM to itself and the live server answers in its own thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STEP_TIMEOUT_MS = 15_000
RUN_TIMEOUT_S = 120


class BrowserThread:
    """One Chromium, driven from one worker thread for the whole session."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
        self._playwright: Any = None
        self._browser: Any = None
        self._executor.submit(self._start).result(timeout=RUN_TIMEOUT_S)

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )

    def run(
        self,
        steps: Callable[[Any], Any],
        *,
        width: int = 1280,
        height: int = 900,
        storage_state: dict | None = None,
        java_script_enabled: bool = True,
    ) -> Any:
        """Run ``steps(page)`` in a fresh context of a Turkish official's browser; re-raise what fails.
        ``width`` x ``height``: the viewport (a phone: 390 x 844); ``storage_state``: the cookies of a
        context that logged in before (``page.context.storage_state()``), to start logged in;
        ``java_script_enabled=False``: a browser without JavaScript (the pages must still work)."""
        return self._executor.submit(self._in_context, steps, width, height, storage_state, java_script_enabled).result(
            timeout=RUN_TIMEOUT_S
        )

    def _in_context(
        self,
        steps: Callable[[Any], Any],
        width: int,
        height: int,
        storage_state: dict | None,
        java_script_enabled: bool,
    ) -> Any:
        context = self._browser.new_context(
            java_script_enabled=java_script_enabled,
            locale="tr-TR",
            timezone_id="Europe/Istanbul",
            viewport={"width": width, "height": height},
            storage_state=storage_state,
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        try:
            return steps(context.new_page())
        finally:
            context.close()

    def _stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def close(self) -> None:
        try:
            self._executor.submit(self._stop).result(timeout=RUN_TIMEOUT_S)
        finally:
            self._executor.shutdown(wait=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserThread]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium package (the Makefile does) to run browser tests"
        )
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    thread = BrowserThread()
    try:
        yield thread
    finally:
        thread.close()
