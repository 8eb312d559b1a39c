"""The official's dashboard (``portal:dashboard``, reports/views/official.py): their band, their
usage as a bar with its numbers, their people, their next sessions and the one action that fits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from certificates.services import attendance_record
from entitlements.models import Institution, Unit, UnitLevel
from entitlements.services import entitlement_recompute
from reports.views import official
from sessions.models import Venue
from sessions.services import enrolment_create, reservation_create
from tests.certificates.factories import onsite_finished
from tests.entitlements.factories import ProgrammeStaffFactory, UserFactory, institution_with_entitlements, official_of
from tests.reports.factories import person, seats
from tests.sessions.factories import (
    SessionFactory,
    TrainerFactory,
    onsite_institution,
    onsite_session,
    standard_institution,
    submitted_request,
)
from tests.timing import at

pytestmark = pytest.mark.django_db


def dashboard(client, institution: Institution) -> str:
    client.force_login(official_of(institution))
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str, name: str) -> str:
    """The text of the element marked ``data-testid="name"``, tags dropped and spaces collapsed."""
    match = re.search(rf'<(\w+)[^>]*data-testid="{name}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, name
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def bar(html: str, name: str) -> dict[str, str]:
    """The attributes of the element marked ``data-testid="name"``."""
    match = re.search(rf'<div[^>]*data-testid="{name}"[^>]*>', html, re.S)
    assert match, name
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(0)))


def set_users(institution: Institution, users: int) -> None:
    """A new count of the central unit's users, and the recomputation it causes."""
    Unit.objects.filter(institution=institution, level=UnitLevel.MERKEZ).update(active_users=users)
    entitlement_recompute(institutions=Institution.objects.filter(pk=institution.pk))


# --- Where the page lives ------------------------------------------------------------------------


def test_the_dashboard_keeps_its_path_and_name_and_is_served_by_the_reports_app():
    assert reverse("portal:dashboard") == "/dashboard/"
    assert resolve("/dashboard/").func is official.dashboard


# --- Standard: seats of the quota ----------------------------------------------------------------


def test_a_standard_official_sees_seats_used_of_the_quota_and_the_reserve_action(client, program):
    own = standard_institution(users=40)
    seats([person(own), person(own)])
    html = dashboard(client, own)
    assert text_of(html, "usage-category") == "Standart (STANDARD)"
    assert "toplam 40 aktif kullanıcı" in html
    assert text_of(html, "seat-usage") == "2 / 6 yer kullanıldı, 4 kaldı"
    seat_bar = bar(html, "seat-bar")
    assert seat_bar["role"] == "progressbar"
    assert (seat_bar["aria-valuenow"], seat_bar["aria-valuemin"], seat_bar["aria-valuemax"]) == ("2", "0", "6")
    assert seat_bar["aria-valuetext"] == "2 / 6 yer kullanıldı, 4 kaldı"
    assert 'style="width: 33%"' in html
    assert 'data-testid="action-reserve"' in html and reverse("sessions_portal:sessions") in html
    assert 'data-testid="action-request"' not in html
    assert 'data-testid="hours-bar"' not in html


def test_a_standard_official_with_every_seat_taken_is_told_so_instead_of_the_action(client, program):
    own = standard_institution()
    seats([person(own) for _ in range(6)])
    html = dashboard(client, own)
    assert text_of(html, "seat-usage") == "6 / 6 yer kullanıldı, 0 kaldı"
    assert 'data-testid="action-reserve"' not in html
    assert "Kontenjanın bütün yerleri dolu" in text_of(html, "no-action")


# --- Bands 1-5: hours ----------------------------------------------------------------------------


def test_a_band_1_official_sees_hours_right_used_held_remaining_and_the_request_action(client, program):
    own = onsite_institution(users=500)
    onsite_session(submitted_request(own, {"EIMZA-101": 6}), hours=4)  # 4 used, 2 still held
    html = dashboard(client, own)
    assert text_of(html, "usage-category") == "Kategori 1 (1)"
    figures = [text_of(html, f"hours-{name}") for name in ("right", "used", "held", "remaining")]
    assert figures == ["8", "4", "2", "2"]
    for name, value, width in (("used", "4", 50), ("held", "2", 25), ("remaining", "2", 25)):
        segment = bar(html, f"hours-bar-{name}")
        assert segment["role"] == "progressbar"
        assert (segment["aria-valuenow"], segment["aria-valuemin"], segment["aria-valuemax"]) == (value, "0", "8")
        assert segment["style"] == f"width: {width}%"
    assert 'data-testid="action-request"' in html and reverse("sessions_portal:request_new") in html
    assert 'data-testid="action-reserve"' not in html
    assert 'data-testid="seat-bar"' not in html


def test_a_band_1_official_without_hours_left_is_told_so_instead_of_the_action(client, program):
    own = onsite_institution()
    submitted_request(own, {"EIMZA-101": 8})
    html = dashboard(client, own)
    assert [text_of(html, f"hours-{n}") for n in ("used", "held", "remaining")] == ["0", "8", "0"]
    assert 'data-testid="action-request"' not in html
    assert "Talep edilebilecek saat kalmadı" in text_of(html, "no-action")


# --- No band --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("users", "told"),
    [
        (0, "Aktif kullanıcısı olmayan bir kurumun bu programda hakkı yoktur."),
        (1_000_001, "Kurumunuzun aktif kullanıcı sayısı tablonun son kategorisinin üzerinde"),
    ],
)
def test_without_users_or_above_the_last_band_there_is_no_action_but_an_explanation(client, program, users, told):
    own = institution_with_entitlements(merkez=users)
    html = dashboard(client, own)
    assert text_of(html, "usage-category") == "Kategori yok"
    assert told in text_of(html, "no-action")
    assert 'data-testid="action-reserve"' not in html and 'data-testid="action-request"' not in html
    assert 'data-testid="seat-bar"' not in html and 'data-testid="hours-bar"' not in html
    if users:
        assert "toplam 1.000.001 aktif kullanıcı" in html  # Turkish thousands separator


# --- Usage above the right -------------------------------------------------------------------------


def test_seats_used_above_the_right_after_a_recomputation_are_shown_honestly(client, program):
    own = standard_institution(users=50)
    seats([person(own), person(own)])
    set_users(own, 500)  # band 1 now: no seats, 8 hours; the two seats stay
    html = dashboard(client, own)
    assert text_of(html, "usage-category") == "Kategori 1 (1)"
    assert text_of(html, "seat-usage") == "2 / 0 yer kullanıldı, hakkın 2 üzerinde"
    seat_bar = bar(html, "seat-bar")
    assert (seat_bar["aria-valuenow"], seat_bar["aria-valuemax"]) == ("2", "2")
    assert 'class="progress-bar bg-danger" style="width: 100%"' in html
    assert 'data-testid="usage-above-right"' in html
    assert text_of(html, "hours-remaining") == "8"
    assert 'data-testid="action-request"' in html  # the new band's hours are there to ask for


def test_hours_used_above_the_right_show_a_negative_remainder(client, program):
    own = onsite_institution(users=5000)  # band 2: 12 hours
    onsite_session(submitted_request(own, {"EIMZA-101": 12}), hours=8)  # 8 used, 4 held
    set_users(own, 500)  # band 1: 8 hours
    html = dashboard(client, own)
    assert [text_of(html, f"hours-{n}") for n in ("right", "used", "held", "remaining")] == ["8", "8", "4", "-4"]
    assert text_of(html, "hours-over") == "hakkın 4 saat üzerinde"
    assert bar(html, "hours-bar-remaining")["aria-valuenow"] == "0"
    assert bar(html, "hours-bar-used")["aria-valuemax"] == "12"
    assert 'data-testid="usage-above-right"' in html
    assert 'data-testid="action-request"' not in html


# --- People --------------------------------------------------------------------------------------


def people(html: str) -> tuple[int, ...]:
    return tuple(int(text_of(html, f"people-{name}")) for name in ("booked", "waitlisted", "trained", "certified"))


def test_people_counts_follow_the_facts(client, program):
    own = onsite_institution(users=5000)  # band 2: 12 hours, room for two sessions
    assert people(dashboard(client, own)) == (0, 0, 0, 0)
    past, (full, partial, absent) = onsite_finished(3, institution=own)
    assert people(dashboard(client, own)) == (3, 0, 0, 0)  # on the roster, nothing recorded yet
    attendance_record(session=past, marks=[(full, "full"), (partial, "partial"), (absent, "absent")])
    assert people(dashboard(client, own)) == (0, 0, 2, 1)  # band 2 certifies full attendance only
    upcoming = onsite_session(submitted_request(own, {"EIMZA-101": 4}), hours=4)
    enrolment_create(session=upcoming, participants=[full, person(own)])
    assert people(dashboard(client, own)) == (2, 0, 2, 1)  # booked again and still trained


def test_a_standard_institutions_booked_and_waitlisted_people(client, program):
    own = standard_institution()
    seats([person(own), person(own), person(own)], capacity=2)
    assert people(dashboard(client, own)) == (2, 1, 0, 0)


def test_another_institutions_people_and_sessions_never_appear(client, program):
    own, other = standard_institution(), standard_institution()
    theirs = seats([person(other) for _ in range(3)], capacity=2)
    html = dashboard(client, own)
    assert people(html) == (0, 0, 0, 0)
    assert 'data-testid="next-session"' not in html
    assert other.name not in html
    assert text_of(html, "seat-usage") == "0 / 6 yer kullanıldı, 6 kaldı"
    reservation_create(session=theirs, participants=[person(own)])  # waits behind the other's queue
    html = dashboard(client, own)
    assert people(html) == (0, 1, 0, 0)
    assert text_of(html, "next-session-people") == "0 (+1 bekleme listesinde)"


# --- Next sessions -------------------------------------------------------------------------------


def test_next_sessions_show_turkish_date_place_and_how_many_of_their_people(client, program):
    own = standard_institution()
    later = SessionFactory(starts_at=at(40, 10), ends_at=at(40, 14), capacity=1)
    reservation_create(session=later, participants=[person(own), person(own)])  # one seat, one waiting
    sooner = SessionFactory(starts_at=at(30, 9, 30), ends_at=at(30, 13, 30))
    reservation_create(session=sooner, participants=[person(own)])
    SessionFactory(starts_at=at(20, 9))  # nobody of theirs
    html = dashboard(client, own)
    rows = re.findall(r'<tr data-testid="next-session">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    assert at(30, 9, 30).strftime("%d.%m.%Y 09:30") in rows[0]
    assert at(40, 10).strftime("%d.%m.%Y 10:00") in rows[1]
    assert Venue.objects.get(province_id=6).name in rows[0]
    assert [text_of(row, "next-session-people") for row in rows] == ["1", "1 (+1 bekleme listesinde)"]


def test_next_sessions_list_the_institutions_on_site_sessions_with_their_roster(client, program):
    own = onsite_institution()
    session = onsite_session(submitted_request(own, {"EIMZA-101": 8}), starts_at=at(25, 9))
    enrolment_create(session=session, participants=[person(own), person(own), person(own)])
    html = dashboard(client, own)
    row = re.search(r'<tr data-testid="next-session">(.*?)</tr>', html, re.S).group(1)
    assert at(25, 9).strftime("%d.%m.%Y 09:00") in row
    assert "Ankara" in row  # the request's province
    assert text_of(html, "next-session-people") == "3"


def test_a_cancelled_or_ended_session_is_not_next(client, program):
    own = standard_institution()
    session = seats([person(own)])
    session.ends_at = timezone.now() - timedelta(minutes=1)
    session.starts_at = session.ends_at - timedelta(hours=4)
    session.save()
    assert 'data-testid="next-session"' not in dashboard(client, own)


# --- Who sees it ---------------------------------------------------------------------------------


def test_a_user_without_an_institution_gets_the_no_institution_page(client, program):
    client.force_login(UserFactory())
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="no-institution-notice"' in html
    assert 'data-testid="usage"' not in html


@pytest.mark.parametrize("make", [ProgrammeStaffFactory, lambda: TrainerFactory().user])
def test_staff_and_trainers_get_the_no_institution_page(client, program, make):
    client.force_login(make())
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="staff-notice"' in html
    assert 'data-testid="usage"' not in html


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Queries -------------------------------------------------------------------------------------

# session, user, official + institution, the user's and the groups' permissions, institution + total,
# its units, its entitlements; in the open program its usage (three), its participants and their
# figures, its next sessions
DASHBOARD_QUERIES = 14


def _count(client, django_assert_num_queries, user) -> None:
    client.force_login(user)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(reverse("portal:dashboard")).status_code == 200


def test_the_dashboard_runs_a_fixed_number_of_queries_whatever_the_reservations(
    client, program, django_assert_num_queries
):
    program.classroom_quota = 12  # room for ten reservations
    program.save(update_fields=["classroom_quota"])
    few, many = standard_institution(), standard_institution()
    seats([person(few), person(few)])
    for day in range(5):
        session = SessionFactory(starts_at=at(30 + day, 9), ends_at=at(30 + day, 13), capacity=1)
        reservation_create(session=session, participants=[person(many), person(many)])  # a seat and a waiting place
    _count(client, django_assert_num_queries, official_of(few))
    _count(client, django_assert_num_queries, official_of(many))


def test_the_dashboard_runs_a_fixed_number_of_queries_whatever_the_people_on_site(
    client, program, django_assert_num_queries
):
    small, large = onsite_institution(users=5000), onsite_institution(users=5000)
    for institution, n in ((small, 1), (large, 12)):
        past, marked = onsite_finished(n, institution=institution)
        attendance_record(session=past, marks=[(p, "full") for p in marked])
        upcoming = onsite_session(submitted_request(institution, {"EIMZA-101": 4}), hours=4)
        enrolment_create(session=upcoming, participants=marked)
    _count(client, django_assert_num_queries, official_of(small))
    _count(client, django_assert_num_queries, official_of(large))
