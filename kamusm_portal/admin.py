"""Admin plumbing shared by every app's admin: who sees which rows (``ScopedAdmin``), service-backed
history, actions that call a service row by row, the context of custom admin pages, search on a
stored Turkish-folded key, list filters by id and date drill-downs that refuse what the database
cannot hold, and the changelists' CSV and XLSX exports; the delete action in words Turkish can say
of any model; the Turkish names of the third-party models the admin lists; and the admin of the
plumbing's own model, the tasks to retry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import actions as django_actions
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.db.models import Field, ForeignObjectRel, Model, Q, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import select_template
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm
from simple_history.admin import SimpleHistoryAdmin
from tablib import Dataset

from kamusm_portal.bounds import FIRST_YEAR, LAST_YEAR, id_or_none
from kamusm_portal.errors import RuleViolation
from kamusm_portal.exports import CSV_MEDIA_TYPE, csv_text, xlsx_content
from kamusm_portal.models import OutboxTask
from kamusm_portal.roles import is_programme_staff, managed_by
from kamusm_portal.tasks import outbox_tasks_retry
from kamusm_portal.text import tr_fold

T = TypeVar("T")
M = TypeVar("M", bound=Model)
C = TypeVar("C", bound="ModelChoiceField[Any]")


# --- Who sees which rows ----------------------------------------------------------------------


def _follow_id(obj: Any, path: str) -> Any:
    """The id at the end of ``path`` from the row ``obj``: ``"pk"`` is the row's own, ``"a__b"``
    is ``obj.a.b_id``. ``None`` where a link is empty or leads to a row that is gone (a history
    record of a deleted row)."""
    *hops, last = path.split("__")
    for hop in hops:
        try:
            obj = getattr(obj, hop)
        except ObjectDoesNotExist:
            return None
        if obj is None:
            return None
    return obj.pk if last == "pk" else getattr(obj, f"{last}_id", None)


def _related_model(field: Field[Any, Any] | ForeignObjectRel) -> type[Model] | None:
    related = field.related_model if field.is_relation else None
    return related if isinstance(related, type) else None


class ScopedAdmin(admin.ModelAdmin):
    """Who sees which rows of the admin, in one place: the portal's admin site
    (``reports.admin_site.PortalAdminSite``) puts this class first in the MRO of every admin
    registered on it (``scoped_admin_class``), the apps' and third-party ones (users, groups,
    tokens, lock-out logs, second-factor devices) alike, so no admin can leave it out or override
    it by accident. Do not inherit it: declare, on the admin, where its rows belong.

    - ``institution_path = "session__institution"``: the lookup from a row to its institution
      (``""`` for ``Institution`` itself). An account manager sees the rows of the institutions
      assigned to them (``kamusm_portal.roles.managed_by``).
    - ``trainer_path = "session__trainer"``: the lookup from a row to its trainer (``"pk"`` for
      ``Trainer`` itself, whose id is its user's). A trainer sees the rows of their own work.
    - ``reference_data = True``: rows of no institution nor trainer (programs, courses, venues,
      provinces): everyone reads them as their model permissions allow.
    - none of these: programme staff only, whatever permissions anyone else holds.

    Programme staff (``kamusm_portal.roles.is_programme_staff``) see every row. Anyone else sees,
    of a model with a path, the rows it leads to them through (both paths: both roles), and of the
    rows of a model without one, none. The scope narrows what an admin allows and never widens
    it: model permissions (and the admin's own ``has_*_permission``) still decide which lists open
    and what may be changed. It covers the changelist and its filters, search, actions and exports
    (they read ``get_queryset``), the change, delete and history pages of a row and of its history
    records (404 for a row out of sight, as for one that does not exist, whatever the reader's
    permissions), autocomplete (it reads the related admin's ``get_queryset``), and the choices of
    related fields on forms (``formfield_for_foreignkey``/``…manytomany``: the related model's
    admin's scope). A list filter of a related field offers only the values of the rows in sight.
    """

    # -- the declaration ----------------------------------------------------------------------

    def _paths(self) -> tuple[str | None, str | None]:
        return getattr(self, "institution_path", None), getattr(self, "trainer_path", None)

    def sees_every_row(self, request: HttpRequest) -> bool:
        """Programme staff, or a model of reference data."""
        return bool(getattr(self, "reference_data", False)) or is_programme_staff(request.user)

    def _for_programme_staff_only(self) -> bool:
        return self._paths() == (None, None) and not getattr(self, "reference_data", False)

    def row_scope(self, request: HttpRequest) -> Q | None:
        """The condition on the rows ``request.user`` sees, or ``None`` for every row."""
        if self.sees_every_row(request):
            return None
        institution_path, trainer_path = self._paths()
        user_id = request.user.pk
        scope = Q(pk__in=[])  # no row
        if institution_path is not None:
            scope |= managed_by(user_id, institution_path)
        if trainer_path is not None:
            scope |= Q(**{trainer_path: user_id})
        return scope

    def row_in_scope(self, request: HttpRequest, obj: Any) -> bool:
        """Whether ``request.user`` sees the row ``obj`` (or a history record of it); no row: yes,
        unless the admin is for programme staff only."""
        if self.sees_every_row(request):
            return True
        if self._for_programme_staff_only():
            return False
        if obj is None:
            return True
        institution_path, trainer_path = self._paths()
        user_id = request.user.pk
        if institution_path is not None:
            manager = f"{institution_path}__account_manager" if institution_path else "account_manager"
            if _follow_id(obj, manager) == user_id:
                return True
        return trainer_path is not None and _follow_id(obj, trainer_path) == user_id

    # -- rows -------------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        scope = self.row_scope(request)
        return queryset if scope is None else queryset.filter(scope)

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str) -> HttpResponse:
        # Django's change, delete and history pages redirect to the index for a missing row, once
        # the user's permissions are checked; out of sight, a row answers 404 as a missing one.
        if not self.sees_every_row(request):
            raise Http404
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)  # type: ignore[misc]

    def _raise_404_out_of_sight(self, request: HttpRequest, object_id: str) -> None:
        """A row's history out of sight answers 404, as a missing row's does, before any permission
        is checked: simple_history's history pages fall back to the row's history records when
        ``get_queryset`` holds no such row, and then answered 403, which told it existed."""
        if not self.sees_every_row(request) and self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self._raise_404_out_of_sight(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:  # simple_history's page of one history record
        self._raise_404_out_of_sight(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]

    # -- permissions ------------------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(super().has_module_permission(request)) and self.row_in_scope(request, None)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(super().has_view_permission(request, obj)) and self.row_in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(super().has_add_permission(request)) and self.row_in_scope(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(super().has_change_permission(request, obj)) and self.row_in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(super().has_delete_permission(request, obj)) and self.row_in_scope(request, obj)

    # -- related fields: choices on forms, list filters -------------------------------------------

    def _scope_choices(self, field: C | None, request: HttpRequest) -> C | None:
        if field is None or field.queryset is None or is_programme_staff(request.user):
            return field
        related = self.admin_site._registry.get(field.queryset.model)
        if isinstance(related, ScopedAdmin):
            scope = related.row_scope(request)
            if scope is not None:
                field.queryset = field.queryset.filter(scope)
        return field

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        return self._scope_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        return self._scope_choices(super().formfield_for_manytomany(db_field, request, **kwargs), request)

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        if self.sees_every_row(request):
            return filters
        return [self._related_only(item) for item in filters]

    def _related_only(self, item: Any) -> Any:
        """A filter of a related field offers every row of the related model; out of programme
        staff's hands, it offers those of the rows in sight (``RelatedOnlyFieldListFilter``)."""
        if isinstance(item, str):
            path, filter_class = item, None
        elif isinstance(item, list | tuple):
            path, filter_class = item
        else:
            return item  # a SimpleListFilter decides its own choices
        if filter_class not in (None, admin.RelatedFieldListFilter):
            return item
        try:
            field = get_fields_from_path(self.model, path)[-1]
        except (FieldDoesNotExist, AttributeError):
            return item
        if _related_model(field) is None:
            return item
        return (path, admin.RelatedOnlyFieldListFilter)


def scoped_admin_class(admin_class: type[admin.ModelAdmin[Any]]) -> type[admin.ModelAdmin[Any]]:
    """``admin_class`` with ``ScopedAdmin`` first in its MRO (the portal's admin site registers
    every admin so). An admin that inherits ``ScopedAdmin`` itself fails here (no consistent MRO):
    the scope must come first."""
    if admin_class.__mro__[1] is ScopedAdmin:
        return admin_class  # registered again
    namespace = {
        "__module__": admin_class.__module__,
        "__qualname__": admin_class.__qualname__,
        "__doc__": admin_class.__doc__,
    }
    scoped: type[admin.ModelAdmin[Any]] = type(admin_class.__name__, (ScopedAdmin, admin_class), namespace)
    return scoped


def admin_page_context(model_admin: admin.ModelAdmin[Any], request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """The context every custom admin page under a model's list renders with
    (``admin/model_page.html``)."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "app_label": model_admin.opts.app_label,
        "has_view_permission": model_admin.has_view_permission(request),
        **extra,
    }


@admin.action(permissions=["delete"], description=_("Delete the selected records"))
def delete_selected(model_admin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    """Django's delete action (its confirmation page, its permission checks), in words Turkish
    says of any model: "Seçili kayıtları sil", where Django's "Delete selected %(verbose_name_plural)s"
    read "Seçili kurumlar nesnelerini sil". The portal's admin site offers it in place of Django's."""
    return django_actions.delete_selected(model_admin, request, queryset)


def run_each(
    model_admin: admin.ModelAdmin[Any], request: HttpRequest, rows: Iterable[T], call: Callable[[T], object]
) -> int:
    """An admin action's work: ``call(row)`` (a service) for each row; a refusal (RuleViolation)
    is reported against its row and the others go on. Answers how many went through."""
    done = 0
    for row in rows:
        try:
            call(row)
        except RuleViolation as exc:
            model_admin.message_user(request, f"{row}: {exc.message}", messages.ERROR)
        else:
            done += 1
    return done


class ServiceHistoryAdmin(SimpleHistoryAdmin):
    """History shown, never reverted from: every write of these models goes through a service."""

    def revert_disabled(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class TurkishSearchMixin:
    """Search on the stored Turkish-folded key: ``istanbul``, ``İSTANBUL`` and ``ıstanbul`` match alike."""

    search_key_field = "search_key"
    search_fields = ("search_key",)  # shows the search box; the lookup itself is below

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[M], search_term: str
    ) -> tuple[QuerySet[M], bool]:
        for word in tr_fold(search_term).split():
            queryset = queryset.filter(**{f"{self.search_key_field}__contains": word})
        return queryset, False


# --- Filters that refuse what the database cannot hold ---------------------------------------


def _refuse_filter(request: HttpRequest, name: object, value: object) -> NoReturn:
    """Drop a malformed filter as the admin does (``IncorrectLookupParameters``: the list comes
    back unfiltered), saying which one and why."""
    messages.warning(
        request,
        gettext("The filter “%(filter)s” was dropped: “%(value)s” is not a value it takes.")
        % {"filter": name, "value": value},
    )
    raise IncorrectLookupParameters(value)


class IdListFilter(admin.SimpleListFilter):
    """A list filter whose value is an id (``?province=6``, ``?program=1``): ``filter_id`` gets it
    as a number. A value that is not an id the database can hold (``?province=99999999999999999999``,
    ``?program=abc``) never reaches a query: the filter is dropped with a message."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        value = self.value()
        if value is None or value == "":
            return queryset
        number = id_or_none(value)
        if number is None:
            _refuse_filter(request, self.title, value)
        return self.filter_id(request, queryset, number)

    def filter_id(self, request: HttpRequest, queryset: QuerySet[Any], value: int) -> QuerySet[Any]:
        raise NotImplementedError


class BoundedChangeList(ChangeList):
    """A changelist whose date drill-down (``date_hierarchy``: ``?starts_at__year=2026``) takes only
    a year Python can compute a range from (``FIRST_YEAR`` to ``LAST_YEAR``), a month 1-12 and a day
    1-31; anything else drops the filter with a message, where Django's own would overflow."""

    def get_filters(self, request: HttpRequest) -> Any:
        if self.date_hierarchy:
            for part, low, high in (("year", FIRST_YEAR, LAST_YEAR), ("month", 1, 12), ("day", 1, 31)):
                name = f"{self.date_hierarchy}__{part}"
                for value in request.GET.getlist(name):
                    text = value.strip()
                    if not (text.isascii() and text.isdigit() and len(text) <= 4 and low <= int(text) <= high):
                        _refuse_filter(request, name, value)
        return super().get_filters(request)


class BoundedChangeListMixin:
    """Changelists of a model admin with a ``date_hierarchy``: ``BoundedChangeList``."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return BoundedChangeList


# --- Exports ----------------------------------------------------------------------------------


class SafeCSV(base_formats.CSV):
    """django-import-export's CSV written by ``kamusm_portal.exports``: UTF-8 with a byte order
    mark, every cell through ``safe_cell`` (no formula, dates as ``04.03.2026``)."""

    def export_data(self, dataset: Dataset, **kwargs: Any) -> str:
        return csv_text(dataset.headers or [], dataset)

    def get_content_type(self) -> str:
        return f"{CSV_MEDIA_TYPE}; charset=utf-8"

    def can_import(self) -> bool:
        return False


class SafeXLSX(base_formats.XLSX):
    """django-import-export's XLSX written by ``kamusm_portal.exports``: text cells never become
    formulas, dates are date cells."""

    def export_data(self, dataset: Dataset, **kwargs: Any) -> bytes:
        return xlsx_content(dataset.headers or [], dataset, title=dataset.title or "")

    def can_import(self) -> bool:
        return False


class ExportAdminMixin(ExportMixin):
    """An "Export" button on a changelist: the rows it shows (its own queryset, so a trainer or an
    account manager exports only theirs, with the list's filters and search) as CSV or XLSX, in the
    columns of the admin's ``resource_classes`` (one resource per admin: the file's header row is
    its fields' ``column_name``, translated). The resource's ``filter_export`` joins and counts what
    its columns read, so the export runs a fixed number of queries whatever its length.

    A resource's values are taken as they are (``force_native_type``): numbers stay numbers and
    times are written in the portal's time zone, by the one cell rule of ``kamusm_portal.exports``.
    """

    export_formats = [SafeCSV, SafeXLSX]
    ie_base_change_list_template: str
    export_form_class = ExportForm  # the resource's columns, without a field picker

    def init_change_list_template(self) -> None:
        # import-export's changelist template extends the admin's; without a template of its own,
        # that is the model's override (``admin/<app>/<model>/change_list.html``) where there is
        # one, as Django's changelist would have looked it up.
        super().init_change_list_template()
        if self.ie_base_change_list_template == "admin/change_list.html":
            opts = self.opts
            self.ie_base_change_list_template = select_template(
                [
                    f"admin/{opts.app_label}/{opts.model_name}/change_list.html",
                    f"admin/{opts.app_label}/change_list.html",
                    "admin/change_list.html",
                ]
            ).template.name

    def has_export_permission(self, request: HttpRequest) -> bool:
        # import-export lets any staff user export; here only who may view the list (its export
        # URL is reached without the changelist's own check).
        return bool(self.has_view_permission(request))

    def get_data_for_export(self, request: HttpRequest, queryset: QuerySet[Any], **kwargs: Any) -> Dataset:
        kwargs["force_native_type"] = True
        return super().get_data_for_export(request, queryset, **kwargs)

    def get_export_filename(self, request: HttpRequest, queryset: QuerySet[Any], file_format: Any) -> str:
        return f"{self.opts.model_name}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"


# --- The tasks to retry (the outbox) ---------------------------------------------------------


class OutboxTaskAdmin(admin.ModelAdmin):
    """What failed after its write committed (an e-mail the mail server refused, a task the broker
    could not take): waiting for the scheduled job to try it again, or given up. Staff read it,
    try it again, or remove it; nobody edits it. Registered by ``PortalConfig.ready``: this module
    is imported by the admin site's own, before the site exists."""

    list_display = ("task", "args", "status", "attempts", "last_error_short", "created_at", "next_attempt_at")
    list_filter = ("status", "task")
    readonly_fields = (
        "task",
        "args",
        "kwargs",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "given_up_at",
    )
    actions = ("retry",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("last error"))
    def last_error_short(self, entry: OutboxTask) -> str:
        return entry.last_error[:120]

    @admin.action(description=_("Try again"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxTask]) -> None:
        done = outbox_tasks_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d task will be tried again within a minute.",
                "%(count)d tasks will be tried again within a minute.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )


# --- Third-party models in Turkish -----------------------------------------------------------

_DEVICE_FIELDS = {
    "user": _("user"),
    "name": _("name"),
    "confirmed": _("confirmed"),
    "throttling_failure_timestamp": _("last wrong code at"),
    "throttling_failure_count": _("wrong codes in a row"),
    "created_at": _("created at"),
    "last_used_at": _("last used at"),
}

#: The names of the third-party models the admin lists whose own are plain English, not
#: translatable (django_otp's second-factor devices): (singular, plural, {field: name}). Those
#: with translatable names (django-axes', auth's, the tokens') are translated in
#: ``locale/tr/LC_MESSAGES/django.po``, which wins over the apps' own catalogs.
THIRD_PARTY_MODEL_NAMES: dict[str, tuple[Any, Any, dict[str, Any]]] = {
    "otp_totp.TOTPDevice": (
        _("authenticator app"),
        _("authenticator apps"),
        {
            **_DEVICE_FIELDS,
            "key": _("secret key"),
            "step": _("code period (seconds)"),
            "t0": _("start of the first period (t0)"),
            "digits": _("digits"),
            "tolerance": _("tolerance (periods)"),
            "drift": _("clock drift (periods)"),
            "last_t": _("last period used (t)"),
        },
    ),
    "otp_static.StaticDevice": (_("backup code list"), _("backup code lists"), _DEVICE_FIELDS),
    "otp_static.StaticToken": (
        _("backup code"),
        _("backup codes"),
        {"device": _("backup code list"), "token": _("code")},
    ),
}

#: Columns of third-party admins named in plain English: {model: {method: name}}.
THIRD_PARTY_COLUMN_NAMES: dict[str, dict[str, Any]] = {
    "axes.AccessAttempt": {"status": _("status")},
    "otp_totp.TOTPDevice": {"qrcode_link": _("QR code")},
}

#: Third-party apps the admin lists, named in plain English (``Otp_Totp``).
THIRD_PARTY_APP_NAMES: dict[str, Any] = {
    "axes": _("Sign-in attempts"),
    "otp_totp": _("Second factor: authenticator apps"),
    "otp_static": _("Second factor: backup codes"),
}


class TranslatedFieldsetsMixin:
    """The titles of a third-party admin's fieldsets, written in plain English by the package
    (django_otp's "Identity", "Timestamps"), looked up in the portal's catalog."""

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        return [(gettext(title) if title else title, options) for title, options in fieldsets]


#: The third-party admins whose fieldset titles are plain English.
THIRD_PARTY_FIELDSET_ADMINS = ("otp_totp.TOTPDevice", "otp_static.StaticDevice")


def third_party_names_use(site: admin.AdminSite) -> None:
    """Names the third-party models, columns, fieldsets and apps of ``site`` in the portal's
    catalog (see above). The help texts of those models' fields, plain English too, are looked up
    in the catalog with the package's own English as the msgid (listed, with the fieldset titles,
    in ``kamusm_portal.translations_third_party`` so that ``makemessages`` keeps them). Only what the admin shows
    changes: a field's declared name (``Field.deconstruct`` reads ``_verbose_name``) and a model's
    declared options are what migrations read, and a help text's msgid is the declared text."""
    for label, (singular, plural, fields) in THIRD_PARTY_MODEL_NAMES.items():
        opts = apps.get_model(label)._meta
        opts.verbose_name, opts.verbose_name_plural = singular, plural
        for name, verbose_name in fields.items():
            field = opts.get_field(name)
            field.verbose_name = verbose_name
            if isinstance(field.help_text, str) and field.help_text:
                field.help_text = gettext_lazy(field.help_text)  # the package's English is the msgid
    for label, columns in THIRD_PARTY_COLUMN_NAMES.items():
        model_admin = site._registry.get(apps.get_model(label))
        for name, description in columns.items():
            method = getattr(type(model_admin), name, None) if model_admin is not None else None
            if method is not None:
                method.short_description = description
    for label in THIRD_PARTY_FIELDSET_ADMINS:
        model = apps.get_model(label)
        registered = site._registry.get(model)
        if registered is not None and not isinstance(registered, TranslatedFieldsetsMixin):
            bases = type(registered).__bases__  # (ScopedAdmin, the package's) on the portal's site
            package_admin = bases[-1] if bases[0] is ScopedAdmin else type(registered)
            site.unregister(model)
            site.register(model, type(package_admin.__name__, (TranslatedFieldsetsMixin, package_admin), {}))
    for label, verbose_name in THIRD_PARTY_APP_NAMES.items():
        apps.get_app_config(label).verbose_name = verbose_name
