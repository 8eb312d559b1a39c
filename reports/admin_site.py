"""The centre's admin site: Django's, with the program's dashboard as its start page for programme
staff and account managers, the dashboard's downloads behind its login, and, where staff sign in
with a second factor, only for sessions verified by one (``kamusm_portal.second_factor``). Every
admin registered on it, the apps' and third-party ones, sees rows through
``kamusm_portal.admin.ScopedAdmin`` (programme staff every row, an account manager their
institutions', a trainer their own work)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from kamusm_portal import second_factor
from kamusm_portal.admin import delete_selected, scoped_admin_class
from reports.views import staff


class PortalAdminSite(admin.AdminSite):
    index_template = "admin/reports/index.html"
    site_header = _("Kamu SM Training Portal")  # the admin's header and its pages' titles name the portal
    site_title = _("Kamu SM Training Portal")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self.add_action(delete_selected, "delete_selected")  # Django's, in words Turkish can say

    def has_permission(self, request: HttpRequest) -> bool:
        """Django's rule (an active staff user), and where ``STAFF_OTP_REQUIRED`` is on, a session
        verified by the second factor: a password alone opens no admin page."""
        return super().has_permission(request) and second_factor.satisfied(request.user)

    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: type[admin.ModelAdmin[Any]] | None = None,
        **options: Any,
    ) -> None:
        """Registers ``admin_class`` with the row scope in front of it (``ScopedAdmin``)."""
        super().register(model_or_iterable, scoped_admin_class(admin_class or admin.ModelAdmin), **options)

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
