"""Sessions' lists downloaded as CSV and XLSX: the reservations list of the API for programme
staff (the whole filtered list, the JSON's rows and keys; an official 403 in JSON), and the
admin's exports (the fill list of classroom sessions, the rosters, the on-site requests), which
hold only what the user's changelist shows them, keep names as text and run a fixed number of
queries."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions.models import ReservationStatus
from sessions.services import TRAINERS_GROUP, reservation_create
from tests.entitlements.factories import UserFactory, client_for, official_of
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    TrainingRequestFactory,
    people,
    standard_institution,
)

pytestmark = pytest.mark.django_db

BOM = "\ufeff"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KEYS = ["id", "participant", "session", "institution", "status", "position", "applied_at"]
TURKISH = "İı Şş Ğğ Çç Öö Üü"


def read_csv(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :])))


def as_text(value) -> str:
    return "" if value is None else str(value)


def export(client, admin_name: str, fmt: int = 0, query: str = ""):
    return client.post(reverse(f"admin:training_sessions_{admin_name}_export") + query, {"format": str(fmt)})


# --- The API ----------------------------------------------------------------------------------


def _reserved(session, n, institution=None):
    return reservation_create(session=session, participants=people(institution or standard_institution(), n))


def test_staff_download_the_filtered_reservations_as_csv_and_xlsx_with_the_json_rows(program, staff):
    session = SessionFactory(capacity=2)
    _reserved(session, 4)  # two confirmed, two waiting (with positions)
    _reserved(SessionFactory(), 1)  # another session's
    json_rows = staff.get("/api/v1/reservations/", {"session": session.pk}).json()["results"]
    assert len(json_rows) == 4

    response = staff.get("/api/v1/reservations/", {"session": session.pk, "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="reservations-')
    header, *rows = read_csv(response.content)
    assert header == ["No", "Katılımcı", "Eğitim oturumu", "Kurum", "Durum", "Sıra", "Başvuru zamanı"]
    assert rows == [[as_text(row[key]) for key in KEYS] for row in json_rows]

    response = staff.get("/api/v1/reservations/", {"session": session.pk, "format": "xlsx"})
    assert response["Content-Type"] == XLSX
    header, *rows = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(response.content)).active.rows]
    assert rows == [[row[key] for key in KEYS] for row in json_rows]


def test_the_download_applies_the_status_filter(program, staff):
    session = SessionFactory(capacity=1)
    _reserved(session, 3)
    rows = read_csv(staff.get("/api/v1/reservations/", {"status": "waitlisted", "format": "csv"}).content)[1:]
    assert [row[4] for row in rows] == [ReservationStatus.WAITLISTED] * 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_official_asking_for_a_download_gets_403_in_json_and_no_rows(program, fmt):
    own, other = standard_institution(), standard_institution()
    session = SessionFactory()
    _reserved(session, 1, own)
    theirs = _reserved(session, 1, other)
    client = client_for(official_of(own))
    for query in ({"format": fmt}, {"format": fmt, "institution": other.pk}):
        response = client.get("/api/v1/reservations/", query)
        assert (response.status_code, response["Content-Type"]) == (403, "application/json")
        assert response.json()["code"] == "permission_denied"
    # The JSON list stays theirs only.
    ids = {r["id"] for r in client.get("/api/v1/reservations/").json()["results"]}
    assert theirs[0].pk not in ids and len(ids) == 1


# --- The admin: the fill list -----------------------------------------------------------------


def test_the_fill_list_shows_capacity_confirmed_free_and_waiting_per_classroom_session(program, admin_client):
    session = SessionFactory(capacity=3)
    _reserved(session, 5)
    SessionFactory(capacity=10)
    header, *rows = read_csv(export(admin_client, "trainingsession").content)
    assert header == [
        "Eğitim",
        "Eğitim salonu",
        "Başlangıç",
        "Kapasite",
        "Onaylı koltuk",
        "Boş koltuk",
        "Bekleme listesi",
        "Durum",
    ]
    figures = sorted(row[3:7] for row in rows)
    assert figures == [["10", "0", "10", "0"], ["3", "3", "0", "2"]]
    assert rows[0][0].startswith("EIMZA-101")
    assert len(rows[0][2]) == len("04.03.2026 10:00") and rows[0][2][2] == "."


def test_the_fill_list_as_xlsx_has_numbers_and_a_date_cell(program, admin_client):
    SessionFactory(capacity=7)
    sheet = openpyxl.load_workbook(io.BytesIO(export(admin_client, "trainingsession", 1).content)).active
    starts, capacity = sheet.cell(2, 3), sheet.cell(2, 4)
    assert (capacity.value, capacity.data_type) == (7, "n")
    assert starts.is_date and starts.number_format == "dd.mm.yyyy hh:mm"


def _session_export_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert export(client, "trainingsession").status_code == 200
    return len(queries)


def test_the_fill_list_runs_the_same_queries_for_3_sessions_as_for_30(program, admin_client):
    for _ in range(3):
        _reserved(SessionFactory(), 1)
    few = _session_export_queries(admin_client)
    for _ in range(27):
        _reserved(SessionFactory(), 1)
    assert _session_export_queries(admin_client) == few


def test_a_trainer_exports_only_the_sessions_they_deliver(program, client):
    trainer = TrainerFactory()
    trainer.user.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    mine = SessionFactory(trainer=trainer, capacity=5)
    SessionFactory(capacity=9)
    client.force_login(trainer.user)
    rows = read_csv(export(client, "trainingsession").content)[1:]
    assert [row[3] for row in rows] == [str(mine.capacity)]
    # Certificates and reservations are not on a trainer's lists: nor in their exports.
    assert client.post(reverse("admin:certificates_certificate_export"), {"format": "0"}).status_code == 403
    assert export(client, "reservation").status_code == 403


# --- The admin: rosters -----------------------------------------------------------------------

NAMES = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"]


def test_the_reservations_roster_keeps_formula_like_names_and_turkish_letters_as_text(program, admin_client):
    institution = standard_institution(name=f"@Kurum {TURKISH}")
    session = SessionFactory()
    participants = [ParticipantFactory(institution=institution, first_name=n, last_name=TURKISH) for n in NAMES]
    reservation_create(session=session, participants=participants)

    header, *rows = read_csv(export(admin_client, "reservation").content)
    assert header == ["Katılımcı", "Kurum", "Birim", "Eğitim oturumu", "Durum", "Başvuru zamanı"]
    assert sorted(row[0] for row in rows) == sorted(f"'{n} {TURKISH}" for n in NAMES)
    assert {row[1] for row in rows} == {f"'@Kurum {TURKISH}"}
    assert {row[2] for row in rows} == {"Merkez"}
    assert {row[4] for row in rows} == {"Onaylandı"}

    sheet = openpyxl.load_workbook(io.BytesIO(export(admin_client, "reservation", 1).content)).active
    for name_cell, institution_cell in sheet.iter_rows(min_row=2, max_col=2):
        assert name_cell.value in {f"{n} {TURKISH}" for n in NAMES}
        assert (name_cell.data_type, name_cell.quotePrefix) == ("s", True)
        assert (institution_cell.value, institution_cell.quotePrefix) == (f"@Kurum {TURKISH}", True)


def test_a_tab_or_cr_led_institution_name_is_text_in_the_roster(program, admin_client):
    session = SessionFactory()
    for lead in ("\t", "\r"):
        institution = standard_institution()
        institution.name = f"{lead}=1+1"
        institution.save(update_fields=["name"])
        _reserved(session, 1, institution)
    rows = read_csv(export(admin_client, "reservation").content)[1:]
    assert sorted(row[1] for row in rows) == sorted(f"'{lead}=1+1" for lead in ("\t", "\r"))
    sheet = openpyxl.load_workbook(io.BytesIO(export(admin_client, "reservation", 1).content)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted(f"{lead}=1+1" for lead in ("\t", "\r"))
    assert all((c.data_type, c.quotePrefix) == ("s", True) for c in cells)


def test_the_reservations_roster_runs_the_same_queries_for_3_rows_as_for_30(program, admin_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert export(admin_client, "reservation").status_code == 200
        return len(captured)

    session = SessionFactory(capacity=40)
    _reserved(session, 3)
    few = queries()
    for _ in range(5):
        _reserved(session, 6)
    _reserved(session, 3)
    assert queries() == few


# --- The admin: an account manager's requests -------------------------------------------------


def test_an_account_manager_exports_only_their_institutions_requests(client):
    manager = UserFactory(is_staff=True)
    mine = [TrainingRequestFactory(), TrainingRequestFactory()]
    for request in mine:
        request.institution.account_manager = manager
        request.institution.save()
    TrainingRequestFactory()  # another manager's institution
    client.force_login(manager)
    header, *rows = read_csv(export(client, "trainingrequest").content)
    assert header[:2] == ["Talep", "Kurum"]
    assert sorted(int(row[0]) for row in rows) == sorted(r.pk for r in mine)
    assert all(row[4].startswith("EIMZA-101") or row[4] for row in rows)
