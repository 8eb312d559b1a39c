"""Turkish text: case mapping, capitalising a name, search keys, sorting on the database, dates and
numbers."""

import datetime
import threading

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

from entitlements.models import Institution
from kamusm_portal.db import TurkishCollate
from kamusm_portal.text import DJANGO_CAPFIRSTS, capfirst, tr_fold, tr_lower, tr_upper
from tests.entitlements.factories import InstitutionFactory


@pytest.mark.parametrize(
    ("text", "upper"),
    [("Işık", "IŞIK"), ("İnci", "İNCİ"), ("istanbul", "İSTANBUL"), ("Çağrı Öztürk", "ÇAĞRI ÖZTÜRK")],
)
def test_turkish_upper_case(text, upper):
    assert tr_upper(text) == upper


def test_turkish_lower_case():
    assert tr_lower("IŞIK İNCİ") == "ışık inci"


@pytest.mark.parametrize("text", ["Çankaya", "ÇANKAYA", "cankaya", "çankaya"])
def test_search_keys_fold_case_and_turkish_letters(text):
    assert tr_fold(text) == "cankaya"


def test_dotted_and_dotless_i_fold_alike_for_search():
    assert tr_fold("ISPARTA") == tr_fold("Isparta") == tr_fold("ısparta") == "isparta"


def test_names_sort_in_turkish_alphabetical_order_on_the_database(db):
    names = ["Zonguldak", "Çankırı", "Cide", "Dikmen", "İnegöl", "Işıklar", "Ordu", "Ödemiş", "Şile", "Sinop"]
    for name in names:
        InstitutionFactory(name=name)
    ordered = list(Institution.objects.order_by(TurkishCollate("name")).values_list("name", flat=True))
    assert ordered == ["Cide", "Çankırı", "Dikmen", "Işıklar", "İnegöl", "Ordu", "Ödemiş", "Sinop", "Şile", "Zonguldak"]


class _DateForm(forms.Form):
    day = forms.DateField()


def test_turkish_dates_are_accepted_as_typed():
    with translation.override("tr"):
        form = _DateForm({"day": "04.03.2026"})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == datetime.date(2026, 3, 4)


def test_numbers_show_the_turkish_thousands_separator():
    with translation.override("tr"):
        assert Template("{{ n }}").render(Context({"n": 145000})) == "145.000"


def test_the_time_zone_is_istanbul(settings):
    assert settings.TIME_ZONE == "Europe/Istanbul"
    assert settings.LANGUAGE_CODE == "tr"


def test_ids_in_pages_are_never_written_with_a_thousands_separator(client, db):
    """Numbers show as ``145.000`` in Turkish, but an id in a link, a form value or a test id must
    stay ``12345``: a session, a certificate filter and an on-site request with five-digit ids."""
    from entitlements.models import Program
    from tests.entitlements.factories import official_of
    from tests.sessions.factories import SessionFactory, onsite_institution, standard_institution

    official = official_of(standard_institution())
    SessionFactory(pk=12345)
    client.force_login(official)
    page = client.get("/sessions/").content.decode()
    assert 'data-testid="session-12345"' in page and "12.345" not in page
    program = Program.objects.get(year=2012)
    page = client.get(f"/certificates/?session=12345&program={program.pk}").content.decode()
    assert 'name="session" value="12345"' in page
    from tests.sessions.factories import TrainingRequestFactory

    institution = onsite_institution()
    TrainingRequestFactory(pk=54321, institution=institution)
    client.force_login(official_of(institution))
    page = client.get("/requests/").content.decode()
    assert "#54321" in page and "54.321" not in page


@pytest.mark.parametrize("language", ["en", None])
@pytest.mark.parametrize("value", ["iller", "ılık", "İnci", "provinces", "a", "x y", "", None, 0, 7, "ılık ılık"])
def test_capfirst_is_djangos_outside_turkish(language, value):
    """In English (or with no language active) the portal's ``capfirst`` is Django's, ``None``,
    empty and non-text values included: only Turkish capitals change."""
    djangos = DJANGO_CAPFIRSTS[0]
    with translation.override(language):
        assert capfirst(value) == djangos(value)
        assert type(capfirst(value)) is type(djangos(value))


def test_capfirst_reads_each_threads_own_language():
    """The language is read on every call, in the calling thread: a request in English beside one
    in Turkish capitalises its own way."""
    start = threading.Barrier(2)
    results: dict[str, list[str]] = {}

    def capitalise(language: str) -> None:
        with translation.override(language):
            start.wait(timeout=5)
            results[language] = [capfirst("iller") for _ in range(200)]

    threads = [threading.Thread(target=capitalise, args=(language,)) for language in ("tr", "en")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert set(results["tr"]) == {"İller"}
    assert set(results["en"]) == {"Iller"}
