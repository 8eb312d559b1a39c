"""The composition root's pages: the landing page, which sends each user to their own part of
the portal, and the health check."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from entitlements.selectors import official_institution
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
