"""Participants: nominated by officials, kimlik no by checksum, unique per institution, anonymised."""

from datetime import timedelta

import pytest

from entitlements.models import Unit
from kamusm_portal.errors import RuleViolation
from sessions.models import Participant
from sessions.services import (
    participant_create,
    participant_delete,
    participant_update,
    reservation_cancel,
    reservation_create,
)
from tests.entitlements.factories import InstitutionFactory
from tests.sessions.factories import ParticipantFactory, SessionFactory, standard_institution, started

VALID_KIMLIK = "10000000146"


def _create(institution, **data):
    return participant_create(
        institution=institution, data={"first_name": "İnci", "last_name": "Işık", "email": "inci@kurum.gov.tr", **data}
    )


def test_a_participant_defaults_to_the_central_unit(db):
    institution = InstitutionFactory()
    participant = _create(institution)
    assert participant.unit == Unit.objects.get(institution=institution, level="merkez")


def test_a_kimlik_no_failing_its_checksum_is_refused(db):
    with pytest.raises(RuleViolation) as exc:
        _create(InstitutionFactory(), kimlik_no="12345678901")
    assert exc.value.code == "invalid_kimlik_no"
    assert not Participant.objects.exists()


def test_a_valid_kimlik_no_is_kept_and_shown_masked(db):
    participant = _create(InstitutionFactory(), kimlik_no=VALID_KIMLIK)
    assert participant.kimlik_no == VALID_KIMLIK
    assert participant.kimlik_no_masked == "100******46"


def test_email_and_kimlik_no_are_unique_per_institution(db):
    institution = InstitutionFactory()
    _create(institution, kimlik_no=VALID_KIMLIK)
    with pytest.raises(RuleViolation):
        _create(institution, email="INCI@kurum.gov.tr")
    with pytest.raises(RuleViolation):
        _create(institution, email="other@kurum.gov.tr", kimlik_no=VALID_KIMLIK)
    _create(InstitutionFactory(), kimlik_no=VALID_KIMLIK)  # another institution may


def test_a_unit_of_another_institution_is_refused(db):
    other_unit = Unit.objects.get(institution=InstitutionFactory(), level="merkez")
    with pytest.raises(RuleViolation) as exc:
        _create(InstitutionFactory(), unit=other_unit)
    assert "unit" in exc.value.fields


def test_a_participant_with_live_reservations_cannot_be_removed(db):
    participant = ParticipantFactory(institution=standard_institution())
    reservation_create(session=SessionFactory(), participants=[participant])
    with pytest.raises(RuleViolation) as exc:
        participant_delete(participant=participant)
    assert exc.value.code == "participant_in_use"
    assert Participant.objects.filter(pk=participant.pk, anonymised_at__isnull=True).exists()


def test_a_participant_with_history_is_anonymised_not_deleted(db):
    participant = ParticipantFactory(institution=standard_institution(), kimlik_no=VALID_KIMLIK)
    reservation = reservation_create(session=SessionFactory(), participants=[participant])[0]
    reservation_cancel(reservation=reservation)
    participant_delete(participant=participant)
    participant.refresh_from_db()
    assert participant.anonymised_at is not None
    assert (participant.email, participant.kimlik_no) == ("", "")
    assert participant.reservations.count() == 1


def test_someone_who_attended_can_be_anonymised_and_their_history_loses_the_name(db):
    participant = ParticipantFactory(institution=standard_institution(), email="isil@kurum.gov.tr")
    session = SessionFactory()
    reservation_create(session=session, participants=[participant])
    started(session, ago=timedelta(days=3))
    participant_delete(participant=participant)
    participant.refresh_from_db()
    assert participant.anonymised_at is not None
    assert set(participant.history.values_list("email", flat=True)) == {""}
    assert not participant.history.filter(first_name__startswith="Işıl").exists()


def test_a_participant_without_history_is_deleted(db):
    participant = ParticipantFactory()
    participant_delete(participant=participant)
    assert not Participant.objects.filter(pk=participant.pk).exists()


def test_update_checks_the_kimlik_no_too(db):
    participant = ParticipantFactory()
    with pytest.raises(RuleViolation) as exc:
        participant_update(participant=participant, data={"kimlik_no": "11111111111"})
    assert exc.value.code == "invalid_kimlik_no"
