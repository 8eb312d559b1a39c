"""Reference data from the data migrations: provinces, districts, the program, the staff group."""

from django.contrib.auth.models import Group

from entitlements.models import District, Province
from kamusm_portal.roles import PROGRAMME_STAFF_GROUP


def test_all_81_provinces_with_their_plate_codes(db):
    assert list(Province.objects.values_list("plate", flat=True)) == list(range(1, 82))
    assert Province.objects.get(plate=34).name == "İstanbul"
    assert Province.objects.get(plate=63).name == "Şanlıurfa"
    assert Province.objects.get(plate=76).name == "Iğdır"


def test_all_973_districts_keyed_on_province_and_name(db):
    assert District.objects.count() == 973
    assert District.objects.filter(name="Merkez").count() == 51
    assert District.objects.filter(name="Gölbaşı").count() == 2  # Adıyaman and Ankara
    assert District.objects.get(province__plate=6, name="Çankaya")


def test_the_programme_staff_group_holds_the_portal_permissions(db):
    group = Group.objects.get(name=PROGRAMME_STAFF_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"act_as_programme_staff", "change_institution", "add_unit", "view_entitlement"} <= codenames
