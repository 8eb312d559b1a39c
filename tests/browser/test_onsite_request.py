"""An official of a category 1 institution submits a two-item on-site training request through the
form, in the browser, and sees it listed as submitted."""

from __future__ import annotations

import pytest
from django.utils import translation

from entitlements.services import official_create
from sessions.models import Course, RequestStatus, TrainingRequest
from tests.sessions.factories import onsite_institution
from tests.timing import day, dotted

FIRST, LAST = day(91), day(100)  # a preferred window (dates lie between today and two years ahead)

USERNAME = "sukru.caglar"
PASSWORD = "Güçlü-Parola-2012!"
SCREENSHOT = "/tmp/onsite-request.png"
FORM_SCREENSHOT = "/tmp/onsite-request-form.png"

pytestmark = [
    pytest.mark.browser,
    # live_server needs real commits; serialized rollback brings back the migrations' data.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def institution():
    """500 active users: category 1, 8 on-site hours in the 2012 program."""
    institution = onsite_institution(name="Iğdır Valiliği Şişli Ilıca Öğretmenevi")
    official_create(
        institution=institution,
        username=USERNAME,
        email="sukru.caglar@igdir.gov.tr",
        first_name="Şükrü",
        last_name="Çağlar",
        password=PASSWORD,
    )
    return institution


def test_official_submits_a_two_item_request_and_sees_it_listed_as_submitted(live_server, browser, institution):
    user_course = Course.objects.get(code="EIMZA-101")  # 4 hours of its own
    technical_course = Course.objects.get(code="EIMZA-202")
    with translation.override("tr"):
        submitted_label = str(RequestStatus.SUBMITTED.label)
    base = live_server.url

    def steps(page) -> dict:
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", USERNAME)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{base}/dashboard/")

        page.click("#onsite-menu")
        page.click('#portal-nav a[href="/requests/new/"]')
        page.wait_for_url(f"{base}/requests/new/")
        found = {"remaining": page.get_by_test_id("hours-remaining").inner_text()}

        # choosing a course fills its own hours into the empty box
        page.select_option("#id_items-0-course", str(user_course.pk))
        found["autofilled"] = page.input_value("#id_items-0-hours")
        page.select_option("#id_items-1-course", str(technical_course.pk))
        page.fill("#id_items-1-hours", "3")
        page.click('button[data-add-row="items"]')  # a third, empty line: left out on submit
        found["rows"] = page.input_value("#id_items-TOTAL_FORMS")
        page.select_option("#id_province", label="Iğdır")
        page.fill("#id_expected_participants", "18")
        page.fill("#id_windows-0-starts", dotted(FIRST))
        page.fill("#id_windows-0-ends", dotted(LAST))
        page.fill("#id_notes", "Toplantı salonu hazır; ğ ı ş ç ö ü.")
        page.screenshot(path=FORM_SCREENSHOT, full_page=True)
        page.click("#request-form button[type=submit]")
        page.wait_for_url(f"{base}/requests/")

        found["table"] = page.locator("#requests tbody").inner_text()
        found["badges"] = page.locator("#requests tbody [data-testid=status] .badge").all_inner_texts()
        found["message"] = page.locator(".messages").inner_text()
        found["held"] = page.get_by_test_id("hours-held").inner_text()
        page.screenshot(path=SCREENSHOT, full_page=True)
        return found

    found = browser.run(steps)
    assert found["remaining"] == "8"
    assert found["autofilled"] == "4"
    assert found["rows"] == "3"
    made = TrainingRequest.objects.get(institution=institution)
    assert made.status == RequestStatus.SUBMITTED
    assert sorted(made.items.values_list("course__code", "hours")) == [("EIMZA-101", 4), ("EIMZA-202", 3)]
    assert (made.province_id, made.expected_participants) == (76, 18)
    assert made.preferred_dates == [{"from": FIRST.isoformat(), "to": LAST.isoformat()}]
    assert made.notes == "Toplantı salonu hazır; ğ ı ş ç ö ü."
    assert found["badges"] == [submitted_label]
    assert f"#{made.pk}" in found["message"]
    assert user_course.title_tr in found["table"] and technical_course.title_tr in found["table"]  # Turkish page
    assert "Iğdır" in found["table"] and f"{dotted(FIRST)} – {dotted(LAST)}" in found["table"]
    assert found["held"] == "7"
