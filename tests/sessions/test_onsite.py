"""On-site training requests, their hours, scheduling and cancelling (docs/domain.md,
"Categories 1-5: on-site hours")."""

import pytest
from django.core import mail

from entitlements.models import Entitlement
from kamusm_portal.errors import RuleViolation
from sessions.models import Course, RequestStatus, SessionKind, SessionStatus, TrainingRequest, TrainingSession
from sessions.selectors import usage_for, usage_of
from sessions.services import (
    onsite_session_schedule,
    session_cancel,
    training_request_cancel,
    training_request_create,
    training_request_reject,
)
from tests.entitlements.factories import OfficialFactory, UserFactory
from tests.sessions.factories import TrainerFactory, onsite_institution, standard_institution
from tests.timing import at, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def technical():
    return Course.objects.filter(audience="technical").first()


def _request(institution, program, *items, **kwargs):
    kwargs.setdefault("province", institution.units.get(level="merkez").province or _ankara())
    kwargs.setdefault("expected_participants", 20)
    return training_request_create(
        institution=institution,
        program=program,
        items=[{"course": course, "hours": hours} for course, hours in items],
        **kwargs,
    )


def _ankara():
    from entitlements.models import Province

    return Province.objects.get(pk=6)


def _hours(institution, program):
    return usage_for(institution=institution, program=program)


# --- Requests and their hours ---------------------------------------------------------------


def test_an_open_request_holds_its_hours(program, course):
    institution = onsite_institution()
    _request(institution, program, (course, 5))
    hours = _hours(institution, program)
    assert (hours.hours, hours.hours_used, hours.hours_held, hours.hours_remaining) == (8, 0, 5, 3)


def test_a_request_for_9_hours_when_8_remain_is_refused_and_writes_nothing(program, course):
    institution = onsite_institution()
    with pytest.raises(RuleViolation) as exc:
        _request(institution, program, (course, 9))
    assert exc.value.code == "hours_exceeded"
    assert {k: exc.value.fields[k] for k in ("requested", "used", "held", "remaining")} == {
        "requested": 9,
        "used": 0,
        "held": 0,
        "remaining": 8,
    }
    assert not TrainingRequest.objects.exists()


def test_the_hours_of_every_item_count_together(program, course, technical):
    institution = onsite_institution()
    with pytest.raises(RuleViolation) as exc:
        _request(institution, program, (course, 4), (technical, 5))
    assert exc.value.code == "hours_exceeded"
    _request(institution, program, (course, 4), (technical, 4))
    assert _hours(institution, program).hours_remaining == 0


def test_held_hours_of_an_open_request_count_against_the_next_one(program, course):
    institution = onsite_institution()
    _request(institution, program, (course, 6))
    with pytest.raises(RuleViolation) as exc:
        _request(institution, program, (course, 3))
    assert exc.value.code == "hours_exceeded" and exc.value.fields["held"] == 6


def test_a_standard_institution_is_not_entitled_to_on_site_hours(program, course):
    with pytest.raises(RuleViolation) as exc:
        _request(standard_institution(), program, (course, 4))
    assert exc.value.code == "not_entitled"


def test_any_province_may_be_asked_for(program, course):
    from entitlements.models import Province

    request = _request(onsite_institution(), program, (course, 8), province=Province.objects.get(pk=81))
    assert request.province_id == 81


def test_a_course_twice_in_one_request_or_zero_hours_is_invalid(program, course):
    institution = onsite_institution()
    for items in [((course, 2), (course, 2)), ((course, 0),)]:
        with pytest.raises(RuleViolation) as exc:
            _request(institution, program, *items)
        assert exc.value.code == "invalid" and "items" in exc.value.fields


def test_a_preferred_window_that_ends_before_it_starts_is_invalid(program, course):
    with pytest.raises(RuleViolation) as exc:
        _request(
            onsite_institution(), program, (course, 8), preferred_dates=[{"from": "2026-12-10", "to": "2026-12-01"}]
        )
    assert exc.value.code == "invalid" and "preferred_dates" in exc.value.fields


def test_preferred_windows_are_kept_as_dates(program, course):
    first, last = day(32), day(43)  # a date and an ISO string
    request = _request(
        onsite_institution(), program, (course, 8), preferred_dates=[{"from": first, "to": last.isoformat()}]
    )
    assert request.windows == [(first, last)]


def test_a_closed_program_takes_no_request(program, course):
    institution = onsite_institution()
    program.is_open = False
    program.save()
    with pytest.raises(RuleViolation) as exc:
        _request(institution, program, (course, 4))
    assert exc.value.code == "program_closed"


def test_the_account_manager_is_emailed_a_new_request(program, course, django_capture_on_commit_callbacks):
    manager = UserFactory(is_staff=True, email="temsilci@kamusm.gov.tr")
    institution = onsite_institution(account_manager=manager)
    with django_capture_on_commit_callbacks(execute=True):
        _request(institution, program, (course, 8))
    assert [m.to for m in mail.outbox] == [["temsilci@kamusm.gov.tr"]]
    assert institution.name in mail.outbox[0].subject


def test_cancelling_a_request_frees_what_it_held(program, course):
    institution = onsite_institution()
    request = _request(institution, program, (course, 8))
    training_request_cancel(request=request)
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert _hours(institution, program).hours_remaining == 8


def test_a_request_with_a_scheduled_session_cannot_be_cancelled_by_the_official(program, course):
    institution = onsite_institution()
    request = _request(institution, program, (course, 8))
    onsite_session_schedule(
        request=request, course=course, trainer=TrainerFactory(), starts_at=at(10, 9), ends_at=at(10, 13)
    )
    with pytest.raises(RuleViolation):
        training_request_cancel(request=request)


def test_rejecting_needs_a_reason_and_frees_the_hours(program, course, django_capture_on_commit_callbacks):
    institution = onsite_institution()
    official = OfficialFactory(institution=institution)
    request = _request(institution, program, (course, 8))
    with pytest.raises(RuleViolation):
        training_request_reject(request=request, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        training_request_reject(request=request, reason="Takvim dolu")
    request.refresh_from_db()
    assert (request.status, request.rejection_reason) == (RequestStatus.REJECTED, "Takvim dolu")
    assert _hours(institution, program).hours_remaining == 8
    assert any(m.to == [official.user.email] and "Takvim dolu" in m.body for m in mail.outbox)


def test_a_closed_request_cannot_be_rejected_or_cancelled_again(program, course):
    request = _request(onsite_institution(), program, (course, 8))
    training_request_cancel(request=request)
    with pytest.raises(RuleViolation):
        training_request_reject(request=request, reason="x")
    with pytest.raises(RuleViolation):
        training_request_cancel(request=request)


# --- Scheduling -----------------------------------------------------------------------------


def test_scheduling_moves_hours_from_held_to_used_and_announces_at_once(program, course):
    institution = onsite_institution()
    request = _request(institution, program, (course, 8))
    session = onsite_session_schedule(
        request=request, course=course, trainer=TrainerFactory(), starts_at=at(3, 9), ends_at=at(3, 17)
    )
    assert (session.kind, session.status, session.hours, session.capacity) == (
        SessionKind.ONSITE,
        SessionStatus.ANNOUNCED,
        8,
        20,
    )
    assert (session.institution, session.province_id) == (institution, request.province_id)
    hours = _hours(institution, program)
    assert (hours.hours_used, hours.hours_held, hours.hours_remaining) == (8, 0, 0)
    request.refresh_from_db()
    assert request.status == RequestStatus.SCHEDULED


def test_an_item_may_be_split_over_several_sessions_while_its_hours_last(program, course):
    institution = onsite_institution()
    request = _request(institution, program, (course, 8))
    trainer = TrainerFactory()
    onsite_session_schedule(request=request, course=course, trainer=trainer, starts_at=at(3, 9), ends_at=at(3, 13))
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert (_hours(institution, program).hours_used, _hours(institution, program).hours_held) == (4, 4)
    with pytest.raises(RuleViolation) as exc:
        onsite_session_schedule(request=request, course=course, trainer=trainer, starts_at=at(4, 9), ends_at=at(4, 14))
    assert exc.value.code == "hours_exceeded"
    onsite_session_schedule(request=request, course=course, trainer=trainer, starts_at=at(4, 9), ends_at=at(4, 13))
    request.refresh_from_db()
    assert request.status == RequestStatus.SCHEDULED


def test_hours_default_to_the_duration_of_a_one_day_session_and_are_required_over_several_days(program, course):
    institution = onsite_institution(users=20_000)  # band 3: 16 hours
    request = _request(institution, program, (course, 16))
    trainer = TrainerFactory()
    with pytest.raises(RuleViolation) as exc:
        onsite_session_schedule(request=request, course=course, trainer=trainer, starts_at=at(5, 9), ends_at=at(6, 17))
    assert exc.value.code == "invalid" and "hours" in exc.value.fields
    session = onsite_session_schedule(
        request=request, course=course, trainer=trainer, starts_at=at(5, 9), ends_at=at(6, 17), hours=16
    )
    assert session.hours == 16


def test_a_course_the_request_does_not_ask_for_is_refused(program, course, technical):
    request = _request(onsite_institution(), program, (course, 8))
    with pytest.raises(RuleViolation) as exc:
        onsite_session_schedule(
            request=request, course=technical, trainer=TrainerFactory(), starts_at=at(3, 9), ends_at=at(3, 11)
        )
    assert exc.value.code == "invalid" and "course" in exc.value.fields


def test_scheduling_never_passes_the_right_after_a_recomputation_to_a_lower_band(program, course):
    institution = onsite_institution(users=5_000)  # band 2: 12 hours
    request = _request(institution, program, (course, 12))
    unit = institution.units.get(level="merkez")
    unit.active_users = 500  # band 1 now: 8 hours
    unit.save()
    from entitlements.services import entitlement_recompute

    entitlement_recompute(institutions=type(institution).objects.filter(pk=institution.pk))
    with pytest.raises(RuleViolation) as exc:
        onsite_session_schedule(
            request=request, course=course, trainer=TrainerFactory(), starts_at=at(3, 9), ends_at=at(3, 21)
        )
    assert exc.value.code == "hours_exceeded"
    assert not TrainingSession.objects.filter(kind=SessionKind.ONSITE).exists()


def test_a_session_recorded_after_the_fact_goes_in_with_past_dates(program, course):
    request = _request(onsite_institution(), program, (course, 8))
    session = onsite_session_schedule(
        request=request, course=course, trainer=TrainerFactory(), starts_at=at(-10, 9), ends_at=at(-10, 17)
    )
    assert session.has_ended and session.status == SessionStatus.ANNOUNCED


def test_the_officials_and_the_trainer_are_told_of_a_scheduled_session(
    program, course, django_capture_on_commit_callbacks
):
    institution = onsite_institution()
    official = OfficialFactory(institution=institution)
    trainer = TrainerFactory()
    request = _request(institution, program, (course, 8))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        onsite_session_schedule(request=request, course=course, trainer=trainer, starts_at=at(3, 9), ends_at=at(3, 17))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([official.user.email, trainer.user.email])


# --- Cancelling a session gives the hours back ----------------------------------------------


def test_cancelling_an_on_site_session_returns_its_hours_to_the_item(program, course):
    institution = onsite_institution()
    request = _request(institution, program, (course, 8))
    session = onsite_session_schedule(
        request=request, course=course, trainer=TrainerFactory(), starts_at=at(3, 9), ends_at=at(3, 17)
    )
    session_cancel(session=session)
    session.refresh_from_db()
    request.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert request.status == RequestStatus.SUBMITTED  # open again, to be rescheduled
    hours = _hours(institution, program)
    assert (hours.hours_used, hours.hours_held, hours.hours_remaining) == (0, 8, 0)


def test_rejecting_a_partly_scheduled_request_keeps_its_sessions_and_a_later_cancel_frees_their_hours(program, course):
    """docs/domain.md: rejecting a request frees what it held; its sessions stay (and their hours stay
    used); cancelling one afterwards gives its hours back to nobody: the request stays closed."""
    institution = onsite_institution()
    request = _request(institution, program, (course, 8))
    session = onsite_session_schedule(
        request=request, course=course, trainer=TrainerFactory(), starts_at=at(3, 9), ends_at=at(3, 13)
    )
    training_request_reject(request=request, reason="Kalan saatler planlanamadı")

    session.refresh_from_db()
    assert session.status == SessionStatus.ANNOUNCED
    hours = _hours(institution, program)
    assert (hours.hours_used, hours.hours_held, hours.hours_remaining) == (4, 0, 4)

    session_cancel(session=session)
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    hours = _hours(institution, program)
    assert (hours.hours_used, hours.hours_held, hours.hours_remaining) == (0, 0, 8)


def test_the_entitlement_shows_hours_used_held_and_remaining(program, course):
    institution = onsite_institution(users=20_000)  # 16 hours
    request = _request(institution, program, (course, 10))
    onsite_session_schedule(
        request=request, course=course, trainer=TrainerFactory(), starts_at=at(3, 9), ends_at=at(3, 13)
    )
    entitlement = Entitlement.objects.select_related("program", "category").get(institution=institution)
    figures = usage_of([entitlement])[(entitlement.institution_id, entitlement.program_id)]
    assert (figures.hours, figures.hours_used, figures.hours_held, figures.hours_remaining) == (16, 4, 6, 6)
    assert (figures.seat_quota, figures.seats_used) == (0, 0)


def test_every_link_in_the_on_site_emails_leads_to_a_page(program, course, django_capture_on_commit_callbacks):
    import re
    from urllib.parse import urlparse

    from django.urls import resolve

    manager = UserFactory(is_staff=True, email="temsilci@kamusm.gov.tr")
    institution = onsite_institution(account_manager=manager)
    OfficialFactory(institution=institution)
    with django_capture_on_commit_callbacks(execute=True):
        first = _request(institution, program, (course, 4))
        onsite_session_schedule(
            request=first, course=course, trainer=TrainerFactory(), starts_at=at(3, 9), ends_at=at(3, 13)
        )
        training_request_reject(request=_request(institution, program, (course, 4)), reason="Takvim dolu")
    links = [link for m in mail.outbox for link in re.findall(r"https?://\S+", m.body)]
    assert len(links) >= 4
    for link in links:
        resolve(urlparse(link).path)  # raises Resolver404 for a page that does not exist


def test_a_session_never_counts_more_hours_than_it_lasts(program, course):
    request = _request(onsite_institution(), program, (course, 8))
    with pytest.raises(RuleViolation) as exc:
        onsite_session_schedule(
            request=request, course=course, trainer=TrainerFactory(), starts_at=at(3, 9), ends_at=at(3, 10), hours=8
        )
    assert exc.value.code == "invalid" and "hours" in exc.value.fields
    assert not TrainingSession.objects.exists()


def test_hours_used_under_an_on_site_band_stay_and_are_flagged_after_a_drop_to_standard(program, course):
    from entitlements.services import entitlement_recompute

    institution = onsite_institution()
    request = _request(institution, program, (course, 8))
    onsite_session_schedule(
        request=request, course=course, trainer=TrainerFactory(), starts_at=at(3, 9), ends_at=at(3, 17)
    )
    unit = institution.units.get(level="merkez")
    unit.active_users = 50  # Standard now
    unit.save()
    entitlement_recompute(institutions=type(institution).objects.filter(pk=institution.pk))
    entitlement = Entitlement.objects.select_related("program", "category").get(institution=institution)
    figures = usage_of([entitlement])[(entitlement.institution_id, entitlement.program_id)]
    assert (figures.hours, figures.hours_used, figures.hours_remaining) == (0, 8, -8)
    assert figures.flag == "usage_above_right"
