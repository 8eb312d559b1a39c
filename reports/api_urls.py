"""Routes of the reports API, included under /api/v1/."""

from django.urls import path

from reports.api.programs import ProgramInstitutionsView, ProgramReportView

urlpatterns = [
    path("reports/programs/<id:pk>/", ProgramReportView.as_view(), name="report-program"),
    path("reports/programs/<id:pk>/institutions/", ProgramInstitutionsView.as_view(), name="report-institutions"),
]
