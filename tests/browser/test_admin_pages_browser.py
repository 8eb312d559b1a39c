"""The centre's admin pages at desktop widths: a program's category table fits beside the sidebar
with its bounds in full."""

from __future__ import annotations

import pytest

from entitlements.models import Program
from tests.entitlements.factories import UserFactory

PASSWORD = "Güçlü-Parola-2012!"
SCREENSHOTS = "/tmp/admin-{}-{}.png"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def staff_member(settings):
    """Programme staff (a superuser, whatever the state of the group's permissions after the
    transactional tests' flushes), signing in with a password only."""
    settings.STAFF_OTP_REQUIRED = False
    user = UserFactory(username="merkez.personeli", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", "merkez.personeli")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def _page_scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def _axe_violations(page, context: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]


def test_the_category_table_fits_beside_the_sidebar_with_a_million_in_full(live_server, browser, staff_member):
    base = live_server.url
    program = Program.objects.get(year=2012)
    assert program.categories.filter(max_users=1_000_000).exists()

    def steps(page) -> None:
        page.set_viewport_size({"width": 1280, "height": 900})
        _sign_in(page, base)
        page.goto(f"{base}/admin/entitlements/program/{program.pk}/change/")
        assert not _page_scrolls_sideways(page)
        fields = page.locator("#categories-group tr.form-row:not(.empty-form) :is(input, select):visible")
        assert fields.count() >= 6 * 8  # six bands: seven fields and the delete box each
        for box in (fields.nth(i).bounding_box() for i in range(fields.count())):
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
        bound = page.locator("#categories-group input[value='1000000']")
        bound.fill("1000000")
        for number in page.locator("#categories-group tr.form-row input[type=number]").all():
            assert number.evaluate("e => e.scrollWidth <= e.clientWidth"), number.input_value()
        page.screenshot(path=SCREENSHOTS.format("category-table", 1280), full_page=True)
        assert _axe_violations(page, "#categories-group") == []

        # Narrower, the table scrolls in its frame rather than widening the page.
        for width in (1024, 800):
            page.set_viewport_size({"width": width, "height": 900})
            assert not _page_scrolls_sideways(page), width

    browser.run(steps)
