"""Institutions over the API: token login, who sees and edits what, units inline, filters, officials
and a fixed number of queries for the list."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from entitlements.models import Entitlement, Institution, InstitutionKind, Official, UnitLevel
from tests.entitlements.factories import UserFactory, client_for, institution_with_entitlements, official_of, unit

pytestmark = pytest.mark.django_db

User = get_user_model()


def _payload(**overrides):
    body = {
        "name": "Çevre ve Şehircilik Bakanlığı",
        "code": "38530",
        "kind": "ministry",
        "units": [
            {"level": "merkez", "name": "Merkez", "province": 6, "active_users": 60},
            {"level": "il", "name": "İstanbul İl Müdürlüğü", "province": 34, "active_users": 30},
            {"level": "ilce", "name": "Çankaya İlçe", "province": 6, "district": "Çankaya", "active_users": 20},
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def own():
    return institution_with_entitlements(name="Kendi Kurumu", merkez=50)


@pytest.fixture
def other():
    return institution_with_entitlements(name="Başka Kurum", merkez=500)


@pytest.fixture
def official(own):
    return client_for(official_of(own))


# --- Token login ----------------------------------------------------------------------------


def test_token_login_answers_200_with_a_token_that_authenticates(api_client, own):
    user = official_of(own)

    response = api_client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "secret-pass-123"}, format="json"
    )

    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    listed = api_client.get("/api/v1/institutions/")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["results"]] == [own.pk]


@pytest.mark.parametrize(
    "body",
    [{"username": "nobody", "password": "wrong"}, {"username": "", "password": ""}, {}],
    ids=["wrong", "blank", "missing"],
)
def test_bad_login_answers_400_invalid(api_client, body):
    UserFactory(username="nobody")

    response = api_client.post("/api/v1/auth/token/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"]
    assert response.json()["fields"]


def test_token_login_works_with_login_lockout_enabled(api_client, settings):
    settings.AXES_ENABLED = True
    UserFactory(username="ayse")

    bad = api_client.post("/api/v1/auth/token/", {"username": "ayse", "password": "wrong"}, format="json")
    good = api_client.post("/api/v1/auth/token/", {"username": "ayse", "password": "secret-pass-123"}, format="json")

    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"
    assert good.status_code == 200


def test_a_stale_token_does_not_block_logging_in(api_client):
    UserFactory(username="ayse")
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = api_client.post(
        "/api/v1/auth/token/", {"username": "ayse", "password": "secret-pass-123"}, format="json"
    )

    assert response.status_code == 200


def test_an_invalid_token_is_401(own):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = client.get("/api/v1/institutions/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- Anonymous ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/institutions/"),
        ("post", "/api/v1/institutions/"),
        ("get", "/api/v1/institutions/{id}/"),
        ("patch", "/api/v1/institutions/{id}/"),
        ("get", "/api/v1/institutions/{id}/officials/"),
        ("post", "/api/v1/institutions/{id}/officials/"),
        ("get", "/api/v1/institutions/{id}/entitlements/"),
    ],
)
def test_anonymous_gets_401_with_the_token_challenge(api_client, own, method, path):
    response = getattr(api_client, method)(path.format(id=own.pk), {}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"code": "not_authenticated", "detail": response.json()["detail"], "fields": {}}


# --- Staff create and edit ------------------------------------------------------------------


def test_staff_create_an_institution_with_central_provincial_and_district_units(staff, staff_user, program):
    response = staff.post("/api/v1/institutions/", _payload(account_manager=staff_user.pk), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Çevre ve Şehircilik Bakanlığı"
    assert body["code"] == "38530"
    assert body["kind"] == "ministry"
    assert body["account_manager"] == staff_user.pk
    assert body["is_active"] is True
    assert body["total_active_users"] == 110
    units = body["units"]
    assert [{k: v for k, v in u.items() if k != "id"} for u in units] == [
        {"level": "merkez", "name": "Merkez", "province": 6, "district": None, "active_users": 60},
        {"level": "il", "name": "İstanbul İl Müdürlüğü", "province": 34, "district": None, "active_users": 30},
        {"level": "ilce", "name": "Çankaya İlçe", "province": 6, "district": "Çankaya", "active_users": 20},
    ]
    assert all(isinstance(u["id"], int) for u in units)
    entitlement = Entitlement.objects.get(institution_id=body["id"], program=program)
    assert entitlement.category.code == "1"  # 110 users: the sum, not any unit alone


def test_merkez_needs_no_province(staff):
    response = staff.post(
        "/api/v1/institutions/",
        _payload(units=[{"level": "merkez", "name": "Merkez", "active_users": 5}]),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["units"][0]["province"] is None


def test_district_is_matched_turkish_insensitively_within_its_province(staff):
    units = [
        {"level": "merkez", "name": "Merkez", "active_users": 5},
        {"level": "ilce", "name": "Gölbaşı", "province": 6, "district": "GOLBASI", "active_users": 5},
    ]

    response = staff.post("/api/v1/institutions/", _payload(units=units), format="json")

    assert response.status_code == 201
    district_unit = next(u for u in response.json()["units"] if u["level"] == "ilce")
    assert (district_unit["province"], district_unit["district"]) == (6, "Gölbaşı")


def test_district_outside_its_province_is_refused_naming_the_unit(staff):
    units = [
        {"level": "merkez", "name": "Merkez", "active_users": 5},
        {"level": "ilce", "name": "Kadıköy İlçe", "province": 34, "district": "Kadıköy", "active_users": 5},
        {"level": "ilce", "name": "Çankaya İlçe", "province": 34, "district": "Çankaya", "active_users": 5},
    ]

    response = staff.post("/api/v1/institutions/", _payload(units=units), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["units"]
    assert list(body["fields"]["units"]) == ["2"]
    assert list(body["fields"]["units"]["2"]) == ["district"]
    assert not Institution.objects.filter(code="38530").exists()


def test_unknown_district_is_refused(staff):
    units = [
        {"level": "merkez", "name": "Merkez", "active_users": 5},
        {"level": "ilce", "name": "X", "province": 6, "district": "Atlantis", "active_users": 5},
    ]

    response = staff.post("/api/v1/institutions/", _payload(units=units), format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "units": {"1": {"district": response.json()["fields"]["units"]["1"]["district"]}}
    }


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"level": "il", "name": "İl", "active_users": 5}, "province"),
        ({"level": "ilce", "name": "İlçe", "province": 6, "active_users": 5}, "district"),
        ({"level": "il", "name": "İl", "province": 6, "district": "Çankaya", "active_users": 5}, "district"),
        ({"level": "ilce", "name": "İlçe", "district": "Çankaya", "active_users": 5}, "district"),
        ({"level": "il", "name": "İl", "province": 82, "active_users": 5}, "province"),
        ({"level": "il", "name": "İl", "province": 6, "active_users": -1}, "active_users"),
        ({"level": "bolge", "name": "Bölge", "province": 6, "active_users": 5}, "level"),
        ({"name": "İl", "province": 6, "active_users": 5}, "level"),
        ({"level": "il", "province": 6, "active_users": 5}, "name"),
        ({"level": "il", "name": "İl", "province": 6}, "active_users"),
    ],
)
def test_unit_errors_name_the_unit_index_and_field(staff, extra, field):
    units = [{"level": "merkez", "name": "Merkez", "active_users": 5}, extra]

    response = staff.post("/api/v1/institutions/", _payload(units=units), format="json")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]["units"]["1"]


@pytest.mark.parametrize(
    "units",
    [
        [{"level": "il", "name": "İl", "province": 6, "active_users": 5}],
        [
            {"level": "merkez", "name": "Merkez", "active_users": 5},
            {"level": "merkez", "name": "Merkez 2", "active_users": 5},
        ],
        [],
    ],
    ids=["none", "two", "empty"],
)
def test_exactly_one_central_unit_is_required(staff, units):
    response = staff.post("/api/v1/institutions/", _payload(units=units), format="json")

    assert response.status_code == 400
    # no units at all is a malformed field; units without exactly one central one break the rule
    assert response.json()["code"] == ("one_central_unit" if units else "invalid")
    assert "units" in response.json()["fields"]


def test_the_same_unit_twice_is_refused(staff):
    twice = {"level": "il", "name": "İl", "province": 6, "active_users": 5}
    units = [{"level": "merkez", "name": "Merkez", "active_users": 5}, twice, twice]

    response = staff.post("/api/v1/institutions/", _payload(units=units), format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]["units"]) == ["2"]


def test_units_are_required_and_must_be_a_list(staff):
    missing = staff.post("/api/v1/institutions/", {"name": "A", "code": "1"}, format="json")
    not_a_list = staff.post("/api/v1/institutions/", _payload(units={"level": "merkez"}), format="json")

    assert missing.status_code == 400
    assert "units" in missing.json()["fields"]
    assert not_a_list.status_code == 400
    assert "units" in not_a_list.json()["fields"]


def test_code_is_unique(staff, own):
    response = staff.post("/api/v1/institutions/", _payload(code=own.code), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_institution_code"
    assert "code" in response.json()["fields"]


@pytest.mark.parametrize("kind", list(InstitutionKind.values))
def test_every_kind_of_api_md_is_accepted(staff, kind):
    response = staff.post("/api/v1/institutions/", _payload(kind=kind), format="json")

    assert response.status_code == 201
    assert response.json()["kind"] == kind


def test_unknown_kind_is_refused(staff):
    response = staff.post("/api/v1/institutions/", _payload(kind="company"), format="json")

    assert response.status_code == 400
    assert "kind" in response.json()["fields"]


def test_account_manager_must_be_staff_of_the_centre(staff):
    outsider = UserFactory()

    response = staff.post("/api/v1/institutions/", _payload(account_manager=outsider.pk), format="json")

    assert response.status_code == 400
    assert "account_manager" in response.json()["fields"]


def test_staff_patch_fields_and_keep_units(staff, own):
    response = staff.patch(f"/api/v1/institutions/{own.pk}/", {"name": "Yeni Ad", "kind": "university"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Yeni Ad"
    assert response.json()["kind"] == "university"
    assert response.json()["total_active_users"] == 50
    own.refresh_from_db()
    assert own.name == "Yeni Ad"


def test_staff_patch_units_replace_them_and_recompute_the_entitlement(staff, own, program):
    units = [
        {"level": "merkez", "name": "Merkez", "active_users": 500},
        {"level": "il", "name": "Ankara İl", "province": 6, "active_users": 600},
    ]

    response = staff.patch(f"/api/v1/institutions/{own.pk}/", {"units": units}, format="json")

    assert response.status_code == 200
    assert response.json()["total_active_users"] == 1100
    assert len(response.json()["units"]) == 2
    assert Entitlement.objects.get(institution=own, program=program).category.code == "2"


def test_patch_leaves_out_fields_alone(staff, staff_user):
    inst = institution_with_entitlements(kind=InstitutionKind.UNIVERSITY)
    staff.patch(f"/api/v1/institutions/{inst.pk}/", {"account_manager": staff_user.pk}, format="json")

    response = staff.patch(f"/api/v1/institutions/{inst.pk}/", {"name": "Yeni Ad"}, format="json")

    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["is_active"]) == ("university", True)
    assert response.json()["account_manager"] == staff_user.pk
    cleared = staff.patch(f"/api/v1/institutions/{inst.pk}/", {"account_manager": None}, format="json")
    assert cleared.json()["account_manager"] is None


def test_staff_may_deactivate_an_institution(staff, own):
    response = staff.patch(f"/api/v1/institutions/{own.pk}/", {"is_active": False}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is False


def test_staff_may_rename_the_central_unit(staff, own):
    merkez_pk = own.units.get(level="merkez").pk
    units = [{"level": "merkez", "name": "Genel Merkez", "active_users": 50}]

    response = staff.patch(f"/api/v1/institutions/{own.pk}/", {"units": units}, format="json")

    assert response.status_code == 200
    assert [u["name"] for u in response.json()["units"]] == ["Genel Merkez"]
    assert own.units.get(level="merkez").pk == merkez_pk


def test_patch_checks_every_field_of_a_unit(staff, own):
    response = staff.patch(f"/api/v1/institutions/{own.pk}/", {"units": [{"name": "Merkez"}]}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]["units"]["0"]) == {"level", "active_users"}


def test_put_is_not_offered(staff, own):
    assert staff.put(f"/api/v1/institutions/{own.pk}/", _payload(), format="json").status_code == 405


# --- Officials see their own only -----------------------------------------------------------


def test_official_lists_only_their_own_institution(official, own, other):
    response = official.get("/api/v1/institutions/")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [i["id"] for i in response.json()["results"]] == [own.pk]


def test_official_reads_their_own_institution(official, own):
    response = official.get(f"/api/v1/institutions/{own.pk}/")

    assert response.status_code == 200
    assert response.json()["total_active_users"] == 50


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("get", "entitlements/"),
        ("get", "officials/"),
        ("post", "officials/"),
    ],
)
def test_another_institution_is_404_for_an_official(official, other, method, suffix):
    body = {"name": "X"} if method != "post" else {"username": "x", "email": "x@example.gov.tr"}

    response = getattr(official, method)(f"/api/v1/institutions/{other.pk}/{suffix}", body, format="json")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": response.json()["detail"], "fields": {}}
    other.refresh_from_db()
    assert other.name == "Başka Kurum"


def test_put_and_delete_answer_alike_for_any_id(official, own, other):
    """405 says nothing about whether the institution exists."""
    for pk in (own.pk, other.pk, 999999):
        assert official.put(f"/api/v1/institutions/{pk}/", {}, format="json").status_code == 405
        assert official.delete(f"/api/v1/institutions/{pk}/").status_code == 405


def test_official_may_not_edit_their_own_institution(official, own):
    response = official.patch(f"/api/v1/institutions/{own.pk}/", {"name": "Hacked"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    own.refresh_from_db()
    assert own.name == "Kendi Kurumu"


def test_official_may_not_create_institutions(official):
    response = official.post("/api/v1/institutions/", _payload(), format="json")

    assert response.status_code == 403
    assert not Institution.objects.filter(code="38530").exists()


def test_official_may_not_add_officials_to_their_own_institution(official, own):
    body = {"username": "yeni", "email": "yeni@example.gov.tr", "first_name": "A", "last_name": "B"}

    assert official.post(f"/api/v1/institutions/{own.pk}/officials/", body, format="json").status_code == 403
    assert official.get(f"/api/v1/institutions/{own.pk}/officials/").status_code == 403
    assert not User.objects.filter(username="yeni").exists()


def test_a_user_with_no_role_sees_no_institution(own):
    client = client_for(UserFactory())

    assert client.get("/api/v1/institutions/").json()["count"] == 0
    assert client.get(f"/api/v1/institutions/{own.pk}/").status_code == 404
    assert client.get(f"/api/v1/institutions/{own.pk}/entitlements/").status_code == 404
    assert client.post("/api/v1/institutions/", _payload(), format="json").status_code == 403


def test_staff_see_every_institution(staff, own, other):
    response = staff.get("/api/v1/institutions/")

    assert {i["id"] for i in response.json()["results"]} == {own.pk, other.pk}


# --- Filters --------------------------------------------------------------------------------


def test_search_folds_turkish_letters_and_case(staff):
    isik = institution_with_entitlements(name="Işık Üniversitesi", kind=InstitutionKind.UNIVERSITY)
    institution_with_entitlements(name="Sağlık Bakanlığı", kind=InstitutionKind.MINISTRY)

    for term in ("IŞIK", "ışık", "isik", "ISIK"):
        response = staff.get("/api/v1/institutions/", {"search": term})
        assert [i["id"] for i in response.json()["results"]] == [isik.pk], term


def test_search_finds_by_code(staff):
    inst = institution_with_entitlements(code="DETSIS-123")
    institution_with_entitlements()

    response = staff.get("/api/v1/institutions/", {"search": "detsis-123"})

    assert [i["id"] for i in response.json()["results"]] == [inst.pk]


def test_filter_by_kind(staff):
    university = institution_with_entitlements(kind=InstitutionKind.UNIVERSITY)
    institution_with_entitlements(kind=InstitutionKind.MINISTRY)

    response = staff.get("/api/v1/institutions/", {"kind": "university"})

    assert [i["id"] for i in response.json()["results"]] == [university.pk]
    assert staff.get("/api/v1/institutions/", {"kind": "company"}).status_code == 400


def test_filter_by_province_finds_institutions_with_a_unit_there(staff):
    in_izmir = institution_with_entitlements(
        merkez=5, units=[unit(UnitLevel.IL, 7, plate=35), unit(UnitLevel.IL, 3, plate=35, name="2")]
    )
    institution_with_entitlements(merkez=5, units=[unit(UnitLevel.IL, 7, plate=6)])

    response = staff.get("/api/v1/institutions/", {"province": 35})

    results = response.json()["results"]
    assert [i["id"] for i in results] == [in_izmir.pk]
    assert results[0]["total_active_users"] == 15  # the filter does not multiply the sum
    assert staff.get("/api/v1/institutions/", {"province": "abc"}).status_code == 400
    assert staff.get("/api/v1/institutions/", {"province": "6.5"}).status_code == 400


# --- A fixed number of queries --------------------------------------------------------------


def _institutions(count: int) -> None:
    for n in range(count):
        institution_with_entitlements(
            merkez=n,
            units=[
                unit(UnitLevel.IL, 10, plate=34),
                unit(UnitLevel.ILCE, 5, plate=6, district="Çankaya"),
            ],
        )


# token, the user's two permission queries, count, institutions, their units
LIST_QUERIES = 6


@pytest.mark.parametrize("count", [5, 50])
def test_staff_list_runs_a_fixed_number_of_queries(staff, count, django_assert_num_queries):
    _institutions(count)

    with django_assert_num_queries(LIST_QUERIES):
        response = staff.get("/api/v1/institutions/")

    assert response.json()["count"] == count
    assert all(len(i["units"]) == 3 for i in response.json()["results"])


@pytest.mark.parametrize("count", [5, 50])
def test_official_list_runs_a_fixed_number_of_queries(count, django_assert_max_num_queries):
    _institutions(count)
    client = client_for(official_of(Institution.objects.first()))

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get("/api/v1/institutions/")

    assert response.json()["count"] == 1


# --- Officials ------------------------------------------------------------------------------


def test_staff_add_an_official_with_a_password(staff, own, api_client):
    body = {
        "username": "mehmet",
        "email": "mehmet@example.gov.tr",
        "first_name": "Mehmet",
        "last_name": "Öztürk",
        "password": "Kurum-Yetkili-2012!",
    }

    response = staff.post(f"/api/v1/institutions/{own.pk}/officials/", body, format="json")

    assert response.status_code == 201
    user = User.objects.get(username="mehmet")
    assert response.json() == {"id": user.pk, "username": "mehmet"}
    assert Official.objects.get(user=user).institution == own
    login = api_client.post(
        "/api/v1/auth/token/", {"username": "mehmet", "password": "Kurum-Yetkili-2012!"}, format="json"
    )
    assert login.status_code == 200
    assert len(mail.outbox) == 0


def test_an_official_without_a_password_gets_a_set_password_email(staff, own, django_capture_on_commit_callbacks):
    body = {"username": "zeynep", "email": "zeynep@example.gov.tr", "first_name": "Zeynep", "last_name": "Kaya"}

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/api/v1/institutions/{own.pk}/officials/", body, format="json")

    assert response.status_code == 201
    user = User.objects.get(username="zeynep")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zeynep@example.gov.tr"]
    assert "/accounts/reset/" in mail.outbox[0].body
    assert "zeynep" in mail.outbox[0].body


def test_official_with_a_taken_username_is_refused(staff, own):
    UserFactory(username="ali")
    body = {"username": "ali", "email": "ali@example.gov.tr", "first_name": "Ali", "last_name": "Veli"}

    response = staff.post(f"/api/v1/institutions/{own.pk}/officials/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "username_taken"
    assert "username" in response.json()["fields"]


def test_official_with_a_weak_password_is_refused(staff, own):
    body = {"username": "ali", "email": "ali@example.gov.tr", "first_name": "Ali", "last_name": "V", "password": "1"}

    response = staff.post(f"/api/v1/institutions/{own.pk}/officials/", body, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert not User.objects.filter(username="ali").exists()


def test_official_fields_are_checked(staff, own):
    response = staff.post(f"/api/v1/institutions/{own.pk}/officials/", {"username": "a b"}, format="json")

    assert response.status_code == 400
    assert {"username", "email", "first_name", "last_name"} <= set(response.json()["fields"])


def test_staff_list_the_officials_of_an_institution(staff, own, other):
    mine = official_of(own)
    official_of(other)

    response = staff.get(f"/api/v1/institutions/{own.pk}/officials/")

    assert response.status_code == 200
    assert [o["id"] for o in response.json()["results"]] == [mine.pk]
    assert response.json()["results"][0]["username"] == mine.username
