"""The institution's participants: the list, adding, editing and removing them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from entitlements.models import Institution, Unit, UnitLevel
from entitlements.navigation import official_bands_of
from entitlements.selectors import institution_list
from kamusm_portal.errors import RuleViolation, add_rule_error
from sessions.forms.participants import ParticipantForm
from sessions.models import Participant
from sessions.selectors import participant_list
from sessions.services import participant_create, participant_delete, participant_update
from sessions.views.shared import no_institution_page, official_institution_or_404

_LEVEL_ORDER = {UnitLevel.MERKEZ: 0, UnitLevel.IL: 1, UnitLevel.ILCE: 2}
_PARTICIPANT_FIELDS = ("first_name", "last_name", "email", "unit", "role", "kimlik_no", "multiplier", "language")


@require_GET
@login_required
def participants(request: HttpRequest) -> HttpResponse:
    if official_bands_of(request).institution is None:
        return no_institution_page(request)
    return render(request, "sessions/participants.html", {"participants": list(participant_list(user=request.user))})


def _units(request: HttpRequest, institution: Institution) -> list[Unit]:
    """The institution's units, central first, then provincial, then district."""
    own = institution_list(user=request.user).filter(pk=institution.pk).first()
    if own is None:
        raise Http404
    return sorted(own.units.all(), key=lambda unit: _LEVEL_ORDER.get(unit.level, 9))


def _participant_or_404(request: HttpRequest, pk: int) -> Participant:
    participant = participant_list(user=request.user).filter(pk=pk).first()
    if participant is None:
        raise Http404
    return participant


def _participant_form(request: HttpRequest, institution: Institution, *, submit_label: str, initial=None):
    return ParticipantForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        units=_units(request, institution),
        submit_label=submit_label,
        cancel_url=reverse("sessions_portal:participants"),
    )


@require_http_methods(["GET", "POST"])
@login_required
def participant_add(request: HttpRequest) -> HttpResponse:
    institution = official_institution_or_404(request)
    form = _participant_form(request, institution, submit_label=_("Add participant"))
    if form.is_bound and form.is_valid():
        try:
            participant = participant_create(institution=institution, data=form.cleaned_data, by=request.user)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("%(name)s is added.") % {"name": participant.full_name})
            return redirect("sessions_portal:participants")
    return render(request, "sessions/participant_form.html", {"form": form, "participant": None})


@require_http_methods(["GET", "POST"])
@login_required
def participant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    institution = official_institution_or_404(request)
    participant = _participant_or_404(request, pk)
    initial = {field: getattr(participant, field) for field in _PARTICIPANT_FIELDS}
    initial["unit"] = participant.unit_id
    form = _participant_form(request, institution, submit_label=_("Save"), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            participant = participant_update(participant=participant, data=form.cleaned_data, by=request.user)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": participant.full_name})
            return redirect("sessions_portal:participants")
    return render(request, "sessions/participant_form.html", {"form": form, "participant": participant})


@require_http_methods(["GET", "POST"])
@login_required
def participant_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page, then a POST; one holding live reservations stays, with the reason."""
    official_institution_or_404(request)
    participant = _participant_or_404(request, pk)
    if request.method == "POST":
        try:
            participant_delete(participant=participant, by=request.user)
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s is removed.") % {"name": participant.full_name})
        return redirect("sessions_portal:participants")
    return render(request, "sessions/participant_confirm_delete.html", {"participant": participant})
