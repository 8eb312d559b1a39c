"""Every answer under /api/v1/ is JSON in the error body, and the schema says what the API does
(docs/api.md, "Errors"; issue 12, finding 5): a malformed or overflowing id in a path is the JSON
404 ``not_found`` of every resource, for every method, also for a client with a stray session
cookie and no CSRF token; a page that does not exist is the 404 every paginated list documents; a
filter value a list cannot read is the 400 it documents; what may be null is marked nullable."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kamusm_portal import api_urls
from tests.sessions.factories import SessionFactory

HUGE = "99999999999999999999"
PAST_BIGINT = str(2**63)


# --- Ids in paths ----------------------------------------------------------------------------


def _routes(patterns, prefix=""):
    """Every route of the API with its methods."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            actions = getattr(callback, "actions", None)
            view = getattr(callback, "view_class", None)
            methods = list(actions) if actions else [m for m in ("get", "post") if hasattr(view, m)]
            yield prefix + str(pattern.pattern), methods


ID_ROUTES = sorted((route, methods) for route, methods in _routes(api_urls.urlpatterns) if "<id:pk>" in route)


def test_every_route_of_the_api_takes_its_id_as_an_id():
    """So the probe below covers every resource: no route reads an object's id another way."""
    others = [route for route, _methods in _routes(api_urls.urlpatterns) if "pk" in route and "<id:pk>" not in route]
    assert others == []
    assert len(ID_ROUTES) >= 25
    assert ("participants/<id:pk>/", ["get", "patch", "delete"]) in ID_ROUTES


@pytest.mark.parametrize("value", ["0.5", "abc", "0", HUGE, PAST_BIGINT, "1e3", "%D9%A3"])
@pytest.mark.parametrize(("route", "methods"), ID_ROUTES, ids=[r for r, _m in ID_ROUTES])
def test_a_malformed_or_overflowing_id_in_a_path_is_the_json_404_for_every_method(staff_user, route, methods, value):
    """Also a write from a client with a stray session cookie and no CSRF token: the 404 is no
    CSRF page."""
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=staff_user)[0].key}")
    client.cookies["sessionid"] = "stray"
    path = "/api/v1/" + route.replace("<id:pk>", value)
    for method in methods:
        response = client.get(path) if method == "get" else getattr(client, method)(path, {}, format="json")
        assert response.status_code == 404, (method, path, response.content[:200])
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"code": "not_found", "detail": response.json()["detail"], "fields": {}}


# --- Pages -----------------------------------------------------------------------------------


def _paginated_lists(schema: dict) -> list[str]:
    lists = []
    for path, operations in schema["paths"].items():
        body = operations.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        ref = body.get("application/json", {}).get("schema", {}).get("$ref", "")
        if ref.split("/")[-1].startswith("Paginated"):
            lists.append(path)
    return lists


def test_every_paginated_list_documents_the_404_of_a_page_that_does_not_exist(client, db):
    """``?page=`` past the last page, 0 or not a number names no page: 404 ``not_found``, as for a
    path that names no object (documented on every list); a filter it cannot read is 400."""
    schema = client.get("/api/schema/?format=json").json()
    lists = _paginated_lists(schema)
    assert len(lists) >= 12
    for path in lists:
        responses = schema["paths"][path]["get"]["responses"]
        assert "404" in responses and "`?page=`" in responses["404"]["description"], path
        if any(
            p["in"] == "query" and p["name"] not in ("page", "search", "format")
            for p in schema["paths"][path]["get"].get("parameters", [])
        ):
            assert "400" in responses, path


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99", HUGE, "1.5"])
@pytest.mark.parametrize(
    "resource",
    [
        "programs",
        "institutions",
        "courses",
        "venues",
        "participants",
        "sessions",
        "reservations",
        "training-requests",
        "trainers",
        "certificates",
    ],
)
def test_a_page_that_does_not_exist_is_404_not_found(staff, resource, page):
    response = staff.get(f"/api/v1/{resource}/", {"page": page})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and response.json()["fields"] == {}
    assert staff.get(f"/api/v1/{resource}/", {"page": "1"}).status_code == 200


# --- The schema says what is null ------------------------------------------------------------


def test_a_classroom_sessions_institution_is_null_and_the_schema_says_it_may_be(staff, db):
    session = SessionFactory()
    assert staff.get(f"/api/v1/sessions/{session.pk}/").json()["institution"] is None
    schema = Client().get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["Session"]["properties"]["institution"]["nullable"] is True


def test_options_on_a_downloadable_list_asked_as_csv_is_json_not_a_server_error(staff, program):
    for path in (f"/api/v1/reports/programs/{program.pk}/institutions/?format=csv", "/api/v1/certificates/?format=csv"):
        response = staff.options(path)
        assert response.status_code < 500 and response["Content-Type"].startswith("application/json"), path


def test_a_write_to_an_unknown_path_with_a_stray_session_cookie_is_the_json_404(staff_user):
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "stray"
    for method in ("post", "patch", "put", "delete"):
        response = getattr(client, method)("/api/v1/nothing-here/", {}, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), method
