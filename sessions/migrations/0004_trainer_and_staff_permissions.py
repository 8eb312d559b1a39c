"""The "Trainers" group (their work plan, unavailability and attendance in the admin) and the new
models' permissions for the "Programme staff" group."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRAINER_PERMISSIONS = [
    "view_trainingsession",
    "view_trainer",
    "view_unavailability",
    "add_unavailability",
    "change_unavailability",
    "delete_unavailability",
    "view_enrolment",
    "view_attendance",
    "add_attendance",
    "change_attendance",
]


def load(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    staff, _ = Group.objects.get_or_create(name="Programme staff")
    staff.permissions.add(*Permission.objects.filter(content_type__app_label="training_sessions"))
    trainers, _ = Group.objects.get_or_create(name="Trainers")
    trainers.permissions.set(
        Permission.objects.filter(content_type__app_label="training_sessions", codename__in=TRAINER_PERMISSIONS)
    )


class Migration(migrations.Migration):
    dependencies = [("training_sessions", "0003_onsite_trainers_requests_attendance")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
