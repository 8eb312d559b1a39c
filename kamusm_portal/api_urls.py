"""Every API route under /api/v1/, one router for all apps."""

from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("", include("entitlements.api_urls")),
]
