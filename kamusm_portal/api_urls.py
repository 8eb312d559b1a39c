"""Every API route under /api/v1/, one router for all apps."""

from django.urls import include, path

from entitlements.api.accounts import TokenObtainView

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("", include("entitlements.api_urls")),
    path("", include("sessions.api_urls")),
    path("", include("certificates.api_urls")),
    path("", include("reports.api_urls")),
]
