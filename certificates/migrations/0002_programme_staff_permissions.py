"""The certificates' permissions for the "Programme staff" group."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def load(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    staff, _ = Group.objects.get_or_create(name="Programme staff")
    staff.permissions.add(*Permission.objects.filter(content_type__app_label="certificates"))


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_certificates"), ("entitlements", "0004_programme_staff_group")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
