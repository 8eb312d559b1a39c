from django.urls import path

from certificates import views

app_name = "certificates"
urlpatterns = [
    # Public: anyone holding a code (no login; rate-limited per client address).
    path("verify/", views.verify_lookup, name="verify_lookup"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("verify/<str:code>/pdf/", views.verify_pdf, name="verify_pdf"),
    # Officials (their institution's) and programme staff (all).
    path("certificates/", views.certificates, name="list"),
    path("certificates/archive/", views.certificate_archive, name="archive"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="pdf"),
    # Programme staff and the session's trainer: the attendance sheet, which issues the certificates.
    path("sessions/<int:pk>/attendance/", views.attendance, name="attendance"),
]
