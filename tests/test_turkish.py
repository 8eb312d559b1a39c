"""Turkish text: case mapping, search keys, sorting on the database, dates and numbers."""

import datetime

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

from entitlements.models import Institution
from kamusm_portal.db import TurkishCollate
from kamusm_portal.text import tr_fold, tr_lower, tr_upper
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
