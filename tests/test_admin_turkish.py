"""The admin reads Turkish, walked over EVERY model registered on the portal's admin site (a model
registered later is walked too), as programme staff meet it: a superuser with the language Turkish.

- Every name the admin shows of a model, in Turkish: the model's (singular and plural), each of its
  fields', each column of its list, each filter's title, each action's description, and those of
  the models of its inlines; and what its add and change forms write: each fieldset's title and
  each field's help text (the packages' too: django-otp's "Identity", django-axes' "Meta Data").
  A name is Turkish when it reads differently in Turkish than in the source (English); the few
  words both languages write alike are listed (``SAME_IN_BOTH``). The portal's own models are
  checked whole, registered or not (a field gains a list or a form later).
- The msgids the catalog keeps for the packages (``kamusm_portal.translations_third_party``) each
  have their Turkish.
- No capital dotless I where Turkish writes İ: Python's ``str.upper()`` capitalises ``il`` as
  ``Il``. Every page (the index, each app's page, and of every model its list, add form, a row's
  change form, history and a history record's page) is read as text and fails on a word starting
  with ``I`` and a lower-case letter, unless it is a name from the data (``Isparta``, ``Işıl``).
- The header and the title name the portal, never Django, on those pages and on the sign-in and
  password pages.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from types import ModuleType

import django_filters
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Model
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import serializers
from rest_framework.authtoken.models import Token

from certificates.services import attendance_record
from entitlements.models import District, Province
from kamusm_portal import translations_third_party
from kamusm_portal.models import OutboxTask
from kamusm_portal.text import capfirst
from sessions.models import (
    Course,
    Participant,
    Reservation,
    ReservationStatus,
    TrainingRequest,
    Unavailability,
)
from sessions.services import enrolment_create
from tests.entitlements.factories import OfficialFactory, UnitFactory, UserFactory
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    onsite_institution,
    onsite_session,
    submitted_request,
)
from tests.timing import at

pytestmark = pytest.mark.django_db

SITE = admin.site
REGISTERED = sorted(SITE._registry, key=lambda model: model._meta.label)
OUR_APPS = ("entitlements", "training_sessions", "certificates", "reports", "kamusm_portal")

# Names Turkish writes as the source does: words both languages share, and a Turkish source.
SAME_IN_BOTH = {"ID", "PDF", "program", "Portal", "T.C. kimlik no"}


def _listed(found: dict) -> str:
    return "\n" + "\n".join(f"{key}: {value}" for key, value in sorted(found.items()))


# --- Names --------------------------------------------------------------------------------------


def _both(text) -> tuple[str, str]:
    """``text`` (a lazy translation or a plain string) in the source language and in Turkish."""
    with translation.override(None):
        source = str(text)
    with translation.override("tr"):
        turkish = str(text)
    return source, turkish


def _english(text) -> str | None:
    """``text``'s source when it reads the same in Turkish and is not made of ``SAME_IN_BOTH``."""
    source, turkish = _both(text)
    return None if source != turkish or source in SAME_IN_BOTH else source


def _model_names(model: type[Model]) -> dict[str, object]:
    opts = model._meta
    names: dict[str, object] = {"verbose_name": opts.verbose_name, "verbose_name_plural": opts.verbose_name_plural}
    for field in opts.get_fields():
        if isinstance(field, Field):  # not a reverse relation: that is named by the other model
            names[f"field {field.name}"] = field.verbose_name
    return names


def _admin_names(model: type[Model], request) -> dict[str, object]:
    """What the admin of ``model`` names besides its model's names: its columns, filters, actions
    and its inlines' models."""
    model_admin = SITE._registry[model]
    names: dict[str, object] = {}
    for item in model_admin.get_list_display(request):
        if item == "__str__" or item == "action_checkbox":
            continue
        names[f"column {item}"] = label_for_field(item, model, model_admin)
    for list_filter in model_admin.get_list_filter(request):
        if isinstance(list_filter, type) and issubclass(list_filter, admin.SimpleListFilter):
            names[f"filter {list_filter.__name__}"] = list_filter.title  # a field's: the field's name
    for name, action in model_admin.get_actions(request).items():
        if action is not None:  # (function, name, description)
            names[f"action {name}"] = action[2]
    for inline in model_admin.inlines:
        for key, value in _model_names(inline.model).items():
            names[f"inline {inline.model._meta.label} {key}"] = value
    return names


def _superuser_request(rf):
    request = rf.get("/admin/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    return request


def test_every_model_of_the_portal_is_named_in_turkish():
    english = {}
    for app_label in OUR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model.__name__.startswith("Historical"):
                continue  # simple_history's copies: named after the model, never shown by name
            for key, name in _model_names(model).items():
                if key.startswith("field history_"):
                    continue
                if (source := _english(name)) is not None:
                    english[f"{model._meta.label} {key}"] = source
    assert not english, _listed(english)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_admin_names_its_model_its_columns_filters_and_actions_in_turkish(model, rf):
    request = _superuser_request(rf)
    english = {}
    for key, name in {**_model_names(model), **_admin_names(model, request)}.items():
        if (source := _english(name)) is not None:
            english[key] = source
    assert not english, _listed(english)


def _fieldsets_and_help_texts(model: type[Model], request, obj) -> dict[str, str]:
    """What the admin of ``model`` writes, in the active language, on its add form (``obj`` None)
    or a row's change form: each fieldset's title and each field's help text, the read-only
    fields' too. (A title or a form's help text may be translated as the form is built.)"""
    model_admin = SITE._registry[model]
    where = "change" if obj is not None else "add"
    texts: dict[str, str] = {}
    for number, (title, _options) in enumerate(model_admin.get_fieldsets(request, obj), start=1):
        if title:
            texts[f"{where} fieldset {number}"] = str(title)
    form = model_admin.get_form(request, obj)
    for name, field in form.base_fields.items():
        if field.help_text:
            texts[f"{where} help text of {name}"] = str(field.help_text)
    for name in model_admin.get_readonly_fields(request, obj):
        try:
            help_text = getattr(model._meta.get_field(name), "help_text", "")
        except FieldDoesNotExist:
            continue  # a method: it has no help text
        if help_text:
            texts[f"{where} help text of {name} (read-only)"] = str(help_text)
    return texts


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_admin_titles_its_fieldsets_and_explains_its_fields_in_turkish(world, model, rf):
    """The fieldsets' titles and the fields' help texts, the portal's and the packages' (django-otp's
    "Identity", "Throttling", its devices' help texts; django-axes' "Form Data", "Meta Data"), on
    the add form and on a row's change form, each read differently in Turkish than in the source."""
    request = _superuser_request(rf)
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"the world holds no {model._meta.label}"
    english = {}
    for obj in (None, row):
        with translation.override(None):
            sources = _fieldsets_and_help_texts(model, request, obj)
        with translation.override("tr"):
            turkish = _fieldsets_and_help_texts(model, request, obj)
        assert sources.keys() == turkish.keys()
        for key, source in sources.items():
            if source == turkish[key] and source not in SAME_IN_BOTH:
                english[key] = source
    assert not english, _listed(english)


def test_every_app_of_the_admin_is_named_in_turkish():
    english = {}
    for label in sorted({model._meta.app_label for model in REGISTERED}):
        if (source := _english(apps.get_app_config(label).verbose_name)) is not None:
            english[label] = source
    assert not english, _listed(english)


def test_the_delete_action_reads_turkish_for_every_model(rf):
    """Django's "Delete selected %(verbose_name_plural)s" read "Seçili kurumlar nesnelerini sil"."""
    request = _superuser_request(rf)
    with translation.override("tr"):
        offered = {
            model._meta.label: dict(SITE._registry[model].get_action_choices(request)).get("delete_selected")
            for model in REGISTERED
        }
    assert set(offered.values()) <= {"Seçili kayıtları sil", None}, offered
    assert "Seçili kayıtları sil" in offered.values()


def test_every_msgid_kept_for_the_packages_has_its_turkish():
    """The msgids the catalog translates for the packages, listed in the portal's sources so that
    ``makemessages`` keeps them, each have a Turkish translation in the compiled catalog."""
    english = {}
    for msgid in translations_third_party.MSGIDS:
        with translation.override("tr"):
            turkish = translation.gettext(msgid)
        if not turkish.strip() or (turkish == msgid and msgid not in SAME_IN_BOTH):
            english[msgid] = turkish
    for name in translations_third_party.PLURAL_MSGIDS:
        source, turkish = _both(name)
        if not turkish.strip() or turkish == source:
            english[source] = turkish
    assert not english, _listed(english)


# --- Capitals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "capitalised"),
    [
        ("tr", "iller", "İller"),
        ("tr", "ılık", "Ilık"),
        ("tr", "çağrı", "Çağrı"),
        ("en", "iller", "Iller"),
        ("tr", "", ""),
    ],
)
def test_capfirst_writes_the_active_languages_capitals(language, text, capitalised):
    with translation.override(language):
        assert capfirst(text) == capitalised


def test_capfirst_keeps_a_lazy_translation_lazy():
    name = capfirst(gettext_lazy("provinces"))
    with translation.override("tr"):
        assert str(name) == "İller"
    with translation.override("en"):
        assert str(name) == "Provinces"


def test_no_module_capitalises_with_djangos_capfirst(world, turkish_admin):
    """Every loaded module that capitalised a name with Django's ``capfirst`` (``str.upper()``),
    Django's, simple_history's, the REST framework's, django-filter's or any other package's, uses
    the portal's, the template filter too: after the admin's pages and a page of the browsable API
    are rendered (their modules and template tags loaded), none still holds one of Django's."""
    for url in (reverse("admin:index"), _url(Province, "changelist"), _url(Province, "change", 6)):
        assert turkish_admin.get(url).status_code == 200
    assert turkish_admin.get("/api/v1/institutions/", HTTP_ACCEPT="text/html").status_code == 200
    left = sorted(
        name
        for name, module in list(sys.modules.items())
        if isinstance(module, ModuleType) and name != "kamusm_portal.text"
        for function in [vars(module).get("capfirst")]
        if callable(function) and function is not capfirst
    )
    assert not left, left
    with translation.override("tr"):
        assert Template("{{ name|capfirst }}").render(Context({"name": "ilçeler"})) == "İlçeler"


class _ProvinceFilter(django_filters.FilterSet):
    class Meta:
        model = District
        fields = ["province"]


class _DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["name", "province"]


def test_the_apis_filters_and_forms_name_a_field_with_turkish_capitals():
    """django-filter's labels and the REST framework's (its browsable API's forms) are a model
    field's name capitalised: "İl", not "Il"."""
    with translation.override("tr"):
        assert str(_ProvinceFilter().filters["province"].label) == "İl"
        assert str(_DistrictSerializer().fields["province"].label) == "İl"
        assert "İl" in _ProvinceFilter().form.as_p()
    with translation.override("en"):
        assert str(_ProvinceFilter().filters["province"].label) == "Province"
        assert str(_DistrictSerializer().fields["province"].label) == "Province"


# --- Pages --------------------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text a reader sees (no script, no style), and the page's title and header."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.title: list[str] = []
        self.header: list[str] = []
        self._skip = 0
        self._in_title = False
        self._header_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "title" and not self.title:  # the page's, not an SVG chart's
            self._in_title = True
        if self._header_depth:
            self._header_depth += 1
        elif dict(attrs).get("id") == "site-name":
            self._header_depth = 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if self._header_depth:
            self._header_depth -= 1

    def handle_data(self, data):
        if self._skip:
            return
        self.parts.append(data)
        if self._in_title:
            self.title.append(data)
        if self._header_depth:
            self.header.append(data)

    def handle_startendtag(self, tag, attrs):
        pass


def _read(response) -> _Text:
    parser = _Text()
    parser.feed(response.content.decode())
    parser.close()
    return parser


# A capital dotless I then a lower-case letter: "Iller", "Il:" where Turkish writes "İller", "İl:".
# Not a masked secret's start (a password hash's salt shows as "Ig******").
DOTLESS_CAPITAL = re.compile(r"\bI[a-zçğıöşü]\w*\b(?!\*)")


def _data_names() -> set[str]:
    """Words of the data's own names that start with a dotless capital I (Isparta, Iğdır, Işıl, the
    English course titles): names, not the admin's words."""
    names = [
        *Course.objects.values_list("title_en", flat=True),
        *Province.objects.values_list("name", flat=True),
        *District.objects.values_list("name", flat=True),
        *Participant.objects.values_list("first_name", flat=True),
        *Participant.objects.values_list("last_name", flat=True),
    ]
    return {word for name in names for word in DOTLESS_CAPITAL.findall(name)}


def _check(response, allowed: set[str]) -> list[str]:
    """What is wrong with the page ``response``: the Turkish it breaks."""
    assert response.status_code == 200, response.request["PATH_INFO"]
    page = _read(response)
    text = " ".join(page.parts)
    problems = []
    dotless = sorted(set(DOTLESS_CAPITAL.findall(text)) - allowed)
    if dotless:
        problems.append(f"dotless capital I: {dotless}")
    title, header = " ".join(page.title).strip(), " ".join(page.header).strip()
    if "Django" in title or "Django" in header or "Django" in text:
        problems.append(f"Django named: title {title!r}, header {header!r}")
    if "Kamu SM Eğitim Portalı" not in title:
        problems.append(f"the title does not name the portal: {title!r}")
    return problems


@pytest.fixture
def world(db):
    """A row of every model the admin lists, in the portal's words."""
    classroom = SessionFactory()
    manager = UserFactory(username="temsilci", is_staff=True)
    institution = onsite_institution(2_000, name="Çağrı Genel Müdürlüğü", account_manager=manager)
    trainer = TrainerFactory()
    UnitFactory(institution=institution, name="Ankara İl Birimi")
    official = OfficialFactory(institution=institution, user__username="yetkili")
    request = submitted_request(institution, {"EIMZA-101": 8}, expected=10)
    session = onsite_session(request, trainer, starts_at=at(-2, 9))
    people = [ParticipantFactory(institution=institution) for _ in range(2)]
    enrolment_create(session=session, participants=people)
    attendance_record(session=session, marks=[(p, "full") for p in people])
    submitted_request(institution, {"EIMZA-101": 4}, expected=10)
    Reservation.objects.create(
        session=classroom,
        participant=ParticipantFactory(institution=institution),
        institution=institution,
        status=ReservationStatus.CONFIRMED,
        applied_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    Unavailability.objects.create(trainer=trainer, starts_at=at(40, 9), ends_at=at(40, 17), reason="Yıllık izin")
    Token.objects.create(user=official.user)
    attempt = {"user_agent": "Firefox", "ip_address": "10.0.0.1", "username": "yetkili", "path_info": "/login/"}
    AccessAttempt.objects.create(**attempt, http_accept="*/*", get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**attempt, http_accept="*/*")
    AccessFailureLog.objects.create(**attempt, http_accept="*/*", locked_out=False)
    TOTPDevice.objects.create(user=manager, name="Telefon", confirmed=True)
    StaticDevice.objects.create(user=manager, name="Yedek kodlar", confirmed=True)
    OutboxTask.objects.create(
        task="sessions.tasks.send_session_announced",
        args=[classroom.pk],
        last_error="SMTP",
        next_attempt_at=timezone.now(),
    )


@pytest.fixture
def turkish_admin(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "tr"
    return admin_client


def _url(model, view: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_page_of_every_model_reads_turkish(world, turkish_admin, model):
    allowed = _data_names()
    problems = {}
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"the world holds no {model._meta.label}"
    urls = [_url(model, "changelist"), _url(model, "add")]
    urls += [_url(model, "change", row.pk), _url(model, "history", row.pk)]
    records = getattr(model, "history", None)
    if records is not None and hasattr(records, "filter"):
        record = records.filter(pk=row.pk).first() if hasattr(records.model, "history_id") else None
        if record is not None:
            urls.append(_url(model, "simple_history", row.pk, record.history_id))
    for url in filter(None, urls):
        response = turkish_admin.get(url)
        if response.status_code == 403 and url == _url(model, "add"):
            continue  # a model nobody adds by hand
        if found := _check(response, allowed):
            problems[url] = found
    assert not problems, _listed(problems)


def test_the_index_and_every_app_page_read_turkish(world, turkish_admin):
    allowed = _data_names()
    problems = {}
    urls = [reverse("admin:index")]
    urls += [reverse("admin:app_list", args=[label]) for label in sorted({m._meta.app_label for m in REGISTERED})]
    urls += [reverse("admin:password_change"), reverse("password_change")]
    for url in urls:
        if found := _check(turkish_admin.get(url), allowed):
            problems[url] = found
    assert not problems, _listed(problems)


def test_the_admins_own_pages_read_turkish(world, turkish_admin):
    """The pages the portal adds to the admin: the proposal ("İlk gün"), a request's schedule and
    reject pages, the trainers' calendar, the reach breakdowns."""
    allowed = _data_names()
    open_request = TrainingRequest.objects.filter(status="submitted").order_by("pk").first()
    assert open_request is not None
    urls = [
        reverse("admin:training_sessions_trainingrequest_proposal"),
        reverse("admin:training_sessions_trainingrequest_schedule", args=[open_request.pk]),
        reverse("admin:training_sessions_trainingrequest_reject", args=[open_request.pk]),
        reverse("admin:training_sessions_trainer_calendar"),
        reverse("admin:reports_breakdowns"),
    ]
    problems = {}
    for url in urls:
        if found := _check(turkish_admin.get(url), allowed):
            problems[url] = found
    assert not problems, _listed(problems)
    proposal = " ".join(_read(turkish_admin.get(urls[0])).parts)
    assert "İlk gün" in proposal and "Son gün" in proposal


def test_the_sign_in_page_names_the_portal(client, db):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "tr"
    problems = _check(client.get(reverse("admin:login")), set())
    assert not problems, problems
