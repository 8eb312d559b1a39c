"""The official's dashboard (``portal:dashboard``): their institution's units and counts, and per
open program its band, its right and what it has used of it (as a bar, with the numbers as text),
its people, its next sessions and the one action that fits its band.

Staff, trainers and users without an institution get a page that says so. A fixed number of
queries whatever the number of participants, reservations and sessions (see
``reports.selectors.official``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from entitlements.navigation import official_bands_of
from entitlements.selectors import institution_page
from reports.selectors.official import OfficialProgram, official_programs
from sessions.selectors import Usage


@dataclass(frozen=True)
class Segment:
    """A part of a usage bar: its figure and its width in whole per cent of the bar."""

    name: str
    value: int
    percent: int


def _percent(part: int, whole: int) -> int:
    return min(100, 100 * part // whole) if whole > 0 else 0


def seat_segments(usage: Usage) -> list[Segment]:
    """Seats used of the quota: one segment. Above the quota the bar is full (its scale is what is
    used)."""
    scale = max(usage.seat_quota, usage.seats_used)
    return [Segment("used", usage.seats_used, _percent(usage.seats_used, scale))]


def hour_segments(usage: Usage) -> list[Segment]:
    """Hours used, held and remaining, stacked. Above the right the bar's scale is what is used and
    held, and nothing remains on it."""
    scale = max(usage.hours, usage.hours_used + usage.hours_held)
    return [
        Segment("used", usage.hours_used, _percent(usage.hours_used, scale)),
        Segment("held", usage.hours_held, _percent(usage.hours_held, scale)),
        Segment("remaining", usage.hours_available, _percent(usage.hours_available, scale)),
    ]


@dataclass(frozen=True)
class ProgramPanel:
    """An open program as the dashboard draws it."""

    figures: OfficialProgram
    seat_segments: list[Segment]
    hour_segments: list[Segment]

    @property
    def shows_seats(self) -> bool:
        """A classroom band, or seats still counted after a recomputation moved the band."""
        return self.figures.is_classroom or self.figures.usage.seats_used > 0

    @property
    def shows_hours(self) -> bool:
        """An on-site band, or hours still counted after a recomputation moved the band."""
        usage = self.figures.usage
        return self.figures.is_onsite or usage.hours_used + usage.hours_held > 0

    @property
    def seats_scale(self) -> int:
        return max(self.figures.usage.seat_quota, self.figures.usage.seats_used)

    @property
    def hours_scale(self) -> int:
        usage = self.figures.usage
        return max(usage.hours, usage.hours_used + usage.hours_held)

    @property
    def seats_over(self) -> int:
        return max(-self.figures.usage.seats_remaining, 0)

    @property
    def hours_over(self) -> int:
        return max(-self.figures.usage.hours_remaining, 0)


def _panel(figures: OfficialProgram) -> ProgramPanel:
    return ProgramPanel(figures, seat_segments(figures.usage), hour_segments(figures.usage))


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The official's own institution: units and user counts, and per open program the band, the
    right and its usage, the institution's people and next sessions, and the action that fits."""
    institution = official_bands_of(request).institution  # read once a request, shared with the navigation
    if institution is None:
        # Staff, trainers or a user not (yet) linked to an institution: a page that says so.
        return render(request, "portal/no_institution.html")
    page = institution_page(user=request.user, pk=institution.pk)
    if page is None:
        raise Http404
    programs = official_programs(page.institution, page.entitlements)
    context = {
        "institution": page.institution,
        "units": page.units,
        "entitlements": page.entitlements,
        "programs": [_panel(p) for p in programs],
    }
    return render(request, "portal/dashboard.html", context)
