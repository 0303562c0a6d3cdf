"""The officers' queue search finds firms by part of their name (review.selectors): on
PostgreSQL a trigram index on the upper-cased name (what icontains compares) answers it from
the index at 100,000 firms. Built concurrently; other databases skip this."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS iecrecord_firm_name_trgm ON accounts_iecrecord "
        "USING gin ((UPPER(firm_name::text)) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS iecrecord_firm_name_trgm")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("accounts", "0008_officer_invitations_and_events")]

    operations = [migrations.RunPython(forwards, backwards)]
