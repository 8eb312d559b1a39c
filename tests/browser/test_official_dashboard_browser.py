"""An official logs in through the real login form and reads their usage on the dashboard, in Turkish:
the bar (role=progressbar) with its numbers, their people and their next sessions."""

from __future__ import annotations

import pytest

from entitlements.services import official_create
from sessions.services import reservation_create
from tests.reports.factories import person
from tests.sessions.factories import (
    SessionFactory,
    onsite_institution,
    onsite_session,
    standard_institution,
    submitted_request,
)
from tests.timing import at

USERNAME = "zeynep.kaya"
PASSWORD = "Güçlü-Parola-2012!"
SCREENSHOT = "/tmp/official_dashboard.png"

pytestmark = [
    pytest.mark.browser,
    # live_server needs real commits; serialized rollback brings back the migrations' data
    # (the 2012 program and its table, the provinces) for the transactional tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _official(institution) -> None:
    official_create(
        institution=institution,
        username=USERNAME,
        email="zeynep.kaya@kurum.gov.tr",
        first_name="Zeynep",
        last_name="Kaya",
        password=PASSWORD,
    )


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")


def test_a_standard_official_reads_seats_used_on_the_bar_in_turkish(live_server, browser):
    institution = standard_institution(users=60)
    _official(institution)
    session = SessionFactory(starts_at=at(30, 9, 30), ends_at=at(30, 13, 30), capacity=3)
    reservation_create(session=session, participants=[person(institution) for _ in range(4)])  # 3 seats, 1 waiting
    base = live_server.url

    def steps(page) -> None:
        _log_in(page, base)
        assert page.evaluate("document.documentElement.lang") == "tr"
        seats = page.get_by_role("progressbar", name="Kullanılan yerler")
        assert seats.is_visible()
        assert seats.get_attribute("aria-valuenow") == "4"
        assert seats.get_attribute("aria-valuemin") == "0"
        assert seats.get_attribute("aria-valuemax") == "6"
        assert seats.get_attribute("aria-valuetext") == "4 / 6 yer kullanıldı, 2 kaldı"
        assert page.get_by_test_id("seat-usage").inner_text() == "4 / 6 yer kullanıldı, 2 kaldı"
        fill = seats.locator(".progress-bar").evaluate("el => el.getBoundingClientRect().width")
        whole = seats.evaluate("el => el.getBoundingClientRect().width")
        assert abs(fill / whole - 4 / 6) < 0.02  # the bar is drawn to scale
        assert page.get_by_test_id("people-booked").inner_text() == "3"
        assert page.get_by_test_id("people-waitlisted").inner_text() == "1"
        row = page.get_by_test_id("next-session").inner_text()
        assert at(30, 9, 30).strftime("%d.%m.%Y 09:30") in row
        assert "3 (+1 bekleme listesinde)" in row
        assert page.get_by_test_id("action-reserve").inner_text() == "Yer ayır"
        assert page.get_by_test_id("action-request").count() == 0
        page.get_by_test_id("action-reserve").click()
        page.wait_for_url(f"{base}/sessions/")

    browser.run(steps)


def test_a_band_2_official_reads_hours_used_held_and_remaining_on_the_stacked_bar(live_server, browser):
    institution = onsite_institution(users=1500)  # band 2: 12 hours
    _official(institution)
    onsite_session(submitted_request(institution, {"EIMZA-101": 9}), starts_at=at(20, 9), hours=6)  # 6 used, 3 held
    base = live_server.url

    def steps(page) -> None:
        _log_in(page, base)
        usage = page.get_by_test_id("usage")
        assert "toplam 1.500 aktif kullanıcı" in usage.inner_text()  # Turkish thousands separator
        bars = {
            name: page.get_by_role("progressbar", name=name, exact=True)
            for name in ("Kullanılan saatler", "Açık taleplerin ayırdığı saatler", "Kalan saatler")
        }
        assert [b.get_attribute("aria-valuenow") for b in bars.values()] == ["6", "3", "3"]
        assert {b.get_attribute("aria-valuemax") for b in bars.values()} == {"12"}
        figures = [page.get_by_test_id(f"hours-{n}").inner_text() for n in ("right", "used", "held", "remaining")]
        assert figures == ["12", "6", "3", "3"]
        assert page.get_by_test_id("action-request").inner_text() == "Yerinde eğitim talep et"
        assert page.get_by_test_id("action-reserve").count() == 0
        assert at(20, 9).strftime("%d.%m.%Y 09:00") in page.get_by_test_id("next-session").inner_text()
        page.screenshot(path=SCREENSHOT, full_page=True)

    browser.run(steps)
