"""gunicorn settings read wherever gunicorn starts in this folder (it loads ./gunicorn.conf.py):
the Docker image, docker-compose, `make prod-smoke` and bench/verify_load.py. The number of
workers and the bind address stay on each command line.

Workers are threaded (gthread), two threads each: an idle keep-alive connection waits in the
worker's poller without holding a thread, and while one thread waits on PostgreSQL or Redis the
other can run. More threads only make them queue for the interpreter's lock: with 5 workers on
2 CPUs, bench/verify_load.py measured the verification page at 0.51-0.59 of the trivial view's
requests per second with 2 threads, and 0.47-0.50 with 4.

Garbage collection: once a worker has loaded the portal, gc.freeze() moves everything loaded at
start-up (Django, the URLconf, the templates) out of the collector's sight, so that a full
collection only looks at what requests left behind. Measured with bench/verify_load.py (5
workers, 32 connections, 10 s of verification pages): without it each worker ran a full
collection of 80-87 ms of CPU, stalling its every thread meanwhile, and p99 was 242-251 ms;
with it the one full collection took 15 ms and p99 was 145-157 ms.

Request limits: the request line and the headers are bounded here (gunicorn has no limit on a
request body: core/body_limit.py refuses a body too large for its URL before it is read,
and the proxy in front should refuse it first, see the README).
"""

from __future__ import annotations

import gc
import os
from typing import Any

from prometheus_client import multiprocess

worker_class = "gthread"
threads = 2

# The longest URL the portal makes (a verification link with number and code) is under 200
# bytes; these are gunicorn's defaults but for the header count, stated so that they are kept.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190


def post_worker_init(worker: Any) -> None:
    gc.collect()
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    # Metrics (coo_portal/metrics.py): a dead worker's live gauges leave the sum at once.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]  # prometheus-client is untyped here
