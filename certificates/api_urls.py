"""Routes of the certificates API, included under /api/v1/."""

from django.urls import path

from certificates.api.attendance import SessionAttendanceView
from certificates.api.certificates import CertificateVerifyView, CertificateViewSet
from kamusm_portal.api import ApiRouter

router = ApiRouter()
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns = [
    # The router's own pattern for a detail route, so this reads as the session's other routes do.
    path("sessions/<id:pk>/attendance/", SessionAttendanceView.as_view(), name="session-attendance"),
    path("certificates/verify/<str:code>/", CertificateVerifyView.as_view(), name="certificate-verify"),
    *router.urls,
]
