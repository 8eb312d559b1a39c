"""Certificates are issued with the attendance that makes someone eligible (docs/domain.md,
"Who gets a certificate")."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates.models import Certificate, CertificateStatus, SerialCounter
from certificates.services import attendance_record, certificate_revoke, code_normalise
from certificates.services.issuing import CROCKFORD
from kamusm_portal.errors import RuleViolation
from sessions.services import (
    reservation_create,
)
from tests.certificates.factories import onsite_finished
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    standard_institution,
)

pytestmark = pytest.mark.django_db


def _classroom_finished(people: int = 3):
    session = SessionFactory()
    institution = standard_institution()
    participants = [ParticipantFactory(institution=institution) for _ in range(people)]
    reservation_create(session=session, participants=participants)
    session.starts_at = timezone.now() - timedelta(hours=6)
    session.ends_at = timezone.now() - timedelta(hours=2)
    session.save()
    return session, participants


def test_on_site_full_attendance_creates_exactly_one_certificate_partial_and_absent_none():
    session, (full, partial, absent) = onsite_finished()
    attendance_record(session=session, marks=[(full, "full"), (partial, "partial"), (absent, "absent")])
    assert list(Certificate.objects.values_list("participant_id", flat=True)) == [full.pk]
    attendance_record(session=session, marks=[(full, "full")])  # sent again: nothing new
    assert Certificate.objects.count() == 1


def test_classroom_full_and_partial_each_create_one_absent_none():
    session, (full, partial, absent) = _classroom_finished()
    attendance_record(session=session, marks=[(full, "full"), (partial, "partial"), (absent, "absent")])
    assert set(Certificate.objects.values_list("participant_id", flat=True)) == {full.pk, partial.pk}


def test_the_certificate_keeps_what_it_says_and_starts_pending():
    session, (person, *_rest) = onsite_finished(1)
    attendance_record(session=session, marks=[(person, "full")])
    certificate = Certificate.objects.get()
    assert certificate.status == CertificateStatus.PENDING
    assert (certificate.participant_name, certificate.hours, certificate.institution_id) == (
        person.full_name,
        8,
        person.institution_id,
    )
    assert certificate.course_title == session.course.title_tr
    assert certificate.place.startswith("Ankara")
    assert certificate.starts_on == timezone.localtime(session.starts_at).date()


def test_serial_numbers_follow_the_program_year_without_gaps():
    session, people = onsite_finished(3)
    attendance_record(session=session, marks=[(p, "full") for p in people])
    serials = sorted(Certificate.objects.values_list("serial", flat=True))
    assert serials == ["KSM-2012-000001", "KSM-2012-000002", "KSM-2012-000003"]
    assert SerialCounter.objects.get(year=2012).last == 3


def test_an_attendance_rolled_back_gives_its_serial_number_back():
    session, (person,) = onsite_finished(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        attendance_record(session=session, marks=[(person, "full")])
        assert Certificate.objects.get().serial == "KSM-2012-000001"
        raise RuntimeError("the request fails after the attendance")
    assert not Certificate.objects.exists()
    attendance_record(session=session, marks=[(person, "full")])
    assert Certificate.objects.get().serial == "KSM-2012-000001"


def test_the_verification_code_is_80_random_bits_in_crockford_base_32():
    session, people = onsite_finished(3)
    attendance_record(session=session, marks=[(p, "full") for p in people])
    codes = list(Certificate.objects.values_list("code", flat=True))
    assert len(set(codes)) == 3
    assert all(len(c) == 16 and set(c) <= set(CROCKFORD) for c in codes)
    certificate = Certificate.objects.first()
    assert certificate.code_display.count("-") == 3
    typed = certificate.code_display.lower().replace("0", "o").replace("1", "l")
    assert code_normalise(typed) == certificate.code


def test_a_correction_that_makes_someone_ineligible_revokes_and_the_other_way_issues_again():
    session, (person,) = onsite_finished(1)
    attendance_record(session=session, marks=[(person, "full")])
    first = Certificate.objects.get()
    attendance_record(session=session, marks=[(person, "partial")])
    first.refresh_from_db()
    assert (first.status, first.revoked_reason) == (CertificateStatus.REVOKED, "attendance corrected")
    attendance_record(session=session, marks=[(person, "full")])
    second = Certificate.objects.exclude(pk=first.pk).get()
    assert second.status == CertificateStatus.PENDING
    assert (second.serial, second.code) != (first.serial, first.code)  # never reused


def test_the_database_refuses_a_second_live_certificate_for_one_person_and_session():
    session, (person,) = onsite_finished(1)
    attendance_record(session=session, marks=[(person, "full")])
    certificate = Certificate.objects.get()
    certificate.pk = None
    certificate.serial, certificate.code = "KSM-2012-999999", "ZZZZZZZZZZZZZZZZ"
    with pytest.raises(IntegrityError), transaction.atomic():
        certificate.save(force_insert=True)


def test_staff_revoke_with_a_reason_and_the_record_stays():
    session, (person,) = onsite_finished(1)
    attendance_record(session=session, marks=[(person, "full")])
    certificate = Certificate.objects.get()
    with pytest.raises(RuleViolation):
        certificate_revoke(certificate=certificate, reason=" ")
    certificate_revoke(certificate=certificate, reason="Kimlik hatası")
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revoked_reason) == (CertificateStatus.REVOKED, "Kimlik hatası")
    with pytest.raises(RuleViolation):
        certificate_revoke(certificate=certificate, reason="again")


def test_the_same_marks_sent_again_never_issue_again_a_certificate_staff_revoked():
    session, (person, other) = onsite_finished(2)
    attendance_record(session=session, marks=[(person, "full"), (other, "full")])
    revoked = Certificate.objects.get(participant=person)
    certificate_revoke(certificate=revoked, reason="Yanlış kişi")

    attendance_record(session=session, marks=[(person, "full"), (other, "full")])  # the sheet saved again

    assert list(Certificate.objects.filter(participant=person).values_list("status", flat=True)) == ["revoked"]
    assert Certificate.objects.filter(participant=other).count() == 1
