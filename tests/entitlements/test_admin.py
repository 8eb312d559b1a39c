"""The centre's admin: list budgets, table validation, Turkish search, service-backed actions."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from entitlements.models import Category, Entitlement, Institution, Official, Unit
from entitlements.services import entitlement_recompute
from tests.entitlements.factories import InstitutionFactory, OfficialFactory, UserFactory


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name",
    ["admin:entitlements_institution_changelist", "admin:entitlements_entitlement_changelist"],
)
def test_changelists_run_a_fixed_number_of_queries(admin_client, program, url_name):
    url = reverse(url_name)
    for _ in range(5):
        InstitutionFactory(merkez_users=150)
    entitlement_recompute()
    few = _count_queries(admin_client, url)
    for _ in range(45):
        InstitutionFactory(merkez_users=5000)
    entitlement_recompute()
    assert _count_queries(admin_client, url) == few


def _program_form(program, bands):
    data = {
        "name": program.name,
        "year": program.year,
        "is_open": "on",
        "trainee_target": program.trainee_target,
        "notice_days": program.notice_days,
        "classroom_size": program.classroom_size,
        "classroom_quota": program.classroom_quota,
        "categories-TOTAL_FORMS": len(bands),
        "categories-INITIAL_FORMS": len(bands),
        "categories-MIN_NUM_FORMS": 0,
        "categories-MAX_NUM_FORMS": 1000,
    }
    for i, (category, low, high) in enumerate(bands):
        data.update(
            {
                f"categories-{i}-id": category.pk,
                f"categories-{i}-program": program.pk,
                f"categories-{i}-code": category.code,
                f"categories-{i}-name": category.name,
                f"categories-{i}-min_users": low,
                f"categories-{i}-max_users": high,
                f"categories-{i}-hours": category.hours,
                f"categories-{i}-delivery": category.delivery,
                f"categories-{i}-certificate_rule": category.certificate_rule,
            }
        )
    return data


def test_an_overlapping_table_is_refused_in_the_admin_naming_the_bands(admin_client, program):
    categories = list(program.categories.order_by("min_users"))
    bands = [(c, c.min_users, c.max_users) for c in categories]
    bands[1] = (categories[1], 101, 1_500)  # overlaps band 2 (1,001-10,000)
    url = reverse("admin:entitlements_program_change", args=[program.pk])
    response = admin_client.post(url, _program_form(program, bands))
    assert response.status_code == 200
    text = response.content.decode()
    assert "1" in text and "2" in text and "1500" in text.replace(".", "")
    assert Category.objects.get(pk=categories[1].pk).max_users == 1_000


def test_a_table_with_a_gap_is_refused_in_the_admin(admin_client, program):
    categories = list(program.categories.order_by("min_users"))
    bands = [(c, c.min_users, c.max_users) for c in categories]
    bands[0] = (categories[0], 1, 90)
    response = admin_client.post(
        reverse("admin:entitlements_program_change", args=[program.pk]), _program_form(program, bands)
    )
    assert response.status_code == 200
    assert Category.objects.get(pk=categories[0].pk).max_users == 100


def test_a_valid_table_change_recomputes_the_programs_entitlements(admin_client, program):
    institution = InstitutionFactory(merkez_users=100)
    entitlement_recompute()
    categories = list(program.categories.order_by("min_users"))
    bands = [(c, c.min_users, c.max_users) for c in categories]
    bands[0] = (categories[0], 1, 99)
    bands[1] = (categories[1], 100, 1_000)
    response = admin_client.post(
        reverse("admin:entitlements_program_change", args=[program.pk]), _program_form(program, bands)
    )
    assert response.status_code == 302
    assert Entitlement.objects.get(institution=institution).category.code == "1"


@pytest.mark.parametrize("term", ["istanbul", "İSTANBUL", "İstanbul büyükşehir", "buyuksehir"])
def test_institution_search_is_turkish_aware(admin_client, term):
    wanted = InstitutionFactory(name="İstanbul Büyükşehir Belediyesi")
    InstitutionFactory(name="Ankara Üniversitesi")
    response = admin_client.get(reverse("admin:entitlements_institution_changelist"), {"q": term})
    assert list(response.context["cl"].queryset) == [wanted]


def test_the_recompute_action_goes_through_the_service(admin_client, program):
    institution = InstitutionFactory(merkez_users=50)
    entitlement_recompute()
    Unit.objects.filter(institution=institution).update(active_users=5_000)
    response = admin_client.post(
        reverse("admin:entitlements_institution_changelist"),
        {"action": "recompute_entitlements", "_selected_action": [institution.pk]},
    )
    assert response.status_code == 302
    entitlement = Entitlement.objects.get(institution=institution)
    assert entitlement.category.code == "2"
    assert entitlement.history.latest().history_user == admin_client.user


def test_entitlement_history_is_visible(admin_client, program):
    institution = InstitutionFactory(merkez_users=50)
    entitlement_recompute()
    entitlement = Entitlement.objects.get(institution=institution)
    response = admin_client.get(reverse("admin:entitlements_entitlement_history", args=[entitlement.pk]))
    assert response.status_code == 200


def test_staff_add_an_official_in_the_admin_and_get_a_set_password_link(
    admin_client, program, django_capture_on_commit_callbacks
):
    institution = InstitutionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:entitlements_official_add"),
            {
                "institution": institution.pk,
                "username": "yetkili",
                "email": "yetkili@kurum.gov.tr",
                "first_name": "Işıl",
                "last_name": "Güneş",
                "password": "",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    official = Official.objects.get(user__username="yetkili")
    assert official.institution == institution
    assert not official.user.has_usable_password()
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body


def test_a_second_merkez_in_the_unit_admin_is_refused_next_to_the_field(admin_client):
    institution = InstitutionFactory()
    response = admin_client.post(
        reverse("admin:entitlements_unit_add"),
        {"institution": institution.pk, "level": "merkez", "name": "İkinci", "active_users": 3},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["level"]
    assert Unit.objects.filter(institution=institution).count() == 1


def test_an_account_manager_sees_only_their_institutions(client, db):
    manager = UserFactory(is_staff=True)
    mine = InstitutionFactory(account_manager=manager)
    InstitutionFactory()
    client.force_login(manager)
    response = client.get(reverse("admin:entitlements_institution_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [mine]


def test_officials_without_staff_rights_cannot_open_the_admin(client, db):
    official = OfficialFactory(institution=InstitutionFactory())
    client.force_login(official.user)
    response = client.get(reverse("admin:entitlements_institution_changelist"))
    assert response.status_code == 302
    assert Institution.objects.count() == 1


# --- The category table editor (the program page's inline) ----------------------------------------

CATEGORY_FIELDS = ("code", "name", "min_users", "max_users", "hours", "delivery", "certificate_rule")


def _cell(text: str, row: int, field: str) -> str:
    """The markup of one band's field in the category table: its label, errors and input."""
    start = text.index(f'<div class="category-field category-{field}">', text.index(f'id="categories-{row}"'))
    return text[start : text.index("</div>", start)]


def test_the_category_table_labels_every_input_and_keeps_the_formset_rows(admin_client, program):
    response = admin_client.get(reverse("admin:entitlements_program_change", args=[program.pk]))
    text = response.content.decode()
    assert 'class="js-inline-admin-formset inline-group category-table"' in text
    assert "admin/portal-admin.css" in text
    for row in range(program.categories.count()):
        for field in CATEGORY_FIELDS:
            cell = _cell(text, row, field)
            assert f'<label for="id_categories-{row}-{field}" class="visually-hidden">' in cell
            assert f'id="id_categories-{row}-{field}"' in cell
    assert 'id="categories-empty"' in text and 'name="categories-__prefix__-max_users"' in text  # "add another"


def test_a_category_tables_error_shows_next_to_its_field(admin_client, program):
    categories = list(program.categories.order_by("min_users"))
    data = _program_form(program, [(c, c.min_users, c.max_users) for c in categories])
    data["categories-5-max_users"] = ""
    response = admin_client.post(reverse("admin:entitlements_program_change", args=[program.pk]), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "errorlist" in _cell(text, 5, "max_users")
    assert "errorlist" not in _cell(text, 5, "min_users")


def test_a_user_who_may_only_read_programs_sees_the_table_as_text(client, program):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="entitlements", codename__in=["view_program", "view_category"]
        )
    )
    client.force_login(user)
    response = client.get(reverse("admin:entitlements_program_change", args=[program.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "STANDARD" in text and "Kamu SM tesisinde sınıf eğitimi" in text
    assert 'name="categories-0-code"' not in text
