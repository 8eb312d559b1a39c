"""Who sees which rows in the admin (docs/domain.md "Who may do what", docs/architecture.md "Who sees
what in the admin"): walked over EVERY model registered on the portal's admin site, so a model
registered later is walked too.

An account manager with every model permission but programme staff's (the worst a careless grant
could do) and two institutions holding rows in every model, one theirs and one another manager's:
each changelist shows exactly their institutions' rows (reference data: every row; an admin that
declares no scope: 403), the change and delete pages of the other institution's rows answer 403
or 404, their history pages and those of their history records 404 (as a missing row's),
exports, autocomplete and the choices of related fields hold none of them, and no page they open
names the other institution, its people or its manager. Programme staff still see every row; a
trainer sees their own work only.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.forms import ModelChoiceField
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from certificates.services import attendance_record
from entitlements.models import Institution
from kamusm_portal.admin import ScopedAdmin
from kamusm_portal.roles import PROGRAMME_STAFF_PERMISSION
from kamusm_portal.text import tr_fold
from sessions.models import Reservation, ReservationStatus, Trainer, Unavailability
from sessions.services import TRAINERS_GROUP, enrolment_create
from tests.entitlements.factories import OfficialFactory, ProgrammeStaffFactory, UnitFactory, UserFactory
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


@dataclass
class Side:
    """One institution and what it holds; ``markers`` are texts only its pages may show."""

    institution: Institution
    manager: object
    trainer: Trainer
    markers: list[str] = field(default_factory=list)


@dataclass
class World:
    mine: Side
    other: Side


def _side(tag: str, name: str, surname: str, classroom) -> Side:
    manager = UserFactory(username=f"temsilci-{tag}", email=f"temsilci@{tag}.gov.tr", is_staff=True)
    institution = onsite_institution(2_000, name=name, account_manager=manager)  # band 2: 12 hours
    trainer = TrainerFactory(user__username=f"egitmen-{tag}", user__email=f"egitmen@{tag}.gov.tr")
    UnitFactory(institution=institution, name=f"{surname} İl Birimi")
    OfficialFactory(institution=institution, user__username=f"yetkili-{tag}", user__email=f"yetkili@{tag}.gov.tr")
    # A finished on-site session of its own (request, roster, attendance, certificates), an open
    # request, and a seat in the classroom session both institutions share.
    request = submitted_request(institution, {"EIMZA-101": 8}, expected=10)
    session = onsite_session(request, trainer, starts_at=at(-2, 9))
    people = [ParticipantFactory(institution=institution, last_name=surname) for _ in range(2)]
    enrolment_create(session=session, participants=people)
    attendance_record(session=session, marks=[(p, "full") for p in people])
    submitted_request(institution, {"EIMZA-101": 4}, expected=10)
    seated = ParticipantFactory(institution=institution, last_name=surname, email=f"katilimci@{tag}.gov.tr")
    Reservation.objects.create(
        session=classroom,
        participant=seated,
        institution=institution,
        status=ReservationStatus.CONFIRMED,
        applied_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    Unavailability.objects.create(trainer=trainer, starts_at=at(40, 9), ends_at=at(40, 17), reason=f"{surname} izni")
    markers = [name, surname, f"yetkili@{tag}.gov.tr", f"katilimci@{tag}.gov.tr", f"temsilci-{tag}", f"egitmen-{tag}"]
    return Side(institution, manager, trainer, markers)


@pytest.fixture
def world(db) -> World:
    classroom = SessionFactory()
    return World(
        mine=_side("bizim", "Bizim Çağrı Genel Müdürlüğü", "Bizimoğlu", classroom),
        other=_side("oteki", "Öteki Şehir Vakıflar Bölge Müdürlüğü", "Ötekioğlu", classroom),
    )


def _every_permission_but_programme_staff(user) -> None:
    app_label, codename = PROGRAMME_STAFF_PERMISSION.split(".")
    user.user_permissions.set(Permission.objects.exclude(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def manager(world, client):
    """The client, logged in as the account manager of ``world.mine``, holding every permission."""
    user = world.mine.manager
    _every_permission_but_programme_staff(user)
    client.force_login(user)
    return client


# --- Reading the declarations ---------------------------------------------------------------


def _admin(model) -> ScopedAdmin:
    model_admin = SITE._registry[model]
    assert isinstance(model_admin, ScopedAdmin), f"{model._meta.label}: registered without the row scope"
    return model_admin


def _kind(model) -> str:
    model_admin = _admin(model)
    if getattr(model_admin, "institution_path", None) is not None:
        return "institution"
    if getattr(model_admin, "trainer_path", None) is not None:
        return "trainer"
    if getattr(model_admin, "reference_data", False):
        return "reference"
    return "programme staff"


def _manager_lookup(model) -> str:
    path = _admin(model).institution_path
    return f"{path}__account_manager" if path else "account_manager"


def _rows_of(model, side: Side) -> set[int]:
    """The rows of ``model`` that belong to ``side``'s institution (its manager's), by the path
    its admin declares."""
    if _kind(model) != "institution":
        return set()
    return set(model._default_manager.filter(**{_manager_lookup(model): side.manager.pk}).values_list("pk", flat=True))


def _url(model, view: str, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def _folded(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return tr_fold(body.decode("utf-8", errors="replace"))


def _shows_none_of(response, side: Side) -> None:
    text = _folded(response)
    shown = [marker for marker in side.markers if tr_fold(marker) in text]
    assert not shown, f"{response.request['PATH_INFO']} shows {shown}"


def _choices_hold_none_of(form, side: Side) -> None:
    """No related-field choice of ``form`` is a row of ``side``'s institution."""
    for name, form_field in form.fields.items():
        if not isinstance(form_field, ModelChoiceField):
            continue
        related = form_field.queryset.model
        if related in SITE._registry and _kind(related) == "institution":
            leaked = _rows_of(related, side) & set(form_field.queryset.values_list("pk", flat=True))
            assert not leaked, f"{name} offers {related._meta.label} {sorted(leaked)}"


# --- The declarations themselves ------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_admin_declares_a_scope_that_leads_where_it_says(model):
    model_admin = _admin(model)
    assert type(model_admin).__mro__[1] is ScopedAdmin  # first: no override of the admin's goes around it
    kind = _kind(model)
    institution_path = getattr(model_admin, "institution_path", None)
    if institution_path:
        assert get_fields_from_path(model, institution_path)[-1].related_model is Institution
    trainer_path = getattr(model_admin, "trainer_path", None)
    if trainer_path and trainer_path != "pk":
        assert get_fields_from_path(model, trainer_path)[-1].related_model is Trainer
    if trainer_path == "pk":
        assert model is Trainer
    if kind == "reference":
        # Reference data reaches no institution through its own fields.
        reached = {
            f.related_model
            for f in model._meta.get_fields()
            if f.is_relation and f.related_model is not None and not f.auto_created
        }
        assert Institution not in reached and Trainer not in reached


# --- An account manager ---------------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_an_account_manager_sees_none_of_another_institutions_rows(world, manager, model):
    kind = _kind(model)
    changelist = manager.get(_url(model, "changelist"))
    everyone = set(model._default_manager.values_list("pk", flat=True))
    if kind == "programme staff":
        assert changelist.status_code == 403
        out_of_sight = everyone
    else:
        assert changelist.status_code == 200
        shown = {row.pk for row in changelist.context["cl"].queryset}
        mine = _rows_of(model, world.mine)
        if kind == "institution":
            assert mine, f"the world holds no {model._meta.label} of the manager's institution"
            assert _rows_of(model, world.other), f"the world holds no {model._meta.label} of the other institution"
            assert shown == mine
        elif kind == "trainer":
            assert shown == set()  # an account manager is nobody's trainer
        else:
            assert shown == everyone
        _shows_none_of(changelist, world.other)
        out_of_sight = everyone - shown
        for pk in sorted(shown)[:3]:  # their own rows open, and name nothing of the other
            page = manager.get(_url(model, "change", pk))
            assert page.status_code == 200
            _shows_none_of(page, world.other)
            if "adminform" in page.context:
                _choices_hold_none_of(page.context["adminform"].form, world.other)
            history = manager.get(_url(model, "history", pk))
            assert history.status_code == 200
            _shows_none_of(history, world.other)
    for pk in sorted(out_of_sight):
        for view in ("change", "delete"):
            url = _url(model, view, pk)
            assert manager.get(url).status_code in (403, 404), url
        # A row's history out of sight answers as a missing row's: 404, never a 403 telling it exists.
        assert manager.get(_url(model, "history", pk)).status_code == 404
        records = getattr(model, "history", None)
        if records is not None and _url(model, "simple_history", pk, 1):
            for record in records.filter(pk=pk):
                url = _url(model, "simple_history", pk, record.history_id)
                assert manager.get(url).status_code == 404, url
        if kind != "programme staff":
            assert manager.post(_url(model, "change", pk), {}).status_code in (403, 404)
    # An action (deleting, the one every admin may offer) reaches none of them either.
    manager.post(
        _url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": sorted(out_of_sight), "post": "yes"},
    )
    assert set(model._default_manager.filter(pk__in=out_of_sight).values_list("pk", flat=True)) == out_of_sight


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_an_account_manager_exports_and_adds_nothing_of_another_institution(world, manager, model):
    kind = _kind(model)
    export = _url(model, "export")
    if export is not None:
        response = manager.post(export, {"format": "0"})  # CSV
        if kind == "programme staff":
            assert response.status_code == 403
        else:
            assert response.status_code == 200
            assert response["Content-Type"].startswith("text/csv")
            _shows_none_of(response, world.other)
            _header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
            assert len(rows) <= len(_rows_of(model, world.mine))
    add = _url(model, "add")
    if add is not None:
        response = manager.get(add)
        if kind == "programme staff":
            assert response.status_code == 403
        elif response.status_code == 200:
            _shows_none_of(response, world.other)
            _choices_hold_none_of(response.context["adminform"].form, world.other)


def test_autocomplete_offers_an_account_manager_only_their_institutions_rows(world, manager):
    asked = 0
    for model, model_admin in SITE._registry.items():
        for name in (
            model_admin.get_autocomplete_fields(None) if hasattr(model_admin, "get_autocomplete_fields") else ()
        ):
            related = model._meta.get_field(name).related_model
            response = manager.get(
                reverse("admin:autocomplete"),
                {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": name},
            )
            asked += 1
            if response.status_code != 200:
                assert response.status_code == 403
                continue
            offered = {int(result["id"]) for result in json.loads(response.content)["results"]}
            assert not offered & _rows_of(related, world.other), f"{model._meta.label}.{name}"
            if _kind(related) == "institution":
                assert offered == _rows_of(related, world.mine)
    assert asked  # units and officials pick their institution by autocomplete


def test_an_account_manager_cannot_move_a_row_to_another_institution(world, manager):
    """A related-field choice out of sight is refused as an invalid choice, not saved."""
    other = world.other.institution
    response = manager.post(
        reverse("admin:entitlements_unit_add"),
        {"institution": other.pk, "level": "il", "name": "Sızma", "province": 6, "active_users": 3},
    )
    assert response.status_code == 200
    assert "institution" in response.context["adminform"].form.errors
    assert not other.units.filter(name="Sızma").exists()


def test_the_dashboard_and_its_downloads_count_only_the_managers_institutions(world, manager):
    for name in ("admin:index", "admin:reports_breakdowns"):
        response = manager.get(reverse(name))
        assert response.status_code == 200
        _shows_none_of(response, world.other)
    institutions = manager.get(reverse("admin:reports_institutions_download", args=["csv"]))
    assert institutions.status_code == 200
    text = _folded(institutions)
    _shows_none_of(institutions, world.other)
    assert tr_fold(world.mine.institution.name) in text
    fill = manager.get(reverse("admin:reports_session_fill_download", args=["csv"]))
    assert fill.status_code == 200
    _shows_none_of(fill, world.other)


# --- The pins of the probe's findings (issue 12, finding 4) -------------------------------------


@pytest.fixture
def demo_manager(world, client):
    """An account manager holding the permissions ``seed_demo`` gives them."""
    from kamusm_portal.management.commands.seed_demo import (
        ACCOUNT_MANAGER_PERMISSIONS,
        ACCOUNT_MANAGER_SESSION_PERMISSIONS,
    )

    user = world.mine.manager
    user.user_permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label="entitlements", codename__in=ACCOUNT_MANAGER_PERMISSIONS)
            | Q(content_type__app_label="training_sessions", codename__in=ACCOUNT_MANAGER_SESSION_PERMISSIONS)
        )
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "training_sessions.TrainingRequest",
        "entitlements.Institution",
        "entitlements.Unit",
        "entitlements.Official",
        "entitlements.Entitlement",
    ],
)
def test_the_history_of_another_institutions_rows_does_not_open(world, demo_manager, model):
    model = apps.get_model(model)
    lookup = "account_manager" if model is Institution else "institution__account_manager"
    other = model._default_manager.filter(**{lookup: world.other.manager}).first()
    mine = model._default_manager.filter(**{lookup: world.mine.manager}).first()
    history = f"admin:{model._meta.app_label}_{model._meta.model_name}_history"
    unused = model._default_manager.order_by("-pk").first().pk + 1000
    # Records that simple_history falls back to when the row is out of the queryset.
    assert model.history.filter(**{model._meta.pk.attname: other.pk}).exists()
    assert demo_manager.get(reverse(history, args=[other.pk])).status_code == 404
    assert demo_manager.get(reverse(history, args=[unused])).status_code == 404
    assert demo_manager.get(reverse(history, args=[mine.pk])).status_code == 200


@pytest.mark.parametrize("name", ["unit", "official", "entitlement"])
def test_the_unit_official_and_entitlement_lists_hold_only_their_institutions(world, demo_manager, name):
    response = demo_manager.get(reverse(f"admin:entitlements_{name}_changelist"))
    assert response.status_code == 200
    assert {row.institution_id for row in response.context["cl"].queryset} == {world.mine.institution.pk}
    _shows_none_of(response, world.other)


# --- Programme staff and trainers -----------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_programme_staff_still_see_every_row(world, client, model):
    user = ProgrammeStaffFactory()
    user.is_superuser = model._meta.app_label not in ("entitlements", "training_sessions", "certificates")
    user.save(update_fields=["is_superuser"])  # the group holds the portal apps' permissions only
    client.force_login(user)
    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200
    everyone = set(model._default_manager.values_list("pk", flat=True))
    assert {row.pk for row in response.context["cl"].queryset} == everyone
    for pk in sorted(_rows_of(model, world.other))[:2]:
        assert client.get(_url(model, "change", pk)).status_code == 200
        assert client.get(_url(model, "history", pk)).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_a_trainer_sees_only_their_own_work(world, client, model):
    trainer = world.other.trainer  # delivers the other institution's session: sees its roster, no more
    trainer.user.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    client.force_login(trainer.user)
    model_admin = _admin(model)
    response = client.get(_url(model, "changelist"))
    if response.status_code == 403:
        return  # not theirs to read at all
    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].queryset}
    trainer_path = getattr(model_admin, "trainer_path", None)
    if _kind(model) == "reference":
        return
    own = (
        set(model._default_manager.filter(**{trainer_path: trainer.pk}).values_list("pk", flat=True))
        if trainer_path
        else set()
    )
    assert shown == own
    everyone = set(model._default_manager.values_list("pk", flat=True))
    for pk in sorted(everyone - own)[:3]:
        assert client.get(_url(model, "change", pk)).status_code in (403, 404)
        assert client.get(_url(model, "history", pk)).status_code == 404
    _shows_none_of(response, world.mine)
