"""Officials' pages in a real Chromium, in Turkish: the navigation fits one line at 1280 px and shows
the menu of the institution's band; cancelling a reservation asks first and then says the seat is
released; the official pages do not scroll sideways at 390 px."""

from __future__ import annotations

import pytest

from entitlements.services import official_create
from sessions.models import Reservation, ReservationStatus
from sessions.services import reservation_create
from tests.entitlements.factories import InstitutionFactory
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    onsite_institution,
    standard_institution,
    submitted_request,
)

PASSWORD = "Güçlü-Parola-2012!"
NAV_SCREENSHOT = "/tmp/official_nav_{name}.png"
CANCEL_SCREENSHOT = "/tmp/reservation_cancel.png"

pytestmark = [
    pytest.mark.browser,
    # live_server needs real commits; serialized rollback brings back the migrations' data.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The tops of the navbar's items (brand, links, language and logout forms): all on one line when
# they differ by less than a line's height.
NAV_TOPS = """() => {
  const nav = document.querySelector("nav.portal-navbar");
  const items = [nav.querySelector(".navbar-brand"),
                 ...nav.querySelectorAll("#portal-nav > ul > li"),
                 ...nav.querySelectorAll("#portal-nav > div > *")];
  return {height: nav.getBoundingClientRect().height,
          tops: items.map((item) => Math.round(item.getBoundingClientRect().top)),
          labels: items.map((item) => item.innerText.trim())};
}"""


def _official(institution, username: str) -> str:
    official_create(
        institution=institution,
        username=username,
        email=f"{username}@kurum.gov.tr",
        first_name="Şükrü",
        last_name="Işıkoğlu",
        password=PASSWORD,
    )
    return username


def _log_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")


def _one_line(page) -> dict:
    found = page.evaluate(NAV_TOPS)
    where = list(zip(found["labels"], found["tops"], strict=True))
    assert max(found["tops"]) - min(found["tops"]) < 16, where  # a second line would be ~40 px lower
    assert found["height"] < 72, found  # one line of a Bootstrap navbar is about 56 px
    return found


def test_the_navigation_fits_one_line_at_1280_px_with_the_menu_of_each_band(live_server, browser):
    officials = {
        "standard": _official(standard_institution(users=60), "standart.yetkili"),
        "category1": _official(onsite_institution(users=500), "kategori1.yetkili"),
        "category5": _official(onsite_institution(users=200_000), "kategori5.yetkili"),
        "no_band": _official(InstitutionFactory(merkez_users=0), "bantsiz.yetkili"),
    }
    base = live_server.url

    def steps(page) -> dict:
        seen = {}
        page.goto(f"{base}/")
        seen["anonymous"] = _one_line(page)
        assert page.locator('#portal-nav a[href="/verify/"]').is_visible()
        for name, username in officials.items():
            _log_in(page, base, username)
            page.screenshot(path=NAV_SCREENSHOT.format(name=name))
            seen[name] = _one_line(page)
            seen[name]["links"] = page.eval_on_selector_all(
                "#portal-nav a.nav-link", "(links) => links.map((a) => a.getAttribute('href'))"
            )
        return seen

    seen = browser.run(steps)
    assert {"/sessions/", "/reservations/"} <= set(seen["standard"]["links"])
    assert "/requests/" not in seen["standard"]["links"]  # no on-site menu (its toggle opens the requests)
    for name in ("category1", "category5"):
        assert "/requests/" in seen[name]["links"] and "/sessions/" not in seen[name]["links"]  # the on-site menu only
    assert "/sessions/" not in seen["no_band"]["links"] and "/requests/" not in seen["no_band"]["links"]
    assert "/participants/" in seen["no_band"]["links"]


def test_cancelling_a_reservation_asks_first_then_says_the_seat_is_released(live_server, browser):
    institution = standard_institution(users=60)
    username = _official(institution, "iptal.yetkili")
    session = SessionFactory(capacity=1)
    seated, waiting = reservation_create(
        session=session,
        participants=[
            ParticipantFactory(institution=institution, first_name="İlkay", last_name="Şahin"),
            ParticipantFactory(institution=institution, first_name="Ömer", last_name="Güneş"),
        ],
    )
    base = live_server.url

    def steps(page) -> dict:
        _log_in(page, base, username)
        page.goto(f"{base}/reservations/")
        page.get_by_test_id(f"cancel-{seated.pk}").click()
        page.wait_for_url(f"{base}/reservations/{seated.pk}/cancel/")
        facts = page.get_by_test_id("reservation-facts").inner_text()
        question = page.get_by_test_id("cancel-question").inner_text()
        page.click("#reservation-cancel-form a")  # "Vazgeç": nothing changes
        page.wait_for_url(f"{base}/reservations/")
        kept = page.get_by_test_id(f"reservation-{seated.pk}").get_by_test_id("status").inner_text()

        page.get_by_test_id(f"cancel-{seated.pk}").click()
        page.wait_for_url(f"{base}/reservations/{seated.pk}/cancel/")
        page.click("#reservation-cancel-form button[type=submit]")
        page.wait_for_url(f"{base}/reservations/")
        page.screenshot(path=CANCEL_SCREENSHOT, full_page=True)
        return {
            "facts": facts,
            "question": question,
            "kept": kept,
            "message": page.locator(".messages").inner_text(),
            "status": page.get_by_test_id(f"reservation-{seated.pk}").get_by_test_id("status").inner_text(),
        }

    seen = browser.run(steps)
    assert "İlkay Şahin" in seen["facts"] and "İlkay Şahin" in seen["question"]
    assert seen["kept"].startswith("Onaylandı") or "Onay" in seen["kept"]
    assert "İlkay Şahin" in seen["message"] and "yeri bırakıldı" in seen["message"]
    assert "Ömer" not in seen["message"]  # the message names the cancelled participant only, never who moved up
    assert "İptal" in seen["status"]
    seated.refresh_from_db()
    waiting.refresh_from_db()
    assert (seated.status, waiting.status) == (ReservationStatus.CANCELLED, ReservationStatus.CONFIRMED)


def test_the_official_pages_do_not_scroll_sideways_at_390_px(live_server, browser):
    standard = standard_institution(users=60)
    standard_user = _official(standard, "dar.standart")
    people = [ParticipantFactory(institution=standard) for _ in range(2)]
    session = SessionFactory(capacity=1)
    reserved = reservation_create(session=session, participants=people)[0]
    onsite = onsite_institution(users=500)
    onsite_user = _official(onsite, "dar.yerinde")
    ParticipantFactory(institution=onsite)
    submitted_request(onsite, {"EIMZA-101": 4})
    base = live_server.url
    pages = {
        standard_user: [
            "/dashboard/",
            "/catalog/",
            "/sessions/",
            f"/sessions/{session.pk}/reserve/",
            "/reservations/",
            f"/reservations/{reserved.pk}/cancel/",
            "/participants/",
            "/verify/?code=KSM-2012-000001",
        ],
        onsite_user: ["/requests/", "/requests/new/", "/onsite/", "/participants/"],
    }

    def steps(page) -> dict:
        page.set_viewport_size({"width": 390, "height": 844})
        widths = {}
        for username, urls in pages.items():
            _log_in(page, base, username)
            for url in urls:
                page.goto(f"{base}{url}")
                widths[(username, url)] = page.evaluate("document.documentElement.scrollWidth")
        return widths

    widths = browser.run(steps)
    assert len(widths) == sum(len(urls) for urls in pages.values())  # each official's pages, none overwritten
    assert widths == dict.fromkeys(widths, 390), widths
    assert Reservation.objects.filter(pk=reserved.pk, status=ReservationStatus.CONFIRMED).exists()


def test_without_javascript_an_on_site_official_reaches_the_on_site_pages_from_the_navigation(live_server, browser):
    """The on-site menu's toggle is a link to the requests page, and its items show on focus (1280 px)
    or in the expanded menu (390 px, where the menu button cannot work without JavaScript)."""
    username = _official(onsite_institution(users=500), "betiksiz.yetkili")
    base = live_server.url

    def steps(page) -> dict:
        _log_in(page, base, username)
        page.click("#onsite-menu")
        page.wait_for_url(f"{base}/requests/")
        seen = {"heading": page.locator("main h1").inner_text()}
        page.focus("#onsite-menu")
        seen["items_on_focus"] = page.locator("#portal-nav .dropdown-item").evaluate_all(
            "(items) => items.map((item) => item.checkVisibility())"
        )
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/dashboard/")
        page.locator("#portal-nav").get_by_role("link", name="Yeni talep", exact=True).click()
        page.wait_for_url(f"{base}/requests/new/")
        return seen

    seen = browser.run(steps, java_script_enabled=False)
    assert seen["items_on_focus"] == [True, True, True], seen
    assert seen["heading"]
