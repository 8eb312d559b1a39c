"""The composition root's pages: the landing page, which sends each user to their own part of
the portal, the health check and the Prometheus metrics."""

import prometheus_client
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from certificates.metrics import CertificatesPendingCollector
from entitlements.selectors import official_institution
from kamusm_portal.metrics import CeleryQueuesCollector, exposition, may_scrape
from kamusm_portal.roles import is_programme_staff
from sessions.selectors import trainer_of


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Officials go to their dashboard, trainers to their schedule, other staff to the admin,
    everyone else sees the landing page."""
    user = request.user
    if user.is_authenticated:
        if official_institution(user) is not None:
            return redirect("portal:dashboard")
        if user.is_staff:
            if not is_programme_staff(user) and trainer_of(user) is not None:
                return redirect("sessions_portal:trainer_schedule")  # a trainer's work is in the portal
            return redirect("admin:index")
    return render(request, "portal/home.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers and the compose health check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# The portal's own gauges, computed at each scrape beside django-prometheus's request metrics.
SCRAPED = (CeleryQueuesCollector(), CertificatesPendingCollector())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's page: requests and latencies, the Celery queues' lengths, the certificates
    awaiting their PDF. A 404 to any address not in ``METRICS_ALLOWED_ADDRESSES`` and to a request
    a proxy forwarded (``kamusm_portal.metrics.may_scrape``), as if there were no such page."""
    if not may_scrape(request):
        raise Http404
    return HttpResponse(exposition(SCRAPED), content_type=prometheus_client.CONTENT_TYPE_LATEST)
