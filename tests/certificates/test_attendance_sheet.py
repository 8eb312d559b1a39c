"""The attendance sheet as a trainer meets it (``certificates.views.attendance``): the choices in
the domain's words, "everyone: …" without JavaScript, and after saving how many certificates were
issued, once even when the sheet is sent twice."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from certificates.models import Certificate
from sessions.models import Attendance
from tests.certificates.factories import onsite_finished

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet():
    """A finished on-site session of three people, its trainer signed in (Turkish, the default)."""
    session, people = onsite_finished(3)
    client = Client()
    client.force_login(session.trainer.user)
    return client, reverse("certificates:attendance", args=[session.pk]), session, people


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def message_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def checked(html: str, person, value: str) -> bool:
    tag = re.search(rf'<input[^>]*id="id_mark_{person.pk}_\d"[^>]*value="{value}"[^>]*>', html) or re.search(
        rf'<input[^>]*value="{value}"[^>]*id="id_mark_{person.pk}_\d"[^>]*>', html
    )
    assert tag, (person.pk, value)
    return " checked" in tag.group(0)


def test_the_choices_read_full_partial_absent_attendance(sheet):
    client, url, _session, _people = sheet

    html = client.get(url).content.decode()

    assert html.count(">Tam katılım</label>") == 3
    assert html.count(">Kısmi katılım</label>") == 3
    assert html.count(">Katılmadı</label>") == 3
    assert "Tam katılanlar" not in html
    english_html = english(client).get(url).content.decode()
    assert english_html.count(">Full attendance</label>") == 3
    assert english_html.count(">Partial attendance</label>") == 3


def test_saving_says_how_many_certificates_were_issued_and_that_the_pdfs_follow(sheet):
    client, url, session, (first, second, third) = sheet

    response = client.post(
        url, {f"mark_{first.pk}": "full", f"mark_{second.pk}": "full", f"mark_{third.pk}": "partial"}, follow=True
    )

    # on site, full attendance earns the certificate and partial does not
    assert Certificate.objects.filter(session=session).count() == 2
    assert message_of(response) == (
        "Katılım kaydedildi. 2 sertifika düzenlendi; PDF'leri arka planda hazırlanıyor, birazdan hazır olur."
    )
    assert "2 sertifika düzenlendi" in response.content.decode()


def test_the_message_in_english_and_for_one_certificate(sheet):
    client, url, _session, (first, _second, third) = sheet

    response = english(client).post(url, {f"mark_{first.pk}": "full", f"mark_{third.pk}": "absent"}, follow=True)

    assert message_of(response) == (
        "Attendance is recorded. 1 certificate is issued; its PDF follows, prepared in the background."
    )


def test_a_sheet_sent_twice_issues_each_certificate_once_and_says_so(sheet):
    client, url, session, people = sheet
    data = {f"mark_{p.pk}": "full" for p in people}

    first = english(client).post(url, data, follow=True)
    again = client.post(url, data, follow=True)  # a double click without JavaScript

    assert Certificate.objects.filter(session=session).count() == 3
    assert "3 certificates are issued" in message_of(first)
    assert message_of(again) == "Attendance is recorded. No new certificate is issued."


def test_everyone_full_without_javascript_marks_every_row_and_saves_nothing(sheet):
    client, url, _session, (first, second, third) = sheet
    client.post(url, {f"mark_{first.pk}": "absent"})

    response = english(client).post(url, {"fill": "full"})

    assert response.status_code == 200
    html = response.content.decode()
    assert all(checked(html, person, "full") for person in (first, second, third))
    assert not any(checked(html, person, "absent") for person in (first, second, third))
    assert "Everyone is marked “Full attendance”. Nothing is saved yet" in html
    # nothing saved: the first mark stands, no certificate is issued
    assert list(Attendance.objects.values_list("participant_id", "status")) == [(first.pk, "absent")]
    assert not Certificate.objects.exists()

    saved = client.post(url, {f"mark_{p.pk}": "full" for p in (first, second, third)}, follow=True)
    assert "3 certificates are issued" in message_of(saved)


def test_everyone_absent_and_an_unknown_fill_value(sheet):
    client, url, _session, people = sheet

    html = client.post(url, {"fill": "absent"}).content.decode()
    assert all(checked(html, person, "absent") for person in people)

    refused = client.post(url, {"fill": "present"})  # not a status: taken as a save of no marks
    assert refused.status_code == 200
    assert not Attendance.objects.exists()


def test_the_everyone_buttons_and_the_busy_save_are_on_the_sheet(sheet):
    client, url, _session, _people = sheet

    html = english(client).get(url).content.decode()

    toolbar = html[html.index('data-testid="fill-everyone"') :]
    toolbar = toolbar[: toolbar.index("</div>")]
    for value, label in (("full", "Full attendance"), ("partial", "Partial attendance"), ("absent", "Absent")):
        assert re.search(rf'form="attendance-fill" name="fill" value="{value}"[^>]*>{label}</button>', toolbar)
    fill_form = html[html.index('<form method="post" id="attendance-fill">') :]
    assert "csrfmiddlewaretoken" in fill_form[: fill_form.index("</form>")]
    assert 'id="attendance-save" data-busy-label="Saving…"' in html
    assert 'class="table table-sm align-middle table-stack"' in html


def test_a_session_not_yet_over_has_no_everyone_buttons():
    later, _people = onsite_finished(2, days_ago=-10)  # ten days ahead
    client = Client()
    client.force_login(later.trainer.user)

    html = client.get(reverse("certificates:attendance", args=[later.pk])).content.decode()

    assert 'data-testid="not-yet"' in html
    assert 'name="fill"' not in html
    assert 'id="attendance-save"' not in html


def test_a_correction_that_revokes_certificates_says_how_many(sheet):
    client, url, session, (first, second, third) = sheet
    english(client).post(url, {f"mark_{first.pk}": "full", f"mark_{second.pk}": "full"}, follow=True)

    # on site only full attendance earns the certificate: absent and partial revoke the two
    response = client.post(
        url, {f"mark_{first.pk}": "absent", f"mark_{second.pk}": "partial", f"mark_{third.pk}": "full"}, follow=True
    )

    assert Certificate.objects.filter(session=session, status="revoked").count() == 2
    assert message_of(response) == (
        "Attendance is recorded. 1 certificate is issued; its PDF follows, prepared in the background. "
        "2 certificates are revoked (attendance corrected)."
    )


def test_a_correction_that_only_revokes_says_so_in_turkish(sheet):
    client, url, _session, (first, _second, _third) = sheet
    client.post(url, {f"mark_{first.pk}": "full"}, follow=True)

    response = client.post(url, {f"mark_{first.pk}": "absent"}, follow=True)

    assert message_of(response) == "Katılım kaydedildi. 1 sertifika iptal edildi (katılım düzeltildi)."
    assert "Yeni sertifika düzenlenmedi" not in message_of(response)
