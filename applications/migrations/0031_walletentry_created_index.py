# The day's settlement reads the wallet's movements of one day: an index on created_at, built
# without blocking the ledger's writes on PostgreSQL.

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("applications", "0030_declaration_signatures")]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="walletentry",
            index=models.Index(fields=["created_at"], name="walletentry_created"),
        ),
    ]
