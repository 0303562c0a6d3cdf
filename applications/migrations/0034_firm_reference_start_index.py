# A firm's search that begins like a reference ("COO-2026-00") reads a range of the firm's
# references, not every row holding the trigrams "COO" or "000": built without blocking
# writes on PostgreSQL (issue 34).

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyWherePossible


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("applications", "0033_search_and_signature_indexes")]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name="application",
            index=models.Index(
                fields=["firm", "reference"],
                opclasses=["", "varchar_pattern_ops"],
                name="app_firm_reference_start",
            ),
        ),
    ]
