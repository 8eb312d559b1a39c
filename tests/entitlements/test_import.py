"""Import of user counts: the service (``entitlements.imports``) and ``manage.py import_user_counts``."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from entitlements.imports import ImportRowError, user_counts_dataset_parse, user_counts_file_read, user_counts_import
from entitlements.models import Entitlement, EntitlementFlag, Institution, Unit, UnitLevel
from kamusm_portal.errors import RuleViolation
from tests.entitlements.factories import InstitutionFactory, UnitFactory

HEADERS = [
    "institution_code",
    "institution_name",
    "unit_level",
    "unit_name",
    "province_plate",
    "district",
    "active_users",
]

GOOD_ROWS = [
    ["900001", "Tapu ve Kadastro Genel Müdürlüğü", "merkez", "Genel Müdürlük", "6", "", "400"],
    ["900001", "Tapu ve Kadastro Genel Müdürlüğü", "il", "İstanbul Bölge Müdürlüğü", "34", "", "300"],
    ["900001", "Tapu ve Kadastro Genel Müdürlüğü", "ilce", "Çankaya Tapu Müdürlüğü", "06", "Çankaya", "350"],
    ["900002", "Kırıkkale Valiliği", "merkez", "Valilik", "71", "", "60"],
]


def csv_bytes(rows, headers=HEADERS, delimiter=",", bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes, name: str = "counts.csv"):
    return user_counts_file_read(file=io.BytesIO(data), name=name)


def table_counts() -> tuple[int, int, int, int]:
    return (
        Institution.objects.count(),
        Unit.objects.count(),
        Entitlement.objects.count(),
        Unit.history.count(),
    )


def as_tuples(errors: list[ImportRowError]) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in errors}


# --- A good file ----------------------------------------------------------------------------


def test_good_file_creates_institutions_units_and_entitlements(program, staff_user):
    report = user_counts_import(dataset=read(csv_bytes(GOOD_ROWS)), dry_run=False, by=staff_user)

    assert report.errors == []
    assert report.written
    assert (report.institutions_created, report.units_created) == (2, 4)
    tapu = Institution.objects.get(code="900001")
    assert tapu.name == "Tapu ve Kadastro Genel Müdürlüğü"
    assert tapu.search_key  # bulk writes still fill the folded search key
    assert tapu.units.get(level=UnitLevel.MERKEZ).province_id == 6
    ilce = tapu.units.get(level=UnitLevel.ILCE)
    assert (ilce.province_id, ilce.district.name, ilce.active_users) == (6, "Çankaya", 350)
    entitlement = Entitlement.objects.get(institution=tapu, program=program)
    assert entitlement.total_active_users == 1050  # all units together
    assert entitlement.category.code == "2"
    standard = Entitlement.objects.get(institution__code="900002", program=program)
    assert standard.category.code == "STANDARD"
    history = Unit.history.filter(institution_id=tapu.pk)
    assert history.count() == 3
    assert {h.history_change_reason for h in history} == {"import"}
    assert {h.history_user_id for h in history} == {staff_user.pk}
    assert {h.history_type for h in history} == {"+"}
    assert all(abs(h.history_date - timezone.now()) < timedelta(minutes=5) for h in history)
    assert [h.instance.active_users for h in history.order_by("history_id")] == [400, 300, 350]
    assert Institution.history.get(code="900001").history_change_reason == "import"
    assert Entitlement.history.filter(institution_id=tapu.pk, history_change_reason="import").exists()


def test_reimport_updates_counts_keeps_units_not_in_the_file_and_recomputes(program, staff_user):
    institution = InstitutionFactory(code="900001", name="Eski Ad", merkez_users=50)
    kept = UnitFactory(institution=institution, level=UnitLevel.IL, name="Bursa Müdürlüğü", province_id=16)
    istanbul = UnitFactory(institution=institution, level=UnitLevel.IL, name="İSTANBUL BÖLGE MÜDÜRLÜĞÜ", province_id=34)
    user_counts_import(dataset=[HEADERS, ["900001", "Eski Ad", "merkez", "Merkez", "", "", "50"]], dry_run=False)
    before = Entitlement.objects.get(institution=institution, program=program)

    report = user_counts_import(dataset=read(csv_bytes(GOOD_ROWS[:3])), dry_run=False, by=staff_user)

    assert report.errors == []
    assert (report.institutions_created, report.institutions_updated) == (0, 1)
    assert (report.units_created, report.units_updated) == (1, 2)  # the ilçe is new; merkez and İstanbul change
    institution.refresh_from_db()
    assert institution.name == "Tapu ve Kadastro Genel Müdürlüğü"  # the file renames it
    merkez = institution.units.get(level=UnitLevel.MERKEZ)
    assert (merkez.name, merkez.active_users, merkez.province_id) == ("Genel Müdürlük", 400, 6)
    istanbul.refresh_from_db()  # matched Turkish-insensitively, takes the file's spelling and count
    assert (istanbul.name, istanbul.active_users) == ("İstanbul Bölge Müdürlüğü", 300)
    kept.refresh_from_db()
    assert kept.active_users == 10  # not in the file: kept as it was
    assert institution.units.count() == 4
    entitlement = Entitlement.objects.get(pk=before.pk)
    assert entitlement.total_active_users == 400 + 300 + 350 + 10
    assert entitlement.previous_total_active_users == before.total_active_users
    changes = {c.unit_name: (c.old_active_users, c.new_active_users, c.action) for c in report.changes}
    assert changes["Genel Müdürlük"] == (50, 400, "update")
    assert changes["Çankaya Tapu Müdürlüğü"] == (None, 350, "new")
    assert report.changes[0].institution_old_name == "Eski Ad"
    latest = istanbul.history.order_by("-history_id").first()
    assert (latest.history_type, latest.history_change_reason, latest.history_user_id) == ("~", "import", staff_user.pk)
    assert latest.active_users == 300
    assert institution.history.order_by("-history_id").first().name == "Tapu ve Kadastro Genel Müdürlüğü"
    assert kept.history.count() == 1  # untouched units get no history row


def test_same_file_twice_changes_nothing_the_second_time(program):
    user_counts_import(dataset=read(csv_bytes(GOOD_ROWS)), dry_run=False)
    history = Unit.history.count(), Entitlement.history.count()

    report = user_counts_import(dataset=read(csv_bytes(GOOD_ROWS)), dry_run=False)

    assert (report.units_unchanged, report.institutions_unchanged, report.entitlements_changed) == (4, 2, 0)
    assert (Unit.history.count(), Entitlement.history.count()) == history


def test_turkish_headers_names_case_and_thousand_separators_are_understood(program):
    headers = ["Kurum Kodu", "KURUM ADI", "Birim Düzeyi", "birim_adi", "İl Plaka Kodu", "İLÇE", "Aktif Kullanıcı"]
    rows = [
        ["900003", "Sağlık Bakanlığı", "MERKEZ", "Bakanlık", "", "", "12.500"],
        ["900003", "SAĞLIK BAKANLIĞI", "İlçe", "Çankaya İlçe Sağlık", "ankara", "ÇANKAYA", "1.234"],
        ["900003", "Sağlık Bakanlığı", "ILCE", "Keçiören İlçe Sağlık", "06", "kecioren", "7"],
        ["", "", "", "", "", "", ""],  # blank rows are skipped
    ]

    report = user_counts_import(dataset=read(csv_bytes(rows, headers, delimiter=";", bom=True)), dry_run=False)

    assert report.errors == []
    units = {u.name: (u.active_users, u.district.name if u.district else None) for u in Unit.objects.all()}
    assert units == {
        "Bakanlık": (12500, None),
        "Çankaya İlçe Sağlık": (1234, "Çankaya"),
        "Keçiören İlçe Sağlık": (7, "Keçiören"),
    }


def test_xlsx_file_is_read_with_numbers_as_numbers(program):
    rows = [
        ["900004", "Adalet Bakanlığı", "merkez", "Bakanlık", 6, None, 1500.0],
        [900005, "Valilik", "merkez", "V", 1, None, 3],
    ]

    report = user_counts_import(dataset=read(xlsx_bytes(rows), "sayilar.XLSX"), dry_run=False)

    assert report.errors == []
    assert Unit.objects.get(institution__code="900004").active_users == 1500
    assert Institution.objects.filter(code="900005").exists()  # a numeric code cell becomes "900005"


def test_dry_run_reports_the_changes_and_writes_nothing(program):
    before = table_counts()

    report = user_counts_import(dataset=read(csv_bytes(GOOD_ROWS)), dry_run=True)

    assert report.errors == [] and not report.written
    assert (report.institutions_created, report.units_created, len(report.changes)) == (2, 4, 4)
    assert table_counts() == before


def test_zero_users_institution_is_flagged_not_entitled(program):
    user_counts_import(dataset=[HEADERS, ["900006", "Boş Kurum", "merkez", "Merkez", "", "", "0"]], dry_run=False)

    entitlement = Entitlement.objects.get(institution__code="900006", program=program)
    assert (entitlement.category, entitlement.flag) == (None, EntitlementFlag.NO_USERS)


# --- Bad rows -------------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_row_column_and_reason_and_nothing_is_written(program):
    InstitutionFactory(code="800000", merkez_users=5)
    before = table_counts()
    rows = [
        ["900001", "Kurum Bir", "merkez", "Merkez", "", "", "10"],  # row 2: good
        ["900001", "Kurum Bir", "il", "Uzak İl", "99", "", "10"],  # row 3: unknown province
        ["900001", "Kurum Bir", "ilçe", "Yanlış İlçe", "34", "Çankaya", "10"],  # row 4: district not in İstanbul
        ["900001", "Kurum Bir", "il", "Eksi", "6", "", "-5"],  # row 5: negative
        ["900001", "Kurum Bir", "il", "Harf", "7", "", "on iki"],  # row 6: non-numeric
        ["900001", "Kurum Bir", "merkez", "İkinci Merkez", "", "", "3"],  # row 7: second merkez
        ["900001", "Kurum Bir", "il", "Uzak İl", "99", "", "10"],  # row 8: unknown province again
        ["900001", "Kurum Bir", "il", "Ankara İl", "6", "Çankaya", "1"],  # row 9: district on an il unit
        ["900001", "Başka Ad", "il", "Adana İl", "1", "", "1,5"],  # row 10: other name, decimal count
        ["900002", "Kurum İki", "il", "Bursa İl", "16", "", "4"],  # row 11: new institution without merkez
        ["900001", "Kurum Bir", "şube", "", "6", "", "4"],  # row 12: unknown level, no unit name
        ["900001", "Kurum Bir", "il", "Antalya İl", "7", "", "4"],  # row 13: good
        ["900001", "Kurum Bir", "il", "ANTALYA İL", "07", "", "4"],  # row 14: the same unit again
        ["900001", "Kurum Bir", "ilce", "İlçesiz", "6", "", "4"],  # row 15: ilçe without district
        ["800000", "", "il", "Hatay İl", "31", "", "4"],  # row 16: missing institution name
    ]

    with translation.override("en"):
        report = user_counts_import(dataset=read(csv_bytes(rows)), dry_run=False)

    assert not report.written
    assert table_counts() == before
    assert as_tuples(report.errors) == {
        (3, "province_plate"),
        (4, "district"),
        (5, "active_users"),
        (6, "active_users"),
        (7, "unit_level"),
        (8, "province_plate"),
        (9, "district"),
        (10, "institution_name"),
        (10, "active_users"),
        (11, "unit_level"),
        (12, "unit_level"),
        (12, "unit_name"),
        (14, "unit_name"),
        (15, "district"),
        (16, "institution_name"),
    }
    assert [e.row for e in report.errors] == sorted(e.row for e in report.errors)
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert "99" in messages[(3, "province_plate")]
    assert messages[(4, "district")] == "District Çankaya is not in province İstanbul (it is in Ankara)."
    assert "negative" in messages[(5, "active_users")]
    assert "whole number" in messages[(6, "active_users")]
    assert "row 2" in messages[(7, "unit_level")]
    assert "row 2" in messages[(10, "institution_name")]
    assert "no central (merkez) unit" in messages[(11, "unit_level")]
    assert "row 13" in messages[(14, "unit_name")]
    with translation.override("en"):
        assert str(report.errors[0]) == f"row 3, column province_plate: {messages[(3, 'province_plate')]}"


def test_errors_name_the_column_as_the_file_spells_it(program):
    headers = ["Kurum Kodu", "Kurum Adı", "Birim Düzeyi", "Birim Adı", "İl Plaka Kodu", "İlçe", "Aktif Kullanıcı"]

    report = user_counts_import(dataset=[headers, ["1", "K", "merkez", "M", "", "", "x"]], dry_run=True)

    assert as_tuples(report.errors) == {(2, "Aktif Kullanıcı")}


def test_missing_and_duplicate_columns_are_reported_on_row_one(program):
    headers = ["kurum_kodu", "institution_code", "kurum_adi", "birim_duzeyi", "birim_adi", "aktif_kullanici"]

    report = user_counts_import(dataset=[headers, ["1", "K", "merkez", "M", "5"]], dry_run=True)

    assert as_tuples(report.errors) == {(1, "institution_code"), (1, "province_plate"), (1, "district")}


def test_short_rows_are_read_as_blank_cells(program):
    report = user_counts_import(dataset=[HEADERS, ["900001", "K", "merkez", "M", "", ""]], dry_run=True)

    assert as_tuples(report.errors) == {(2, "active_users")}


def test_value_in_a_column_without_header_is_an_error(program):
    rows = [["900001", "Kurum; Bir", "merkez", "Merkez", "", "", "10", "taşan"]]

    report = user_counts_import(dataset=[[*HEADERS, ""], *rows], dry_run=True)

    assert as_tuples(report.errors) == {(2, "H")}


def test_institution_that_keeps_its_stored_merkez_needs_no_merkez_row(program):
    InstitutionFactory(code="900001", merkez_users=5)

    report = user_counts_import(dataset=[HEADERS, ["900001", "K", "il", "Bursa", "16", "", "3"]], dry_run=False)

    assert report.errors == []
    assert Unit.objects.filter(institution__code="900001").count() == 2


def test_institution_without_merkez_is_reported_even_when_its_rows_are_bad(program):
    rows = [["900001", "K", "il", "Bursa", "", "", "3"]]

    report = user_counts_import(dataset=[HEADERS, *rows], dry_run=True)

    assert as_tuples(report.errors) == {(2, "province_plate"), (2, "unit_level")}


def test_new_institution_with_a_bad_merkez_row_is_not_also_reported_without_merkez(program):
    rows = [["900001", "K", "merkez", "Merkez", "", "", "-1"], ["900001", "K", "il", "Bursa", "16", "", "3"]]

    report = user_counts_import(dataset=[HEADERS, *rows], dry_run=True)

    assert as_tuples(report.errors) == {(2, "active_users")}


def test_error_found_after_the_lock_still_writes_nothing(program, monkeypatch):
    """A file good on its own but ambiguous against stored units is refused inside the transaction."""
    institution = InstitutionFactory(code="900001", merkez_users=5)
    UnitFactory(institution=institution, level=UnitLevel.IL, name="Bursa İl", province_id=16)
    UnitFactory(institution=institution, level=UnitLevel.IL, name="BURSA İL", province_id=16)
    before = table_counts()
    rows = [["900002", "Yeni", "merkez", "M", "", "", "4"], ["900001", "K", "il", "bursa il", "16", "", "3"]]

    report = user_counts_import(dataset=[HEADERS, *rows], dry_run=False)

    assert as_tuples(report.errors) == {(3, "unit_name")}
    assert table_counts() == before


# --- The file itself ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["counts.txt", "counts.xls", "counts.json", "counts"])
def test_other_file_types_are_refused(name):
    with pytest.raises(RuleViolation) as exc:
        read(csv_bytes(GOOD_ROWS), name)
    assert exc.value.code == "invalid"
    assert "file" in exc.value.fields


def test_content_must_match_the_extension():
    with pytest.raises(RuleViolation, match="not an Excel workbook"), translation.override("en"):
        read(csv_bytes(GOOD_ROWS), "counts.xlsx")
    with pytest.raises(RuleViolation, match="not a text file"), translation.override("en"):
        read(xlsx_bytes(GOOD_ROWS), "counts.csv")
    with pytest.raises(RuleViolation, match="cannot be read"), translation.override("en"):
        read(b"PK\x03\x04 this is no zip at all", "counts.xlsx")


def test_csv_must_be_utf8():
    with pytest.raises(RuleViolation, match="UTF-8"), translation.override("en"):
        read(csv_bytes(GOOD_ROWS).decode("utf-8").encode("cp1254"), "counts.csv")


def test_file_over_the_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 1024
    data = csv_bytes(GOOD_ROWS * 20)
    assert len(data) > 1024

    with pytest.raises(RuleViolation, match="1 KB"), translation.override("en"):
        read(data)

    class NoSize(io.BytesIO):
        pass  # a stream that does not say its size is cut at the limit while read

    with pytest.raises(RuleViolation, match="over 1 KB"), translation.override("en"):
        user_counts_file_read(file=NoSize(data), name="counts.csv")


def test_default_limit_is_ten_megabytes():
    from django.conf import settings

    assert settings.IMPORT_MAX_BYTES == 10 * 1024 * 1024


def test_empty_file_is_refused():
    with pytest.raises(RuleViolation, match="empty"), translation.override("en"):
        read(b"\n\n", "counts.csv")


def test_content_sniffing_without_a_name():
    assert user_counts_dataset_parse(data=xlsx_bytes(GOOD_ROWS)).headers == HEADERS
    assert len(user_counts_dataset_parse(data=csv_bytes(GOOD_ROWS, delimiter="\t"))) == 4


# --- Queries do not grow with rows ----------------------------------------------------------


def _rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        code = str(700000 + i // 5)
        if i % 5 == 0:
            rows.append([code, f"Kurum {code}", "merkez", "Merkez", "", "", str(i)])
        else:
            rows.append([code, f"Kurum {code}", "ilce", f"Birim {i}", "6", "Çankaya", str(i)])
    return rows


@pytest.mark.parametrize("n", [50, 500])
def test_validation_runs_a_fixed_number_of_queries(program, django_assert_max_num_queries, n):
    for i in range(0, n, 10):  # half the institutions exist already, with units
        InstitutionFactory(code=str(700000 + i // 5), merkez_users=1)

    with django_assert_max_num_queries(4):
        report = user_counts_import(dataset=[HEADERS, *_rows(n)], dry_run=True)

    assert report.errors == []
    assert len(report.changes) == n


def test_write_runs_a_fixed_number_of_queries_for_a_file_of_new_institutions(program, django_assert_max_num_queries):
    # 600 rows: one batch of each bulk write, one recomputation chunk.
    with django_assert_max_num_queries(25):
        report = user_counts_import(dataset=[HEADERS, *_rows(600)], dry_run=False)

    assert report.written and Unit.objects.count() == 600


# --- What any input must respect: numbers in 0-9 and in range, names without invisible characters


def _row(**cells) -> list[str]:
    """The first good row (a new institution's central unit in Ankara) with some cells replaced."""
    row = dict(zip(HEADERS, GOOD_ROWS[0], strict=True))
    row.update(cells)
    return [row[h] for h in HEADERS]


def _import(rows, **kwargs):
    with translation.override("en"):
        return user_counts_import(dataset=read(csv_bytes(rows)), dry_run=False, **kwargs)


OTHER_DIGITS = [
    pytest.param("٣٤٠", id="arabic-indic"),
    pytest.param("۳۴۰", id="extended-arabic-indic"),
    pytest.param("३४०", id="devanagari"),
    pytest.param("３４０", id="full-width"),
    pytest.param("١.٢٣٤", id="arabic-indic-with-thousands"),
    pytest.param("34٠", id="mixed"),
]


@pytest.mark.parametrize("cell", OTHER_DIGITS)
def test_a_count_written_in_digits_other_than_0_to_9_is_a_row_error(program, cell):
    """Python's ``int()`` reads ``٣٤٠`` as 340: the import does not."""
    before = table_counts()

    report = _import([_row(active_users=cell)])

    assert not report.written and table_counts() == before
    assert as_tuples(report.errors) == {(2, "active_users")}
    assert "digits other than 0-9" in report.errors[0].message


@pytest.mark.parametrize("cell", ["٦", "۰۶", "०६", "６"])
def test_a_plate_code_written_in_other_digits_is_a_row_error(program, cell):
    report = _import([_row(province_plate=cell)])

    assert not report.written
    assert as_tuples(report.errors) == {(2, "province_plate")}
    assert "digits other than 0-9" in report.errors[0].message


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        pytest.param("active_users", "9" * 5000, id="count-of-5000-digits"),
        pytest.param("active_users", "1" + "0" * 4299, id="count-of-4300-digits"),
        pytest.param("active_users", "-" + "9" * 5000, id="negative-count-of-5000-digits"),
        pytest.param("active_users", "1" + ".000" * 2000, id="count-of-2000-thousands"),
        pytest.param("active_users", "2147483648", id="count-past-the-database-integer"),
        pytest.param("province_plate", "6" * 5000, id="plate-of-5000-digits"),
        pytest.param("province_plate", "0", id="plate-0"),
        pytest.param("province_plate", "82", id="plate-82"),
    ],
)
def test_a_number_out_of_range_is_a_row_error_never_a_crash(program, column, cell):
    report = _import([_row(**{column: cell})])

    assert not report.written
    assert as_tuples(report.errors) == {(2, column)}
    assert len(report.errors[0].message) < 200  # the cell is quoted cut short


def test_a_count_up_to_the_database_integer_is_taken(program):
    report = _import([_row(active_users="2.147.483.647")])

    assert report.written, report.errors
    assert Unit.objects.get().active_users == 2_147_483_647


def test_the_units_of_an_institution_may_not_count_together_more_than_the_ledger_holds(program):
    """Each count fits, but the entitlement row stores the institution's total."""
    stored = InstitutionFactory(code="900001", merkez_users=1_500_000_000)
    samsun = {"unit_level": "il", "unit_name": "Samsun", "province_plate": "55", "active_users": "2000000000"}

    new = {"institution_code": "900009", "institution_name": "Samsun Valiliği"}
    both_in_the_file = _import([_row(**new, active_users="2000000000"), _row(**new, **samsun)])
    with_the_stored = _import([_row(**samsun)])

    assert as_tuples(both_in_the_file.errors) == {(2, "active_users")}
    assert "4000000000" in both_in_the_file.errors[0].message
    assert as_tuples(with_the_stored.errors) == {(2, "active_users")}, "the stored central unit counts too"
    assert "3500000000" in with_the_stored.errors[0].message
    assert stored.units.get().active_users == 1_500_000_000


INVISIBLE_KINDS = [
    pytest.param("\u0013", id="control"),
    pytest.param("\u202e", id="bidi-override"),
    pytest.param("\u2069", id="bidi-isolate"),
    pytest.param("\u200b", id="zero-width"),
    pytest.param("\ufeff", id="BOM"),
]


@pytest.mark.parametrize("ch", INVISIBLE_KINDS)
@pytest.mark.parametrize("column", ["institution_name", "unit_name"])
def test_a_name_with_a_control_or_invisible_character_is_a_row_error(program, column, ch):
    report = _import([_row(**{column: f"Tapu{ch} Müdürlüğü"})])

    assert not report.written
    assert as_tuples(report.errors) == {(2, column)}
    assert f"U+{ord(ch):04X}" in report.errors[0].message


def test_names_with_digits_and_punctuation_are_imported(program):
    report = _import([_row(institution_name="19 Mayıs Üniversitesi", unit_name="Rektörlük (Merkez) – 1. Bina")])

    assert report.written, report.errors
    assert Institution.objects.get().name == "19 Mayıs Üniversitesi"


def test_an_xlsx_cell_of_arabic_indic_digits_is_a_row_error_too(program):
    data = xlsx_bytes([_row(active_users="٣٤٠")])

    with translation.override("en"):
        report = user_counts_import(dataset=read(data, "counts.xlsx"), dry_run=True)

    assert as_tuples(report.errors) == {(2, "active_users")}


# --- The management command -----------------------------------------------------------------


def test_command_imports_a_good_file(program, tmp_path):
    path = tmp_path / "counts.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS))
    out = io.StringIO()

    with translation.override("en"):
        call_command("import_user_counts", str(path), stdout=out)

    assert "Institutions: 2 created" in out.getvalue()
    assert "Units: 4 created" in out.getvalue()
    assert Unit.objects.count() == 4


def test_command_dry_run_writes_nothing(program, tmp_path):
    path = tmp_path / "counts.xlsx"
    path.write_bytes(xlsx_bytes(GOOD_ROWS))
    out = io.StringIO()

    with translation.override("en"):
        call_command("import_user_counts", str(path), "--dry-run", stdout=out)

    assert "Dry run" in out.getvalue()
    assert Institution.objects.count() == 0


def test_command_prints_each_error_and_fails(program, tmp_path):
    rows = [GOOD_ROWS[0], ["900001", "Tapu ve Kadastro Genel Müdürlüğü", "il", "X", "82", "", "-1"]]
    path = tmp_path / "counts.csv"
    path.write_bytes(csv_bytes(rows))
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 errors"), translation.override("en"):
        call_command("import_user_counts", str(path), stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0].startswith("row 3, column province_plate: ")
    assert lines[1].startswith("row 3, column active_users: ")
    assert Institution.objects.count() == 0


def test_command_refuses_wrong_type_and_missing_file(tmp_path, settings):
    path = tmp_path / "counts.txt"
    path.write_text("x")
    with pytest.raises(CommandError, match=r"counts\.txt"):
        call_command("import_user_counts", str(path))
    with pytest.raises(CommandError):
        call_command("import_user_counts", str(tmp_path / "missing.csv"))
    settings.IMPORT_MAX_BYTES = 10
    big = tmp_path / "big.csv"
    big.write_bytes(csv_bytes(GOOD_ROWS))
    with pytest.raises(CommandError, match=r"big\.csv"):
        call_command("import_user_counts", str(big))


def test_command_reports_a_cell_of_5000_digits_as_a_row_error(program, tmp_path):
    path = tmp_path / "counts.csv"
    path.write_bytes(csv_bytes([_row(active_users="9" * 5000), _row(unit_level="il", province_plate="6" * 5000)]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 errors"), translation.override("en"):
        call_command("import_user_counts", str(path), stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0].startswith("row 2, column active_users: 99999999999999999999… is too large")
    assert lines[1].startswith("row 3, column province_plate: ")
    assert Institution.objects.count() == 0
