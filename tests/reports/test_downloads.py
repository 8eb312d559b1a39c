"""The per-institution list and the session fill as CSV and XLSX: the API's and the dashboard's
downloads hold the same rows as the API's JSON, Turkish letters intact, formulas written as text."""

import csv
import io

import openpyxl
import pytest

from tests.entitlements.factories import UserFactory, client_for
from tests.reports.factories import person, seats
from tests.sessions.factories import onsite_institution, standard_institution

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://x","Tıkla")'


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8")[1:])))


def read_xlsx(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def facts(program):
    own = standard_institution(name="Şanlıurfa Büyükşehir Belediyesi")
    seats([person(own), person(own)])
    onsite_institution(name="Iğdır Valiliği")
    standard_institution(name=HOSTILE)
    return own


def json_rows(client, program):
    return client.get(f"/api/v1/reports/programs/{program.pk}/institutions/").json()["results"]


def test_the_api_csv_holds_the_json_rows_with_turkish_letters_and_a_safe_formula(staff, program, facts):
    response = staff.get(f"/api/v1/reports/programs/{program.pk}/institutions/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = read_csv(response.content)
    assert len(header) == 14 and header[1] == "Kurum"
    expected = json_rows(staff, program)
    assert [int(row[0]) for row in rows] == [row["institution"] for row in expected]
    names = [row[1] for row in rows]
    assert "Şanlıurfa Büyükşehir Belediyesi" in names and "Iğdır Valiliği" in names
    assert "'" + HOSTILE in names  # never a formula
    urfa = rows[names.index("Şanlıurfa Büyükşehir Belediyesi")]
    assert urfa[3] == "STANDARD" and urfa[5] == "2"


def test_the_api_xlsx_holds_the_same_rows_and_the_formula_as_text(staff, program, facts):
    response = staff.get(f"/api/v1/reports/programs/{program.pk}/institutions/?format=xlsx")
    assert response.status_code == 200
    header, *rows = read_xlsx(response.content)
    assert len(header) == 14
    assert [row[0] for row in rows] == [row["institution"] for row in json_rows(staff, program)]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [row[1] for row in book.active.iter_rows(min_row=2)]
    hostile = next(cell for cell in cells if cell.value == HOSTILE)
    assert hostile.data_type == "s"


def test_an_account_manager_downloads_only_their_institutions_and_an_official_may_not(program, facts):
    manager = UserFactory(is_staff=True)
    mine = standard_institution(name="Benim Kurumum", account_manager=manager)
    _header, *rows = read_csv(
        client_for(manager).get(f"/api/v1/reports/programs/{program.pk}/institutions/?format=csv").content
    )
    assert [int(row[0]) for row in rows] == [mine.pk]
    from tests.entitlements.factories import official_of

    response = client_for(official_of(facts)).get(f"/api/v1/reports/programs/{program.pk}/institutions/?format=csv")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_the_dashboard_downloads_the_institutions_and_the_session_fill(staff_client, program, facts):
    response = staff_client.get(f"/admin/reports/institutions.csv?program={program.pk}")
    _header, *rows = read_csv(b"".join(response.streaming_content))
    assert len(rows) == 3
    response = staff_client.get(f"/admin/reports/session-fill.xlsx?program={program.pk}")
    header, *rows = read_xlsx(response.content)
    (row,) = (dict(zip(header, values, strict=True)) for values in rows)  # the sessions' admin export
    assert row["Kapasite"] == 24 and row["Onaylı koltuk"] == 2
    assert staff_client.get("/admin/reports/session-fill.pdf").status_code == 404


def test_staff_without_reports_cannot_download(client, program):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/reports/institutions.csv").status_code == 403
