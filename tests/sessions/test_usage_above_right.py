"""Usage above the right, stored on the entitlement (docs/domain.md, "Usage above the right"): set
when a recomputation leaves usage above the right, e-mailed once per occurrence to the account
manager (or programme staff), cleared when usage is within the right again."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection

from entitlements.models import Entitlement, Institution, UnitLevel
from entitlements.services import institution_update
from sessions.models import TrainingSession
from sessions.services import (
    entitlement_usage_notify,
    entitlements_usage_check,
    onsite_session_cancel,
    reservation_cancel,
    reservation_create,
    session_cancel,
    training_request_cancel,
    waitlists_expire,
)
from sessions.tasks import check_usage_above_right
from tests.entitlements.factories import ProgrammeStaffFactory, UserFactory, unit
from tests.sessions.factories import (
    SessionFactory,
    onsite_institution,
    onsite_session,
    people,
    standard_institution,
    started,
    submitted_request,
)
from tests.timing import at


def _users(institution: Institution, users: int, *, commit) -> None:
    """The central unit's count changed through the service (which recomputes), its on-commit work run."""
    with commit(execute=True):
        institution_update(institution=institution, data={}, units=[unit(UnitLevel.MERKEZ, users, name="Merkez")])


def _row(institution: Institution) -> Entitlement:
    return Entitlement.objects.select_related("category").get(institution=institution)


@pytest.fixture
def manager(db):
    return UserFactory(username="temsilci", email="temsilci@kamusm.gov.tr", is_staff=True)


@pytest.fixture
def band_2_with_12_hours_used(manager):
    """An institution of band 2 (2,000 users, 12 hours) that has scheduled all of its 12 hours."""
    institution = onsite_institution(2_000, account_manager=manager)
    onsite_session(submitted_request(institution, {"EIMZA-101": 12}), starts_at=at(30, 9), ends_at=at(31, 17), hours=12)
    return institution


def test_a_drop_below_the_used_hours_is_stored_and_mailed_to_the_account_manager_once(
    band_2_with_12_hours_used, manager, django_capture_on_commit_callbacks
):
    institution = band_2_with_12_hours_used
    mail.outbox.clear()
    _users(institution, 500, commit=django_capture_on_commit_callbacks)  # band 1: 8 hours, 12 used
    row = _row(institution)
    assert row.category.code == "1"
    assert row.usage_above_right_since is not None
    assert row.usage_above_right_notified_at is not None
    assert [m.to for m in mail.outbox] == [[manager.email]]
    message = mail.outbox[0]
    assert message.subject == f"Hakkın üzerinde kullanım: {institution.name} ({row.program.name})"
    assert f"Kategori: {row.category.name} (101 – 1.000)" in message.body
    assert "Yerinde eğitim saati: hak 8, kullanılan 12, açık taleplerde ayrılan 0" in message.body

    since = row.usage_above_right_since
    with django_capture_on_commit_callbacks(execute=True):
        assert entitlements_usage_check(entitlement_ids=[row.pk]) == []
        assert entitlement_usage_notify(entitlement_id=row.pk) == 0
        check_usage_above_right.delay([row.pk])
    assert len(mail.outbox) == 1
    assert _row(institution).usage_above_right_since == since


def test_without_an_account_manager_every_programme_staff_user_with_an_e_mail_is_told(
    program, course, django_capture_on_commit_callbacks
):
    staff = ProgrammeStaffFactory()
    root = UserFactory(is_staff=True, is_superuser=True)
    ProgrammeStaffFactory(email="")  # nowhere to write to
    UserFactory(is_staff=True)  # staff, but not programme staff
    institution = onsite_institution(2_000)
    onsite_session(submitted_request(institution, {"EIMZA-101": 12}), starts_at=at(30, 9), ends_at=at(31, 17), hours=12)
    mail.outbox.clear()
    _users(institution, 500, commit=django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([staff.email, root.email])
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert _row(institution).usage_above_right_notified_at is not None


def test_cancelling_what_caused_it_clears_it(band_2_with_12_hours_used, django_capture_on_commit_callbacks):
    institution = band_2_with_12_hours_used
    _users(institution, 500, commit=django_capture_on_commit_callbacks)
    session = TrainingSession.objects.get(institution=institution)
    with django_capture_on_commit_callbacks(execute=True):
        onsite_session_cancel(session=session)
    # Its 12 hours are held again by the request item: still above the 8 hours of band 1.
    assert _row(institution).usage_above_right_since is not None
    with django_capture_on_commit_callbacks(execute=True):
        training_request_cancel(request=session.request_item.request)
    row = _row(institution)
    assert (row.usage_above_right_since, row.usage_above_right_notified_at) == (None, None)


def test_raising_the_count_back_clears_it_and_a_later_drop_is_told_again(
    band_2_with_12_hours_used, manager, django_capture_on_commit_callbacks
):
    institution = band_2_with_12_hours_used
    _users(institution, 500, commit=django_capture_on_commit_callbacks)
    _users(institution, 3_000, commit=django_capture_on_commit_callbacks)  # band 2 again: 12 hours
    row = _row(institution)
    assert (row.usage_above_right_since, row.usage_above_right_notified_at) == (None, None)
    mail.outbox.clear()
    _users(institution, 400, commit=django_capture_on_commit_callbacks)
    assert _row(institution).usage_above_right_notified_at is not None
    assert [m.to for m in mail.outbox] == [[manager.email]]


def test_a_count_change_within_the_band_checks_nothing(band_2_with_12_hours_used, django_capture_on_commit_callbacks):
    institution = band_2_with_12_hours_used
    mail.outbox.clear()
    _users(institution, 2_500, commit=django_capture_on_commit_callbacks)
    row = _row(institution)
    assert row.total_active_users == 2_500 and row.usage_above_right_since is None
    assert mail.outbox == []


@pytest.fixture
def standard_with_six_seats(manager):
    """A Standard institution holding its 6 seats on one session."""
    institution = standard_institution(account_manager=manager)
    reservation_create(session=SessionFactory(), participants=people(institution, 6))
    return institution


def test_seats_used_above_the_seat_right_are_stored_and_told(
    standard_with_six_seats, manager, django_capture_on_commit_callbacks
):
    institution = standard_with_six_seats
    mail.outbox.clear()
    _users(institution, 500, commit=django_capture_on_commit_callbacks)  # band 1: on-site, no seats
    row = _row(institution)
    assert row.usage_above_right_since is not None and row.usage_above_right_notified_at is not None
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert "Sınıf kontenjanı: hak 0, kullanılan 6" in mail.outbox[0].body


def test_cancelling_the_reservations_clears_it_when_the_last_goes(
    standard_with_six_seats, django_capture_on_commit_callbacks
):
    institution = standard_with_six_seats
    _users(institution, 500, commit=django_capture_on_commit_callbacks)
    reservations = list(institution.reservations.order_by("pk"))
    for reservation in reservations[:-1]:
        with django_capture_on_commit_callbacks(execute=True):
            reservation_cancel(reservation=reservation)
    assert _row(institution).usage_above_right_since is not None
    with django_capture_on_commit_callbacks(execute=True):
        reservation_cancel(reservation=reservations[-1])
    assert _row(institution).usage_above_right_since is None


def test_cancelling_the_session_clears_it(standard_with_six_seats, django_capture_on_commit_callbacks):
    institution = standard_with_six_seats
    _users(institution, 500, commit=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=institution.reservations.first().session)
    assert _row(institution).usage_above_right_since is None


def test_expired_waiting_places_clear_it(manager, django_capture_on_commit_callbacks):
    session = SessionFactory(capacity=1)
    reservation_create(session=session, participants=people(standard_institution(), 1))
    institution = standard_institution(account_manager=manager)
    reservation_create(session=session, participants=people(institution, 3))  # all waiting
    _users(institution, 500, commit=django_capture_on_commit_callbacks)
    assert _row(institution).usage_above_right_since is not None
    started(session)
    with django_capture_on_commit_callbacks(execute=True):
        assert waitlists_expire() == 3
    assert _row(institution).usage_above_right_since is None


def test_every_change_of_the_stored_state_has_its_history_row(
    band_2_with_12_hours_used, django_capture_on_commit_callbacks
):
    institution = band_2_with_12_hours_used
    _users(institution, 500, commit=django_capture_on_commit_callbacks)
    _users(institution, 3_000, commit=django_capture_on_commit_callbacks)
    reasons = list(_row(institution).history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[-5:] == [
        "units changed",
        "usage above the right",
        "usage above the right e-mailed",
        "units changed",
        "usage within the right again",
    ]


# --- The reservation hot path stays as it was ------------------------------------------------


def test_reserving_and_cancelling_run_the_same_queries_as_before_when_nothing_is_flagged(db, django_assert_num_queries):
    session = SessionFactory()
    who = people(standard_institution(), 2)
    # The counts measured on the code before usage above the right was stored, per database.
    with django_assert_num_queries(8 if connection.vendor == "sqlite" else 7):
        made = reservation_create(session=session, participants=who)
    with django_assert_num_queries(10):
        reservation_cancel(reservation=made[0])
