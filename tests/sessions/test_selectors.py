"""Lists of sessions and reservations: counts, waiting-list positions, query budgets, and a waiting
place read as expired once its session has started."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions.selectors import reservation_list, session_list, session_roster
from sessions.services import reservation_cancel, reservation_create
from tests.entitlements.factories import ProgrammeStaffFactory
from tests.sessions.factories import ParticipantFactory, SessionFactory, standard_institution, started


def test_roster_lists_confirmed_then_the_waiting_list_with_positions_in_order(db):
    session = SessionFactory(capacity=2)
    institution = standard_institution()
    made = reservation_create(
        session=session, participants=[ParticipantFactory(institution=institution) for _ in range(5)]
    )
    reservation_cancel(reservation=made[3])  # leaves a gap that positions must not show
    rows = [(r.pk, r.status, r.position) for r in session_roster(session=session)]
    assert rows == [
        (made[0].pk, "confirmed", None),
        (made[1].pk, "confirmed", None),
        (made[2].pk, "waitlisted", 1),
        (made[4].pk, "waitlisted", 2),
    ]


def test_session_list_counts_seats_and_waiting_list_in_a_fixed_number_of_queries(db):
    staff = ProgrammeStaffFactory()

    def count(n_sessions):
        for _ in range(n_sessions):
            session = SessionFactory(capacity=1)
            institution = standard_institution()
            reservation_create(
                session=session, participants=[ParticipantFactory(institution=institution) for _ in range(2)]
            )
        with CaptureQueriesContext(connection) as ctx:
            rows = list(session_list(user=staff))
        assert all((r.seats_confirmed, r.waitlist_length) == (1, 1) for r in rows)
        return len(ctx.captured_queries)

    count(1)  # warms the user's permission cache
    assert count(2) == count(10)


def test_reservation_list_has_positions_in_a_fixed_number_of_queries(db):
    staff = ProgrammeStaffFactory()
    session = SessionFactory(capacity=1)

    def count(n):
        institution = standard_institution()
        reservation_create(
            session=session, participants=[ParticipantFactory(institution=institution) for _ in range(n)]
        )
        with CaptureQueriesContext(connection) as ctx:
            rows = list(reservation_list(user=staff))
        return len(ctx.captured_queries), sorted(r.position for r in rows if r.position)

    count(1)  # warms the user's permission cache
    few, _ = count(2)
    many, positions = count(5)
    assert few == many
    assert positions == list(range(1, 8))


def test_a_waiting_place_reads_as_expired_once_the_session_has_started(db):
    session = SessionFactory(capacity=1)
    institution = standard_institution()
    reservation_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(2)])
    started(session)
    rows = {r.current_status: r.position for r in reservation_list(user=ProgrammeStaffFactory())}
    assert rows == {"confirmed": None, "expired": None}
    # Read, not written: the scheduled job writes the stored status later.
    assert sorted(session.reservations.values_list("status", flat=True)) == ["confirmed", "waitlisted"]
