# The filer's reference is searched exactly (selectors): its index is built without blocking
# writes to applications on PostgreSQL.

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("applications", "0023_client_reference_and_events_via_api")]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="application",
            index=models.Index(fields=["client_reference"], name="app_client_reference"),
        ),
    ]
