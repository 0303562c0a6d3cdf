"""Issue 27: upgrades without downtime. Every migration added from now on must be safe to run
while the previous release serves (django-migration-linter: no NOT NULL column without a
default, no column dropped or renamed, no table renamed, no blocking index build on
PostgreSQL...). The migrations that existed before are listed in migrations_baseline.txt."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django_migration_linter import MigrationLinter

from core.migration_operations import AddIndexConcurrentlyWherePossible

BASELINE = Path(__file__).with_name("migrations_baseline.txt")
# Migrations that the linter flags but that were reviewed as safe, with the reason.
REVIEWED: dict[str, str] = {
    "certificates.0007_issuance_attempt_abandoned": (
        "abandoned is NOT NULL with a database default (db_default=False): the previous "
        "release, which does not know the column, inserts issuance attempts that get it. The "
        "linter does not read db_default."
    ),
    "applications.0025_certified_true_copy": (
        "copy_reason is NOT NULL with a database default (db_default=''): the previous release, "
        "which does not know the column, inserts applications that get it; certified_copy_of "
        "is a nullable foreign key. The linter does not read db_default."
    ),
    "applications.0028_in_lieu_reason": (
        "in_lieu_reason is NOT NULL with a database default (''): the previous release's "
        "inserts of applications get it. The linter does not read db_default."
    ),
    "reference.0005_agency_in_lieu_fee_policy": (
        "in_lieu_fee and in_lieu_fee_percent are NOT NULL with database defaults ('full' and "
        "50), which the previous release's inserts of agencies get and which both new checks "
        "accept. The linter does not read db_default."
    ),
    "accounts.0015_sms_device_declaration_purpose": (
        "purpose's AlterField only adds a choice (the column was NOT NULL before and stays so; "
        "Django writes no SQL for choices), and the check constraint is widened to admit "
        "'declaration': every row the previous release writes still passes it."
    ),
    "accounts.0017_agent_staff_invitations": (
        "an invitation may name an agent instead of a firm: agent is a new nullable foreign "
        "key, firm becomes nullable (only relaxed), and the new check admits every row the "
        "previous release writes (a firm, no agent). The previous release lists a firm's "
        "invitations by firm and never sees an agent's; an agent's invitation link opened "
        "on it during the upgrade fails, which the upgrade's few minutes make acceptable. On "
        "SQLite the table is rebuilt, which the linter reads as NOT NULL on existing columns."
    ),
    "accounts.0016_user_language": (
        "language is a new column, NOT NULL with a database default (''): the previous "
        "release's inserts of users get it. The linter does not read db_default."
    ),
    "verification.0009_verification_requests": (
        "three new tables (verification requests, their documents and events), with their "
        "indexes and checks: nothing the previous release reads or writes (SQLite rebuilds a "
        "new table to add a check, which the linter reads as NOT NULL on existing columns)."
    ),
    "accounts.0008_officer_invitations_and_events": (
        "must_enrol is NOT NULL with a database default (db_default=False): the previous "
        "release, which does not know the column, inserts officer profiles that get it; "
        "PostgreSQL adds such a column without rewriting the table. The linter does not read "
        "db_default."
    ),
    "applications.0018_payment_gateway_order_and_refunds": (
        "gateway_order_id is added with a database default (''), which the previous release "
        "gets on insert; the unique constraint is on the new PaymentRefund table, which the "
        "previous release never writes."
    ),
    "applications.0019_gst_documents": (
        "the new NOT NULL columns of TaxInvoice have database defaults ('' and false) for the "
        "previous release's inserts; the widened kind choices and the credit-note check "
        "accept every row it writes."
    ),
    "applications.0020_third_party_invoice_number_and_date": (
        "a nullable date and a text column with a database default (''): the previous "
        "release's inserts of applications get it."
    ),
    "applications.0021_cost_sheets": (
        "two new tables (the cost sheet and its materials): nothing the previous release "
        "reads or writes."
    ),
    "applications.0022_back_to_back_certificates": (
        "the new NOT NULL columns of Application have database defaults ('' and false) for "
        "the previous release's inserts; the document kind's choices only grow."
    ),
    "accounts.0010_user_role_verifier": (
        "the role check is replaced by a wider one: every row the previous release writes "
        "passes it; adding it reads the users table once under its lock (100,000 people: "
        "well under a second)."
    ),
    "reference.0004_agreement_single_import": (
        "a boolean with a database default (false) for the previous release's inserts."
    ),
    "verification.0007_verifier_organisations_and_utilisation": (
        "new tables and their constraints: nothing the previous release reads or writes."
    ),
    "applications.0023_client_reference_and_events_via_api": (
        "text and boolean columns with database defaults ('' and false) for the previous "
        "release's inserts; their index is built concurrently by 0024."
    ),
    "api.0001_filing_api": (
        "the filing API's new tables: nothing the previous release reads or writes."
    ),
    "reference.0002_agency_tax_profile": (
        "two new tables and a check constraint on one of them: nothing the previous release "
        "reads or writes."
    ),
}


def baseline() -> set[str]:
    lines = BASELINE.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def linter() -> MigrationLinter:
    return MigrationLinter(no_cache=True, no_output=False, ignore_sqlmigrate_errors=False)


def ours(lint: MigrationLinter) -> dict[str, object]:
    """The project's migrations by "app.name" (Django's own and third parties' left out)."""
    root = Path(__file__).resolve().parents[2]
    found = {}
    for (app, name), migration in lint.migration_loader.disk_migrations.items():
        module = Path(__import__(migration.__module__, fromlist=["_"]).__file__ or "")
        if root in module.parents and ".venv" not in module.parts:
            found[f"{app}.{name}"] = migration
    return found


@pytest.mark.django_db(transaction=True)
def test_every_migration_after_the_baseline_is_safe_while_the_old_release_serves(capsys):
    lint = linter()
    new = {key: m for key, m in ours(lint).items() if key not in baseline() | set(REVIEWED)}
    for migration in new.values():
        lint.lint_migration(migration)
    output = capsys.readouterr().out
    assert not lint.has_errors, f"unsafe migrations (see docs/operations.md, 11):\n{output}"


@pytest.mark.django_db(transaction=True)
def test_the_linter_catches_what_made_the_last_upgrade_fail(capsys):
    # applications.0013 made firm_id NOT NULL: the old code could not write (issue 27).
    lint = linter()
    lint.lint_migration(ours(lint)["applications.0013_application_firm"])
    capsys.readouterr()
    assert lint.has_errors


def test_the_baseline_names_only_migrations_that_exist():
    root = Path(__file__).resolve().parents[2]
    on_disk = {
        f"{path.parent.parent.name}.{path.stem}"
        for path in [*root.glob("*/migrations/0*.py"), *root.glob("core/*/migrations/0*.py")]
        if ".venv" not in path.parts
    }
    assert baseline() <= on_disk


@pytest.mark.django_db(transaction=True)
def test_an_index_is_built_concurrently_on_postgresql_and_plainly_elsewhere():
    index = models.Index(fields=["task", "created_at"], name="outbox_task_created_test")
    operation = AddIndexConcurrentlyWherePossible("outboxmessage", index)
    state = MigrationLoader(connection).project_state()
    after = state.clone()
    operation.state_forwards("durable", after)
    with (
        connection.schema_editor(atomic=False, collect_sql=False) as editor,
        CaptureQueriesContext(connection) as queries,
    ):
        operation.database_forwards("durable", editor, state, after)
    statements = [q["sql"] for q in queries.captured_queries]
    try:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, "durable_outboxmessage")
        assert "outbox_task_created_test" in constraints
        created = [s for s in statements if "outbox_task_created_test" in s]
        concurrently = connection.vendor == "postgresql"
        assert ("CONCURRENTLY" in created[0]) == concurrently, created
    finally:
        with connection.schema_editor(atomic=False) as editor:
            operation.database_backwards("durable", editor, after, state)
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "durable_outboxmessage")
    assert "outbox_task_created_test" not in constraints
