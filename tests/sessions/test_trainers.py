"""A trainer is never booked on two overlapping sessions nor during unavailability (docs/domain.md,
"Trainers' work plans and conflicts")."""

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction

from entitlements.models import Program, Province
from kamusm_portal.errors import RuleViolation
from sessions.models import Course, SessionStatus, TrainingSession, Unavailability
from sessions.services import (
    TRAINERS_GROUP,
    onsite_session_schedule,
    session_cancel,
    session_create,
    session_update,
    trainer_create,
    unavailability_create,
    unavailability_delete,
)
from tests.sessions.factories import SessionFactory, TrainerFactory, onsite_institution, submitted_request
from tests.timing import at

pytestmark = pytest.mark.django_db


def _request(hours: int = 8):
    return submitted_request(onsite_institution(users=60_000), {"EIMZA-101": hours}, expected=10)  # band 4: 20 hours


def _schedule(trainer, starts_at, ends_at, request=None):
    request = request or _request()
    return onsite_session_schedule(
        request=request,
        course=request.items.get().course,
        trainer=trainer,
        starts_at=starts_at,
        ends_at=ends_at,
        hours=max(int((ends_at - starts_at).total_seconds() // 3600), 1),
    )


def test_a_second_session_overlapping_by_one_minute_is_refused(db):
    trainer = TrainerFactory()
    first = _schedule(trainer, at(5, 9), at(5, 13))
    with pytest.raises(RuleViolation) as exc:
        _schedule(trainer, at(5, 12, 59), at(5, 16, 59))
    assert exc.value.code == "trainer_conflict"
    assert exc.value.fields["session"] == first.pk
    assert first.course.title in str(exc.value)


def test_sessions_that_touch_end_to_start_do_not_overlap(db):
    trainer = TrainerFactory()
    _schedule(trainer, at(5, 9), at(5, 13))
    second = _schedule(trainer, at(5, 13), at(5, 17))
    assert second.pk


def test_another_trainer_may_take_the_same_time(db):
    _schedule(TrainerFactory(), at(5, 9), at(5, 13))
    assert _schedule(TrainerFactory(), at(5, 9), at(5, 13)).pk


def test_a_session_inside_an_unavailability_block_is_refused(db):
    trainer = TrainerFactory()
    block = unavailability_create(trainer=trainer, starts_at=at(7, 0), ends_at=at(9, 0), reason="Yıllık izin")
    with pytest.raises(RuleViolation) as exc:
        _schedule(trainer, at(8, 9), at(8, 17))
    assert exc.value.code == "trainer_conflict"
    assert exc.value.fields["unavailability"] == block.pk
    assert "Yıllık izin" in str(exc.value)


def test_a_cancelled_session_frees_the_trainers_time(db):
    trainer = TrainerFactory()
    first = _schedule(trainer, at(5, 9), at(5, 13))
    session_cancel(session=first)
    assert _schedule(trainer, at(5, 9), at(5, 13)).pk


def test_unavailability_over_a_booked_session_is_refused_and_blocks_may_overlap(db):
    trainer = TrainerFactory()
    session = _schedule(trainer, at(5, 9), at(5, 13))
    with pytest.raises(RuleViolation) as exc:
        unavailability_create(trainer=trainer, starts_at=at(5, 12), ends_at=at(5, 18), reason="Toplantı")
    assert exc.value.code == "trainer_conflict" and exc.value.fields["session"] == session.pk
    unavailability_create(trainer=trainer, starts_at=at(6, 9), ends_at=at(6, 12))
    unavailability_create(trainer=trainer, starts_at=at(6, 10), ends_at=at(6, 14))
    assert Unavailability.objects.filter(trainer=trainer).count() == 2


def test_a_deleted_block_frees_the_time(db):
    trainer = TrainerFactory()
    block = unavailability_create(trainer=trainer, starts_at=at(7, 0), ends_at=at(7, 23))
    unavailability_delete(block=block)
    assert _schedule(trainer, at(7, 9), at(7, 13)).pk


def test_a_block_ends_after_it_starts(db):
    with pytest.raises(RuleViolation) as exc:
        unavailability_create(trainer=TrainerFactory(), starts_at=at(7, 10), ends_at=at(7, 10))
    assert exc.value.code == "invalid"


def test_a_classroom_session_with_a_trainer_is_checked_against_the_work_plan(db):
    trainer = TrainerFactory()
    program = Program.objects.get(year=2012)
    existing = _schedule(trainer, at(40, 9), at(40, 13))
    venue = SessionFactory.build().venue
    with pytest.raises(RuleViolation) as exc:
        session_create(
            program=program,
            course=existing.course,
            venue=venue,
            starts_at=at(40, 10),
            ends_at=at(40, 14),
            trainer=trainer,
        )
    assert exc.value.code == "trainer_conflict"
    draft = session_create(
        program=program,
        course=existing.course,
        venue=venue,
        starts_at=at(41, 10),
        ends_at=at(41, 14),
        trainer=trainer,
    )
    with pytest.raises(RuleViolation) as exc:
        session_update(session=draft, data={"starts_at": at(40, 12), "ends_at": at(40, 15)})
    assert exc.value.code == "trainer_conflict"


def test_an_inactive_trainer_cannot_be_booked(db):
    trainer = TrainerFactory(is_active=False)
    with pytest.raises(RuleViolation) as exc:
        _schedule(trainer, at(5, 9), at(5, 13))
    assert exc.value.code == "trainer_inactive" and "trainer" in exc.value.fields


def test_a_new_trainer_is_a_staff_user_in_the_trainers_group(db):
    trainer = trainer_create(
        username="egitmen1", email="egitmen1@kamusm.gov.tr", home_province=Province.objects.get(pk=34), password=None
    )
    assert trainer.pk == trainer.user.pk
    assert trainer.user.is_staff and not trainer.user.has_usable_password()
    assert trainer.user.groups.filter(name=TRAINERS_GROUP).exists()
    assert Group.objects.get(name=TRAINERS_GROUP).permissions.filter(codename="add_attendance").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL")
def test_the_database_refuses_overlapping_sessions_of_one_trainer_on_postgresql(db):
    trainer = TrainerFactory()
    first = _schedule(trainer, at(5, 9), at(5, 13))
    clash = TrainingSession.objects.get(pk=first.pk)
    clash.pk = None
    clash.starts_at, clash.ends_at = at(5, 12), at(5, 14)
    with pytest.raises(IntegrityError), transaction.atomic():
        clash.save(force_insert=True)
    clash.status = SessionStatus.CANCELLED  # a cancelled session holds no time
    with transaction.atomic():
        clash.pk = None
        clash.save(force_insert=True)


def test_venues_are_not_checked_for_overlap_a_centre_has_several_rooms(db):
    """docs/domain.md: only trainers are; two sessions at one venue at the same time are both made."""
    program = Program.objects.get(year=2012)
    venue = SessionFactory.build().venue
    course = Course.objects.get(code="EIMZA-101")
    made = [
        session_create(
            program=program,
            course=course,
            venue=venue,
            starts_at=at(40, 9),
            ends_at=at(40, 13),
            trainer=TrainerFactory(),
        )
        for _room in range(2)
    ]
    assert TrainingSession.objects.filter(pk__in=[s.pk for s in made], venue=venue).count() == 2
