from django.urls import path

from certificates.views import attendance, certificates, verify

app_name = "certificates"
urlpatterns = [
    # Public: anyone holding a code (no login; rate-limited per client address).
    path("verify/", verify.verify_lookup, name="verify_lookup"),
    path("verify/<str:code>/", verify.verify, name="verify"),
    path("verify/<str:code>/pdf/", verify.verify_pdf, name="verify_pdf"),
    # Officials (their institution's) and programme staff (all).
    path("certificates/", certificates.certificates, name="list"),
    path("certificates/archive/", certificates.certificate_archive, name="archive"),
    path("certificates/<int:pk>/pdf/", certificates.certificate_pdf, name="pdf"),
    # Programme staff and the session's trainer: the attendance sheet, which issues the certificates.
    path("sessions/<int:pk>/attendance/", attendance.attendance, name="attendance"),
]
