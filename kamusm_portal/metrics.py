"""Prometheus metrics at ``/metrics``: who may read them, the Celery queues' lengths, and the page.

django-prometheus's middlewares count requests and their latencies; the portal adds gauges computed
when Prometheus scrapes (custom collectors: nothing is kept between scrapes). The collectors of the
apps' figures live in the apps (``certificates.metrics``); the composition root's view
(``kamusm_portal.views.metrics``) names every collector it exports.

The page is open to the addresses and networks of ``METRICS_ALLOWED_ADDRESSES`` only, read from
``REMOTE_ADDR``, and never to a request a proxy forwarded (one carrying ``X-Forwarded-For``,
``X-Forwarded-Proto``, ``X-Forwarded-Host``, ``Forwarded`` or ``X-Real-IP``): a scraper talks to the
application server directly, while the TLS proxy in front passes on requests from anywhere, often
from an allowed address of its own (127.0.0.1 when it runs on the same machine).
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

import prometheus_client
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# A request carrying any of these came through a proxy (the TLS proxy sets at least X-Forwarded-Proto).
_PROXY_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_FORWARDED",
    "HTTP_X_REAL_IP",
)


def allowed_networks(entries: Iterable[str]) -> list[Network]:
    """``METRICS_ALLOWED_ADDRESSES`` read: each an address (``10.0.0.5``, ``::1``) or a network
    (``10.0.0.0/8``); anything else stops start-up."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"METRICS_ALLOWED_ADDRESSES: {entry!r} is neither an IP address nor a network."
            ) from None
    return networks


def may_scrape(request: HttpRequest) -> bool:
    """The client may read ``/metrics``: its ``REMOTE_ADDR`` is in ``METRICS_ALLOWED_ADDRESSES`` and
    no proxy forwarded the request."""
    if any(request.META.get(header) for header in _PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a server listening on [::] sees IPv4 clients so
    return any(address in network for network in allowed_networks(settings.METRICS_ALLOWED_ADDRESSES))


# --- Celery's queues ----------------------------------------------------------------------------


def portal_queues() -> list[str]:
    """Every queue the portal's tasks go to: the default one and those of ``CELERY_TASK_ROUTES``."""
    queues = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for route in settings.CELERY_TASK_ROUTES.values():
        if isinstance(route, dict) and route.get("queue"):
            queues.add(route["queue"])
    return sorted(queues)


class CeleryQueuesCollector:
    """``kamusm_celery_queue_length{queue}``: messages waiting in each of the portal's queues on the
    Redis broker (LLEN of the queue's list and of its priority lists, as kombu keeps them); a task a
    worker has taken is no longer counted. Absent without a broker (tasks run in-process) and when
    the broker cannot be reached (logged)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        url = settings.CELERY_BROKER_URL
        if not url or not url.startswith(("redis://", "rediss://")):
            return
        try:
            lengths = _redis_queue_lengths(url, portal_queues())
        except Exception:
            logger.warning("metrics: could not read the Celery queues' lengths from the broker", exc_info=True)
            return
        gauge = GaugeMetricFamily(
            "kamusm_celery_queue_length", "Messages waiting in a Celery queue (on the broker).", labels=["queue"]
        )
        for queue, length in lengths.items():
            gauge.add_metric([queue], length)
        yield gauge


def _redis_queue_lengths(url: str, queues: list[str]) -> dict[str, int]:
    import redis
    from kombu.transport.redis import PRIORITY_STEPS, Channel

    options: dict[str, Any] = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    prefix = options.get("global_keyprefix", "")
    steps = options.get("priority_steps", PRIORITY_STEPS)
    separator = options.get("sep", Channel.sep)
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                for step in steps:
                    # kombu's key of a queue's list at a priority (Channel._q_for_pri).
                    pipe.llen(prefix + (f"{queue}{separator}{step}" if step else queue))
            counts = pipe.execute()
    finally:
        client.close()
    per_queue = len(steps)
    return {queue: sum(counts[i * per_queue : (i + 1) * per_queue]) for i, queue in enumerate(queues)}


# --- The page -----------------------------------------------------------------------------------


def exposition(collectors: Iterable[Collector]) -> bytes:
    """The metrics page in Prometheus's text format (``prometheus_client.CONTENT_TYPE_LATEST``): the
    process's registry (or, under gunicorn with several workers, every worker's files in
    ``PROMETHEUS_MULTIPROC_DIR``), then ``collectors``, computed now."""
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(prometheus_client.REGISTRY)
    for collector in collectors:
        registry.register(collector)
    return prometheus_client.generate_latest(registry)
