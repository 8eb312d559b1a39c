"""Every page of the portal, as its users meet it (tests/browser/portal.py lists them): no serious or
critical accessibility violation (axe-core: contrast, names, labels, landmarks…), in Turkish and
for some pages in English, and nothing that scrolls sideways on a 390 px phone or at 1280 px.
Each page is a test of its own, so a failure names the page; the pages are filled once for the
module and each kind of user logs in once (its cookies are reused)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_otp.oath import totp

from tests.browser.axe import axe_report, axe_violations, sideways, sideways_report
from tests.browser.portal import ENGLISH, PAGES, PASSWORD, ROLES, LivePortal, Page, live_portal

pytestmark = pytest.mark.browser

PHONE = (390, 844)
DESKTOP = (1280, 900)
WIDE = 1440  # the navbar shows the user's name from 1400 px (Bootstrap's xxl)
WIDE_PAGES = ["classroom-dashboard", "trainer-schedule"]
BY_NAME = {page.name: page for page in PAGES}


@pytest.fixture(scope="module")
def portal(browser, django_db_blocker, tmp_path_factory) -> Iterator[LivePortal]:
    """The filled portal on its own live server (its own SQLite file: the suite's test database is
    untouched, so these tests need no database of theirs)."""
    with django_db_blocker.unblock(), live_portal(tmp_path_factory.mktemp("portal")) as site:
        yield site


def _log_in(page: Any, base: str, username: str) -> dict:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{username} could not log in"
    return page.context.storage_state()


@pytest.fixture(scope="module")
def cookies_of(portal, browser) -> Callable[[str | None], dict | None]:
    """The browser state of a logged-in user of a role (``ROLES``), made by logging in through the
    form the first time it is asked for; ``None`` for anyone (not logged in)."""
    states: dict[str, dict] = {}

    def state(role: str | None) -> dict | None:
        if role is None:
            return None
        if role not in states:
            states[role] = browser.run(lambda page: _log_in(page, portal.url, ROLES[role]))
        return states[role]

    return state


def _open(page: Any, portal: LivePortal, where: Page, language: str) -> dict:
    if language != "tr":
        page.context.add_cookies([{"name": "django_language", "value": language, "url": portal.url}])
    response = page.goto(portal.path(where))
    return {
        "status": response.status,
        "url": page.url,
        "lang": page.evaluate("document.documentElement.lang"),
        "missing": [selector for selector in where.shows if not page.locator(selector).count()],
        "offered": [selector for selector in where.hides if page.locator(selector).count()],
    }


def _check_opened(portal: LivePortal, where: Page, opened: dict, language: str) -> None:
    """The page itself, not a redirect elsewhere (a login page, another role's home), in ``language``,
    in the state it is listed for (``Page.shows`` and ``Page.hides``)."""
    assert opened["url"] == portal.landing(where), f"{where.name} led to {opened['url']}"
    assert opened["status"] == where.status, f"{where.name} answered {opened['status']}"
    assert opened["lang"] == language
    assert (opened["missing"], opened["offered"]) == ([], []), f"{where.name} is not in its state"


@pytest.mark.parametrize(
    ("where", "language", "widths"),
    [(page, "tr", (DESKTOP[0], PHONE[0])) for page in PAGES]
    + [(BY_NAME[name], "en", (DESKTOP[0],)) for name in ENGLISH]
    + [(BY_NAME[name], "tr", (WIDE,)) for name in WIDE_PAGES],
    ids=[page.name for page in PAGES]
    + [f"{name}-en" for name in ENGLISH]
    + [f"{name}-{WIDE}px" for name in WIDE_PAGES],
)
def test_no_serious_accessibility_violation(portal, cookies_of, browser, where, language, widths):
    """axe-core on the page at each width (in Turkish at 1280 px, then laid out again at 390 px,
    where a list that scrolls in its box is a region the keyboard cannot reach)."""

    def steps(page) -> tuple[dict, dict[int, list[dict]]]:
        opened = _open(page, portal, where, language)
        found = {}
        for width in widths:
            page.set_viewport_size({"width": width, "height": PHONE[1] if width == PHONE[0] else DESKTOP[1]})
            found[width] = axe_violations(page)
        return opened, found

    opened, found = browser.run(steps, storage_state=cookies_of(where.role), width=widths[0])
    _check_opened(portal, where, opened, language)
    reports = [
        axe_report(f"{where.name} ({language}, {width} px, {opened['url']})", violations)
        for width, violations in found.items()
        if violations
    ]
    assert not reports, "\n\n".join(reports)


@pytest.mark.parametrize("where", PAGES, ids=[page.name for page in PAGES])
def test_nothing_scrolls_sideways_at_390_or_1280_px(portal, cookies_of, browser, where):
    """On a 390 px phone neither the page nor a list in it scrolls sideways (lists become cards:
    ``table-stack`` in static/css/portal.css); at 1280 px the page does not."""

    def steps(page) -> tuple[dict, dict, dict]:
        opened = _open(page, portal, where, "tr")
        phone = sideways(page)
        page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})  # the same page, laid out again
        return opened, phone, sideways(page)

    opened, phone, desktop = browser.run(steps, storage_state=cookies_of(where.role), width=PHONE[0], height=PHONE[1])
    _check_opened(portal, where, opened, "tr")
    assert (phone["viewport"] <= PHONE[0], desktop["viewport"] <= DESKTOP[0]) == (True, True)
    reports = [
        report
        for report in (
            sideways_report(f"{where.name} at 390 px", phone, boxes=True),
            sideways_report(f"{where.name} at 1280 px", desktop),
        )
        if report
    ]
    assert not reports, "\n".join(reports)


# --- The staff's second factor: enrolment, backup codes, the second step -----------------------


@pytest.fixture
def second_factor_required(settings):
    """Production's rule (the live server reads the same settings): staff sign in with a second
    factor; no wait after a code."""
    settings.STAFF_OTP_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _checked(page: Any, name: str) -> list[str]:
    """What fails on the page as it is now: axe's serious violations, and sideways scrolling at
    390 px (the page is laid out again at that width)."""
    failures = []
    violations = axe_violations(page)
    if violations:
        failures.append(axe_report(name, violations))
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    report = sideways_report(f"{name} at 390 px", sideways(page), boxes=True)
    if report:
        failures.append(report)
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})
    return failures


def _code_of(key: str) -> str:
    """The current code of an authenticator app given the page's key (base32 in groups of four)."""
    compact = key.replace(" ", "")
    secret = base64.b32decode(compact + "=" * (-len(compact) % 8))
    return f"{totp(secret, step=30, t0=0, digits=6):06d}"


@pytest.mark.usefixtures("second_factor_required")
def test_the_second_factor_pages_pass_too(portal, browser):
    def enrol(page) -> list[str]:
        page.goto(f"{portal.url}/accounts/login/")
        page.fill("#id_username", "staff.enrolling")
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/accounts/second-factor/setup/**")
        failures = _checked(page, "second factor: enrolment")
        page.fill("#id_code", _code_of(page.get_by_test_id("authenticator-key").inner_text()))
        page.locator("main form button[type=submit]").click()
        page.get_by_test_id("backup-codes").wait_for()
        return failures + _checked(page, "second factor: backup codes")

    def step(page) -> list[str]:
        page.goto(f"{portal.url}/accounts/login/")
        page.fill("#id_username", "staff.enrolled")
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/accounts/second-factor/?**")
        return _checked(page, "second factor: code")

    failures = browser.run(enrol) + browser.run(step)
    assert not failures, "\n\n".join(failures)


# --- The login's lock-out page -----------------------------------------------------------------


@pytest.fixture
def lockout(settings):
    """Axes on (the suite runs with it off): one failure locks the pair out."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 1


@pytest.mark.usefixtures("lockout")
def test_the_locked_out_page_passes_too(portal, browser):
    def steps(page) -> tuple[int, list[str]]:
        for _attempt in range(2):
            page.goto(f"{portal.url}/accounts/login/")
            page.fill("#id_username", "nobody.here")
            page.fill("#id_password", "wrong-password")
            with page.expect_response(lambda response: response.request.method == "POST") as answer:
                page.click("#login-form button[type=submit]")
        return answer.value.status, _checked(page, "locked out")

    status, failures = browser.run(steps)
    assert status == 429
    assert not failures, "\n\n".join(failures)
