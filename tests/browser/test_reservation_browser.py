"""An official of a Standard institution reserves seats for three participants, in the browser."""

from __future__ import annotations

import pytest
from django.utils import translation

from entitlements.services import official_create
from sessions.models import Reservation, ReservationStatus
from tests.sessions.factories import ParticipantFactory, SessionFactory, standard_institution

USERNAME = "ilkay.sahin"
PASSWORD = "Güçlü-Parola-2012!"
SCREENSHOT = "/tmp/reservations.png"
RESERVE_SCREENSHOT = "/tmp/reserve.png"
NAMES = [("İsmail", "Işıkgöz"), ("Şükriye", "Ağaoğlu"), ("Ilgın", "Doğruöz")]

pytestmark = [
    pytest.mark.browser,
    # live_server needs real commits; serialized rollback brings back the migrations' data.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def institution():
    """50 active users: the Standard band, 6 classroom seats in the 2012 program."""
    institution = standard_institution(name="Iğdır İl Sağlık Müdürlüğü")
    official_create(
        institution=institution,
        username=USERNAME,
        email="ilkay.sahin@igdir.gov.tr",
        first_name="İlkay",
        last_name="Şahin",
        password=PASSWORD,
    )
    return institution


def test_official_reserves_three_seats_and_sees_them_confirmed(live_server, browser, institution):
    people = [ParticipantFactory(institution=institution, first_name=f, last_name=last) for f, last in NAMES]
    session = SessionFactory()
    with translation.override("tr"):
        confirmed_label = str(ReservationStatus.CONFIRMED.label)
    base = live_server.url

    def steps(page) -> list[str]:
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", USERNAME)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{base}/dashboard/")

        page.click('#portal-nav a[href="/sessions/"]')
        page.wait_for_url(f"{base}/sessions/")
        assert page.get_by_test_id(f"session-{session.pk}").get_by_test_id("free-seats").inner_text() == "24"
        page.get_by_test_id(f"reserve-{session.pk}").click()
        page.wait_for_url(f"{base}/sessions/{session.pk}/reserve/")

        assert page.get_by_test_id("free-seats").inner_text() == "24"
        assert page.get_by_test_id("remaining-quota").inner_text() == "6"
        for person in people:
            page.check(f'#reservation-form input[name=participants][value="{person.pk}"]')
        assert "3" in page.locator("#split-live").inner_text()  # the live summary follows the ticks
        page.screenshot(path=RESERVE_SCREENSHOT, full_page=True)
        page.click("#reservation-form button[type=submit]")
        page.wait_for_url(f"{base}/reservations/")

        table = page.locator("#reservations tbody").inner_text()
        badges = page.locator("#reservations tbody .badge").all_inner_texts()
        page.screenshot(path=SCREENSHOT, full_page=True)
        return [table, *badges, page.locator(".messages").inner_text()]

    table, *badges, message = browser.run(steps)
    for first, last in NAMES:
        assert f"{first} {last}" in table  # İ ı ş ğ intact
        assert f"{first} {last}" in message
    assert badges == [confirmed_label] * 3
    assert sorted(Reservation.objects.filter(session=session).values_list("status", flat=True)) == ["confirmed"] * 3
