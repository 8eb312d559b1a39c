"""What any input must respect (docs/domain.md): the characters of names and the one e-mail rule,
through every way in: the API, the portal's forms, the admin's forms, the services (which seeds
and commands call). The import's part is in ``tests/entitlements/test_import.py``; the window of
dates in ``tests/sessions/test_date_window.py``."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from entitlements.models import Institution, Official, Unit, UnitLevel
from entitlements.services import account_create
from kamusm_portal.errors import RuleViolation
from kamusm_portal.text import ascii_words
from kamusm_portal.validators import validate_email_address, validate_organisation_name, validate_person_name
from sessions.models import Participant, Trainer
from sessions.services import participant_create
from tests.entitlements.factories import InstitutionFactory, client_for, official_of
from tests.sessions.factories import ParticipantFactory, standard_institution

User = get_user_model()

#: Controls, bidi embeddings, overrides and isolates, zero-width characters, a BOM and other
#: invisible characters: none may stand in a name.
INVISIBLE = [
    pytest.param("\u0013", id="U+0013-control"),
    pytest.param("\u0007", id="U+0007-bell"),
    pytest.param("\u001b", id="U+001B-escape"),
    pytest.param("\u007f", id="U+007F-delete"),
    pytest.param("\u0085", id="U+0085-next-line"),
    pytest.param("\u202a", id="U+202A-LRE"),
    pytest.param("\u202b", id="U+202B-RLE"),
    pytest.param("\u202c", id="U+202C-PDF"),
    pytest.param("\u202d", id="U+202D-LRO"),
    pytest.param("\u202e", id="U+202E-RLO"),
    pytest.param("\u2066", id="U+2066-LRI"),
    pytest.param("\u2067", id="U+2067-RLI"),
    pytest.param("\u2068", id="U+2068-FSI"),
    pytest.param("\u2069", id="U+2069-PDI"),
    pytest.param("\u200e", id="U+200E-LRM"),
    pytest.param("\u200b", id="U+200B-zero-width-space"),
    pytest.param("\u200c", id="U+200C-ZWNJ"),
    pytest.param("\u200d", id="U+200D-ZWJ"),
    pytest.param("\u2060", id="U+2060-word-joiner"),
    pytest.param("\ufeff", id="U+FEFF-BOM"),
    pytest.param("\u00ad", id="U+00AD-soft-hyphen"),
    pytest.param("\u034f", id="U+034F-grapheme-joiner"),
    pytest.param("\ufe0f", id="U+FE0F-variation-selector"),
    pytest.param("\u3164", id="U+3164-hangul-filler"),
    pytest.param("\u2028", id="U+2028-line-separator"),
    pytest.param("\u00a0", id="U+00A0-no-break-space"),
]
#: One of each kind, for the ways in that are slower to walk.
KINDS = [
    pytest.param("\u0013", id="control"),
    pytest.param("\u202e", id="bidi-override"),
    pytest.param("\u2066", id="bidi-isolate"),
    pytest.param("\u200b", id="zero-width"),
    pytest.param("\ufeff", id="BOM"),
]

PEOPLE = ["Işıl", "İnci Güneş", "O'Neil", "D’Angelo", "Erim-Sözen", "Ş. Çağrı", "Ελένη", "Јован", "محمد", "Zoë"]
ORGANISATIONS = [
    "19 Mayıs Üniversitesi",
    "Sağlık Bakanlığı (Merkez)",
    "T.C. İçişleri Bakanlığı / İl İdaresi",
    "Ar-Ge & İnovasyon: 2. Bölge – Gebze",
    'Diyanet İşleri Başkanlığı, "Eğitim" Birimi',
]

GOOD_EMAILS = ["isil.guness@kurum.gov.tr", "a.b-c+d@bakanlık.gov.tr", "x_1@xn--bakanlk-3ya.gov.tr", "q@localhost"]
#: Django's own pattern takes ``ı`` (and the long s, the Kelvin sign: it matches without regard to
#: case), refuses ``ş``; browsers and the schema refuse both. One rule: an ASCII part before @.
NON_ASCII_EMAILS = [
    pytest.param("yıldırım@kurum.gov.tr", id="dotless-i"),
    pytest.param("güneş@kurum.gov.tr", id="s-cedilla"),
    pytest.param("ismail.ağaoğlu@kamusm-demo.example", id="soft-g"),
    pytest.param("İnci@kurum.gov.tr", id="dotted-capital-I"),
    pytest.param("ſeyma@kurum.gov.tr", id="long-s"),
    pytest.param("\u212aemal@kurum.gov.tr", id="kelvin-sign"),
]


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def own(db):
    """A Standard institution, made through the service."""
    return standard_institution()


@pytest.fixture
def official(own):
    """An API client of an official of ``own``."""
    return client_for(official_of(own))


@pytest.fixture
def portal(client, own):
    """The portal, in English, logged in as an official of ``own``."""
    client.force_login(official_of(own))
    return _english(client)


@pytest.fixture
def admin(admin_client):
    return _english(admin_client)


# --- The validators ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", PEOPLE)
def test_a_persons_name_holds_letters_of_any_script_spaces_apostrophes_hyphens_and_dots(name):
    validate_person_name(name)


@pytest.mark.parametrize("name", ["Işıl2", "Ali#", "Ayşe_", "Can😀", "Ayşe/Ali", "-", "' ."])
def test_a_persons_name_refuses_digits_symbols_and_no_letter(name):
    with pytest.raises(ValidationError):
        validate_person_name(name)


@pytest.mark.parametrize("name", ORGANISATIONS + PEOPLE)
def test_an_institutions_or_units_name_may_hold_digits_and_punctuation(name):
    validate_organisation_name(name)


@pytest.mark.parametrize("ch", INVISIBLE)
def test_every_name_refuses_control_and_invisible_characters_and_names_the_character(ch):
    with translation.override("en"):
        for validate, name in ((validate_person_name, f"Ay{ch}şe"), (validate_organisation_name, f"19{ch} Mayıs")):
            with pytest.raises(ValidationError) as caught:
                validate(name)
            assert f"U+{ord(ch):04X}" in caught.value.messages[0]


def test_the_refusal_names_a_visible_character_as_it_is_written():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        validate_person_name("Ali#")
    assert caught.value.messages == [
        "A name holds letters, spaces, apostrophes, hyphens and dots only; “#” (U+0023) is not allowed."
    ]


@pytest.mark.parametrize("email", GOOD_EMAILS)
def test_an_email_with_an_ascii_local_part_and_any_domain_is_taken(email):
    validate_email_address(email)


@pytest.mark.parametrize("email", NON_ASCII_EMAILS)
def test_an_email_with_letters_beyond_ascii_before_the_at_is_refused(email):
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            validate_email_address(email)
        assert "before @" in caught.value.messages[0]


@pytest.mark.parametrize("text", ["isil@", "a b@kurum.gov.tr", "@kurum.gov.tr", "isil@kurum..gov.tr", "x"])
def test_an_email_django_refuses_stays_refused(text):
    with pytest.raises(ValidationError):
        validate_email_address(text)


def test_names_become_ascii_words_for_an_email():
    assert ascii_words("İsmail Ağaoğlu") == "ismail.agaoglu"
    assert ascii_words("Şeyma Iğdır") == "seyma.igdir"
    assert ascii_words("Çağrı Öğüt-Ünal") == "cagri.ogut.unal"
    validate_email_address(f"{ascii_words('Işıl İnci Güneş')}@kurum.gov.tr")


# --- Participants: the API, the portal, the admin, the service ------------------------------


@pytest.mark.parametrize("ch", INVISIBLE)
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_the_api_refuses_a_participant_name_with_a_control_or_invisible_character(official, field, ch):
    body = {"first_name": "Ayşe", "last_name": "Yılmaz", field: f"Ay{ch}şe"}

    response = official.post("/api/v1/participants/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    answer = response.json()
    assert (answer["code"], list(answer["fields"])) == ("invalid", [field])
    assert f"U+{ord(ch):04X}" in answer["fields"][field][0]
    assert not Participant.objects.exists()


@pytest.mark.parametrize("name", PEOPLE)
def test_the_api_takes_names_of_any_script_with_apostrophes_hyphens_and_dots(official, name):
    response = official.post("/api/v1/participants/", {"first_name": name, "last_name": name}, format="json")

    assert response.status_code == 201, response.json()
    assert Participant.objects.get().first_name == name


@pytest.mark.parametrize("ch", KINDS)
def test_the_api_refuses_renaming_a_participant_with_an_invisible_character(official, own, ch):
    person = ParticipantFactory(institution=own)

    response = official.patch(f"/api/v1/participants/{person.pk}/", {"last_name": f"Gü{ch}neş"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["last_name"]
    person.refresh_from_db()
    assert person.last_name == "Güneş"


@pytest.mark.parametrize("ch", KINDS)
def test_the_service_refuses_it_too_for_seeds_and_commands(own, ch):
    with pytest.raises(RuleViolation) as caught:
        participant_create(institution=own, data={"first_name": f"Ay{ch}şe", "last_name": "Yılmaz"})

    assert (caught.value.code, list(caught.value.fields)) == ("invalid", ["first_name"])


def _participant_form(own, **overrides) -> dict:
    data = {
        "first_name": "Şükrü",
        "last_name": "Güçlü",
        "email": "sukru@kurum.gov.tr",
        "unit": own.units.get(level=UnitLevel.MERKEZ).pk,
        "role": "user",
        "kimlik_no": "",
        "language": "tr",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("ch", KINDS)
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_the_portal_form_shows_the_refusal_next_to_the_name(portal, own, field, ch):
    response = portal.post(reverse("sessions_portal:participant_add"), _participant_form(own, **{field: f"A{ch}li"}))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and f"U+{ord(ch):04X}" in errors[field][0]
    assert not Participant.objects.exists()


@pytest.mark.parametrize("ch", KINDS)
def test_the_portal_edit_form_refuses_it_too(portal, own, ch):
    person = ParticipantFactory(institution=own)
    data = _participant_form(own, first_name=f"Işıl{ch}", email=person.email)

    response = portal.post(reverse("sessions_portal:participant_edit", args=[person.pk]), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["first_name"]


def _admin_participant(person: Participant, **overrides) -> dict:
    data = {
        "unit": person.unit_id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "role": person.role,
        "kimlik_no": "",
        "language": person.language,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("ch", KINDS)
def test_the_admin_participant_form_shows_the_refusal_next_to_the_name(admin, own, ch):
    person = ParticipantFactory(institution=own)
    url = reverse("admin:training_sessions_participant_change", args=[person.pk])

    response = admin.post(url, _admin_participant(person, last_name=f"Gü{ch}neş"))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["last_name"]
    person.refresh_from_db()
    assert person.last_name == "Güneş"


# --- Officials and trainers: their user's names ---------------------------------------------


def _account(**overrides) -> dict:
    data = {"username": "yetkili", "email": "yetkili@kurum.gov.tr", "first_name": "Işıl", "last_name": "Güneş"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("ch", KINDS)
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_the_api_refuses_an_officials_name_with_an_invisible_character(staff, field, ch):
    institution = InstitutionFactory()

    response = staff.post(
        f"/api/v1/institutions/{institution.pk}/officials/", _account(**{field: f"I{ch}şıl"}), format="json"
    )

    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["fields"])) == ("invalid", [field])
    assert not Official.objects.exists()


@pytest.mark.parametrize("ch", KINDS)
def test_the_api_refuses_a_trainers_name_with_an_invisible_character(staff, ch):
    response = staff.post("/api/v1/trainers/", {**_account(last_name=f"Çağ{ch}lar"), "home_province": 6}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["last_name"]
    assert not Trainer.objects.exists()


@pytest.mark.parametrize("ch", KINDS)
def test_the_admin_official_form_shows_the_refusal_next_to_the_name(admin, ch):
    institution = InstitutionFactory()

    response = admin.post(
        reverse("admin:entitlements_official_add"),
        {"institution": institution.pk, **_account(first_name=f"I{ch}şıl"), "password": ""},
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["first_name"]
    assert not Official.objects.exists()


@pytest.mark.parametrize("ch", KINDS)
def test_the_admin_trainer_form_shows_the_refusal_next_to_the_name(admin, ch):
    response = admin.post(
        reverse("admin:training_sessions_trainer_add"),
        {**_account(last_name=f"Çağ{ch}lar"), "home_province": 6, "password": ""},
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["last_name"]
    assert not Trainer.objects.exists()


def _user_change(user, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("ch", KINDS)
def test_the_admin_user_form_refuses_an_officials_renaming_next_to_the_field(admin, own, ch):
    user = official_of(own)

    response = admin.post(
        reverse("admin:auth_user_change", args=[user.pk]), _user_change(user, last_name=f"Yıl{ch}maz")
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["last_name"]
    user.refresh_from_db()
    assert user.last_name == "Yılmaz"


def test_the_admin_user_form_still_saves_a_good_name(admin, own):
    user = official_of(own)

    response = admin.post(reverse("admin:auth_user_change", args=[user.pk]), _user_change(user, last_name="O'Neil"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.last_name == "O'Neil"


# --- Institutions and units -------------------------------------------------------------------


def _institution_body(**overrides) -> dict:
    body = {
        "name": "19 Mayıs Üniversitesi",
        "code": "555001",
        "kind": "university",
        "units": [{"level": "merkez", "name": "Rektörlük", "active_users": 40}],
    }
    body.update(overrides)
    return body


def test_the_api_takes_an_institution_name_with_digits_and_punctuation(staff, program):
    response = staff.post("/api/v1/institutions/", _institution_body(), format="json")

    assert response.status_code == 201, response.json()
    assert Institution.objects.get().name == "19 Mayıs Üniversitesi"


@pytest.mark.parametrize("ch", KINDS)
def test_the_api_refuses_an_institution_or_unit_name_with_an_invisible_character(staff, program, ch):
    named = staff.post("/api/v1/institutions/", _institution_body(name=f"19 Mayıs{ch} Üniversitesi"), format="json")
    units = [{"level": "merkez", "name": f"Rektör{ch}lük", "active_users": 40}]
    unit_named = staff.post("/api/v1/institutions/", _institution_body(units=units), format="json")

    assert named.status_code == unit_named.status_code == 400
    assert list(named.json()["fields"]) == ["name"]
    assert list(unit_named.json()["fields"]) == ["units"]
    assert list(unit_named.json()["fields"]["units"]["0"]) == ["name"]
    assert not Institution.objects.exists()


@pytest.mark.parametrize("ch", KINDS)
def test_the_api_refuses_renaming_an_institution_with_an_invisible_character(staff, own, ch):
    response = staff.patch(f"/api/v1/institutions/{own.pk}/", {"name": f"Kurum{ch}"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["name"]


@pytest.mark.parametrize("ch", KINDS)
def test_the_admin_unit_form_shows_the_refusal_next_to_the_name(admin, ch):
    institution = InstitutionFactory()

    response = admin.post(
        reverse("admin:entitlements_unit_add"),
        {"institution": institution.pk, "level": "il", "name": f"Ankara{ch} İl", "province": 6, "active_users": 3},
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["name"]
    assert Unit.objects.filter(institution=institution).count() == 1


@pytest.mark.parametrize("ch", KINDS)
def test_the_admin_institution_form_shows_the_refusal_next_to_the_name(admin, ch):
    response = admin.post(
        reverse("admin:entitlements_institution_add"),
        {
            "name": f"Kırıkkale{ch} Valiliği",
            "code": "555002",
            "kind": "governorship",
            "units-TOTAL_FORMS": "1",
            "units-INITIAL_FORMS": "0",
            "units-MIN_NUM_FORMS": "0",
            "units-MAX_NUM_FORMS": "1000",
            "units-0-level": "merkez",
            "units-0-name": "Valilik",
            "units-0-active_users": "12",
            "officials-TOTAL_FORMS": "0",
            "officials-INITIAL_FORMS": "0",
            "officials-MIN_NUM_FORMS": "0",
            "officials-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["name"]
    assert not Institution.objects.exists()


def test_units_whose_users_together_pass_what_the_ledger_holds_are_refused(staff, program):
    units = [
        {"level": "merkez", "name": "Rektörlük", "active_users": 2_000_000_000},
        {"level": "il", "name": "Samsun", "province": 55, "active_users": 2_000_000_000},
    ]

    response = staff.post("/api/v1/institutions/", _institution_body(units=units), format="json")

    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["fields"])) == ("invalid", ["units"])
    assert not Institution.objects.exists()


# --- One e-mail rule on every side ------------------------------------------------------------


@pytest.mark.parametrize("email", NON_ASCII_EMAILS)
def test_the_api_refuses_a_participant_email_beyond_ascii_before_the_at(official, email):
    body = {"first_name": "Işıl", "last_name": "Güneş", "email": email}

    response = official.post("/api/v1/participants/", body, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], list(response.json()["fields"])) == ("invalid", ["email"])


def test_the_api_takes_an_internationalised_domain(official):
    body = {"first_name": "Işıl", "last_name": "Güneş", "email": "isil@bakanlık.gov.tr"}

    response = official.post("/api/v1/participants/", body, format="json")

    assert response.status_code == 201, response.json()
    assert Participant.objects.get().email == "isil@bakanlık.gov.tr"


@pytest.mark.parametrize("email", NON_ASCII_EMAILS[:2])
def test_the_portal_form_refuses_it_next_to_the_field_and_asks_the_browser_for_an_email(portal, own, email):
    response = portal.post(reverse("sessions_portal:participant_add"), _participant_form(own, email=email))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert 'type="email"' in response.content.decode()
    assert not Participant.objects.exists()


@pytest.mark.parametrize("email", NON_ASCII_EMAILS[:2])
def test_the_admin_participant_form_refuses_it_next_to_the_field(admin, own, email):
    person = ParticipantFactory(institution=own)
    url = reverse("admin:training_sessions_participant_change", args=[person.pk])

    response = admin.post(url, _admin_participant(person, email=email))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["email"]


@pytest.mark.parametrize("email", NON_ASCII_EMAILS[:2])
def test_the_api_refuses_it_for_officials_and_trainers(staff, email):
    institution = InstitutionFactory()
    official = staff.post(f"/api/v1/institutions/{institution.pk}/officials/", _account(email=email), format="json")
    trainer = staff.post("/api/v1/trainers/", {**_account(email=email), "home_province": 6}, format="json")

    assert official.status_code == trainer.status_code == 400
    assert list(official.json()["fields"]) == list(trainer.json()["fields"]) == ["email"]
    assert not User.objects.filter(username="yetkili").exists()


@pytest.mark.parametrize("email", NON_ASCII_EMAILS[:2])
def test_the_admin_official_and_user_forms_refuse_it_next_to_the_field(admin, own, email):
    institution = InstitutionFactory()
    added = admin.post(
        reverse("admin:entitlements_official_add"),
        {"institution": institution.pk, **_account(email=email), "password": ""},
    )
    user = official_of(own)
    changed = admin.post(reverse("admin:auth_user_change", args=[user.pk]), _user_change(user, email=email))

    assert added.status_code == changed.status_code == 200
    assert list(added.context["adminform"].form.errors) == ["email"]
    assert list(changed.context["adminform"].form.errors) == ["email"]


@pytest.mark.parametrize("email", NON_ASCII_EMAILS[:2])
def test_the_services_refuse_it_for_seeds_and_commands(own, email):
    with pytest.raises(RuleViolation) as person:
        participant_create(institution=own, data={"first_name": "Işıl", "last_name": "Güneş", "email": email})
    with pytest.raises(RuleViolation) as account:
        account_create(username="yetkili", email=email, first_name="Işıl", last_name="Güneş")

    assert list(person.value.fields) == list(account.value.fields) == ["email"]


def test_a_stored_address_written_before_the_rule_stays_until_it_is_changed(official, own):
    """No data migration rewrites an address (the person's mailbox is what it is); the API changes
    the rest of the record, and a new address must follow the rule."""
    person = ParticipantFactory(institution=own, email="yıldırım@kurum.gov.tr")
    url = f"/api/v1/participants/{person.pk}/"

    renamed = official.patch(url, {"first_name": "Işıl İnci"}, format="json")
    readdressed = official.patch(url, {"email": "ılgaz@kurum.gov.tr"}, format="json")

    assert renamed.status_code == 200, renamed.json()
    assert readdressed.status_code == 400 and list(readdressed.json()["fields"]) == ["email"]
    person.refresh_from_db()
    assert (person.first_name, person.email) == ("Işıl İnci", "yıldırım@kurum.gov.tr")


def test_the_admin_adds_an_institution_named_with_digits_with_its_central_unit(admin, program):
    response = admin.post(
        reverse("admin:entitlements_institution_add"),
        {
            "name": "19 Mayıs Üniversitesi",
            "code": "555003",
            "kind": "university",
            "is_active": "on",
            "units-TOTAL_FORMS": "1",
            "units-INITIAL_FORMS": "0",
            "units-MIN_NUM_FORMS": "0",
            "units-MAX_NUM_FORMS": "1000",
            "units-0-level": "merkez",
            "units-0-name": "Rektörlük",
            "units-0-active_users": "40",
            "officials-TOTAL_FORMS": "0",
            "officials-INITIAL_FORMS": "0",
            "officials-MIN_NUM_FORMS": "0",
            "officials-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    institution = Institution.objects.get(code="555003")
    assert (institution.name, institution.units.get().name) == ("19 Mayıs Üniversitesi", "Rektörlük")
