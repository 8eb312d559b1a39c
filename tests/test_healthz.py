"""The health check at ``/healthz/``: answers without a login."""


def test_healthz_answers_ok_without_login(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
