"""The certificates' gauges on ``/metrics`` (``kamusm_portal.metrics``), computed when Prometheus
scrapes: how many certificates wait for their signed PDF, and for how long the oldest has."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from certificates.selectors import certificates_awaiting_pdf

logger = logging.getLogger(__name__)


class CertificatesPendingCollector:
    """``kamusm_certificates_pending{status}``: certificates issued whose signed PDF is not stored
    yet, ``pending`` (queued for rendering) or ``failed`` (to be queued again by the sweep);
    ``kamusm_certificates_pending_oldest_seconds{status}``: since when the oldest of them was issued
    (0 when there is none). One query a scrape; absent when the database cannot answer (logged)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            awaiting = certificates_awaiting_pdf()
        except DatabaseError:
            logger.warning("metrics: could not count the certificates awaiting their PDF", exc_info=True)
            return
        now = timezone.now()
        count = GaugeMetricFamily(
            "kamusm_certificates_pending",
            "Certificates issued whose signed PDF is not stored yet, by status.",
            labels=["status"],
        )
        oldest = GaugeMetricFamily(
            "kamusm_certificates_pending_oldest_seconds",
            "Seconds since the oldest certificate still awaiting its signed PDF was issued, by status.",
            labels=["status"],
        )
        for status, (number, issued_at) in awaiting.items():
            count.add_metric([status], number)
            oldest.add_metric([status], (now - issued_at).total_seconds() if issued_at else 0)
        yield count
        yield oldest
