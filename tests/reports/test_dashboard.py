"""The centre's dashboard (the admin's start page) and the one-page PDF of the program's standing."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.services import attendance_record
from tests.certificates.factories import onsite_finished
from tests.entitlements.factories import UserFactory
from tests.reports.factories import person, seats
from tests.sessions.factories import onsite_institution, standard_institution, submitted_request

pytestmark = pytest.mark.django_db


def trained(n, **kwargs):
    session, people = onsite_finished(n, **kwargs)
    attendance_record(session=session, marks=[(p, "full") for p in people])
    return people


def test_programme_staff_see_the_progress_the_map_the_charts_and_their_tables(staff_client):
    trained(3)
    page = staff_client.get("/admin/").content.decode()
    assert 'role="progressbar"' in page and 'aria-valuenow="3"' in page and 'aria-valuemax="4000"' in page
    assert "3</strong> / 4.000" in page  # Turkish grouping
    assert len(re.findall(r'data-plate="\d\d"', page)) == 81
    assert 'id="chart-months"' in page and 'id="chart-categories"' in page
    assert page.count("<details") == 3  # every chart has its table
    assert "Kurum ve Kuruluşlar" in page or '<div id="content-main">' in page  # the app list stays


def test_the_dashboard_lists_the_queue_the_unused_and_the_next_sessions(staff_client):
    idle = standard_institution(name="Şırnak Valiliği")
    waiting = onsite_institution(name="Iğdır Valiliği")
    submitted_request(waiting)
    own = standard_institution(name="Ödemiş Belediyesi")
    seats([person(own)])  # a session a month ahead: not in the next 14 days
    page = staff_client.get("/admin/").content.decode()
    assert "Şırnak Valiliği" in page
    assert "Iğdır Valiliği" in page
    assert idle.name in page.split('id="unused-title"')[1]
    assert "Ödemiş Belediyesi" not in page.split('id="unused-title"')[1]


def test_an_account_manager_sees_their_institutions_only(client, program):
    manager = UserFactory(is_staff=True)
    standard_institution(name="Benim Kurumum", account_manager=manager)
    standard_institution(name="Başkasının Kurumu")
    client.force_login(manager)
    page = client.get("/admin/").content.decode()
    assert "Benim Kurumum" in page and "Başkasının Kurumu" not in page


def test_staff_without_reports_see_the_plain_admin_start_page(client):
    client.force_login(UserFactory(is_staff=True))
    page = client.get("/admin/").content.decode()
    assert 'role="progressbar"' not in page
    assert client.get("/admin/reports/standing.pdf").status_code == 403


def test_the_dashboard_takes_as_many_queries_whatever_the_size(staff_client):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get("/admin/").status_code == 200
        return len(queries)

    trained(1)
    submitted_request(onsite_institution())
    small = count()
    for _ in range(3):
        trained(2)
        submitted_request(onsite_institution())
        standard_institution()
    assert count() == small


def test_the_standing_is_a_one_page_pdf(staff_client, program):
    trained(2)
    response = staff_client.get(f"/admin/reports/standing.pdf?program={program.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Eğitim Promosyonu 2012" in text
    assert "4.000" in text


def test_usage_above_the_right_shows_with_since_and_told(staff_client, django_capture_on_commit_callbacks):
    from entitlements.models import UnitLevel
    from entitlements.services import institution_update
    from tests.entitlements.factories import unit
    from tests.sessions.factories import onsite_session
    from tests.timing import at

    manager = UserFactory(username="temsilci", email="temsilci@kamusm.gov.tr", is_staff=True)
    institution = onsite_institution(2_000, name="Çorum Valiliği", account_manager=manager)
    onsite_session(submitted_request(institution, {"EIMZA-101": 12}), starts_at=at(30, 9), ends_at=at(31, 17), hours=12)
    with django_capture_on_commit_callbacks(execute=True):
        institution_update(institution=institution, data={}, units=[unit(UnitLevel.MERKEZ, 500, name="Merkez")])
    section = staff_client.get("/admin/").content.decode().split('id="above-title"')[1].split("</section>")[0]
    assert "Çorum Valiliği" in section
    assert "12 / 8" in section
    assert "bildirildi" in section


@pytest.mark.parametrize(
    "path",
    ["/admin/", "/admin/reports/standing.pdf", "/admin/reports/breakdowns/", "/admin/reports/institutions.csv"],
)
def test_an_official_reaches_none_of_the_centres_pages(client, path):
    from tests.entitlements.factories import official_of

    client.force_login(official_of(standard_institution()))
    response = client.get(path)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_account_managers_pdf_and_download_count_their_institutions_only(client, program):
    import csv
    import io

    manager = UserFactory(is_staff=True)
    mine = standard_institution(name="Benim Kurumum", account_manager=manager)
    other = standard_institution(name="Başkasının Kurumu")
    seats([person(mine)])
    seats([person(other), person(other)])
    client.force_login(manager)
    content = b"".join(client.get(f"/admin/reports/institutions.csv?program={program.pk}").streaming_content)
    names = [row[1] for row in csv.reader(io.StringIO(content.decode("utf-8-sig")))][1:]
    assert names == ["Benim Kurumum"]
    assert client.get(f"/admin/reports/standing.pdf?program={program.pk}").status_code == 200
