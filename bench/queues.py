"""Officer queues, the dashboard and the exporter's list at a million applications.

    python bench/queues.py [--rows 1000000] [--firm-rows 100000] [--runs 3] [--repeat 15]
                           [--refill]

Fills a PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/coo_bench_queues; created if missing, filled once and
reused unless --refill) with ROWS applications of one agency (EIC, five offices) in a realistic
mix of statuses over three years, FIRM_ROWS of them filed by one exporter. Then, in-process
through Django's test client as the demo officer and the demo exporter, it times every queue
tab (one office and all offices), a deep page of each, the dashboard, and the exporter's list
(first and deep page, all and one status): the median of REPEAT requests, RUNS times, with the
spread across runs; the number of queries of each page; and EXPLAIN (ANALYZE) of each list's
page query, failing if any reads applications_application with a sequential scan.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coo_bench_queues"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
# Production settings (cached templates, no query log), over plain http in-process.
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "q" * 50)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench-queues"))

import django  # noqa: E402

from bench import sitting  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import IECRecord, User  # noqa: E402
from applications.models import (  # noqa: E402
    DECIDED_STATUSES,
    OVERDUE_STATUSES,
    AgencyOffice,
    Application,
    Status,
)
from applications.selectors import EXPORTER_LIST_ORDER, applications_for_exporter  # noqa: E402
from bench import fill as fill_sql  # noqa: E402
from core import pagination  # noqa: E402
from review import selectors as officer_selectors  # noqa: E402

OTHER_EXPORTERS = 2000


def fill(*, rows: int, firm_rows: int) -> None:
    """ROWS applications of EIC (bench/fill.py), FIRM_ROWS of them the demo exporter's."""
    firm = User.objects.get(username="0123456789")
    others = fill_sql.firms(count=OTHER_EXPORTERS)
    offices = {o.code: o.pk for o in AgencyOffice.objects.filter(agency__code="EIC")}
    fill_sql.applications(
        rows=rows,
        firm_rows=firm_rows,
        firm_id=IECRecord.objects.get(iec=firm.username).pk,
        exporter_id=firm.pk,
        others=(*others, OTHER_EXPORTERS),
        agency_id=AgencyOffice.objects.get(pk=offices["MUM"]).agency_id,
        offices=offices,
        officer_id=User.objects.get(username="officer.mumbai").pk,
    )


def verified_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.filter(user=user).first().persistent_id
    session.save()
    return client


def time_page(
    client: Client, url: str, *, runs: int, repeat: int
) -> tuple[list[float], float, int]:
    """Wall-clock medians (ms) of `repeat` requests, `runs` times; the median CPU time of this
    process per request (ms: Python's share, without PostgreSQL's); the number of queries."""
    client.get(url)
    medians, cpu = [], []
    for _ in range(runs):
        timings = []
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        medians.append(statistics.median(timings))
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return medians, statistics.median(cpu), len(ctx.captured_queries)


def deep_cursor(queryset, order: pagination.Order, depth: int) -> str:
    """The cursor that starts a page `depth` rows into the list (found once, with OFFSET)."""
    row = queryset.order_by(*order.order_by())[depth : depth + 1].first()
    if row is None:
        return ""
    return pagination.encode_cursor("n", row, order)


def explain(label: str, queryset) -> bool:
    plan = queryset.explain(analyze=True)
    seq = f"Seq Scan on {Application._meta.db_table}" in plan
    top = "\n".join("      " + line for line in plan.splitlines()[:8])
    print(f"  EXPLAIN {label}: {'SEQUENTIAL SCAN' if seq else 'index only'}\n{top}")
    return not seq


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--firm-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--refill", action="store_true")
    sitting.add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.firm_rows, args.runs, args.repeat = 300, 40, 1, 1

    sitting.ensure_database(DATABASE_URL)
    call_command("migrate", verbosity=0)
    call_command("seed_reference", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    # The demo officer and exporter (seed_demo refuses to run without DEBUG=1, rightly).
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    have = Application.objects.filter(reference__startswith="BQ-").count()
    if args.refill or have != args.rows:
        state = f"{DATABASE_URL.rpartition('/')[2]} filled afresh with {args.rows:,} applications"
        sitting.begin(state)
        Application.objects.filter(reference__startswith="BQ-").delete()
        fill(rows=args.rows, firm_rows=args.firm_rows)
    else:
        # Filling a million rows takes minutes; a second sitting reuses them (--refill not).
        sitting.begin(f"{DATABASE_URL.rpartition('/')[2]} reused: {have:,} applications")
    # What autovacuum does to a live table: statistics, and the visibility map that lets counts
    # and the median read an index alone.
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Application._meta.db_table}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")

    officer = User.objects.get(username="officer.mumbai")
    exporter = User.objects.get(username="0123456789")
    profile = officer_selectors.officer_profile_for(officer)
    oc, ec = verified_client(officer), Client()
    ec.force_login(exporter)

    pages: list[tuple[str, str]] = []
    plans_ok = True
    for tab in officer_selectors.TABS:
        for scope in ("", "all"):
            params = f"tab={tab.key}" + (f"&scope={scope}" if scope else "")
            filters = officer_selectors.QueueFilters(tab=tab.key, all_offices=bool(scope))
            order = officer_selectors.queue_order(tab.key)
            qs = officer_selectors.queue_queryset(
                profile=profile, user=officer, filters=filters
            ).exclude(**{f"{order.field}__isnull": True})
            label = f"queue {tab.key}{' all offices' if scope else ''}"
            pages.append((label + " page 1", f"/officer/?{params}"))
            total = pagination.bounded_counts({"n": qs}, limit=10**9)["n"]
            cursor = deep_cursor(qs, order, total // 2)
            if cursor:
                pages.append(
                    (
                        f"{label} row {total // 2:,} of {total:,}",
                        f"/officer/?{params}&cursor={cursor}",
                    )
                )
                deep = qs.filter(order.after(*_cursor_key(cursor)))
                plans_ok &= explain(label + " deep page", deep.order_by(*order.order_by())[:26])
            plans_ok &= explain(label + " page 1", qs.order_by(*order.order_by())[:26])
    pages.append(("dashboard", "/officer/dashboard/"))
    agency = Application.objects.filter(agency_id=profile.agency_id)
    now = timezone.now()
    cutoff = officer_selectors._overdue_cutoff(now=now, working_days=2)
    overdue = agency.filter(status__in=OVERDUE_STATUSES, submitted_at__lt=cutoff)
    plans_ok &= explain("dashboard overdue page", overdue.order_by("submitted_at", "pk")[:26])
    window = agency.filter(decided_at__gte=now - timedelta(days=30))
    plans_ok &= explain(
        "dashboard decisions of 30 days",
        window.filter(status__in=DECIDED_STATUSES).order_by().values("submitted_at", "decided_at"),
    )

    exporter_pages: list[tuple[str, str]] = []
    for status in ("", Status.ISSUED.value):
        qs = applications_for_exporter(user=exporter, status=status)
        total = pagination.bounded_counts({"n": qs}, limit=10**9)["n"]
        label = f"exporter list{' ' + status if status else ''}"
        keep = f"status={status}&q=" if status else ""
        exporter_pages.append((label + " page 1", f"/applications/?{keep}"))
        cursor = deep_cursor(qs, EXPORTER_LIST_ORDER, total // 2)
        exporter_pages.append(
            (f"{label} row {total // 2:,} of {total:,}", f"/applications/?{keep}&cursor={cursor}")
        )
        plans_ok &= explain(label + " page 1", qs[:26])

    # Searches (issue 34): short ones match whole values; substrings of three characters or
    # more go through the trigram indexes that lead with the agency or the firm.
    searches = {
        "short '12'": "12",
        "reference part 'BQ-00012'": "BQ-00012",
        "common 'BQ-'": "BQ-",
        "firm name 'Firm 0001'": "Firm 0001",
        "IEC '0123456789'": "0123456789",
    }
    for label, query in searches.items():
        for scope in ("", "&scope=all"):
            pages.append(
                (f"queue search {label}{' all' if scope else ''}", f"/officer/?q={query}{scope}")
            )
        exporter_pages.append((f"exporter search {label}", f"/applications/?q={query}"))
        filters = officer_selectors.QueueFilters(tab="new", all_offices=True, query=query)
        qs = officer_selectors.queue_queryset(profile=profile, user=officer, filters=filters)
        order = officer_selectors.queue_order("new")
        plans_ok &= explain(f"queue search {label}", qs.order_by(*order.order_by())[:26])
        found = applications_for_exporter(user=exporter, query=query)
        plans_ok &= explain(f"exporter search {label}", found[:26])

    print(f"\n{'page':<46} {'median ms (runs)':>27} {'spread':>7} {'cpu ms':>7} {'SQL':>4}")
    worst = 0.0
    for client, rows in ((oc, pages), (ec, exporter_pages)):
        for label, url in rows:
            medians, cpu, queries = time_page(client, url, runs=args.runs, repeat=args.repeat)
            spread = max(medians) - min(medians)
            worst = max(worst, statistics.median(medians))
            runs = " ".join(f"{m:.1f}" for m in medians)
            median = statistics.median(medians)
            print(
                f"{label:<46} {median:>7.1f} ({runs:>17}) {spread:>7.1f} {cpu:>7.1f} {queries:>4}"
            )
    plans = "all on indexes" if plans_ok else "SEQUENTIAL SCAN FOUND"
    print(f"\nslowest page median {worst:.1f} ms; plans {plans}")
    sitting.end()
    if args.smoke:
        return 0  # a few hundred rows: the planner rightly scans, and timings mean nothing
    return 0 if plans_ok and worst < 100 else 1


def _cursor_key(cursor: str):
    _, value, pk = pagination.decode_cursor(cursor)
    return value, pk


if __name__ == "__main__":
    sys.exit(main())
