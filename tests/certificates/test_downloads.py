"""Officials download their institution's certificates: each ready PDF, or one ZIP of a session or a
program, streamed as it is made (API and portal); the portal lists them with a fixed number of
queries. Another institution's certificate is a 404."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates.models import Certificate
from certificates.services import attendance_record
from certificates.views.certificates import zip_member_name, zip_stream
from tests.certificates.factories import issued, make_ready, onsite_finished
from tests.entitlements.factories import UserFactory, client_for, official_of
from tests.sessions.factories import onsite_institution

pytestmark = pytest.mark.django_db


def _pdf(certificate: Certificate) -> bytes:
    return f"%PDF-1.4\n% {certificate.serial}\n%%EOF\n".encode()


def _ready(certificate: Certificate) -> Certificate:
    return make_ready(certificate, _pdf(certificate))


def _zip(response) -> zipfile.ZipFile:
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def batch(program):
    """Institution A: a session of three (two ready, one pending) and an earlier session of one,
    ready; institution B: a session of one, ready."""
    first = issued(people=3)
    _ready(first[0])
    _ready(first[1])
    inst = first[0].institution
    return {
        "institution": inst,
        "session": first[0].session,
        "ready": first[:2],
        "pending": first[2],
        "theirs": _ready(issued()[0]),
    }


# --- The ZIP archive over the API -----------------------------------------------------------------


def test_the_archive_of_a_session_streams_exactly_the_institution_ready_pdfs(batch):
    client = client_for(official_of(batch["institution"]))
    response = client.get("/api/v1/certificates/archive/", {"session": batch["session"].pk})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.isascii()
    assert f"certificates-session-{batch['session'].pk}.zip" in disposition
    archive = _zip(response)
    assert archive.testzip() is None
    expected = {zip_member_name(c.serial, c.participant_name): _pdf(c) for c in batch["ready"]}
    assert {name: archive.read(name) for name in archive.namelist()} == expected
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())


def test_an_official_archive_never_holds_another_institution_certificates(batch):
    client = client_for(official_of(batch["institution"]))
    theirs = batch["theirs"]
    assert _zip(client.get("/api/v1/certificates/archive/", {"session": theirs.session_id})).namelist() == []
    # an official's ?institution= is ignored: always their own
    by_program = client.get(
        "/api/v1/certificates/archive/", {"program": theirs.session.program_id, "institution": theirs.institution_id}
    )
    names = _zip(by_program).namelist()
    assert zip_member_name(theirs.serial, theirs.participant_name) not in names
    assert len(names) == 2


def test_the_archive_of_a_program_and_for_staff_of_every_institution_or_one(batch, staff_user):
    staff = client_for(staff_user)
    program = batch["session"].program_id
    everyone = _zip(staff.get("/api/v1/certificates/archive/", {"program": program})).namelist()
    assert len(everyone) == 3
    one = _zip(
        staff.get("/api/v1/certificates/archive/", {"program": program, "institution": batch["theirs"].institution_id})
    ).namelist()
    assert one == [zip_member_name(batch["theirs"].serial, batch["theirs"].participant_name)]


def test_the_archive_needs_a_session_or_a_program(batch):
    client = client_for(official_of(batch["institution"]))
    response = client.get("/api/v1/certificates/archive/")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert client.get("/api/v1/certificates/archive/", {"session": "abc"}).status_code == 400
    assert client_for().get("/api/v1/certificates/archive/", {"session": 1}).status_code == 401


def test_the_zip_is_written_on_an_unseekable_stream_piece_by_piece(batch):
    rows = [(c.serial, c.participant_name, c.pdf.name) for c in batch["ready"]]
    pieces = list(zip_stream(rows))
    assert len(pieces) >= 3  # each member leaves before the next is read, then the directory
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert archive.testzip() is None
    assert all(info.flag_bits & 0x08 for info in archive.infolist())  # sizes after the data: no seeking back
    assert zip_member_name("KSM-2012-000001", "İlknur Işık Şahinoğlu") == "KSM-2012-000001-ilknur-isik-sahinoglu.pdf"


# --- The portal page -------------------------------------------------------------------------------


def _portal(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_page_lists_the_institution_certificates_with_a_download_per_ready_one(batch):
    client = _portal(official_of(batch["institution"]))
    response = client.get(reverse("certificates:list"))
    assert response.status_code == 200
    html = response.content.decode()
    for certificate in batch["ready"]:
        assert certificate.serial in html
        assert reverse("certificates:pdf", args=[certificate.pk]) in html
    assert batch["pending"].serial in html
    assert reverse("certificates:pdf", args=[batch["pending"].pk]) not in html
    assert batch["theirs"].serial not in html
    assert f"{reverse('certificates:archive')}?session={batch['session'].pk}" in html
    assert f"{reverse('certificates:archive')}?program={batch['session'].program_id}" in html
    assert f'href="{reverse("certificates:list")}">Certificates</a>' in html  # the officials' menu


def test_the_page_downloads_own_pdfs_and_404s_another_institution_or_a_pending_one(batch):
    client = _portal(official_of(batch["institution"]))
    mine = batch["ready"][0]
    response = client.get(reverse("certificates:pdf", args=[mine.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == _pdf(mine)
    assert client.get(reverse("certificates:pdf", args=[batch["theirs"].pk])).status_code == 404
    assert client.get(reverse("certificates:pdf", args=[batch["pending"].pk])).status_code == 404
    assert _portal(UserFactory()).get(reverse("certificates:pdf", args=[mine.pk])).status_code == 404


def test_the_page_zip_of_a_session_is_the_same_streamed_archive(batch):
    client = _portal(official_of(batch["institution"]))
    response = client.get(reverse("certificates:archive"), {"session": batch["session"].pk})
    assert response.status_code == 200
    assert sorted(_zip(response).namelist()) == sorted(
        zip_member_name(c.serial, c.participant_name) for c in batch["ready"]
    )
    assert client.get(reverse("certificates:archive")).status_code == 400


def test_staff_see_every_institution_and_others_are_told_they_have_no_institution(batch, staff_user):
    html = _portal(staff_user).get(reverse("certificates:list")).content.decode()
    assert batch["theirs"].serial in html and batch["ready"][0].serial in html
    response = _portal(UserFactory()).get(reverse("certificates:list"))
    assert response.status_code == 200
    assert 'data-testid="no-institution-notice"' in response.content.decode()


def test_the_page_filters_by_session_and_status(batch):
    client = _portal(official_of(batch["institution"]))
    html = client.get(reverse("certificates:list"), {"status": "pending"}).content.decode()
    assert batch["pending"].serial in html
    assert batch["ready"][0].serial not in html


def test_the_page_runs_the_same_number_of_queries_for_one_row_and_for_ten(program):
    session, participants = onsite_finished(10, institution=onsite_institution())
    attendance_record(session=session, marks=[(participants[0], "full")])
    client = _portal(official_of(session.institution))
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("certificates:list")).status_code == 200
    attendance_record(session=session, marks=[(p, "full") for p in participants[1:]])
    for certificate in Certificate.objects.all()[:5]:
        _ready(certificate)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(reverse("certificates:list"))
    assert len(response.context["page"]) == 10
    assert len(ten) == len(one) <= 9
