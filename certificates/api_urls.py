"""Routes of the certificates API, included under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from certificates.api.attendance import SessionAttendanceView
from certificates.api.certificates import CertificateVerifyView, CertificateViewSet

router = SimpleRouter()
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns = [
    path("sessions/<int:pk>/attendance/", SessionAttendanceView.as_view(), name="session-attendance"),
    path("certificates/verify/<str:code>/", CertificateVerifyView.as_view(), name="certificate-verify"),
    *router.urls,
]
