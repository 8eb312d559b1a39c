"""The centre's admin site: Django's, with the program's dashboard as its start page for programme
staff and account managers, the dashboard's downloads behind its login, and, where staff sign in
with a second factor, only for sessions verified by one (``kamusm_portal.second_factor``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path

from kamusm_portal import second_factor
from reports.views import staff


class PortalAdminSite(admin.AdminSite):
    index_template = "admin/reports/index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        """Django's rule (an active staff user), and where ``STAFF_OTP_REQUIRED`` is on, a session
        verified by the second factor: a password alone opens no admin page."""
        return super().has_permission(request) and second_factor.satisfied(request.user)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        return super().index(request, {**staff.dashboard_context(request), **(extra_context or {})})

    def breakdowns(self, request: HttpRequest) -> TemplateResponse:
        return staff.breakdowns(request, self.each_context(request))

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [
            path("reports/standing.pdf", self.admin_view(staff.standing_pdf), name="reports_standing_pdf"),
            path("reports/breakdowns/", self.admin_view(self.breakdowns), name="reports_breakdowns"),
            path(
                "reports/institutions.<str:extension>",
                self.admin_view(staff.institutions_download),
                name="reports_institutions_download",
            ),
            path(
                "reports/session-fill.<str:extension>",
                self.admin_view(staff.session_fill_download),
                name="reports_session_fill_download",
            ),
            *super().get_urls(),
        ]
