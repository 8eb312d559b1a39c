"""Public verification (docs/domain.md, "Verification and revocation"; docs/api.md): anyone
holding a code sees whether the certificate stands and what it says — never a kimlik no or an
e-mail — on the page and over the API; unknown codes are 404; a revoked certificate says so; the
PDF is offered once ready, never when revoked; both are rate-limited per client address.

Pages are read in English (language cookie) where the assertions hold English msgids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from certificates.models import Certificate, CertificateStatus
from certificates.services import SERIAL_RE, certificate_revoke, serials_take
from certificates.views.verify import typed_a_serial
from sessions.models import Participant
from tests.certificates.factories import FAKE_PDF, issued, make_ready
from tests.entitlements.factories import client_for, official_of
from tests.sessions.factories import kimlik_no

pytestmark = pytest.mark.django_db

VERIFY_FIELDS = {"valid", "status", "serial", "participant_name", "institution", "course", "hours", "date", "place"}


@pytest.fixture
def certificate(program) -> Certificate:
    """A certificate of someone whose kimlik no and e-mail are on record (and must never show)."""
    (made,) = issued()
    Participant.objects.filter(pk=made.participant_id).update(
        kimlik_no=kimlik_no(), email="ilknur.isik@kurum.gov.tr", first_name="İlknur", last_name="Işık"
    )
    return made


def _page(client, code: str, *, english: bool = True):
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(reverse("certificates:verify", args=[code]))


def _api(code: str, **extra):
    return client_for().get(f"/api/v1/certificates/verify/{code}/", **extra)


def _with_rate(settings, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "verify": rate},
    }


# --- What verification shows ------------------------------------------------------------------


def test_the_api_answers_the_fields_of_api_md_and_nothing_personal(certificate):
    participant = Participant.objects.get(pk=certificate.participant_id)
    response = _api(certificate.code_display)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == VERIFY_FIELDS
    assert body == {
        "valid": True,
        "status": "pending",
        "serial": certificate.serial,
        "participant_name": certificate.participant_name,
        "institution": certificate.institution_name,
        "course": certificate.course_title,
        "hours": 8,
        "date": certificate.starts_on.strftime("%d.%m.%Y"),
        "place": certificate.place,
    }
    text = response.content.decode()
    assert participant.kimlik_no not in text
    assert participant.email not in text


def test_the_page_shows_what_the_certificate_says_and_never_a_kimlik_no_or_email(client, certificate):
    participant = Participant.objects.get(pk=certificate.participant_id)
    response = _page(client, certificate.code_display, english=False)
    assert response.status_code == 200
    html = response.content.decode()
    for shown in (
        certificate.serial,
        certificate.participant_name,
        certificate.institution_name,
        certificate.course_title,
        certificate.place,
        certificate.starts_on.strftime("%d.%m.%Y"),
    ):
        assert shown in html
    assert participant.kimlik_no not in html
    assert participant.kimlik_no_masked not in html
    assert participant.email not in html
    assert response["X-Robots-Tag"].startswith("noindex")


def test_the_page_shows_the_english_course_title_in_english_and_the_api_keeps_the_turkish(client, certificate):
    english = _page(client, certificate.code_display).content.decode()
    assert certificate.course_title_en and certificate.course_title_en in english
    assert "Valid certificate." in english
    assert _api(certificate.code).json()["course"] == certificate.course_title


def test_a_training_over_several_days_shows_a_date_range(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(ends_on=certificate.starts_on + timedelta(days=2))
    expected = f"{certificate.starts_on:%d.%m.%Y} – {certificate.starts_on + timedelta(days=2):%d.%m.%Y}"
    assert _api(certificate.code).json()["date"] == expected
    assert expected in _page(client, certificate.code).content.decode()


def test_a_code_typed_with_dashes_lower_case_and_look_alike_letters_is_found(client, certificate):
    typed = certificate.code_display.lower().replace("0", "o").replace("1", "l")
    assert _api(typed).json()["serial"] == certificate.serial
    assert _api(certificate.code).json()["serial"] == certificate.serial
    spaced = " ".join(certificate.code_display.split("-"))
    assert _api(spaced).status_code == 200
    assert certificate.serial in _page(client, typed).content.decode()


def test_an_unknown_code_is_404_on_the_page_and_in_the_api(client, certificate):
    unknown = "ZZZZ-ZZZZ-ZZZZ-ZZZZ" if certificate.code != "Z" * 16 else "YYYY-YYYY-YYYY-YYYY"
    response = _api(unknown)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    page = _page(client, unknown)
    assert page.status_code == 404
    assert "No certificate has the code" in page.content.decode()
    assert _api("-").status_code == 404


def test_a_revoked_certificate_says_so_on_the_page_and_in_the_api(client, certificate, staff_user):
    certificate_revoke(certificate=certificate, reason="Katılım düzeltildi", by=staff_user)
    body = _api(certificate.code_display).json()
    assert (body["valid"], body["status"], body["serial"]) == (False, "revoked", certificate.serial)
    html = _page(client, certificate.code_display).content.decode()
    assert "This certificate has been revoked." in html
    assert "Valid certificate." not in html


def test_the_lookup_form_leads_to_the_page_of_the_code_typed(client, certificate):
    form = client.get(reverse("certificates:verify_lookup"))
    assert form.status_code == 200
    response = client.get(reverse("certificates:verify_lookup"), {"code": certificate.code_display.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:verify", args=[certificate.code])
    odd = client.get(reverse("certificates:verify_lookup"), {"code": " a/b?c "})
    assert (odd.status_code, odd["Location"]) == (302, reverse("certificates:verify", args=["ABC"]))
    assert client.get(reverse("certificates:verify_lookup"), {"code": "//"}).status_code == 200


# --- The PDF for whoever holds the code ---------------------------------------------------------


def test_the_page_offers_the_pdf_only_once_ready_and_never_for_a_revoked_certificate(client, certificate, staff_user):
    pdf_url = reverse("certificates:verify_pdf", args=[certificate.code_display])
    pending = _page(client, certificate.code_display).content.decode()
    assert pdf_url not in pending
    assert "being prepared" in pending
    assert client.get(pdf_url).status_code == 404

    make_ready(certificate)
    assert pdf_url in _page(client, certificate.code_display).content.decode()
    typed = reverse("certificates:verify_pdf", args=[certificate.code.lower()])
    response = client.get(typed)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == FAKE_PDF

    certificate_revoke(certificate=certificate, reason="Yanlış kişi", by=staff_user)
    assert client.get(pdf_url).status_code == 404
    assert pdf_url not in _page(client, certificate.code_display).content.decode()
    assert client.get(reverse("certificates:verify_pdf", args=["ZZZZZZZZZZZZZZZZ"])).status_code == 404


# --- Rate limit per client address ---------------------------------------------------------------


def test_the_api_is_throttled_per_client_address(settings, certificate):
    _with_rate(settings, "3/min")
    for _ in range(3):
        assert _api(certificate.code).status_code == 200
    refused = _api(certificate.code)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "throttled"
    assert _api(certificate.code, REMOTE_ADDR="10.1.2.3").status_code == 200  # another address


def test_unknown_codes_count_too_and_a_forged_forwarded_for_header_does_not_escape_the_limit(settings, certificate):
    _with_rate(settings, "3/min")
    for n in range(3):
        assert _api(f"AAAA-AAAA-AAAA-AAA{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code == 404
    assert _api(certificate.code, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_the_page_and_its_pdf_are_throttled_with_the_api_on_one_budget_per_address(settings, client, certificate):
    _with_rate(settings, "3/min")
    make_ready(certificate)
    assert _api(certificate.code).status_code == 200
    assert _page(client, certificate.code).status_code == 200
    assert client.get(reverse("certificates:verify_pdf", args=[certificate.code])).status_code == 200
    page = _page(client, certificate.code)
    assert page.status_code == 429
    assert int(page["Retry-After"]) > 0
    assert "Too many checks" in page.content.decode()
    assert client.get(reverse("certificates:verify_pdf", args=[certificate.code])).status_code == 429
    assert _api(certificate.code).status_code == 429
    other = client.get(reverse("certificates:verify", args=[certificate.code]), REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200


def test_a_logged_in_user_is_limited_by_address_too(settings, certificate):
    _with_rate(settings, "2/min")
    official = client_for(official_of(certificate.institution))
    for _ in range(2):
        assert official.get(f"/api/v1/certificates/verify/{certificate.code}/").status_code == 200
    assert official.get(f"/api/v1/certificates/verify/{certificate.code}/").status_code == 429


# --- Anonymous users reach verification only -----------------------------------------------------


def test_anonymous_users_reach_verification_only(client, certificate):
    make_ready(certificate)
    assert _page(client, certificate.code).status_code == 200
    assert _api(certificate.code).status_code == 200
    assert client_for().get("/api/v1/certificates/").status_code == 401
    assert client_for().get(f"/api/v1/certificates/{certificate.pk}/pdf/").status_code == 401
    assert client_for().get("/api/v1/certificates/archive/", {"session": certificate.session_id}).status_code == 401
    for name, args in (("list", []), ("pdf", [certificate.pk]), ("archive", [])):
        response = client.get(reverse(f"certificates:{name}", args=args))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert Certificate.objects.get(pk=certificate.pk).status == CertificateStatus.READY


# --- A serial number typed where the code goes; what was typed stays ----------------------------


def test_a_typed_serial_number_is_answered_with_where_the_code_is_and_stays_in_the_field(client, certificate):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("certificates:verify_lookup"), {"code": certificate.serial})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="serial-typed"' in html
    assert f"{certificate.serial} is the certificate's serial number, not its verification code." in html
    assert "printed at the bottom of the certificate" in html and "next to the QR code" in html
    assert "“Verification code:”" in html and "“Doğrulama kodu:”" in html  # the label in either language
    assert "No certificate has the code" not in html
    assert f'value="{certificate.serial}"' in html
    assert 'aria-invalid="true"' in html


def test_a_serial_number_in_the_address_gets_the_same_answer(client, certificate):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("certificates:verify", args=["ksm-2012-000001"]))
    assert response.status_code == 404
    assert 'data-testid="serial-typed"' in response.content.decode()


def test_the_serial_answer_is_in_turkish_for_a_turkish_reader(client, certificate):
    html = client.get(reverse("certificates:verify_lookup"), {"code": "KSM-2012-000001"}).content.decode()
    assert "KSM-2012-000001 sertifikanın seri numarasıdır, doğrulama kodu değildir." in html
    assert "“Doğrulama kodu:”" in html and "“Verification code:”" in html  # the label in either language


def test_an_unknown_code_stays_in_the_field(client, certificate):
    unknown = "ZZZZZZZZZZZZZZZZ" if certificate.code != "Z" * 16 else "YYYYYYYYYYYYYYYY"
    html = _page(client, unknown).content.decode()
    assert "No certificate has the code" in html
    assert f'value="{unknown}"' in html


def test_the_serials_the_issuing_code_makes_are_the_ones_the_verify_page_recognises():
    """One definition of a serial number: ``SERIAL_RE``, beside ``serials_take`` that makes them."""
    (serial,) = serials_take(2031, 1)
    assert SERIAL_RE.fullmatch(serial)
    assert typed_a_serial(serial) and typed_a_serial(serial.lower()) and typed_a_serial(serial.replace("-", " "))
    assert not typed_a_serial("ABCD-EFGH-JKMN-PQRS") and not typed_a_serial(f"{serial}-1")
