"""The centre's screens for certificates: a read-only record list with the progress of a session's
batch, and revoke / re-render actions that go through ``certificates.services``.

Certificates are made by recording attendance, never added, edited or deleted by hand. Programme
staff (the "Programme staff" group holds the certificates' permissions) see and act on them; an
account manager or a trainer (staff users without those permissions) sees nothing, and an account
manager given the view permission would see their institutions' certificates only (the row scope,
``kamusm_portal.admin.ScopedAdmin``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Lower, Replace
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from certificates import services
from certificates.models import Certificate, CertificateStatus
from certificates.rendering import verify_url
from certificates.resources import CertificateResource
from kamusm_portal.admin import ExportAdminMixin, IdListFilter, ServiceHistoryAdmin, admin_page_context, run_each
from kamusm_portal.bounds import id_or_none
from kamusm_portal.roles import is_programme_staff
from kamusm_portal.text import tr_fold
from sessions.models import TrainingSession

# ``kamusm_portal.text.tr_fold`` in SQL, for a snapshot field without a stored search key: the
# Turkish letters (both cases) onto their Latin base letters, then ``LOWER`` (ASCII from here on,
# so SQLite and PostgreSQL agree).
_FOLD = (
    ("İ", "i"),
    ("I", "i"),
    ("ı", "i"),
    ("Ç", "c"),
    ("ç", "c"),
    ("Ğ", "g"),
    ("ğ", "g"),
    ("Ö", "o"),
    ("ö", "o"),
    ("Ş", "s"),
    ("ş", "s"),
    ("Ü", "u"),
    ("ü", "u"),
    ("Â", "a"),
    ("â", "a"),
    ("Î", "i"),
    ("î", "i"),
    ("Û", "u"),
    ("û", "u"),
)


def _folded(field: str):
    expression = F(field)
    for letter, base in _FOLD:
        expression = Replace(expression, Value(letter), Value(base))
    return Lower(expression)


def _session_id(request: HttpRequest) -> int | None:
    """The session the list is filtered by (``?session=<id>``), if one."""
    return id_or_none(request.GET.get(SessionFilter.parameter_name))


class SessionFilter(IdListFilter):
    """Sessions that have certificates, the latest first (of the chosen program, if one), in one
    query; any session is reachable by its id: ``?session=<id>``."""

    title = _("session")
    parameter_name = "session"
    LIMIT = 30

    def lookups(self, request, model_admin):
        sessions = (
            TrainingSession.objects.filter(pk__in=model_admin.get_queryset(request).values("session_id"))
            .select_related("course", "venue", "institution")
            .order_by("-starts_at", "-pk")
        )
        program = id_or_none(request.GET.get("session__program__id__exact"))
        if program is not None:
            sessions = sessions.filter(program_id=program)
        chosen = _session_id(request)
        if chosen is not None:
            sessions = sessions.filter(Q(pk__in=sessions.values("pk")[: self.LIMIT]) | Q(pk=chosen))
        else:
            sessions = sessions[: self.LIMIT]
        return [(s.pk, self.label(s)) for s in sessions]

    @staticmethod
    def label(session: TrainingSession) -> str:
        where = session.institution or session.venue
        return f"{session} · {where.name}" if where else str(session)

    def filter_id(self, request, queryset, value):
        return queryset.filter(session_id=value)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("Shown on the public verification page of each certificate."),
    )


@admin.register(Certificate)
class CertificateAdmin(ExportAdminMixin, ServiceHistoryAdmin):
    institution_path = "institution"  # the row scope (kamusm_portal.admin.ScopedAdmin)
    resource_classes = [CertificateResource]
    list_display = (
        "serial",
        "participant_name",
        "institution_name",
        "course_title",
        "session_date",
        "status",
        "issued_at",
        "ready_at",
        "attempts",
        "verify_link",
    )
    list_display_links = ("serial",)
    list_filter = (
        "session__program",
        SessionFilter,
        ("institution", admin.RelatedOnlyFieldListFilter),
        "status",
    )
    # Every column reads the certificate's own snapshot: no join.
    list_select_related = ()
    search_fields = ("serial",)  # shows the search box; the lookups are in get_search_results
    search_help_text = _("Serial number, verification code (dashes optional), participant or institution name.")
    list_per_page = 100
    actions = ["revoke", "rerender"]
    history_list_display = ("status", "attempts", "revoked_reason")
    fieldsets = (
        (None, {"fields": ("serial", "verify_link", "status", "language", "participant", "session", "institution")}),
        (
            _("What the certificate says"),
            {
                "fields": (
                    "participant_name",
                    "institution_name",
                    "course_title",
                    "course_title_en",
                    "hours",
                    "starts_on",
                    "ends_on",
                    "place",
                )
            },
        ),
        (_("PDF"), {"fields": ("issued_at", "ready_at", "pdf", "attempts", "error")}),
        (_("Revocation"), {"fields": ("revoked_at", "revoked_reason", "revoked_by")}),
    )
    readonly_fields = [name for _title, block in fieldsets for name in block["fields"]]

    # -- records, not forms: no add, no edit, no delete -----------------------------------------

    def has_add_permission(self, request):
        return False  # issued by recording attendance

    def has_change_permission(self, request, obj=None):
        return False  # what a certificate says is kept as it was issued

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the code stays verifiable

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("certificates.change_certificate")

    has_rerender_permission = has_revoke_permission

    # -- columns --------------------------------------------------------------------------------

    @admin.display(description=_("session date"), ordering="starts_on")
    def session_date(self, obj):
        """The dates the certificate prints, linking to the list of the session's batch."""
        text = obj.dates_text
        url = f"{reverse('admin:certificates_certificate_changelist')}?{urlencode({'session': obj.session_id})}"
        return format_html('<a href="{}" title="{}">{}</a>', url, gettext("Certificates of this session"), text)

    @admin.display(description=_("verification"))
    def verify_link(self, obj):
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', verify_url(obj), obj.code_display)

    # -- search ---------------------------------------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
        """A serial number, a verification code as typed from paper (``7kqm-4xz2-…``), or words of
        the participant's or the institution's name, matched Turkish-folded (``isik`` finds
        ``IŞIK``)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(serial__icontains=term)
        code = services.code_normalise(term)
        if len(code) == services.CODE_LENGTH:
            match |= Q(code=code)
        words = tr_fold(term).split()
        if words:
            every_word = Q()
            for word in words:
                every_word &= Q(_name_key__contains=word) | Q(institution__search_key__contains=word)
            match |= every_word
            queryset = queryset.alias(_name_key=_folded("participant_name"))
        return queryset.filter(match), False

    # -- the batch of one session ---------------------------------------------------------------

    def batch_progress(self, request: HttpRequest, session_id: int) -> dict | None:
        """The counts of a session's certificates by status, in one aggregate query; a session is
        named only to who sees a certificate of it, or every session (programme staff)."""
        sessions = TrainingSession.objects.select_related("course", "venue", "institution")
        if not is_programme_staff(request.user):
            sessions = sessions.filter(pk__in=self.get_queryset(request).values("session_id"))
        session = sessions.filter(pk=session_id).first()
        if session is None:
            return None
        counts = (
            self.get_queryset(request)
            .filter(session_id=session_id)
            .aggregate(total=Count("pk"), **{s.value: Count("pk", filter=Q(status=s)) for s in CertificateStatus})
        )
        live = counts["total"] - counts[CertificateStatus.REVOKED.value]
        base = reverse("admin:certificates_certificate_changelist")
        return {
            "session": session,
            "label": SessionFilter.label(session),
            "session_url": reverse("admin:training_sessions_trainingsession_change", args=[session.pk]),
            "total": counts["total"],
            "live": live,
            "percent_ready": round(100 * counts[CertificateStatus.READY.value] / live) if live else 0,
            "statuses": [
                (s.label, counts[s.value], f"{base}?{urlencode({'session': session.pk, 'status__exact': s.value})}")
                for s in CertificateStatus
            ],
        }

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        session_id = _session_id(request)
        context = getattr(response, "context_data", None)
        if session_id is not None and context is not None and "cl" in context:
            context["batch"] = self.batch_progress(request, session_id)
        return response

    # -- actions --------------------------------------------------------------------------------

    @admin.action(description=_("Revoke the selected certificates with a reason"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> HttpResponse | None:
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            context = admin_page_context(
                self,
                request,
                title=gettext("Revoke certificates"),
                form=form,
                certificates=list(queryset),
                action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
            )
            return TemplateResponse(request, "admin/certificates/certificate/revoke.html", context)
        reason = form.cleaned_data["reason"]
        done = run_each(
            self,
            request,
            queryset,
            lambda row: services.certificate_revoke(certificate=row, reason=reason, by=request.user),
        )
        if done:
            self.message_user(
                request,
                ngettext("%(n)s certificate revoked.", "%(n)s certificates revoked.", done) % {"n": done},
                messages.SUCCESS,
            )
        return None

    @admin.action(description=_("Render the PDFs of the selected certificates again"), permissions=["rerender"])
    def rerender(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> None:
        rows = list(queryset)
        live = [row for row in rows if row.status != CertificateStatus.REVOKED]
        skipped = len(rows) - len(live)
        # one revoked since the list was shown is refused by the service, and reported
        done = run_each(
            self, request, live, lambda row: services.certificate_rerender(certificate=row, by=request.user)
        )
        if done:
            self.message_user(
                request,
                ngettext("%(n)s certificate queued for rendering.", "%(n)s certificates queued for rendering.", done)
                % {"n": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)s revoked certificate left as it is.", "%(n)s revoked certificates left as they are.", skipped
                )
                % {"n": skipped},
                messages.WARNING,
            )
