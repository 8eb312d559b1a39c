"""The centre's planning pages at desktop widths: the trainers' month calendar shows the whole
month without widening the page and opens an entry's facts from the keyboard; a program's category
table fits beside the sidebar with its bounds in full."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from django.utils import timezone

from entitlements.models import Program
from sessions.services import unavailability_create
from tests.entitlements.factories import UserFactory
from tests.sessions.factories import SessionFactory, TrainerFactory
from tests.timing import on

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


def _month_ahead() -> date:
    return (timezone.localdate().replace(day=1) + timedelta(days=45)).replace(day=1)


@pytest.fixture
def busy_month(db) -> date:
    """Twelve trainers, each with sessions on the month's first, tenth and last days; the first
    also away for two days."""
    month = _month_ahead()
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    trainers = [TrainerFactory(user__username=f"takvim{n}") for n in range(12)]
    for trainer in trainers:
        for day in (month, month.replace(day=10), last):
            SessionFactory(trainer=trainer, starts_at=on(day, 9), ends_at=on(day, 13))
    unavailability_create(
        trainer=trainers[0], starts_at=on(month.replace(day=14), 9), ends_at=on(month.replace(day=15), 18)
    )
    return month


@pytest.mark.parametrize("width", [1440, 1280])
def test_the_whole_month_is_reachable_and_an_entrys_facts_open_from_the_keyboard(
    live_server, browser, staff_member, busy_month, width
):
    base = live_server.url
    last = calendar.monthrange(busy_month.year, busy_month.month)[1]

    def steps(page) -> None:
        page.set_viewport_size({"width": width, "height": 900})
        _sign_in(page, base)
        page.goto(f"{base}/admin/training_sessions/trainer/calendar/?month={busy_month:%Y-%m}")
        frame = page.locator("#work-plan-frame")
        assert not _page_scrolls_sideways(page), "the page itself must not scroll sideways"
        box = frame.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["height"] <= 900, "the frame fits in the window, so its own scrollbar can be on screen"
        assert page.locator("#work-plan thead th[data-day]").count() == last

        # The frame scrolls to the month's last day; the page still does not.
        frame.evaluate("f => { f.scrollLeft = f.scrollWidth; }")
        frame.scroll_into_view_if_needed()
        box = frame.bounding_box()
        cell = page.locator(f"#work-plan thead th[data-day='{last}']").bounding_box()
        assert box["x"] <= cell["x"] and cell["x"] + cell["width"] <= box["x"] + box["width"] + 1
        assert cell["x"] + cell["width"] <= width
        assert page.locator(f"#work-plan tbody td[data-day='{last}'] .entry").first.is_visible()
        assert not _page_scrolls_sideways(page)
        page.screenshot(path=SCREENSHOTS.format("calendar", width))

        # A keyboard user: the frame takes focus (arrow keys scroll it), Tab reaches the first
        # trainer, then their first entry; Enter opens its facts, Escape closes them, Space opens
        # them again.
        frame.evaluate("f => { f.scrollLeft = 0; }")
        frame.focus()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('th.trainer') !== null")
        page.keyboard.press("Tab")
        entry = page.locator("#work-plan .entry").first
        assert entry.evaluate("e => e === document.activeElement")
        facts = page.locator(f"#{entry.get_attribute('popovertarget')}")
        assert not facts.is_visible()
        page.keyboard.press("Enter")
        assert facts.is_visible()
        text = facts.inner_text()
        assert "E-imza kurulumu ve kullanımı" in text and "09:00–13:00" in text and "Kamu SM Ankara" in text
        link = facts.get_by_role("link", name="Seansı aç")
        assert "/admin/training_sessions/trainingsession/" in link.get_attribute("href")
        page.keyboard.press("Tab")
        assert link.evaluate("e => e === document.activeElement"), "Tab goes on into the open facts"
        page.screenshot(path=SCREENSHOTS.format("calendar-facts", width))
        page.keyboard.press("Escape")
        assert not facts.is_visible()
        entry.focus()
        page.keyboard.press("Space")
        assert facts.is_visible()
        assert _axe_violations(page, "#content-main") == []

    browser.run(steps)


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
