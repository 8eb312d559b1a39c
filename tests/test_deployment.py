"""How the portal is deployed: the Compose file, the settings in each mode, and a bare start.

Settings are read once per process, so every mode is checked in a subprocess with its own
environment; none of these tests needs the network or a running Docker engine.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"

# Variables that shape the settings; a subprocess starts without any of them unless a test sets it.
SETTINGS_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "EMAIL_URL",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "CERTIFICATE_SIGNING_KEY",
    "CERTIFICATE_SIGNING_CERT",
    "CERTIFICATE_SIGNING_KEY_PASSWORD",
    "CACHE_URL",
    "NUM_PROXIES",
    "STORAGE_S3_BUCKET",
    "STORAGE_S3_ENDPOINT_URL",
    "STORAGE_S3_REGION",
    "STORAGE_S3_ACCESS_KEY",
    "STORAGE_S3_SECRET_KEY",
    "STORAGE_S3_PREFIX",
    "STAFF_OTP_REQUIRED",
    "AXES_FAILURE_LIMIT",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "METRICS_ALLOWED_ADDRESSES",
    "SENTRY_DSN",
    "SENTRY_ENVIRONMENT",
    "SENTRY_RELEASE",
    "SENTRY_TRACES_SAMPLE_RATE",
    "PROMETHEUS_MULTIPROC_DIR",
    "PORTAL_BASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the test suite's own (tests/conftest.py); deployment must not have it
)


def run(args, *, timeout=300, **env_vars) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="kamusm_portal.settings", PYTHONPATH=str(BASE_DIR), **env_vars)
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


def python(code: str, **env_vars) -> subprocess.CompletedProcess:
    return run(["-c", textwrap.dedent(code)], **env_vars)


def settings_in(names: list[str], **env_vars) -> dict:
    """Some settings as a subprocess with this environment sees them."""
    result = python(
        f"""
        import json, django
        django.setup()
        from django.conf import settings
        print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}, default=str))
        """,
        **env_vars,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env(**extra) -> dict:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.gov.tr",
        **extra,
    }


# --- make run ---------------------------------------------------------------------------------

MAKE = shutil.which("make")


def make_dry_run(*args: str, **env_vars: str) -> list[str]:
    """The commands ``make -n <args>`` would run, with none of the caller's HOST, PORT or
    PORTAL_BASE_URL unless given here."""
    if MAKE is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT", "PORTAL_BASE_URL", *SETTINGS_VARIABLES}}
    env.update(env_vars)
    result = subprocess.run(  # noqa: S603 - make with our own Makefile
        [MAKE, "--no-print-directory", "-n", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def base_urls(lines: list[str], command: str) -> list[str]:
    """The PORTAL_BASE_URL each ``manage.py <command>`` line runs with (None when it has none)."""
    found = []
    for line in lines:
        if f"manage.py {command}" in line:
            match = re.search(r"PORTAL_BASE_URL='([^']*)'", line)
            found.append(match.group(1) if match else None)
    return found


def test_make_run_on_another_port_sends_links_to_that_port():
    """``make run PORT=8101``: the demo's certificates, the served portal and the scheduled jobs
    all link to http://127.0.0.1:8101, and the settings take that address."""
    lines = make_dry_run("run", "PORT=8101")

    assert any(line.endswith("runserver 127.0.0.1:8101") for line in lines)
    wanted = "http://127.0.0.1:8101"
    assert base_urls(lines, "seed_demo") == [wanted]
    assert base_urls(lines, "runserver") == [wanted]
    assert base_urls(lines, "run_scheduled") == [wanted]
    assert settings_in(["PORTAL_BASE_URL"], DEBUG="true", PORTAL_BASE_URL=wanted) == {"PORTAL_BASE_URL": wanted}


def test_make_run_by_default_and_on_every_interface_links_to_this_machine():
    assert base_urls(make_dry_run("run"), "runserver") == ["http://127.0.0.1:8000"]
    assert base_urls(make_dry_run("run", "HOST=0.0.0.0", "PORT=8102"), "runserver") == ["http://127.0.0.1:8102"]
    assert base_urls(make_dry_run("run", "HOST=portal.local"), "runserver") == ["http://portal.local:8000"]


def test_a_portal_base_url_that_is_set_wins_over_host_and_port():
    explicit = "https://egitim.kamusm.example"
    in_env = make_dry_run("run", "PORT=8101", PORTAL_BASE_URL=explicit)
    on_line = make_dry_run("run", "PORT=8101", f"PORTAL_BASE_URL={explicit}")

    for lines in (in_env, on_line):
        assert base_urls(lines, "runserver") == [explicit]
        assert base_urls(lines, "seed_demo") == [explicit]
    assert settings_in(["PORTAL_BASE_URL"], DEBUG="true", PORTAL_BASE_URL=explicit) == {"PORTAL_BASE_URL": explicit}


def test_the_tests_and_migrations_keep_the_settings_default_address():
    """Only the demo and the served portal are told their address: ``make test PORT=8101`` runs the
    suite on the settings' default, which the tests expect."""
    lines = make_dry_run("migrate", "PORT=8101")
    assert base_urls(lines, "migrate") == [None]
    assert settings_in(["PORTAL_BASE_URL"], DEBUG="true") == {"PORTAL_BASE_URL": "http://127.0.0.1:8000"}


# --- docker-compose.yml ----------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification():
    # check-jsonschema ships the Compose specification's schema ("vendor.compose-spec"): no network.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_describes_the_production_shape():
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    services = compose["services"]

    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    assert "gunicorn kamusm_portal.wsgi" in " ".join(_command(services["web"]))
    worker = " ".join(_command(services["worker"]))
    assert "celery -A kamusm_portal worker" in worker
    assert "-Q default,email,pdf" in worker
    assert "celery -A kamusm_portal beat" in " ".join(_command(services["beat"]))
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        assert str(environment["DEBUG"]).lower() == "false"
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?"), "no default secret in production"
    assert "healthcheck" in services["postgres"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_compose_publishes_the_web_port_on_the_loopback_only():
    """With NUM_PROXIES=1 the portal trusts the X-Forwarded-For it is sent: a client that reached
    port 8000 from outside the host would choose its own address and escape the login lock-out."""
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))

    published = {name: service.get("ports", []) for name, service in compose["services"].items()}
    assert published["web"] == ["127.0.0.1:8000:8000"]
    assert [port for name, ports in published.items() if name != "web" for port in ports] == []


def _command(service: dict) -> list[str]:
    command = service["command"]
    return command if isinstance(command, list) else [command]


def test_the_image_runs_as_an_unprivileged_user_with_the_pdf_libraries():
    dockerfile = (BASE_DIR / "Dockerfile").read_text(encoding="utf-8")

    assert "FROM python:3.11-slim-bookworm" in dockerfile
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert package in dockerfile
    user_lines = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user_lines and user_lines[-1].split()[1] not in ("root", "0")


# --- Settings in each mode -------------------------------------------------------------------


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = python("import django; django.setup()", DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_deploy_check_passes_in_production_mode(tmp_path):
    # Production signs certificate PDFs with its own key (without one the check stops start-up).
    from certificates.signing import self_signed_pair

    key_pem, cert_pem = self_signed_pair("Kamu SM deployment test")
    (tmp_path / "signing.key").write_bytes(key_pem)
    (tmp_path / "signing.pem").write_bytes(cert_pem)
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **production_env(
            DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
            CERTIFICATE_SIGNING_KEY=str(tmp_path / "signing.key"),
            CERTIFICATE_SIGNING_CERT=str(tmp_path / "signing.pem"),
        ),
    )
    assert result.returncode == 0, result.stdout + result.stderr


HTTPS_SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
]


def test_https_settings_are_off_in_development():
    values = settings_in([*HTTPS_SETTINGS, "DEBUG"], DEBUG="true")

    assert values.pop("DEBUG") is True
    assert values == {name: (0 if name == "SECURE_HSTS_SECONDS" else False) for name in HTTPS_SETTINGS}


def test_https_settings_are_on_in_production():
    values = settings_in([*HTTPS_SETTINGS, "DEBUG"], **production_env())

    assert values.pop("DEBUG") is False
    assert values.pop("SECURE_HSTS_SECONDS") >= 31_536_000
    assert all(values.values()), values


def test_staff_sign_in_with_a_second_factor_in_production_and_in_one_step_in_development():
    assert settings_in(["STAFF_OTP_REQUIRED"], **production_env()) == {"STAFF_OTP_REQUIRED": True}
    assert settings_in(["STAFF_OTP_REQUIRED"], DEBUG="true") == {"STAFF_OTP_REQUIRED": False}
    assert settings_in(["STAFF_OTP_REQUIRED"], DEBUG="true", STAFF_OTP_REQUIRED="true") == {"STAFF_OTP_REQUIRED": True}


def test_failed_logins_lock_the_pair_of_address_and_username():
    values = settings_in(["AXES_LOCKOUT_PARAMETERS", "AXES_FAILURE_LIMIT"], **production_env())

    assert values == {"AXES_LOCKOUT_PARAMETERS": [["ip_address", "username"]], "AXES_FAILURE_LIMIT": 10}


def test_sqlite_takes_the_write_lock_at_the_start_of_a_transaction(tmp_path):
    values = settings_in(["DATABASES"], DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")

    assert values["DATABASES"]["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_sqlite_default_lives_under_var_and_its_folder_is_made():
    values = settings_in(["DATABASES"], DEBUG="true")

    name = Path(values["DATABASES"]["default"]["NAME"])
    assert name.parent == BASE_DIR / "var"
    assert name.parent.is_dir()


CELERY_CONF = """
    import json, django
    django.setup()
    from django.conf import settings
    from kamusm_portal.celery import app
    print(json.dumps([settings.CELERY_TASK_ALWAYS_EAGER, app.conf.task_always_eager]))
"""


STORAGE_PROBE = """
    import json, django
    django.setup()
    from django.core.files.storage import storages
    storage = storages["default"]
    print(json.dumps([type(storage).__name__, storage.url("certificates/KSM-2012-000001.pdf")]))
"""


def test_files_go_to_the_media_folder_by_default():
    result = python(STORAGE_PROBE, DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "FileSystemStorage",
        "/media/certificates/KSM-2012-000001.pdf",
    ]


def test_files_go_to_an_s3_compatible_store_when_a_bucket_is_named():
    result = python(
        STORAGE_PROBE,
        DEBUG="true",
        STORAGE_S3_BUCKET="kamusm-media",
        STORAGE_S3_ENDPOINT_URL="https://s3.example.gov.tr",
        STORAGE_S3_REGION="tr-ankara-1",
        STORAGE_S3_ACCESS_KEY="key-id",
        STORAGE_S3_SECRET_KEY="secret",
    )
    assert result.returncode == 0, result.stderr
    backend, url = json.loads(result.stdout.strip().splitlines()[-1])
    assert backend == "S3Storage"
    # A private object: a signed, expiring link on the configured endpoint and bucket.
    assert url.startswith("https://s3.example.gov.tr/kamusm-media/certificates/KSM-2012-000001.pdf?")
    assert "Signature=" in url or "X-Amz-Signature=" in url


def test_celery_runs_tasks_in_process_without_a_broker():
    result = python(CELERY_CONF, DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, True]


def test_celery_sends_tasks_to_the_broker_when_one_is_set():
    result = python(CELERY_CONF, DEBUG="true", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [False, False]


# --- A bare start: migrate, createsuperuser, serve -------------------------------------------

BARE_START_CHECK = """
    import json, django
    django.setup()
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.test.utils import setup_test_environment
    from entitlements.models import District, Program, Province

    setup_test_environment()
    program = Program.objects.get(year=2012)
    anonymous = Client()
    admin = Client()
    login = admin.post("/admin/login/?next=/admin/", {"username": "kurulum", "password": "bare-start-Passw0rd"})
    print(json.dumps({
        "provinces": Province.objects.count(),
        "districts": District.objects.count(),
        "program_open": program.is_open,
        "bands": list(program.categories.order_by("min_users").values_list("code", flat=True)),
        "staff_permissions": Group.objects.get(name="Programme staff").permissions.count(),
        "admin_login": anonymous.get("/admin/login/").status_code,
        "schema": anonymous.get("/api/schema/").status_code,
        "docs": anonymous.get("/api/docs/").status_code,
        "login": [login.status_code, login.get("Location")],
        "admin_index": admin.get("/admin/").status_code,
    }))
"""


def test_a_bare_start_is_a_working_portal(tmp_path):
    env = {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bare.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    migrate = run(["manage.py", "migrate", "--noinput"], **env)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    superuser = run(
        ["manage.py", "createsuperuser", "--noinput", "--username", "kurulum", "--email", "kurulum@example.gov.tr"],
        DJANGO_SUPERUSER_PASSWORD="bare-start-Passw0rd",
        **env,
    )
    assert superuser.returncode == 0, superuser.stdout + superuser.stderr

    result = python(BARE_START_CHECK, **env)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])

    assert facts["provinces"] == 81
    assert facts["districts"] == 973
    assert facts["program_open"] is True
    assert facts["bands"] == ["STANDARD", "1", "2", "3", "4", "5"]
    assert facts["staff_permissions"] > 0
    assert facts["admin_login"] == 200
    assert facts["schema"] == 200
    assert facts["docs"] == 200
    assert facts["login"] == [302, "/admin/"]
    assert facts["admin_index"] == 200


# --- Production mode served as docker-compose serves it --------------------------------------


def test_gunicorn_serves_the_portal_and_its_hashed_static_files_in_production_mode(tmp_path):
    """As the image runs it (gunicorn.conf.py read from the working folder): pages, hashed static
    files, the health check, /metrics counted across two workers, every log line JSON."""
    env = production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    # As the image build does, less Brotli (about 40 s of CPU): hashing and the manifest are what count here.
    collect = python(
        """
        import whitenoise.compress
        from django.core.management import execute_from_command_line

        whitenoise.compress.brotli_installed = False
        execute_from_command_line(["manage.py", "collectstatic", "--noinput"])
        """,
        **env,
    )
    assert collect.returncode == 0, collect.stdout + collect.stderr

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server_env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    server_env.update(DJANGO_SETTINGS_MODULE="kamusm_portal.settings", PYTHONPATH=str(BASE_DIR), **env)
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "kamusm_portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=BASE_DIR,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = _get_when_up(f"http://127.0.0.1:{port}/admin/login/", server)
        assert page.status == 200
        stylesheet = re.search(r'href="(/static/admin/css/[^"]+)"', page.read().decode())
        assert stylesheet, "the admin login page links no stylesheet"
        assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet.group(1)), "static names are not hashed"
        css = _get(f"http://127.0.0.1:{port}{stylesheet.group(1)}")
        assert css.status == 200

        # The web service's health check, as docker-compose.yml runs it inside the container.
        compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
        check = compose["services"]["web"]["healthcheck"]["test"]
        assert check[:3] == ["CMD", "python", "-c"]
        health = python(check[3].replace("127.0.0.1:8000", f"127.0.0.1:{port}"), ALLOWED_HOSTS="portal.example.gov.tr")
        assert health.returncode == 0, health.stderr

        # Whichever worker answers a scrape, it counts the requests of both (prometheus_client's
        # multiprocess mode, set up by gunicorn.conf.py); a scrape from behind the proxy is refused.
        request_ids = [_get(f"http://127.0.0.1:{port}/healthz/").headers["X-Request-ID"] for _ in range(6)]
        for _ in range(4):
            scrape = _scrape(f"http://127.0.0.1:{port}/metrics")
            assert _healthz_count(scrape) == 7  # the compose health check's request, then six
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"http://127.0.0.1:{port}/metrics")
        assert refused.value.code == 404
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
    logged = [json.loads(line) for line in (server.stderr.read() if server.stderr else "").splitlines() if line.strip()]
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in logged)
    answered = {line["request_id"] for line in logged if line["logger"] == "kamusm_portal.requests"}
    assert set(request_ids) <= answered


def _scrape(url: str) -> str:
    # Prometheus scraping the application server directly: no proxy headers.
    request = urllib.request.Request(url, headers={"Host": "portal.example.gov.tr"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server
        assert response.status == 200
        return response.read().decode()


def _healthz_count(page: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
        if sample.name == "django_http_requests_total_by_view_transport_method_total"
        and sample.labels.get("view") == "healthz"
    )


def _get(url: str):
    # Behind the TLS proxy of production: it names the host and says the request came over HTTPS.
    request = urllib.request.Request(  # noqa: S310 - a loopback address of our own server
        url, headers={"Host": "portal.example.gov.tr", "X-Forwarded-Proto": "https"}
    )
    return urllib.request.urlopen(request, timeout=10)  # noqa: S310


def _get_when_up(url: str, server: subprocess.Popen):
    deadline = time.monotonic() + 60
    while True:
        try:
            return _get(url)
        except OSError:
            if server.poll() is not None:
                raise AssertionError("gunicorn stopped: " + (server.stderr.read() if server.stderr else "")) from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
