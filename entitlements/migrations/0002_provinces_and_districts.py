"""All 81 provinces (plate codes 01-81) and their 973 districts, from the shipped fixture."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "provinces_districts.json"


def load(apps, schema_editor):
    Province = apps.get_model("entitlements", "Province")
    District = apps.get_model("entitlements", "District")
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for item in data["provinces"]:
        province, _ = Province.objects.update_or_create(plate=item["plate"], defaults={"name": item["name"]})
        existing = set(District.objects.filter(province=province).values_list("name", flat=True))
        District.objects.bulk_create(
            District(province=province, name=name) for name in item["districts"] if name not in existing
        )


class Migration(migrations.Migration):
    dependencies = [("entitlements", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
