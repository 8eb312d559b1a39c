"""Import of user counts: a CSV or XLSX of units and their active users.

The centre's staff upload one row per unit (admin import with a preview, or
``manage.py import_user_counts FILE``). Every row is checked before anything is written; one bad
row refuses the whole file, and the report names every bad row with its row number (as the
spreadsheet shows it: the header is row 1, the first data row is row 2), its column and the
reason. A good file creates or updates institutions and units and recomputes their entitlements
in one transaction.

Decisions (change them here if the centre says otherwise):

- **Columns.** Seven columns, each under an English or a Turkish header; headers are matched
  Turkish-insensitively (``Kurum Adı``, ``KURUM_ADI`` and ``kurum adi`` are the same) and the
  column order is free. See ``COLUMNS`` for every accepted spelling. Other columns are ignored; a
  value in a column without a header is an error (usually a delimiter inside an unquoted cell).
- **Rows.** Fully blank rows are skipped (spreadsheets leave them at the end); they keep their
  number, so the numbers match what the user sees.
- **Levels.** ``merkez``/``il``/``ilçe`` in any case, with or without Turkish letters (``ILCE``,
  ``İlçe``), also ``central``/``provincial``/``district``.
- **Province.** The plate code (``6``, ``06``) or the province's name (``Ankara``, ``ANKARA``).
  Optional for a central unit, required below it.
- **District.** By name within the province, Turkish-insensitively (``cankaya`` finds
  ``Çankaya``). Required for a district unit, refused for the others.
- **Active users.** A whole number 0 or more: ``1234``, or with Turkish thousand separators
  ``1.234``. Decimals (``1,5``, ``12.5``) and negative numbers are refused.
- **Institutions.** Matched on the code. A new institution gets the kind "other" (staff set the
  kind later) and must have a ``merkez`` row in the file. The same code with two different names in
  the file is an error; a different name from the stored one renames the institution.
- **Units.** The central unit is matched on its institution (there is one); other units on level,
  province, district and name (the name Turkish-insensitively, exact spelling first). A matched
  unit takes the row's count, and its spelling and, for the central unit, its province.
- **Nothing is deleted.** Units of an institution that are not in the file keep their counts: the
  file creates and updates, it does not remove. An institution's units may be sent in several files.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import tablib
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from entitlements.models import (
    MAX_ACTIVE_USERS,
    District,
    Institution,
    InstitutionKind,
    Province,
    Unit,
    UnitLevel,
    institution_search_key,
)
from entitlements.services import entitlement_recompute, total_users_too_large, unit_validate
from kamusm_portal.db import history_copy
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import locked
from kamusm_portal.services import service
from kamusm_portal.text import tr_fold
from kamusm_portal.validators import ASCII_DIGITS, input_errors, validate_organisation_name

# --- Columns --------------------------------------------------------------------------------

#: canonical column → accepted header spellings, already folded (see ``_header_key``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "institution_code": ("institution_code", "kurum_kodu", "kurum_kod", "detsis", "detsis_no", "detsis_kodu"),
    "institution_name": ("institution_name", "kurum_adi", "kurum", "institution"),
    "unit_level": ("unit_level", "birim_duzeyi", "level", "duzey", "teskilat_duzeyi"),
    "unit_name": ("unit_name", "birim_adi", "birim", "unit"),
    "province_plate": (
        "province_plate",
        "province_plate_code",
        "province",
        "il_plaka_kodu",
        "il_plaka",
        "plaka_kodu",
        "plaka",
        "il_kodu",
        "il",
    ),
    "district": ("district", "ilce", "ilce_adi"),
    "active_users": (
        "active_users",
        "aktif_kullanici",
        "aktif_kullanici_sayisi",
        "aktif_kullanicilar",
        "aktif_e_imza_kullanicisi",
        "aktif_e_imza_kullanici_sayisi",
    ),
}
#: The header a template file uses for each column (Turkish, the staff's language).
TEMPLATE_HEADERS = {
    "institution_code": "kurum_kodu",
    "institution_name": "kurum_adi",
    "unit_level": "birim_duzeyi",
    "unit_name": "birim_adi",
    "province_plate": "il_plaka_kodu",
    "district": "ilce",
    "active_users": "aktif_kullanici",
}
_HEADER_TO_COLUMN = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}

_LEVELS = {
    "merkez": UnitLevel.MERKEZ,
    "merkez teskilati": UnitLevel.MERKEZ,
    "central": UnitLevel.MERKEZ,
    "il": UnitLevel.IL,
    "il teskilati": UnitLevel.IL,
    "provincial": UnitLevel.IL,
    "ilce": UnitLevel.ILCE,
    "ilce teskilati": UnitLevel.ILCE,
    "district": UnitLevel.ILCE,
}

ALLOWED_EXTENSIONS = (".csv", ".xlsx")
#: A 10 MB XLSX unpacks to far more rows than a CSV of the same size; this bounds the work.
MAX_ROWS = 300_000
_XLSX_MAGIC = b"PK\x03\x04"
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_DIGITS = ASCII_DIGITS

_CODE_MAX = Institution._meta.get_field("code").max_length
_INSTITUTION_NAME_MAX = Institution._meta.get_field("name").max_length
_UNIT_NAME_MAX = Unit._meta.get_field("name").max_length


# --- The report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRowError:
    """One reason a row is refused. ``row`` as the spreadsheet numbers it (header = 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class Change:
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class UnitChange:
    """What one row will do (or did) to its unit, for the preview."""

    row: int
    institution_code: str
    institution_name: str
    institution_old_name: str | None  # the stored name when the file renames the institution
    institution_action: str  # Change.*
    level: str
    unit_name: str
    province: str
    district: str
    old_active_users: int | None  # None: a new unit
    new_active_users: int
    action: str  # Change.*


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    errors: list[ImportRowError] = field(default_factory=list)
    changes: list[UnitChange] = field(default_factory=list)
    institutions_created: int = 0
    institutions_updated: int = 0
    institutions_unchanged: int = 0
    units_created: int = 0
    units_updated: int = 0
    units_unchanged: int = 0
    entitlements_changed: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return _(
            "Rows: %(rows)s. Institutions: %(ic)s created, %(iu)s updated, %(in)s unchanged. "
            "Units: %(uc)s created, %(uu)s updated, %(un)s unchanged."
        ) % {
            "rows": self.rows,
            "ic": self.institutions_created,
            "iu": self.institutions_updated,
            "in": self.institutions_unchanged,
            "uc": self.units_created,
            "uu": self.units_updated,
            "un": self.units_unchanged,
        }


# --- Reading the file -----------------------------------------------------------------------


def file_size_label(n: int) -> str:
    """``10.0 MB``, ``512 KB``: a file size as the messages show it."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{n // 1024} KB" if n >= 1024 else f"{n} B"


def _refuse(message: str) -> RuleViolation:
    return RuleViolation(Code.INVALID, message, fields={"file": [message]})


def user_counts_file_read(*, file: IO[bytes], name: str) -> tablib.Dataset:
    """Read an uploaded CSV or XLSX into a dataset (first row: the headers).

    Refused with ``invalid`` when the file is larger than ``settings.IMPORT_MAX_BYTES``, when its
    name is not ``.csv``/``.xlsx``, or when its content is not what the name says or cannot be
    read (a CSV must be UTF-8, with or without BOM, delimited by ``;``, ``,`` or tab).
    """
    limit = settings.IMPORT_MAX_BYTES
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise _refuse(
            _("The file is %(size)s; files over %(limit)s are refused.")
            % {"size": file_size_label(size), "limit": file_size_label(limit)}
        )
    extension = Path(name or "").suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise _refuse(
            _("%(name)s is not a CSV (.csv) or Excel (.xlsx) file; only those can be imported.") % {"name": name}
        )
    data = file.read(limit + 1)
    if len(data) > limit:
        raise _refuse(_("The file is over %(limit)s; larger files are refused.") % {"limit": file_size_label(limit)})
    return user_counts_dataset_parse(data=data, kind=extension.lstrip("."))


def user_counts_dataset_parse(*, data: bytes, kind: str | None = None) -> tablib.Dataset:
    """Parse the bytes of a CSV or XLSX file. ``kind`` (``csv``/``xlsx``) is what the file name says;
    without it the content decides (an XLSX is a ZIP archive)."""
    is_zip = data[:4] == _XLSX_MAGIC
    if kind is None:
        kind = "xlsx" if is_zip else "csv"
    if kind == "xlsx":
        if not is_zip:
            raise _refuse(_("The file is named .xlsx but is not an Excel workbook."))
        rows = _xlsx_rows(data)
    else:
        if is_zip or b"\x00" in data[:65536]:
            raise _refuse(_("The file is named .csv but is not a text file (an Excel workbook must be named .xlsx)."))
        rows = _csv_rows(data)
    return _dataset(rows)


def _csv_rows(data: bytes) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            _(
                "The CSV file is not UTF-8 text (byte %(position)s). Save it from Excel as "
                '"CSV UTF-8 (Comma delimited)" and try again.'
            )
            % {"position": exc.start + 1}
        ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _refuse(_("The CSV file cannot be read: %(reason)s") % {"reason": exc}) from exc


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise _refuse(_("The Excel workbook cannot be read; save it again as .xlsx and retry.")) from exc
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _refuse(_("The Excel workbook cannot be read; save it again as .xlsx and retry.")) from exc
    finally:
        book.close()


def _dataset(rows: list[list[Any]]) -> tablib.Dataset:
    while rows and _blank(rows[-1]):
        rows.pop()
    if not rows:
        raise _refuse(_("The file is empty: the first row must name the columns."))
    if len(rows) - 1 > MAX_ROWS:
        raise _refuse(_("The file has more than %(max)s rows; split it into smaller files.") % {"max": MAX_ROWS})
    width = max(len(r) for r in rows)
    headers = [("" if h is None else str(h)) for h in rows[0]] + [""] * (width - len(rows[0]))
    body = [r if len(r) == width else [*r, *([None] * (width - len(r)))] for r in rows[1:]]
    return tablib.Dataset(*body, headers=headers)


def _blank(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


# --- Cells ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _header_key(header: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "_", tr_fold(_text(header))).strip("_")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _shown(value: Any) -> str:
    """A cell as a message quotes it: at most 20 characters (a cell of thousands of digits is cut)."""
    text = _text(value)
    return text if len(text) <= 20 else f"{text[:20]}…"


def _other_digits(text: str) -> str | None:
    """The refusal of a number written with digits other than 0-9 (Arabic-Indic ``٣``, Persian,
    Devanagari, full-width, ...), which Python's ``int()`` would read; ``None`` when there are none."""
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        return _("%(value)s is written with digits other than 0-9; write the number with 0-9.") % {
            "value": _shown(text)
        }
    return None


def _whole_number(value: Any) -> tuple[int | None, str | None]:
    """``(number, None)`` or ``(None, reason)``: 0 to ``MAX_ACTIVE_USERS``, in the digits 0-9."""
    if isinstance(value, bool):
        return None, _("%(value)s is not a whole number.") % {"value": value}
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None, _("%(value)s is not a whole number.") % {"value": _shown(value)}
        number = int(value)
    else:
        text = _text(value).replace(" ", "")
        negative = text.startswith("-")
        digits = text[1:] if negative else text
        if _DIGITS.fullmatch(digits) or _THOUSANDS.fullmatch(digits):
            digits = digits.replace(".", "").lstrip("0") or "0"
            if negative and digits != "0":
                return None, _("Active users cannot be negative (%(value)s).") % {"value": _shown(text)}
            if len(digits) > len(str(MAX_ACTIVE_USERS)):  # int() of thousands of digits fails (and is slow)
                return None, _("%(value)s is too large for a number of users.") % {"value": _shown(value)}
            number = int(digits)
        else:
            return None, _other_digits(text) or _("%(value)s is not a whole number.") % {"value": _shown(value)}
    if number < 0:
        return None, _("Active users cannot be negative (%(value)s).") % {"value": _shown(number)}
    if number > MAX_ACTIVE_USERS:
        return None, _("%(value)s is too large for a number of users.") % {"value": _shown(number)}
    return number, None


def _name_errors(name: str) -> list[str]:
    """Why an institution's or unit's name is refused (the characters it may not hold: the models'
    own validator, ``kamusm_portal.validators``); empty when it is not."""
    return input_errors({"name": (name, [validate_organisation_name])}).get("name", [])


# --- Lookups (a fixed number of queries, whatever the row count) ----------------------------


class _Places:
    """Provinces by plate and by folded name; districts by (plate, folded name). Two queries."""

    def __init__(self) -> None:
        provinces = list(Province.objects.order_by("plate"))
        self.by_plate = {p.plate: p for p in provinces}
        self.by_name = {tr_fold(p.name): p for p in provinces}
        self.districts: dict[tuple[int, str], District] = {}
        self.district_provinces: dict[str, list[Province]] = {}
        for d in District.objects.order_by("province_id", "name"):
            d.province = self.by_plate[d.province_id]
            key = tr_fold(d.name)
            self.districts[(d.province_id, key)] = d
            self.district_provinces.setdefault(key, []).append(d.province)

    def province(self, value: Any) -> tuple[Province | None, str | None]:
        if isinstance(value, bool):
            return None, _("%(value)s is not a plate code (1-81) or a province name.") % {"value": value}
        number: int | None = None
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            number = int(value) if value.is_integer() else -1
        else:
            text = _text(value)
            if _DIGITS.fullmatch(text):
                digits = text.lstrip("0") or "0"
                number = int(digits) if len(digits) <= 2 else -1  # int() of thousands of digits fails
            else:
                province = self.by_name.get(tr_fold(text))
                if province is None:
                    return None, _other_digits(text) or _(
                        "Unknown province %(value)s: give its plate code (1-81) or its name."
                    ) % {"value": _shown(text)}
                return province, None
        if not 1 <= number <= 81:
            return None, _("Plate code %(value)s is not between 1 and 81.") % {"value": _shown(value)}
        province = self.by_plate.get(number)
        if province is None:
            return None, _("Unknown province with plate code %(value)s.") % {"value": number}
        return province, None

    def district(self, province: Province, name: str) -> tuple[District | None, str | None]:
        key = tr_fold(name)
        district = self.districts.get((province.plate, key))
        if district is not None:
            return district, None
        elsewhere = self.district_provinces.get(key)
        if elsewhere:
            return None, _("District %(district)s is not in province %(province)s (it is in %(other)s).") % {
                "district": name,
                "province": province.name,
                "other": ", ".join(p.name for p in elsewhere),
            }
        return None, _("Unknown district %(district)s in province %(province)s.") % {
            "district": name,
            "province": province.name,
        }


def _chunk_size() -> int:
    """How many values one ``IN (...)`` may carry on this database (SQLite limits it)."""
    limit = connection.features.max_query_params or 10_000
    return max(100, min(limit - 100, 10_000))


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    size = _chunk_size()
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- Parsing rows ---------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    code: str
    institution_name: str
    level: str
    unit_name: str
    province: Province | None
    district: District | None
    active_users: int
    unit_key: str  # the unit name, folded: how it is matched


@dataclass
class _Codes:
    first_row: dict[str, int] = field(default_factory=dict)  # code → the first row that names it
    with_merkez: set[str] = field(default_factory=set)


class _Errors:
    def __init__(self, labels: dict[str, str], order: dict[str, int]) -> None:
        self.labels = labels  # canonical column → the header as the file spells it
        self.order = order
        self.items: list[ImportRowError] = []

    def add(self, row: int, column: str, message: str, *, as_written: bool = False) -> None:
        """``column``: a canonical column name, or with ``as_written`` a header or letter as shown."""
        label = column if as_written else self.labels.get(column, column)
        self.items.append(ImportRowError(row=row, column=label, message=str(message)))

    def sorted(self) -> list[ImportRowError]:
        return sorted(self.items, key=lambda e: (e.row, self.order.get(e.column, 99)))


def _table(dataset: tablib.Dataset | Iterable[Sequence[Any]]) -> tuple[list[Any], Iterable[Sequence[Any]]]:
    if isinstance(dataset, tablib.Dataset):
        if dataset.headers is None:
            if not len(dataset):
                return [], []
            return list(dataset[0]), (dataset[i] for i in range(1, len(dataset)))
        return list(dataset.headers), (dataset[i] for i in range(len(dataset)))
    rows = iter(dataset)
    headers = list(next(rows, []))
    width = len(headers)
    return headers, (r if len(r) >= width else [*r, *([None] * (width - len(r)))] for r in rows)


def _columns_map(headers: list[Any]) -> tuple[dict[str, int], _Errors, list[int]]:
    """Column positions by canonical name; the errors collector; positions of unnamed columns."""
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    unnamed: list[int] = []
    header_errors: list[tuple[str, str]] = []
    for index, header in enumerate(headers):
        key = _header_key(header)
        if not key:
            unnamed.append(index)
            continue
        column = _HEADER_TO_COLUMN.get(key)
        if column is None:
            continue  # an extra column: ignored
        if column in positions:
            header_errors.append(
                (
                    _text(header),
                    _("Column %(a)s and column %(b)s are both %(column)s.")
                    % {"a": labels[column], "b": _text(header), "column": column},
                )
            )
            continue
        positions[column] = index
        labels[column] = _text(header)
    order = {label: positions[column] for column, label in labels.items()}
    for column in COLUMNS:
        labels.setdefault(column, column)
        order.setdefault(column, 100 + list(COLUMNS).index(column))
    errors = _Errors(labels, order)
    for header, message in header_errors:
        errors.add(1, header, message, as_written=True)
    for column in COLUMNS:
        if column not in positions:
            errors.add(
                1,
                column,
                _("The column is missing: name it %(names)s.")
                % {"names": " / ".join(dict.fromkeys((column, TEMPLATE_HEADERS[column])))},
            )
    return positions, errors, unnamed


def _rows_parse(
    rows: Iterable[Sequence[Any]],
    positions: dict[str, int],
    unnamed: list[int],
    places: _Places,
    errors: _Errors,
    report: ImportReport,
) -> tuple[list[_Row], _Codes]:
    """Check every row on its own and against the other rows of the file.

    Returns the good rows, and every institution code of the file (from good and bad rows) with
    the codes that have a ``merkez`` row, for the check that each institution keeps one."""
    parsed: list[_Row] = []
    names: dict[str, tuple[str, str, int]] = {}  # code → (folded name, name, row)
    merkez_rows: dict[str, int] = {}
    codes = _Codes()
    unit_rows: dict[tuple, int] = {}
    levels: dict[str, str | None] = {}  # what each spelling of a level, province or district resolves to
    provinces: dict[tuple, tuple[Province | None, str | None]] = {}
    name_refusals: dict[str, list[str]] = {}  # each spelling of a name checked once (a file repeats them)
    p_code, p_name, p_level, p_unit, p_province, p_district, p_users = (positions[c] for c in COLUMNS)
    number = 1
    for cells in rows:
        number += 1
        if _blank(cells):
            continue
        report.rows += 1
        bad = False

        def fail(column: str, message: str, *, as_written: bool = False) -> None:
            nonlocal bad
            bad = True
            errors.add(number, column, message, as_written=as_written)  # noqa: B023 (called before the loop moves on)

        for index in unnamed:
            if index < len(cells) and _text(cells[index]):
                fail(
                    _column_letter(index),
                    _("This cell has a value but its column has no header; check the delimiter and quotes."),
                    as_written=True,
                )

        code = _text(cells[p_code])
        name = _text(cells[p_name])
        level_text = _text(cells[p_level])
        unit_name = _text(cells[p_unit])
        province_value = cells[p_province]
        district_name = _text(cells[p_district])

        if not code:
            fail("institution_code", _("The institution code is missing."))
        elif len(code) > _CODE_MAX:
            fail("institution_code", _("The code is longer than %(max)s characters.") % {"max": _CODE_MAX})
            code = ""
        else:
            codes.first_row.setdefault(code, number)
        if not name:
            fail("institution_name", _("The institution name is missing."))
        elif len(name) > _INSTITUTION_NAME_MAX:
            fail("institution_name", _("The name is longer than %(max)s characters.") % {"max": _INSTITUTION_NAME_MAX})
        for column, text in (("institution_name", name), ("unit_name", unit_name)):
            refused = name_refusals.get(text)
            if refused is None:
                refused = name_refusals[text] = _name_errors(text)
            for message in refused:
                fail(column, message)
        level = levels.get(level_text)
        if level is None and level_text:
            level = levels[level_text] = _LEVELS.get(tr_fold(level_text))
        if not level_text:
            fail("unit_level", _("The unit level is missing: merkez, il or ilçe."))
        elif level is None:
            fail("unit_level", _("Unknown unit level %(level)s: use merkez, il or ilçe.") % {"level": level_text})
        elif level == UnitLevel.MERKEZ and code:
            codes.with_merkez.add(code)
        if not unit_name:
            fail("unit_name", _("The unit name is missing."))
        elif len(unit_name) > _UNIT_NAME_MAX:
            fail("unit_name", _("The name is longer than %(max)s characters.") % {"max": _UNIT_NAME_MAX})

        province = None
        if _text(province_value):
            cache_key = (type(province_value), province_value)
            found = provinces.get(cache_key)
            if found is None:
                found = provinces[cache_key] = places.province(province_value)
            province, reason = found
            if reason:
                fail("province_plate", reason)
        elif level in (UnitLevel.IL, UnitLevel.ILCE):
            fail("province_plate", _("A provincial or district unit needs a province."))

        district = None
        if district_name:
            if level in (UnitLevel.MERKEZ, UnitLevel.IL):
                fail("district", _("Only a district unit has a district."))
            elif province is not None:
                district, reason = places.district(province, district_name)
                if reason:
                    fail("district", reason)
        elif level == UnitLevel.ILCE:
            fail("district", _("A district unit needs a district."))

        active_users = None
        if _text(cells[p_users]):
            active_users, reason = _whole_number(cells[p_users])
            if reason:
                fail("active_users", reason)
        else:
            fail("active_users", _("The number of active users is missing."))

        # Across rows: one name per code, one merkez per institution, each unit once. Checked as
        # soon as the cells they need are good, so every bad row is reported in one pass.
        if code and name:
            seen = names.get(code)
            if seen is None:
                names[code] = (tr_fold(name), name, number)
            elif seen[1] != name and seen[0] != tr_fold(name):
                fail(
                    "institution_name",
                    _("Institution %(code)s is named %(name)s in row %(row)s.")
                    % {"code": code, "name": seen[1], "row": seen[2]},
                )
        if code and level == UnitLevel.MERKEZ:
            first = merkez_rows.setdefault(code, number)
            if first != number:
                fail(
                    "unit_level",
                    _("Institution %(code)s already has its central (merkez) unit in row %(row)s.")
                    % {"code": code, "row": first},
                )
        elif code and unit_name and province is not None and (level == UnitLevel.IL or district is not None):
            key = (code, level, province.plate, district.pk if district else 0, tr_fold(unit_name))
            first = unit_rows.setdefault(key, number)
            if first != number:
                fail("unit_name", _("The same unit is already in row %(row)s.") % {"row": first})
        if bad:
            continue
        # The service's own rule for a unit, so the import never accepts what a form would refuse.
        try:
            unit_validate(level=level, province=province, district=district, active_users=active_users)
        except RuleViolation as exc:
            column_of = {"level": "unit_level", "province": "province_plate"}
            for key_, messages in exc.fields.items():
                for message in messages:
                    fail(column_of.get(key_, key_), message)
            continue
        parsed.append(_Row(number, code, name, level, unit_name, province, district, active_users, tr_fold(unit_name)))
    return parsed, codes


# --- Planning against the database ----------------------------------------------------------


@dataclass
class _Plan:
    institution_ids: dict[str, int] = field(default_factory=dict)  # code → id, stored ones
    institutions_new: dict[str, str] = field(default_factory=dict)  # code → name
    institutions_renamed: list[tuple[int, str, str]] = field(default_factory=list)  # (id, name, search key)
    units_new: list[_Row] = field(default_factory=list)
    units_changed: list[tuple[int, int, str, int | None]] = field(default_factory=list)  # (id, users, name, plate)


def _plan(parsed: list[_Row], codes: _Codes, errors: _Errors, report: ImportReport, *, lock: bool) -> _Plan:
    """Match rows to stored institutions and units, check what needs the database, fill the preview.

    Two queries (per chunk of a few thousand institutions): the file's institutions by code and
    their units. With ``lock`` the stored institutions are then locked (``kamusm_portal.locking``)
    in id order over the whole file, chunk after chunk, so two imports never deadlock, and read
    again under their locks; they stay locked until the caller's transaction ends.
    """
    plan = _Plan()
    stored: list[tuple[str, int, str]] = []
    for chunk in _chunks(sorted(codes.first_row)):
        stored.extend(Institution.objects.filter(code__in=chunk).order_by("code").values_list("code", "pk", "name"))
    if lock:
        ids = sorted(pk for _code, pk, _name in stored)
        stored = [
            row
            for chunk in _chunks(ids)
            for row in locked(Institution.objects.filter(pk__in=chunk)).values_list("code", "pk", "name")
            if row[0] in codes.first_row  # a code changed meanwhile is a new institution of the file
        ]
    stored_names: dict[str, str] = {}
    for code, pk, name in stored:
        plan.institution_ids[code] = pk
        stored_names[code] = name
    merkez: dict[int, tuple] = {}
    units: dict[tuple, list[tuple]] = {}
    for chunk in _chunks(sorted(plan.institution_ids.values())):
        stored_units = (
            Unit.objects.filter(institution_id__in=chunk)
            .order_by("pk")
            .values_list("pk", "institution_id", "level", "province_id", "district_id", "name", "active_users")
        )
        for unit in stored_units:
            if unit[2] == UnitLevel.MERKEZ:
                merkez[unit[1]] = unit
            else:
                units.setdefault((unit[1], unit[2], unit[3] or 0, unit[4] or 0, tr_fold(unit[5])), []).append(unit)

    for code, number in codes.first_row.items():
        pk = plan.institution_ids.get(code)
        if code not in codes.with_merkez and (pk is None or pk not in merkez):
            errors.add(
                number,
                "unit_level",
                _("Institution %(code)s has no central (merkez) unit: add a row with level merkez.") % {"code": code},
            )

    institution_action: dict[str, str] = {}
    renamed: dict[str, str] = {}
    changes: list[tuple[_Row, int | None, str]] = []
    matched: set[int] = set()  # stored units a row updates
    for row in parsed:
        pk = plan.institution_ids.get(row.code)
        if row.code not in institution_action:
            if pk is None:
                plan.institutions_new[row.code] = row.institution_name
                institution_action[row.code] = Change.NEW
            elif stored_names[row.code] != row.institution_name:
                renamed[row.code] = stored_names[row.code]
                search_key = institution_search_key(row.institution_name, row.code)
                plan.institutions_renamed.append((pk, row.institution_name, search_key))
                institution_action[row.code] = Change.UPDATE
            else:
                institution_action[row.code] = Change.UNCHANGED
        current = None
        if pk is not None and row.level == UnitLevel.MERKEZ:
            current = merkez.get(pk)
        elif pk is not None:
            plate = row.province.plate if row.province else 0
            candidates = units.get((pk, row.level, plate, row.district.pk if row.district else 0, row.unit_key), [])
            exact = [u for u in candidates if u[5] == row.unit_name]
            if exact or len(candidates) == 1:
                current = (exact or candidates)[0]
            elif candidates:
                errors.add(
                    row.number,
                    "unit_name",
                    _("The name matches %(n)s stored units of this institution; write it exactly as one of them.")
                    % {"n": len(candidates)},
                )
                continue
        if current is None:
            plan.units_new.append(row)
            changes.append((row, None, Change.NEW))
            continue
        unit_pk, _institution, _level, province_id, _district, name, users = current
        matched.add(unit_pk)
        plate = row.province.plate if row.province else None
        # Only a merkez can change province here: for the other units the province is in the key.
        if (users, name, province_id) != (row.active_users, row.unit_name, plate):
            plan.units_changed.append((unit_pk, row.active_users, row.unit_name, plate))
            changes.append((row, users, Change.UPDATE))
        else:
            changes.append((row, users, Change.UNCHANGED))

    # The ledger holds an institution's total: the file's rows and its stored units left as they are.
    totals: dict[str, int] = {}
    for row in parsed:
        totals[row.code] = totals.get(row.code, 0) + row.active_users
    kept: dict[int, int] = {}
    for unit in [*merkez.values(), *(u for group in units.values() for u in group)]:
        if unit[0] not in matched:
            kept[unit[1]] = kept.get(unit[1], 0) + unit[6]
    for code, total in totals.items():
        total += kept.get(plan.institution_ids.get(code, 0), 0)
        if total > MAX_ACTIVE_USERS:
            errors.add(codes.first_row[code], "active_users", total_users_too_large(total))

    for row, _old, action in changes:
        if action != Change.UNCHANGED and institution_action.get(row.code) == Change.UNCHANGED:
            institution_action[row.code] = Change.UPDATE
    actions = list(institution_action.values())
    report.institutions_created = actions.count(Change.NEW)
    report.institutions_updated = actions.count(Change.UPDATE)
    report.institutions_unchanged = actions.count(Change.UNCHANGED)
    unit_actions = [c[2] for c in changes]
    report.units_created = unit_actions.count(Change.NEW)
    report.units_updated = unit_actions.count(Change.UPDATE)
    report.units_unchanged = unit_actions.count(Change.UNCHANGED)
    report.changes = [
        UnitChange(
            row=row.number,
            institution_code=row.code,
            institution_name=row.institution_name,
            institution_old_name=renamed.get(row.code),
            institution_action=institution_action[row.code],
            level=row.level,
            unit_name=row.unit_name,
            province=row.province.name if row.province else "",
            district=row.district.name if row.district else "",
            old_active_users=old,
            new_active_users=row.active_users,
            action=action,
        )
        for row, old, action in changes
    ]
    return plan


# --- Writing --------------------------------------------------------------------------------


def _insert(cursor, model, rows: list[dict[str, Any]]) -> None:
    """One ``executemany`` INSERT; columns the rows leave out take the field's default.

    The rows carry plain values (str, int, bool, None) that every driver binds as they are."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model, values bound)
        qn(model._meta.db_table), ", ".join(qn(f.column) for f in fields), ", ".join(["%s"] * len(fields))
    )
    params = [[row.get(name, default) for name, default in defaults.items()] for row in rows]
    cursor.executemany(sql, params)


def _update(cursor, model, attnames: list[str], rows: list[Sequence[Any]]) -> None:
    """One ``executemany`` UPDATE … WHERE pk; each row is the new values, then the pk."""
    qn = connection.ops.quote_name
    columns = ", ".join(f"{qn(model._meta.get_field(a).column)} = %s" for a in attnames)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {columns} WHERE {qn(model._meta.pk.column)} = %s"  # noqa: S608
    cursor.executemany(sql, rows)


def _history_copy(cursor, model, pks: list[int], *, history_type: str, stamp, user_id: int | None) -> None:
    """The history rows of ``pks`` (one stamp, the user, reason "import"), in chunks of ids."""
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    for chunk in _chunks(pks):
        history_copy(
            model.objects.filter(pk__in=chunk), when=stamp, user_id=user_id, reason="import", kind=history_type
        )


def _write(plan: _Plan, *, by: AbstractBaseUser | None) -> int:
    """Set-based writes with their history rows, then the recomputation. Returns entitlements changed.

    Rows go in with one ``executemany`` per table (the ORM's ``bulk_create`` compiles every value
    in Python, which was most of a large import's time); new rows' ids are read back by their
    natural keys (institution code; the unit key the database holds unique).
    """
    user = by if by is not None and getattr(by, "pk", None) else None
    user_id = user.pk if user is not None else None
    stamp = timezone.now()
    ids = dict(plan.institution_ids)
    with connection.cursor() as cursor:
        if plan.institutions_new:
            _insert(
                cursor,
                Institution,
                [
                    {
                        "code": code,
                        "name": name,
                        "kind": InstitutionKind.OTHER.value,
                        "search_key": institution_search_key(name, code),
                    }
                    for code, name in plan.institutions_new.items()
                ],
            )
            created: dict[str, int] = {}
            for chunk in _chunks(list(plan.institutions_new)):
                created.update(Institution.objects.filter(code__in=chunk).order_by().values_list("code", "pk"))
            ids.update(created)
            _history_copy(cursor, Institution, sorted(created.values()), history_type="+", stamp=stamp, user_id=user_id)
        if plan.institutions_renamed:
            _update(cursor, Institution, ["name", "search_key"], [(n, k, pk) for pk, n, k in plan.institutions_renamed])
            renamed = sorted(pk for pk, _n, _k in plan.institutions_renamed)
            _history_copy(cursor, Institution, renamed, history_type="~", stamp=stamp, user_id=user_id)
        if plan.units_new:
            _insert(
                cursor,
                Unit,
                [
                    {
                        "institution_id": ids[row.code],
                        "level": row.level,
                        "name": row.unit_name,
                        "province_id": row.province.plate if row.province else None,
                        "district_id": row.district.pk if row.district else None,
                        "active_users": row.active_users,
                    }
                    for row in plan.units_new
                ],
            )
            _history_copy(
                cursor, Unit, _new_unit_ids(plan.units_new, ids), history_type="+", stamp=stamp, user_id=user_id
            )
        if plan.units_changed:
            _update(
                cursor,
                Unit,
                ["active_users", "name", "province_id"],
                [(u, n, p, pk) for pk, u, n, p in plan.units_changed],
            )
            changed_ids = sorted(pk for pk, *_rest in plan.units_changed)
            _history_copy(cursor, Unit, changed_ids, history_type="~", stamp=stamp, user_id=user_id)
    changed = 0
    for chunk in _chunks(sorted(ids.values())):
        changed += entitlement_recompute(
            institutions=Institution.objects.filter(pk__in=chunk), by=user, reason="import"
        )
    return changed


def _new_unit_ids(rows: list[_Row], ids: dict[str, int]) -> list[int]:
    """The ids of the units just inserted, found by the natural key the database keeps unique."""
    wanted = {
        (
            ids[r.code],
            r.level,
            r.province.plate if r.province else None,
            r.district.pk if r.district else None,
            r.unit_name,
        )
        for r in rows
    }
    found: list[int] = []
    for chunk in _chunks(sorted({key[0] for key in wanted})):
        for pk, *key in (
            Unit.objects.filter(institution_id__in=chunk)
            .order_by()
            .values_list("pk", "institution_id", "level", "province_id", "district_id", "name")
        ):
            if tuple(key) in wanted:
                found.append(pk)
    if len(found) != len(wanted):  # pragma: no cover - the unique constraint makes this impossible
        raise RuntimeError("imported units could not be found again by their natural key")
    return sorted(found)


# --- The service ----------------------------------------------------------------------------


def user_counts_import(
    *,
    dataset: tablib.Dataset | Iterable[Sequence[Any]],
    dry_run: bool,
    by: AbstractBaseUser | None = None,
) -> ImportReport:
    """Check a file of units and active users and, when every row is good, write it.

    ``dataset`` is a tablib dataset (headers + rows) or rows whose first row is the header.
    Every row is checked with lookups fetched up front (provinces, districts, the file's
    institutions and their units), so the number of queries does not grow with the rows. Any
    error: the report lists them all (row, column, reason) and nothing is written. Otherwise,
    unless ``dry_run``, one transaction locks the file's stored institutions (in id order),
    bulk-creates and bulk-updates institutions and units with their history rows and recomputes
    the entitlements of the file's institutions.
    """
    report = ImportReport(dry_run=dry_run)
    headers, rows = _table(dataset)
    positions, errors, unnamed = _columns_map(headers)
    if errors.items:
        report.errors = errors.sorted()
        return report
    places = _Places()
    parsed, codes = _rows_parse(rows, positions, unnamed, places, errors, report)
    if report.rows == 0 and not errors.items:
        errors.add(2, "institution_code", _("The file has no rows to import."))
    if dry_run or errors.items:
        _plan(parsed, codes, errors, report, lock=False)
        report.errors = errors.sorted()
        return report
    return _import_write(parsed=parsed, codes=codes, errors=errors, report=report, by=by)


@service
def _import_write(
    *, parsed: list[_Row], codes: _Codes, errors: _Errors, report: ImportReport, by: AbstractBaseUser | None
) -> ImportReport:
    """The writing part of ``user_counts_import``, in one transaction: the file's stored
    institutions locked, checked again, then written. Locks the institutions, then (through the
    recomputation) their entitlement rows."""
    plan = _plan(parsed, codes, errors, report, lock=True)
    report.errors = errors.sorted()
    if report.errors:
        return report
    report.entitlements_changed = _write(plan, by=by)
    report.written = True
    return report
