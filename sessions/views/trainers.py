"""A trainer's pages: their work plan (upcoming sessions, blocks of unavailability, the latest
past sessions), renewing their calendar link, and the calendar feed itself, which needs no login:
its secret link is the key."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kamusm_portal.errors import RuleViolation, add_rule_error
from sessions.calendar import trainer_by_token, trainer_calendar
from sessions.forms.trainers import UnavailabilityForm
from sessions.models import Trainer, TrainingSession, Unavailability
from sessions.selectors import trainer_of, trainer_work_plan
from sessions.services import trainer_calendar_link_renew, unavailability_create, unavailability_delete

SCHEDULE_AHEAD = timedelta(days=3 * 366)
SCHEDULE_PAST = 50


def _trainer_or_404(request: HttpRequest) -> Trainer:
    trainer = trainer_of(request.user)
    if trainer is None:
        raise Http404
    return trainer


@require_http_methods(["GET", "POST"])
@login_required
def trainer_schedule(request: HttpRequest) -> HttpResponse:
    """The trainer's work plan: upcoming sessions and blocks of unavailability (with a form to add
    one), the latest past sessions with their attendance sheets, and the calendar link."""
    trainer = _trainer_or_404(request)
    form = UnavailabilityForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            unavailability_create(
                trainer=trainer,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The block is added to your work plan."))
            return redirect("sessions_portal:trainer_schedule")
    now = timezone.now()
    upcoming, blocks = trainer_work_plan(trainers=[trainer], starts=now, ends=now + SCHEDULE_AHEAD)
    past = list(
        TrainingSession.objects.live()
        .filter(trainer=trainer, ends_at__lte=now)
        .select_related("course", "venue", "province", "institution")
        .order_by("-starts_at", "-pk")[:SCHEDULE_PAST]
    )
    feed = request.build_absolute_uri(reverse("sessions_portal:trainer_calendar", args=[trainer.calendar_token]))
    return render(
        request,
        "sessions/trainer_schedule.html",
        {
            "trainer": trainer,
            "upcoming": upcoming,
            "past": past,
            "past_limit": SCHEDULE_PAST,
            "blocks": blocks,
            "form": form,
            "feed_url": feed,
            "now": now,
        },
    )


@require_POST
@login_required
def unavailability_remove(request: HttpRequest, pk: int) -> HttpResponse:
    trainer = _trainer_or_404(request)
    block = Unavailability.objects.filter(pk=pk, trainer=trainer).first()
    if block is None:
        raise Http404
    unavailability_delete(block=block, by=request.user)
    messages.success(request, _("The block is removed from your work plan."))
    return redirect("sessions_portal:trainer_schedule")


@require_POST
@login_required
def trainer_calendar_renew(request: HttpRequest) -> HttpResponse:
    trainer = _trainer_or_404(request)
    trainer_calendar_link_renew(trainer=trainer, by=request.user)
    messages.success(request, _("Your calendar link is renewed: the old link no longer works."))
    return redirect("sessions_portal:trainer_schedule")


@require_safe
def trainer_calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The trainer's work plan as iCalendar, for their calendar application. No login: the secret
    link is the key (renewing it revokes the old one); an unknown link is a 404."""
    trainer = trainer_by_token(token)
    if trainer is None:
        raise Http404
    response = HttpResponse(
        trainer_calendar(trainer=trainer, now=timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="kamusm-egitimler.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response
