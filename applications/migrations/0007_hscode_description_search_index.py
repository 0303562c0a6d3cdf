"""A GIN index for the HS helper's search by words on PostgreSQL (applications/hs.py _matching):
its expression is the one Django writes for SearchVector("description", config="english"), so
the planner uses it. Nothing on SQLite, which searches word by word without an index."""

from __future__ import annotations

from django.db import migrations

INDEX = "applications_hscode_description_fts"
EXPRESSION = "to_tsvector('english'::regconfig, COALESCE(description, ''))"


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        table = apps.get_model("applications", "HSCode")._meta.db_table
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON "{table}" USING GIN ({EXPRESSION})'
        )


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("applications", "0006_fee_wallet_and_tax_invoices")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
