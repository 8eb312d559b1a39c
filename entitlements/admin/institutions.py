"""The centre's screens for institutions, their units and their officials, with the import of
user counts. Every write that carries a rule goes through ``entitlements.services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from entitlements import services
from entitlements.models import Category, Entitlement, Institution, Official, Program, Province, Unit, UnitLevel
from entitlements.resources import UserCountImportMixin
from kamusm_portal.admin import IdListFilter, TurkishSearchMixin
from kamusm_portal.errors import RuleViolation
from kamusm_portal.validators import EmailAddressFormField, validate_person_name

# --- Institutions and units -------------------------------------------------------------------


class ProvinceFilter(IdListFilter):
    title = _("province")
    parameter_name = "province"

    def lookups(self, request, model_admin):
        return [(p.plate, str(p)) for p in Province.objects.all()]

    def filter_id(self, request, queryset, value):
        return queryset.filter(units__province=value).distinct()


class CategoryFilter(IdListFilter):
    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(c.pk, f"{c.program.year} · {c.name}") for c in Category.objects.select_related("program")]

    def filter_id(self, request, queryset, value):
        return queryset.filter(entitlements__category=value)


class ProgramFilter(IdListFilter):
    """Institutions that have an entitlement (a band) in the chosen program."""

    title = _("program")
    parameter_name = "program"

    def lookups(self, request, model_admin):
        return [(p.pk, p.name) for p in Program.objects.all()]

    def filter_id(self, request, queryset, value):
        return queryset.filter(entitlements__program=value, entitlements__category__isnull=False)


class UnitInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        merkez = sum(
            1
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data["level"] == "merkez"
        )
        if merkez != 1:
            raise ValidationError(
                gettext("An institution has exactly one central (merkez) unit; %(n)s were given.") % {"n": merkez}
            )


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ("level", "name", "province", "district", "active_users")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.unit_validate(
                level=data.get("level"),
                province=data.get("province"),
                district=data.get("district"),
                active_users=data.get("active_users"),
            )
        except RuleViolation as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    self.add_error(field if field in self.fields else None, error)
        institution = data.get("institution") or (self.instance.institution if self.instance.institution_id else None)
        if (
            "institution" in self.fields
            and institution
            and institution.pk is not None  # a new institution (its add form) has no stored unit
            and data.get("level") == UnitLevel.MERKEZ
            and services.unit_merkez_taken(institution=institution, exclude_pk=self.instance.pk)
        ):
            self.add_error("level", gettext("This institution already has a central (merkez) unit."))
        return data


class UnitInline(admin.TabularInline):
    model = Unit
    form = UnitForm
    formset = UnitInlineFormSet
    extra = 0
    autocomplete_fields = ("district",)
    fields = ("level", "name", "province", "district", "active_users")


class OfficialInline(admin.TabularInline):
    model = Official
    extra = 0
    fields = ("user", "created_at")
    readonly_fields = ("user", "created_at")
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False  # officials are made through their own add form (a new user each)


@admin.register(Institution)
class InstitutionAdmin(UserCountImportMixin, TurkishSearchMixin, SimpleHistoryAdmin):
    institution_path = ""  # the row scope (kamusm_portal.admin.ScopedAdmin): an account manager's own
    list_display = ("name", "code", "kind", "total_users_display", "categories_display", "account_manager", "is_active")
    list_filter = ("kind", "is_active", ProgramFilter, CategoryFilter, ProvinceFilter, "account_manager")
    list_select_related = ("account_manager",)
    fields = ("name", "code", "kind", "account_manager", "is_active")
    inlines = [UnitInline, OfficialInline]
    actions = ["recompute_entitlements"]
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(total_users=Coalesce(Sum("units__active_users"), 0))
            .prefetch_related(
                Prefetch(
                    "entitlements",
                    queryset=Entitlement.objects.filter(program__is_open=True).select_related("program", "category"),
                    to_attr="open_entitlements",
                )
            )
        )

    def has_view_permission(self, request, obj=None):
        # Any staff user opens the list; the row scope shows them the institutions they manage.
        return super().has_view_permission(request, obj) or request.user.is_staff

    def has_module_permission(self, request):
        return super().has_module_permission(request) or request.user.is_staff

    @admin.display(description=_("active users"), ordering="total_users")
    def total_users_display(self, obj):
        return obj.total_users

    @admin.display(description=_("category"))
    def categories_display(self, obj):
        return ", ".join(
            f"{e.category.name if e.category else '—'}{' ⚑' if e.flag else ''}" for e in obj.open_entitlements
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.entitlement_recompute(
            institutions=Institution.objects.filter(pk=form.instance.pk), by=request.user, reason="admin edit"
        )

    @admin.action(description=_("Recompute the entitlements of the selected institutions"))
    def recompute_entitlements(self, request, queryset):
        changed = services.entitlement_recompute(
            institutions=Institution.objects.filter(pk__in=queryset.values("pk")),
            by=request.user,
            reason="admin action",
        )
        self.message_user(
            request,
            ngettext("%(n)s entitlement changed.", "%(n)s entitlements changed.", changed) % {"n": changed},
        )


@admin.register(Unit)
class UnitAdmin(TurkishSearchMixin, SimpleHistoryAdmin):
    institution_path = "institution"
    form = UnitForm
    search_key_field = "institution__search_key"
    list_display = ("name", "institution", "level", "province", "district", "active_users")
    list_filter = ("level", "province")
    list_select_related = ("institution", "province", "district")
    autocomplete_fields = ("institution", "district")
    fields = ("institution", "level", "name", "province", "district", "active_users")

    def get_readonly_fields(self, request, obj=None):
        # Moving a unit to another institution is not an edit: remove it there and add it here.
        return ("institution",) if obj else ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.entitlement_recompute(
            institutions=Institution.objects.filter(pk=obj.institution_id), by=request.user, reason="unit edited"
        )


# --- Officials --------------------------------------------------------------------------------


class AccountAddForm(forms.ModelForm):
    """The fields of a new account (``entitlements.services.account_create``) on an admin add form
    of a person the portal knows: an official here, a trainer in the sessions admin."""

    username = forms.CharField(label=_("username"), max_length=150)
    email = EmailAddressFormField(label=_("e-mail"))
    first_name = forms.CharField(
        label=_("first name"), max_length=150, required=False, validators=[validate_person_name]
    )
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False, validators=[validate_person_name])
    password = forms.CharField(label=_("password"), widget=forms.PasswordInput, required=False)
    password_help = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = self.password_help


class OfficialAddForm(AccountAddForm):
    password_help = _("Leave empty to e-mail a link where the official chooses a password.")

    class Meta:
        model = Official
        fields = ("institution",)


@admin.register(Official)
class OfficialAdmin(SimpleHistoryAdmin):
    institution_path = "institution"
    list_display = ("user", "user_email", "institution", "created_at")
    list_select_related = ("user", "institution")
    list_filter = ("institution__kind",)
    search_fields = ("user__username", "user__email", "user__last_name", "institution__search_key")
    autocomplete_fields = ("institution",)
    readonly_fields = ("user", "created_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OfficialAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("institution", "username", "email", "first_name", "last_name", "password")
        return ("user", "institution", "created_at")

    @admin.display(description=_("e-mail"), ordering="user__email")
    def user_email(self, obj):
        return obj.user.email

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        user = services.official_create(
            institution=data["institution"],
            username=data["username"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            password=data["password"] or None,
            by=request.user,
        )
        obj.pk = user.official.pk
        obj.user = user
