"""The API as a whole (docs/api.md): its schema and docs pages are public and load nothing from a
CDN; a body that is not JSON is answered as an invalid request ("Errors")."""

import re


def test_schema_and_docs_are_public_and_docs_load_nothing_from_a_cdn(client, db):
    assert client.get("/api/schema/").status_code == 200
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"#]+)"', response.content.decode())
    assert assets, "the docs page references its scripts"
    assert all(url.startswith("/static/") for url in assets), assets


def test_malformed_json_is_an_invalid_request(client, db):
    response = client.post("/api/v1/auth/token/", data="{bad", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_an_unknown_path_or_a_malformed_id_under_the_api_is_a_json_404(client, db):
    for path in ("/api/v1/nothing-here/", "/api/v1/courses/0.5/", "/api/v1/reports/programs/x/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
        assert response.json()["code"] == "not_found" and response.json()["fields"] == {}
    response = client.post("/api/v1/nothing-here/", data={}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_path_without_its_final_slash_is_redirected_to_it(client, db):
    response = client.get("/api/v1/programs?year=2012")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/programs/?year=2012")
    assert client.get("/api/v1/nothing-here").status_code == 404


def test_under_the_api_the_accept_language_header_chooses_the_language_of_detail(client, program, settings):
    url = f"/api/v1/programs/{program.pk}/category/?active_users=abc"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").json()["detail"]
    turkish = client.get(url, HTTP_ACCEPT_LANGUAGE="tr-TR,tr;q=0.9,en;q=0.5").json()["detail"]
    other = client.get(url, HTTP_ACCEPT_LANGUAGE="de-DE").json()["detail"]
    assert english != turkish and other == turkish
    assert client.get(url).json()["detail"] == turkish  # no header: Turkish
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.get(url).json()["detail"] == english  # no header: the portal's switch
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="tr").json()["detail"] == turkish  # the header decides
    # The portal's pages keep their own switch: a browser asking for English still gets Turkish.
    client.cookies.clear()
    assert 'lang="tr"' in client.get("/calculator/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
