"""Usage above the right as the faces show the stored state (docs/domain.md, "Usage above the
right"): the admin's filter and column, an account manager's rows, the official's page wording.
The state itself is written by ``sessions.services.entitlements_usage_check``
(tests/sessions/test_usage_above_right.py); here it is stored directly."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from entitlements.models import Entitlement, Institution
from tests.entitlements.factories import UserFactory, institution_with_entitlements, official_of

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:entitlements_entitlement_changelist"


def _flag(institution: Institution, *, notified: bool) -> Entitlement:
    now = timezone.now()
    Entitlement.objects.filter(institution=institution).update(
        usage_above_right_since=now, usage_above_right_notified_at=now if notified else None
    )
    return Entitlement.objects.get(institution=institution)


def _rows(client, **params) -> list[Entitlement]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_admin_filter_lists_only_the_flagged_rows_and_shows_since(admin_client, program):
    flagged = _flag(institution_with_entitlements(merkez=500), notified=True)
    calm = Entitlement.objects.get(institution=institution_with_entitlements(merkez=500))

    assert _rows(admin_client, usage_above_right="yes") == [flagged]
    assert _rows(admin_client, usage_above_right="no") == [calm]
    assert set(_rows(admin_client)) == {flagged, calm}
    page = admin_client.get(reverse(CHANGELIST), {"usage_above_right": "yes"}).content.decode()
    assert "column-usage_above_right_since" in page
    assert 'value="recompute"' in page


def test_an_account_manager_sees_the_flagged_rows_of_their_institutions_only(client, program):
    manager = UserFactory(is_staff=True)
    mine = _flag(institution_with_entitlements(merkez=500, account_manager=manager), notified=True)
    _flag(institution_with_entitlements(merkez=500), notified=True)
    client.force_login(manager)

    assert _rows(client, usage_above_right="yes") == [mine]
    assert client.get(reverse("admin:entitlements_entitlement_change", args=[mine.pk])).status_code == 200
    response = client.get(reverse(CHANGELIST))
    assert 'value="recompute"' not in response.content.decode()  # reading only: programme staff recompute


def _page(institution: Institution) -> str:
    from django.test import Client

    client = Client()
    client.force_login(official_of(institution))
    response = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="tr")
    assert response.status_code == 200
    return response.content.decode()


def test_the_officials_page_says_the_centre_was_told_only_once_it_was(program):
    institution = institution_with_entitlements(merkez=500)
    assert 'data-testid="entitlement-flag"' not in _page(institution)

    _flag(institution, notified=False)
    page = _page(institution)
    assert "Kullanım hakkı aşıyor" in page
    assert "Kamu SM durumu inceleyecektir" in page
    assert "Kamu SM&#x27;ye bildirilmiştir" not in page and "Kamu SM'ye bildirilmiştir" not in page

    _flag(institution, notified=True)
    page = _page(institution)
    assert "Kamu SM&#x27;ye bildirilmiştir" in page or "Kamu SM'ye bildirilmiştir" in page
    assert "Kamu SM durumu inceleyecektir" not in page
