"""CPU per request, in one process: the trivial view beside a kept verification answer.

    python bench/verify_cpu.py [--requests 500] [--rounds 20] [--cold] [--embedded]
                               [--profile page|api|trivial|onequery|wrong]

Builds the portal's WSGI handler with bench.settings (DEBUG off, as bench/verify_load.py's
gunicorn runs it) and calls it directly, as gunicorn's worker would, for /bench/trivial/, the
QR link's answer page and the JSON API, each for certificates whose answers are kept in Redis
(every one is looked up once before the timed calls). It prints the median over --rounds of
the process's CPU time per request (time.process_time: what a request takes from the
machine's cores, whatever else runs on them, so it can be measured on a busy machine) and the
share of the trivial view's requests per second that this CPU allows. Redis's own CPU per
lookup (INFO commandstats) and the log flush's CPU per row in this process are printed too:
under load they run on the same cores as the server.

Beside those, the one-query page with the site layout (bench/urls.py: the reference a first
lookup is compared with) and the answer page for a wrong code. `--cold` keeps no answers
(VERIFY_CACHE_SECONDS=0): every lookup reads the database and builds its answer, as a first
lookup does. `--embedded` runs on the embedded default instead: SQLite in a temporary folder,
no Redis (the lookup log is then written after the response by verification/logbuffer.py).

It needs REDIS_URL and DATABASE_URL (a database of its own: it is migrated and filled with
bench/verify_load.py's certificates; 200 are looked up), except with --embedded.
`--profile TARGET` runs cProfile over that target and prints the 30 costliest functions
(cumulative and own time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verify_load import (  # noqa: E402  # bench/ is on sys.path when this runs
    api_path,
    fill,
    load_average,
    manage,
    onequery_path,
    page_path,
)

from bench import sitting  # noqa: E402


def environment(var_dir: str, *, embedded: bool = False, cold: bool = False) -> dict[str, str]:
    base = dict(os.environ)
    if embedded:
        base.pop("REDIS_URL", None)
        base["DATABASE_URL"] = f"sqlite:///{var_dir}/bench.sqlite3"
    elif not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"):
        raise SystemExit("set REDIS_URL and DATABASE_URL (a Redis db and a database of its own)")
    if cold:
        base["VERIFY_CACHE_SECONDS"] = "0"
    return {
        **base,
        "DEBUG": "0",
        "TESTING": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1:8765",
        "SECURE_SSL_REDIRECT": "0",
        "VAR_DIR": var_dir,
        "VERIFY_RATE": "100000000/s",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }


def wsgi_environ(path: str) -> dict[str, Any]:
    """What gunicorn hands the application for a keep-alive GET from wrk (no cookies)."""
    path_info, _, query = path.partition("?")
    from urllib.parse import unquote

    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path_info),
        "RAW_URI": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8765",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8765",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def caller(
    application: Callable[..., Any], paths: list[str], expect: str = "200"
) -> Callable[[int], int]:
    """A function that makes n requests (cycling through paths) and returns the bytes served."""
    environs = [wsgi_environ(p) for p in paths]

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        if not status.startswith(expect):
            raise SystemExit(f"{status} for a benchmark request (expected {expect})")

    def run(n: int) -> int:
        served = 0
        for i in range(n):
            environ = dict(environs[i % len(environs)])
            environ["wsgi.input"] = io.BytesIO(b"")
            body = application(environ, start_response)
            served += sum(len(chunk) for chunk in body)
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return served

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="per target and round")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--certificates", type=int, default=3000)
    parser.add_argument("--profile", choices=("trivial", "onequery", "page", "api", "wrong"))
    parser.add_argument("--cold", action="store_true", help="keep no answers: first lookups")
    parser.add_argument(
        "--embedded", action="store_true", help="SQLite in a temporary folder, no Redis"
    )
    parser.add_argument("--profile-file", help="with --profile: also write the stats there")
    sitting.add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.rounds, args.certificates = 20, 1, 40

    var_dir = tempfile.mkdtemp(prefix="coo-verify-cpu-")
    try:
        measure(args, environment(var_dir, embedded=args.embedded, cold=args.cold))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def measure(args: argparse.Namespace, env: dict[str, str]) -> None:
    os.environ.update(env)
    redis = bool(env.get("REDIS_URL"))
    kept = "no answers kept (VERIFY_CACHE_SECONDS=0)" if args.cold else "answers kept"
    if redis:
        database = env["DATABASE_URL"].rpartition("/")[2]
        redis_state = sitting.fresh_redis(env["REDIS_URL"])
        sitting.begin(
            f"database {database} (certificates of earlier runs reused); {redis_state}; {kept}"
        )
        sitting.ensure_database(env["DATABASE_URL"])
    else:
        sitting.begin(f"the embedded default: a new SQLite database, no Redis; {kept}")
    manage(env, "migrate", "--noinput", "-v", "0", "--skip-checks")
    manage(env, "collectstatic", "--noinput", "-v", "0", "--skip-checks")
    fill(args.certificates)  # calls django.setup()

    import gc

    from django.core.wsgi import get_wsgi_application

    from verification import logbuffer, store, tasks

    application = get_wsgi_application()
    sample = list(range(1, min(args.certificates, 200) + 1))
    warm = 20 if args.smoke else 500
    targets = {
        "trivial": ["/bench/trivial/"],
        "onequery": [onequery_path(i) for i in sample],
        "page": [page_path(i) for i in sample],
        "api": [api_path(i) for i in sample],
        "wrong": [page_path(i, "WRONGC0DE234") for i in sample],
    }
    run = {
        target: caller(application, paths, "404" if target == "wrong" else "200")
        for target, paths in targets.items()
    }
    for target in targets:  # the first lookups keep the answers; then warm every code path
        run[target](len(targets[target]))
        run[target](warm)
    if redis:
        store._client().delete(store._key("log"))
    else:
        logbuffer.flush()
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py's post_worker_init does

    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not the wall clock
        profiler.enable()
        run[args.profile](args.requests)
        profiler.disable()
        if args.profile_file:
            profiler.dump_stats(args.profile_file)
        for order in ("cumulative", "tottime"):
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(30)
            print(stream.getvalue())
        return

    print(f"load average at the start: {load_average()}")
    if redis:
        store._client().config_resetstat()
    cpu: dict[str, list[float]] = {target: [] for target in targets}
    size: dict[str, float] = {}
    for _ in range(args.rounds):
        for target in targets:
            start = time.process_time()
            served = run[target](args.requests)
            cpu[target].append((time.process_time() - start) / args.requests * 1e6)
            size[target] = served / args.requests
    # The lookup log left by the timed rounds (the page, API and wrong-code targets).
    if redis:
        stats = store._client().info("commandstats")
        lookups = args.requests * args.rounds * 3
        redis_us = sum(
            float(s["usec"]) for name, s in stats.items() if name.startswith("cmdstat_evalsha")
        )
        queued = store.log_length()
        start = time.process_time()
        written = tasks.verification_log_flush()
    else:
        queued = logbuffer.kept()
        start = time.process_time()
        written = logbuffer.flush()
    flush_us = (time.process_time() - start) / max(written, 1) * 1e6

    # Each round's ratio against the trivial view, and against the one-query page, of the same
    # round, then the median.
    def ratio(target: str, reference: str) -> float:
        return statistics.median(v / r for v, r in zip(cpu[target], cpu[reference], strict=True))

    print(f"median of {args.rounds} rounds of {args.requests} requests each ({kept})")
    print(f"{'target':<10}{'CPU us/request':>16}{'x trivial':>11}{'x one-query':>13}{'bytes':>8}")
    for target, values in cpu.items():
        print(
            f"{target:<10}{statistics.median(values):>16.0f}{ratio(target, 'trivial'):>11.2f}"
            f"{ratio(target, 'onequery'):>13.2f}{size[target]:>8.0f}"
        )
    print(f"wrong code / found page: {ratio('wrong', 'page'):.2f}")
    if redis:
        print(f"Redis, per lookup script (EVALSHA): {redis_us / max(lookups, 1):.0f} us of its CPU")
    if written:
        print(f"log flush: {flush_us:.0f} us of this process's CPU per row ({written} of {queued})")
    else:
        print("log flush: every row was written by the log buffer's own timer during the rounds")
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
