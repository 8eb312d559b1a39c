"""The roster of an on-site session: taking someone off it (enrolling is on the session's page,
``onsite.onsite_session``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kamusm_portal.errors import RuleViolation
from sessions.services import enrolment_delete
from sessions.views.shared import official_institution_or_404, onsite_session_or_404


@require_POST
@login_required
def enrolment_remove(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    institution = official_institution_or_404(request)
    session = onsite_session_or_404(request, institution, pk)
    enrolment = session.enrolments.select_related("participant").filter(pk=enrolment_pk).first()
    if enrolment is None:
        raise Http404
    try:
        enrolment_delete(enrolment=enrolment, by=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is taken off the roster.") % {"name": enrolment.participant.full_name})
    return redirect("sessions_portal:onsite_session", pk=session.pk)
