"""Migration operations for upgrades without downtime (docs/operations.md, 11. Upgrades).

An index built by a plain AddIndex on PostgreSQL holds a lock that blocks every write to the
table until it is built; CREATE INDEX CONCURRENTLY does not. Django's AddIndexConcurrently
works on PostgreSQL only, and the embedded default is SQLite: this one builds concurrently on
PostgreSQL and plainly elsewhere. Its migration must say `atomic = False`.

    from core.migration_operations import AddIndexConcurrentlyWherePossible

    class Migration(migrations.Migration):
        atomic = False
        operations = [AddIndexConcurrentlyWherePossible("application", models.Index(...))]
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


def _postgres(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


class AddIndexConcurrentlyWherePossible(AddIndexConcurrently):
    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, *states)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, *states)

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, *states)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, *states)


class RemoveIndexConcurrentlyWherePossible(RemoveIndexConcurrently):
    def database_forwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, *states)
        else:
            RemoveIndex.database_forwards(self, app_label, schema_editor, *states)

    def database_backwards(self, app_label: str, schema_editor: Any, *states: Any) -> None:
        if _postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, *states)
        else:
            RemoveIndex.database_backwards(self, app_label, schema_editor, *states)
