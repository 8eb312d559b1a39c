"""A starter catalog (end-user and technical courses), the centre's classrooms in Ankara and
Gebze, and the new models' permissions for the "Programme staff" group."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

COURSES = [
    # code, audience, hours, Turkish title, English title, Turkish description
    (
        "EIMZA-101",
        "user",
        4,
        "E-imza kurulumu ve kullanımı",
        "Installing and using e-signatures",
        "Nitelikli elektronik sertifikanın kurulumu, e-imza atma ve doğrulama, günlük kullanımda dikkat edilecekler.",
    ),
    (
        "EIMZA-102",
        "user",
        2,
        "Kart okuyucu ve sürücüler",
        "Card readers and drivers",
        "Akıllı kart okuyucuların ve sürücülerin kurulumu, sık karşılaşılan sorunlar ve çözümleri.",
    ),
    (
        "EIMZA-103",
        "user",
        2,
        "Mobil imza",
        "Mobile signatures",
        "Mobil imzanın alınması, kullanımı ve kurum uygulamalarıyla birlikte çalışması.",
    ),
    (
        "EIMZA-104",
        "user",
        2,
        "Zaman damgası",
        "Time stamping",
        "Zaman damgasının amacı, kullanımı ve e-imzalı belgelerin uzun dönem doğrulanması.",
    ),
    (
        "EIMZA-201",
        "technical",
        8,
        "E-imza ile kurum içi yazılım entegrasyonu",
        "Integrating e-signatures into in-house software",
        "Kurum yazılımlarına e-imza, doğrulama ve zaman damgası desteğinin eklenmesi; API'ler ve örnek uygulamalar.",
    ),
    (
        "EIMZA-202",
        "technical",
        4,
        "Sertifika yaşam döngüsü ve sistem yönetimi",
        "Certificate life cycle and system administration",
        "Sertifika başvurusu, yenileme ve iptal süreçleri; istemci kurulumlarının merkezi yönetimi.",
    ),
]

VENUES = [
    ("Kamu SM Ankara Eğitim Salonu", 6, "TÜBİTAK Ankara Yerleşkesi, Çankaya / Ankara", 24),
    ("Kamu SM Gebze Eğitim Salonu", 41, "TÜBİTAK Gebze Yerleşkesi, Gebze / Kocaeli", 24),
]


def load(apps, schema_editor):
    Course = apps.get_model("training_sessions", "Course")
    Venue = apps.get_model("training_sessions", "Venue")
    for code, audience, hours, title_tr, title_en, description in COURSES:
        Course.objects.get_or_create(
            code=code,
            defaults={
                "audience": audience,
                "hours": hours,
                "title_tr": title_tr,
                "title_en": title_en,
                "description_tr": description,
            },
        )
    for name, plate, address, seats in VENUES:
        Venue.objects.get_or_create(name=name, defaults={"province_id": plate, "address": address, "seats": seats})

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Programme staff")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="training_sessions"))


class Migration(migrations.Migration):
    dependencies = [
        ("training_sessions", "0001_initial"),
        ("entitlements", "0004_programme_staff_group"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
