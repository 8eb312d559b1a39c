"""An official logs in through the real login form and reads their dashboard, in Turkish."""

from __future__ import annotations

import pytest

from entitlements.models import District, InstitutionKind, Province, UnitLevel
from entitlements.services import UnitData, institution_create, official_create
from tests.entitlements.factories import InstitutionFactory

NAME = "İçişleri Bakanlığı Iğdır Valiliği Şişli Ilıca Öğretmenevi Müdürlüğü"
USERNAME = "ayse.yilmaz"
PASSWORD = "Güçlü-Parola-2012!"
SCREENSHOT = "/tmp/dashboard.png"

pytestmark = [
    pytest.mark.browser,
    # live_server needs real commits; serialized rollback brings back the migrations' data
    # (the 2012 program and its table, the provinces) for the transactional tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def institution():
    """150 active users over three units: Kategori 1, 8 hours on-site."""
    igdir = Province.objects.get(plate=76)
    istanbul = Province.objects.get(plate=34)
    institution = institution_create(
        name=NAME,
        code="TR-76-0001",
        kind=InstitutionKind.GOVERNORSHIP,
        units=[
            UnitData(level=UnitLevel.MERKEZ, name="Merkez Teşkilatı", active_users=100),
            UnitData(level=UnitLevel.IL, name="Iğdır İl Müdürlüğü", province=igdir, active_users=30),
            UnitData(
                level=UnitLevel.ILCE,
                name="Şişli İlçe Müdürlüğü",
                province=istanbul,
                district=District.objects.get(province=istanbul, name="Şişli"),
                active_users=20,
            ),
        ],
    )
    official_create(
        institution=institution,
        username=USERNAME,
        email="ayse.yilmaz@igdir.gov.tr",
        first_name="Ayşe",
        last_name="Yılmaz",
        password=PASSWORD,
    )
    return institution


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")


def test_official_logs_in_and_sees_category_and_hours_in_turkish(live_server, browser, institution):
    base = live_server.url

    def steps(page) -> None:
        requested: list[str] = []
        statuses: dict[str, int] = {}
        page.on("request", lambda request: requested.append(request.url))
        page.on("response", lambda response: statuses.__setitem__(response.url, response.status))

        page.goto(f"{base}/accounts/login/")
        assert page.evaluate("document.documentElement.lang") == "tr"
        _log_in(page, base)

        assert page.evaluate("document.documentElement.lang") == "tr"
        assert page.get_by_test_id("institution-name").inner_text() == NAME  # İ ı ş ğ intact
        assert page.get_by_test_id("institution-code").inner_text() == "TR-76-0001"
        assert page.get_by_test_id("category-name").inner_text() == "Kategori 1"
        assert page.get_by_test_id("hours").inner_text() == "8"
        assert page.get_by_test_id("total-users").inner_text() == "150"
        units = page.locator("#units tbody").inner_text()
        for text in ("Merkez Teşkilatı", "Iğdır İl Müdürlüğü", "Şişli İlçe Müdürlüğü", "Iğdır", "İstanbul", "Şişli"):
            assert text in units

        # Bootstrap and our stylesheet come from our own static files, and they apply.
        assert statuses.get(f"{base}/static/bootstrap/css/bootstrap.min.css") == 200
        assert statuses.get(f"{base}/static/bootstrap/js/bootstrap.bundle.min.js") == 200
        assert statuses.get(f"{base}/static/css/portal.css") == 200
        navbar = page.locator("nav.navbar")
        assert navbar.evaluate("el => getComputedStyle(el).display") == "flex"  # Bootstrap's .navbar
        assert navbar.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 61, 110)"  # portal.css
        assert all(url.startswith(base) for url in requested), "no CDN, no request leaves the portal"

        page.screenshot(path=SCREENSHOT, full_page=True)

        # English is one click away (a POST carrying the CSRF token), and back again.
        page.click("#language-form button[value=en]")
        page.wait_for_function("document.documentElement.lang === 'en'")
        assert page.get_by_test_id("institution-name").inner_text() == NAME
        page.click("#language-form button[value=tr]")
        page.wait_for_function("document.documentElement.lang === 'tr'")

        # Logging out is a POST form too.
        page.click("#logout-form button[type=submit]")
        page.wait_for_url(f"{base}/accounts/login/")

    browser.run(steps)


def test_another_institutions_page_is_not_found_in_the_browser(live_server, browser, institution):
    other = InstitutionFactory(name="Başka Kurum Genel Müdürlüğü")
    base = live_server.url

    def steps(page) -> None:
        _log_in(page, base)
        assert "Başka Kurum" not in page.content()
        response = page.goto(f"{base}/institutions/{other.pk}/")
        assert response.status == 404
        assert "Başka Kurum" not in page.content()
        response = page.goto(f"{base}/institutions/{institution.pk}/")
        assert response.status == 200
        assert page.get_by_test_id("institution-name").inner_text() == NAME

    browser.run(steps)
