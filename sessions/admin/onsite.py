"""The centre's screens for on-site training requests. An account manager (a staff user without
the programme-staff permission) sees the requests of the institutions assigned to them, their own
open ones first; programme staff reject them with a reason, schedule their items into on-site
sessions, and ask for a conflict-free proposal of trainers and dates to accept placement by
placement. Rejecting and scheduling go through ``sessions.services``."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget, AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from entitlements.models import Program, Province
from kamusm_portal.admin import (
    ExportAdminMixin,
    ServiceHistoryAdmin,
    TurkishSearchMixin,
    admin_page_context,
    run_each,
)
from kamusm_portal.bounds import moment_or_none
from kamusm_portal.errors import RuleViolation, add_rule_error
from kamusm_portal.roles import is_programme_staff
from sessions import planning, selectors, services
from sessions.admin.shared import is_account_manager
from sessions.models import RequestStatus, Trainer, TrainingRequest, TrainingRequestItem, TrainingSession
from sessions.resources import TrainingRequestResource


class RequestItemInline(admin.TabularInline):
    """The courses asked, with the hours scheduled so far; read-only (officials submit them)."""

    model = TrainingRequestItem
    extra = 0
    fields = ("course", "hours", "scheduled_display", "left_display", "sessions_display")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        live = TrainingSession.objects.live().select_related("course", "trainer__user").order_by("starts_at", "pk")
        return selectors.items_with_scheduled_hours().prefetch_related(
            Prefetch("sessions", queryset=live, to_attr="live_sessions")
        )

    def has_view_permission(self, request, obj=None):
        return TrainingRequestAdmin.can_view(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("scheduled hours"))
    def scheduled_display(self, obj):
        return obj.scheduled

    @admin.display(description=_("hours left"))
    def left_display(self, obj):
        return obj.hours_left

    @admin.display(description=_("sessions"))
    def sessions_display(self, obj):
        return (
            format_html_join(
                "",
                '<div><a href="{}">{}</a> · {} · {}</div>',
                (
                    (
                        reverse("admin:training_sessions_trainingsession_change", args=[s.pk]),
                        s,
                        s.hours,
                        s.trainer or "—",
                    )
                    for s in obj.live_sessions
                ),
            )
            or "—"
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_("The institution's officials receive it by e-mail."),
    )


class ScheduleForm(forms.Form):
    item = forms.ModelChoiceField(label=_("course"), queryset=TrainingRequestItem.objects.none())
    trainer = forms.ModelChoiceField(label=_("trainer"), queryset=Trainer.objects.none())
    starts_at = forms.SplitDateTimeField(label=_("starts at"), widget=AdminSplitDateTime)
    ends_at = forms.SplitDateTimeField(label=_("ends at"), widget=AdminSplitDateTime)
    hours = forms.IntegerField(
        label=_("hours"),
        min_value=1,
        required=False,
        help_text=_(
            "Empty for a session within one day: its duration. Required over several days "
            "(e.g. 3 days of 8 hours = 24)."
        ),
    )
    province = forms.ModelChoiceField(label=_("province"), queryset=Province.objects.all())
    address = forms.CharField(label=_("address"), max_length=300, required=False)

    def __init__(self, *args, items, trainers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: (
            gettext("%(code)s %(title)s: %(asked)s h asked, %(left)s h left")
            % {
                "code": item.course.code,
                "title": item.course.title,
                "asked": item.hours,
                "left": item.hours_left,
            }
        )
        self.fields["trainer"].queryset = trainers
        self.fields["trainer"].label_from_instance = lambda t: f"{t} ({t.home_province})"

    def add_rule_error(self, exc: RuleViolation) -> None:
        """The service names the course ``course``; here it is chosen as a request item."""
        fields = dict(exc.fields)
        if "course" in fields:
            fields["item"] = fields.pop("course")
        add_rule_error(self, RuleViolation(exc.code, exc.message, fields=fields))


class ProposalForm(forms.Form):
    program = forms.ModelChoiceField(
        label=_("program"), queryset=Program.objects.filter(is_open=True).order_by("-year"), empty_label=None
    )
    first_day = forms.DateField(label=_("first day"), widget=AdminDateWidget)
    last_day = forms.DateField(label=_("last day"), widget=AdminDateWidget)

    MAX_DAYS = 366

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and first <= timezone.localdate():
            self.add_error("first_day", gettext("Proposals start tomorrow at the earliest."))
        if first and last and last < first:
            self.add_error("last_day", gettext("The range ends on or after its first day."))
        elif first and last and (last - first).days >= self.MAX_DAYS:
            self.add_error("last_day", gettext("Propose at most a year at a time."))
        return data


class AcceptForm(forms.Form):
    """One placement of the proposal, as its accept button posts it."""

    item = forms.ModelChoiceField(
        queryset=TrainingRequestItem.objects.select_related("request__institution", "request__program", "course")
    )
    trainer = forms.ModelChoiceField(queryset=Trainer.objects.all())
    starts_at = forms.DateTimeField()
    ends_at = forms.DateTimeField()
    hours = forms.IntegerField(min_value=1)


PROPOSAL_KEYS = ("program", "first_day", "last_day")


@admin.register(TrainingRequest)
class TrainingRequestAdmin(ExportAdminMixin, TurkishSearchMixin, ServiceHistoryAdmin):
    institution_path = "institution"  # the row scope (kamusm_portal.admin.ScopedAdmin)
    resource_classes = [TrainingRequestResource]
    search_key_field = "institution__search_key"
    list_display = (
        "__str__",
        "institution",
        "program",
        "province",
        "status",
        "items_summary",
        "hours_asked",
        "hours_scheduled",
        "submitted_at",
        "account_manager",
    )
    list_display_links = ("__str__",)
    list_filter = (
        "program",
        "status",
        ("province", admin.RelatedOnlyFieldListFilter),
        ("institution__account_manager", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("institution", "institution__account_manager", "program", "province")
    fields = (
        "institution",
        "program",
        "province",
        "status",
        "institution_hours",
        "windows_display",
        "expected_participants",
        "notes",
        "submitted_at",
        "submitted_by",
        "closed_at",
        "rejection_reason",
    )
    readonly_fields = fields
    inlines = [RequestItemInline]
    actions = ["reject"]

    # -- who sees what --------------------------------------------------------------------------

    @staticmethod
    def can_view(request: HttpRequest, obj=None) -> bool:
        """Programme staff and account managers open the list; the row scope shows an account
        manager the requests of their institutions only."""
        return request.user.has_perm("training_sessions.view_trainingrequest") or is_account_manager(request)

    def get_queryset(self, request):
        user = request.user
        return (
            selectors.requests_visible(user)
            .select_related(*self.list_select_related)
            .prefetch_related(Prefetch("items", queryset=selectors.items_with_scheduled_hours()))
        )

    def get_ordering(self, request):
        # The user's own open requests first, then the other open ones, then the closed ones.
        user = request.user
        queue = Case(
            When(status=RequestStatus.SUBMITTED, institution__account_manager=user.pk, then=Value(0)),
            When(status=RequestStatus.SUBMITTED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return [queue.asc(), "-submitted_at", "-pk"]

    def has_module_permission(self, request):
        return super().has_module_permission(request) or is_account_manager(request)

    def has_view_permission(self, request, obj=None):
        return self.can_view(request, obj)

    def has_add_permission(self, request):
        return False  # officials submit requests in the portal

    def has_change_permission(self, request, obj=None):
        return False  # a request changes only by scheduling, rejecting or the official's cancelling

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reject_permission(self, request) -> bool:
        return is_programme_staff(request.user)

    has_schedule_permission = has_reject_permission

    def get_list_display(self, request):
        if self.has_schedule_permission(request):
            return (*self.list_display, "schedule_link")
        return self.list_display

    # -- columns --------------------------------------------------------------------------------

    @admin.display(description=_("courses"))
    def items_summary(self, obj):
        return ", ".join(
            gettext("%(code)s: %(hours)s h") % {"code": i.course.code, "hours": i.hours} for i in obj.items.all()
        )

    @admin.display(description=_("hours asked"))
    def hours_asked(self, obj):
        return sum(i.hours for i in obj.items.all())

    @admin.display(description=_("hours scheduled"))
    def hours_scheduled(self, obj):
        return sum(i.scheduled for i in obj.items.all())

    @admin.display(description=_("account manager"), ordering="institution__account_manager__username")
    def account_manager(self, obj):
        return obj.institution.account_manager or "—"

    @admin.display(description=_("schedule"))
    def schedule_link(self, obj):
        if not obj.is_open:
            return "—"
        url = reverse("admin:training_sessions_trainingrequest_schedule", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Schedule"))

    @admin.display(description=_("institution's hours in the program"))
    def institution_hours(self, obj):
        usage = selectors.usage_for(institution=obj.institution, program=obj.program)
        return gettext("right %(right)s, used %(used)s, held %(held)s, remaining %(remaining)s") % {
            "right": usage.hours,
            "used": usage.hours_used,
            "held": usage.hours_held,
            "remaining": usage.hours_remaining,
        }

    @admin.display(description=_("preferred dates"))
    def windows_display(self, obj):
        windows = obj.windows
        if not windows:
            return gettext("No preference")
        return ", ".join(
            f"{formats.date_format(low, 'SHORT_DATE_FORMAT')} – {formats.date_format(high, 'SHORT_DATE_FORMAT')}"
            for low, high in windows
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_schedule": self.has_schedule_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_propose": self.has_schedule_permission(request)}
        return super().changelist_view(request, extra_context)

    # -- reject (an action with an intermediate page) -------------------------------------------

    @admin.action(description=_("Reject the selected requests with a reason"), permissions=["reject"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            done = run_each(
                self,
                request,
                queryset,
                lambda row: services.training_request_reject(request=row, reason=reason, by=request.user),
            )
            if done:
                self.message_user(
                    request,
                    ngettext("%(n)s request rejected.", "%(n)s requests rejected.", done) % {"n": done},
                    messages.SUCCESS,
                )
            return None
        return self._reject_page(request, form, list(queryset))

    def _reject_page(self, request: HttpRequest, form: RejectForm, requests: list) -> HttpResponse:
        """Asks for the reason; the page posts back to the ``reject`` action of the list."""
        context = admin_page_context(
            self,
            request,
            title=gettext("Reject training requests"),
            form=form,
            requests=requests,
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
        )
        return TemplateResponse(request, "admin/training_sessions/trainingrequest/reject.html", context)

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The reason page for one request, linked from its page."""
        if not self.has_reject_permission(request):
            raise PermissionDenied
        training_request = self.get_object(request, unquote(object_id))
        if training_request is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return self._reject_page(request, RejectForm(), [training_request])

    # -- schedule, proposal ---------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("proposal/", wrap(self.proposal_view), name="{}_{}_proposal".format(*info)),
            path("proposal/accept/", wrap(self.proposal_accept_view), name="{}_{}_proposal_accept".format(*info)),
            path("<path:object_id>/schedule/", wrap(self.schedule_view), name="{}_{}_schedule".format(*info)),
            path("<path:object_id>/reject/", wrap(self.reject_view), name="{}_{}_reject".format(*info)),
            *super().get_urls(),
        ]

    def _schedule_initial(self, request: HttpRequest, training_request: TrainingRequest) -> dict:
        """The request's province, and what a link (e.g. from the proposal) fills in; a start or an
        end that is no moment (``9999-12-31T23:59:59-14:00``) is left out, with a message."""
        initial = {"province": training_request.province_id}
        for key in ("item", "trainer", "hours", "address"):
            if request.GET.get(key):
                initial[key] = request.GET[key]
        for key in ("starts_at", "ends_at"):
            moment = moment_or_none(request.GET.get(key))
            if moment is not None:
                initial[key] = timezone.localtime(moment) if timezone.is_aware(moment) else moment
            elif request.GET.get(key) and request.method == "GET":
                self.message_user(
                    request,
                    gettext("The link's “%(value)s” is not a date and time the form can take: fill it in.")
                    % {"value": request.GET[key]},
                    messages.WARNING,
                )
        return initial

    def schedule_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Turn (part of) a request item into an on-site session: ``onsite_session_schedule``."""
        if not self.has_schedule_permission(request):
            raise PermissionDenied
        training_request = self.get_object(request, unquote(object_id))
        if training_request is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:training_sessions_trainingrequest_change", args=[training_request.pk])
        if not training_request.is_open:
            self.message_user(
                request,
                gettext("This request is %(status)s: there is nothing to schedule.")
                % {"status": training_request.get_status_display()},
                messages.WARNING,
            )
            return redirect(change_url)
        form = ScheduleForm(
            request.POST if request.method == "POST" else None,
            initial=self._schedule_initial(request, training_request),
            items=selectors.items_with_scheduled_hours().filter(request=training_request),
            trainers=selectors.trainer_list().filter(is_active=True, user__is_active=True),
        )
        rule_code = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                session = services.onsite_session_schedule(
                    request=training_request,
                    course=data["item"].course,
                    trainer=data["trainer"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    hours=data["hours"],
                    province=data["province"],
                    address=data["address"],
                    by=request.user,
                )
            except RuleViolation as exc:
                rule_code = exc.code
                form.add_rule_error(exc)
            else:
                self.message_user(
                    request,
                    gettext("%(session)s scheduled for %(institution)s with %(trainer)s.")
                    % {"session": session, "institution": training_request.institution, "trainer": session.trainer},
                    messages.SUCCESS,
                )
                return redirect("admin:training_sessions_trainingsession_change", session.pk)
        context = admin_page_context(
            self,
            request,
            title=gettext("Schedule %(request)s") % {"request": training_request},
            original=training_request,
            change_url=change_url,
            form=form,
            rule_code=rule_code,
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/training_sessions/trainingrequest/schedule.html", context)

    def proposal_view(self, request: HttpRequest) -> HttpResponse:
        """A conflict-free proposal of trainers and dates for a program's open requests, to accept
        placement by placement."""
        if not self.has_schedule_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        if any(key in request.GET for key in PROPOSAL_KEYS):
            form = ProposalForm(request.GET)
        else:
            form = ProposalForm(
                initial={"first_day": today + timedelta(days=1), "last_day": today + timedelta(days=56)}
            )
        report = None
        if form.is_bound and form.is_valid():
            report = planning.proposal_report(
                program=form.cleaned_data["program"],
                first_day=form.cleaned_data["first_day"],
                last_day=form.cleaned_data["last_day"],
                tz=timezone.get_current_timezone(),
            )
        back = urlencode({key: request.GET[key] for key in PROPOSAL_KEYS if key in request.GET})
        context = admin_page_context(
            self,
            request,
            title=gettext("Schedule proposal"),
            form=form,
            report=report,
            back=back,
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/training_sessions/trainingrequest/proposal.html", context)

    def proposal_accept_view(self, request: HttpRequest) -> HttpResponse:
        """Accept one placement: scheduled through the same service as any session; if the plan
        changed since (a conflict, hours used up), the error is shown."""
        if not self.has_schedule_permission(request):
            raise PermissionDenied
        return require_POST(self._proposal_accept)(request)

    def _proposal_accept(self, request: HttpRequest) -> HttpResponse:
        back = QueryDict(request.POST.get("back", ""))
        url = reverse("admin:training_sessions_trainingrequest_proposal")
        query = urlencode({key: back[key] for key in PROPOSAL_KEYS if key in back})
        form = AcceptForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, gettext("This placement is no longer valid: run the proposal again."), messages.ERROR
            )
            return redirect(f"{url}?{query}")
        data = form.cleaned_data
        item = data["item"]
        try:
            session = services.onsite_session_schedule(
                request=item.request,
                course=item.course,
                trainer=data["trainer"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                hours=data["hours"],
                by=request.user,
            )
        except RuleViolation as exc:
            self.message_user(
                request,
                gettext("%(request)s, %(course)s: %(error)s")
                % {"request": item.request, "course": item.course.code, "error": exc.message},
                messages.ERROR,
            )
        else:
            session_url = reverse("admin:training_sessions_trainingsession_change", args=[session.pk])
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    gettext("Scheduled:"),
                    session_url,
                    f"{session} · {item.request.institution} · {session.trainer}",
                ),
                messages.SUCCESS,
            )
        return redirect(f"{url}?{query}")
