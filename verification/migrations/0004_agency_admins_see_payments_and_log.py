"""Agency administrators made before issue 31 get the two permissions it added to
AGENCY_ADMIN_PERMISSIONS: their agency's payments and its certificates' verification log
(the admin pages scope both to the agency)."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

ADDED = (("applications", "view_payment"), ("verification", "view_verificationlog"))


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are made after migrations; on a fresh database they do not exist yet.
    for label in ("applications", "verification"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    permission = apps.get_model("auth", "Permission")
    user = apps.get_model("accounts", "User")
    added = [
        permission.objects.get(content_type__app_label=label, codename=codename)
        for label, codename in ADDED
    ]
    for admin in user.objects.filter(role="agency_admin"):
        admin.user_permissions.add(*added)


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0003_credential_channel"),
        ("applications", "0015_payment_unapplied"),
        ("accounts", "0007_members_mobile_verified"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
