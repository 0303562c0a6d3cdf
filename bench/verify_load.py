"""Verification under load: the page and the API beside a trivial view, on one gunicorn.

    python bench/verify_load.py [--certificates 10000] [--sample 2000] [--duration 6]
                                [--rounds 5] [--connections 32] [--workers N] [--cold]
                                [--database-url postgres://...]

Fills a database with N certificates (two lines of goods each; skipped when they are already
there), serves the portal with gunicorn (DEBUG off, as in production) and, with REDIS_URL, a
Celery worker (which writes the lookups' log rows queued in Redis), and drives three targets
with keep-alive HTTP connections:

- /bench/trivial/: a trivial view of the same server through the whole middleware stack (no
  database, no template), the ceiling (/healthz answers before the middleware: no ceiling);
- /verify/<number>/?code=<code>: the QR link's answer page, a random certificate each time
  from a sample of --sample certificates;
- /api/v1/certificates/<number>?code=<code>: the JSON API, likewise.

With REDIS_URL, answers are kept in Redis (verification/store.py) and each sampled certificate
is looked up once before the timed runs: the figures are those of certificates looked up
before, the common case for a QR code scanned by customs, the bank and the buyer in turn.
--cold keeps no answers (VERIFY_CACHE_SECONDS=0): every lookup reads the database and renders
its answer, as a first lookup does.

The targets take turns for --rounds rounds of --duration seconds; the script prints every
round and the medians of requests per second and p50/p95/p99 latency, the page's and the
API's throughput as a share of the trivial view's (the median of the rounds' shares, each
against the trivial view of its own round, which ran seconds before under the same load from
the rest of the machine), and whether the target (half the trivial view's
requests per second, p99 under 100 ms) is met. It checks that every lookup was logged. The
load generator runs on the same machine and takes CPU from the server, so compare ratios
rather than absolute figures between machines.

The load generator is `wrk` when it is installed (Debian: apt-get install wrk; a C program
that costs the server far less CPU than Python does), otherwise the Python one here
(keep-alive http.client connections on threads in several processes); --load-generator
chooses, and the output says which one ran.

Without --database-url (or DATABASE_URL) the database is SQLite in a temporary folder;
PostgreSQL is the realistic choice. Rate limits are lifted for the run (VERIFY_RATE), since
every request comes from 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import sitting  # noqa: E402

AGENCY, OFFICE = "BENCH", "LOAD"
ITEMS_PER_CERTIFICATE = 2


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def number_of(i: int) -> str:
    return f"{AGENCY}/2026/{OFFICE}/{i:07d}"


def code_of(i: int) -> str:
    return f"BX{i:010d}"


# ---------------------------------------------------------------------------------------------
# Environment and data
# ---------------------------------------------------------------------------------------------


def server_environment(args: argparse.Namespace, var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "0",
            "TESTING": "0",
            "SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{args.port}",
            "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": var_dir,
            "VERIFY_RATE": "100000000/s",
            "LOG_LEVEL": "WARNING",
            # The portal's settings plus the reference page (bench/urls.py).
            "DJANGO_SETTINGS_MODULE": "bench.settings",
        }
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.no_redis:
        env.pop("REDIS_URL", None)
    if args.cold:
        env["VERIFY_CACHE_SECONDS"] = "0"
    return env


def manage(env: dict[str, str], *command: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *command], env=env, check=True, cwd=ROOT
    )


def fill(count: int) -> None:
    """N certificates in bulk, with their applications, goods and a hundred exporters."""
    import django

    django.setup()
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import ExporterProfile, IECRecord, User
    from applications.models import AgencyOffice, Application, IssuingAgency, LineItem
    from certificates.models import Certificate

    agency, _ = IssuingAgency.objects.get_or_create(
        code=AGENCY, defaults={"name": "Benchmark Inspection Agency"}
    )
    office, _ = AgencyOffice.objects.get_or_create(
        agency=agency, code=OFFICE, defaults={"name": "Load Office", "city": "Mumbai"}
    )
    have = Certificate.objects.filter(office=office).count()
    if have >= count:
        print(f"database: {have} benchmark certificates already there")
        return
    start = time.perf_counter()
    officer, _ = User.objects.get_or_create(
        username="bench-officer", defaults={"role": "officer", "first_name": "Bench"}
    )
    exporters = []  # (the person who filed, the firm: the IEC holder the application is for)
    for n in range(100):
        iec = f"9{n:09d}"
        user, created = User.objects.get_or_create(username=iec, defaults={"role": "exporter"})
        if created:
            record = IECRecord.objects.create(
                iec=iec,
                firm_name=f"Load Test Exports {n} Pvt Ltd",
                address="1 Bench Road, Mumbai",
                email=f"bench{n}@example.com",
                mobile=f"+9190{n:08d}",
            )
            ExporterProfile.objects.create(user=user, iec_record=record)
        else:
            record = IECRecord.objects.get(iec=iec)
        exporters.append((user, record))
    now = timezone.now()
    batch = 1000
    for first in range(have + 1, count + 1, batch):
        ids = range(first, min(first + batch, count + 1))
        applications = Application.objects.bulk_create(
            Application(
                reference=f"BENCH-{i:08d}",
                exporter=exporters[i % len(exporters)][0],
                firm=exporters[i % len(exporters)][1],
                status="issued",
                certificate_type="non_preferential",
                destination_country="SG",
                consignee_country="SG",
                agency=agency,
                office=office,
            )
            for i in ids
        )
        LineItem.objects.bulk_create(
            LineItem(
                application=application,
                position=position,
                package_count=10,
                package_kind="cartons",
                description=f"Cotton knitted T-shirts, lot {position}",
                hs_code="61091000",
                quantity=Decimal("1200"),
                unit="pieces",
                gross_weight_kg=Decimal("125.5"),
                fob_value=Decimal("4800"),
            )
            for application in applications
            for position in range(1, ITEMS_PER_CERTIFICATE + 1)
        )
        Certificate.objects.bulk_create(
            Certificate(
                application=application,
                number=number_of(i),
                verification_code=code_of(i),
                office=office,
                year=2026,
                sequence=i,
                pdf=f"certificates/2026/bench-{i}.pdf",  # never downloaded by the benchmark
                sha256=f"{i:064x}",
                issued_at=now,
                signing_officer=officer,
            )
            for i, application in zip(ids, applications, strict=True)
        )
    print(f"database: {count - have} certificates created in {time.perf_counter() - start:.1f} s")


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------


def onequery_path(i: int) -> str:
    return f"/bench/one-query/?number={quote(number_of(i))}"


def page_path(i: int, code: str | None = None) -> str:
    return f"/verify/{quote(number_of(i))}/?code={code or code_of(i)}"


def api_path(i: int, code: str | None = None) -> str:
    return f"/api/v1/certificates/{quote(number_of(i))}?code={code or code_of(i)}"


# --mix: the shares of first lookups and wrong codes among the lookups (the rest: certificates
# looked up before, whose answers are kept).
MIX_FIRST, MIX_WRONG = 0.40, 0.05


def target_paths(target: str, sample: list[int], pool: list[int]) -> list[str]:
    """The URLs a target's requests pick from at random. `pool`: certificates outside the
    sample, whose kept answers are dropped before each --mix run (first lookups)."""
    if target == "trivial":
        return ["/bench/trivial/"]
    if target == "onequery":
        return [onequery_path(i) for i in sample]
    if target == "page":
        return [page_path(i) for i in sample]
    if target == "api":
        return [api_path(i) for i in sample]
    # The mix, half pages and half API: every pool certificate once (first lookups), wrong
    # codes and warm lookups in proportion, so that a random pick has the shares above.
    first = [(page_path if i % 2 else api_path)(i) for i in pool]
    total = round(len(first) / MIX_FIRST)
    rng = random.Random(11)
    wrong = [
        (page_path if n % 2 else api_path)(rng.choice(sample), "WRONGC0DE234")
        for n in range(round(total * MIX_WRONG))
    ]
    warm_count = total - len(first) - len(wrong)
    warm = [(page_path if n % 2 else api_path)(sample[n % len(sample)]) for n in range(warm_count)]
    return first + wrong + warm


def forget_pool(pool: list[int]) -> None:
    """Drop the kept answers (and version tokens) of the pool: their next lookups are first
    lookups again, as a certificate's first scan is."""
    from verification import store

    client = store._client()
    for start in range(0, len(pool), 1000):
        numbers = [number_of(i) for i in pool[start : start + 1000]]
        client.delete(*[store._key(kind, n) for n in numbers for kind in ("a", "t")])


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def prime(port: int, paths: list[str]) -> int:
    """Look each path up once, so that the timed runs see every answer kept (steady state)."""

    def one(chunk: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for path in chunk:
            conn.request("GET", path)
            conn.getresponse().read()
        conn.close()

    chunks = [paths[n::8] for n in range(8)]
    threads = [threading.Thread(target=one, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(paths)


def _connection_loop(
    port: int, paths: list[str], deadline: float, latencies: list[float], errors: list[str]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rng = random.Random()
    while time.perf_counter() < deadline:
        path = rng.choice(paths)
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(type(exc).__name__)
            conn.close()
            continue
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            errors.append(str(response.status))
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
    conn.close()


def _process(port: int, paths: list[str], threads: int, seconds: float, queue) -> None:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    workers = [
        threading.Thread(target=_connection_loop, args=(port, paths, deadline, latencies, errors))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((latencies, errors))


def drive(port: int, paths: list[str], connections: int, processes: int, seconds: float) -> dict:
    """`connections` keep-alive connections, spread over `processes` client processes."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    per_process = [
        connections // processes + (1 if n < connections % processes else 0)
        for n in range(processes)
    ]
    started = time.perf_counter()
    procs = [
        multiprocessing.Process(target=_process, args=(port, paths, n, seconds, queue))
        for n in per_process
        if n
    ]
    for proc in procs:
        proc.start()
    latencies: list[float] = []
    errors: list[str] = []
    for _ in procs:
        got_latencies, got_errors = queue.get()
        latencies += got_latencies
        errors += got_errors
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": pct(50) if latencies else 0.0,
        "p95": pct(95) if latencies else 0.0,
        "p99": pct(99) if latencies else 0.0,
        "mean": statistics.fmean(latencies) * 1000 if latencies else 0.0,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
    }


_WRK_SCRIPT = """
local paths = {%s}
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, e.connect + e.read + e.write + e.timeout, e.status, 0))
end
"""


def drive_wrk(port: int, paths: list[str], connections: int, threads: int, seconds: float) -> dict:
    """The same measurement with wrk: `connections` keep-alive connections on `threads`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK-RESULT"))
    requests, duration_us, p50, p95, p99, mean, socket_errors, status_errors, _ = map(
        int, map(float, line.split()[1:])
    )
    return {
        "requests": requests,
        "rps": requests / (duration_us / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "mean": mean / 1000,
        "errors": socket_errors + status_errors,
        "error_kinds": (["socket"] if socket_errors else [])
        + (["non-2xx"] if status_errors else []),
    }


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before it served a request")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def check_answers(port: int, count: int) -> int:
    """One real answer of each kind before the run: a benchmark of error pages proves nothing.
    Returns how many lookups it made."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/api/v1/certificates/{quote(number_of(count))}?code={code_of(count)}")
    response = conn.getresponse()
    body = json.loads(response.read())
    if response.status != 200 or body.get("status") != "valid":
        raise SystemExit(f"the API did not answer as expected: {response.status} {body}")
    conn.request("GET", f"/verify/{quote(number_of(1))}/?code={code_of(1)}")
    response = conn.getresponse()
    if response.status != 200 or b"VALID" not in response.read():
        raise SystemExit(f"the verification page did not answer as expected: {response.status}")
    conn.close()
    return 2


def log_rows() -> int:
    from verification.models import VerificationLog

    count = VerificationLog.objects.count()
    connections_close()
    return count


def connections_close() -> None:
    from django.db import connections

    connections.close_all()


def wait_for_log(before: int, at_least: int, timeout: float = 30) -> int:
    """Rows the lookups logged, once the queue has been written (the worker's batches)."""
    deadline = time.monotonic() + timeout
    while True:
        written = log_rows() - before
        if written >= at_least or time.monotonic() > deadline:
            return written
        time.sleep(1)


def main() -> None:
    cpus = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certificates", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per target and round")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each target")
    parser.add_argument("--rounds", type=int, default=5, help="turns of the three targets")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client-processes", type=int, default=max(2, cpus))
    parser.add_argument("--workers", type=int, default=2 * cpus + 1, help="gunicorn workers")
    parser.add_argument("--worker-class", help="default: gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="default: gunicorn.conf.py's")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--no-redis", action="store_true", help="ignore REDIS_URL if set")
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk if installed, else the Python one",
    )
    parser.add_argument(
        "--sample", type=int, default=2000, help="how many certificates are looked up"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="keep no answers (VERIFY_CACHE_SECONDS=0): every lookup reads the database",
    )
    parser.add_argument(
        "--mix",
        action="store_true",
        # argparse formats help with %: the shares' percent signs are doubled.
        help=f"one target of {MIX_FIRST:.0%}% first lookups, {MIX_WRONG:.0%}% wrong codes, "
        "the rest looked up before (pages and API alike)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    sitting.add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.certificates, args.sample, args.rounds, args.connections = 30, 10, 1, 2
        args.duration, args.warmup, args.client_processes, args.workers = 0.5, 0.2, 1, 1
        args.load_generator, args.port = "python", free_port()
    if args.mix and args.cold:
        parser.error("--mix keeps answers: it cannot be combined with --cold")

    var_dir = tempfile.mkdtemp(prefix="coo-verify-bench-")
    env = server_environment(args, var_dir)
    os.environ.update(env)
    database = args.database_url.rpartition("/")[2] if args.database_url else ""
    state = [
        f"PostgreSQL database {database} (certificates of earlier runs reused)"
        if database
        else f"a new SQLite database in {var_dir}"
    ]
    if env.get("REDIS_URL"):
        state.append(sitting.fresh_redis(env["REDIS_URL"]))
    sitting.begin("; ".join(state))
    sitting.ensure_database(args.database_url)
    server = worker = None
    try:
        # --skip-checks: the production checks ask for a payment gateway, a TSA and credential
        # keys, none of which a lookup uses.
        manage(env, "migrate", "--noinput", "-v", "0", "--skip-checks")
        manage(env, "collectstatic", "--noinput", "-v", "0", "--skip-checks")
        fill(args.certificates)
        # The parent's database connection must not be shared with forked client processes.
        connections_close()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [
                str(gunicorn),
                "coo_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--workers",
                str(args.workers),
                *(["--worker-class", args.worker_class] if args.worker_class else []),
                *(["--threads", str(args.threads)] if args.threads else []),
                "--keep-alive",
                "5",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        if env.get("REDIS_URL"):
            # Lookups queue their log rows in Redis; a worker writes them, as in production,
            # on the same CPUs.
            celery = Path(sys.executable).with_name("celery")
            queue = env.get("CELERY_QUEUE", "coo")
            worker = subprocess.Popen(
                [str(celery), "-A", "coo_portal", "worker", "--concurrency", "1", "-Q", queue],
                env=env,
                cwd=ROOT,
            )
        wait_until_up(args.port, server)
        logged_before = log_rows()
        checked = check_answers(args.port, args.certificates)
        database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
        use_wrk = args.load_generator == "wrk" or (
            args.load_generator == "auto" and shutil.which("wrk") is not None
        )
        if use_wrk and shutil.which("wrk") is None:
            raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
        generator = (
            f"wrk ({args.client_processes} threads)"
            if use_wrk
            else f"the Python load generator ({args.client_processes} processes)"
        )
        print(
            f"gunicorn {args.workers} workers ({args.worker_class or 'gunicorn.conf.py'} class, "
            f"{args.threads or 'gunicorn.conf.py'} threads), "
            f"{database}, {args.certificates} certificates, {args.connections} connections "
            f"from {generator}, {args.duration:.0f} s per target"
        )
        print(f"load average at the start: {load_average()} ({os.cpu_count()} CPUs)")
        if not env.get("REDIS_URL") or args.cold:
            print("answers: none kept, every lookup reads the database and renders the answer")
        elif args.mix:
            print(
                f"answers: kept in Redis; the mix: {MIX_FIRST:.0%} first lookups (answers of "
                f"{args.certificates - args.sample} certificates dropped before each run), "
                f"{MIX_WRONG:.0%} wrong codes, the rest of {args.sample} certificates looked up "
                "before"
            )
        else:
            print(
                f"answers: kept in Redis; each of the {args.sample} certificates looked up is "
                "looked up once before the timed runs"
            )
        run = drive_wrk if use_wrk else drive
        sample = random.Random(7).sample(range(1, args.certificates + 1), args.sample)
        chosen = set(sample)
        pool = [i for i in range(1, args.certificates + 1) if i not in chosen]
        labels = {
            "trivial": "trivial view (/bench/trivial/)",
            "onequery": "one-query page (layout)",
        }
        lookups = ("mix",) if args.mix else ("page", "api")
        labels |= {
            "page": "verification page (QR)",
            "api": "verification API",
            "mix": "verification mix",
        }
        labels = {t: label for t, label in labels.items() if t in ("trivial", "onequery", *lookups)}
        paths = {target: target_paths(target, sample, pool) for target in labels}
        warmed = 0
        if not args.cold and env.get("REDIS_URL"):
            # Both kinds: the page and the API's document are kept apart, each when first asked.
            warmed += prime(args.port, target_paths("page", sample, pool))
            warmed += prime(args.port, target_paths("api", sample, pool))
        for target in labels:
            if target == "mix":
                forget_pool(pool)
            warm = run(
                args.port, paths[target], args.connections, args.client_processes, args.warmup
            )
            warmed += warm["requests"] if target not in ("trivial", "onequery") else 0
        # The targets take turns, round after round, so that a noisy moment on a shared machine
        # falls on all of them alike; the medians of the rounds are the figures.
        rounds: dict[str, list[dict]] = {target: [] for target in labels}
        print(f"\n{'round':<6}{'target':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
        for n in range(1, args.rounds + 1):
            for target in labels:
                if target == "mix":
                    forget_pool(pool)
                r = run(
                    args.port, paths[target], args.connections, args.client_processes, args.duration
                )
                rounds[target].append(r)
                print(
                    f"{n:<6}{labels[target]:<28}{r['rps']:>9.0f}{r['p50']:>9.1f}"
                    f"{r['p95']:>9.1f}{r['p99']:>9.1f}"
                    + (f"  {r['errors']} errors {r['error_kinds']}" if r["errors"] else "")
                )
        median = {
            target: {
                key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p95", "p99")
            }
            for target, runs in rounds.items()
        }

        # Each round's page and API against the trivial view of the same round (seconds apart,
        # so under the same load from the rest of the machine), then the median of those.
        def share(target: str, of: str) -> float:
            pairs = zip(rounds[target], rounds[of], strict=True)
            return statistics.median(r["rps"] / t["rps"] for r, t in pairs)

        ratio = {target: share(target, "trivial") for target in labels}
        vs_one = {target: share(target, "onequery") for target in labels}
        print(f"\nmedian of {args.rounds} rounds; load average at the end: {load_average()}")
        header = f"{'target':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        print(f"{header}{'vs trivial':>12}{'vs 1-query':>12}")
        for target, m in median.items():
            print(
                f"{labels[target]:<28}{m['rps']:>9.0f}{m['p50']:>9.1f}{m['p95']:>9.1f}"
                f"{m['p99']:>9.1f}{ratio[target]:>12.2f}{vs_one[target]:>12.2f}"
            )
        errors = sum(r["errors"] for runs in rounds.values() for r in runs)
        answered = checked + warmed + sum(r["requests"] for t in lookups for r in rounds[t])
        logged = wait_for_log(logged_before, answered)
        print(f"\nerrors: {errors}; log rows written: {logged} for {answered} lookups answered")
        if logged < answered:
            print(f"NOT every lookup was logged: {answered - logged} rows missing after 30 s")
        cold = args.cold or not env.get("REDIS_URL")
        for target in lookups:
            p99 = median[target]["p99"]
            if target == "mix":
                print(
                    f"{labels[target]}: {ratio[target]:.2f} of the trivial view's req/s, "
                    f"{vs_one[target]:.2f} of the one-query page's, p99 {p99:.0f} ms"
                )
            elif cold:  # issue 17: at least 0.8 of the one-query page, p99 under 100 ms
                met = vs_one[target] >= 0.8 and p99 < 100
                print(
                    f"{labels[target]}: {vs_one[target]:.2f} of the one-query page's req/s, "
                    f"p99 {p99:.0f} ms: target (0.8, < 100 ms) " + ("met" if met else "NOT met")
                )
            else:  # issue 17: at least 0.7 of the trivial view, p99 under 60 ms
                met = ratio[target] >= 0.7 and p99 < 60
                print(
                    f"{labels[target]}: {ratio[target]:.2f} of the trivial view's req/s, "
                    f"p99 {p99:.0f} ms: target (0.7, < 60 ms) " + ("met" if met else "NOT met")
                )
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a busy machine: do not leave gunicorn behind
                worker.kill()
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
