"""The centre's dashboard (the admin's start page for programme staff and account managers) and its
downloads: the one-page PDF of the program's standing and the per-institution list.

The pages only read (``reports.selectors``); the admin site (``reports.admin_site``) routes them
behind its login, and each checks the reader's scope: programme staff see the whole program, an
account manager their institutions, anyone else 403.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from entitlements.models import Program
from kamusm_portal.bounds import id_or_none
from kamusm_portal.exports import Column, csv_response, xlsx_response
from reports.api.programs import INSTITUTION_COLUMNS, flat
from reports.charts import Series, bar_chart_svg, hbar_chart_svg
from reports.map import province_map_svg
from reports.selectors.figures import by_session, classroom_fill, dashboard, institution_rows, program_report
from reports.selectors.scope import Scope, report_scope
from sessions.models import SessionStatus, TrainingSession
from sessions.resources import SessionFillResource
from sessions.selectors import with_seat_counts

FONTS = Path(settings.BASE_DIR) / "certificates" / "fonts"
"""DejaVu Sans (every Turkish letter), shipped with the certificates."""

TRAINED_COLOUR = "#0b5394"
CERTIFIED_COLOUR = "#e69138"


def _local_only(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint's fetcher for the PDF: our own font files, nothing over the network."""
    from weasyprint.urls import default_url_fetcher

    if not url.startswith(FONTS.as_uri()):
        raise ValueError(f"not fetched: {url}")
    return default_url_fetcher(url, *args, **kwargs)


def reader_scope(request: HttpRequest) -> Scope:
    """The reader's scope, or 403."""
    scope = report_scope(request.user)
    if scope is None:
        raise PermissionDenied
    return scope


def program_of(request: HttpRequest) -> Program | None:
    """The program asked for (``?program=``), else the newest open one, else the newest."""
    programs = Program.objects.order_by("-is_open", "-year", "-pk")
    asked = id_or_none(request.GET.get("program"))
    if asked is not None:
        chosen = programs.filter(pk=asked).first()
        if chosen is not None:
            return chosen
    return programs.first()


def _percent(part: int, whole: int) -> int:
    return min(round(100 * part / whole), 100) if whole else 0


def month_label(month: str) -> str:
    """``2026-10`` → ``10.2026`` (the Turkish way of writing a month)."""
    return f"{month[5:]}.{month[:4]}"


def standing(program: Program, scope: Scope, report: dict[str, Any]) -> dict[str, Any]:
    """What the dashboard and the PDF both show: progress against the target, the charts and the map
    with the tables they are drawn from."""
    totals = report["totals"]
    target = report["target"]
    months = report["by_month"]
    categories = report["by_category"]
    trained_by_plate = {row["province"]: row["trained"] for row in report["by_province"]}
    return {
        "program": program,
        "report": report,
        "totals": totals,
        "target": target,
        "trained_percent": _percent(totals["trained"], target),
        "certified_percent": _percent(totals["certified"], target),
        "months": [{**row, "label": month_label(row["month"])} for row in months],
        "month_chart": bar_chart_svg(
            [month_label(row["month"]) for row in months],
            [
                Series(_("Trained"), TRAINED_COLOUR, [row["trained"] for row in months]),
                Series(_("Certified"), CERTIFIED_COLOUR, [row["certified"] for row in months]),
            ],
            title=_("People trained and certified by month"),
            html_id="chart-months",
        ),
        "category_chart": hbar_chart_svg(
            [(row["name"], row["trained"]) for row in categories],
            title=_("People trained by category"),
            html_id="chart-categories",
            colour=TRAINED_COLOUR,
        ),
        "province_map": province_map_svg(trained_by_plate, label=_("People trained by province")),
        "provinces": sorted(
            (row for row in report["by_province"] if row["booked"] or row["trained"] or row["certified"]),
            key=lambda row: -row["trained"],
        ),
        "whole_program": scope.is_whole_program,
    }


def dashboard_context(request: HttpRequest, *, now: datetime | None = None) -> dict[str, Any]:
    """The dashboard's context for the admin's start page (empty when the reader has no reports or
    there is no program)."""
    scope = report_scope(request.user)
    program = program_of(request) if scope is not None else None
    if scope is None or program is None:
        return {}
    now = now or timezone.now()
    figures = dashboard(program, scope, now=now)
    return {
        "dashboard": True,
        **standing(program, scope, figures["report"]),
        "programs": Program.objects.order_by("-is_open", "-year", "-pk"),
        "upcoming": figures["upcoming"],
        "queue": figures["queue"],
        "above_right": figures["above_right"],
        "unused": figures["unused"],
        "unused_count": figures["unused_count"],
        "now": now,
    }


def standing_pdf(request: HttpRequest) -> HttpResponse:
    """The program's standing on one page (WeasyPrint): the progress, the figures and the map."""
    from weasyprint import HTML

    scope = reader_scope(request)
    program = program_of(request)
    if program is None:
        raise PermissionDenied
    now = timezone.now()
    context = {**standing(program, scope, program_report(program, scope, now=now)), "now": now}
    # One page: the last 12 months and the 10 provinces with the most people trained.
    context["months"] = context["months"][-12:]
    context["provinces"] = context["provinces"][:10]
    context["font_regular"] = (FONTS / "DejaVuSans.ttf").as_uri()
    context["font_bold"] = (FONTS / "DejaVuSans-Bold.ttf").as_uri()
    html = render_to_string("reports/standing_pdf.html", context, request=request)
    pdf = HTML(string=html, url_fetcher=_local_only).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"program-{program.year}-{timezone.localdate(now):%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _download(rows: list[dict[str, Any]], columns: list[Column], name: str, extension: str) -> HttpResponseBase:
    if extension not in ("csv", "xlsx"):
        raise Http404
    if extension == "xlsx":
        return xlsx_response(rows, columns, name)
    return csv_response(rows, columns, name)


def institutions_download(request: HttpRequest, extension: str) -> HttpResponseBase:
    """The per-institution list of the reader's scope, as the API's download has it."""
    scope = reader_scope(request)
    program = program_of(request)
    if program is None:
        raise PermissionDenied
    rows = flat(institution_rows(program, scope))
    return _download(rows, INSTITUTION_COLUMNS, f"institutions-{program.year}", extension)


def session_fill_download(request: HttpRequest, extension: str) -> HttpResponseBase:
    """The fill of the program's announced and completed classroom sessions: the sessions' admin
    export (``sessions.resources.SessionFillResource``), for the program chosen."""
    reader_scope(request)
    program = program_of(request)
    if program is None:
        raise PermissionDenied
    sessions = with_seat_counts(
        TrainingSession.objects.filter(
            program=program, status__in=[SessionStatus.ANNOUNCED, SessionStatus.COMPLETED]
        ).order_by("starts_at", "pk")
    )
    dataset = SessionFillResource().export(queryset=sessions)
    columns: list[Column] = [(header, header) for header in dataset.headers]
    rows = [dict(zip(dataset.headers, row, strict=True)) for row in dataset]
    return _download(rows, columns, f"session-fill-{program.year}", extension)


def breakdowns(request: HttpRequest, site_context: dict[str, Any]) -> TemplateResponse:
    """The reach by course, venue and trainer, and the classroom fill per venue and session."""
    scope = reader_scope(request)
    program = program_of(request)
    if program is None:
        raise PermissionDenied
    sessions, venues = classroom_fill(program)
    context = {
        **site_context,
        "title": _("Reach by course, venue and trainer"),
        "program": program,
        "by_session": by_session(program, scope),
        "fill_sessions": sessions,
        "fill_venues": venues,
        "whole_program": scope.is_whole_program,
    }
    return TemplateResponse(request, "admin/reports/breakdowns.html", context)
