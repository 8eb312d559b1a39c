"""Routes of the certificates API, included under /api/v1/."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from certificates.api.attendance import SessionAttendanceView
from certificates.api.certificates import CertificateVerifyView, CertificateViewSet

router = SimpleRouter()
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns = [
    # The router's own pattern for a detail route, so this reads as the session's other routes do.
    re_path(r"^sessions/(?P<pk>[^/.]+)/attendance/$", SessionAttendanceView.as_view(), name="session-attendance"),
    path("certificates/verify/<str:code>/", CertificateVerifyView.as_view(), name="certificate-verify"),
    *router.urls,
]
