"""Certificates over the API (docs/api.md, "Certificates"): officials list and download their own
institution's (another institution's is 404), programme staff all of them and revoke them (an
official: 403); the PDF endpoint answers 409 with Retry-After until the PDF is made.

Certificates are issued the real way (attendance recorded on a finished session) and made ready
here with a small fake PDF, so these tests do not depend on the renderer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.models import Certificate, CertificateStatus
from certificates.services import attendance_record
from tests.certificates.factories import FAKE_PDF, issued, make_ready, onsite_finished
from tests.entitlements.factories import UserFactory, client_for, official_of

pytestmark = pytest.mark.django_db

ROW_FIELDS = {"id", "serial", "code", "participant", "session", "status", "issued_at"}


# --- The list ---------------------------------------------------------------------------------


def test_an_official_lists_only_their_institution_certificates_with_the_api_md_row(program):
    mine = issued(people=2)
    theirs = issued()
    official = official_of(mine[0].institution)
    response = client_for(official).get("/api/v1/certificates/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == {c.pk for c in mine}
    assert theirs[0].pk not in {row["id"] for row in rows}
    row = next(r for r in rows if r["id"] == mine[0].pk)
    assert set(row) == ROW_FIELDS
    assert row["serial"] == mine[0].serial
    assert row["code"] == mine[0].code_display
    assert (row["participant"], row["session"], row["status"]) == (
        mine[0].participant_id,
        mine[0].session_id,
        "pending",
    )


def test_staff_list_every_institution_and_filter_by_session_program_status_and_institution(program, staff):
    first = issued(people=2)
    second = issued()
    make_ready(first[0])
    every = {c.pk for c in first + second}
    assert {r["id"] for r in staff.get("/api/v1/certificates/").json()["results"]} == every
    by_session = staff.get("/api/v1/certificates/", {"session": first[0].session_id}).json()["results"]
    assert {r["id"] for r in by_session} == {c.pk for c in first}
    by_program = staff.get("/api/v1/certificates/", {"program": program.pk}).json()["results"]
    assert {r["id"] for r in by_program} == every
    assert staff.get("/api/v1/certificates/", {"program": program.pk + 1000}).json()["count"] == 0
    ready = staff.get("/api/v1/certificates/", {"status": "ready"}).json()["results"]
    assert [r["id"] for r in ready] == [first[0].pk]
    by_institution = staff.get("/api/v1/certificates/", {"institution": second[0].institution_id}).json()
    assert [r["id"] for r in by_institution["results"]] == [second[0].pk]


def test_an_official_cannot_see_another_institution_certificate_even_by_filter(program):
    mine = issued()
    theirs = issued()
    client = client_for(official_of(mine[0].institution))
    assert client.get("/api/v1/certificates/", {"session": theirs[0].session_id}).json()["count"] == 0
    assert client.get("/api/v1/certificates/", {"institution": theirs[0].institution_id}).json()["count"] == 0
    assert client.get(f"/api/v1/certificates/{theirs[0].pk}/").status_code == 404
    assert client.get(f"/api/v1/certificates/{mine[0].pk}/").json()["serial"] == mine[0].serial


def test_anonymous_users_may_not_list_and_users_without_a_role_see_none(program):
    issued()
    assert client_for().get("/api/v1/certificates/").status_code == 401
    response = client_for(UserFactory()).get("/api/v1/certificates/")
    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_the_list_runs_the_same_number_of_queries_for_one_row_and_for_ten(program):
    session, participants = onsite_finished(10)
    attendance_record(session=session, marks=[(participants[0], "full")])
    client = client_for(official_of(session.institution))
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/certificates/").json()["count"] == 1
    attendance_record(session=session, marks=[(p, "full") for p in participants[1:]])
    make_ready(Certificate.objects.first())
    with CaptureQueriesContext(connection) as ten:
        assert client.get("/api/v1/certificates/").json()["count"] == 10
    assert len(ten) == len(one) <= 6


# --- The PDF ----------------------------------------------------------------------------------


def test_the_pdf_answers_409_with_retry_after_while_pending_or_failed_and_the_file_once_ready(program):
    (certificate,) = issued()
    client = client_for(official_of(certificate.institution))
    url = f"/api/v1/certificates/{certificate.pk}/pdf/"
    pending = client.get(url)
    assert pending.status_code == 409
    assert int(pending["Retry-After"]) > 0
    assert pending.json()["code"] == "not_ready"
    Certificate.objects.filter(pk=certificate.pk).update(status=CertificateStatus.FAILED, error="boom")
    failed = client.get(url)
    assert (failed.status_code, failed.has_header("Retry-After")) == (409, True)
    make_ready(Certificate.objects.get(pk=certificate.pk))
    ready = client.get(url)
    assert ready.status_code == 200
    assert ready["Content-Type"] == "application/pdf"
    assert f'filename="{certificate.serial}.pdf"' in ready["Content-Disposition"]
    assert b"".join(ready.streaming_content) == FAKE_PDF


def test_a_client_asking_for_a_pdf_by_its_media_type_gets_it(program):
    certificate = make_ready(issued()[0])
    client = client_for(official_of(certificate.institution))
    response = client.get(f"/api/v1/certificates/{certificate.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == FAKE_PDF


def test_an_official_cannot_download_another_institution_pdf(program):
    theirs = make_ready(issued()[0])
    mine = issued()[0]
    client = client_for(official_of(mine.institution))
    assert client.get(f"/api/v1/certificates/{theirs.pk}/pdf/").status_code == 404
    assert client_for(UserFactory()).get(f"/api/v1/certificates/{theirs.pk}/pdf/").status_code == 404
    assert client_for().get(f"/api/v1/certificates/{theirs.pk}/pdf/").status_code == 401


def test_a_revoked_certificate_has_no_pdf_to_give(program, staff):
    certificate = make_ready(issued()[0])
    staff.post(f"/api/v1/certificates/{certificate.pk}/revoke/", {"reason": "Yanlış kişi"}, format="json")
    response = client_for(official_of(certificate.institution)).get(f"/api/v1/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 400
    assert response.json()["code"] == "certificate_revoked"


# --- Revocation -------------------------------------------------------------------------------


def test_officials_may_not_revoke_their_own_certificates(program):
    (certificate,) = issued()
    client = client_for(official_of(certificate.institution))
    response = client.post(f"/api/v1/certificates/{certificate.pk}/revoke/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.PENDING


def test_another_institution_certificate_is_404_for_revoke_too(program):
    (theirs,) = issued()
    (mine,) = issued()
    client = client_for(official_of(mine.institution))
    response = client.post(f"/api/v1/certificates/{theirs.pk}/revoke/", {"reason": "x"}, format="json")
    assert response.status_code == 404


def test_staff_revoke_with_a_reason_and_verification_then_says_revoked(program, staff, staff_user):
    certificate = make_ready(issued()[0])
    response = staff.post(
        f"/api/v1/certificates/{certificate.pk}/revoke/", {"reason": "Katılım düzeltildi"}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == ROW_FIELDS
    assert response.json()["status"] == "revoked"
    certificate.refresh_from_db()
    assert (certificate.revoked_reason, certificate.revoked_by) == ("Katılım düzeltildi", staff_user)
    verified = client_for().get(f"/api/v1/certificates/verify/{certificate.code_display}/").json()
    assert (verified["valid"], verified["status"]) == (False, "revoked")


def test_revoking_needs_a_reason_and_happens_once(program, staff):
    (certificate,) = issued()
    url = f"/api/v1/certificates/{certificate.pk}/revoke/"
    missing = staff.post(url, {}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (400, "invalid")
    assert "reason" in missing.json()["fields"]
    assert staff.post(url, {"reason": "Mükerrer"}, format="json").status_code == 200
    again = staff.post(url, {"reason": "Mükerrer"}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "certificate_revoked")
