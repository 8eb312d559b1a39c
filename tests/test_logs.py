"""Logs for operators (kamusm_portal/logs.py, README "Observability"): JSON lines, one request id per
request, in the response's X-Request-ID, on every line the request logs and on the lines of the
Celery tasks it queues (in-process and through a real worker); the error tracker only with a DSN."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import time
from pathlib import Path

import pytest

from kamusm_portal.logs import JsonFormatter, RequestIdFilter, TextFormatter, request_id_var
from sessions.models import SessionStatus
from tests.sessions.factories import SessionFactory
from tests.test_deployment import production_env, python, settings_in
from tests.workers import NEEDS_A_WORKER, Workers


class Lines:
    """What the root logger wrote while a test ran, through the portal's JSON formatter and filter."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())
        self.handler.addFilter(RequestIdFilter())

    def raw(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def all(self) -> list[dict]:
        return [json.loads(line) for line in self.raw()]

    def of(self, logger: str) -> list[dict]:
        return [line for line in self.all() if line["logger"] == logger]


@pytest.fixture
def lines():
    captured = Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(captured.handler)
    root.setLevel(logging.INFO)
    try:
        yield captured
    finally:
        root.removeHandler(captured.handler)
        root.setLevel(level)
        request_id_var.set(None)


# --- Requests ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_logs_json_lines_carrying_the_id_of_its_x_request_id_header(client, lines):
    response = client.get("/healthz/")

    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    (line,) = lines.of("kamusm_portal.requests")
    assert line["request_id"] == request_id
    assert line["level"] == "INFO"
    assert line["message"] == "GET /healthz/ 200"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/healthz/", 200)
    assert line["duration_ms"] >= 0
    assert line["time"].endswith("Z")


@pytest.mark.django_db
def test_django_s_own_line_for_a_404_carries_the_request_id_too(client, lines):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="tr")

    assert response.status_code == 404
    (warning,) = [line for line in lines.of("django.request") if line["level"] == "WARNING"]
    assert warning["message"] == "Not Found: <unmatched>"
    assert warning["request_id"] == response["X-Request-ID"]
    logging.getLogger("kamusm_portal").info("after the request")
    assert lines.all()[-1]["request_id"] is None


SECRET = "Gizli-ŞİFRE-3f2a9c1e5b7d"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "route"),
    [
        (f"/accounts/reset/MQ/{SECRET}/", "/accounts/reset/<uidb64>/<token>/"),
        (f"/trainers/calendar/{SECRET}.ics", "/trainers/calendar/<str:token>.ics"),
        (f"/verify/{SECRET}/", "/verify/<str:code>/"),
        (f"/verify/{SECRET}/pdf/", "/verify/<str:code>/pdf/"),
        (f"/no-such-page/{SECRET}/", "<unmatched>"),
    ],
)
def test_a_path_s_secret_parts_stay_out_of_the_logs_which_name_its_route(client, lines, path, route):
    """A password-reset token, a calendar feed's token, a verification code: a log line names the
    URL pattern, Django's own 404 line too."""
    response = client.get(path)

    assert lines.raw()
    assert not [line for line in lines.raw() if "Gizli" in line or "\\u015e" in line], lines.raw()
    (line,) = lines.of("kamusm_portal.requests")
    assert (line["route"], line["message"]) == (route, f"GET {route} {response.status_code}")


@pytest.mark.django_db
def test_each_request_gets_its_own_id(client):
    ids = {client.get("/healthz/")["X-Request-ID"] for _ in range(3)}

    assert len(ids) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", "lb.req_42", "a" * 64])
def test_a_sane_incoming_request_id_is_kept(client, lines, incoming):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming
    assert lines.of("kamusm_portal.requests")[0]["request_id"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    ["a" * 65, "two words", 'x", "level": "CRITICAL', "line\nbreak", "ağaoğlu", "", "id;drop"],
)
def test_an_incoming_request_id_that_is_not_a_plain_short_token_is_replaced(client, incoming):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_every_line_is_one_json_object_whatever_the_message_holds(lines):
    log = logging.getLogger("kamusm_portal.test")
    request_id_var.set("req-1")
    log.warning("Güneş Ağaoğlu\nforged line\u2028and\u2029more\u0085end", extra={"participant": 7})
    try:
        raise ValueError("İzmir")
    except ValueError:
        log.exception("could not save")

    raw = lines.raw()
    assert len(raw) == 2
    first, second = (json.loads(line) for line in raw)
    assert first["message"] == "Güneş Ağaoğlu\nforged line\u2028and\u2029more\u0085end"
    assert "Güneş" in raw[0]  # Turkish letters written as they are
    assert (first["level"], first["logger"], first["request_id"], first["participant"]) == (
        "WARNING",
        "kamusm_portal.test",
        "req-1",
        7,
    )
    assert second["level"] == "ERROR"
    assert "Traceback" in second["exception"]
    assert "ValueError: İzmir" in second["exception"]


def test_the_text_format_shows_the_request_id_or_a_dash():
    record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": "hello"})
    RequestIdFilter().filter(record)
    assert TextFormatter().format(record).endswith("INFO x [-] hello")
    request_id_var.set("abc")
    try:
        RequestIdFilter().filter(record)
        assert TextFormatter().format(record).endswith("INFO x [abc] hello")
    finally:
        request_id_var.set(None)


# --- The settings: JSON lines in production, text in development ----------------------------------


def test_logs_are_json_lines_in_production_and_text_in_development():
    production = settings_in(["LOG_FORMAT"], **production_env())
    development = settings_in(["LOG_FORMAT"], DEBUG="true")
    chosen = settings_in(["LOG_FORMAT"], DEBUG="true", LOG_FORMAT="json")

    assert (production["LOG_FORMAT"], development["LOG_FORMAT"], chosen["LOG_FORMAT"]) == ("json", "text", "json")


def test_an_unknown_log_format_stops_start_up():
    result = python("import django; django.setup()", DEBUG="true", LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "LOG_FORMAT must be one of json, text" in result.stderr


PRODUCTION_REQUEST = """
    import json, django
    django.setup()
    from django.test import Client
    response = Client().get("/healthz/", HTTP_HOST="portal.example.gov.tr", secure=True)
    print(json.dumps([response.status_code, response["X-Request-ID"]]))
"""


def test_in_production_settings_every_line_on_standard_error_is_json_with_the_request_id(tmp_path):
    result = python(PRODUCTION_REQUEST, **production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'logs.sqlite3'}"))

    assert result.returncode == 0, result.stderr
    status, request_id = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 200
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert logged, "nothing was logged"
    assert {"time", "level", "logger", "message", "request_id"} <= set(logged[0])
    (request,) = [line for line in logged if line["logger"] == "kamusm_portal.requests"]
    assert request["request_id"] == request_id


def test_log_level_holds_for_every_logger(tmp_path):
    result = python(
        PRODUCTION_REQUEST,
        **production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'logs.sqlite3'}", LOG_LEVEL="WARNING"),
    )

    assert result.returncode == 0, result.stderr
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert all(line["level"] in ("WARNING", "ERROR", "CRITICAL") for line in logged), logged


# --- Celery tasks queued by a request ------------------------------------------------------------


def _announce(staff) -> tuple[str, object]:
    session = SessionFactory(status=SessionStatus.DRAFT, announced_at=None)
    response = staff.post(f"/api/v1/sessions/{session.pk}/announce/")
    assert response.status_code == 200, response.content
    return response["X-Request-ID"], session


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_run_in_process_by_a_request_logs_the_request_s_id(staff, lines):
    request_id, _session = _announce(staff)  # its e-mail task runs after commit, inside the request

    (done,) = [line for line in lines.of("celery.app.trace") if "send_session_announced" in line["message"]]
    assert "succeeded" in done["message"]
    assert done["request_id"] == request_id
    assert done["task_name"] == "sessions.tasks.send_session_announced"
    assert done["task_id"]


def _with_a_worker(test):
    """The marks of the tests that run a real worker (tests/workers.py)."""
    for mark in reversed(NEEDS_A_WORKER):
        test = mark(test)
    return test


@_with_a_worker
def test_a_task_a_request_queues_logs_the_request_s_id_in_the_worker(staff, broker, tmp_path):
    workers = Workers(
        tmp_path, broker, LOG_FORMAT="json", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    )
    try:
        worker = workers.start("email")
        request_id, _session = _announce(staff)
        (_process, log) = workers.running[0]
        done = _wait_for_line(log, "send_session_announced", "succeeded", worker=worker)
    finally:
        workers.stop_all()

    assert done["request_id"] == request_id
    assert done["task_name"] == "sessions.tasks.send_session_announced"
    worker_lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert worker_lines and all({"time", "level", "logger", "message", "request_id"} <= set(x) for x in worker_lines)


def _wait_for_line(log: Path, *words: str, worker: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and worker.poll() is None:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and all(word in line for word in words):
                return json.loads(line)
        time.sleep(0.1)
    raise AssertionError("the worker logged no such line:\n" + log.read_text(errors="replace")[-3000:])


# --- The error tracker -------------------------------------------------------------------------

SENTRY_PROBE = """
    import json, logging, django, sentry_sdk
    django.setup()
    client = sentry_sdk.get_client()
    facts = {"active": client.is_active()}
    if client.is_active():
        from django.http import HttpResponse
        from django.test import RequestFactory
        from sentry_sdk.transport import Transport

        from kamusm_portal.middleware import RequestIdMiddleware

        class Recorder(Transport):
            events = []

            def capture_envelope(self, envelope):
                self.events.extend(item.payload.json for item in envelope.items if item.type == "event")

        client.transport = Recorder(client.options)

        def view(request):
            # What Django's integration adds to an event when Django's handler runs the view.
            url = "https://portal.example.gov.tr" + request.path
            sentry_sdk.get_isolation_scope().add_event_processor(lambda event, hint: {**event, "request": {"url": url}})
            logging.getLogger("django.request").warning("Not Found: %s", request.path)
            quiet = logging.getLogger("probe.quiet")  # no handler of ours rewrites its lines
            quiet.propagate = False
            quiet.warning("Seen: %s", request.path)
            sentry_sdk.capture_message("probe")
            return HttpResponse("ok")

        with sentry_sdk.isolation_scope():
            response = RequestIdMiddleware(view)(
                RequestFactory().get("/accounts/reset/MQ/secret-token/", HTTP_COOKIE="sessionid=secret")
            )
        (event,) = Recorder.events
        facts.update(
            send_default_pii=client.options["send_default_pii"],
            request_bodies=client.options["max_request_body_size"],
            local_variables=client.options["include_local_variables"],
            environment=client.options["environment"],
            integrations=sorted(client.integrations),
            request_id=response["X-Request-ID"],
            tags=event.get("tags", {}),
            secret_in_event="secret-token" in json.dumps(event),
            url=event["request"]["url"],
        )
    print(json.dumps(facts))
"""


def test_the_error_tracker_is_off_without_a_dsn():
    result = python(SENTRY_PROBE, DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"active": False}


def test_the_error_tracker_is_on_with_a_dsn_without_personal_data_and_tags_the_request_id():
    # A DSN pointing at a local address nothing listens on: nothing is sent, nothing is needed.
    result = python(
        SENTRY_PROBE,
        **production_env(SENTRY_DSN="http://public-key@127.0.0.1:9/1", SENTRY_ENVIRONMENT="test-bench"),
    )

    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["active"] is True
    assert (facts["send_default_pii"], facts["request_bodies"], facts["local_variables"]) == (False, "never", False)
    assert facts["environment"] == "test-bench"
    assert {"django", "celery"} <= set(facts["integrations"])
    assert facts["tags"]["request_id"] == facts["request_id"]
    # A path's secret parts (here a password-reset token) stay out: URL and breadcrumbs name the route.
    assert facts["secret_in_event"] is False
    assert facts["url"] == "https://portal.example.gov.tr/accounts/reset/<uidb64>/<token>/"
