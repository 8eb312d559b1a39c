"""An official downloads a ready certificate's PDF from the Certificates page, in the browser, and
the verification page opens from the code printed on it (typed in lower case, with dashes)."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from certificates import tasks
from certificates.models import Certificate, CertificateStatus
from certificates.services import attendance_record, certificate_render
from entitlements.services import official_create
from tests.certificates.factories import onsite_finished
from tests.sessions.factories import onsite_institution

USERNAME = "sukru.caglar"
PASSWORD = "Güçlü-Parola-2012!"
FIRST_NAME, LAST_NAME = "Işıl İnci", "Güneş Şıkoğlu"
SCREENSHOT = "/tmp/certificate-verify.png"
LIST_SCREENSHOT = "/tmp/certificate-list.png"

pytestmark = [
    pytest.mark.browser,
    # live_server needs real commits; serialized rollback brings back the migrations' data.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # The tests' own signing key; the live server's thread reads the same settings.
    pytest.mark.usefixtures("signing_certificate"),
]


@pytest.fixture
def certificate(monkeypatch) -> Certificate:
    """Full attendance of one participant of the official's category 1 institution at a finished
    on-site training: one certificate, then rendered here (not by the queue) so it is ready."""
    monkeypatch.setattr(tasks.render_certificates, "apply_async", lambda *args, **kwargs: None)
    institution = onsite_institution(name="Iğdır Valiliği Şişli Ilıca Öğretmenevi")
    official_create(
        institution=institution,
        username=USERNAME,
        email="sukru.caglar@igdir.gov.tr",
        first_name="Şükrü",
        last_name="Çağlar",
        password=PASSWORD,
    )
    session, (person,) = onsite_finished(1, institution=institution, first_name=FIRST_NAME, last_name=LAST_NAME)
    attendance_record(session=session, marks=[(person, "full")])
    made = Certificate.objects.get(participant=person)
    assert made.status == CertificateStatus.PENDING
    assert certificate_render(certificate_id=made.pk) == "ready"
    made.refresh_from_db()
    assert made.status == CertificateStatus.READY and made.pdf
    return made


def test_official_downloads_the_pdf_and_the_verify_page_opens_from_its_printed_code(
    live_server, browser, certificate, tmp_path
):
    base = live_server.url
    typed = certificate.code_display.lower()  # as read off the paper: dashes, lower case
    saved = tmp_path / "downloaded.pdf"
    with translation.override("tr"):
        ready_label, valid_text = str(CertificateStatus.READY.label), gettext("Valid certificate.")

    def steps(page) -> dict:
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", USERNAME)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{base}/dashboard/")

        page.click('#portal-nav a[href="/certificates/"]')
        page.wait_for_url(f"{base}/certificates/")
        row = page.get_by_test_id(f"certificate-{certificate.pk}")
        found = {"row": row.inner_text(), "status": row.get_by_test_id("status").inner_text()}
        page.screenshot(path=LIST_SCREENSHOT, full_page=True)
        with page.expect_download() as download_info:
            row.locator(f'a[href="/certificates/{certificate.pk}/pdf/"]').click()
        download = download_info.value
        download.save_as(saved)
        found["filename"] = download.suggested_filename

        page.goto(f"{base}/verify/")
        page.fill("#id_code", typed)
        page.click("[data-testid=lookup] button[type=submit]")
        page.wait_for_url(f"{base}/verify/{certificate.code}/")
        found["valid"] = page.get_by_test_id("valid").inner_text()
        found["name"] = page.get_by_test_id("participant-name").inner_text()
        found["serial"] = page.get_by_test_id("serial").inner_text()
        found["pdf_link"] = page.get_by_test_id("pdf").get_attribute("href")
        found["lang"] = page.evaluate("document.documentElement.lang")
        page.screenshot(path=SCREENSHOT, full_page=True)
        return found

    found = browser.run(steps)
    assert certificate.serial in found["row"] and f"{FIRST_NAME} {LAST_NAME}" in found["row"]
    assert found["status"] == ready_label
    assert found["filename"] == f"{certificate.serial}.pdf"
    assert saved.read_bytes().startswith(b"%PDF")
    assert found["lang"] == "tr"
    assert valid_text == "Geçerli sertifika." and valid_text in found["valid"]
    assert found["name"] == f"{FIRST_NAME} {LAST_NAME}"
    assert found["serial"] == certificate.serial
    assert found["pdf_link"] == f"/verify/{certificate.code_display}/pdf/"
