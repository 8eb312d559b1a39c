"""Participants over the API: an institution's officials and programme staff manage them; the
kimlik no is checked and masked; another institution's participant is 404 for every method."""

import pytest

from entitlements.models import Unit, UnitLevel
from sessions.api.participants import ParticipantSerializer
from sessions.models import Participant, ReservationStatus
from sessions.services import reservation_create
from tests.entitlements.factories import UserFactory, client_for, official_of, unit
from tests.sessions.factories import ParticipantFactory, SessionFactory, kimlik_no, people, standard_institution

pytestmark = pytest.mark.django_db

VALID_KIMLIK_NO = "10000000146"
BAD_CHECKSUM = "12345678901"


@pytest.fixture
def own():
    return standard_institution(name="Kendi Kurumu", units=[unit(UnitLevel.IL, 10, name="Ankara İl", plate=6)])


@pytest.fixture
def other():
    return standard_institution(name="Başka Kurum")


@pytest.fixture
def official(own):
    return client_for(official_of(own))


def _body(**overrides):
    body = {"first_name": "Işıl", "last_name": "Güneş", "email": "isil@kurum.gov.tr"}
    body.update(overrides)
    return body


# --- Create ---------------------------------------------------------------------------------


def test_an_official_nominates_a_participant_of_their_institution_in_its_central_unit(official, own):
    response = official.post("/api/v1/participants/", _body(kimlik_no=VALID_KIMLIK_NO), format="json")

    assert response.status_code == 201
    body = response.json()
    participant = Participant.objects.get(pk=body["id"])
    assert participant.institution == own
    assert participant.unit == Unit.objects.get(institution=own, level="merkez")
    assert body["institution"] == own.pk
    assert body["unit"] == participant.unit_id
    assert (body["role"], body["multiplier"], body["language"]) == ("user", False, "tr")
    assert body["kimlik_no"] == VALID_KIMLIK_NO


def test_an_official_may_choose_a_unit_role_multiplier_and_language(official, own):
    il = Unit.objects.get(institution=own, level="il")

    response = official.post(
        "/api/v1/participants/",
        _body(unit=il.pk, role="technical", multiplier=True, language="en"),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["unit"], body["role"], body["multiplier"], body["language"]) == (il.pk, "technical", True, "en")


def test_an_official_cannot_use_a_unit_of_another_institution(official, other):
    foreign = Unit.objects.get(institution=other, level="merkez")

    response = official.post("/api/v1/participants/", _body(unit=foreign.pk), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "unit" in response.json()["fields"]
    assert not Participant.objects.exists()


def test_an_official_cannot_nominate_for_another_institution(official, own, other):
    response = official.post("/api/v1/participants/", _body(institution=other.pk), format="json")

    assert response.status_code == 400
    assert "institution" in response.json()["fields"]
    assert not Participant.objects.filter(institution=other).exists()


def test_staff_nominate_for_the_institution_they_name(staff, other):
    response = staff.post("/api/v1/participants/", _body(institution=other.pk), format="json")

    assert response.status_code == 201
    assert Participant.objects.get(pk=response.json()["id"]).institution == other


def test_staff_must_name_the_institution(staff):
    response = staff.post("/api/v1/participants/", _body(), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "institution" in response.json()["fields"]


def test_a_user_who_is_neither_official_nor_staff_may_not_nominate():
    response = client_for(UserFactory()).post("/api/v1/participants/", _body(), format="json")

    assert response.status_code == 403


def test_a_kimlik_no_with_a_bad_checksum_is_invalid_kimlik_no(official):
    response = official.post("/api/v1/participants/", _body(kimlik_no=BAD_CHECKSUM), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_kimlik_no"
    assert "kimlik_no" in response.json()["fields"]
    assert response.json()["detail"]
    assert not Participant.objects.exists()


def test_a_patch_with_a_bad_kimlik_no_is_invalid_kimlik_no(official, own):
    participant = people(own, 1)[0]

    response = official.patch(f"/api/v1/participants/{participant.pk}/", {"kimlik_no": "1234"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_kimlik_no"


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_names_are_required(official, field):
    body = _body()
    del body[field]

    response = official.post("/api/v1/participants/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


def test_an_email_is_unique_within_an_institution_whatever_its_case(official, own):
    ParticipantFactory(institution=own, email="isil@kurum.gov.tr")

    response = official.post("/api/v1/participants/", _body(email="ISIL@kurum.gov.tr"), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_email"
    assert "email" in response.json()["fields"]


def test_the_same_email_and_kimlik_no_may_serve_in_two_institutions(official, staff, other):
    number = kimlik_no()
    first = staff.post("/api/v1/participants/", _body(institution=other.pk, kimlik_no=number), format="json")

    second = official.post("/api/v1/participants/", _body(kimlik_no=number), format="json")

    assert (first.status_code, second.status_code) == (201, 201)


def test_a_kimlik_no_is_unique_within_an_institution(official):
    number = kimlik_no()
    official.post("/api/v1/participants/", _body(kimlik_no=number), format="json")

    response = official.post(
        "/api/v1/participants/", _body(email="baska@kurum.gov.tr", kimlik_no=number), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_kimlik_no"
    assert "kimlik_no" in response.json()["fields"]


# --- Read and the masked kimlik no ----------------------------------------------------------


def test_an_official_lists_only_their_own_participants_with_the_kimlik_no_whole(official, own, other):
    mine = people(own, 2)
    Participant.objects.filter(pk=mine[0].pk).update(kimlik_no=VALID_KIMLIK_NO)
    people(other, 3)

    response = official.get("/api/v1/participants/")

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert {p["id"] for p in response.json()["results"]} == {p.pk for p in mine}
    assert VALID_KIMLIK_NO in {p["kimlik_no"] for p in response.json()["results"]}


def test_staff_see_every_institution_whole_and_filter_by_institution(staff, own, other):
    people(own, 2)
    theirs = people(other, 1)[0]
    Participant.objects.filter(pk=theirs.pk).update(kimlik_no=VALID_KIMLIK_NO)

    everyone = staff.get("/api/v1/participants/")
    filtered = staff.get(f"/api/v1/participants/?institution={other.pk}")

    assert everyone.json()["count"] == 3
    assert [p["id"] for p in filtered.json()["results"]] == [theirs.pk]
    assert filtered.json()["results"][0]["kimlik_no"] == VALID_KIMLIK_NO


def test_the_kimlik_no_is_masked_for_anyone_but_staff_and_own_officials(own):
    participant = people(own, 1)[0]
    participant.kimlik_no = "12345678950"

    shown = ParticipantSerializer(participant, context={"staff": False, "institution_id": None}).data
    own_official = ParticipantSerializer(participant, context={"staff": False, "institution_id": own.pk}).data
    staff = ParticipantSerializer(participant, context={"staff": True, "institution_id": None}).data

    assert shown["kimlik_no"] == "123******50"
    assert own_official["kimlik_no"] == staff["kimlik_no"] == "12345678950"


def test_a_participant_without_kimlik_no_shows_it_empty(official, own):
    participant = people(own, 1)[0]

    response = official.get(f"/api/v1/participants/{participant.pk}/")

    assert response.status_code == 200
    assert response.json()["kimlik_no"] == ""


def test_a_plain_user_lists_nobody(own):
    people(own, 2)

    response = client_for(UserFactory()).get("/api/v1/participants/")

    assert response.json()["count"] == 0


# --- Update and delete ----------------------------------------------------------------------


def test_an_official_changes_their_participant(official, own):
    participant = people(own, 1)[0]

    response = official.patch(
        f"/api/v1/participants/{participant.pk}/",
        {"last_name": "Yıldız", "role": "technical", "kimlik_no": VALID_KIMLIK_NO},
        format="json",
    )

    assert response.status_code == 200
    participant.refresh_from_db()
    assert (participant.last_name, participant.role, participant.kimlik_no) == ("Yıldız", "technical", VALID_KIMLIK_NO)
    assert response.json()["last_name"] == "Yıldız"
    assert response.json()["first_name"] == participant.first_name


def test_the_institution_of_a_participant_does_not_change(staff, own, other):
    participant = people(own, 1)[0]

    response = staff.patch(f"/api/v1/participants/{participant.pk}/", {"institution": other.pk}, format="json")

    assert response.status_code == 200
    participant.refresh_from_db()
    assert participant.institution == own


def test_deleting_a_participant_without_history_removes_it(official, own):
    participant = people(own, 1)[0]

    response = official.delete(f"/api/v1/participants/{participant.pk}/")

    assert response.status_code == 204
    assert not Participant.objects.filter(pk=participant.pk).exists()


def test_deleting_a_participant_holding_a_live_reservation_is_participant_in_use(official, own):
    participant = people(own, 1)[0]
    reservation_create(session=SessionFactory(), participants=[participant])

    response = official.delete(f"/api/v1/participants/{participant.pk}/")

    assert response.status_code == 400
    assert response.json()["code"] == "participant_in_use"
    assert Participant.objects.filter(pk=participant.pk, anonymised_at__isnull=True).exists()


def test_deleting_a_participant_with_history_anonymises_it(official, own):
    participant = people(own, 1)[0]
    made = reservation_create(session=SessionFactory(), participants=[participant])[0]
    made.status = ReservationStatus.CANCELLED
    made.save(update_fields=["status"])

    response = official.delete(f"/api/v1/participants/{participant.pk}/")

    assert response.status_code == 204
    participant.refresh_from_db()
    assert participant.anonymised_at is not None
    assert official.get(f"/api/v1/participants/{participant.pk}/").status_code == 404


# --- Another institution --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body"),
    [("get", None), ("patch", {"last_name": "X"}), ("delete", None)],
)
def test_another_institutions_participant_is_404_for_every_method(official, other, method, body):
    theirs = people(other, 1)[0]

    response = getattr(official, method)(f"/api/v1/participants/{theirs.pk}/", body, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.last_name == "Güneş"


def test_an_official_cannot_reserve_for_another_institutions_participant(official, own, other):
    theirs = people(other, 1)[0]

    response = official.post(
        "/api/v1/reservations/", {"session": SessionFactory().pk, "participants": [theirs.pk]}, format="json"
    )

    assert response.status_code == 404
    assert not theirs.reservations.exists()


@pytest.mark.parametrize(("method", "path"), [("get", "/api/v1/participants/"), ("post", "/api/v1/participants/")])
def test_anonymous_gets_401(api_client, method, path):
    assert getattr(api_client, method)(path, {}, format="json").status_code == 401


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_anonymous_gets_401_on_a_participant(api_client, own, method):
    participant = people(own, 1)[0]

    assert getattr(api_client, method)(f"/api/v1/participants/{participant.pk}/").status_code == 401


# --- Query budget ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_participant_list_runs_a_fixed_number_of_queries(official, staff, own, count, django_assert_num_queries):
    nominated = people(own, count)
    reservation_create(session=SessionFactory(), participants=nominated[:2])
    official.get("/api/v1/participants/")
    staff.get("/api/v1/participants/")

    # token, two permission queries, (the official's institution twice: list and masking,) count, rows
    with django_assert_num_queries(7):
        assert official.get("/api/v1/participants/").json()["count"] == count
    with django_assert_num_queries(5):
        assert staff.get("/api/v1/participants/").json()["count"] == count
