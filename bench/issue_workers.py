"""Issuance on ONE office with 1 and with 2 worker processes, on PostgreSQL.

    python bench/issue_workers.py [--database-url postgres://...] [-n 40] [--runs 3]

Issue 17 asks that two workers issuing for one office issue at least 1.8x one worker: the
certificate number is reserved in a short transaction of its own (certificates/numbering.py)
and rendering and signing hold no lock, so nothing but the CPUs should serialize them.

Each run fills N approved applications (one line of goods) for the one office, then issues
them through certificates.services.certificate_issue (the whole issuance: reserve, render,
credential, sign, finish) with one worker process, and N more with two (the order of the
two alternates between runs, so that a noisy moment does not always fall on the same one).
Each worker issues one certificate before the clock starts (fonts, keys and imports are
one-off costs of a process). It prints certificates per second of each and their ratio per
run, the medians, and checks that the office's numbers are gapless (1..count, no number
twice, no reservation left behind). The database is migrated on first use; its
certificates are deleted at the start of each invocation. Two CPUs can give at most 2x, and
only if nothing else runs: record the load average beside the figures.
"""

from __future__ import annotations

import argparse
import atexit
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import sitting  # noqa: E402

PEOPLE = ("bench-officer", "0123456789")
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/coo_bench_issue"


def _environment(database_url: str) -> None:
    var_dir = tempfile.mkdtemp(prefix="coo-bench-workers-")
    atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
    os.environ["DEBUG"] = "1"
    os.environ["VAR_DIR"] = var_dir
    os.environ["SIGNING_KEYS_DIR"] = str(Path(var_dir) / "keys")
    os.environ.pop("REDIS_URL", None)  # no Redis: nothing outside PostgreSQL is shared


def _setup() -> tuple[object, object]:
    """Migrate, reset, and make the agency, its office, an officer and an exporter."""
    from django.core.management import call_command

    from applications.models import AgencyOffice
    from certificates import keys
    from certificates.models import Certificate, CertificateCounter, CertificateReservation
    from tests import factories

    call_command("migrate", verbosity=0, interactive=False)
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    agency = factories.AgencyFactory(code="EIC", name="Export Inspection Council")
    office = AgencyOffice.objects.filter(agency=agency, code="MUM").first() or (
        factories.OfficeFactory(agency=agency, code="MUM", name="EIA Mumbai", city="Mumbai")
    )
    from django.db import connection

    from applications.models import Application
    from certificates.models import Credential

    # A clean slate for numbers and references (the factories' sequences restart with each
    # process): every application, certificate and what refers to them, in this database only.
    tables = [m._meta.db_table for m in (Application, Certificate, Credential)]
    tables += [m._meta.db_table for m in (CertificateCounter, CertificateReservation)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    from accounts.models import User

    existing = {user.username: user for user in User.objects.filter(username__in=PEOPLE)}
    officer = existing.get("bench-officer") or factories.OfficerFactory(
        username="bench-officer",
        first_name="Olivia",
        last_name="Rao",
        officer_profile__agency=agency,
        officer_profile__office=office,
    )
    exporter = existing.get("0123456789") or factories.ExporterFactory(username="0123456789")
    return office, (officer, exporter)


def _applications(office: object, people: tuple[object, object], count: int) -> list[int]:
    from tests import factories

    officer, exporter = people
    ids = []
    for _ in range(count):
        application = factories.ApplicationFactory(
            complete=True,
            exporter=exporter,
            office=office,
            status="approved",
            assigned_officer=officer,
        )
        factories.InvoiceFactory(application=application, number="AE/2026/0042")
        factories.LineItemFactory(application=application, position=1)
        ids.append(application.pk)
    return ids


def _worker(warm_up: int, queue: multiprocessing.Queue, barrier, errors) -> None:
    from django.db import connections

    from certificates.services import certificate_issue

    connections.close_all()  # a connection of its own, not the parent's
    try:
        certificate_issue(application_id=warm_up)
    except Exception as exc:  # reported by the parent
        errors.put(repr(exc))
    barrier.wait()
    while True:
        application_id = queue.get()
        if application_id is None:
            break
        try:
            certificate_issue(application_id=application_id)
        except Exception as exc:  # reported by the parent
            errors.put(repr(exc))
    barrier.wait()


def _issue(workers: int, ids: list[int]) -> float:
    """Certificates per second with `workers` processes (ids[:workers] are the warm-ups)."""
    from django.db import connections

    context = multiprocessing.get_context("fork")
    queue, errors = context.Queue(), context.Queue()
    barrier = context.Barrier(workers + 1)
    timed = ids[workers:]
    for application_id in timed:
        queue.put(application_id)
    for _ in range(workers):
        queue.put(None)
    connections.close_all()
    processes = [
        context.Process(target=_worker, args=(ids[i], queue, barrier, errors))
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    barrier.wait()
    elapsed = time.perf_counter() - start
    for process in processes:
        process.join()
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    if failures:
        raise SystemExit(f"{len(failures)} issuances failed, e.g. {failures[0]}")
    return len(timed) / elapsed


def _check_gapless(office: object) -> int:
    from certificates.models import Certificate, CertificateReservation

    sequences = sorted(Certificate.objects.filter(office=office).values_list("sequence", flat=True))
    if sequences != list(range(1, len(sequences) + 1)):
        raise SystemExit(f"Numbers are not gapless: {sequences}")
    if CertificateReservation.objects.filter(office=office).exists():
        raise SystemExit("A reservation was left behind.")
    return len(sequences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("-n", type=int, default=40, help="certificates timed per run and mode")
    parser.add_argument("--runs", type=int, default=3)
    sitting.add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.n, args.runs = 2, 1

    _environment(args.database_url)
    # Its own database, made afresh (numbers, the transparency log and keys start empty).
    made = sitting.fresh_database(args.database_url)
    import django

    django.setup()
    office, people = _setup()
    name = args.database_url.rpartition("/")[2]
    sitting.begin(f"{made}, migrated; fresh keys ({name})")
    print(f"{'run':>3} {'1 worker/s':>11} {'2 workers/s':>12} {'ratio':>6}  load average")
    ones, twos, ratios = [], [], []
    for run in range(1, args.runs + 1):
        rates = {}
        for workers in (1, 2) if run % 2 else (2, 1):
            ids = _applications(office, people, args.n + workers)
            rates[workers] = _issue(workers, ids)
        ones.append(rates[1])
        twos.append(rates[2])
        ratios.append(rates[2] / rates[1])
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{run:>3} {rates[1]:>11.1f} {rates[2]:>12.1f} {ratios[-1]:>6.2f}  {load}")
    print(
        f"median: 1 worker {statistics.median(ones):.1f}/s, 2 workers "
        f"{statistics.median(twos):.1f}/s, ratio {statistics.median(ratios):.2f} "
        f"(spread {min(ratios):.2f}-{max(ratios):.2f}); target at least 1.8"
    )
    print(f"numbers gapless: {_check_gapless(office)} certificates, 1..N, no reservation left")
    sitting.end()


if __name__ == "__main__":
    main()
