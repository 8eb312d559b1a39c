"""Prometheus metrics at /metrics (kamusm_portal/metrics.py, certificates/metrics.py, README
"Observability"): requests and latencies, the Celery queues' lengths, the certificates awaiting their
PDF; open only to METRICS_ALLOWED_ADDRESSES, never through a proxy."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from certificates.models import Certificate, CertificateStatus
from certificates.selectors import certificates_awaiting_pdf
from kamusm_portal.metrics import allowed_networks
from tests.certificates.factories import issued, make_ready
from tests.test_deployment import production_env, python

BROKER = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = pytest.mark.django_db


def _samples(response) -> dict[tuple[str, tuple], float]:
    """The page's samples: ``(name, sorted labels) -> value``."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_the_page_answers_an_allowed_address_in_prometheus_s_text_format(client):
    client.get("/healthz/")

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = _samples(response)
    requests = {
        labels: value
        for (name, labels), value in samples.items()
        if name.startswith("django_http_requests_total_by_view_transport_method")
    }
    assert any(("view", "healthz") in labels and value >= 1 for labels, value in requests.items())
    assert any(name.startswith("django_http_requests_latency_seconds_by_view_method") for name, _labels in samples)
    assert samples[("kamusm_certificates_pending", (("status", "pending"),))] == 0
    assert samples[("kamusm_certificates_pending", (("status", "failed"),))] == 0


def test_certificates_awaiting_their_pdf_are_counted_by_status_with_the_oldest_s_age(client):
    waiting = issued(4)  # pending: attendance recorded, nothing rendered (no commit in this test)
    make_ready(waiting[0])
    Certificate.objects.filter(pk=waiting[1].pk).update(
        status=CertificateStatus.FAILED, issued_at=timezone.now() - timedelta(hours=2)
    )

    samples = _samples(client.get("/metrics"))

    assert samples[("kamusm_certificates_pending", (("status", "pending"),))] == 2
    assert samples[("kamusm_certificates_pending", (("status", "failed"),))] == 1
    assert 7_100 < samples[("kamusm_certificates_pending_oldest_seconds", (("status", "failed"),))] < 7_400
    assert samples[("kamusm_certificates_pending_oldest_seconds", (("status", "pending"),))] >= 0


def test_certificates_awaiting_their_pdf_are_counted_in_one_query(django_assert_num_queries):
    issued(3)

    with django_assert_num_queries(1):
        awaiting = certificates_awaiting_pdf()

    assert {status: count for status, (count, _oldest) in awaiting.items()} == {"pending": 3, "failed": 0}


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", ["127.0.0.1", "::1"]),
        ("::1", ["127.0.0.1", "::1"]),
        ("10.1.2.3", ["10.0.0.0/8"]),
        ("::ffff:10.1.2.3", ["10.0.0.0/8"]),  # an IPv4 client of a server listening on [::]
    ],
)
def test_listed_addresses_and_networks_may_read_the_page(client, settings, address, allowed):
    settings.METRICS_ALLOWED_ADDRESSES = allowed

    assert client.get("/metrics", REMOTE_ADDR=address).status_code == 200


@pytest.mark.parametrize("address", ["10.0.0.1", "192.0.2.7", "2001:db8::1", "127.0.0.2", ""])
def test_any_other_address_gets_a_404(client, address):
    response = client.get("/metrics", REMOTE_ADDR=address)

    assert response.status_code == 404
    assert b"kamusm_" not in response.content


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_X_FORWARDED_FOR": "127.0.0.1"},
        {"HTTP_X_FORWARDED_PROTO": "https"},
        {"HTTP_X_FORWARDED_HOST": "portal.example.gov.tr"},
        {"HTTP_FORWARDED": "for=127.0.0.1;proto=https"},
        {"HTTP_X_REAL_IP": "127.0.0.1"},
    ],
)
def test_a_request_a_proxy_forwarded_gets_a_404_even_from_an_allowed_address(client, header):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", **header).status_code == 404


def test_a_listed_entry_that_is_no_address_stops_start_up():
    with pytest.raises(ImproperlyConfigured, match="not-an-address"):
        allowed_networks(["127.0.0.1", "not-an-address"])
    result = python("import django; django.setup()", DEBUG="true", METRICS_ALLOWED_ADDRESSES="10.0.0.0/33")
    assert result.returncode != 0
    assert "METRICS_ALLOWED_ADDRESSES" in result.stderr


def test_production_mode_serves_the_page_over_plain_http_to_an_allowed_address(tmp_path):
    # The HTTPS redirect spares /metrics: the scraper talks plain HTTP inside the deployment.
    result = python(
        """
        import django
        django.setup()
        from django.test import Client
        response = Client().get("/metrics", HTTP_HOST="portal.example.gov.tr", REMOTE_ADDR="10.0.0.9")
        print(response.status_code, Client().get("/metrics", HTTP_HOST="portal.example.gov.tr").status_code)
        """,
        **production_env(
            DATABASE_URL=f"sqlite:///{tmp_path / 'metrics.sqlite3'}", METRICS_ALLOWED_ADDRESSES="10.0.0.0/24"
        ),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["200", "404"]


# --- Celery's queues ---------------------------------------------------------------------------


def test_without_a_broker_there_is_no_queue_length(client, settings):
    settings.CELERY_BROKER_URL = ""

    samples = _samples(client.get("/metrics"))

    assert not [name for name, _labels in samples if name.startswith("kamusm_celery_queue_length")]


def test_a_broker_that_cannot_be_reached_leaves_the_queue_lengths_out_not_the_page(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/metrics")

    assert response.status_code == 200
    samples = _samples(response)
    assert not [name for name, _labels in samples if name.startswith("kamusm_celery_queue_length")]
    assert ("kamusm_certificates_pending", (("status", "pending"),)) in samples


@pytest.mark.broker
@pytest.mark.skipif(not BROKER.startswith(("redis://", "rediss://")), reason="needs a Redis broker (CELERY_BROKER_URL)")
def test_the_queue_lengths_are_read_from_the_redis_broker(client, settings):
    import redis

    from kamusm_portal.celery import app

    # A queue of this test's own on the suite's broker, routed like the portal's.
    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ROUTES = {"tests.metrics.probe": {"queue": queue}, **settings.CELERY_TASK_ROUTES}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        for priority in (None, None, 5):  # kombu keeps a list per priority step: all are counted
            app.send_task("tests.metrics.probe", queue=queue, priority=priority)
        samples = _samples(client.get("/metrics"))
    finally:
        client_ = redis.Redis.from_url(BROKER)
        client_.delete(queue, *client_.keys(f"{queue}\x06\x16*"), *client_.keys(f"_kombu.binding*.{queue}"))
        client_.close()

    assert samples[("kamusm_celery_queue_length", (("queue", queue),))] == 3
    for name in ("default", "email", "pdf"):
        assert ("kamusm_celery_queue_length", (("queue", name),)) in samples
