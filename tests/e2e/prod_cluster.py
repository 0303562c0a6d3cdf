"""`make prod-cluster`: the journey through nginx, in front of two web nodes and two workers.

The web nodes, the workers and beat are docker-compose.yml's services: their commands and
environments are read from the compose file (tests/e2e/compose.py), with only its secrets, its
agencies' files and its host names made local, so that what is tested is what is shipped.

The production shape on one machine, every part on loopback and started and stopped here:
nginx (Debian's) balancing two gunicorn nodes on their own ports, two Celery workers, and an
S3-compatible server (moto's, in server mode). The nodes and workers share nothing but
PostgreSQL, Redis and the bucket: each has its own VAR_DIR (static files, outboxes); the agency
signing key is provisioned to all of them (one SIGNING_KEYS_DIR, as a PKCS#12 would be). DEBUG=0.

Then, and each is checked:
1. the Chromium journey (tests.e2e.journey) through nginx, its requests spread over both nodes
   (counted in each node's access log);
2. more approvals, so that both workers issue certificates (which worker issued which, from
   their logs);
3. two clients behind nginx (127.0.0.2 and 127.0.0.3) rate limited separately; a client that
   talks to a node directly and claims another address in X-Forwarded-For counted as itself;
4. every stored document and certificate in the bucket, and none on a node's disk (listed).

    .venv/bin/python -m tests.e2e.prod_cluster [--keep]

Environment: CLUSTER_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/coo_prod_cluster;
dropped and created afresh), CLUSTER_REDIS_URL (default redis://127.0.0.1:6379/4; flushed).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
import traceback
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

DATABASE_URL = os.environ.get(
    "CLUSTER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coo_prod_cluster"
)
REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/4")
# prod_smoke's helpers (database reset, set-up, the journey in Chromium) read their database
# and Redis from these when it is imported.
os.environ["SMOKE_DATABASE_URL"] = DATABASE_URL
os.environ["SMOKE_REDIS_URL"] = REDIS_URL

from tests.e2e import compose  # noqa: E402
from tests.e2e import prod_smoke as smoke  # noqa: E402 - after the two variables above

BIN = smoke.BIN
ROOT = smoke.ROOT
BUCKET = "coo"  # deploy/staging.env's S3_BUCKET
NODES = ("web1", "web2")
WORKERS = ("worker1", "worker2")
EXTRA_CERTIFICATES = 6
CLIENT_A, CLIENT_B, OUTSIDER, CLAIMED = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"
ACCESS = re.compile(r"^ACCESS ")

STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[prod-cluster +{time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


smoke.log = log  # the shared helpers speak with this script's prefix


# ---------------------------------------------------------------------------------------------
# The parts
# ---------------------------------------------------------------------------------------------


def nginx_conf(root: Path, port: int, upstreams: list[int]) -> Path:
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in upstreams)
    conf = root / "nginx.conf"
    # deploy/nginx.conf (compose) on plain http, except that this proxy appends to a client's
    # X-Forwarded-For instead of replacing it: the portal must then read it from the right.
    conf.write_text(
        f"""daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    log_format upstream '$remote_addr "$request" $status upstream=$upstream_addr';
    access_log {root}/access.log upstream;
    upstream portal {{
{servers}
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 11m;
        location / {{
            proxy_pass http://portal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""
    )
    return conf


def node_env(base: dict[str, str], var_dir: Path, keys_dir: Path, s3_port: int) -> dict[str, str]:
    var_dir.mkdir(parents=True, exist_ok=True)
    return {
        **base,
        "VAR_DIR": str(var_dir),
        "SIGNING_KEYS_DIR": str(keys_dir),
        "TRUSTED_PROXIES": "127.0.0.1",
        "CACHE_KEY_PREFIX": "coo-cluster",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "S3_REGION": "us-east-1",
        "S3_ADDRESSING_STYLE": "path",
        "S3_ACCESS_KEY_ID": "cluster",
        "S3_SECRET_ACCESS_KEY": secrets.token_urlsafe(24),  # moto takes any
    }


def check_observability(root: Path, logs: Path, node_ports: list[int]) -> None:
    """Issue 27 on the running cluster: each node's /readyz is ready with every part checked,
    /metrics answers the token (multiprocess mode under gunicorn) and nobody else, and a
    worker's log line of an issuance carries the id of the request that approved it."""
    token = (root / "run-secrets" / "metrics_token").read_text().strip()
    for port in node_ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as answer:
            ready = json.loads(answer.read())
        assert set(ready["checks"]) == {
            "database",
            "static",
            "redis",
            "bucket",
            "tsa",
            "workers",
            "transparency_log",
        }
        assert ready["status"] == "ready", ready
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            text = answer.read().decode()
        for name in ("coo_request_seconds_count", "coo_outbox_backlog", "coo_payments"):
            assert name in text, f"/metrics of :{port} has no {name}"
    log(f"every node ready: {ready['checks']}; /metrics answered with the token")
    worker_lines = [
        line
        for worker in WORKERS
        for line in (logs / f"{worker}.log").read_text().splitlines()
        if "certificates.issue_certificate" in line and "succeeded" in line
    ]
    carried = [line for line in worker_lines if re.search(r'"request_id": "[0-9a-f]{32}"', line)]
    assert carried, "no issuance log line carries the approving request's id"
    log(f"a worker's line with the approving request's id: {carried[0][:160]}")


def compose_local(root: Path, setup: dict[str, str], base_url: str, s3_port: int) -> compose.Local:
    """This machine as the compose file's outside world: its secrets as files, the agencies'
    files that prepare() made (named as docker-compose.yml mounts them), loopback services."""
    secrets_dir = root / "run-secrets"  # /run/secrets in the containers
    secrets_dir.mkdir()
    for name, value in {
        "secret_key": setup["SECRET_KEY"],
        "database_url": DATABASE_URL,
        "s3_secret_key": setup["S3_SECRET_ACCESS_KEY"],
        "metrics_token": secrets.token_urlsafe(32),
        "backup_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),  # Fernet's
    }.items():
        (secrets_dir / name).write_text(value + "\n")
    agencies = root / "web1" / "pki"
    for code in smoke.agency_codes():
        suffix = re.sub(r"[^A-Z0-9]", "_", code.upper())
        shutil.copy(agencies / "ca.crl", agencies / f"{code}.crl")
        (agencies / f"{code}.p12-password").write_text(setup[f"SIGNING_P12_PASSWORD_{suffix}"])
    return compose.Local(
        secrets=secrets_dir,
        agencies=agencies,
        var_dir=root,
        redis_url=REDIS_URL,
        s3_endpoint=f"http://127.0.0.1:{s3_port}",
        tsa_url=setup["TSA_URL"],
        site_url=base_url,
        allowed_hosts="localhost,127.0.0.1",
    )


def s3_client(env: dict[str, str]):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        region_name=env["S3_REGION"],
        aws_access_key_id=env["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"],
    )


def bucket_keys(env: dict[str, str]) -> list[str]:
    client = s3_client(env)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def get(port: int, path: str, *, source: str, headers: dict[str, str] | None = None) -> int:
    """One GET from `source` (a loopback address of its own: a client of its own to nginx)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(source, 0)
    )
    try:
        connection.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# The checks after the journey (Django is set up in this process by smoke.run_browser)
# ---------------------------------------------------------------------------------------------


def issue_more(count: int) -> list[str]:
    """Approve `count` more applications as the smoke officer; their issuance goes to the
    workers through Redis. Returns the application references."""
    from django.contrib.auth import get_user_model

    from review.services import application_approve
    from tests.certificates.factories import application_under_review

    users = get_user_model().objects
    exporter = users.get(username=smoke.EXPORTER_IEC)
    officer = users.select_related("officer_profile__office").get(username="smoke.officer")
    office = officer.officer_profile.office
    references = []
    for _ in range(count):
        application = application_under_review(exporter=exporter, officer=officer, office=office)
        application_approve(application_id=application.pk, officer=officer)  # on_commit: queued
        references.append(application.reference)
    return references


def wait_for_certificates(references: list[str], seconds: float) -> list[str]:
    from certificates.models import Certificate

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        numbers = list(
            Certificate.objects.filter(application__reference__in=references).values_list(
                "number", flat=True
            )
        )
        if len(numbers) == len(references):
            return sorted(numbers)
        time.sleep(0.5)
    raise AssertionError(f"only {len(numbers)} of {len(references)} certificates in {seconds} s")


def issued_by_worker(logs: Path) -> dict[str, list[str]]:
    done = {}
    for worker in WORKERS:
        text = (logs / f"{worker}.log").read_text()
        done[worker] = re.findall(
            r"Task certificates\.issue_certificate\[[0-9a-f-]+\] succeeded in [0-9.]+s: '([^']+)'",
            text,
        )
    return done


def requests_by_node(logs: Path) -> dict[str, int]:
    return {
        node: sum(
            1 for line in (logs / f"{node}.log").read_text().splitlines() if ACCESS.match(line)
        )
        for node in NODES
    }


def check_client_addresses(nginx_port: int, node_port: int) -> None:
    """Acceptance 2 through nginx: per-client limits behind the proxy, a spoof counted as its
    sender."""
    from django.urls import reverse

    from certificates.models import Certificate

    certificate = Certificate.objects.order_by("pk").first()
    path = reverse("verification:api-certificate", kwargs={"number": certificate.number})
    path += "?" + urlencode({"code": certificate.verification_code})
    lookups = until_refused(lambda: get(nginx_port, path, source=CLIENT_A))
    assert get(nginx_port, path, source=CLIENT_B) == 200, "client B was limited by A's lookups"
    log(f"behind nginx: {CLIENT_A} refused (429) after {lookups} lookups; {CLIENT_B} still 200")
    # Straight to a node, claiming another address each time: counted as the sender's own.
    claims = iter(f"10.9.{n // 250}.{n % 250}" for n in range(1000))
    lookups = until_refused(
        lambda: get(node_port, path, source=OUTSIDER, headers={"X-Forwarded-For": next(claims)})
    )
    spoofed = {"X-Forwarded-For": CLAIMED}
    assert get(node_port, path, source=OUTSIDER, headers=spoofed) == 429
    assert get(nginx_port, path, source=CLAIMED) == 200, "the claimed address was charged"
    log(
        f"direct to a node: {OUTSIDER}, claiming a new address in X-Forwarded-For each time, "
        f"refused as itself after {lookups}; {CLAIMED}, whose address it claimed, still 200"
    )


def until_refused(send) -> int:
    """Send until 429; returns the number answered 200 before it. VERIFY_RATE is 30 a minute,
    counted in fixed windows: a window may end midway, so up to 60 may pass, never more."""
    for answered in range(61):
        status = send()
        if status == 429:
            assert answered >= 30, f"refused after only {answered}"
            return answered
        assert status == 200, f"answered {status}"
    raise AssertionError("61 lookups in a row were answered: no limit per client")


def check_bucket(env: dict[str, str], var_dirs: list[Path]) -> None:
    from applications.models import Document
    from certificates.models import Certificate

    keys = bucket_keys(env)
    documents = list(Document.objects.values_list("file", flat=True))
    stored = documents + list(Certificate.objects.values_list("pdf", flat=True))
    assert documents, "the journey stored no document"
    missing = [name for name in stored if name not in keys]
    assert not missing, f"stored names not in the bucket: {missing}"
    on_disk = [p for d in var_dirs for p in (d / "media").rglob("*") if p.is_file()]
    assert not on_disk, f"files on a node's disk: {on_disk}"
    log(f"bucket {BUCKET}: {len(keys)} objects, every document and certificate among them:")
    for key in keys:
        print(f"    s3://{BUCKET}/{key}", flush=True)


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the database and the folders")
    options = parser.parse_args()
    if not shutil.which("nginx"):
        print("nginx is required (Debian: apt-get install nginx)", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="coo-cluster-"))
    logs = root / "logs"
    logs.mkdir()
    keys_dir = root / "keys"
    nginx_port, s3_port = smoke.free_port(), smoke.free_port()
    node_ports = [smoke.free_port() for _ in NODES]
    base_url = f"http://localhost:{nginx_port}"
    base = smoke.stack_env(root, nginx_port)
    envs = {name: node_env(base, root / name, keys_dir, s3_port) for name in (*NODES, *WORKERS)}
    if smoke.ARTIFACTS.exists():
        shutil.rmtree(smoke.ARTIFACTS)
    processes = []
    ok = False
    try:
        log(f"folders under {root}; S3 (moto) on :{s3_port}")
        processes.append(
            smoke.start(
                "s3",
                [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
                base,
                logs,
            )
        )
        smoke.wait_until(lambda: port_open(s3_port), 30, "the S3 server", processes)
        # As the runbook says (docs/operations.md): private and versioned, or check --deploy
        # and /readyz refuse.
        smoke.manage(envs["web1"], logs, "create_bucket")
        log(f"bucket {BUCKET} created; preparing {DATABASE_URL} (migrate, seed, keys)")
        smoke.prepare(envs["web1"], root / "web1", logs)
        # The set-up's environment (prepare added the outside CA, the agencies' keys, the TSA),
        # kept for the checks below that read the database and the bucket themselves.
        setup = dict(envs["web1"])
        # The runbook's remaining set-up commands (docs/operations.md, 5 and 8), as written.
        smoke.manage(
            setup, logs, "create_platform_admin", "ops.admin", "--email", "ops@cluster.example",
            extra_env={"PLATFORM_ADMIN_PASSWORD": smoke.PASSWORD},
        )  # fmt: skip
        smoke.manage(
            setup, logs, "add_agency", "EIC", "Export Inspection Council",
            "--office", "VSK:EIA Visakhapatnam:Visakhapatnam",
        )  # fmt: skip
        # The processes and their environments are docker-compose.yml's (tests/e2e/compose.py):
        # its secrets and agency files made here, its host names pointed at this machine.
        local = compose_local(root, setup, base_url, s3_port)
        services = compose.resolved()["services"]
        for name in (*NODES, *WORKERS, "beat"):
            envs[name] = {**base, **compose.environment(services[name], local, name)}
            # Plain http behind this machine's nginx: no TLS to redirect to.
            envs[name]["SECURE_SSL_REDIRECT"] = "0"
        # The same collected static files on both nodes, as one image would carry them.
        shutil.copytree(root / "web1" / "static", root / "web2" / "static")
        access_format = 'ACCESS %(h)s fwd=%({x-forwarded-for}i)s "%(r)s" %(s)s'
        for name, port in zip(NODES, node_ports, strict=True):
            command = compose.command(services[name], local, name, port=port)
            # This machine's sizing and the access log the checks below read.
            command[command.index("--workers") + 1] = "1"
            command.append(f"--access-logformat={access_format}")
            processes.append(smoke.start(name, command, envs[name], logs))
        for name in (*WORKERS, "beat"):
            command = compose.command(services[name], local, name)
            processes.append(smoke.start(name, command, envs[name], logs))
        conf = nginx_conf(root / "nginx", nginx_port, node_ports)
        processes.append(
            smoke.start("nginx", ["nginx", "-p", str(root / "nginx"), "-c", str(conf)], base, logs)
        )
        for port in node_ports:
            smoke.wait_until(
                lambda p=port: smoke.http_ok(f"http://127.0.0.1:{p}/readyz"),
                90,
                f"node :{port}",
                processes,
            )
        smoke.wait_until(lambda: smoke.http_ok(f"{base_url}/readyz"), 30, "nginx", processes)
        for name in WORKERS:
            smoke.wait_until(
                lambda n=name: " ready." in (logs / f"{n}.log").read_text(), 90, name, processes
            )
        log(
            f"nginx on {base_url} -> nodes :{node_ports[0]} and :{node_ports[1]}; "
            f"two workers; walking the journey"
        )
        var_dirs = [root / name for name in (*NODES, *WORKERS)]
        result = smoke.run_browser(setup, root / "web1", base_url, outboxes=var_dirs)
        served = requests_by_node(logs)
        log(f"requests served: {served}; the last of each node's access log:")
        for node in NODES:
            lines = [x for x in (logs / f"{node}.log").read_text().splitlines() if ACCESS.match(x)]
            print(f"    {node}: {lines[-1] if lines else '(none)'}", flush=True)
        assert all(served.values()), f"a node served nothing: {served}"

        references = issue_more(EXTRA_CERTIFICATES)
        numbers = wait_for_certificates(references, 90)
        log(f"{len(numbers)} more certificates issued: {numbers[0]} ... {numbers[-1]}")
        done = issued_by_worker(logs)
        for worker, issued in done.items():
            log(f"{worker} issued {len(issued)}: {', '.join(issued)}")
        assert all(done.values()), f"a worker issued nothing: {done}"
        assert Counter(n for issued in done.values() for n in issued) == Counter(
            [result.certificate_number, *numbers]
        ), "the workers' logs and the register disagree"

        check_client_addresses(nginx_port, node_ports[0])
        check_observability(root, logs, node_ports)
        check_bucket(setup, var_dirs)
        ok = True
    except Exception:
        traceback.print_exc()
    finally:
        for process in reversed(processes):
            smoke.stop(process)
    elapsed = time.monotonic() - STARTED
    if ok:
        log(f"PASSED in {elapsed:.0f} s")
        if not options.keep:
            smoke.drop_database()
            shutil.rmtree(root, ignore_errors=True)
        return 0
    log(f"FAILED after {elapsed:.0f} s. Logs: {logs} (setup, s3, web1, web2, worker1, worker2,")
    log(f"nginx); nginx's access log in {root / 'nginx'}; the database {DATABASE_URL} is kept")
    return 1


if __name__ == "__main__":
    sys.exit(main())
