"""The officials' portal pages: auth, dashboard, institution detail, calculator, language, CSRF."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from entitlements.models import Institution, InstitutionKind, Province, Unit, UnitLevel
from entitlements.services import entitlement_recompute
from tests.entitlements.factories import InstitutionFactory, OfficialFactory, UnitFactory, UserFactory, official_of

PASSWORD = "secret-pass-123"  # the factories' password
ASSET_URL = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]*)"', re.IGNORECASE)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

pytestmark = pytest.mark.django_db


def _recompute(*institutions: Institution) -> None:
    entitlement_recompute(institutions=Institution.objects.filter(pk__in=[i.pk for i in institutions]))


@pytest.fixture
def igdir(program) -> Institution:
    """150.000 active users (Kategori 5, 24 hours), one unit with 145.000."""
    institution = InstitutionFactory(
        name="İçişleri Bakanlığı Iğdır Valiliği", code="IGDIR-76", kind=InstitutionKind.GOVERNORSHIP, merkez_users=5000
    )
    UnitFactory(
        institution=institution,
        level=UnitLevel.IL,
        name="Şişli İl Müdürlüğü",
        province=Province.objects.get(plate=34),
        active_users=145_000,
    )
    _recompute(institution)
    return institution


@pytest.fixture
def other(program) -> Institution:
    institution = InstitutionFactory(name="Başka Kurum Ğenel Müdürlüğü", code="OTHER-01", merkez_users=50)
    _recompute(institution)
    return institution


@pytest.fixture
def official(igdir):
    return OfficialFactory(institution=igdir, user__username="ayse", user__email="ayse@igdir.gov.tr").user


@pytest.fixture
def other_official(other):
    return OfficialFactory(institution=other, user__username="mehmet").user


def _csrf_tokens(html: str) -> list[str]:
    return CSRF_INPUT.findall(html)


# --- Log in, log out, password reset ----------------------------------------------------------


def test_login_page_renders_a_crispy_form_with_csrf_token(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="tr">' in html
    assert '<form method="post" action="/accounts/login/" id="login-form"' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert "form-control" in html  # rendered by crispy-bootstrap5
    assert len(_csrf_tokens(html)) >= 2  # the login form and the language form
    assert "/static/bootstrap/css/bootstrap.min.css" in html
    assert "/static/bootstrap/js/bootstrap.bundle.min.js" in html
    # Nothing from another host (no CDN): every stylesheet, script and image is our own. (A test
    # for the letters "cdn" failed now and then on a random CSRF token that contained them.)
    assets = ASSET_URL.findall(html)
    assert assets and [url for url in assets if not url.startswith("/") or url.startswith("//")] == []


def test_official_logs_in_and_lands_on_the_dashboard(client, official, igdir):
    response = client.post(reverse("login"), {"username": "ayse", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:dashboard")
    assert igdir.name in response.content.decode()


def test_wrong_password_is_refused_on_the_login_page(client, official):
    response = client.post(reverse("login"), {"username": "ayse", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_form_and_ends_the_session(client, official):
    client.force_login(official)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert re.search(r'<form action="/accounts/logout/" method="post"', html)
    assert client.get(reverse("logout")).status_code == 405  # Django 5: never by GET
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_password_reset_emails_a_link_that_sets_a_new_password(client, official, django_capture_on_commit_callbacks):
    html = client.get(reverse("password_reset")).content.decode()
    assert 'id="password-reset-form"' in html and len(_csrf_tokens(html)) >= 2

    with django_capture_on_commit_callbacks(execute=True):  # the e-mail is a task queued on commit
        response = client.post(reverse("password_reset"), {"email": "ayse@igdir.gov.tr"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ayse@igdir.gov.tr"]
    assert "\n" not in message.subject
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body).group(1)

    response = client.get(link)  # Django swaps the token for a session key and redirects
    assert response.status_code == 302
    set_password_url = response.url
    html = client.get(set_password_url).content.decode()
    assert 'id="set-password-form"' in html and _csrf_tokens(html)

    response = client.post(set_password_url, {"new_password1": "Yeni-Şifre-2012!", "new_password2": "Yeni-Şifre-2012!"})
    assert response.status_code == 302 and response.url == reverse("password_reset_complete")
    assert client.get(response.url).status_code == 200

    assert Client().login(username="ayse", password="Yeni-Şifre-2012!")
    assert not Client().login(username="ayse", password=PASSWORD)
    assert client.get(link, follow=True).context["validlink"] is False  # the link works once


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, official):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.gov.tr"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert mail.outbox == []


# --- Dashboard --------------------------------------------------------------------------------


def test_anonymous_dashboard_redirects_to_login(client):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('portal:dashboard')}"


def test_dashboard_shows_own_institution_units_and_turkish_numbers(client, official, igdir):
    client.force_login(official)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert '<html lang="tr">' in html
    assert "İçişleri Bakanlığı Iğdır Valiliği" in html
    assert "IGDIR-76" in html
    assert "Şişli İl Müdürlüğü" in html
    assert "İstanbul" in html  # the unit's province
    assert "145.000" in html  # the unit's users, Turkish thousands separator
    assert re.search(r">\s*5\.000\s*<", html)  # the central unit
    assert "150.000" in html  # the total of all units
    assert "Kategori 5" in html
    assert re.search(r'data-testid="hours">\s*24\s*<', html)
    assert "Eğitim Promosyonu 2012" in html


def test_dashboard_in_english_uses_english_number_format(client, official):
    client.force_login(official)
    client.cookies.load({"django_language": "en"})
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert '<html lang="en">' in html
    assert "145,000" in html and "145.000" not in html


def test_dashboard_of_a_standard_institution_shows_the_seat_quota(client, program):
    institution = InstitutionFactory(name="Küçük Kurum", merkez_users=40)
    _recompute(institution)
    user = official_of(institution)
    client.force_login(user)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert "Standart" in html
    assert re.search(r'data-testid="seat-quota">\s*6 ', html)
    assert 'data-testid="hours"' not in html


def test_dashboard_flags_an_institution_above_the_last_band(client, program):
    institution = InstitutionFactory(name="Çok Büyük Kurum", merkez_users=1_000_001)
    _recompute(institution)
    client.force_login(official_of(institution))
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert "1.000.001" in html
    assert 'data-testid="entitlement-flag"' in html


def test_dashboard_never_shows_another_institution(client, official, other, other_official):
    client.force_login(official)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert other.name not in html and other.code not in html
    client.force_login(other_official)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert other.name in html
    assert "Iğdır" not in html and "145.000" not in html


def test_staff_dashboard_points_to_the_admin(client, staff_user):
    client.force_login(staff_user)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert 'data-testid="staff-notice"' in response.content.decode()
    assert reverse("admin:index") in response.content.decode()


def test_user_without_institution_gets_a_notice_not_an_error(client, program, other):
    client.force_login(UserFactory())
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="no-institution-notice"' in html
    assert other.name not in html


def _dashboard_queries(client, django_assert_num_queries, user, expected: int) -> None:
    client.force_login(user)
    with django_assert_num_queries(expected):
        assert client.get(reverse("portal:dashboard")).status_code == 200


# session, user, official + institution, the user's and the groups' permissions (institutions_visible
# asks whether the user is programme staff), institution + total, its units, its entitlements; in the
# open program its usage (three), its participants (none here, so their figures are not asked for)
# and its next sessions (tests/reports/test_official_dashboard.py pins the count with people, whatever
# the number of reservations)
DASHBOARD_QUERIES = 13


def test_dashboard_runs_a_fixed_number_of_queries(client, program, django_assert_num_queries):
    small = InstitutionFactory(merkez_users=10)
    big = InstitutionFactory(merkez_users=10)
    ankara = Province.objects.get(plate=6)
    Unit.objects.bulk_create(
        Unit(institution=big, level=UnitLevel.IL, name=f"Birim {n}", province=ankara, active_users=n) for n in range(40)
    )
    _recompute(small, big)
    _dashboard_queries(client, django_assert_num_queries, official_of(small), DASHBOARD_QUERIES)
    _dashboard_queries(client, django_assert_num_queries, official_of(big), DASHBOARD_QUERIES)


def test_institution_detail_runs_a_fixed_number_of_queries(client, official, igdir, django_assert_num_queries):
    UnitFactory.create_batch(30, institution=igdir)
    client.force_login(official)
    # session, user, two permission checks, institution + total, units, entitlements, the official's
    # bands for the navigation's menu
    with django_assert_num_queries(8):
        assert client.get(reverse("portal:institution_detail", kwargs={"pk": igdir.pk})).status_code == 200


# --- Institution detail: scoping --------------------------------------------------------------


def test_official_sees_own_institution_detail(client, official, igdir):
    client.force_login(official)
    response = client.get(reverse("portal:institution_detail", kwargs={"pk": igdir.pk}))
    assert response.status_code == 200
    assert "145.000" in response.content.decode()


def test_another_institutions_detail_page_is_404(client, official, other):
    client.force_login(official)
    response = client.get(reverse("portal:institution_detail", kwargs={"pk": other.pk}))
    assert response.status_code == 404
    assert other.name not in response.content.decode()


def test_a_missing_institution_is_the_same_404(client, official):
    client.force_login(official)
    assert client.get(reverse("portal:institution_detail", kwargs={"pk": 999_999})).status_code == 404


def test_user_without_institution_gets_404_for_any_institution(client, other):
    client.force_login(UserFactory())
    assert client.get(reverse("portal:institution_detail", kwargs={"pk": other.pk})).status_code == 404


def test_anonymous_institution_detail_redirects_to_login(client, other):
    response = client.get(reverse("portal:institution_detail", kwargs={"pk": other.pk}))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_programme_staff_may_open_any_institution(client, staff_user, other):
    client.force_login(staff_user)
    assert client.get(reverse("portal:institution_detail", kwargs={"pk": other.pk})).status_code == 200


# --- Home -------------------------------------------------------------------------------------


def test_home_sends_officials_to_their_dashboard_and_staff_to_the_admin(client, official, staff_user):
    client.force_login(official)
    assert client.get(reverse("home")).url == reverse("portal:dashboard")
    client.force_login(staff_user)
    assert client.get(reverse("home")).url == reverse("admin:index")


def test_home_for_anonymous_links_to_login_and_calculator(client, db):
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("login")}"' in html
    assert f'href="{reverse("portal:calculator")}"' in html


# --- Calculator -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("users", "code", "name"),
    [
        ("1", "STANDARD", "Standart"),
        ("100", "STANDARD", "Standart"),
        ("101", "1", "Kategori 1"),
        ("1000", "1", "Kategori 1"),
        ("1.001", "2", "Kategori 2"),  # Turkish thousands separator
        ("145.000", "5", "Kategori 5"),
        ("1000000", "5", "Kategori 5"),
    ],
)
def test_calculator_shows_the_band(client, program, users, code, name):
    response = client.get(reverse("portal:calculator"), {"active_users": users, "program": program.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="band-code">{code}<' in html
    assert f'data-testid="band-name">{name}<' in html
    assert 'data-testid="no-category"' not in html


def _right_in_words(html: str) -> str:
    return re.search(r'data-testid="right-in-words">(.*?)</p>', html, re.S).group(1)


def test_calculator_standard_band_explains_the_classroom_right(client, program):
    words = _right_in_words(client.get(reverse("portal:calculator"), {"active_users": "100"}).content.decode())
    assert "Ankara" in words and "Gebze" in words
    figures = set(re.findall(r"\d+", words))
    assert {"6", "24", "21", "4"} <= figures  # quota, class size, notice days, hours


def test_calculator_onsite_band_states_the_hours(client, program):
    words = _right_in_words(client.get(reverse("portal:calculator"), {"active_users": "20.000"}).content.decode())
    assert "16" in re.findall(r"\d+", words)
    assert "Ankara" not in words


@pytest.mark.parametrize(("users", "above"), [("0", False), ("1000001", True), ("1.000.001", True)])
def test_calculator_shows_no_category_for_zero_and_above_the_last_band(client, program, users, above):
    html = client.get(reverse("portal:calculator"), {"active_users": users, "program": program.pk}).content.decode()
    assert 'data-testid="no-category"' in html
    assert 'data-testid="band-code"' not in html
    assert ("1.000.001" in html) is above


def test_calculator_without_program_uses_the_newest_open_one(client, program):
    html = client.get(reverse("portal:calculator"), {"active_users": "150"}).content.decode()
    assert 'data-testid="band-name">Kategori 1<' in html


@pytest.mark.parametrize("users", ["-1", "abc", "12,5"])
def test_calculator_refuses_what_is_not_a_count(client, program, users):
    html = client.get(reverse("portal:calculator"), {"active_users": users}).content.decode()
    assert "is-invalid" in html
    assert 'data-testid="calculator-result"' not in html


def test_calculator_form_is_shown_empty_at_first(client, program):
    response = client.get(reverse("portal:calculator"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="calculator-form" method="get"' in html
    assert f'<option value="{program.pk}" selected>' in html
    assert 'data-testid="calculator-result"' not in html


# --- Language and CSRF ------------------------------------------------------------------------


def test_every_form_carries_a_csrf_token(client, official):
    for name in ("login", "password_reset"):
        html = client.get(reverse(name)).content.decode()
        assert len(_csrf_tokens(html)) == 2, name  # the page's form and the language form
    html = client.get(reverse("portal:calculator")).content.decode()
    assert re.search(
        r'<form action="/i18n/setlang/" method="post"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', html
    )
    client.force_login(official)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert len(_csrf_tokens(html)) == 2  # the language form and the logout form


def test_english_is_selectable_with_a_csrf_checked_post(program):
    client = Client(enforce_csrf_checks=True)
    html = client.get(reverse("portal:calculator")).content.decode()
    assert '<html lang="tr">' in html
    token = _csrf_tokens(html)[0]

    refused = client.post(reverse("set_language"), {"language": "en", "next": "/calculator/"})
    assert refused.status_code == 403

    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/calculator/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and response.url == "/calculator/"
    html = client.get(reverse("portal:calculator")).content.decode()
    assert '<html lang="en">' in html
    assert '<button type="submit" name="language" value="en" lang="en"' in html

    token = _csrf_tokens(html)[0]
    client.post(reverse("set_language"), {"language": "tr", "next": "/", "csrfmiddlewaretoken": token})
    assert '<html lang="tr">' in client.get(reverse("portal:calculator")).content.decode()


def test_login_without_csrf_token_is_refused(official):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    response = client.post(reverse("login"), {"username": "ayse", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_with_csrf_token_works_under_enforced_checks(official):
    client = Client(enforce_csrf_checks=True)
    token = _csrf_tokens(client.get(reverse("login")).content.decode())[0]
    response = client.post(reverse("login"), {"username": "ayse", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response.url == reverse("portal:dashboard")


def test_logout_without_csrf_token_is_refused(official):
    client = Client(enforce_csrf_checks=True)
    client.force_login(official)
    assert client.post(reverse("logout")).status_code == 403
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_turkish_is_the_default_even_when_the_browser_asks_for_english(client, db):
    response = client.get(reverse("portal:calculator"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="tr"' in response.content.decode()
