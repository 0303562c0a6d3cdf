"""Verification under load: the page and the API beside a trivial view, on one gunicorn.

    python bench/verify_load.py [--certificates 10000] [--duration 10] [--connections 32]
                                [--workers N] [--database-url postgres://...]

Fills a database with N certificates (two lines of goods each; skipped when they are already
there), serves the portal with gunicorn (DEBUG off, as in production), and drives three
targets in turn with keep-alive HTTP connections from threads in several processes:

- /healthz: a trivial view of the same server (no database), the ceiling;
- /verify/<number>/?code=<code>: the QR link's answer page, a random certificate each time;
- /api/v1/certificates/<number>?code=<code>: the JSON API, likewise.

It prints requests per second, p50/p95/p99 latency and errors for each, and the ratios of the
page and the API to the trivial view. The load generator runs on the same machine and takes
CPU from the server, so compare ratios rather than absolute figures between machines.

The load generator is `wrk` when it is installed (Debian: apt-get install wrk; a C program
that costs the server far less CPU than Python does), otherwise the Python one here
(keep-alive http.client connections on threads in several processes); --load-generator
chooses, and the output says which one ran.

Without --database-url (or DATABASE_URL) the database is SQLite in a temporary folder; every
lookup writes a log row, so PostgreSQL is the realistic choice. Rate limits are lifted for
the run (VERIFY_RATE), since every request comes from 127.0.0.1.
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
AGENCY, OFFICE = "BENCH", "LOAD"
ITEMS_PER_CERTIFICATE = 2


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
            "DJANGO_SETTINGS_MODULE": "coo_portal.settings",
        }
    )
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.no_redis:
        env.pop("REDIS_URL", None)
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
    exporters = []
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
        exporters.append(user)
    now = timezone.now()
    batch = 1000
    for first in range(have + 1, count + 1, batch):
        ids = range(first, min(first + batch, count + 1))
        applications = Application.objects.bulk_create(
            Application(
                reference=f"BENCH-{i:08d}",
                exporter=exporters[i % len(exporters)],
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


def target_paths(target: str, count: int, rng: random.Random) -> list[str]:
    if target == "trivial":
        return ["/healthz"]
    picks = [rng.randint(1, count) for _ in range(2000)]
    if target == "page":
        return [f"/verify/{quote(number_of(i))}/?code={code_of(i)}" for i in picks]
    return [f"/api/v1/certificates/{quote(number_of(i))}?code={code_of(i)}" for i in picks]


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


def check_answers(port: int, count: int) -> None:
    """One real answer of each kind before the run: a benchmark of error pages proves nothing."""
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


def main() -> None:
    cpus = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certificates", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each target")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client-processes", type=int, default=max(2, cpus))
    parser.add_argument("--workers", type=int, default=2 * cpus + 1, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--no-redis", action="store_true", help="ignore REDIS_URL if set")
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk if installed, else the Python one",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="coo-verify-bench-")
    env = server_environment(args, var_dir)
    os.environ.update(env)
    server = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        fill(args.certificates)
        # The parent's database connection must not be shared with forked client processes.
        from django.db import connections

        connections.close_all()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [
                str(gunicorn),
                "coo_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--workers",
                str(args.workers),
                "--worker-class",
                args.worker_class,
                "--threads",
                str(args.threads),
                "--keep-alive",
                "5",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        wait_until_up(args.port, server)
        check_answers(args.port, args.certificates)
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
            f"gunicorn {args.workers} x {args.worker_class}"
            f"{f' ({args.threads} threads)' if args.worker_class == 'gthread' else ''}, "
            f"{database}, {args.certificates} certificates, {args.connections} connections "
            f"from {generator}, {args.duration:.0f} s per target"
        )
        run = drive_wrk if use_wrk else drive
        rng = random.Random(7)
        results = {}
        for target in ("trivial", "page", "api"):
            paths = target_paths(target, args.certificates, rng)
            run(args.port, paths, args.connections, args.client_processes, args.warmup)
            results[target] = run(
                args.port, paths, args.connections, args.client_processes, args.duration
            )
        print(f"\n{'target':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
        labels = {
            "trivial": "trivial view (/healthz)",
            "page": "verification page (QR)",
            "api": "verification API",
        }
        for target, r in results.items():
            print(
                f"{labels[target]:<28}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
                f"{r['p99']:>9.1f}{r['errors']:>8}"
                + (f"  {r['error_kinds']}" if r["errors"] else "")
            )
        trivial = results["trivial"]
        print()
        for target in ("page", "api"):
            r = results[target]
            print(
                f"{labels[target]} / trivial: throughput {r['rps'] / trivial['rps']:.2f}, "
                f"p50 latency {r['p50'] / trivial['p50']:.1f}x, "
                f"p99 latency {r['p99'] / trivial['p99']:.1f}x"
            )
    finally:
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
