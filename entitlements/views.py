"""Pages of the officials' portal: institution detail, category calculator. (The official's
dashboard needs the reports layer: ``reports/views/official.py``.)

Views only read through selectors and services; an official reaches their own institution
only (another institution's page is a 404, never a 403 that would confirm it exists).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from entitlements.forms import CategoryCalculatorForm
from entitlements.models import Delivery
from entitlements.selectors import institution_page
from entitlements.services import category_for


@require_GET
@login_required
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An institution the user may see (an official: their own; programme staff: any); else 404."""
    page = institution_page(user=request.user, pk=pk)
    if page is None:
        raise Http404
    context = {"institution": page.institution, "units": page.units, "entitlements": page.entitlements}
    return render(request, "portal/institution_detail.html", context)


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
