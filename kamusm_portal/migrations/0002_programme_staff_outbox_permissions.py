"""The "Programme staff" group sees the tasks to retry (the outbox) in the admin, tries them again
and removes them: view, change and delete."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CODENAMES = ("view_outboxtask", "change_outboxtask", "delete_outboxtask")


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally made after migrate; make them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # type: ignore[assignment]  # any true value will do
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    staff, _ = Group.objects.get_or_create(name="Programme staff")
    staff.permissions.add(*Permission.objects.filter(content_type__app_label="kamusm_portal", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("kamusm_portal", "0001_outbox"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
