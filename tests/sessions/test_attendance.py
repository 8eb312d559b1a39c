"""Rosters and attendance on both kinds of session (docs/domain.md, "Rosters, attendance and
certificates")."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kamusm_portal.errors import RuleViolation
from sessions.models import Attendance, Enrolment, SessionStatus
from sessions.services import (
    attendance_marks_record,
    enrolment_create,
    enrolment_delete,
    may_record_attendance,
    participant_delete,
    reservation_create,
    session_cancel,
)
from tests.entitlements.factories import ProgrammeStaffFactory, UserFactory
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    onsite_institution,
    onsite_session,
    standard_institution,
    submitted_request,
)
from tests.timing import at

pytestmark = pytest.mark.django_db


def _onsite(*, days: int = 5, expected: int = 3, trainer=None):
    """An on-site session of a band-1 institution, ``days`` from now (negative: already over)."""
    request = submitted_request(onsite_institution(), expected=expected)
    return onsite_session(request, trainer, starts_at=at(days, 9))


def _people(institution, n):
    return [ParticipantFactory(institution=institution) for _ in range(n)]


# --- Rosters --------------------------------------------------------------------------------


def test_the_official_enrols_participants_from_any_unit_and_enrolling_twice_changes_nothing():
    session = _onsite()
    people = _people(session.institution, 2)
    enrolment_create(session=session, participants=people)
    again = enrolment_create(session=session, participants=[people[1], people[0]])
    assert [e.participant for e in again] == [people[1], people[0]]
    assert Enrolment.objects.filter(session=session).count() == 2


def test_enrolling_more_people_than_the_room_holds_is_roster_full():
    session = _onsite(expected=3)
    people = _people(session.institution, 4)
    enrolment_create(session=session, participants=people[:2])
    with pytest.raises(RuleViolation) as exc:
        enrolment_create(session=session, participants=people[2:])
    assert exc.value.code == "roster_full" and exc.value.fields["remaining"] == 1
    assert Enrolment.objects.filter(session=session).count() == 2


def test_another_institutions_participant_cannot_be_enrolled():
    session = _onsite()
    with pytest.raises(RuleViolation):
        enrolment_create(session=session, participants=[ParticipantFactory(institution=onsite_institution())])
    assert not Enrolment.objects.exists()


def test_a_classroom_session_has_no_enrolments():
    with pytest.raises(RuleViolation):
        enrolment_create(session=SessionFactory(), participants=_people(standard_institution(), 1))


def test_someone_can_leave_the_roster_until_their_attendance_is_recorded():
    session = _onsite(days=-3)
    people = _people(session.institution, 2)
    rows = enrolment_create(session=session, participants=people)
    attendance_marks_record(session=session, marks=[(people[0], "full")])
    with pytest.raises(RuleViolation):
        enrolment_delete(enrolment=rows[0])
    enrolment_delete(enrolment=rows[1])
    assert list(Enrolment.objects.values_list("participant", flat=True)) == [people[0].pk]


def test_a_participant_enrolled_on_an_upcoming_session_cannot_be_deleted():
    session = _onsite()
    (person,) = _people(session.institution, 1)
    enrolment_create(session=session, participants=[person])
    with pytest.raises(RuleViolation) as exc:
        participant_delete(participant=person)
    assert exc.value.code == "participant_in_use"


# --- Attendance -----------------------------------------------------------------------------


def test_attendance_before_the_end_is_refused():
    session = _onsite(days=2)
    people = _people(session.institution, 1)
    enrolment_create(session=session, participants=people)
    with pytest.raises(RuleViolation) as exc:
        attendance_marks_record(session=session, marks=[(people[0], "full")])
    assert exc.value.code == "attendance_not_allowed"
    assert not Attendance.objects.exists()


def test_attendance_for_someone_not_enrolled_is_refused_and_writes_nothing():
    session = _onsite(days=-2)
    enrolled, stranger = _people(session.institution, 2)
    enrolment_create(session=session, participants=[enrolled])
    with pytest.raises(RuleViolation) as exc:
        attendance_marks_record(session=session, marks=[(enrolled, "full"), (stranger, "full")])
    assert exc.value.code == "attendance_not_allowed"
    assert not Attendance.objects.exists()


def test_a_session_is_completed_once_everyone_on_the_roster_has_a_mark():
    session = _onsite(days=-2)
    people = _people(session.institution, 3)
    enrolment_create(session=session, participants=people)
    attendance_marks_record(session=session, marks=[(people[0], "full"), (people[1], "partial")])
    session.refresh_from_db()
    assert session.status == SessionStatus.ANNOUNCED
    rows = attendance_marks_record(session=session, marks=[(people[2], "absent")])
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert [r.status for r in rows] == ["absent"]


def test_sending_the_same_marks_again_changes_nothing_and_a_correction_is_kept_in_history():
    session = _onsite(days=-2)
    people = _people(session.institution, 2)
    enrolment_create(session=session, participants=people)
    marks = [(people[0], "full"), (people[1], "absent")]
    attendance_marks_record(session=session, marks=marks)
    before = Attendance.history.count()
    again = attendance_marks_record(session=session, marks=marks)
    assert Attendance.history.count() == before
    assert [a.status for a in again] == ["full", "absent"]
    attendance_marks_record(session=session, marks=[(people[1], "partial")])
    row = Attendance.objects.get(participant=people[1])
    assert row.status == "partial"
    assert row.history.first().history_change_reason == "attendance corrected"


def test_a_classroom_roster_is_its_confirmed_seats():
    session = SessionFactory(capacity=1)
    institution = standard_institution()
    seated, waiting = _people(institution, 2)
    reservation_create(session=session, participants=[seated, waiting])
    session.starts_at = timezone.now() - timedelta(hours=5)
    session.ends_at = timezone.now() - timedelta(hours=1)
    session.save()
    with pytest.raises(RuleViolation) as exc:
        attendance_marks_record(session=session, marks=[(waiting, "full")])
    assert exc.value.code == "attendance_not_allowed"
    attendance_marks_record(session=session, marks=[(seated, "partial")])
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED


def test_attendance_on_a_cancelled_session_is_refused():
    session = _onsite(days=3)
    people = _people(session.institution, 1)
    enrolment_create(session=session, participants=people)
    session_cancel(session=session)
    session.refresh_from_db()
    with pytest.raises(RuleViolation) as exc:
        attendance_marks_record(session=session, marks=[(people[0], "full")])
    assert exc.value.code == "attendance_not_allowed"


def test_a_session_with_attendance_cannot_be_cancelled():
    session = _onsite(days=-2)
    people = _people(session.institution, 1)
    enrolment_create(session=session, participants=people)
    attendance_marks_record(session=session, marks=[(people[0], "full")])
    with pytest.raises(RuleViolation):
        session_cancel(session=session)


def test_only_programme_staff_and_the_sessions_own_trainer_may_record_attendance():
    trainer = TrainerFactory()
    session = _onsite(trainer=trainer)
    assert may_record_attendance(trainer.user, session)
    assert may_record_attendance(ProgrammeStaffFactory(), session)
    assert not may_record_attendance(TrainerFactory().user, session)
    assert not may_record_attendance(UserFactory(is_staff=True), session)


def test_taking_the_last_unmarked_person_off_the_roster_completes_the_session():
    session = _onsite(days=-2)
    marked, unmarked = _people(session.institution, 2)
    rows = enrolment_create(session=session, participants=[marked, unmarked])
    attendance_marks_record(session=session, marks=[(marked, "full")])
    enrolment_delete(enrolment=rows[1])
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED


def test_a_participant_removed_meanwhile_cannot_be_enrolled():
    session = _onsite()
    (person,) = _people(session.institution, 1)
    stale = type(person).objects.get(pk=person.pk)
    participant_delete(participant=person)  # no history: the row goes
    with pytest.raises(RuleViolation) as exc:
        enrolment_create(session=session, participants=[stale])
    assert exc.value.code == "participant_removed"
    assert not Enrolment.objects.exists()
