"""The centre's admin for sessions: create through the service, announce and cancel actions, roster."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from sessions.models import Course, SessionStatus, TrainingSession, Venue
from sessions.services import reservation_create
from tests.sessions.factories import ParticipantFactory, SessionFactory, standard_institution


def _form(program, starts_at, **extra):
    return {
        "program": program.pk,
        "course": Course.objects.get(code="EIMZA-101").pk,
        "venue": Venue.objects.get(province_id=6).pk,
        "starts_at_0": timezone.localtime(starts_at).strftime("%d.%m.%Y"),
        "starts_at_1": "09:00",
        "ends_at_0": timezone.localtime(starts_at).strftime("%d.%m.%Y"),
        "ends_at_1": "13:00",
        "capacity": "",
        **extra,
    }


def test_staff_create_a_draft_session_with_the_default_capacity(admin_client, program):
    response = admin_client.post(
        reverse("admin:training_sessions_trainingsession_add"), _form(program, timezone.now() + timedelta(days=40))
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    session = TrainingSession.objects.get()
    assert (session.status, session.capacity) == (SessionStatus.DRAFT, 24)


def test_a_capacity_above_the_venue_is_shown_next_to_the_field(admin_client, program):
    response = admin_client.post(
        reverse("admin:training_sessions_trainingsession_add"),
        _form(program, timezone.now() + timedelta(days=40), capacity="99"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["capacity"]
    assert not TrainingSession.objects.exists()


def _change_form(session, **extra):
    """The change form of ``session`` as the admin shows it, with ``extra`` changed."""
    starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return {
        "course": session.course_id,
        "venue": session.venue_id,
        "starts_at_0": starts.strftime("%d.%m.%Y"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "ends_at_0": ends.strftime("%d.%m.%Y"),
        "ends_at_1": ends.strftime("%H:%M:%S"),
        "capacity": str(session.capacity),
        "trainer": "",
        **extra,
    }


def test_a_capacity_below_the_confirmed_seats_is_refused_on_the_field_saying_how_many(admin_client):
    session = SessionFactory(capacity=3)
    institution = standard_institution()
    reservation_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(4)])
    url = reverse("admin:training_sessions_trainingsession_change", args=[session.pk])

    response = admin_client.post(url, _change_form(session, capacity="2"), HTTP_ACCEPT_LANGUAGE="tr")

    assert response.status_code == 200
    message = "3 yer zaten onaylanmış: kapasite bu sayının altına düşürülemez."
    assert response.context["adminform"].form.errors == {"capacity": [message]}
    assert message in response.content.decode()
    session.refresh_from_db()
    assert session.capacity == 3
    assert session.reservations.filter(status="confirmed").count() == 3


def test_a_capacity_lowered_to_the_confirmed_seats_is_saved(admin_client):
    session = SessionFactory(capacity=5)
    institution = standard_institution()
    reservation_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(3)])
    url = reverse("admin:training_sessions_trainingsession_change", args=[session.pk])

    response = admin_client.post(url, _change_form(session, capacity="3"))

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.capacity == 3


def test_the_announce_action_goes_through_the_notice_rule(admin_client, program):
    early = SessionFactory(status=SessionStatus.DRAFT, starts_at=timezone.now() + timedelta(days=5))
    late = SessionFactory(status=SessionStatus.DRAFT, starts_at=timezone.now() + timedelta(days=30))
    admin_client.post(
        reverse("admin:training_sessions_trainingsession_changelist"),
        {"action": "announce", "_selected_action": [early.pk, late.pk]},
    )
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, late.status) == (SessionStatus.DRAFT, SessionStatus.ANNOUNCED)


def test_the_cancel_action_frees_the_seats(admin_client):
    session = SessionFactory()
    institution = standard_institution()
    reservation_create(session=session, participants=[ParticipantFactory(institution=institution)])
    admin_client.post(
        reverse("admin:training_sessions_trainingsession_changelist"),
        {"action": "cancel", "_selected_action": [session.pk]},
    )
    assert set(session.reservations.values_list("status", flat=True)) == {"cancelled"}


def test_the_session_page_shows_roster_and_waiting_list_in_order(admin_client):
    session = SessionFactory(capacity=1)
    institution = standard_institution()
    people = [ParticipantFactory(institution=institution, first_name=name) for name in ("Ayşe", "Barış", "Çiğdem")]
    reservation_create(session=session, participants=people)
    page = admin_client.get(reverse("admin:training_sessions_trainingsession_change", args=[session.pk]))
    text = page.content.decode()
    assert text.index("Ayşe") < text.index("Barış") < text.index("Çiğdem")
    assert "#1" in text and "#2" in text


def test_session_and_reservation_changelists_render(admin_client):
    SessionFactory()
    for name in ("trainingsession", "reservation", "participant", "course", "venue"):
        assert admin_client.get(reverse(f"admin:training_sessions_{name}_changelist")).status_code == 200
