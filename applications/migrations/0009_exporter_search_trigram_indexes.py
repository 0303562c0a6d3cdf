"""My applications' search (selectors.applications_for_exporter) matches a substring of the
reference, the consignee and the invoice numbers. On PostgreSQL, trigram indexes on the
upper-cased text (what icontains compares) let each match be found from the index instead of
reading every application of a firm (100,000 at a big one). Other databases skip this."""

from django.db import migrations

INDEXES = [
    ("app_reference_trgm", "applications_application", "reference"),
    ("app_consignee_trgm", "applications_application", "consignee_name"),
    ("invoice_number_trgm", "applications_invoice", "number"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("applications", "0008_clarification_snapshot")]

    operations = [migrations.RunPython(forwards, backwards)]
