"""The officials' pages of the catalog, sessions, reservations and participants.

Pages are read in English (language cookie): the assertions hold the English msgids, so they keep
passing once the Turkish catalog is filled in. Service messages are compared through gettext.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from entitlements.models import Province, UnitLevel
from sessions.models import CourseMaterial, Participant, Reservation, ReservationStatus
from sessions.services import reservation_create
from tests.entitlements.factories import InstitutionFactory, OfficialFactory, UnitFactory, UserFactory, official_of
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    onsite_institution,
    standard_institution,
)

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VALID_KIMLIK_NO = "10000000146"

pytestmark = pytest.mark.django_db


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def institution(program):
    return standard_institution(name="Iğdır İl Sağlık Müdürlüğü")


@pytest.fixture
def official(institution):
    return OfficialFactory(institution=institution, user__username="ayse").user


@pytest.fixture
def client_en(client, official) -> Client:
    client.force_login(official)
    return _english(client)


@pytest.fixture
def people(institution) -> list[Participant]:
    return [
        ParticipantFactory(institution=institution, first_name=first, last_name=last)
        for first, last in (("İlknur", "Işık"), ("Ömer", "Şahin"), ("Ağahan", "Doğan"))
    ]


@pytest.fixture
def other(program):
    """Another Standard institution with a participant holding a reservation."""
    institution = standard_institution(name="Başka Kurum Ğenel Müdürlüğü")
    participant = ParticipantFactory(institution=institution, first_name="Gizli", last_name="Kişi")
    return institution, participant


# --- Every page renders; anonymous users log in first -----------------------------------------


def _page_urls(session, participant) -> list[str]:
    return [
        reverse("sessions_portal:catalog"),
        reverse("sessions_portal:sessions"),
        reverse("sessions_portal:reserve", args=[session.pk]),
        reverse("sessions_portal:reservations"),
        reverse("sessions_portal:participants"),
        reverse("sessions_portal:participant_add"),
        reverse("sessions_portal:participant_edit", args=[participant.pk]),
        reverse("sessions_portal:participant_delete", args=[participant.pk]),
    ]


def test_every_page_renders_for_an_official(client_en, session, people):
    for url in _page_urls(session, people[0]):
        response = client_en.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'href="/sessions/"' in html and 'href="/participants/"' in html  # the navbar links


def test_anonymous_visitor_is_sent_to_log_in_on_every_page(client, session, people):
    urls = _page_urls(session, people[0])
    urls.append(reverse("sessions_portal:reservation_cancel", args=[1]))
    for url in urls:
        response = client.get(url) if not url.endswith("/cancel/") else client.post(url)
        assert response.status_code == 302, url
        assert response.url == f"{reverse('login')}?next={url}"


def test_a_user_without_institution_gets_a_notice_and_404_on_institution_pages(client, program, session):
    client.force_login(UserFactory())
    _english(client)
    html = client.get(reverse("sessions_portal:sessions")).content.decode()
    assert 'data-testid="no-institution-notice"' in html
    assert client.get(reverse("sessions_portal:reserve", args=[session.pk])).status_code == 404
    assert client.get(reverse("sessions_portal:participant_add")).status_code == 404


# --- Catalog ----------------------------------------------------------------------------------


def test_catalog_groups_courses_by_audience_and_shows_materials_to_an_entitled_official(client_en, program):
    from sessions.models import Course

    course = Course.objects.get(code="EIMZA-101")
    CourseMaterial.objects.create(course=course, kind="video", title="Kayıtlı yayın", url="https://video.example/e")
    html = client_en.get(reverse("sessions_portal:catalog")).content.decode()
    assert html.index('data-testid="audience-user"') < html.index('data-testid="audience-technical"')
    assert escape(course.title_en or course.title_tr) in html
    assert '<a href="https://video.example/e" target="_blank" rel="noopener noreferrer">Kayıtlı yayın</a>' in html


def test_catalog_hides_materials_from_a_user_of_an_institution_without_a_right(client, program):
    from sessions.models import Course

    CourseMaterial.objects.create(
        course=Course.objects.get(code="EIMZA-101"), kind="video", title="Kayıtlı yayın", url="https://video.example/e"
    )
    institution = InstitutionFactory(merkez_users=0)  # no users, no band
    client.force_login(official_of(institution))
    html = _english(client).get(reverse("sessions_portal:catalog")).content.decode()
    assert "video.example" not in html
    assert 'data-testid="materials-hidden"' in html


# --- Sessions ---------------------------------------------------------------------------------


def test_sessions_page_shows_free_seats_waiting_list_and_a_reserve_link(client_en, program):
    soon = SessionFactory(capacity=2, starts_at=timezone.now() + timedelta(days=25))
    later = SessionFactory(starts_at=timezone.now() + timedelta(days=40))
    elsewhere = standard_institution()
    reservation_create(session=soon, participants=[ParticipantFactory(institution=elsewhere) for _ in range(3)])
    html = client_en.get(reverse("sessions_portal:sessions")).content.decode()
    assert html.index(f'data-testid="session-{soon.pk}"') < html.index(f'data-testid="session-{later.pk}"')
    row = html[html.index(f'data-testid="session-{soon.pk}"') : html.index(f'data-testid="session-{later.pk}"')]
    assert re.search(r'data-testid="free-seats">0<', row)  # 2 seats, 2 confirmed
    assert re.search(r'data-testid="waitlist-length">1<', row)
    assert timezone.localtime(soon.starts_at).strftime("%d.%m.%Y %H:%M") in row
    assert reverse("sessions_portal:reserve", args=[soon.pk]) in html
    assert reverse("sessions_portal:reserve", args=[later.pk]) in html


def test_an_on_site_institution_sees_sessions_without_a_reserve_link(client, program, session):
    institution = onsite_institution(users=150)
    client.force_login(official_of(institution))
    html = _english(client).get(reverse("sessions_portal:sessions")).content.decode()
    assert f'data-testid="session-{session.pk}"' in html
    assert reverse("sessions_portal:reserve", args=[session.pk]) not in html
    assert 'data-testid="not-entitled"' in html


# session, user, official with its bands (view and navigation), entitlements, the quota's usage (seats
# used, hours used, hours held), user and group permissions + official (selector), sessions
SESSIONS_PAGE_QUERIES = 11


@pytest.mark.parametrize("count", [1, 30])
def test_sessions_page_runs_a_fixed_number_of_queries(client_en, program, people, count, django_assert_max_num_queries):
    for index in range(count):
        made = SessionFactory(starts_at=timezone.now() + timedelta(days=22 + index))
        if index < 3:
            reservation_create(session=made, participants=people[index : index + 1])
    client_en.get(reverse("sessions_portal:sessions"))  # warm the session and the user
    with django_assert_max_num_queries(SESSIONS_PAGE_QUERIES):
        response = client_en.get(reverse("sessions_portal:sessions"))
    assert response.content.decode().count('data-testid="session-') == count


# --- Reserving --------------------------------------------------------------------------------


def test_reserve_page_says_how_many_will_be_confirmed_and_the_remaining_quota(client_en, people):
    session = SessionFactory(capacity=2)
    html = client_en.get(reverse("sessions_portal:reserve", args=[session.pk])).content.decode()
    assert "Up to 2 participants will be confirmed, in the order shown; the rest go on the waiting list." in html
    assert re.search(r'data-testid="free-seats">2<', html)
    assert re.search(r'data-testid="remaining-quota">6<', html)
    for person in people:
        assert f'value="{person.pk}"' in html and escape(person.full_name) in html


def test_reserve_page_of_a_full_session_says_everyone_is_waitlisted(client_en, people):
    session = SessionFactory(capacity=1)
    reservation_create(session=session, participants=[ParticipantFactory(institution=standard_institution())])
    html = client_en.get(reverse("sessions_portal:reserve", args=[session.pk])).content.decode()
    assert "The session is full: every participant you choose goes on the waiting list, in the order shown." in html


def test_reserve_page_lists_neither_participants_already_on_the_session_nor_another_institutions(
    client_en, session, people, other
):
    reservation_create(session=session, participants=people[:1])
    html = client_en.get(reverse("sessions_portal:reserve", args=[session.pk])).content.decode()
    assert f'value="{people[0].pk}"' not in html
    assert f'value="{people[1].pk}"' in html
    assert "Gizli" not in html
    assert re.search(r'data-testid="remaining-quota">5<', html)


def test_reserving_three_participants_confirms_all_three(client_en, session, people):
    url = reverse("sessions_portal:reserve", args=[session.pk])
    response = client_en.post(url, {"participants": [p.pk for p in people]}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("sessions_portal:reservations")
    made = Reservation.objects.filter(session=session)
    assert sorted(made.values_list("status", flat=True)) == ["confirmed"] * 3
    assert {r.applied_by_id for r in made} == {response.context["user"].pk}
    html = response.content.decode()
    names = ", ".join(escape(p.full_name) for p in sorted(people, key=lambda p: (p.last_name, p.first_name)))
    assert f"Confirmed: {names}." in html
    assert html.count('<span class="badge text-bg-success">Confirmed</span>') == 3


def test_an_application_larger_than_the_free_seats_is_split_and_the_message_gives_positions(client_en, people):
    session = SessionFactory(capacity=2)
    response = client_en.post(
        reverse("sessions_portal:reserve", args=[session.pk]), {"participants": [p.pk for p in people]}, follow=True
    )
    html = response.content.decode()
    # shown (and applied) in last-name order: Doğan, Işık, Şahin
    assert "Confirmed: Ağahan Doğan, İlknur Işık. On the waiting list: Ömer Şahin (position 1)." in html
    assert "position 1" in html


def test_an_application_past_the_quota_is_refused_with_the_remaining_places(client_en, institution, people):
    extra = [ParticipantFactory(institution=institution) for _ in range(5)]
    reservation_create(session=SessionFactory(), participants=extra)
    session = SessionFactory()
    response = client_en.post(
        reverse("sessions_portal:reserve", args=[session.pk]), {"participants": [p.pk for p in people[:2]]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The quota of 6 reservations per institution would be passed: 1 place remains." in html
    assert not Reservation.objects.filter(session=session).exists()


def test_a_session_that_is_no_longer_open_refuses_the_application(client_en, people):
    session = SessionFactory(status="completed")
    html = client_en.get(reverse("sessions_portal:reserve", args=[session.pk])).content.decode()
    assert 'data-testid="not-open"' in html
    response = client_en.post(reverse("sessions_portal:reserve", args=[session.pk]), {"participants": [people[0].pk]})
    assert "The session is not open for reservations" in response.content.decode()
    assert not Reservation.objects.exists()


def test_another_institutions_participant_cannot_be_applied_for(client_en, session, people, other):
    _, stranger = other
    response = client_en.post(reverse("sessions_portal:reserve", args=[session.pk]), {"participants": [stranger.pk]})
    assert response.status_code == 200
    assert "is not one of the available choices" in response.content.decode()
    assert not Reservation.objects.exists()


def test_a_draft_or_missing_session_is_404(client_en, people):
    draft = SessionFactory(status="draft", announced_at=None)
    assert client_en.get(reverse("sessions_portal:reserve", args=[draft.pk])).status_code == 404
    assert client_en.get(reverse("sessions_portal:reserve", args=[draft.pk + 999])).status_code == 404


# --- My reservations and cancelling ------------------------------------------------------------


def test_my_reservations_shows_waitlisted_positions_and_cancels(client_en, people):
    session = SessionFactory(capacity=1)
    first, second = reservation_create(session=session, participants=people[:2])
    html = client_en.get(reverse("sessions_portal:reservations")).content.decode()
    assert "position 1" in html
    assert reverse("sessions_portal:reservation_cancel", args=[first.pk]) in html

    response = client_en.post(reverse("sessions_portal:reservation_cancel", args=[first.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("sessions_portal:reservations")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ReservationStatus.CANCELLED
    assert second.status == ReservationStatus.CONFIRMED  # promoted at once
    html = response.content.decode()
    assert f"The reservation of {escape(first.participant.full_name)} is cancelled: their seat on" in html
    assert "seat on " + escape(session.course.title) + " is released." in html


def test_a_started_sessions_reservation_has_no_cancel_button(client_en, people):
    session = SessionFactory()
    made = reservation_create(session=session, participants=people[:1])[0]
    type(session).objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    html = client_en.get(reverse("sessions_portal:reservations")).content.decode()
    assert reverse("sessions_portal:reservation_cancel", args=[made.pk]) not in html
    client_en.post(reverse("sessions_portal:reservation_cancel", args=[made.pk]))
    made.refresh_from_db()
    assert made.status == ReservationStatus.CONFIRMED


def test_another_institutions_reservation_is_neither_shown_nor_cancellable(client_en, session, people, other):
    _, stranger = other
    theirs = reservation_create(session=session, participants=[stranger])[0]
    assert "Gizli" not in client_en.get(reverse("sessions_portal:reservations")).content.decode()
    response = client_en.post(reverse("sessions_portal:reservation_cancel", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ReservationStatus.CONFIRMED
    assert client_en.get(reverse("sessions_portal:reservation_cancel", args=[theirs.pk])).status_code == 404


# --- Participants -----------------------------------------------------------------------------


def test_participants_list_shows_own_participants_only(client_en, people, other):
    html = client_en.get(reverse("sessions_portal:participants")).content.decode()
    for person in people:
        assert escape(person.full_name) in html
    assert "Gizli" not in html


def test_unit_choices_are_the_own_institutions_central_first(client_en, institution, other):
    UnitFactory(
        institution=institution, level=UnitLevel.IL, name="Ankara İl Birimi", province=Province.objects.get(plate=6)
    )
    form = client_en.get(reverse("sessions_portal:participant_add")).context["form"]
    labels = [label for _, label in form.fields["unit"].choices]
    assert labels[0].startswith("Merkez") and labels[1].startswith("Ankara İl Birimi")
    other_units = set(other[0].units.values_list("pk", flat=True))
    assert not other_units & {pk for pk, _ in form.fields["unit"].choices}


def _participant_data(institution, **overrides) -> dict:
    data = {
        "first_name": "Şükrü",
        "last_name": "Güçlü",
        "email": "sukru@kurum.gov.tr",
        "unit": institution.units.get(level="merkez").pk,
        "role": "technical",
        "kimlik_no": VALID_KIMLIK_NO,
        "multiplier": "on",
        "language": "en",
    }
    data.update(overrides)
    return data


def test_an_official_adds_a_participant(client_en, institution):
    response = client_en.post(reverse("sessions_portal:participant_add"), _participant_data(institution))
    assert response.status_code == 302 and response.url == reverse("sessions_portal:participants")
    person = Participant.objects.get(institution=institution, last_name="Güçlü")
    assert (person.role, person.kimlik_no, person.multiplier, person.language) == (
        "technical",
        VALID_KIMLIK_NO,
        True,
        "en",
    )


def test_an_invalid_kimlik_no_is_shown_next_to_the_field(client_en, institution):
    data = _participant_data(institution, kimlik_no="12345678901")
    response = client_en.post(reverse("sessions_portal:participant_add"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["kimlik_no"] == ["Not a valid T.C. kimlik no."]
    assert re.search(
        r'id="error_1_id_kimlik_no"[^>]*>\s*<strong>Not a valid T.C. kimlik no.</strong>', response.content.decode()
    )
    assert not Participant.objects.filter(last_name="Güçlü").exists()


def test_a_duplicate_email_is_shown_next_to_the_field(client_en, institution, people):
    data = _participant_data(institution, email=people[0].email.upper())
    response = client_en.post(reverse("sessions_portal:participant_add"), data)
    assert response.context["form"].errors["email"] == ["A participant of this institution already has this e-mail."]


def test_an_official_edits_a_participant(client_en, institution, people):
    url = reverse("sessions_portal:participant_edit", args=[people[0].pk])
    assert client_en.get(url).context["form"].initial["first_name"] == "İlknur"
    response = client_en.post(url, _participant_data(institution, first_name="İlkay", email=people[0].email))
    assert response.status_code == 302
    people[0].refresh_from_db()
    assert people[0].first_name == "İlkay" and people[0].kimlik_no == VALID_KIMLIK_NO


def test_an_official_removes_a_participant_after_confirming(client_en, people):
    url = reverse("sessions_portal:participant_delete", args=[people[0].pk])
    assert 'id="participant-delete-form"' in client_en.get(url).content.decode()
    response = client_en.post(url)
    assert response.status_code == 302
    assert not Participant.objects.filter(pk=people[0].pk).exists()


def test_a_participant_with_live_reservations_is_kept_with_the_reason(client_en, session, people):
    reservation_create(session=session, participants=people[:1])
    response = client_en.post(reverse("sessions_portal:participant_delete", args=[people[0].pk]), follow=True)
    html = response.content.decode()
    assert f"{escape(people[0].full_name)} holds live reservations: cancel them first." in html
    assert Participant.objects.filter(pk=people[0].pk, anonymised_at__isnull=True).exists()
    assert f'data-testid="participant-{people[0].pk}"' in html


def test_another_institutions_participant_is_404_on_edit_and_delete(client_en, institution, other):
    _, stranger = other
    edit = reverse("sessions_portal:participant_edit", args=[stranger.pk])
    delete = reverse("sessions_portal:participant_delete", args=[stranger.pk])
    assert client_en.get(edit).status_code == 404
    assert client_en.post(edit, _participant_data(institution, first_name="Ele geçirilmiş")).status_code == 404
    assert client_en.get(delete).status_code == 404
    assert client_en.post(delete).status_code == 404
    stranger.refresh_from_db()
    assert stranger.first_name == "Gizli"


# --- CSRF -------------------------------------------------------------------------------------


def test_every_post_form_carries_a_csrf_token(client_en, session, people):
    reservation_create(session=session, participants=people[:1])
    for url in (
        reverse("sessions_portal:reserve", args=[session.pk]),
        reverse("sessions_portal:reservation_cancel", args=[Reservation.objects.get().pk]),
        reverse("sessions_portal:participant_add"),
        reverse("sessions_portal:participant_edit", args=[people[0].pk]),
        reverse("sessions_portal:participant_delete", args=[people[1].pk]),
    ):
        html = client_en.get(url).content.decode()
        forms = re.findall(r'<form[^>]*method="post".*?</form>', html, flags=re.S | re.I)
        assert len(forms) >= 3, url  # the page's form, the language and the logout forms
        assert all(CSRF_INPUT.search(form) for form in forms), url


def test_posts_without_a_csrf_token_are_refused(official, session, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(official)
    made = reservation_create(session=session, participants=people[:1])[0]
    reserve = reverse("sessions_portal:reserve", args=[session.pk])
    assert client.post(reserve, {"participants": [people[1].pk]}).status_code == 403
    assert client.post(reverse("sessions_portal:reservation_cancel", args=[made.pk])).status_code == 403
    assert client.post(reverse("sessions_portal:participant_delete", args=[people[2].pk])).status_code == 403
    assert Reservation.objects.count() == 1 and Participant.objects.filter(pk=people[2].pk).exists()

    token = CSRF_INPUT.search(client.get(reserve).content.decode()).group(1)
    response = client.post(reserve, {"participants": [people[1].pk], "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Reservation.objects.count() == 2


# --- Actions that cannot succeed are not offered ----------------------------------------------


def _use_the_quota(institution) -> None:
    """Six live reservations (the 2012 program's quota) of six people of ``institution``."""
    reservation_create(
        session=SessionFactory(), participants=[ParticipantFactory(institution=institution) for _ in range(6)]
    )


def test_sessions_page_shows_the_quota_left(client_en, institution, people):
    reservation_create(session=SessionFactory(), participants=people[:2])
    html = client_en.get(reverse("sessions_portal:sessions")).content.decode()
    state = html[html.index('data-testid="quota-state"') :]
    assert "2 of 6 live reservations used, 4 left." in state
    assert 'data-testid="quota-used"' not in html


def test_with_the_quota_used_up_no_session_offers_to_reserve_and_the_page_says_why(client_en, institution, people):
    _use_the_quota(institution)
    session = SessionFactory()
    html = client_en.get(reverse("sessions_portal:sessions")).content.decode()
    assert "Quota used: 6 of 6 live reservations in" in html
    assert "cannot reserve another seat until one of its reservations is cancelled" in html
    assert reverse("sessions_portal:reserve", args=[session.pk]) not in html
    button = re.search(rf'<button[^>]*data-testid="reserve-disabled-{session.pk}"[^>]*>', html)
    assert button and " disabled" in button.group(0) and 'aria-describedby="quota-used-' in button.group(0)


def test_with_the_quota_used_up_the_reserve_page_shows_the_state_and_no_form(client_en, institution, people):
    _use_the_quota(institution)
    session = SessionFactory()
    html = client_en.get(reverse("sessions_portal:reserve", args=[session.pk])).content.decode()
    assert 'data-testid="quota-used"' in html
    assert "Quota used: 6 of 6 live reservations in the program." in html
    assert re.search(r'data-testid="remaining-quota">0<', html)
    assert 'id="reservation-form"' not in html
    assert "Choose at most 0" not in html and "at most 0" not in html


def test_an_institution_without_classroom_seats_gets_no_reserve_form_nor_a_quota_of_0(client, program, session):
    onsite = onsite_institution(users=150)
    ParticipantFactory(institution=onsite)
    client.force_login(official_of(onsite))
    html = _english(client).get(reverse("sessions_portal:reserve", args=[session.pk])).content.decode()
    assert 'data-testid="not-entitled"' in html
    assert 'id="reservation-form"' not in html
    assert 'data-testid="remaining-quota"' not in html and "Choose at most" not in html


# --- Cancelling asks first ----------------------------------------------------------------------


def test_cancelling_asks_first_on_a_page_with_a_csrf_form_and_get_changes_nothing(client_en, people):
    session = SessionFactory(capacity=1)
    first, _second = reservation_create(session=session, participants=people[:2])
    url = reverse("sessions_portal:reservation_cancel", args=[first.pk])
    listing = client_en.get(reverse("sessions_portal:reservations")).content.decode()
    assert f'href="{url}"' in listing  # a link to the question, not a one-click form
    assert f'action="{url}"' not in listing

    html = client_en.get(url).content.decode()
    first.refresh_from_db()
    assert first.status == ReservationStatus.CONFIRMED
    facts = html[html.index('data-testid="reservation-facts"') :]
    assert escape(first.participant.full_name) in facts
    assert escape(session.course.title) in facts and session.venue.name in facts
    form = re.search(r'<form method="post" action="' + re.escape(url) + r'".*?</form>', html, flags=re.S)
    assert form and CSRF_INPUT.search(form.group(0))
    assert "Their seat is released at once" in html


def test_cancelling_says_the_seat_is_released_and_never_who_was_promoted(client_en, people, other):
    _, stranger = other
    session = SessionFactory(capacity=1)
    (mine,) = reservation_create(session=session, participants=people[:1])
    (theirs,) = reservation_create(session=session, participants=[stranger])  # waiting, another institution
    response = client_en.post(reverse("sessions_portal:reservation_cancel", args=[mine.pk]), follow=True)
    html = response.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == ReservationStatus.CONFIRMED
    assert "their seat on " + escape(session.course.title) + " is released." in html
    assert "Gizli" not in html and "promoted" not in html.lower()


def test_cancelling_a_waiting_place_says_the_waiting_place_is_released(client_en, people):
    session = SessionFactory(capacity=1)
    _first, waiting = reservation_create(session=session, participants=people[:2])
    html = client_en.get(reverse("sessions_portal:reservation_cancel", args=[waiting.pk])).content.decode()
    assert "position 1" in html and "Their place on the waiting list is released" in html
    response = client_en.post(reverse("sessions_portal:reservation_cancel", args=[waiting.pk]), follow=True)
    assert "their waiting place on " + escape(session.course.title) + " is released." in response.content.decode()


def test_a_reservation_that_can_no_longer_be_cancelled_gets_no_form(client_en, people):
    session = SessionFactory()
    (made,) = reservation_create(session=session, participants=people[:1])
    type(session).objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    url = reverse("sessions_portal:reservation_cancel", args=[made.pk])
    html = client_en.get(url).content.decode()
    assert 'data-testid="not-cancellable"' in html
    assert f'action="{url}"' not in html


# --- The navigation fits the institution's band ------------------------------------------------


def _nav(client) -> str:
    html = client.get(reverse("portal:dashboard")).content.decode()
    return html[html.index('id="portal-nav"') : html.index("</nav>")]


def test_a_standard_official_sees_the_classroom_menu_only(client_en):
    nav = _nav(client_en)
    assert 'href="/sessions/"' in nav and 'href="/reservations/"' in nav
    assert 'id="onsite-menu"' not in nav and 'href="/requests/"' not in nav


def test_an_on_site_official_sees_the_on_site_menu_only(client, program):
    client.force_login(official_of(onsite_institution(users=5000)))
    nav = _nav(_english(client))
    assert 'id="onsite-menu"' in nav and 'href="/requests/"' in nav and 'href="/onsite/"' in nav
    assert 'href="/sessions/"' not in nav and 'href="/reservations/"' not in nav


def test_an_official_of_an_institution_without_a_band_sees_neither_menu(client, program):
    client.force_login(official_of(InstitutionFactory(merkez_users=0)))
    nav = _nav(_english(client))
    assert 'href="/participants/"' in nav and 'href="/certificates/"' in nav
    assert 'href="/sessions/"' not in nav and 'id="onsite-menu"' not in nav


def test_the_public_navigation_offers_certificate_verification(client, program):
    html = _english(client).get(reverse("portal:calculator")).content.decode()
    nav = html[html.index('id="portal-nav"') : html.index("</nav>")]
    assert f'href="{reverse("certificates:verify_lookup")}"' in nav
    assert client.get(reverse("certificates:verify_lookup")).status_code == 200


def _current(nav: str) -> str:
    """The one link of the navigation marked as the current page."""
    assert nav.count('aria-current="page"') == 1
    marked = nav.index('aria-current="page"')
    return nav[nav.rindex("<a ", 0, marked) : nav.index("</a>", marked)]


def test_the_current_page_is_marked_for_screen_readers_not_by_colour_alone(client_en):
    current = _current(_nav(client_en))  # the dashboard
    assert 'href="/dashboard/"' in current and "active" in current


@pytest.mark.parametrize(
    ("url", "marked"),
    [("/requests/", "/requests/"), ("/requests/new/", "/requests/new/"), ("/onsite/", "/onsite/")],
)
def test_the_current_on_site_page_is_marked_in_the_on_site_menu(client, program, url, marked):
    client.force_login(official_of(onsite_institution(users=5000)))
    html = _english(client).get(url).content.decode()
    current = _current(html[html.index('id="portal-nav"') : html.index("</nav>")])
    assert f'href="{marked}"' in current and "dropdown-item active" in current


def test_the_on_site_menu_opens_the_requests_page_without_javascript(client, program):
    client.force_login(official_of(onsite_institution(users=5000)))
    nav = _nav(_english(client))
    toggle = nav[nav.rindex("<a ", 0, nav.index('id="onsite-menu"')) : nav.index("</a>", nav.index('id="onsite-menu"'))]
    assert 'href="/requests/"' in toggle and 'href="#"' not in toggle
    assert "<noscript><style>" in _english(client).get(reverse("portal:dashboard")).content.decode()


def test_a_trainer_is_offered_the_work_plan_first_and_no_dashboard(client, program):
    trainer = TrainerFactory()
    client.force_login(trainer.user)
    html = _english(client).get(reverse("sessions_portal:trainer_schedule")).content.decode()
    nav = html[html.index('id="portal-nav"') : html.index("</nav>")]
    assert 'href="/dashboard/"' not in nav
    links = re.findall(r'class="nav-link[^"]*"[^>]*href="([^"]+)"', nav)
    assert links[0] == reverse("sessions_portal:trainer_schedule")


def test_an_official_is_offered_the_dashboard_first(client_en):
    links = re.findall(r'class="nav-link[^"]*"[^>]*href="([^"]+)"', _nav(client_en))
    assert links[0] == reverse("portal:dashboard")


def test_the_navigation_reads_the_band_with_the_views_official_query(client_en, django_assert_num_queries):
    client_en.get(reverse("sessions_portal:reservations"))  # warm the session and the user
    # session, user, official with its bands (view and navigation: one query), user permissions,
    # group permissions, official (selector), reservations
    with django_assert_num_queries(7):
        html = client_en.get(reverse("sessions_portal:reservations")).content.decode()
    assert 'href="/sessions/"' in html


# --- Lists on a phone: one card per row (portal.css, table-stack) -------------------------------


def test_the_lists_stack_into_cards_on_a_phone_each_cell_named(client_en, session, people):
    reservation_create(session=session, participants=people[:1])
    for url, table, names in (
        (reverse("sessions_portal:sessions"), "sessions", ["Course", "Venue", "Starts", "Free seats"]),
        (reverse("sessions_portal:reservations"), "reservations", ["Participant", "Course", "Status"]),
        (reverse("sessions_portal:participants"), "participants", ["Name", "E-mail", "Unit", "Live reservations"]),
    ):
        html = client_en.get(url).content.decode()
        tag = re.search(rf'<table class="([^"]*)" id="{table}">', html)
        assert tag and "table-stack" in tag.group(1).split(), url
        for name in names:
            assert f'<td data-label="{name}"' in html or f'data-label="{name}"' in html, (url, name)


def test_a_session_of_a_closed_program_offers_no_form_and_says_the_program_is_closed(client, people):
    session = SessionFactory()
    program = session.program
    program.is_open = False
    program.save(update_fields=["is_open"])
    client.force_login(official_of(people[0].institution))

    response = client.get(reverse("sessions_portal:reserve", args=[session.pk]))  # Turkish, the default

    assert response.context["can_apply"] is False and response.context["is_entitled"] is False
    html = response.content.decode()
    assert 'data-testid="program-closed"' in html
    assert f"{escape(str(program))} programı kapalıdır." in html
    assert 'id="reservation-form"' not in html and 'data-testid="remaining-quota"' not in html
