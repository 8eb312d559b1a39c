"""The program's reach figures (reports.selectors.figures), each pinned by the facts that make it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.models import Certificate
from certificates.services import attendance_record, certificate_revoke
from reports.selectors.figures import (
    banded_entitlements,
    institution_people,
    institution_rows,
    program_report,
    unused_entitlements,
)
from reports.selectors.scope import WHOLE_PROGRAM, Scope, report_scope
from sessions.models import SessionStatus
from sessions.services import enrolment_create, reservation_cancel
from tests.certificates.factories import onsite_finished
from tests.entitlements.factories import UserFactory, official_of
from tests.reports.factories import person, seats
from tests.sessions.factories import (
    SessionFactory,
    onsite_institution,
    onsite_session,
    standard_institution,
    started,
    submitted_request,
)
from tests.timing import at

pytestmark = pytest.mark.django_db


def totals(program, scope=WHOLE_PROGRAM):
    return program_report(program, scope)["totals"]


def people(program, scope=WHOLE_PROGRAM):
    t = totals(program, scope)
    return t["booked"], t["waitlisted"], t["trained"], t["certified"]


def test_confirmed_seats_are_booked_and_waiting_places_waitlisted(program):
    own = standard_institution()
    a, b, c = (person(own) for _ in range(3))
    seats([a, b, c], capacity=2)
    assert people(program) == (2, 1, 0, 0)


def test_a_person_waiting_on_one_session_and_seated_on_another_is_booked_not_waitlisted(program):
    own = standard_institution()
    a, b = person(own), person(own)
    full = seats([a], capacity=1)
    seats([b])
    # b then waits on the full session: still one live seat each is the rule, so use a third person
    c = person(own)
    from sessions.services import reservation_create

    reservation_create(session=full, participants=[c])
    assert people(program) == (2, 1, 0, 0)


def test_a_cancelled_seat_is_not_booked_and_an_expired_waiting_place_not_waitlisted(program):
    own = standard_institution()
    a, b = person(own), person(own)
    session = seats([a, b], capacity=1)
    reservation_cancel(reservation=a.reservations.get())
    assert people(program) == (1, 0, 0, 0)  # b was promoted
    c = person(own)
    from sessions.services import reservation_create

    reservation_create(session=session, participants=[c])
    assert people(program) == (1, 1, 0, 0)
    started(session)
    assert people(program) == (1, 0, 0, 0)  # the waiting place expired with the start


def test_absent_people_are_neither_booked_nor_trained_and_partial_is_trained(program):
    session, (full, partial, absent) = onsite_finished(3)
    assert people(program) == (3, 0, 0, 0)  # on the roster, nothing recorded yet
    attendance_record(session=session, marks=[(full, "full"), (partial, "partial"), (absent, "absent")])
    booked, waitlisted, trained, certified = people(program)
    assert (booked, waitlisted, trained) == (0, 0, 2)
    assert certified == 1  # band 1 certifies full attendance only


def test_a_person_with_two_certificates_counts_once_and_a_revoked_one_no_longer_counts(program):
    institution = onsite_institution(users=5000)  # band 2: 12 hours, room for two sessions
    first, (someone,) = onsite_finished(1, institution=institution, days_ago=3)
    second = onsite_session(submitted_request(institution, {"EIMZA-101": 4}), starts_at=at(-2, 9), hours=4)
    enrolment_create(session=second, participants=[someone])
    attendance_record(session=first, marks=[(someone, "full")])
    attendance_record(session=second, marks=[(someone, "full")])
    assert Certificate.objects.filter(participant=someone).count() == 2
    assert people(program)[2:] == (1, 1)
    one, other = Certificate.objects.filter(participant=someone)
    certificate_revoke(certificate=one, reason="Yanlış kayıt")
    assert people(program)[3] == 1
    certificate_revoke(certificate=other, reason="Yanlış kayıt")
    assert people(program)[3] == 0
    assert people(program)[2] == 1  # still trained: revoking a certificate does not undo attendance


def test_booked_on_an_upcoming_session_and_trained_on_a_past_one_counts_in_both(program):
    institution = onsite_institution(users=5000)
    past, (someone,) = onsite_finished(1, institution=institution, days_ago=3)
    attendance_record(session=past, marks=[(someone, "full")])
    upcoming = onsite_session(submitted_request(institution, {"EIMZA-101": 4}), hours=4)
    enrolment_create(session=upcoming, participants=[someone])
    assert people(program)[:3] == (1, 0, 1)


def test_a_cancelled_session_books_nobody(program):
    institution = onsite_institution()
    session = onsite_session(submitted_request(institution))
    enrolment_create(session=session, participants=[person(institution)])
    assert people(program)[0] == 1
    from sessions.services import onsite_session_cancel

    onsite_session_cancel(session=session)
    assert people(program)[0] == 0


def test_by_category_has_every_band_and_by_province_all_81_with_the_not_stated_row_only_when_used(program):
    own = standard_institution()
    seats([person(own, plate=34), person(own, plate=34), person(own, plate=6)])
    report = program_report(program, WHOLE_PROGRAM)
    assert [row["code"] for row in report["by_category"]] == ["STANDARD", "1", "2", "3", "4", "5"]
    standard = report["by_category"][0]
    assert (standard["institutions"], standard["booked"]) == (1, 3)
    assert all(row["booked"] == 0 for row in report["by_category"][1:])
    provinces = {row["province"]: row for row in report["by_province"]}
    assert len(report["by_province"]) == 81 and None not in provinces
    assert (provinces[34]["booked"], provinces[6]["booked"], provinces[1]["booked"]) == (2, 1, 0)
    assert provinces[34]["name"] == "İstanbul"
    seats([person(own)])  # the central unit, no province
    provinces = {row["province"]: row for row in program_report(program, WHOLE_PROGRAM)["by_province"]}
    assert len(provinces) == 82 and provinces[None]["booked"] == 1


def test_by_kind_lists_every_kind_and_counts_institutions_with_a_band(program):
    standard_institution(kind="municipality")
    standard_institution(kind="municipality")
    onsite_institution(kind="university")
    standard_institution(users=0, kind="university")  # no band: not an institution of the program
    by_kind = {row["kind"]: row for row in program_report(program, WHOLE_PROGRAM)["by_kind"]}
    assert set(by_kind) == {
        "ministry",
        "general_directorate",
        "presidency",
        "governorship",
        "municipality",
        "university",
        "other",
    }
    assert (by_kind["municipality"]["institutions"], by_kind["university"]["institutions"]) == (2, 1)


def test_institutions_without_use_count_any_act_even_a_cancelled_one(program):
    idle = standard_institution(name="Boş Kurum")
    acted = standard_institution(name="Davranan Kurum")
    reservation_cancel(reservation=seats([person(acted)]).reservations.get())
    requested = onsite_institution(name="İstekli Kurum")
    submitted_request(requested)
    t = totals(program)
    assert (t["institutions"], t["institutions_without_use"]) == (3, 1)
    assert [e.institution for e in unused_entitlements(program, WHOLE_PROGRAM)] == [idle]


def test_seats_and_hours(program):
    own = standard_institution()
    seats([person(own), person(own)], capacity=10)
    SessionFactory(capacity=24, status=SessionStatus.DRAFT)  # a draft offers no seats
    SessionFactory(capacity=24, status=SessionStatus.CANCELLED)
    institution = onsite_institution(users=5000)  # 12 hours
    onsite_finished(1, institution=institution, days_ago=3)  # 8 hours, ended
    onsite_session(submitted_request(institution, {"EIMZA-101": 4}), hours=4)  # 4 hours, ahead
    t = totals(program)
    assert (t["seats_capacity"], t["seats_confirmed"]) == (10, 2)
    assert (t["hours_entitled"], t["hours_delivered"], t["hours_scheduled"], t["hours_held"]) == (12, 8, 4, 0)
    submitted_request(onsite_institution(), {"EIMZA-101": 3})
    t = totals(program)
    assert (t["hours_entitled"], t["hours_held"]) == (20, 3)


def test_by_month_puts_trained_in_the_month_the_session_ended_in_turkish_time(program):
    institution = onsite_institution(users=5000)
    # Ends 31 October 22:30 UTC = 1 November 01:30 in Istanbul: a November training.
    late = datetime(2026, 10, 31, 18, 30, tzinfo=UTC)
    november = onsite_session(
        submitted_request(institution, {"EIMZA-101": 4}), starts_at=late, ends_at=late + timedelta(hours=4), hours=4
    )
    september = onsite_session(submitted_request(institution, {"EIMZA-101": 4}), starts_at=at(-90, 9), hours=4)
    someone = person(institution)
    for session in (november, september):
        enrolment_create(session=session, participants=[someone])
        attendance_record(session=session, marks=[(someone, "partial")])  # band 2: no certificate
    months = program_report(program, WHOLE_PROGRAM)["by_month"]
    # Every month from the first to the last, zeros included.
    assert months == [
        {"month": "2026-09", "trained": 1, "certified": 0},
        {"month": "2026-10", "trained": 0, "certified": 0},
        {"month": "2026-11", "trained": 1, "certified": 0},
    ]


def test_an_account_manager_sees_only_their_institutions_and_an_official_no_report(program):
    manager = UserFactory(is_staff=True)
    mine = standard_institution(account_manager=manager)
    theirs = standard_institution()
    seats([person(mine)])
    seats([person(theirs), person(theirs)])
    scope = report_scope(manager)
    assert scope == Scope(manager_id=manager.pk)
    t = totals(program, scope)
    assert (t["institutions"], t["booked"]) == (1, 1)
    assert totals(program)["booked"] == 3
    assert [e.institution for e in banded_entitlements(program, scope)] == [mine]
    assert report_scope(official_of(mine)) is None
    assert report_scope(UserFactory(is_staff=True)) is None  # staff managing nobody


def test_institution_rows_carry_usage_and_people(program):
    own = standard_institution(name="Çankaya Belediyesi")
    seats([person(own), person(own)], capacity=1)
    rows = institution_rows(program, WHOLE_PROGRAM)
    assert rows == [
        {
            "institution": own.pk,
            "name": "Çankaya Belediyesi",
            "kind": own.kind,
            "category": {"code": "STANDARD", "name": rows[0]["category"]["name"]},
            "seat_quota": 6,
            "seats_used": 2,
            "hours": 0,
            "hours_used": 0,
            "hours_held": 0,
            "booked": 1,
            "trained": 0,
            "certified": 0,
            "multiplier_reach": 0,
            "flag": None,
        }
    ]
    page = list(banded_entitlements(program, WHOLE_PROGRAM))
    assert institution_rows(program, WHOLE_PROGRAM, page=page) == rows


def test_the_list_is_in_turkish_alphabetical_order(program):
    for name in ["Zonguldak Valiliği", "Çorum Valiliği", "İzmir Valiliği", "Ceyhan Belediyesi", "Işıklar Belediyesi"]:
        standard_institution(name=name)
    names = [row["name"] for row in institution_rows(program, WHOLE_PROGRAM)]
    assert names == [
        "Ceyhan Belediyesi",
        "Çorum Valiliği",
        "Işıklar Belediyesi",
        "İzmir Valiliği",
        "Zonguldak Valiliği",
    ]


def test_an_officials_people(program):
    own = standard_institution()
    other = standard_institution()
    seats([person(own)])
    seats([person(other), person(other)])
    assert institution_people(program, own).booked == 1


def _facts(n):
    for _ in range(n):
        own = standard_institution()
        seats([person(own, plate=6), person(own)], capacity=1)
        session, marked = onsite_finished(2)
        attendance_record(session=session, marks=[(marked[0], "full"), (marked[1], "absent")])
        submitted_request(onsite_institution(), {"EIMZA-101": 2})


def test_the_report_and_the_list_take_as_many_queries_whatever_the_size(program):
    def count(fn):
        with CaptureQueriesContext(connection) as queries:
            fn()
        return len(queries)

    _facts(1)
    small = (
        count(lambda: program_report(program, WHOLE_PROGRAM)),
        count(lambda: institution_rows(program, WHOLE_PROGRAM)),
    )
    _facts(3)
    large = (
        count(lambda: program_report(program, WHOLE_PROGRAM)),
        count(lambda: institution_rows(program, WHOLE_PROGRAM)),
    )
    assert small == large
    assert small == (16, 7)


def test_by_course_venue_and_trainer_count_people_once_per_group(program):
    from reports.selectors.figures import by_session

    institution = onsite_institution(users=5000)
    first, (someone, other) = onsite_finished(2, institution=institution, days_ago=3)
    second = onsite_session(submitted_request(institution, {"EIMZA-101": 4}), starts_at=at(-2, 9), hours=4)
    enrolment_create(session=second, participants=[someone])
    attendance_record(session=first, marks=[(someone, "full"), (other, "absent")])
    attendance_record(session=second, marks=[(someone, "full")])
    own = standard_institution()
    seats([person(own), person(own)], capacity=1)  # one booked, one waiting: not in these figures
    figures = by_session(program, WHOLE_PROGRAM)
    courses = {row["name"].split(" · ")[0]: row for row in figures["course"]}
    assert (courses["EIMZA-101"]["trained"], courses["EIMZA-101"]["certified"], courses["EIMZA-101"]["booked"]) == (
        1,
        1,
        1,
    )
    venues = {row["key"]: row for row in figures["venue"]}
    assert venues[None]["trained"] == 1  # on site
    assert sum(row["booked"] for key, row in venues.items() if key) == 1  # the classroom seat
    trainers = figures["trainer"]
    assert sum(row["trained"] for row in trainers) == 2  # two sessions, two trainers: once each
    scoped = by_session(program, Scope(institution_ids=(own.pk,)))
    assert sum(row["trained"] for row in scoped["course"]) == 0


def test_the_breakdowns_page_for_staff_and_not_for_other_staff(staff_client, client, program):
    own = standard_institution()
    seats([person(own)])
    page = staff_client.get(f"/admin/reports/breakdowns/?program={program.pk}")
    assert page.status_code == 200
    assert "EIMZA-101" in page.content.decode()
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/reports/breakdowns/").status_code == 403


# --- The people query pinned to the plain reading of the definitions ------------------------------


def plain_people_groups(program, scope, now):
    """The definitions read plainly with the ORM: participants of the scope, each figure a count of
    those in the figure's ``pk__in`` subquery, grouped by institution and province."""
    from django.db.models import Count, Q

    from reports.selectors.figures import ATTENDED, People, _holding
    from sessions.models import Attendance, Participant

    holding = _holding(program, scope, now)
    booked = Q(pk__in=holding["seat"]) | Q(pk__in=holding["roster"])
    waiting = Q(pk__in=holding["waiting"])
    marks = Attendance.objects.filter(
        scope.q("participant__institution"), session__program=program, status__in=ATTENDED
    )
    trained = Q(pk__in=marks.values("participant_id"))
    certified = Q(pk__in=holding["certified"])
    rows = (
        Participant.objects.filter(scope.q("institution"))
        .filter(booked | waiting | trained | certified)
        .values("institution_id", "unit__province_id")
        .annotate(
            booked=Count("pk", filter=booked),
            waitlisted=Count("pk", filter=waiting & ~booked),
            trained=Count("pk", filter=trained),
            certified=Count("pk", filter=certified),
        )
        .order_by()
    )
    return {
        (r["institution_id"], r["unit__province_id"]): People(
            r["booked"], r["waitlisted"], r["trained"], r["certified"]
        )
        for r in rows
    }


def test_the_people_query_gives_the_plain_definitions_numbers_on_national_style_data(program):
    from django.core.management import call_command

    from entitlements.models import Institution
    from reports.selectors.figures import people_groups

    call_command("seed_scale", scale=0.02, seed=7, stdout=__import__("io").StringIO())
    now = timezone.now()
    managed = Institution.objects.exclude(account_manager=None).values_list("account_manager_id", flat=True).first()
    some = tuple(Institution.objects.order_by("pk").values_list("pk", flat=True)[:40])
    for scope in (WHOLE_PROGRAM, Scope(manager_id=managed), Scope(institution_ids=some)):
        fast = people_groups(program, scope, now=now)
        assert fast == plain_people_groups(program, scope, now)
    whole = people_groups(program, WHOLE_PROGRAM, now=now)
    assert sum(p.trained for p in whole.values()) > 0 and sum(p.booked for p in whole.values()) > 0
    assert sum(p.waitlisted for p in whole.values()) > 0 and sum(p.certified for p in whole.values()) > 0


def test_by_month_puts_certified_in_the_month_of_issue_in_turkish_time(program):
    session, (someone,) = onsite_finished(1)
    attendance_record(session=session, marks=[(someone, "full")])
    certificate = Certificate.objects.get(participant=someone)
    # Issued 30 November 22:30 UTC = 1 December 01:30 in Istanbul: a December certificate.
    Certificate.objects.filter(pk=certificate.pk).update(issued_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    months = {row["month"]: row for row in program_report(program, WHOLE_PROGRAM)["by_month"]}
    assert months["2026-12"]["certified"] == 1
    assert "2026-11" not in months or months["2026-11"]["certified"] == 0
