"""The officials' reservation page under "the six are six people": a person who holds a live seat
on another session of the program is shown unticked and disabled, with the session they hold; a
page sent with them anyway is refused on the form, next to the participants, naming them and the
session they hold (docs/domain.md, "The six are six people")."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from sessions.models import Reservation
from sessions.services import reservation_create, seat_held_reason
from sessions.services.shared import local_datetime
from tests.entitlements.factories import OfficialFactory
from tests.sessions.factories import ParticipantFactory, SessionFactory, standard_institution

pytestmark = pytest.mark.django_db


@pytest.fixture
def institution(program):
    return standard_institution(name="Iğdır İl Sağlık Müdürlüğü")


@pytest.fixture
def official_client(client, institution):
    client.force_login(OfficialFactory(institution=institution).user)
    return client


@pytest.mark.parametrize("language", ["tr", "en"])
def test_a_person_holding_a_seat_elsewhere_is_refused_next_to_the_participants(official_client, institution, language):
    official_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    person = ParticipantFactory(institution=institution, first_name="İlknur", last_name="Işık")
    newcomer = ParticipantFactory(institution=institution, first_name="Ömer", last_name="Şahin")
    held = SessionFactory()
    reservation_create(session=held, participants=[person])
    later = SessionFactory(starts_at=timezone.now() + timedelta(days=45))
    url = reverse("sessions_portal:reserve", args=[later.pk])

    page = official_client.get(url)
    html = page.content.decode()
    with translation.override(language):
        named = f"{held.course.code} {held.course.title} ({local_datetime(held.starts_at)})"
        reason = seat_held_reason(Reservation.objects.select_related("session__course").get(participant=person))
    assert named in reason
    checkbox = re.search(rf'<input[^>]*value="{person.pk}"[^>]*>', html)
    assert checkbox and " disabled" in checkbox.group(0) and " checked" not in checkbox.group(0)
    box_id = re.search(r'id="([^"]+)"', checkbox.group(0)).group(1)
    label = re.search(rf'for="{box_id}"[^>]*>\s*(.*?)\s*</label>', html, re.S)
    assert label and escape(reason) in label.group(1) and "İlknur Işık" in label.group(1)
    newcomer_box = re.search(rf'<input[^>]*value="{newcomer.pk}"[^>]*>', html)
    assert newcomer_box and " disabled" not in newcomer_box.group(0)
    assert page.context["selectable"] == 1

    # Sent anyway (a page open before the seat was taken): the service refuses, saying it whole.
    response = official_client.post(url, {"participants": [person.pk, newcomer.pk]})

    assert response.status_code == 200
    (error,) = response.context["form"].errors["participants"]
    assert "İlknur Işık" in error and named in error and "Ömer Şahin" not in error
    assert not response.context["form"].non_field_errors()
    html = response.content.decode()
    # Shown in the participants' field, under its checkboxes (the field's feedback), not at the top.
    feedback = re.search(r'id="error_\d+_id_participants"[^>]*>\s*(?:<strong>)?(.*?)</', html, flags=re.S)
    assert feedback is not None
    assert feedback.group(1).strip() == escape(error)
    assert not Reservation.objects.filter(session=later).exists()


def _reserve_page(client, session):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("sessions_portal:reserve", args=[session.pk]))
    return response, len(queries)


def test_people_holding_a_seat_elsewhere_do_not_count_in_the_hint_and_cost_no_query_each(official_client, institution):
    official_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    later = SessionFactory(starts_at=timezone.now() + timedelta(days=45))
    for _ in range(4):
        ParticipantFactory(institution=institution)
    first = ParticipantFactory(institution=institution)
    reservation_create(session=SessionFactory(), participants=[first])
    _response, one_holder = _reserve_page(official_client, later)
    second = ParticipantFactory(institution=institution)
    reservation_create(session=SessionFactory(), participants=[second])  # on a session of its own

    response, two_holders = _reserve_page(official_client, later)

    assert two_holders == one_holder  # their sessions and courses are read with the reservations
    # 6 people listed, 2 of them disabled: 4 can be chosen, within the 4 places left of the quota
    assert response.context["remaining"] == 4 and response.context["selectable"] == 4
    html = response.content.decode()
    for person in (first, second):
        assert re.search(rf'<input[^>]*value="{person.pk}"[^>]*disabled', html)
    assert "Choose at most" not in html
