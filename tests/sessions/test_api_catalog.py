"""The catalog and the venues over the API: any logged-in user reads them; course materials only
for programme staff and officials of entitled institutions."""

import pytest

from sessions.models import Course, Venue
from tests.entitlements.factories import UserFactory, client_for, institution_with_entitlements, official_of
from tests.sessions.factories import file_material, standard_institution, video_material

pytestmark = pytest.mark.django_db


@pytest.fixture
def materials(course, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return [file_material(course), video_material(course)]


def _course_row(response, code="EIMZA-101"):
    return next(c for c in response.json()["results"] if c["code"] == code)


@pytest.mark.parametrize("path", ["/api/v1/courses/", "/api/v1/venues/", "/api/v1/courses/1/", "/api/v1/venues/1/"])
def test_anonymous_gets_401(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_any_logged_in_user_reads_the_catalog_with_its_fields():
    response = client_for(UserFactory()).get("/api/v1/courses/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == Course.objects.filter(is_active=True).count() == 6
    row = _course_row(response)
    assert set(row) >= {"id", "code", "title", "audience", "hours", "materials"}
    assert (row["audience"], row["hours"], row["title"]) == ("user", 4, "E-imza kurulumu ve kullanımı")
    assert {c["audience"] for c in body["results"]} == {"user", "technical"}


def test_the_title_follows_the_chosen_language(settings):
    client = client_for(UserFactory())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/api/v1/courses/")

    assert _course_row(response)["title"] == "Installing and using e-signatures"


def test_inactive_courses_are_not_listed():
    Course.objects.filter(code="EIMZA-104").update(is_active=False)

    response = client_for(UserFactory()).get("/api/v1/courses/")

    assert "EIMZA-104" not in {c["code"] for c in response.json()["results"]}


def test_courses_filter_by_audience():
    response = client_for(UserFactory()).get("/api/v1/courses/?audience=technical")

    assert {c["code"] for c in response.json()["results"]} == {"EIMZA-201", "EIMZA-202"}


def test_staff_see_materials_with_video_links_and_absolute_file_urls(staff_user, materials):
    response = client_for(staff_user).get("/api/v1/courses/")

    rows = _course_row(response)["materials"]
    assert [m["kind"] for m in rows] == ["file", "video"]
    assert set(rows[0]) == {"id", "kind", "title", "url"}
    assert rows[0]["url"] == f"http://testserver/catalog/materials/{rows[0]['id']}/"
    assert rows[1]["url"] == "https://video.example.gov.tr/eimza-101"


def test_material_files_download_only_for_entitled_officials_and_staff(staff_user, materials, client):
    file_id = next(m["id"] for m in _course_row(client_for(staff_user).get("/api/v1/courses/"))["materials"])
    url = f"/catalog/materials/{file_id}/"
    client.force_login(official_of(standard_institution()))
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
    client.force_login(official_of(institution_with_entitlements(merkez=0)))
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_an_official_of_an_entitled_institution_sees_materials(materials):
    client = client_for(official_of(standard_institution()))

    response = client.get("/api/v1/courses/")

    assert len(_course_row(response)["materials"]) == 2


@pytest.mark.parametrize(
    "who",
    ["plain_user", "official_without_band"],
)
def test_others_get_no_materials(materials, who):
    user = UserFactory() if who == "plain_user" else official_of(institution_with_entitlements(merkez=0))

    response = client_for(user).get("/api/v1/courses/")

    assert response.status_code == 200
    assert all(c["materials"] == [] for c in response.json()["results"])
    assert client_for(user).get(f"/api/v1/courses/{materials[0].course_id}/").json()["materials"] == []


def test_venues_list_the_centres_classrooms_with_plate_codes():
    response = client_for(UserFactory()).get("/api/v1/venues/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert {(v["province"], v["seats"]) for v in rows} == {(6, 24), (41, 24)}
    assert set(rows[0]) >= {"id", "name", "province", "seats"}


def test_an_inactive_venue_is_not_listed():
    Venue.objects.filter(province_id=41).update(is_active=False)

    response = client_for(UserFactory()).get("/api/v1/venues/")

    assert [v["province"] for v in response.json()["results"]] == [6]


def test_the_catalog_is_read_only(staff_user):
    client = client_for(staff_user)

    assert client.post("/api/v1/courses/", {"code": "X"}, format="json").status_code == 405
    assert client.post("/api/v1/venues/", {"name": "X"}, format="json").status_code == 405


def test_course_list_runs_a_fixed_number_of_queries(staff_user, materials, django_assert_num_queries):
    client = client_for(staff_user)
    official = client_for(official_of(standard_institution()))
    client.get("/api/v1/courses/")
    official.get("/api/v1/courses/")

    # token, the user's two permission queries, count, courses, their materials
    with django_assert_num_queries(6):
        assert client.get("/api/v1/courses/").status_code == 200
    # and for an official: their institution and whether it is entitled
    with django_assert_num_queries(8):
        assert official.get("/api/v1/courses/").status_code == 200
