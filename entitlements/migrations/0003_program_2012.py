"""The letter's program (2012) and its category table, open."""

from django.db import migrations

BANDS = [
    # code, name, min, max, hours, delivery, certificate rule
    ("STANDARD", "Standart", 1, 100, 4, "classroom", "attended"),
    ("1", "Kategori 1", 101, 1_000, 8, "onsite", "full"),
    ("2", "Kategori 2", 1_001, 10_000, 12, "onsite", "full"),
    ("3", "Kategori 3", 10_001, 50_000, 16, "onsite", "full"),
    ("4", "Kategori 4", 50_001, 100_000, 20, "onsite", "full"),
    ("5", "Kategori 5", 100_001, 1_000_000, 24, "onsite", "full"),
]


def load(apps, schema_editor):
    Program = apps.get_model("entitlements", "Program")
    Category = apps.get_model("entitlements", "Category")
    program, _ = Program.objects.get_or_create(
        name="Eğitim Promosyonu 2012",
        defaults={
            "year": 2012,
            "is_open": True,
            "trainee_target": 4000,
            "notice_days": 21,
            "classroom_size": 24,
            "classroom_quota": 6,
        },
    )
    for code, name, low, high, hours, delivery, rule in BANDS:
        Category.objects.get_or_create(
            program=program,
            code=code,
            defaults={
                "name": name,
                "min_users": low,
                "max_users": high,
                "hours": hours,
                "delivery": delivery,
                "certificate_rule": rule,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("entitlements", "0002_provinces_and_districts")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
