"""My applications finds an application by a substring of its certificate's number: on
PostgreSQL a trigram index on the upper-cased number serves it (see applications 0006)."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS certificate_number_trgm ON certificates_certificate "
        "USING gin ((UPPER(number::text)) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS certificate_number_trgm")


class Migration(migrations.Migration):
    dependencies = [("certificates", "0003_certificate_reservation")]

    operations = [migrations.RunPython(forwards, backwards)]
