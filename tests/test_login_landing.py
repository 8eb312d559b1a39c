"""Where the portal's login page lands each user (``kamusm_portal.views.SignInView``): a trainer on
their work plan, an official on their dashboard, other staff where they landed before; a ``next``
asked for wins for everyone."""

import pytest
from django.urls import reverse

from tests.entitlements.factories import OfficialFactory, ProgrammeStaffFactory, UserFactory
from tests.sessions.factories import TrainerFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"  # the factories' own


def sign_in(client, user, **query):
    url = reverse("login")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"username": user.username, "password": PASSWORD, **query})


def test_a_trainer_lands_on_their_work_plan(client):
    trainer = TrainerFactory()

    response = sign_in(client, trainer.user)

    assert response.status_code == 302
    assert response.url == reverse("sessions_portal:trainer_schedule")
    assert client.get(response.url).status_code == 200


def test_a_trainer_asking_for_a_page_lands_on_it(client):
    trainer = TrainerFactory()
    wanted = reverse("sessions_portal:trainer_schedule") + "?from=mail"

    assert sign_in(client, trainer.user, next=wanted).url == wanted


def test_an_official_keeps_the_dashboard(client):
    official = OfficialFactory().user

    assert sign_in(client, official).url == reverse("portal:dashboard")


def test_programme_staff_who_are_also_trainers_keep_their_landing(client):
    staff = ProgrammeStaffFactory()
    TrainerFactory(user=staff)

    assert sign_in(client, staff).url == reverse("portal:dashboard")


def test_an_inactive_trainer_record_does_not_count(client):
    trainer = TrainerFactory(is_active=False)

    assert sign_in(client, trainer.user).url == reverse("portal:dashboard")


def test_staff_who_are_not_trainers_keep_their_landing(client):
    staff = UserFactory(is_staff=True)

    assert sign_in(client, staff).url == reverse("portal:dashboard")


def test_with_the_second_factor_required_the_trainer_is_asked_for_it_on_the_way(client, settings):
    settings.STAFF_OTP_REQUIRED = True
    trainer = TrainerFactory()

    response = sign_in(client, trainer.user)
    assert response.url == reverse("sessions_portal:trainer_schedule")
    step = client.get(response.url)
    assert step.status_code == 302
    # no authenticator yet: enrolment first, then back to the work plan
    assert step.url.startswith(reverse("second_factor_setup"))
    assert "next=" + reverse("sessions_portal:trainer_schedule").replace("/", "%2F") in step.url
