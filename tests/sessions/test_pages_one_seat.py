"""The officials' reservation page under "the six are six people": a person who holds a live seat
on another session of the program is refused on the form, next to the participants, naming them
and the session they hold (docs/domain.md, "The six are six people")."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from sessions.models import Reservation
from sessions.services import reservation_create
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

    page = official_client.get(url).content.decode()
    assert f'value="{person.pk}"' in page  # offered: the rule is said when it is broken, by the service

    response = official_client.post(url, {"participants": [person.pk, newcomer.pk]})

    assert response.status_code == 200
    with translation.override(language):
        named = f"{held.course.code} {held.course.title} ({local_datetime(held.starts_at)})"
    (error,) = response.context["form"].errors["participants"]
    assert "İlknur Işık" in error and named in error and "Ömer Şahin" not in error
    assert not response.context["form"].non_field_errors()
    html = response.content.decode()
    # Shown in the participants' field, under its checkboxes (the field's feedback), not at the top.
    feedback = re.search(r'id="error_\d+_id_participants"[^>]*>\s*(?:<strong>)?(.*?)</', html, flags=re.S)
    assert feedback is not None
    assert feedback.group(1).strip() == escape(error)
    assert not Reservation.objects.filter(session=later).exists()
