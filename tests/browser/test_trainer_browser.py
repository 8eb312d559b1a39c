"""A trainer's journey in Chromium: signing in lands on the work plan; the attendance sheet's
"everyone" and per-row buttons set the radios in the page; saving shows that it is busy and cannot
be sent twice, then says how many certificates were issued; and the trainer's pages lay out at
390 px with no sideways scroll (their lists stack into cards)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from certificates import tasks
from certificates.models import Certificate
from sessions.services import unavailability_create
from tests.certificates.factories import onsite_finished
from tests.sessions.factories import SessionFactory
from tests.timing import at

PASSWORD = "secret-pass-123"  # the user factory's
PHONE = {"width": 390, "height": 844}
SCREENSHOT = "/tmp/trainer-attendance-390.png"

pytestmark = [
    pytest.mark.browser,
    # live_server needs real commits; serialized rollback brings back the migrations' data.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def plan(monkeypatch):
    """A trainer's finished on-site session of three people (attendance not yet recorded), an
    upcoming classroom session and a block of unavailability. PDFs are not rendered here: the
    sheet's message does not wait for them."""
    monkeypatch.setattr(tasks.render_certificates, "apply_async", lambda *args, **kwargs: None)
    session, people = onsite_finished(3, first_name="Işıl İnci", last_name="Güneş Şıkoğlu")
    trainer = session.trainer
    SessionFactory(trainer=trainer, starts_at=at(20, 9), ends_at=at(20, 13))
    unavailability_create(
        trainer=trainer, starts_at=at(40, 9), ends_at=at(41, 17), reason="Yıllık izin, Erzurum'da aile ziyareti"
    )
    return trainer, session, people


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")


def sideways(page) -> int:
    """How far the page scrolls sideways (0: not at all)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_the_trainer_signs_in_to_the_work_plan_and_records_attendance_in_a_few_taps(live_server, browser, plan):
    trainer, session, (first, second, third) = plan
    base = live_server.url
    schedule = f"{base}{reverse('sessions_portal:trainer_schedule')}"
    sheet = f"{base}{reverse('certificates:attendance', args=[session.pk])}"

    def steps(page) -> dict:
        posts: list[str] = []
        page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
        sign_in(page, base, trainer.user.username)
        page.wait_for_url(schedule)
        landed = page.url

        page.goto(sheet)

        # The radios sit under their buttons: ask the radios, click the buttons (their labels).
        def radio(selector):
            return page.locator(selector)

        before = [radio(f"#id_mark_{p.pk}_0").is_checked() for p in (first, second, third)]
        page.locator('[data-testid="fill-everyone"] button[data-fill="full"]').click()
        everyone = [radio(f"#id_mark_{p.pk}_0").is_checked() for p in (first, second, third)]
        note = page.get_by_test_id("fill-status").inner_text()
        page.locator(f'label[for="id_mark_{third.pk}_2"]').click()  # the third was absent
        row = [radio(f"#id_mark_{third.pk}_{i}").is_checked() for i in range(3)]
        same_page = page.url
        posts_before_save = list(posts)

        with page.expect_navigation():
            # Two clicks in one go, as an impatient finger does; the state is read at once,
            # before the answer replaces the page.
            pressed = page.evaluate(
                """() => {
                    const save = document.getElementById("attendance-save");
                    save.click();
                    const spinner = save.querySelector(".spinner-border");
                    const state = {
                        disabled: save.disabled,
                        busy: save.getAttribute("aria-busy"),
                        label: save.innerText.trim(),
                        spinner: getComputedStyle(spinner).display !== "none",
                    };
                    save.click();
                    document.getElementById("attendance-form").requestSubmit();
                    return state;
                }"""
            )
        page.wait_for_load_state()
        message = page.locator(".messages").inner_text()
        return {
            "landed": landed,
            "before": before,
            "everyone": everyone,
            "note": note,
            "row": row,
            "same_page": same_page,
            "posts_before_save": posts_before_save,
            "pressed": pressed,
            "saves": posts.count(sheet),
            "message": message,
        }

    seen = browser.run(steps)

    assert seen["landed"] == schedule
    assert seen["before"] == [False, False, False]
    assert seen["everyone"] == [True, True, True]
    assert seen["note"].startswith("Herkes “Tam katılım” olarak işaretlendi. Henüz kaydedilmedi")
    assert seen["row"] == [False, False, True]
    assert seen["same_page"] == sheet and sheet not in seen["posts_before_save"]  # set in the page, not sent
    assert seen["pressed"] == {"disabled": True, "busy": "true", "label": "Kaydediliyor…", "spinner": True}
    assert seen["saves"] == 1  # the second click and the second submit were held back
    assert "Katılım kaydedildi. 2 sertifika düzenlendi; PDF'leri arka planda hazırlanıyor" in seen["message"]
    marks = dict(session.attendance.values_list("participant_id", "status"))
    assert marks == {first.pk: "full", second.pk: "full", third.pk: "absent"}
    assert Certificate.objects.filter(session=session).count() == 2


def test_the_trainers_pages_fit_a_phone_without_sideways_scroll(live_server, browser, plan):
    trainer, session, (first, _second, _third) = plan
    base = live_server.url
    pages = {
        "schedule": f"{base}{reverse('sessions_portal:trainer_schedule')}",
        "attendance": f"{base}{reverse('certificates:attendance', args=[session.pk])}",
    }

    def steps(page) -> dict:
        page.set_viewport_size(PHONE)
        sign_in(page, base, trainer.user.username)
        page.wait_for_url(pages["schedule"])
        seen = {}
        for name, url in pages.items():
            page.goto(url)
            tables = page.evaluate(
                """() => [...document.querySelectorAll("table.table-stack")].map(table => ({
                    id: table.id,
                    stacked: [...table.tBodies[0].rows].every(row => getComputedStyle(row).display === "block"),
                    header: getComputedStyle(table.tHead).position,
                    right: Math.max(...[...table.querySelectorAll("td")].map(td => td.getBoundingClientRect().right)),
                }))"""
            )
            seen[name] = {"sideways": sideways(page), "tables": tables}
            if name == "attendance":
                page.screenshot(path=SCREENSHOT, full_page=True)
                buttons = page.locator(f'[data-testid="attendance-{first.pk}"] label.btn')
                seen["row_buttons"] = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
                seen["label"] = page.evaluate(
                    f"""() => getComputedStyle(
                        document.querySelector('[data-testid="attendance-{first.pk}"] td[data-label]'), "::before"
                    ).content"""
                )
        return seen

    seen = browser.run(steps)

    for name in pages:
        assert seen[name]["sideways"] == 0, (name, seen[name])
        for table in seen[name]["tables"]:
            assert table["stacked"] and table["header"] == "absolute", (name, table)
            assert table["right"] <= PHONE["width"], (name, table)
    assert {t["id"] for t in seen["schedule"]["tables"]} == {"upcoming", "blocks", "past"}
    assert [t["id"] for t in seen["attendance"]["tables"]] == ["attendance"]
    assert len(seen["row_buttons"]) == 3
    assert all(box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 30 for box in seen["row_buttons"])
    assert seen["label"] == '"Birim"'
