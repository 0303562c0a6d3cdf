"""Search at a million applications (issue 34). The trigram indexes of 0009 serve a substring
search across every firm's applications: a common substring matched most of the table before
the firm or agency filter applied. These lead with the firm (the exporter's list) and the
agency (the officers' queue) through btree_gin, so one index scan applies both. Built
concurrently on PostgreSQL (writes go on while they build); other databases skip this."""

from django.db import migrations

INDEXES = [
    ("app_firm_reference_trgm", "firm_id", "reference"),
    ("app_firm_consignee_trgm", "firm_id", "consignee_name"),
    ("app_agency_reference_trgm", "agency_id", "reference"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for name, lead, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON applications_application "
            f"USING gin ({lead}, (UPPER({column}::text)) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _lead, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("applications", "0016_document_bill_of_lading_index")]

    operations = [migrations.RunPython(forwards, backwards)]
