"""Programme staff log in to the admin and find the program's dashboard: the progress against the
target, the map of the 81 provinces and the charts, each with its table."""

from __future__ import annotations

import pytest

from certificates.services import attendance_record
from tests.certificates.factories import onsite_finished
from tests.entitlements.factories import UserFactory

PASSWORD = "Güçlü-Parola-2012!"
SCREENSHOT = "/tmp/staff-dashboard.png"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def staff_member():
    # A superuser is programme staff whatever the state of the group's permissions after the
    # transactional tests' flushes.
    user = UserFactory(username="merkez.personeli", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    session, people = onsite_finished(2)
    attendance_record(session=session, marks=[(p, "full") for p in people])
    return user


def test_programme_staff_find_the_progress_the_map_and_a_chart(live_server, browser, staff_member):
    base = live_server.url

    def steps(page) -> None:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{base}/admin/login/?next=/admin/")
        page.fill("#id_username", "merkez.personeli")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")

        progress = page.get_by_role("progressbar", name="Hedefe göre eğitilen")
        assert progress.get_attribute("aria-valuenow") == "2"
        assert progress.get_attribute("aria-valuemax") == "4000"
        assert "2 / 4.000" in page.locator(".standing-progress").inner_text()
        assert page.locator(".standing-map svg path[data-plate]").count() == 81
        assert page.locator("#chart-months rect").count() >= 2
        assert page.locator("#chart-categories rect").count() == 6
        # The tables behind the charts open with a click.
        summary = page.locator("#map-title ~ details summary")
        summary.click()
        assert page.locator("#map-title ~ details table").is_visible()
        page.screenshot(path=SCREENSHOT, full_page=True)
        assert all(url.startswith(base) for url in requested), "no CDN, no request leaves the portal"

    browser.run(steps)
