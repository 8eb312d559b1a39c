"""The centre's admin for certificates: a read-only list for programme staff with filters, a
Turkish-aware search that takes a code as typed from paper, the batch progress of a session, and
revoke / re-render actions through the services."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate, CertificateStatus
from certificates.services import attendance_record
from entitlements.models import Program
from sessions.models import TrainingSession
from tests.certificates.factories import onsite_finished
from tests.entitlements.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:certificates_certificate_changelist"


def _certified(people: int = 1, **participant) -> tuple[TrainingSession, list[Certificate]]:
    """A session whose ``people`` attended in full: one (pending) certificate each."""
    session, participants = onsite_finished(people, **participant)
    attendance_record(session=session, marks=[(p, "full") for p in participants])
    return session, list(Certificate.objects.filter(session=session).order_by("pk"))


def _ids(response) -> list[int]:
    return sorted(c.pk for c in response.context["cl"].result_list)


def _action(client, action: str, certificates, **extra):
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [c.pk for c in certificates], **extra}
    )


# --- The list --------------------------------------------------------------------------------


def test_programme_staff_see_the_certificates_with_their_verification_links(staff_client, settings):
    settings.PORTAL_BASE_URL = "https://egitim.kamusm.gov.tr/"
    _session, (certificate,) = _certified(1)
    response = staff_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert _ids(response) == [certificate.pk]
    text = response.content.decode()
    assert certificate.serial in text
    assert certificate.participant_name in text
    assert f'href="https://egitim.kamusm.gov.tr/verify/{certificate.code}/"' in text
    assert certificate.code_display in text


def test_the_list_runs_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    session, _one = _certified(1)
    url = reverse(CHANGELIST)
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as one_batch:
        assert staff_client.get(url, {"session": session.pk}).status_code == 200
    second, _ten = _certified(6)
    _third, _more = _certified(3)
    assert Certificate.objects.count() == 10
    with django_assert_max_num_queries(len(one)):
        response = staff_client.get(url)
    assert len(response.context["cl"].result_list) == 10
    with django_assert_max_num_queries(len(one_batch)):
        response = staff_client.get(url, {"session": second.pk})
    assert len(response.context["cl"].result_list) == 6


def test_filters_by_status_and_program(staff_client):
    _session, (ready, pending) = _certified(2)
    Certificate.objects.filter(pk=ready.pk).update(status=CertificateStatus.READY, ready_at=timezone.now())
    other_session, (elsewhere,) = _certified(1)
    other = Program.objects.create(name="2013 eğitim programı", year=2013)
    TrainingSession.objects.filter(pk=other_session.pk).update(program=other)

    assert _ids(staff_client.get(reverse(CHANGELIST), {"status__exact": "ready"})) == [ready.pk]
    assert _ids(staff_client.get(reverse(CHANGELIST), {"status__exact": "pending"})) == sorted(
        [pending.pk, elsewhere.pk]
    )
    program_2012 = Program.objects.get(year=2012)
    assert _ids(staff_client.get(reverse(CHANGELIST), {"session__program__id__exact": program_2012.pk})) == sorted(
        [ready.pk, pending.pk]
    )
    assert _ids(staff_client.get(reverse(CHANGELIST), {"session__program__id__exact": other.pk})) == [elsewhere.pk]


def test_filters_by_session_and_institution(staff_client):
    session, (first, second) = _certified(2)
    _other_session, (other,) = _certified(1)
    assert _ids(staff_client.get(reverse(CHANGELIST), {"session": session.pk})) == [first.pk, second.pk]
    response = staff_client.get(reverse(CHANGELIST), {"institution__id__exact": other.institution_id})
    assert _ids(response) == [other.pk]
    assert staff_client.get(reverse(CHANGELIST), {"session": "abc"}).status_code == 302  # ?e=1, as Django does


def test_a_session_filter_shows_the_progress_of_its_batch(staff_client):
    session, (ready, failed, revoked, _pending) = _certified(4)
    Certificate.objects.filter(pk=ready.pk).update(status=CertificateStatus.READY)
    Certificate.objects.filter(pk=failed.pk).update(status=CertificateStatus.FAILED, error="font missing")
    Certificate.objects.filter(pk=revoked.pk).update(status=CertificateStatus.REVOKED, revoked_reason="Hata")
    _certified(2)  # another session's batch is not counted
    response = staff_client.get(reverse(CHANGELIST), {"session": session.pk})
    batch = response.context["batch"]
    assert batch["session"] == session
    assert batch["total"] == 4
    assert batch["live"] == 3
    assert {label: count for label, count, _url in batch["statuses"]} == {
        str(CertificateStatus.PENDING.label): 1,
        str(CertificateStatus.READY.label): 1,
        str(CertificateStatus.FAILED.label): 1,
        str(CertificateStatus.REVOKED.label): 1,
    }
    assert batch["percent_ready"] == 33
    assert 'id="certificate-batch"' in response.content.decode()
    assert "batch" not in staff_client.get(reverse(CHANGELIST)).context  # only for one session


# --- Search ----------------------------------------------------------------------------------


def test_a_code_typed_from_paper_with_dashes_and_lower_case_finds_the_certificate(staff_client):
    _session, (certificate, _other) = _certified(2)
    typed = certificate.code_display.lower().replace("0", "o").replace("1", "l")
    assert "-" in typed
    assert _ids(staff_client.get(reverse(CHANGELIST), {"q": f"  {typed} "})) == [certificate.pk]


def test_search_by_serial_number(staff_client):
    _session, (_first, second) = _certified(2)
    assert _ids(staff_client.get(reverse(CHANGELIST), {"q": second.serial.lower()})) == [second.pk]


def test_search_by_name_is_turkish_aware(staff_client):
    _session, (isik,) = _certified(1, first_name="İnci", last_name="Işık")
    _session, (_other,) = _certified(1, first_name="Ayşe", last_name="Yılmaz")
    for typed in ("Işık", "IŞIK", "ışık", "isik", "inci ISIK", "İNCİ"):
        assert _ids(staff_client.get(reverse(CHANGELIST), {"q": typed})) == [isik.pk], typed


def test_search_by_institution_name(staff_client):
    _session, (certificate,) = _certified(1)
    _session, (_other,) = _certified(1)
    typed = certificate.institution.name.upper().replace("Ü", "U")
    assert _ids(staff_client.get(reverse(CHANGELIST), {"q": typed})) == [certificate.pk]


# --- Actions ---------------------------------------------------------------------------------


def test_revoking_asks_for_a_reason_then_revokes_and_keeps_the_history(staff_client, staff_user):
    _session, (certificate, untouched) = _certified(2)
    response = _action(staff_client, "revoke", [certificate])
    assert response.status_code == 200
    assert response.templates[0].name == "admin/certificates/certificate/revoke.html"
    assert certificate.serial in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.PENDING  # nothing happens without a reason

    response = _action(staff_client, "revoke", [certificate], apply="1", reason="  ")
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]

    response = _action(staff_client, "revoke", [certificate], apply="1", reason="Yanlış kişiye düzenlendi.")
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revoked_reason, certificate.revoked_by) == (
        CertificateStatus.REVOKED,
        "Yanlış kişiye düzenlendi.",
        staff_user,
    )
    assert certificate.code and certificate.serial  # the record and its code stay
    history = list(certificate.history.order_by("history_date", "history_id"))
    assert [h.status for h in history] == [CertificateStatus.PENDING, CertificateStatus.REVOKED]
    assert (history[-1].history_user, history[-1].history_change_reason) == (staff_user, "Yanlış kişiye düzenlendi.")
    untouched.refresh_from_db()
    assert untouched.status == CertificateStatus.PENDING
    history_page = staff_client.get(reverse("admin:certificates_certificate_history", args=[certificate.pk]))
    assert history_page.status_code == 200


def test_a_failed_row_is_reported_and_the_others_are_revoked(staff_client):
    _session, (already, fresh) = _certified(2)
    Certificate.objects.filter(pk=already.pk).update(status=CertificateStatus.REVOKED, revoked_reason="Önceden")
    response = _action(staff_client, "revoke", [already, fresh], apply="1", reason="Katılım düzeltildi.")
    assert response.status_code == 302
    fresh.refresh_from_db()
    already.refresh_from_db()
    assert fresh.status == CertificateStatus.REVOKED
    assert already.revoked_reason == "Önceden"
    levels = [m.level_tag for m in get_messages(response.wsgi_request)]
    assert sorted(levels) == ["error", "success"]


def test_re_rendering_sets_live_certificates_pending_again_and_leaves_revoked_ones(staff_client):
    _session, (failed, ready, revoked) = _certified(3)
    Certificate.objects.filter(pk=failed.pk).update(status=CertificateStatus.FAILED, error="font missing", attempts=3)
    Certificate.objects.filter(pk=ready.pk).update(status=CertificateStatus.READY, ready_at=timezone.now())
    Certificate.objects.filter(pk=revoked.pk).update(status=CertificateStatus.REVOKED, revoked_reason="Hata")
    response = _action(staff_client, "rerender", [failed, ready, revoked])
    assert response.status_code == 302
    for certificate in (failed, ready, revoked):
        certificate.refresh_from_db()
    assert (failed.status, failed.error) == (CertificateStatus.PENDING, "")
    assert ready.status == CertificateStatus.PENDING
    assert revoked.status == CertificateStatus.REVOKED


# --- Read-only records, who sees them --------------------------------------------------------


def test_certificates_are_never_added_edited_or_deleted_by_hand(staff_client):
    _session, (certificate,) = _certified(1)
    assert staff_client.get(reverse("admin:certificates_certificate_add")).status_code == 403
    assert staff_client.post(reverse("admin:certificates_certificate_delete", args=[certificate.pk])).status_code == 403
    change_url = reverse("admin:certificates_certificate_change", args=[certificate.pk])
    page = staff_client.get(change_url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    staff_client.post(change_url, {"participant_name": "Başka Biri", "hours": 99})
    certificate.refresh_from_db()
    assert (certificate.participant_name, certificate.hours) != ("Başka Biri", 99)
    actions = staff_client.get(reverse(CHANGELIST)).context["action_form"].fields["action"].choices
    assert {name for name, _label in actions} == {"", "revoke", "rerender"}  # no delete_selected


def test_an_account_manager_and_a_trainer_see_nothing(client):
    session, (certificate,) = _certified(1)
    manager = UserFactory(is_staff=True)
    certificate.institution.account_manager = manager
    certificate.institution.save()
    for user in (manager, session.trainer.user):
        client.force_login(user)
        assert client.get(reverse(CHANGELIST)).status_code == 403
        assert client.get(reverse("admin:certificates_certificate_change", args=[certificate.pk])).status_code == 403
        assert _action(client, "revoke", [certificate], apply="1", reason="x").status_code == 403
        index = client.get(reverse("admin:index"))
        assert reverse(CHANGELIST) not in index.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.PENDING
