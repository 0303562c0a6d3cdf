"""`make mutation MODULE=<name>`: mutmut over one area of the portal against the tests that
exercise it (issue 25). Run as `python -m tests.mutation <name> [mutmut arguments]`; without
arguments it runs the mutants (`run --max-children 2`) and prints the results.

pyproject's [tool.mutmut] holds what every area shares (the pytest options: no browser tests, no
migrations); this file names each area's source files and its test selection, and hands them to
mutmut before its command line runs. mutmut then maps each mutated function to the tests of the
selection that call it (its "stats" run) and runs only those against each mutant.

Each area keeps its own mutants directory (var/mutants/<name>, swapped into ./mutants while it
runs), so a run of one area does not throw away the verdicts of another: mutmut resets every
result when the test selection changes.
"""

from __future__ import annotations

import fcntl
import shutil
import sys
from pathlib import Path

# The database's own refusals (a wallet entry that does not follow the chain, a receipt with tax)
# are triggers their migrations create; the schema built from the models (pyproject:
# --nomigrations) has none, and no mutated module plays a part in them.
WITHOUT_TRIGGERS = ["-k", "not test_the_database_refuses"]
WORKFLOW_TESTS = [
    "tests/applications/test_transitions_table.py",
    "tests/applications/test_submit.py",
    "tests/applications/test_payment.py",
    "tests/applications/test_ready_for_signature.py",
    "tests/applications/test_agent_filing.py",
    "tests/applications/test_declaration_signing.py",
    "tests/applications/test_list_and_detail.py",
    "tests/applications/test_notifications.py",
    "tests/applications/test_wallet.py",
    "tests/officer/test_transitions.py",
    "tests/officer/test_status_guard.py",
    "tests/officer/test_reply_and_changes.py",
    "tests/officer/test_risk_checks.py",
    "tests/certificates/test_issuance.py",
    "tests/certificates/test_in_lieu.py",
    "tests/certificates/test_certified_copy.py",
    "tests/certificates/test_self_declaration.py",
]
FIRM_TESTS = [
    "tests/accounts/test_members.py",
    "tests/accounts/test_agent_staff.py",
    "tests/accounts/test_agents.py",
    "tests/applications/test_member_roles.py",
    "tests/applications/test_isolation.py",
    "tests/applications/test_wallet_who_may.py",
    "tests/security/test_access_matrix_members.py",
    "tests/security/test_access_matrix_agents.py",
]
PERMISSION_TESTS = [
    "tests/accounts/test_permissions.py",
    "tests/certificates/test_revocation.py",
    "tests/officer/test_access.py",
    "tests/officer/test_status_guard.py",
    "tests/officer/test_transitions.py",
    "tests/security/test_access_matrix.py",
]
PAYMENT_TESTS = [
    "tests/applications/test_payment.py",
    "tests/applications/test_payment_gateway.py",
    "tests/applications/test_razorpay_contract.py",
    "tests/applications/test_razorpay_races.py",
]
WALLET_TESTS = [
    "tests/applications/test_wallet.py",
    "tests/applications/test_payment.py",  # withdrawal refunds (refund_told, refund_on_withdrawal)
    "tests/applications/test_submit.py",
    "tests/applications/test_gst_documents.py",
    "tests/applications/test_wallet_who_may.py",
    "tests/applications/test_wallet_races.py",
    "tests/applications/test_wallet_ledger_reads.py",
    "tests/applications/test_razorpay_contract.py",
    "tests/applications/test_tax_invoices.py",
]
NUMBERING_TESTS = [
    "tests/certificates/test_numbering.py",
    "tests/foundation/test_counters.py",
    "tests/certificates/test_issuance.py",
    "tests/applications/test_tax_invoices.py",
]

# area -> (files mutated, tests run against them)
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "workflow": (["applications/workflow.py"], WORKFLOW_TESTS),
    "firms": (["accounts/firms.py"], FIRM_TESTS),
    "permissions": (["accounts/permissions.py"], PERMISSION_TESTS),
    "payments": (["applications/payments.py", "applications/gateway_services.py"], PAYMENT_TESTS),
    "wallet": (["applications/wallet.py"], WALLET_TESTS),
    "numbering": (["certificates/numbering.py", "core/counters.py"], NUMBERING_TESTS),
}

STASH = Path("var/mutants")
MARKER = ".coo-mutation-module"


def _swap_in(module: str) -> None:
    """Put `module`'s mutants directory at ./mutants, stashing whichever area was there."""
    here = Path("mutants")
    if here.exists():
        marker = here / MARKER
        held = marker.read_text().strip() if marker.exists() else ""
        if held == module:
            return
        if held:
            STASH.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(STASH / held, ignore_errors=True)
            here.rename(STASH / held)
        else:  # a directory from a plain `mutmut run`: its config is not ours
            shutil.rmtree(here)
    if (STASH / module).exists():
        (STASH / module).rename(here)
    else:
        here.mkdir()
    (here / MARKER).write_text(module + "\n")


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in MODULES:
        sys.exit(f"usage: python -m tests.mutation {{{','.join(MODULES)}}} [mutmut arguments]")
    module, args = argv[0], argv[1:] or ["run", "--max-children", "2"]
    sources, tests = MODULES[module]
    # One area at a time: a second invocation (even `results`) would swap ./mutants away from
    # under a running one.
    STASH.mkdir(parents=True, exist_ok=True)
    lock = (STASH / ".lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit("another `python -m tests.mutation` is running; wait for it to finish")
    _swap_in(module)

    from mutmut import configuration
    from mutmut.__main__ import cli

    config = configuration.config()
    config.source_paths = [Path(p) for p in sources]
    config.resolved_mutated_source_paths = [Path.cwd() / "mutants" / p for p in sources]
    config.pytest_add_cli_args_test_selection = [*WITHOUT_TRIGGERS, *tests]
    cli.main(args=args, prog_name="mutmut", standalone_mode=False)


if __name__ == "__main__":
    main(sys.argv[1:])
