"""Programs, their category tables, provinces, institutions and units, and the entitlement ledger."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kamusm_portal.db import TurkishCollate
from kamusm_portal.services import history_user
from kamusm_portal.text import tr_fold
from kamusm_portal.validators import validate_organisation_name

#: The most active users a unit, or an institution's units together, may count: what a
#: PositiveIntegerField holds on every supported database (the ledger stores the total).
MAX_ACTIVE_USERS = 2_147_483_647


class Delivery(models.TextChoices):
    CLASSROOM = "classroom", _("Classroom at a centre venue")
    ONSITE = "onsite", _("On-site at the institution")


class CertificateRule(models.TextChoices):
    ATTENDED = "attended", _("Attended (full or partial)")
    FULL = "full", _("Attended in full")


class Program(models.Model):
    """One campaign (the letter's is 2012) with the figures the letter fixes for it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    is_open = models.BooleanField(_("open"), default=True)
    trainee_target = models.PositiveIntegerField(_("trainee target"), default=4000)
    notice_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=21)
    classroom_size = models.PositiveSmallIntegerField(_("classroom size"), default=24)
    classroom_quota = models.PositiveSmallIntegerField(_("classroom quota per institution"), default=6)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        permissions = [("act_as_programme_staff", _("Can act as program staff"))]
        constraints = [
            models.CheckConstraint(condition=Q(classroom_size__gt=0), name="program_classroom_size_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A band of a program's category table: bounds inclusive, the right it gives."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="categories", verbose_name=_("program"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    min_users = models.PositiveIntegerField(_("lower bound of active users"))
    max_users = models.PositiveIntegerField(_("upper bound of active users"))
    hours = models.PositiveSmallIntegerField(_("training hours"))
    delivery = models.CharField(_("delivery"), max_length=20, choices=Delivery.choices)
    certificate_rule = models.CharField(
        _("certificate for"), max_length=20, choices=CertificateRule.choices, default=CertificateRule.FULL
    )

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["program", "min_users"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="category_code_unique_in_program"),
            models.CheckConstraint(condition=Q(min_users__lte=F("max_users")), name="category_bounds_ordered"),
            models.CheckConstraint(condition=Q(min_users__gte=1), name="category_min_users_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.min_users}–{self.max_users})"


class Province(models.Model):
    """One of Turkey's 81 provinces; its key is the plate code (1-81)."""

    plate = models.PositiveSmallIntegerField(_("plate code"), primary_key=True)
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["plate"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        constraints = [
            models.CheckConstraint(condition=Q(plate__gte=1, plate__lte=81), name="province_plate_range"),
        ]

    def __str__(self) -> str:
        return f"{self.plate:02d} {self.name}"


class District(models.Model):
    """A district of a province; names repeat across provinces, so it is keyed on (province, name)."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="districts", verbose_name=_("province")
    )
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        ordering = ["province", TurkishCollate("name")]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [
            models.UniqueConstraint(fields=["province", "name"], name="district_unique_in_province"),
        ]

    def __str__(self) -> str:
        return f"{self.name} / {self.province.name}"


class InstitutionKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    GENERAL_DIRECTORATE = "general_directorate", _("General directorate")
    PRESIDENCY = "presidency", _("Presidency")
    GOVERNORSHIP = "governorship", _("Governorship")
    MUNICIPALITY = "municipality", _("Municipality")
    UNIVERSITY = "university", _("University")
    OTHER = "other", _("Other")


class Institution(models.Model):
    """A public body; its entitlement and every application go through its central unit."""

    name = models.CharField(_("name"), max_length=255, validators=[validate_organisation_name])
    code = models.CharField(
        _("code"), max_length=32, unique=True, help_text=_("Public institution registry number (DETSİS).")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=InstitutionKind.choices, default=InstitutionKind.OTHER)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_institutions",
        verbose_name=_("account manager"),
        limit_choices_to={"is_staff": True},
    )
    is_active = models.BooleanField(_("active"), default=True)
    search_key = models.CharField(_("search key"), max_length=300, editable=False, db_index=True, default="")

    history = HistoricalRecords(get_user=history_user, excluded_fields=["search_key"])

    class Meta:
        ordering = [TurkishCollate("name")]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.search_key = institution_search_key(self.name, self.code)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_key"}
        super().save(*args, **kwargs)


def institution_search_key(name: str, code: str) -> str:
    return f"{tr_fold(name)} {tr_fold(code)}"


class UnitLevel(models.TextChoices):
    MERKEZ = "merkez", _("Central")
    IL = "il", _("Provincial")
    ILCE = "ilce", _("District")


class Unit(models.Model):
    """A central, provincial or district unit of an institution, with its active users."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="units", verbose_name=_("institution")
    )
    level = models.CharField(_("level"), max_length=10, choices=UnitLevel.choices)
    name = models.CharField(_("name"), max_length=255, validators=[validate_organisation_name])
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("province")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    active_users = models.PositiveIntegerField(_("active users"), default=0)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["institution", "level", TurkishCollate("name")]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(
                fields=["institution"], condition=Q(level="merkez"), name="unit_one_merkez_per_institution"
            ),
            models.UniqueConstraint(
                F("institution"),
                F("level"),
                Coalesce(F("province"), Value(0)),
                Coalesce(F("district"), Value(0)),
                F("name"),
                name="unit_natural_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(level="merkez") | Q(province__isnull=False), name="unit_province_required_below_merkez"
            ),
            models.CheckConstraint(
                condition=~Q(level="ilce") | Q(district__isnull=False), name="unit_district_required_for_ilce"
            ),
            models.CheckConstraint(
                condition=Q(level="ilce") | Q(district__isnull=True), name="unit_district_only_for_ilce"
            ),
            models.CheckConstraint(condition=Q(active_users__gte=0), name="unit_active_users_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Language(models.TextChoices):
    """The language of a person's e-mails and certificate (the portal itself is Turkish first)."""

    TR = "tr", _("Turkish")
    EN = "en", _("English")


class Official(models.Model):
    """A user who acts for one institution (an institution may have several)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="official", verbose_name=_("user")
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="officials", verbose_name=_("institution")
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        default=Language.TR,
        help_text=_("Language of the e-mails the official receives."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("official")
        verbose_name_plural = _("officials")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.institution})"


class EntitlementFlag(models.TextChoices):
    NO_USERS = "no_users", _("No active users")
    ABOVE_LAST_BAND = "above_last_band", _("Above the last band")
    USAGE_ABOVE_RIGHT = "usage_above_right", _("Usage above the right")


@dataclass(frozen=True)
class Right:
    """What a band gives an institution in a program: classroom **seats** (a classroom band) or
    on-site **hours** (an on-site band); the other side is 0, and both are 0 without a band."""

    seats: int = 0
    hours: int = 0


def right_of(category: Category | None, program: Program) -> Right:
    """The one definition of what a band gives in a program: the program's classroom quota of seats
    for a classroom band, the band's hours for an on-site band, nothing without a band."""
    if category is None:
        return Right()
    if category.delivery == Delivery.CLASSROOM:
        return Right(seats=program.classroom_quota)
    if category.delivery == Delivery.ONSITE:
        return Right(hours=category.hours)
    return Right()


class Entitlement(models.Model):
    """What an institution may receive in a program: its total, band and a flag for the centre.

    Rows are written only by ``entitlement_recompute``; the right comes from the band
    (``right``). Usage is never stored here: it is counted from the facts, in one place
    (``sessions.selectors.usage``). What is stored is the centre's state of an occurrence of usage
    above the right (``usage_above_right_since``, ``usage_above_right_notified_at``), written only
    by ``sessions.services.entitlements_usage_check`` and ``entitlement_usage_notify``
    (docs/domain.md, "Usage above the right").
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="entitlements", verbose_name=_("program")
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="entitlements", verbose_name=_("institution")
    )
    total_active_users = models.PositiveIntegerField(_("total active users"), default=0)
    previous_total_active_users = models.PositiveIntegerField(_("previous total"), null=True, blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    flag = models.CharField(_("flag"), max_length=30, choices=EntitlementFlag.choices, blank=True, default="")
    recomputed_at = models.DateTimeField(_("recomputed at"), null=True, blank=True)
    usage_above_right_since = models.DateTimeField(
        _("usage above the right since"),
        null=True,
        blank=True,
        help_text=_(
            "Set when a recomputation left the institution's usage above its right; cleared when it no longer is."
        ),
    )
    usage_above_right_notified_at = models.DateTimeField(
        _("usage above the right notified at"),
        null=True,
        blank=True,
        help_text=_("When the account manager (or programme staff) was e-mailed about this occurrence."),
    )

    history = HistoricalRecords(get_user=history_user)

    _change_reason: str
    """Not a column: simple-history records it as the reason of the history row of the next ``save()``."""

    class Meta:
        ordering = ["program", "institution"]
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        constraints = [
            models.UniqueConstraint(fields=["program", "institution"], name="entitlement_unique_per_program"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} / {self.program}"

    @property
    def delivery(self) -> str | None:
        return self.category.delivery if self.category else None

    @property
    def band_hours(self) -> int:
        """The band's training hours as its table states them: the length of the classroom course
        for a classroom band, the hours budget for an on-site band; 0 without a band."""
        return self.category.hours if self.category else 0

    @property
    def right(self) -> Right:
        """Seats for a classroom band (the program's quota), hours for an on-site band."""
        return right_of(self.category, self.program)

    @property
    def seat_quota(self) -> int:
        return self.right.seats
