"""The portal pages of on-site training: the official's requests, sessions and rosters; the
trainer's work plan, calendar feed and attendance sheets.

Pages are read in English (language cookie) as in ``test_pages.py``: the assertions hold the
English msgids, so they keep passing once the Turkish catalog is filled in. Service messages are
compared as the service words them (in the active language).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from certificates.services import attendance_record
from entitlements.models import Province
from sessions.calendar import escape_text, fold
from sessions.models import (
    Attendance,
    Course,
    Enrolment,
    RequestStatus,
    SessionStatus,
    TrainingRequest,
    TrainingRequestItem,
    Unavailability,
)
from sessions.services import (
    enrolment_create,
    onsite_session_cancel,
    onsite_session_schedule,
    training_request_create,
    training_request_reject,
    unavailability_create,
)
from tests.entitlements.factories import OfficialFactory, UserFactory, official_of
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    TrainingRequestFactory,
    onsite_institution,
    standard_institution,
)
from tests.timing import at, day, dotted

pytestmark = pytest.mark.django_db

TURKISH_TITLE = "İmza, şifre; ğ ı ve Ç ö ü eğitimi"


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return _english(client)


@pytest.fixture
def institution(program):
    """Band 1 of the 2012 table: 500 active users, 8 on-site hours."""
    return onsite_institution(name="Iğdır Valiliği")


@pytest.fixture
def official(institution):
    return OfficialFactory(institution=institution, user__username="sukru").user


@pytest.fixture
def client_en(official) -> Client:
    return _logged_in(official)


@pytest.fixture
def other(program):
    """Another band-1 institution, its official and a participant of its own."""
    institution = onsite_institution(name="Başka Belediyesi")
    official = official_of(institution)
    ParticipantFactory(institution=institution, first_name="Gizli", last_name="Kişi")
    return institution, official


def _course(code: str) -> Course:
    return Course.objects.get(code=code)


def _request_data(lines, *, province: int = 6, expected: int = 20, windows=(), notes: str = "") -> dict:
    """The POST of the request form: ``lines`` of (course, hours), ``windows`` of (from, to) text."""
    rows = max(len(lines), 2)
    data = {
        "items-TOTAL_FORMS": str(rows),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "10",
        "windows-TOTAL_FORMS": str(max(len(windows), 2)),
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "6",
        "province": str(province),
        "expected_participants": str(expected),
        "notes": notes,
    }
    for index, (course, hours) in enumerate(lines):
        data[f"items-{index}-course"] = str(course.pk)
        data[f"items-{index}-hours"] = str(hours)
    for index, (starts, ends) in enumerate(windows):
        data[f"windows-{index}-starts"] = starts
        data[f"windows-{index}-ends"] = ends
    return data


def _schedule(request: TrainingRequest, trainer, *, starts_at: datetime, hours: int = 4, course=None):
    """An on-site session of the request's (first) item, through the scheduling service."""
    course = course or request.items.first().course
    return onsite_session_schedule(
        request=request,
        course=course,
        trainer=trainer,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        address="Hükümet Konağı, Kat 3",
    )


# --- Language, login, CSRF ----------------------------------------------------------------------


def test_pages_are_in_turkish_by_default(official, program):
    client = Client()
    client.force_login(official)
    response = client.get(reverse("sessions_portal:requests"))
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "tr"
    assert '<html lang="tr">' in response.content.decode()


def _official_urls(session_pk: int, request_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("sessions_portal:requests")),
        ("get", reverse("sessions_portal:request_new")),
        ("post", reverse("sessions_portal:request_cancel", args=[request_pk])),
        ("get", reverse("sessions_portal:onsite_sessions")),
        ("get", reverse("sessions_portal:onsite_session", args=[session_pk])),
        ("post", reverse("sessions_portal:enrolment_remove", args=[session_pk, 1])),
        ("get", reverse("sessions_portal:trainer_schedule")),
        ("post", reverse("sessions_portal:unavailability_delete", args=[1])),
        ("post", reverse("sessions_portal:trainer_calendar_renew")),
        ("get", reverse("certificates:attendance", args=[session_pk])),
    ]


def test_anonymous_visitor_is_sent_to_log_in_on_every_page_but_the_calendar_feed(client, program):
    for method, url in _official_urls(1, 1):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url == f"{reverse('login')}?next={url}"
    feed = reverse("sessions_portal:trainer_calendar", args=["no-such-token"])
    assert client.get(feed).status_code == 404  # not a login redirect: the token is the key


def test_forms_refuse_a_post_without_the_csrf_token(official, institution):
    client = Client(enforce_csrf_checks=True)
    client.force_login(official)
    data = _request_data([(_course("EIMZA-101"), 4)])
    assert client.post(reverse("sessions_portal:request_new"), data).status_code == 403
    assert not TrainingRequest.objects.exists()


# --- The request form ---------------------------------------------------------------------------


def test_request_form_shows_the_institutions_hours_and_every_province_in_turkish_order(client_en, institution):
    TrainingRequestFactory(institution=institution, item__hours=3)
    response = client_en.get(reverse("sessions_portal:request_new"))
    html = response.content.decode()
    assert re.search(r'data-testid="hours-right">8<', html)
    assert re.search(r'data-testid="hours-used">0<', html)
    assert re.search(r'data-testid="hours-held">3<', html)
    assert re.search(r'data-testid="hours-remaining">5<', html)
    labels = [label for _pk, label in response.context["form"].fields["province"].choices][1:]
    assert len(labels) == 81
    assert labels.index("Çanakkale") < labels.index("Çorum") < labels.index("Denizli")
    assert labels.index("Iğdır") < labels.index("Isparta") < labels.index("İstanbul") < labels.index("İzmir")
    assert labels.index("Şanlıurfa") > labels.index("Sivas")
    # the course picker shows each course's audience (groups) and hours
    assert '<optgroup label="End users">' in html and '<optgroup label="Technical staff">' in html
    assert "EIMZA-201 · Integrating e-signatures into in-house software (8 h)" in html


def test_an_official_submits_a_two_item_request_and_sees_it_listed_as_submitted(client_en, institution, official):
    data = _request_data(
        [(_course("EIMZA-101"), 4), (_course("EIMZA-201"), 3)],
        province=76,
        expected=18,
        windows=[(dotted(day(91)), dotted(day(100))), (dotted(day(119)), dotted(day(121)))],
        notes="Toplantı salonu hazır.",
    )
    response = client_en.post(reverse("sessions_portal:request_new"), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("sessions_portal:requests")
    made = TrainingRequest.objects.get(institution=institution)
    assert (made.status, made.province_id, made.expected_participants, made.submitted_by) == (
        RequestStatus.SUBMITTED,
        76,
        18,
        official,
    )
    assert made.preferred_dates == [
        {"from": day(91).isoformat(), "to": day(100).isoformat()},
        {"from": day(119).isoformat(), "to": day(121).isoformat()},
    ]
    assert sorted(made.items.values_list("course__code", "hours")) == [("EIMZA-101", 4), ("EIMZA-201", 3)]

    html = response.content.decode()
    assert f"Request #{made.pk} is submitted: it holds 7 hours until it is scheduled." in html
    row = html[html.index(f'data-testid="request-{made.pk}"') :]
    assert '<span class="badge text-bg-primary">Submitted</span>' in row
    assert "4 h / 0 h" in row and "3 h / 0 h" in row
    assert "Iğdır" in row
    assert f"{dotted(day(91))} – {dotted(day(100))}" in row and f"{dotted(day(119))} – {dotted(day(121))}" in row
    assert re.search(r'data-testid="hours-held">7<', html)
    assert re.search(r'data-testid="hours-remaining">1<', html)


def test_a_request_above_the_remaining_hours_shows_hours_exceeded_and_writes_nothing(client_en, institution):
    TrainingRequestFactory(institution=institution, item__hours=2)  # 2 held, 6 remain
    data = _request_data([(_course("EIMZA-101"), 4), (_course("EIMZA-201"), 3)])
    response = client_en.post(reverse("sessions_portal:request_new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "7 hours are asked but 6 remain (right 8, used 0, held by open requests 2)." in html, (
        "the numbers come back at the top of the form"
    )
    assert 'data-testid="request-errors"' in html
    assert TrainingRequest.objects.filter(institution=institution).count() == 1
    assert TrainingRequestItem.objects.filter(request__institution=institution).count() == 1
    assert response.context["items"].forms[0]["hours"].value() == "4"  # what was typed stays


def test_the_same_course_twice_is_refused_next_to_the_line(client_en, institution):
    data = _request_data([(_course("EIMZA-101"), 2), (_course("EIMZA-101"), 2)])
    response = client_en.post(reverse("sessions_portal:request_new"), data)
    assert "Each course is asked for once; put all its hours on one line." in response.content.decode()
    assert not TrainingRequest.objects.exists()


def test_a_window_ending_before_it_starts_is_refused_next_to_the_window(client_en, institution):
    data = _request_data([(_course("EIMZA-101"), 2)], windows=[(dotted(day(97)), dotted(day(91)))])
    response = client_en.post(reverse("sessions_portal:request_new"), data)
    assert response.context["windows"].forms[0].errors["ends"] == ["Ends before it starts."]
    assert not TrainingRequest.objects.exists()


def test_a_request_without_any_course_is_refused(client_en, institution):
    response = client_en.post(reverse("sessions_portal:request_new"), _request_data([]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please submit at least 1 form." not in html  # Django's words, not the portal's
    assert "Choose at least one course and the hours you want for it." in html
    assert not TrainingRequest.objects.exists()


def test_a_standard_institution_is_told_its_right_is_classroom_seats_and_gets_no_form(client, program):
    standard = standard_institution()
    client.force_login(official_of(standard))
    response = _english(client).get(reverse("sessions_portal:request_new"))
    html = response.content.decode()
    assert 'data-testid="classroom-right"' in html
    assert 'href="/sessions/"' in html
    assert 'id="request-form"' not in html
    response = client.post(reverse("sessions_portal:request_new"), _request_data([(_course("EIMZA-101"), 2)]))
    assert 'id="request-form"' not in response.content.decode()
    assert not TrainingRequest.objects.exists()


# --- My requests --------------------------------------------------------------------------------


def test_an_official_cancels_an_open_request_and_its_hours_are_free(client_en, institution):
    made = TrainingRequestFactory(institution=institution, item__hours=8)
    html = client_en.get(reverse("sessions_portal:requests")).content.decode()
    assert reverse("sessions_portal:request_cancel", args=[made.pk]) in html
    response = client_en.post(reverse("sessions_portal:request_cancel", args=[made.pk]), follow=True)
    made.refresh_from_db()
    assert made.status == RequestStatus.CANCELLED
    html = response.content.decode()
    assert f"Request #{made.pk} is cancelled: the hours it held are free." in html
    assert re.search(r'data-testid="hours-remaining">8<', html)
    assert client_en.get(reverse("sessions_portal:request_cancel", args=[made.pk])).status_code == 405


def test_a_request_with_a_scheduled_session_has_no_cancel_button_and_shows_scheduled_hours(
    client_en, institution, trainer
):
    made = TrainingRequestFactory(institution=institution, item__hours=8)
    _schedule(made, trainer, starts_at=at(10, 9), hours=4)
    html = client_en.get(reverse("sessions_portal:requests")).content.decode()
    assert "8 h / 4 h" in html
    assert reverse("sessions_portal:request_cancel", args=[made.pk]) not in html


def test_a_rejected_request_shows_the_reason(client_en, institution):
    made = TrainingRequestFactory(institution=institution)
    training_request_reject(request=made, reason="Eğitmen kadrosu Şubat'ta dolu.")
    html = client_en.get(reverse("sessions_portal:requests")).content.decode()
    row = html[html.index(f'data-testid="request-{made.pk}"') :]
    assert '<span class="badge text-bg-danger">Rejected</span>' in row
    assert escape("Eğitmen kadrosu Şubat'ta dolu.") in row


def test_official_b_gets_404_on_cancelling_as_request(client_en, other):
    theirs = TrainingRequestFactory(institution=other[0])
    assert client_en.post(reverse("sessions_portal:request_cancel", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == RequestStatus.SUBMITTED
    assert (
        f'data-testid="request-{theirs.pk}"' not in client_en.get(reverse("sessions_portal:requests")).content.decode()
    )


def _requests_page_queries(client, institution, count, django_assert_max_num_queries):
    for _ in range(count):
        TrainingRequestFactory(institution=institution, item__hours=1)
    client.get(reverse("sessions_portal:requests"))  # warm the session and the user
    with django_assert_max_num_queries(REQUESTS_PAGE_QUERIES):
        response = client.get(reverse("sessions_portal:requests"))
    assert response.content.decode().count('data-testid="request-') == count


# session, user, official (view), entitlements, usage (seats used, hours used, hours held), official
# and permissions (selector), requests, their items
REQUESTS_PAGE_QUERIES = 12


@pytest.mark.parametrize("count", [1, 8])
def test_requests_page_runs_a_fixed_number_of_queries(client_en, institution, count, django_assert_max_num_queries):
    _requests_page_queries(client_en, institution, count, django_assert_max_num_queries)


# --- On-site sessions and rosters ---------------------------------------------------------------


@pytest.fixture
def scheduled(institution, trainer):
    """A request for 8 hours with a 4-hour session in ten days, room for 2."""
    made = TrainingRequestFactory(institution=institution, item__hours=8, expected_participants=2)
    return _schedule(made, trainer, starts_at=at(10, 9))


def test_my_on_site_sessions_lists_course_dates_hours_place_trainer_and_roster(client_en, institution, scheduled):
    enrolment_create(session=scheduled, participants=[ParticipantFactory(institution=institution)])
    html = client_en.get(reverse("sessions_portal:onsite_sessions")).content.decode()
    row = html[html.index(f'data-testid="onsite-session-{scheduled.pk}"') :]
    assert escape(scheduled.course.title) in row
    assert timezone.localtime(scheduled.starts_at).strftime("%d.%m.%Y %H:%M") in row
    assert "Ankara" in row and escape("Hükümet Konağı, Kat 3") in row
    assert "Eğitmen Çağlar" in row
    assert re.search(r'data-testid="roster-count">1 / 2<', row)


def test_an_official_enrols_and_removes_own_participants(client_en, institution, scheduled):
    people = [ParticipantFactory(institution=institution) for _ in range(2)]
    url = reverse("sessions_portal:onsite_session", args=[scheduled.pk])
    response = client_en.post(url, {"participants": [p.pk for p in people]}, follow=True)
    assert response.redirect_chain[-1][0] == url
    assert set(scheduled.enrolments.values_list("participant_id", flat=True)) == {p.pk for p in people}
    enrolment = scheduled.enrolments.get(participant=people[0])
    html = response.content.decode()
    assert reverse("sessions_portal:enrolment_remove", args=[scheduled.pk, enrolment.pk]) in html
    response = client_en.post(
        reverse("sessions_portal:enrolment_remove", args=[scheduled.pk, enrolment.pk]), follow=True
    )
    assert f"{escape(people[0].full_name)} is taken off the roster." in response.content.decode()
    assert list(scheduled.enrolments.values_list("participant_id", flat=True)) == [people[1].pk]


def test_enrolling_past_the_room_shows_roster_full(client_en, institution, scheduled):
    people = [ParticipantFactory(institution=institution) for _ in range(3)]
    url = reverse("sessions_portal:onsite_session", args=[scheduled.pk])
    response = client_en.post(url, {"participants": [p.pk for p in people]})
    assert response.status_code == 200
    assert "The room holds 2 people: 0 are enrolled, 2 places remain." in response.content.decode()
    assert not Enrolment.objects.exists()


def test_another_institutions_participant_is_not_offered_for_the_roster(client_en, institution, scheduled, other):
    stranger = other[0].participants.get()
    url = reverse("sessions_portal:onsite_session", args=[scheduled.pk])
    assert f'value="{stranger.pk}"' not in client_en.get(url).content.decode()
    response = client_en.post(url, {"participants": [stranger.pk]})
    assert "is not one of the available choices" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_official_b_gets_404_on_as_session_page_roster_and_enrolling(scheduled, institution, other):
    mine = ParticipantFactory(institution=institution)
    enrolment = enrolment_create(session=scheduled, participants=[mine])[0]
    institution_b, official_b = other
    client_b = _logged_in(official_b)
    url = reverse("sessions_portal:onsite_session", args=[scheduled.pk])
    assert client_b.get(url).status_code == 404
    theirs = institution_b.participants.get()
    assert client_b.post(url, {"participants": [theirs.pk]}).status_code == 404
    remove = reverse("sessions_portal:enrolment_remove", args=[scheduled.pk, enrolment.pk])
    assert client_b.post(remove).status_code == 404
    assert list(scheduled.enrolments.values_list("participant_id", flat=True)) == [mine.pk]
    html = client_b.get(reverse("sessions_portal:onsite_sessions")).content.decode()
    assert f'data-testid="onsite-session-{scheduled.pk}"' not in html


def test_after_the_end_the_official_sees_attendance_read_only(client_en, institution, trainer):
    made = TrainingRequestFactory(institution=institution, item__hours=8, expected_participants=5)
    past = _schedule(made, trainer, starts_at=at(-3, 9))  # recorded after the fact
    people = [ParticipantFactory(institution=institution) for _ in range(2)]
    enrolment_create(session=past, participants=people)
    attendance_record(session=past, marks=[(people[0], "full")])
    html = client_en.get(reverse("sessions_portal:onsite_session", args=[past.pk])).content.decode()
    first = html[html.index(f'data-testid="enrolment-{people[0].pk}"') :]
    assert "Full attendance" in first[: first.index("</tr>")]
    second = html[html.index(f'data-testid="enrolment-{people[1].pk}"') :]
    assert "not recorded yet" in second[: second.index("</tr>")]
    assert 'type="radio"' not in html
    # a person with a mark stays on the roster: no remove button for them
    marked = past.enrolments.get(participant=people[0])
    assert reverse("sessions_portal:enrolment_remove", args=[past.pk, marked.pk]) not in html


# session, user, official (view), official and permissions (selector), sessions with roster counts
ONSITE_PAGE_QUERIES = 7


@pytest.mark.parametrize("count", [1, 10])
def test_onsite_sessions_page_runs_a_fixed_number_of_queries(client, trainer, count, django_assert_max_num_queries):
    band_2 = onsite_institution(users=2000)  # 12 hours: room for ten 1-hour sessions
    made = TrainingRequestFactory(institution=band_2, item__hours=10, expected_participants=3)
    for index in range(count):
        session = _schedule(made, trainer, starts_at=at(5 + index, 9), hours=1)
        if index < 2:
            enrolment_create(session=session, participants=[ParticipantFactory(institution=band_2)])
    client.force_login(official_of(band_2))
    client.get(reverse("sessions_portal:onsite_sessions"))  # warm the session and the user
    with django_assert_max_num_queries(ONSITE_PAGE_QUERIES):
        response = client.get(reverse("sessions_portal:onsite_sessions"))
    assert response.content.decode().count('data-testid="onsite-session-') == count


# --- Trainers: schedule and unavailability ------------------------------------------------------


def test_a_trainer_sees_upcoming_and_past_sessions_of_both_kinds_and_blocks(trainer, institution):
    made = TrainingRequestFactory(institution=institution, item__hours=8)
    upcoming = _schedule(made, trainer, starts_at=at(7, 9))
    past = _schedule(made, trainer, starts_at=at(-7, 9))
    classroom = SessionFactory(trainer=trainer)
    block = unavailability_create(trainer=trainer, starts_at=at(20, 9), ends_at=at(22, 9), reason="Yıllık izin")
    someone_else = SessionFactory(trainer=TrainerFactory(), starts_at=at(40, 9))
    html = _logged_in(trainer.user).get(reverse("sessions_portal:trainer_schedule")).content.decode()
    upcoming_table = html[html.index('id="upcoming"') : html.index('id="blocks"')]
    past_table = html[html.index('id="past"') :]
    assert f'data-testid="trainer-session-{upcoming.pk}"' in upcoming_table
    assert f'data-testid="trainer-session-{classroom.pk}"' in upcoming_table
    assert f'data-testid="trainer-session-{past.pk}"' in past_table
    assert reverse("certificates:attendance", args=[past.pk]) in past_table
    assert "Record attendance" in past_table
    assert f'data-testid="block-{block.pk}"' in html and "Yıllık izin" in html
    assert f"trainer-session-{someone_else.pk}" not in html
    assert reverse("sessions_portal:trainer_calendar", args=[trainer.calendar_token]) in html


def test_unavailability_form_adds_a_block(trainer):
    client = _logged_in(trainer.user)
    response = client.post(
        reverse("sessions_portal:trainer_schedule"),
        {"starts_at": f"{dotted(day(91))} 09:00", "ends_at": f"{dotted(day(93))} 18:00", "reason": "Yıllık izin"},
        follow=True,
    )
    assert "The block is added to your work plan." in response.content.decode()
    block = Unavailability.objects.get(trainer=trainer)
    assert timezone.localtime(block.starts_at).strftime("%d.%m.%Y %H:%M") == f"{dotted(day(91))} 09:00"
    assert (block.reason, block.created_by) == ("Yıllık izin", trainer.user)


def test_unavailability_form_refuses_a_block_over_a_booked_session_with_the_conflict_message(trainer, institution):
    made = TrainingRequestFactory(institution=institution, item__hours=8)
    booked = _schedule(made, trainer, starts_at=at(10, 9))
    starts = timezone.localtime(booked.starts_at)
    response = _logged_in(trainer.user).post(
        reverse("sessions_portal:trainer_schedule"),
        {
            "starts_at": (starts - timedelta(hours=1)).strftime("%d.%m.%Y %H:%M"),
            "ends_at": (starts + timedelta(hours=1)).strftime("%d.%m.%Y %H:%M"),
            "reason": "Toplantı",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["starts_at"]
    assert len(errors) == 1 and errors[0].startswith("Eğitmen Çağlar is booked on ")
    assert errors[0].endswith(": cancel or move it first.")
    assert escape(errors[0]) in response.content.decode()
    assert not Unavailability.objects.exists()


def test_a_trainer_removes_own_block_but_gets_404_on_anothers(trainer):
    mine = unavailability_create(trainer=trainer, starts_at=at(30, 9), ends_at=at(31, 9))
    theirs = unavailability_create(trainer=TrainerFactory(), starts_at=at(30, 9), ends_at=at(31, 9))
    client = _logged_in(trainer.user)
    assert client.post(reverse("sessions_portal:unavailability_delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("sessions_portal:unavailability_delete", args=[mine.pk])).status_code == 302
    assert list(Unavailability.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_renewing_the_calendar_link_stops_the_old_one(trainer, client):
    old = trainer.calendar_token
    response = _logged_in(trainer.user).post(reverse("sessions_portal:trainer_calendar_renew"), follow=True)
    trainer.refresh_from_db()
    assert trainer.calendar_token != old
    assert reverse("sessions_portal:trainer_calendar", args=[trainer.calendar_token]) in response.content.decode()
    assert client.get(reverse("sessions_portal:trainer_calendar", args=[old])).status_code == 404
    assert client.get(reverse("sessions_portal:trainer_calendar", args=[trainer.calendar_token])).status_code == 200


def test_trainer_pages_are_404_for_an_official_and_for_an_inactive_trainer(client_en, trainer):
    assert client_en.get(reverse("sessions_portal:trainer_schedule")).status_code == 404
    assert client_en.post(reverse("sessions_portal:trainer_calendar_renew")).status_code == 404
    trainer.is_active = False
    trainer.save(update_fields=["is_active"])
    assert _logged_in(trainer.user).get(reverse("sessions_portal:trainer_schedule")).status_code == 404


# session, user, trainer, upcoming sessions, blocks, past sessions, the trainer for the navbar
SCHEDULE_PAGE_QUERIES = 7


@pytest.mark.parametrize("count", [1, 10])
def test_trainer_schedule_runs_a_fixed_number_of_queries(trainer, count, django_assert_max_num_queries):
    for index in range(count):
        SessionFactory(trainer=trainer, starts_at=at(30 + index, 9))
        SessionFactory(trainer=trainer, starts_at=at(-30 - index, 9), status=SessionStatus.COMPLETED)
        unavailability_create(trainer=trainer, starts_at=at(100 + index, 9), ends_at=at(100 + index, 17))
    client = _logged_in(trainer.user)
    client.get(reverse("sessions_portal:trainer_schedule"))
    with django_assert_max_num_queries(SCHEDULE_PAGE_QUERIES):
        response = client.get(reverse("sessions_portal:trainer_schedule"))
    html = response.content.decode()
    assert html.count('data-testid="trainer-session-') == 2 * count
    assert html.count('data-testid="block-') == count


# --- Attendance sheet ---------------------------------------------------------------------------


@pytest.fixture
def finished(institution, trainer):
    """A 4-hour on-site session that ended three days ago, two people on its roster."""
    made = TrainingRequestFactory(institution=institution, item__hours=8, expected_participants=5)
    session = _schedule(made, trainer, starts_at=at(-3, 9))
    enrolment_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(2)])
    return session


def test_trainer_records_attendance_on_their_finished_session(trainer, finished):
    first, second = [e.participant for e in finished.enrolments.order_by("pk")]
    client = _logged_in(trainer.user)
    url = reverse("certificates:attendance", args=[finished.pk])
    html = client.get(url).content.decode()
    assert html.count('type="radio"') == 6  # full, partial, absent for each of two people
    response = client.post(url, {f"mark_{first.pk}": "full", f"mark_{second.pk}": "partial"}, follow=True)
    assert "Attendance is recorded." in response.content.decode()
    marks = dict(Attendance.objects.filter(session=finished).values_list("participant_id", "status"))
    assert marks == {first.pk: "full", second.pk: "partial"}
    assert Attendance.objects.filter(recorded_by=trainer.user).count() == 2
    finished.refresh_from_db()
    assert finished.status == SessionStatus.COMPLETED
    assert re.search(
        rf'id="id_mark_{first.pk}_0"[^>]*checked|checked[^>]*id="id_mark_{first.pk}_0"', response.content.decode()
    )


def test_a_trainer_may_mark_part_of_the_roster_and_correct_it_later(trainer, finished):
    first, second = [e.participant for e in finished.enrolments.order_by("pk")]
    client = _logged_in(trainer.user)
    url = reverse("certificates:attendance", args=[finished.pk])
    client.post(url, {f"mark_{first.pk}": "absent"})
    finished.refresh_from_db()
    assert finished.status == SessionStatus.ANNOUNCED  # not everyone is marked yet
    client.post(url, {f"mark_{first.pk}": "full", f"mark_{second.pk}": "absent"})
    assert Attendance.objects.get(session=finished, participant=first).status == "full"


def test_a_trainer_gets_404_on_another_trainers_session(finished):
    stranger = TrainerFactory()
    client = _logged_in(stranger.user)
    url = reverse("certificates:attendance", args=[finished.pk])
    first = finished.enrolments.first().participant
    assert client.get(url).status_code == 404
    assert client.post(url, {f"mark_{first.pk}": "full"}).status_code == 404
    assert not Attendance.objects.exists()


def test_an_official_gets_404_on_an_attendance_sheet_even_of_their_own_session(client_en, finished):
    assert client_en.get(reverse("certificates:attendance", args=[finished.pk])).status_code == 404


def test_the_attendance_sheet_says_not_yet_before_the_end(trainer, scheduled, institution):
    person = ParticipantFactory(institution=institution)
    enrolment_create(session=scheduled, participants=[person])
    client = _logged_in(trainer.user)
    url = reverse("certificates:attendance", args=[scheduled.pk])
    html = client.get(url).content.decode()
    end = timezone.localtime(scheduled.ends_at).strftime("%d.%m.%Y %H:%M")
    assert 'data-testid="not-yet"' in html
    assert f"Attendance can be recorded once the session is over, from {end}." in html
    assert 'type="radio"' not in html
    response = client.post(url, {f"mark_{person.pk}": "full"})  # the service refuses it too
    assert "Attendance is recorded after the session ends (" in response.content.decode()
    assert not Attendance.objects.exists()


def test_programme_staff_may_open_any_sessions_sheet(staff_user, finished):
    first = finished.enrolments.order_by("pk").first().participant
    client = _logged_in(staff_user)
    url = reverse("certificates:attendance", args=[finished.pk])
    assert client.get(url).status_code == 200
    client.post(url, {f"mark_{first.pk}": "absent"})
    assert Attendance.objects.get(session=finished, participant=first).recorded_by == staff_user


def test_a_classroom_sessions_sheet_lists_its_confirmed_seats(trainer):
    from sessions.services import reservation_create

    session = SessionFactory(trainer=trainer)
    people = [ParticipantFactory() for _ in range(2)]
    for person in people:
        reservation_create(session=session, participants=[person])
    type(session).objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - timedelta(hours=5), ends_at=timezone.now() - timedelta(hours=1)
    )
    html = _logged_in(trainer.user).get(reverse("certificates:attendance", args=[session.pk])).content.decode()
    for person in people:
        assert f'data-testid="attendance-{person.pk}"' in html


# --- The calendar feed --------------------------------------------------------------------------


def _unfolded(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def test_the_ics_feed_lists_the_trainers_sessions_with_turkish_letters_intact(client, trainer, institution):
    course = Course.objects.create(code="TR-101", title_tr=TURKISH_TITLE, title_en="Signing", audience="user", hours=4)
    made = TrainingRequestFactory(institution=institution, item__course=course, item__hours=8)
    session = _schedule(made, trainer, starts_at=at(12, 9))
    cancelled = _schedule(made, trainer, starts_at=at(14, 9))
    onsite_session_cancel(session=cancelled)
    block = unavailability_create(trainer=trainer, starts_at=at(20, 9), ends_at=at(21, 9), reason="Diş hekimi")
    elsewhere = SessionFactory(trainer=TrainerFactory(), starts_at=at(12, 9))

    response = client.get(reverse("sessions_portal:trainer_calendar", args=[trainer.calendar_token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    body = raw.decode("utf-8")  # valid UTF-8 throughout, folding never cut a letter
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    lines = _unfolded(body)
    assert f"SUMMARY:{escape_text(TURKISH_TITLE)}" in lines
    assert "SUMMARY:İmza\\, şifre\\; ğ ı ve Ç ö ü eğitimi" in lines
    assert f"UID:training-session-{session.pk}@egitim-portali.kamusm" in lines
    assert f"DTSTART:{session.starts_at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}" in lines
    assert f"DTEND:{session.ends_at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}" in lines
    assert "LOCATION:Hükümet Konağı\\, Kat 3\\, Ankara" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:") and "Iğdır" in line)
    assert "Iğdır Valiliği" in description and "\\n" in description
    assert f"UID:training-session-{cancelled.pk}@egitim-portali.kamusm" in lines
    cancelled_event = body[body.index(f"training-session-{cancelled.pk}@") :]
    assert "STATUS:CANCELLED" in cancelled_event[: cancelled_event.index("END:VEVENT")]
    assert f"UID:unavailability-{block.pk}@egitim-portali.kamusm" in lines
    assert any(line.startswith("SUMMARY:") and "Diş hekimi" in line for line in lines)
    assert f"training-session-{elsewhere.pk}@" not in body
    assert body.count("BEGIN:VEVENT") == 3


def test_the_ics_feed_is_404_for_a_wrong_token(client, trainer):
    assert client.get(reverse("sessions_portal:trainer_calendar", args=["x" * 43])).status_code == 404
    assert client.get(f"/trainers/calendar/{trainer.calendar_token}x.ics").status_code == 404
    trainer.is_active = False
    trainer.save(update_fields=["is_active"])
    assert client.get(reverse("sessions_portal:trainer_calendar", args=[trainer.calendar_token])).status_code == 404


def test_the_ics_feed_runs_a_fixed_number_of_queries(client, trainer, django_assert_max_num_queries):
    for index in range(10):
        SessionFactory(trainer=trainer, starts_at=at(30 + index, 9))
        unavailability_create(trainer=trainer, starts_at=at(60 + index, 9), ends_at=at(60 + index, 17))
    with django_assert_max_num_queries(3):  # the trainer, sessions, blocks
        client.get(reverse("sessions_portal:trainer_calendar", args=[trainer.calendar_token]))


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("a,b;c\\d", "a\\,b\\;c\\\\d"), ("iki\nsatır", "iki\\nsatır"), ("crlf\r\nson", "crlf\\nson")],
)
def test_ics_text_is_escaped(text, escaped):
    assert escape_text(text) == escaped


def test_ics_lines_fold_at_75_octets_between_letters():
    line = "SUMMARY:" + "ğİş" * 40  # two octets a letter
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert folded.replace("\r\n ", "") == line
    assert fold("SUMMARY:kısa") == "SUMMARY:kısa"


def test_preferred_windows_use_the_dotted_date_format(client_en, institution):
    training_request_create(
        institution=institution,
        program=institution.entitlements.get().program,
        items=[{"course": _course("EIMZA-101"), "hours": 2}],
        province=Province.objects.get(plate=6),
        expected_participants=10,
        preferred_dates=[{"from": day(91), "to": day(92)}],
    )
    html = client_en.get(reverse("sessions_portal:requests")).content.decode()
    assert f"{dotted(day(91))} – {dotted(day(92))}" in html


def test_a_user_without_institution_gets_a_notice_on_the_official_pages(client, program):
    client.force_login(UserFactory())
    _english(client)
    for name in ("requests", "request_new", "onsite_sessions"):
        html = client.get(reverse(f"sessions_portal:{name}")).content.decode()
        assert 'data-testid="no-institution-notice"' in html, name


def test_a_trainer_lands_on_their_schedule_and_an_on_site_official_sees_the_request_link(client):
    from tests.sessions.factories import TrainerFactory

    trainer = TrainerFactory()
    client.force_login(trainer.user)
    assert client.get("/").url == reverse("sessions_portal:trainer_schedule")

    from entitlements.models import Official
    from tests.entitlements.factories import UserFactory
    from tests.sessions.factories import onsite_institution

    official = UserFactory()
    Official.objects.create(user=official, institution=onsite_institution())
    client.force_login(official)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert reverse("sessions_portal:request_new") in page


# --- No hours left: the form does not open ------------------------------------------------------


def test_with_no_hours_left_the_request_form_does_not_open_and_says_why_once(client_en, institution):
    TrainingRequestFactory(institution=institution, item__hours=8)  # the band's 8 hours all held
    response = client_en.get(reverse("sessions_portal:request_new"))
    html = response.content.decode()
    assert 'id="request-form"' not in html
    assert re.search(r'data-testid="hours-right">8<', html) and re.search(r'data-testid="hours-held">8<', html)
    assert re.search(r'data-testid="hours-remaining">0<', html)
    assert html.count("Your institution has no on-site training hours left to request.") == 1
    assert "Of its 8 hours, 0 are in scheduled sessions and 8 are held by open requests." in html
    posted = client_en.post(reverse("sessions_portal:request_new"), _request_data([(_course("EIMZA-101"), 2)]))
    assert 'id="request-form"' not in posted.content.decode()
    assert TrainingRequest.objects.filter(institution=institution).count() == 1


def test_a_refused_request_says_it_once(client_en, institution):
    TrainingRequestFactory(institution=institution, item__hours=2)
    data = _request_data([(_course("EIMZA-101"), 4), (_course("EIMZA-201"), 3)])
    html = client_en.post(reverse("sessions_portal:request_new"), data).content.decode()
    assert html.count("7 hours are asked but 6 remain") == 1


def test_the_window_fields_are_earliest_and_latest_with_an_example_ahead_of_today(client_en, institution):
    html = client_en.get(reverse("sessions_portal:request_new")).content.decode()
    assert re.search(r"<label[^>]*>\s*Earliest", html) and re.search(r"<label[^>]*>\s*Latest", html)
    assert not re.search(r"<label[^>]*>\s*(From|To)\b", html)
    example = html[html.index('data-testid="windows-example"') :]
    found = re.findall(r"(\d\d)\.(\d\d)\.(\d{4})", example[: example.index("</p>")])
    earliest, latest = (datetime(int(y), int(m), int(d), tzinfo=UTC).date() for d, m, y in found)
    assert timezone.localdate() < earliest < latest


def test_the_window_fields_read_en_erken_and_en_gec_in_turkish(client, official, institution):
    client.force_login(official)
    html = client.get(reverse("sessions_portal:request_new")).content.decode()
    assert "En erken" in html and "En geç" in html
    assert "Alt sınır" not in html and "Üst sınır" not in html


def test_the_trainers_unavailability_form_says_starts_and_ends(trainer):
    html = _logged_in(trainer.user).get(reverse("sessions_portal:trainer_schedule")).content.decode()
    form = html[html.index('id="unavailability-form"') :]
    assert re.search(r'<label\s+for="id_starts_at"[^>]*>\s*Starts', form)
    assert re.search(r'<label\s+for="id_ends_at"[^>]*>\s*Ends', form)


def test_the_on_site_lists_stack_into_cards_on_a_phone_each_cell_named(client_en, institution, trainer):
    made = TrainingRequestFactory(institution=institution, item__hours=8)
    session = _schedule(made, trainer, starts_at=at(10, 9), hours=4)
    ParticipantFactory(institution=institution)
    for url, table, names in (
        (reverse("sessions_portal:requests"), "requests", ["Request", "Status", "Province", "Preferred dates"]),
        (reverse("sessions_portal:onsite_sessions"), "onsite-sessions", ["Course", "Dates", "Hours", "Trainer"]),
        (reverse("sessions_portal:onsite_session", args=[session.pk]), "roster", []),
    ):
        html = client_en.get(url).content.decode()
        tag = re.search(rf'<table class="([^"]*)" id="{table}">', html)
        assert tag and "table-stack" in tag.group(1).split(), url
        for name in names:
            assert f'data-label="{name}"' in html, (url, name)


def test_with_no_hours_left_the_requests_page_offers_no_new_request(client_en, institution):
    url = reverse("sessions_portal:requests")
    assert 'data-testid="new-request"' in client_en.get(url).content.decode()
    TrainingRequestFactory(institution=institution, item__hours=8)
    html = client_en.get(url).content.decode()
    assert 'data-testid="new-request"' not in html
    assert "Your institution has no on-site training hours left to request." in html
