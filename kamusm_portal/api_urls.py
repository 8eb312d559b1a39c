"""Every API route under /api/v1/, one router for all apps."""

from django.urls import include, path, re_path

from entitlements.api.accounts import TokenObtainView
from kamusm_portal.api import not_found

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("", include("entitlements.api_urls")),
    path("", include("sessions.api_urls")),
    path("", include("certificates.api_urls")),
    path("", include("reports.api_urls")),
    # Last: any other path under the API is a JSON 404 (an unknown resource, a malformed id).
    re_path(r"^(?P<unmatched>.*)$", not_found, name="api-not-found"),
]
