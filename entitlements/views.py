"""Pages of the officials' portal: dashboard, institution detail, category calculator.

Views only read through selectors and services; an official reaches their own institution
only (another institution's page is a 404, never a 403 that would confirm it exists).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from entitlements.forms import CategoryCalculatorForm
from entitlements.models import Delivery, Entitlement, Institution, UnitLevel
from entitlements.selectors import entitlement_list, institution_list, official_institution
from entitlements.services import category_for

_LEVEL_ORDER = {UnitLevel.MERKEZ: 0, UnitLevel.IL: 1, UnitLevel.ILCE: 2}


def _institution_context(*, user, pk: int) -> dict:
    """An institution ``user`` may see (units prefetched, total annotated) and its entitlements,
    in a fixed number of queries: the institution, its units, its entitlements. 404 otherwise."""
    institution: Institution | None = institution_list(user=user).filter(pk=pk).first()
    if institution is None:
        raise Http404
    entitlements: list[Entitlement] = list(entitlement_list(institution=institution))
    # Central unit first, then provincial, then district; the selector's Turkish name order within each.
    units = sorted(institution.units.all(), key=lambda unit: _LEVEL_ORDER.get(unit.level, 9))
    return {"institution": institution, "units": units, "entitlements": entitlements}


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The official's own institution: units and user counts, and per program the band and right."""
    institution = official_institution(request.user)
    if institution is None:
        # Staff, trainers or a user not (yet) linked to an institution: a page that says so.
        return render(request, "portal/no_institution.html")
    return render(request, "portal/dashboard.html", _institution_context(user=request.user, pk=institution.pk))


@require_GET
@login_required
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An institution the user may see (an official: their own; programme staff: any); else 404."""
    return render(request, "portal/institution_detail.html", _institution_context(user=request.user, pk=pk))


@require_GET
def calculator(request: HttpRequest) -> HttpResponse:
    """Public: enter a user count, see the band of the program's table and the right it gives."""
    submitted = "active_users" in request.GET
    form = CategoryCalculatorForm(request.GET if submitted else None)
    context: dict = {"form": form, "submitted": submitted, "has_programs": form.newest_program is not None}
    if submitted and form.is_valid():
        program = form.cleaned_data["program"]
        users = form.cleaned_data["active_users"]
        band = category_for(program=program, active_users=users)
        context.update(
            {
                "program": program,
                "active_users": users,
                "band": band,
                "is_classroom": band is not None and band.delivery == Delivery.CLASSROOM,
                "above_last_band": band is None and users > 0,
            }
        )
    return render(request, "portal/calculator.html", context)
