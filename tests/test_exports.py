"""The downloads' plumbing (``kamusm_portal.exports``): one cell rule for CSV and XLSX (no cell
becomes a formula, numbers stay numbers, dates the Turkish way), the CSV's byte order mark,
Turkish letters kept, and a ``?format=`` no route serves answered with the API's JSON 404."""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.utils.translation import gettext_lazy, override

from kamusm_portal.exports import csv_response, csv_text, safe_cell, xlsx_content, xlsx_response
from tests.entitlements.factories import client_for, official_of
from tests.sessions.factories import standard_institution

BOM = "\ufeff"
TURKISH = "İı Şş Ğğ Çç Öö Üü"
# Text a spreadsheet program would take for a formula (or a DDE call), each kept as text.
FORMULA_LIKE = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tSUM(A1)", "\r=1+1"]


def read_csv(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :])))


def read_xlsx(body: bytes):
    return openpyxl.load_workbook(io.BytesIO(body)).active


# --- The cell rule ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", FORMULA_LIKE)
def test_text_that_would_start_a_formula_gets_a_leading_quote_in_csv(value):
    assert safe_cell(value) == "'" + value


def test_numbers_stay_numbers_and_none_is_empty():
    assert safe_cell(-2) == -2
    assert safe_cell(3.5) == 3.5
    assert safe_cell(Decimal("1.25")) == Decimal("1.25")
    assert safe_cell(None) == ""
    assert safe_cell("Ankara -2") == "Ankara -2"  # only the first character counts


def test_dates_and_times_are_written_the_turkish_way_in_istanbul_time():
    assert safe_cell(date(2026, 3, 4)) == "04.03.2026"
    assert safe_cell(datetime(2026, 3, 4, 7, 30, tzinfo=UTC)) == "04.03.2026 10:30"


def test_lazy_text_is_written_in_the_active_language():
    with override("tr"):
        assert safe_cell(gettext_lazy("status")) == "durum"


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_starts_with_the_byte_order_mark_and_keeps_turkish_letters_and_formulas_as_text():
    body = csv_text(["Ad", "Sayı"], [[TURKISH, 7], *[[value, -2] for value in FORMULA_LIKE]]).encode()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = read_csv(body)
    assert rows[0] == ["Ad", "Sayı"]
    assert rows[1] == [TURKISH, "7"]
    assert [row[0] for row in rows[2:]] == ["'" + value for value in FORMULA_LIKE]
    assert {row[1] for row in rows[2:]} == {"-2"}  # a number is not text: no quote


def test_csv_response_streams_the_rows_in_the_columns_as_an_attachment():
    columns = [("name", gettext_lazy("name")), ("count", gettext_lazy("capacity"))]
    rows = ({"name": name, "count": n, "ignored": "x"} for n, name in enumerate([TURKISH, "=1+1"]))
    with override("tr"):
        response = csv_response(rows, columns, "fill")
        body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="fill-')
    assert response["Content-Disposition"].endswith('.csv"')
    assert read_csv(body) == [["ad", "kapasite"], [TURKISH, "0"], ["'=1+1", "1"]]


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_writes_formula_like_text_as_quoted_text_cells_and_numbers_as_numbers():
    body = xlsx_content(["Ad", "Sayı"], [[TURKISH, 7], *[[value, -2] for value in FORMULA_LIKE]])
    sheet = read_xlsx(body)
    assert [c.value for c in sheet[1]] == ["Ad", "Sayı"]
    assert [c.value for c in sheet[2]] == [TURKISH, 7]
    for row, value in enumerate(FORMULA_LIKE, start=3):
        text, number = sheet.cell(row, 1), sheet.cell(row, 2)
        assert (text.value, text.data_type, text.quotePrefix) == (value, "s", True)
        assert (number.value, number.data_type) == (-2, "n")


def test_xlsx_dates_are_date_cells_in_istanbul_time():
    moment = datetime(2026, 3, 4, 7, 30, tzinfo=UTC)
    sheet = read_xlsx(xlsx_content(["Gün", "Zaman"], [[date(2026, 3, 4), moment]]))
    day, when = sheet.cell(2, 1), sheet.cell(2, 2)
    assert (day.value.date(), day.number_format) == (date(2026, 3, 4), "dd.mm.yyyy")
    istanbul = moment.astimezone(zoneinfo.ZoneInfo("Europe/Istanbul")).replace(tzinfo=None)
    assert (when.value, when.number_format) == (istanbul, "dd.mm.yyyy hh:mm")


def test_xlsx_replaces_characters_a_workbook_cannot_hold():
    sheet = read_xlsx(xlsx_content(["Ad"], [["a\x00b"]]))
    assert sheet.cell(2, 1).value == "a\N{REPLACEMENT CHARACTER}b"


def test_xlsx_response_is_an_attachment_of_the_xlsx_media_type():
    response = xlsx_response([{"name": None}], [("name", "Ad")], "fill")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert [[c.value for c in row] for row in read_xlsx(response.content).iter_rows()] == [["Ad"], [None]]


# --- A format no route serves -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/programs/?format=csv", "/api/v1/participants/?format=xlsx", "/api/v1/certificates/1/?format=csv"]
)
def test_a_format_the_route_does_not_serve_is_the_json_not_found(path, program):
    official = official_of(standard_institution())
    response = client_for(official).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
