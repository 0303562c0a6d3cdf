"""Every page an exporter, a firm member, an agent, an officer and an agency administrator can
open, timed in-process at a million applications (issue 34).

    python bench/pages.py [--applications 1000000] [--firms 100000] [--firm-rows 100000]
                          [--ledger 1000000] [--lookups 1000000] [--repeat 15] [--refill]
                          [--only SUBSTRING] [--smoke]

The walk is the access matrix's (tests/security/test_access_matrix*.py): over the security
tests' world (Alice's firm filing with EIC Mumbai, its certificate, Priya its preparer, Kiran
the agent it authorises, Olivia the EIC officer, Ada EIC's administrator), every named URL
whose row says "ok" for the persona is fetched with Django's test client, as the matrix
fetches it. Around that world the bench fills (bench/fill.py, INSERT ... SELECT) APPLICATIONS
applications of EIC (FIRM_ROWS of them Alice's firm's, the rest spread over FIRMS other firms),
LEDGER entries in Alice's firm's wallet and LOOKUPS verification-log rows of the world's
certificate.

The database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/coo_bench_pages):
dropped, created and filled when --refill is given or it holds no world yet, else reused (the
ledger is append-only on PostgreSQL, so a refill starts from an empty database). With REDIS_URL
(a Redis database of the bench's own, emptied first) the portal runs as in production, with
Redis as its cache. DEBUG is off; rate limits are lifted.

Each page: its status, the number of queries, and the median and 95th percentile of REPEAT
requests (after one to warm up), in milliseconds of wall-clock time, with the median CPU time
of this process and the median time spent in SQL; pages whose median is over the 50 ms target
are marked. Exit status 0 whatever the times (the figures belong to bench/README).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coo_bench_pages"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
os.environ["DEBUG"] = "0"
# The tests' world: its development signing and credential keys and the sandbox gateway are
# allowed only with DEBUG or TESTING. TESTING also swaps the password hasher, the mail and SMS
# backends, runs tasks in-process and serves static files unhashed; none of these is on a
# timed page's path. DEBUG stays off: cached templates, no query log.
os.environ["TESTING"] = "1"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "p" * 50)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench-pages"))
# Fifteen lookups a page from one address are no attack here.
os.environ["VERIFY_RATE"] = "100000000/s"
os.environ["SUBSCRIBE_RATE"] = "100000000/s"

import django  # noqa: E402

from bench import sitting  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    REDIS_STATE = sitting.fresh_redis(REDIS_URL)
else:
    REDIS_STATE = "no Redis (REDIS_URL unset): the local-memory cache"

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts import members  # noqa: E402
from accounts.models import User  # noqa: E402
from applications.models import AgencyOffice, Application, WalletEntry  # noqa: E402
from bench import fill  # noqa: E402
from certificates import keys  # noqa: E402
from certificates.models import Certificate, Credential  # noqa: E402
from tests import factories  # noqa: E402
from tests.accounts.agent_factories import kiran_logistics, kurt_forwarding  # noqa: E402
from tests.applications.wallet_helpers import world_top_up  # noqa: E402
from tests.officer.factories import submitted_application  # noqa: E402
from tests.security import (  # noqa: E402
    test_access_matrix,
    test_access_matrix_agents,
    test_access_matrix_members,
)
from tests.security.conftest import World, persona_client  # noqa: E402
from tests.security.urls import named_urls, url_for  # noqa: E402
from tests.verification.factories import CertificateFactory  # noqa: E402
from verification.models import VerificationLog  # noqa: E402

TARGET_MS = 50.0
DATABASE_SHOWN_MS = 5.0
# Who is timed, and the access table that says which pages they may open.
PERSONAS = {
    "alice": ("exporter (Alice, her firm's administrator)", test_access_matrix.EXPECTED),
    "priya": ("firm member (Priya, a preparer)", test_access_matrix_members.EXPECTED),
    "kiran": ("agent (Kiran Logistics' staff)", test_access_matrix_agents.EXPECTED),
    "olivia": ("officer (Olivia, EIC Mumbai)", test_access_matrix.EXPECTED),
    "ada": ("agency administrator (Ada, EIC)", test_access_matrix.EXPECTED),
}
OFFICES = {"MUM": "Mumbai", "DEL": "New Delhi", "CHE": "Chennai", "KOL": "Kolkata", "KOC": "Kochi"}


def build_world() -> tuple[World, dict[str, User]]:
    """The security tests' world (tests/conftest.py and tests/security/conftest.py), made with
    the same factories; found again when the database already holds it."""
    keys.clear_caches()
    keys.ensure_development_ca()
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    eic = factories.AgencyFactory(code="EIC", name="Export Inspection Council")
    eic_mumbai = factories.OfficeFactory(agency=eic, code="MUM", name="EIA Mumbai", city="Mumbai")
    for code, city in OFFICES.items():  # the fill spreads work over five offices
        factories.OfficeFactory(agency=eic, code=code, name=f"EIA {city}", city=city)
    fieo = factories.AgencyFactory(code="FIEO", name="Federation of Indian Export Organisations")
    fieo_delhi = factories.OfficeFactory(agency=fieo, code="DEL", name="FIEO Delhi", city="Delhi")
    alice = factories.ExporterFactory(
        username="0123456789", exporter_profile__iec_record__firm_name="Alice Exports"
    )
    bob = factories.ExporterFactory(
        username="BOBEX1234B", exporter_profile__iec_record__firm_name="Bob Traders"
    )
    officer = {"officer_profile__agency": eic, "officer_profile__office": eic_mumbai}
    olivia = factories.OfficerFactory(
        username="olivia", first_name="Olivia", last_name="Rao", **officer
    )
    factories.OfficerFactory(
        username="oscar",
        first_name="Oscar",
        last_name="Das",
        officer_profile__agency=fieo,
        officer_profile__office=fieo_delhi,
    )
    ada = factories.OfficerFactory(
        username="ada",
        first_name="Ada",
        last_name="Menon",
        role="agency_admin",
        is_staff=True,
        officer_profile__designation="Agency Administrator",
        **officer,
    )
    firm = alice.exporter_profile.iec_record
    priya = factories.FirmMemberFactory(
        firm=firm,
        role="preparer",
        user__username="priya",
        user__first_name="Priya",
        user__mobile="+919820012345",
    ).user
    application = submitted_application(exporter=alice, office=eic_mumbai, documents=2)
    certificate = CertificateFactory(
        application__reference="COO-2025-000777",
        application__exporter=alice,
        application__office=eic_mumbai,
        signing_officer=olivia,
    )
    Credential.objects.create(
        agency=certificate.application.agency,
        list_number=0,
        status_index=4242,
        certificate=certificate,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000777",
        jwt="eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
    )
    world = World(
        alice=alice,
        application=application,
        invoice=application.invoices.get(),
        item=application.items.get(),
        document=application.documents.order_by("pk").first(),
        payment=application.payments.get(),
        certificate=certificate,
        member=priya.firm_membership,
        invitation=members.member_invite(
            actor=alice,
            firm_id=firm.pk,
            email="newcomer@alice.example",
            name="Nia Newcomer",
            role="preparer",
        ).invitation,
    )
    kiran = kiran_logistics(firm, alice).user
    kurt_forwarding(firm, alice)
    users = {"alice": alice, "priya": priya, "kiran": kiran, "olivia": olivia, "ada": ada}
    del bob
    return world, users


def found_world() -> tuple[World, dict[str, User]]:
    """The world of an earlier run of this bench, found by its names."""
    alice = User.objects.get(username="0123456789")
    application = (
        Application.objects.filter(exporter=alice)
        .exclude(reference="COO-2025-000777")
        .exclude(reference__startswith="BQ-")
        .get()
    )
    certificate = Certificate.objects.get(application__reference="COO-2025-000777")
    priya = User.objects.get(username="priya")
    world = World(
        alice=alice,
        application=application,
        invoice=application.invoices.get(),
        item=application.items.get(),
        document=application.documents.order_by("pk").first(),
        payment=application.payments.get(),
        certificate=certificate,
        member=priya.firm_membership,
        invitation=alice.exporter_profile.iec_record.invitations.get(
            email="newcomer@alice.example"
        ),
    )
    users = {name: User.objects.get(username=name) for name in ("priya", "kiran", "olivia", "ada")}
    return world, {"alice": alice, **users}


def fill_around(world: World, users: dict[str, User], args: argparse.Namespace) -> None:
    """Fill what is missing around the world (each table once: a fill interrupted part-way is
    completed by the next run), then the matrix's own top-up after the filled ledger."""
    firm = world.alice.exporter_profile.iec_record
    eic = world.application.agency
    offices = {o.code: o.pk for o in AgencyOffice.objects.filter(agency=eic)}
    others = fill.firms(count=args.firms)
    if not Application.objects.filter(reference__startswith="BQ-").exists():
        fill.applications(
            rows=args.applications,
            firm_rows=args.firm_rows,
            firm_id=firm.pk,
            exporter_id=world.alice.pk,
            others=(*others, args.firms),
            agency_id=eic.pk,
            offices=offices,
            officer_id=users["olivia"].pk,
        )
    if not WalletEntry.objects.filter(wallet__firm=firm).exists():
        fill.wallet_ledger(firm_id=firm.pk, rows=args.ledger, actor_id=world.alice.pk)
    if not VerificationLog.objects.filter(certificate=world.certificate).exists():
        fill.verification_lookups(rows=args.lookups, certificate_id=world.certificate.pk)
    world_top_up(world.alice)


# Searches of every length (bench/queues.py's): short ones match whole values; three
# characters or more go through the trigram indexes that lead with the agency or the firm.
SEARCHES = ("12", "BQ-00012", "BQ-", "Firm 0001", "0123456789")
SEARCH_PAGES = {
    "alice": ["/applications/?q={}"],
    "olivia": ["/officer/?q={}", "/officer/?q={}&scope=all"],
}


def walk(persona: str, expected: dict[str, dict[str, str]], world: World) -> list[str]:
    """The URLs the persona's row opens ("ok"), as the access matrix fetches them, then the
    persona's searches."""
    urls = [
        url_for(name, pattern, world)
        for name, pattern in sorted(named_urls().items())
        if expected.get(name, {}).get(persona) == "ok"
    ]
    for page in SEARCH_PAGES.get(persona, []):
        urls += [page.format(quote_plus(query)) for query in SEARCHES]
    return urls


def time_page(
    client, url: str, repeat: int, *, warm: bool = True
) -> tuple[int, int, float, float, float, float, float]:
    """(status, queries, median ms, p95 ms, median CPU ms, median SQL ms, database ms) of
    `repeat` GETs after one to warm up. CPU is this process's (Python's share, without
    PostgreSQL's or Redis's): on a shared machine it moves less with the load than the wall
    clock does. SQL is the wall time spent in queries; database is what PostgreSQL itself
    reports for the page's SELECTs (database_work), the part that grows with the tables."""
    if warm:
        client.get(url)
    timings, cpu, sql = [], [], []
    for _ in range(repeat):
        waited = [0.0]
        started, cpu_started = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(_timed(waited)):
            response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        sql.append(waited[0] * 1000)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    db, slowest = database_work([query["sql"] for query in ctx.captured_queries])
    SLOWEST[url] = slowest
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return (
        response.status_code,
        len(ctx.captured_queries),
        statistics.median(timings),
        p95,
        statistics.median(cpu),
        statistics.median(sql),
        db,
    )


# url -> (execution ms, SQL, plan) of the slowest query of its page's last request.
SLOWEST: dict[str, tuple[float, str, str]] = {}


def database_work(queries: list[str]) -> tuple[float, tuple[float, str, str]]:
    """The sum of the page's SELECTs' execution times as PostgreSQL reports them (EXPLAIN
    ANALYZE: the database's own work, without the round trips and the wait for a core that the
    SQL column carries), and the slowest of them with its plan."""
    total, slowest = 0.0, (0.0, "", "")
    if connection.vendor != "postgresql":
        return total, slowest
    with connection.cursor() as cursor:
        for sql in queries:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            (plan,) = cursor.fetchone()
            plan = plan if isinstance(plan, list) else json.loads(plan)
            ms = float(plan[0]["Execution Time"])
            total += ms
            if ms > slowest[0]:
                cursor.execute("EXPLAIN ANALYZE " + sql)
                slowest = (ms, sql, "\n".join(row[0] for row in cursor.fetchall()))
    return total, slowest


def _timed(waited: list[float]):
    """A query wrapper that adds each query's wall time (the database's work and the wait for
    it: what grows with the tables) to waited[0]."""

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waited[0] += time.perf_counter() - started

    return wrapper


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--firm-rows", type=int, default=100_000)
    parser.add_argument("--ledger", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--refill", action="store_true")
    parser.add_argument("--only", default="", help="time only URLs containing this")
    sitting.add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.applications, args.firms, args.firm_rows = 300, 20, 40
        args.ledger, args.lookups, args.repeat = 50, 100, 1

    name = DATABASE_URL.rpartition("/")[2]
    sitting.ensure_database(DATABASE_URL)
    made = User._meta.db_table in connection.introspection.table_names()
    reuse = not args.refill and made and User.objects.filter(username="olivia").exists()
    started = time.perf_counter()
    if reuse:
        call_command("migrate", verbosity=0)
        world, users = found_world()
        state = f"{name} reused"
    else:
        state = sitting.fresh_database(DATABASE_URL)
        connection.close()
        call_command("migrate", verbosity=0)
        call_command("seed_reference", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        world, users = build_world()
        state += ", the world made"
    fill_around(world, users, args)
    state += f" and its fill completed in {time.perf_counter() - started:.0f} s"
    counts = {
        "applications": Application.objects.count(),
        "firms": world.alice._meta.apps.get_model("accounts", "IECRecord").objects.count(),
        "ledger entries": WalletEntry.objects.count(),
        "verification-log rows": VerificationLog.objects.count(),
    }
    state += "; " + ", ".join(f"{n:,} {what}" for what, n in counts.items()) + "; " + REDIS_STATE
    sitting.begin(state)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does to a live table

    print(
        f"\n{'persona':<8} {'page':<62} {'status':>6} {'SQL':>4} {'median':>7} {'p95':>7} "
        f"{'cpu':>6} {'sql':>6} {'db':>6}"
    )
    over: list[str] = []
    heavy: list[str] = []
    pages = 0
    for persona, (who, expected) in PERSONAS.items():
        print(f"-- {who}", flush=True)
        client = persona_client(persona, users, raise_request_exception=False)
        for url in walk(persona, expected, world):
            if args.only and args.only not in url:
                continue
            status, queries, median, p95, cpu, sql, db = time_page(
                client, url, args.repeat, warm=not args.smoke
            )
            pages += 1
            mark = "  OVER" if median > TARGET_MS else ""
            print(
                f"{persona:<8} {url[:62]:<62} {status:>6} {queries:>4} {median:>7.1f} "
                f"{p95:>7.1f} {cpu:>6.1f} {sql:>6.1f} {db:>6.1f}{mark}",
                flush=True,
            )
            if median > TARGET_MS:
                over.append(f"{persona} {url}: median {median:.1f} ms, {queries} queries")
            if db > DATABASE_SHOWN_MS:
                heavy.append(url)
    print(f"\n{pages} pages timed; {len(over)} over {TARGET_MS:.0f} ms (median)")
    for line in over:
        print("  " + line)
    print("\nEXPLAIN ANALYZE of the slowest query of each page whose queries took the database")
    print(f"more than {DATABASE_SHOWN_MS:.0f} ms of its own work:")
    for url in dict.fromkeys(heavy):
        ms, sql, plan = SLOWEST[url]
        print(f"\n== {url}: {ms:.1f} ms\n   {sql[:400]}")
        print("\n".join("   " + line for line in plan.splitlines()[:14]))
    sitting.end()
    return 0


if __name__ == "__main__":
    sys.exit(main())
