# The index is built without locking the log against writes on PostgreSQL (CREATE INDEX
# CONCURRENTLY, outside a transaction), so lookups go on being logged while it builds.

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("verification", "0004_agency_admins_see_payments_and_log"),
    ]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="verificationlog",
            index=models.Index(
                fields=["certificate", "-created_at"], name="verificationlog_cert_time"
            ),
        ),
    ]
