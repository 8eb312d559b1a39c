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
