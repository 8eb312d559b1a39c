"""Import of user counts in the admin: upload → preview → confirm, through django-import-export."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from entitlements.models import Entitlement, Institution, Unit
from tests.entitlements.factories import InstitutionFactory, ProgrammeStaffFactory, UserFactory
from tests.entitlements.test_import import GOOD_ROWS, HEADERS, csv_bytes, table_counts, xlsx_bytes

IMPORT_URL = reverse("admin:entitlements_institution_import")
PROCESS_URL = reverse("admin:entitlements_institution_process_import")
CHANGELIST_URL = reverse("admin:entitlements_institution_changelist")


@pytest.fixture(autouse=True)
def _english(client):
    """Pages in English (the UI is Turkish by default), so the assertions read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def upload(client, data: bytes, name: str = "counts.csv"):
    return client.post(IMPORT_URL, {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(name, data)})


def confirm(client, response):
    form = response.context["confirm_form"]
    return client.post(PROCESS_URL, {name: form.initial.get(name, "") for name in form.fields})


def test_changelist_offers_import_to_programme_staff_only(staff_client, client, program):
    assert IMPORT_URL in staff_client.get(CHANGELIST_URL).content.decode()

    manager = UserFactory(is_staff=True)  # an account manager: admin access, no import
    client.force_login(manager)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(PROCESS_URL, {}).status_code == 403


def test_import_page_lists_the_columns(staff_client):
    response = staff_client.get(IMPORT_URL)

    assert response.status_code == 200
    page = response.content.decode()
    for header in ("kurum_kodu", "institution_code", "aktif_kullanici", "active_users"):
        assert header in page


def test_upload_previews_the_changes_and_confirm_writes_them(staff_client, staff_user, program):
    InstitutionFactory(code="900002", name="Kırıkkale Valiliği", merkez_users=20)  # merkez "Merkez"
    before = table_counts()

    response = upload(staff_client, csv_bytes(GOOD_ROWS))

    assert response.status_code == 200
    assert table_counts() == before  # the preview writes nothing
    assert response.context["confirm_form"] is not None
    result = response.context["result"]
    assert not result.has_validation_errors()
    page = response.content.decode()
    assert "Confirm import" in page
    assert "Çankaya Tapu Müdürlüğü" in page
    assert "20 → 60" in page  # the merkez of 900002: old → new (renamed "Merkez" → "Valilik")
    assert [r.diff[0] for r in result.valid_rows()] == [2, 3, 4, 5]

    response = confirm(staff_client, response)

    assert response.status_code == 302 and response.url == CHANGELIST_URL
    assert Unit.objects.filter(institution__code="900001").count() == 3
    assert Unit.objects.get(institution__code="900002").active_users == 60
    assert Entitlement.objects.get(institution__code="900001", program=program).total_active_users == 1050
    assert Unit.history.filter(history_user=staff_user, history_change_reason="import").count() == 4
    [message] = list(get_messages(response.wsgi_request))
    assert "Institutions: 1 created, 1 updated" in str(message)


def test_xlsx_upload_previews_and_imports(staff_client, program):
    response = upload(staff_client, xlsx_bytes(GOOD_ROWS), "sayim.xlsx")
    assert response.context["confirm_form"] is not None

    confirm(staff_client, response)

    assert Unit.objects.count() == 4


def test_bad_rows_are_listed_with_row_column_and_reason_and_cannot_be_confirmed(staff_client, program):
    before = table_counts()
    rows = [
        GOOD_ROWS[0],
        ["900001", "Tapu ve Kadastro Genel Müdürlüğü", "il", "X", "99", "", "5"],
        ["900001", "Tapu ve Kadastro Genel Müdürlüğü", "ilçe", "Y", "34", "Çankaya", "-3"],
        ["900001", "Tapu ve Kadastro Genel Müdürlüğü", "merkez", "Z", "", "", "abc"],
    ]

    response = upload(staff_client, csv_bytes(rows))

    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    page = response.content.decode()
    assert "Confirm import" not in page
    assert "nothing will be imported" in page
    result = response.context["result"]
    listed = {(e.row, e.column) for e in result.errors_shown}
    assert listed == {
        (3, "province_plate"),
        (4, "district"),
        (4, "active_users"),
        (5, "unit_level"),
        (5, "active_users"),
    }
    assert "District Çankaya is not in province İstanbul (it is in Ankara)." in page
    # import-export's own view of the errors: one invalid row per spreadsheet row, keyed by column
    invalid = {r.number: r.field_specific_errors for r in result.invalid_rows}
    assert set(invalid) == {3, 4, 5}
    assert set(invalid[4]) == {"district", "active_users"}
    assert table_counts() == before


@pytest.mark.parametrize("name", ["counts.txt", "counts.xls", "counts.pdf"])
def test_other_file_types_are_refused_with_a_message(staff_client, program, name):
    response = upload(staff_client, csv_bytes(GOOD_ROWS), name)

    assert response.status_code == 200
    assert response.context.get("result") is None
    errors = response.context["form"].errors["import_file"]
    assert "only those can be imported" in errors[0]


def test_content_not_matching_its_name_is_refused(staff_client, program):
    response = upload(staff_client, xlsx_bytes(GOOD_ROWS), "counts.csv")

    assert "not a text file" in response.context["form"].errors["import_file"][0]


def test_file_over_the_limit_is_refused_with_a_message(staff_client, program, settings):
    settings.IMPORT_MAX_BYTES = 200  # the pytest-django fixture, restored after the test
    before = table_counts()

    response = upload(staff_client, csv_bytes(GOOD_ROWS))

    assert response.status_code == 200
    assert "files over" in response.context["form"].errors["import_file"][0]
    assert table_counts() == before


def test_changes_between_preview_and_confirm_are_caught_and_nothing_is_written(staff_client, program):
    rows = [["900009", "Yeni Kurum", "il", "Bursa", "16", "", "3"]]  # needs the stored merkez
    institution = InstitutionFactory(code="900009", name="Yeni Kurum", merkez_users=1)
    response = upload(staff_client, csv_bytes(rows))
    assert response.context["confirm_form"] is not None
    institution.units.all().delete()  # someone removes the merkez meanwhile
    before = table_counts()

    response = confirm(staff_client, response)

    assert response.status_code == 302 and response.url == IMPORT_URL
    assert table_counts() == before
    [message] = list(get_messages(response.wsgi_request))
    assert "Nothing was imported" in str(message)


def test_turkish_page_lists_errors_too(staff_client, program):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    rows = [["900001", "K", "merkez", "M", "", "", "-1"]]

    response = upload(staff_client, csv_bytes(rows))

    assert response.status_code == 200
    assert 'id="user-counts-errors"' in response.content.decode()
    assert response.context.get("confirm_form") is None


def test_five_thousand_rows_through_preview_and_confirm(client, program):
    client.force_login(ProgrammeStaffFactory())
    rows = []
    for i in range(1000):
        code = str(500000 + i)
        rows.append([code, f"Kurum {i}", "merkez", "Merkez", "6", "", str(i % 300)])
        rows.append([code, f"Kurum {i}", "il", "İstanbul İl", "34", "", "10"])
        rows.append([code, f"Kurum {i}", "il", "İzmir İl", "35", "", "10"])
        rows.append([code, f"Kurum {i}", "ilçe", "Çankaya İlçe", "6", "Çankaya", "5"])
        rows.append([code, f"Kurum {i}", "ilçe", "Kadıköy İlçe", "34", "Kadıköy", "5"])
    assert len(rows) == 5000

    response = upload(client, csv_bytes(rows))
    assert response.context["confirm_form"] is not None
    assert response.context["result"].report.units_created == 5000
    response = confirm(client, response)

    assert response.status_code == 302
    assert Institution.objects.count() == 1000
    assert Unit.objects.count() == 5000
    assert Entitlement.objects.filter(program=program).count() == 1000


def test_headers_only_file_is_refused(staff_client, program):
    response = upload(staff_client, csv_bytes([], HEADERS))

    assert response.context.get("confirm_form") is None
    assert response.context["form"].errors["import_file"]


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        pytest.param("active_users", "9" * 5000, id="count-of-5000-digits"),
        pytest.param("province_plate", "6" * 5000, id="plate-of-5000-digits"),
        pytest.param("active_users", "٣٤٠", id="arabic-indic-count"),
        pytest.param("province_plate", "۰۶", id="extended-arabic-indic-plate"),
        pytest.param("unit_name", "Genel\u202e Müdürlük", id="bidi-override-in-a-name"),
    ],
)
def test_a_bad_cell_is_listed_with_its_row_and_column_never_a_server_error(staff_client, program, column, cell):
    row = dict(zip(HEADERS, GOOD_ROWS[0], strict=True))
    row[column] = cell

    response = upload(staff_client, csv_bytes([[row[h] for h in HEADERS]]))

    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    assert {(e.row, e.column) for e in response.context["result"].errors_shown} == {(2, column)}
    assert Institution.objects.count() == 0
