# The index is built without locking the log against writes on PostgreSQL (CREATE INDEX
# CONCURRENTLY, outside a transaction), so lookups go on being logged while it builds; other
# databases build it as usual.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("verification", "0004_agency_admins_see_payments_and_log"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="verificationlog",
            index=models.Index(
                fields=["certificate", "-created_at"], name="verificationlog_cert_time"
            ),
        ),
    ]
