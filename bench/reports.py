"""Every report (review/reports.py) at a million applications.

    python bench/reports.py [--rows 1000000] [--runs 3] [--refill] [--smoke] [--check]

Fills a PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/coo_bench_reports; created if missing, filled once and
reused unless --refill, which drops and creates it) with ROWS applications of EIC (five
offices, three agreements' worth of destinations) over three years in a realistic mix of
statuses, a review-start and a decision event for each decided one (one in ten after a
clarification round), a captured fee payment and its GST tax invoice for each submitted one,
the refund of each paid withdrawn one, a certificate for each issued one and about a million
lookups of a quarter of them. The fill writes with SQL, past the writers that keep the
reports' roll-ups, so it rebuilds them (`rollup_reports`). Then times each report for the
agency and for every agency (platform staff), over the last year by day and by month and over
the last 30 days: the best of RUNS, failing (exit 1) if any takes 2 s or more. `--check`
builds each report that reads a roll-up again from the raw rows (a year, by month) and says
whether the figures are the same, and how long the raw rows took. `--fill-only` stops after
the fill.

--smoke: 2,000 rows and one run, to check that the script works (the suite does not run it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coo_bench_reports"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "r" * 50)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench-reports"))

import django  # noqa: E402

from bench import sitting  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import IECRecord, OfficerProfile, User  # noqa: E402
from applications.models import (  # noqa: E402
    AgencyOffice,
    Application,
    ApplicationEvent,
    Payment,
    TaxInvoice,
    Wallet,
    WalletEntry,
)
from certificates.models import Certificate  # noqa: E402
from reference.models import IssuingAgency  # noqa: E402
from review.models import ApplicationDay  # noqa: E402
from review.reports import (  # noqa: E402
    REPORTS,
    Scope,
    clarifications_and_refusals,
    decided,
    fees,
    officer_workload,
    received,
    report_build,
    time_to_decision,
    verification_lookups,
)
from verification.models import VerificationLog  # noqa: E402

LIMIT_SECONDS = 2.0
ROLLUP_READERS = {
    "received": received,
    "decided": decided,
    "clarifications": clarifications_and_refusals,
    "workload": officer_workload,
    "fees": fees,
    "lookups": verification_lookups,
    "time-to-decision": time_to_decision,
}
STATUS_MIX = [
    ("issued", 0.84),
    ("rejected", 0.04),
    ("withdrawn", 0.03),
    ("draft", 0.05),
    ("submitted", 0.02),
    ("under_review", 0.01),
    ("clarification_requested", 0.01),
]
OFFICES = ["MUM", "DEL", "CHE", "KOL", "KOC"]
DESTINATIONS = ["SG", "DE", "US", "AE", "MY", "TH", "VN", "JP", "KR", "GB"]
REFERENCE_PREFIX = "BR-"


def _case(column: str, choices: list[tuple[str, float]]) -> str:
    parts, edge = [], 0.0
    for value, share in choices:
        edge += share
        parts.append(f"WHEN {column} < {edge:.6f} THEN '{value}'")
    return "CASE " + " ".join(parts) + f" ELSE '{choices[0][0]}' END"


def people() -> tuple[int, dict[str, int], int, int, int]:
    """The agency, its offices, one firm, its exporter and one officer (made if missing)."""
    agency = IssuingAgency.objects.get(code="EIC")
    offices = {o.code: o.pk for o in AgencyOffice.objects.filter(agency=agency)}
    for code in OFFICES:
        if code not in offices:
            offices[code] = AgencyOffice.objects.create(
                agency=agency, code=code, name=f"EIA {code}", city=code
            ).pk
    exporter, _ = User.objects.get_or_create(
        username="BENCHREPT1", defaults={"role": User.Role.EXPORTER}
    )
    firm, _ = IECRecord.objects.get_or_create(
        iec="BENCHREPT1",
        defaults={
            "firm_name": "Bench Reports Exports",
            "address": "1 Bench Road, Mumbai",
            "email": "bench@reports.example",
            "mobile": "+919800000001",
        },
    )
    officer, made = User.objects.get_or_create(
        username="bench.officer", defaults={"role": User.Role.OFFICER, "first_name": "Bench"}
    )
    if made:
        OfficerProfile.objects.create(user=officer, agency=agency, office_id=offices["MUM"])
    return agency.pk, offices, firm.pk, exporter.pk, officer.pk


def _columns(model: type, values: dict[str, str]) -> tuple[list[str], list[str]]:
    """Every concrete column of `model` but its key: the expression given, else NULL, false or
    '' (the script gives every number and key itself)."""
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in values:
            expressions.append(values[field.column])
        elif field.null:
            expressions.append("NULL")
        elif field.get_internal_type() == "BooleanField":
            expressions.append("false")
        else:
            expressions.append("''")
    return columns, expressions


def fill(*, rows: int) -> None:
    agency_id, offices, firm_id, exporter_id, officer_id = people()
    office_case = (
        "CASE "
        + " ".join(
            f"WHEN o < {(i + 1) / len(OFFICES):.4f} THEN {offices[code]}"
            for i, code in enumerate(OFFICES)
        )
        + f" ELSE {offices['MUM']} END"
    )
    destination = "(ARRAY[" + ", ".join(f"'{d}'" for d in DESTINATIONS) + "])[1 + (n % 10)]"
    values = {
        "created_at": "g.created",
        "updated_at": "g.created + interval '2 days'",
        "reference": f"'{REFERENCE_PREFIX}' || lpad(g.n::text, 9, '0')",
        "exporter_id": str(exporter_id),
        "firm_id": str(firm_id),
        "status": "g.status",
        "certificate_type": "'non_preferential'",
        "destination_country": "g.destination",
        "agency_id": str(agency_id),
        "office_id": "g.office",
        "submitted_at": "CASE WHEN g.status = 'draft' THEN NULL "
        "ELSE g.created + interval '1 hour' END",
        "first_submitted_at": "CASE WHEN g.status = 'draft' THEN NULL "
        "ELSE g.created + interval '1 hour' END",
        "decided_at": "CASE WHEN g.status IN ('approved', 'issued', 'rejected') "
        "THEN g.created + interval '1 hour' + (g.r2 * interval '4 days') END",
        "assigned_officer_id": f"CASE WHEN g.status IN ('under_review', 'issued', 'rejected', "
        f"'clarification_requested') THEN {officer_id} END",
    }
    columns, expressions = _columns(Application, values)
    started = time.perf_counter()
    app = Application._meta.db_table
    event = ApplicationEvent._meta.db_table
    payment = Payment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {app} ({", ".join(columns)})
            SELECT {", ".join(expressions)} FROM (
                SELECT n, status, office, destination, r2,
                       now() - interval '1 day' - (r3 * interval '1095 days') AS created
                FROM (
                    SELECT n, {_case("r", STATUS_MIX)} AS status, {office_case} AS office,
                           {destination} AS destination, random() AS r2, random() AS r3
                    FROM (SELECT n, random() AS r, random() AS o
                          FROM generate_series(1, {rows}) AS n) AS s
                ) AS t
            ) AS g
            """  # noqa: S608 - every value is a number or a constant of this script
        )
        # A review start and the decision, by the officer, for every decided application.
        cursor.execute(
            f"""
            INSERT INTO {event} (application_id, kind, from_status, to_status, actor_id, note,
                                 created_at)
            SELECT id, 'transition', 'submitted', 'under_review', {officer_id}, '',
                   submitted_at + interval '10 minutes'
            FROM {app} WHERE reference LIKE '{REFERENCE_PREFIX}%%' AND decided_at IS NOT NULL
            UNION ALL
            SELECT id, 'transition', 'under_review',
                   CASE WHEN status = 'rejected' THEN 'rejected' ELSE 'approved' END,
                   {officer_id},
                   CASE WHEN status = 'rejected'
                        THEN (ARRAY['HS code is wrong', 'Invoice not signed',
                                    'Origin criterion not met'])[1 + (id % 3)]
                        ELSE '' END,
                   decided_at
            FROM {app} WHERE reference LIKE '{REFERENCE_PREFIX}%%' AND decided_at IS NOT NULL
            """  # noqa: S608
        )
        cursor.execute(
            f"""
            INSERT INTO {payment} (created_at, updated_at, application_id, order_id, amount,
                                   currency, state, gateway, gateway_reference, captured_at)
            SELECT submitted_at, submitted_at, id, 'BR-' || id, 200.00, 'INR', 'captured',
                   'bench', '', submitted_at
            FROM {app} WHERE reference LIKE '{REFERENCE_PREFIX}%%' AND submitted_at IS NOT NULL
            """  # noqa: S608
        )
        # One review in ten asked for clarification first: the officer's question, the
        # exporter's reply, the officer's second review start (before the decision above).
        cursor.execute(
            f"""
            INSERT INTO {event} (application_id, kind, from_status, to_status, actor_id, note,
                                 created_at)
            SELECT id, 'transition', s.from_status, s.to_status,
                   CASE WHEN s.step = 2 THEN {exporter_id} ELSE {officer_id} END,
                   s.note, submitted_at + s.step * interval '10 minutes' + interval '10 minutes'
            FROM {app},
                 (VALUES (1, 'under_review', 'clarification_requested', 'Send the invoice'),
                         (2, 'clarification_requested', 'submitted', 'Attached'),
                         (3, 'submitted', 'under_review', '')) AS s(step, from_status, to_status,
                                                                  note)
            WHERE reference LIKE '{REFERENCE_PREFIX}%%' AND decided_at IS NOT NULL
              AND id % 10 = 0
            """  # noqa: S608
        )
    print(
        f"filled {rows:,} applications with events and payments in "
        f"{time.perf_counter() - started:.0f} s"
    )
    started = time.perf_counter()
    _fill_invoices(agency_id=agency_id, firm_id=firm_id)
    _fill_refunds(firm_id=firm_id, exporter_id=exporter_id)
    _fill_lookups(officer_id=officer_id)
    print(
        f"filled tax invoices, refunds, certificates and lookups in "
        f"{time.perf_counter() - started:.0f} s"
    )


def _fill_invoices(*, agency_id: int, firm_id: int) -> None:
    """A GST tax invoice (18%, CGST + SGST) for every fee captured."""
    values = {
        "kind": "'tax_invoice'",
        "supplier": "'EIC'",
        "financial_year": "extract(year FROM p.captured_at)::int",
        "sequence": "p.id",
        "number": f"'{REFERENCE_PREFIX}' || p.id",
        "issued_at": "p.captured_at",
        "agency_id": str(agency_id),
        "payment_id": "p.id",
        "firm_id": str(firm_id),
        "supplier_name": "'Export Inspection Council'",
        "recipient_name": "'Bench Reports Exports'",
        "recipient_iec": "'BENCHREPT1'",
        "place_of_supply": "'27'",
        "sac": "'998399'",
        "description": "'Certificate of origin fee'",
        "rate_percent": "18",
        "taxable_paise": "16949",
        "cgst_paise": "1525",
        "sgst_paise": "1526",
        "igst_paise": "0",
        "total_paise": "20000",
    }
    columns, expressions = _columns(TaxInvoice, values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {TaxInvoice._meta.db_table} ({", ".join(columns)})
            SELECT {", ".join(expressions)} FROM {Payment._meta.db_table} AS p
            WHERE p.order_id LIKE 'BR-%%' AND p.state = 'captured'
            """  # noqa: S608
        )


def _fill_refunds(*, firm_id: int, exporter_id: int) -> None:
    """The fee of every withdrawn application that was paid, refunded to the firm's wallet:
    the ledger's trigger wants each entry after the one before, so one row at a time."""
    wallet, _ = Wallet.objects.get_or_create(firm_id=firm_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT a.id, p.id, a.updated_at FROM {Application._meta.db_table} AS a
            JOIN {Payment._meta.db_table} AS p ON p.application_id = a.id
            WHERE a.reference LIKE '{REFERENCE_PREFIX}%%' AND a.status = 'withdrawn'
              AND p.state = 'captured'
            ORDER BY a.updated_at
            """  # noqa: S608
        )
        refunds = cursor.fetchall()
        cursor.executemany(
            f"""
            INSERT INTO {WalletEntry._meta.db_table} (wallet_id, sequence, kind, amount_paise,
                balance_after_paise, application_id, payment_id, description, actor_id,
                created_at)
            VALUES (%s, %s, 'refund', 20000, %s, %s, %s, 'Refund (bench)', %s, %s)
            """,  # noqa: S608
            [
                (wallet.pk, n, 20000 * n, application, payment, exporter_id, when)
                for n, (application, payment, when) in enumerate(refunds, start=1)
            ],
        )


def _fill_lookups(*, officer_id: int) -> None:
    """A certificate for every issued application, and about a million lookups of a quarter
    of them over the last year (plus 200,000 of numbers not found, which no report counts)."""
    values = {
        "created_at": "a.decided_at",
        "updated_at": "a.decided_at",
        "application_id": "a.id",
        "number": f"'{REFERENCE_PREFIX}' || a.id",
        "verification_code": "'BENCHCODE'",
        "office_id": "a.office_id",
        "year": "extract(year FROM a.decided_at)::int",
        "sequence": "a.id",
        "sha256": "md5(a.id::text) || md5(a.reference)",
        "issued_at": "a.decided_at",
        "signing_officer_id": str(officer_id),
        "status": "'valid'",
    }
    columns, expressions = _columns(Certificate, values)
    certificate = Certificate._meta.db_table
    log = VerificationLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {certificate} ({", ".join(columns)})
            SELECT {", ".join(expressions)} FROM {Application._meta.db_table} AS a
            WHERE a.reference LIKE '{REFERENCE_PREFIX}%%' AND a.status = 'issued'
            """  # noqa: S608
        )
        cursor.execute(
            f"""
            INSERT INTO {log} (certificate_id, channel, outcome, client_hash, created_at)
            SELECT c.id, (ARRAY['page', 'qr', 'api', 'upload'])[1 + ((c.id + g) % 4)], 'found',
                   'x', now() - (random() * interval '365 days')
            FROM {certificate} AS c, generate_series(1, 5) AS g
            WHERE c.number LIKE '{REFERENCE_PREFIX}%%' AND c.id % 4 = 0
            UNION ALL
            SELECT NULL, (ARRAY['page', 'qr', 'api', 'upload'])[1 + (n % 4)], 'not_found', 'x',
                   now() - (random() * interval '365 days')
            FROM generate_series(1, 200000) AS n
            """  # noqa: S608
        )


def _check_against_raw(agency_id: int, start: date, today: date) -> None:
    """Each report that reads a roll-up, built again from the raw rows over the year by
    month: the same figures (or the difference is printed), and how long the raw rows took."""
    print("check against the raw rows (year by month):")
    for key, build in ROLLUP_READERS.items():
        for who, agency in (("agency", agency_id), ("all", None)):
            scope = Scope(agency_id=agency, start=start, end=today, period="month")
            started = time.perf_counter()
            raw = build(scope, raw=True).rows
            took = time.perf_counter() - started
            same = build(scope).rows == raw
            print(f"  {key:<18} {who:<7} raw rows {took:6.2f} s  {'same' if same else 'DIFFER'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--refill", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="2,000 rows, one run")
    parser.add_argument("--fill-only", action="store_true", help="fill and roll up, no timing")
    parser.add_argument(
        "--check", action="store_true", help="compare the roll-ups' reports with the raw rows'"
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.runs = 2_000, 1

    sitting.ensure_database(DATABASE_URL)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    # A new release's migrations fill their roll-ups from the rows there are: how long.
    print(f"migrated in {time.perf_counter() - started:.0f} s")
    call_command("seed_reference", verbosity=0)
    have = Application.objects.filter(reference__startswith=REFERENCE_PREFIX).count()
    name = DATABASE_URL.rpartition("/")[2]
    refill = args.refill or have != args.rows
    if refill:
        # The wallet ledger refuses deletes (a trigger): a new database, not a cleaned one.
        connection.close()
        print(sitting.fresh_database(DATABASE_URL))
        call_command("migrate", verbosity=0)
        call_command("seed_reference", verbosity=0)
        sitting.begin(f"{name} filled afresh with {args.rows:,} applications")
        fill(rows=args.rows)
    else:
        sitting.begin(f"{name} reused: {have:,} applications")
    if refill or not ApplicationDay.objects.exists():
        # The fill writes with SQL, past the services that keep the roll-ups: rebuild them,
        # as the rollup_reports command does after a bulk load.
        started = time.perf_counter()
        since = timezone.localdate() - timedelta(days=1100)
        call_command("rollup_reports", since=since, stdout=sys.stdout)
        print(f"rolled up in {time.perf_counter() - started:.0f} s")
    if args.fill_only:
        sitting.end()
        return 0
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    agency_id = IssuingAgency.objects.get(code="EIC").pk
    today = timezone.localdate()
    year, month = today - timedelta(days=364), today - timedelta(days=29)
    scopes = {
        "year by day": (year, "day"),
        "year by month": (year, "month"),
        "30 days by day": (month, "day"),
    }
    slow = []
    print(f"{'report':<18} {'scope':<16} {'who':<7} {'best s':>7}  rows")
    for key in REPORTS:
        for label, (start, period) in scopes.items():
            for who, agency in (("agency", agency_id), ("all", None)):
                scope = Scope(agency_id=agency, start=start, end=today, period=period)
                best, rows = float("inf"), 0
                for _ in range(args.runs):
                    started = time.perf_counter()
                    rows = len(report_build(key, scope).rows)
                    best = min(best, time.perf_counter() - started)
                print(f"{key:<18} {label:<16} {who:<7} {best:7.3f}  {rows}")
                if best >= LIMIT_SECONDS:
                    slow.append(f"{key} {label} {who}: {best:.2f} s")
    if args.check:
        _check_against_raw(agency_id, year, today)
    sitting.end()
    if slow and not args.smoke:  # a smoke run's timings mean nothing
        print("SLOWER THAN 2 s:\n  " + "\n  ".join(slow))
        return 1
    print(f"every report under {LIMIT_SECONDS:.0f} s at {args.rows:,} applications")
    return 0


if __name__ == "__main__":
    sys.exit(main())
