"""Filling a bench's PostgreSQL database fast: one INSERT ... SELECT over generate_series per
table, every value made by the database (issue 34). bench/queues.py and bench/pages.py share
it, so that a column added to a model breaks both alike and is fixed once.

Import it after django.setup(). Every SQL text here is built from numbers and constants of the
benches, never from input.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from django.db import connection, models

from accounts.models import IECRecord, User
from applications.models import Application, Status, Wallet, WalletEntry, WalletTopUp
from verification.models import VerificationLog

# The share of each status at a busy agency: most applications end issued; open work is a few
# days' worth. APPROVED lasts seconds (until the worker signs), so a handful are caught there;
# the benches make no certificates, so those few show on the dashboard as late.
STATUS_MIX = [
    (Status.ISSUED, 0.83998),
    (Status.REJECTED, 0.04),
    (Status.WITHDRAWN, 0.03),
    (Status.DRAFT, 0.05),
    (Status.SUBMITTED, 0.02),
    (Status.UNDER_REVIEW, 0.01),
    (Status.CLARIFICATION_REQUESTED, 0.01),
    (Status.APPROVED, 0.00002),
]
OFFICE_SHARE = {"MUM": 0.4, "DEL": 0.2, "CHE": 0.2, "KOL": 0.1, "KOC": 0.1}


def _literal(field: models.Field) -> str:
    """What a column the bench does not set gets: its plain default, else an empty value of its
    type (a column added later must not break the fill, as `firm_id` once did)."""
    if field.null:
        return "NULL"
    default = field.default
    if field.has_default() and not callable(default):
        if isinstance(default, bool):
            return "true" if default else "false"
        if isinstance(default, int | float):
            return str(default)
        return "'" + str(default).replace("'", "''") + "'"
    kind = field.get_internal_type()
    if kind == "BooleanField":
        return "false"
    if kind in {"DateTimeField"}:
        return "now()"
    if kind == "DateField":
        return "current_date"
    if kind == "JSONField":
        return "'{}'"
    if "Integer" in kind or kind in {"DecimalField", "FloatField", "AutoField"}:
        return "0"
    return "''"


def insert_select(
    model: type[models.Model], values: Mapping[str, str], source: str, *, label: str
) -> None:
    """INSERT INTO the model's table one row per row of `source` (a FROM clause), with the
    expressions of `values` by column and every other column at _literal()."""
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        expressions.append(values.get(field.column) or _literal(field))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(expressions)} FROM {source}"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        count = cursor.rowcount
    print(f"filled {count:,} {label} in {time.perf_counter() - started:.0f} s", flush=True)


def firms(*, count: int, prefix: str = "BENCH") -> tuple[int, int]:
    """COUNT firms (IEC records, IEC 9000000000 + n) and an exporter user for each; returns
    the pk of the first firm and of the first user (one statement each: their pks follow on).
    Made once: a second call finds them."""
    if not User.objects.filter(username__startswith=prefix).exists():
        _firms(count=count, prefix=prefix)
    first_user = User.objects.filter(username__startswith=prefix).order_by("pk").first()
    first_firm = IECRecord.objects.filter(iec__startswith="9").order_by("pk").first()
    assert first_user is not None
    assert first_firm is not None
    return first_firm.pk, first_user.pk


def _firms(*, count: int, prefix: str) -> None:
    insert_select(
        User,
        {
            "username": f"'{prefix}' || lpad(n::text, 6, '0')",
            "email": f"'b' || n || '@{prefix.lower()}.example'",
            "role": f"'{User.Role.EXPORTER.value}'",
            "date_joined": "now()",
            "is_active": "true",
        },
        f"generate_series(1, {count}) AS n",
        label="exporters",
    )
    insert_select(
        IECRecord,
        {
            "created_at": "now()",
            "updated_at": "now()",
            "iec": "(9000000000 + n)::text",
            "firm_name": "'Bench Firm ' || lpad(n::text, 6, '0')",
            "address": "'1 Bench Road, Mumbai'",
            "email": "'f' || n || '@bench.example'",
            "mobile": "'+91' || (9000000000 + n)::text",
        },
        f"generate_series(1, {count}) AS n",
        label="firms",
    )


def _status_case() -> str:
    """A CASE on a uniform random number r that picks a status by STATUS_MIX."""
    parts, edge = [], 0.0
    for status, share in STATUS_MIX:
        edge += share
        parts.append(f"WHEN r < {edge:.6f} THEN '{status.value}'")
    return "CASE " + " ".join(parts) + f" ELSE '{Status.ISSUED.value}' END"


def _office_case(offices: Mapping[str, int]) -> str:
    parts, edge = [], 0.0
    for code, share in OFFICE_SHARE.items():
        edge += share
        parts.append(f"WHEN o < {edge:.6f} THEN {offices[code]}")
    return "CASE " + " ".join(parts) + f" ELSE {offices['MUM']} END"


def applications(
    *,
    rows: int,
    firm_rows: int,
    firm_id: int,
    exporter_id: int,
    others: tuple[int, int, int],
    agency_id: int,
    offices: Mapping[str, int],
    officer_id: int,
    prefix: str = "BQ-",
) -> None:
    """ROWS applications of one agency (its five offices by OFFICE_SHARE) in STATUS_MIX over
    three years: the first FIRM_ROWS filed by one exporter for one firm, the others spread over
    `others` = (first firm pk, first exporter pk, how many), firm n filed by exporter n.
    Open work is recent (the last six days); decisions and drafts spread over three years."""
    first_firm, first_exporter, count = others
    values = {
        "created_at": "g.created",
        "updated_at": "g.created + interval '2 days'",
        "reference": f"'{prefix}' || lpad(g.n::text, 9, '0')",
        "exporter_id": f"CASE WHEN g.n <= {firm_rows} THEN {exporter_id} "
        f"ELSE {first_exporter} + (g.n % {count}) END",
        "firm_id": f"CASE WHEN g.n <= {firm_rows} THEN {firm_id} "
        f"ELSE {first_firm} + (g.n % {count}) END",
        "status": "g.status",
        "certificate_type": "'non_preferential'",
        "destination_country": "'SG'",
        "agency_id": str(agency_id),
        "office_id": "g.office",
        "submitted_at": "CASE WHEN g.status = 'draft' THEN NULL "
        "ELSE g.created + interval '1 hour' END",
        "first_submitted_at": "CASE WHEN g.status = 'draft' THEN NULL "
        "ELSE g.created + interval '1 hour' END",
        "decided_at": "CASE WHEN g.status IN ('approved', 'issued', 'rejected') "
        "THEN g.created + interval '1 hour' + (g.r2 * interval '3 days') END",
        "assigned_officer_id": f"CASE WHEN g.status IN ('under_review', 'approved', 'issued', "
        f"'rejected', 'clarification_requested') THEN {officer_id} END",
    }
    source = f"""(
            SELECT n, status, office, r2,
                   CASE WHEN status IN ('submitted', 'under_review', 'clarification_requested',
                                        'approved')
                        THEN now() - (r3 * interval '6 days')
                        ELSE now() - interval '4 days' - (r3 * interval '1095 days') END AS created
            FROM (
                SELECT n, {_status_case()} AS status, {_office_case(offices)} AS office,
                       random() AS r2, random() AS r3
                FROM (SELECT n, random() AS r, random() AS o
                      FROM generate_series(1, {rows}) AS n) AS s
            ) AS t
        ) AS g"""  # noqa: S608 - numbers and constants of the benches
    insert_select(Application, values, source, label="applications")


def wallet_ledger(*, firm_id: int, rows: int, actor_id: int) -> None:
    """ROWS entries in the firm's wallet ledger, one chain from an empty wallet: every tenth a
    fee of INR 200 for one of the firm's applications (at most one each), the others top-ups of
    INR 200, each with its captured top-up. The balance after entry n is 200 x (n - 2 x (n / 10))
    rupees. The top-ups of an interrupted fill are reused."""
    wallet, _ = Wallet.objects.get_or_create(firm_id=firm_id)
    assert not wallet.entries.exists(), "the bench's ledger starts from an empty wallet"
    fees = min(rows // 10, Application.objects.filter(firm_id=firm_id).count())
    top_ups = rows - fees
    if WalletTopUp.objects.filter(wallet=wallet, order_id__startswith="BENCHTOP-").count() != (
        top_ups
    ):
        _top_ups(wallet_id=wallet.pk, count=top_ups, actor_id=actor_id)
    _entries(wallet_id=wallet.pk, firm_id=firm_id, rows=rows, fees=fees, actor_id=actor_id)


def _top_ups(*, wallet_id: int, count: int, actor_id: int) -> None:
    insert_select(
        WalletTopUp,
        {
            "created_at": "now() - (n * interval '1 minute')",
            "updated_at": "now() - (n * interval '1 minute')",
            "wallet_id": str(wallet_id),
            "order_id": "'BENCHTOP-' || n",
            "amount_paise": "20000",
            "state": f"'{WalletTopUp.State.CAPTURED.value}'",
            "gateway": "'bench'",
            "captured_at": "now() - (n * interval '1 minute')",
            "created_by_id": str(actor_id),
        },
        f"generate_series(1, {count}) AS n",
        label="wallet top-ups",
    )


def _entries(*, wallet_id: int, firm_id: int, rows: int, fees: int, actor_id: int) -> None:
    # Entry n: a fee when n is a multiple of ten (the (n / 10)th of the firm's applications),
    # else the (n - n / 10)th top-up. Oldest first, a minute apart, ending now.
    source = f"""(
        SELECT s.n, s.fee, t.id AS top_up_id, a.id AS application_id
        FROM (SELECT n, n % 10 = 0 AND n / 10 <= {fees} AS fee
              FROM generate_series(1, {rows}) AS n) AS s
        LEFT JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k
                   FROM {WalletTopUp._meta.db_table} WHERE wallet_id = {wallet_id}) t
               ON NOT s.fee AND t.k = s.n - LEAST(s.n / 10, {fees})
        LEFT JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k
                   FROM {Application._meta.db_table} WHERE firm_id = {firm_id}) a
               ON s.fee AND a.k = s.n / 10
        ORDER BY s.n
    ) AS g"""  # noqa: S608
    balance = f"20000::bigint * (g.n - 2 * LEAST(g.n / 10, {fees}))"
    # The ledger's chain trigger checks each entry against the one before it. In one INSERT of
    # a million rows its lookup ran for minutes without ending (its plan made while the table
    # was empty), so the fill writes the entries with the trigger off and checks the whole
    # chain with one query afterwards; the CHECK and UNIQUE constraints stay on throughout.
    table = WalletEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER walletentry_chain")
    try:
        insert_select(
            WalletEntry,
            {
                "wallet_id": str(wallet_id),
                "sequence": "g.n",
                "kind": f"CASE WHEN g.fee THEN '{WalletEntry.Kind.FEE.value}' "
                f"ELSE '{WalletEntry.Kind.TOP_UP.value}' END",
                "amount_paise": "CASE WHEN g.fee THEN -20000 ELSE 20000 END",
                "balance_after_paise": balance,
                "top_up_id": "g.top_up_id",
                "application_id": "g.application_id",
                "description": "CASE WHEN g.fee THEN 'Fee' ELSE 'Top-up' END",
                "actor_id": str(actor_id),
                "created_at": f"now() - (({rows} - g.n) * interval '1 minute')",
            },
            source,
            label="wallet ledger entries",
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER walletentry_chain")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM (
                SELECT sequence, balance_after_paise, amount_paise,
                       lag(balance_after_paise, 1, 0::bigint) OVER w AS previous,
                       lag(sequence, 1, 0) OVER w AS previous_sequence
                FROM {table} WHERE wallet_id = {wallet_id}
                WINDOW w AS (ORDER BY sequence)
            ) AS chain
            WHERE balance_after_paise <> previous + amount_paise
               OR sequence <> previous_sequence + 1
            """  # noqa: S608
        )
        (broken,) = cursor.fetchone()
    assert broken == 0, f"the filled ledger breaks its chain at {broken} entries"
    print("the filled ledger is one chain (each entry the one before plus its amount)")


def verification_lookups(*, rows: int, certificate_id: int | None) -> None:
    """ROWS lookups of one certificate (NULL: not-found lookups) over the last year."""
    insert_select(
        VerificationLog,
        {
            "certificate_id": "NULL" if certificate_id is None else str(certificate_id),
            "channel": "(ARRAY['page', 'qr', 'api', 'upload'])[1 + (n % 4)]",
            "outcome": "'found'" if certificate_id is not None else "'not_found'",
            "client_hash": "md5(n::text)",
            "created_at": "now() - (random() * interval '365 days')",
        },
        f"generate_series(1, {rows}) AS n",
        label="verification lookups",
    )
