"""`make prod-smoke`: the whole journey against the production stack, on this machine.

Starts gunicorn (two workers) and a Celery worker with DEBUG=0 on PostgreSQL and Redis, with
static files collected (WhiteNoise's manifest storage), emails and SMS written to files under a
temporary VAR_DIR, then walks tests.e2e.journey in Chromium over plain http://localhost
(Chromium counts localhost as a secure context, so the Secure cookies of DEBUG=0 work).
The link and code come from the outbox files, the CAPTCHA answer from django-simple-captcha's
table, the officers' TOTP codes from their device keys. Issuance and notifications run on the
Celery worker, not in the web process.

    .venv/bin/python -m tests.e2e.prod_smoke [--keep]

Exits 0 when the journey passes; otherwise non-zero, and the logs stay in the printed folder.
Environment: SMOKE_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/coo_smoke; the
database is dropped and created afresh), SMOKE_REDIS_URL (default redis://127.0.0.1:6379/3;
that Redis database is flushed).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from deploy import staging_tsa

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "artifacts" / "prod-smoke"
DATABASE_URL = os.environ.get("SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coo_smoke")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/3")
PASSWORD = "Monsoon-Harbour-" + secrets.token_hex(4)
EXPORTER_IEC = "SMOKE1234S"
EXPORTER_EMAIL = "coo@smoke-exports.example"
EXPORTER_MOBILE = "9876501234"


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[prod-smoke +{time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# The stack
# ---------------------------------------------------------------------------------------------


def stack_env(var_dir: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing of a developer's own settings, and nothing of the test suite's.
        if not key.startswith(("SIGNING_", "EMAIL_", "SMS_", "S3_", "CELERY_", "CAPTCHA_"))
        and key not in {"TESTING", "DJANGO_SETTINGS_MODULE", "SECRET_KEY_FILE", "DATABASE_URL_FILE"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),  # never starts with "$"
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        ALLOWED_HOSTS="localhost,127.0.0.1",
        SITE_URL=f"http://localhost:{port}",
        SECURE_SSL_REDIRECT="0",  # plain http on this machine; no proxy in front
        # No real payment gateway here: the smoke run is a staging site by name.
        PAYMENT_GATEWAY="sandbox",
        PAYMENT_SANDBOX_ALLOWED_ON_STAGING="1",
        VAR_DIR=str(var_dir),
        CACHE_KEY_PREFIX="coo-smoke",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    # The journey's agency's credential key, made as an operator would (DEBUG=0 makes none).
    vc_key = var_dir / "secrets" / "eic-credential.pem"
    vc_key.parent.mkdir(parents=True, exist_ok=True)
    genpkey = ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    subprocess.run(  # noqa: S603 - openssl with fixed arguments
        [*genpkey, "-out", str(vc_key)],
        check=True,
        capture_output=True,
    )
    env["SIGNING_VC_KEY_EIC"] = str(vc_key)
    return env


def reset_database() -> None:
    import psycopg2

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            # The name is ours (SMOKE_DATABASE_URL), not user input; identifiers cannot be bound.
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def drop_database() -> None:
    import psycopg2

    parts = urlsplit(DATABASE_URL)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
    finally:
        connection.close()


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def manage(env: dict[str, str], logs: Path, *args: str, extra_env: dict | None = None) -> None:
    """Run a management command as the deployment would, its output appended to setup.log."""
    with (logs / "setup.log").open("a") as out:
        out.write(f"\n$ manage.py {' '.join(args)}\n")
        out.flush()
        completed = subprocess.run(  # noqa: S603 - the project's manage.py, our arguments
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**env, **(extra_env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if completed.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed; see {logs / 'setup.log'}")


def prepare(env: dict[str, str], var_dir: Path, logs: Path) -> None:
    reset_database()
    flush_redis()
    # DEBUG=0 signs only with keys made outside the portal (openssl here) and timestamps from
    # a TSA named by TSA_URL (openssl's, on 127.0.0.1).
    pki = var_dir / "pki"
    env.update(outside_ca(pki))
    env["TSA_URL"] = start_time_stamping_authority(pki)
    manage(env, logs, "check", "--deploy", "--fail-level", "ERROR")
    manage(env, logs, "collectstatic", "--noinput", "-v", "0")
    manage(env, logs, "migrate", "--noinput", "-v", "0")
    manage(env, logs, "seed_reference")
    # One PKCS#12 per seeded agency, given as SIGNING_P12_<AGENCY>; the check now knows them.
    env.update(outside_signing_keys(pki, agency_codes(), env["SITE_URL"]))
    manage(env, logs, "check", "--deploy", "--fail-level", "ERROR")
    registry = var_dir / "iec.csv"
    write_iec_registry(registry)
    manage(env, logs, "import_iec", str(registry))
    create_officers(env, logs)


def write_iec_registry(path: Path) -> None:
    """The IEC registry as DGFT would deliver it, with the journey's exporter, who registers
    against it."""
    path.write_text(
        "iec,firm_name,address,pan,email,mobile,status\n"
        f'{EXPORTER_IEC},Smoke Test Exports Pvt Ltd,"1 Marine Drive, Mumbai 400020",'
        f"AAACS1234K,{EXPORTER_EMAIL},+91{EXPORTER_MOBILE},active\n"
    )


def create_officers(env: dict[str, str], logs: Path) -> None:
    """The journey's officer and agency administrator (EIC, Mumbai), with PASSWORD."""
    officer_env = {"OFFICER_PASSWORD": PASSWORD}
    for username, first, last, admin in (
        ("smoke.officer", "Omkar", "Iyer", False),
        ("smoke.admin", "Anjali", "Desai", True),
    ):
        manage(
            env,
            logs,
            "create_officer",
            username,
            "--email",
            f"{username}@eic.example",
            "--agency",
            "EIC",
            "--office",
            "MUM",
            "--first-name",
            first,
            "--last-name",
            last,
            *(["--agency-admin"] if admin else []),
            extra_env=officer_env,
        )


def agency_codes() -> list[str]:
    import psycopg2

    connection = psycopg2.connect(DATABASE_URL)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT code FROM applications_issuingagency ORDER BY code")
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


OPENSSL_CA = """[ca]
default_ca = smoke
[smoke]
database = {d}/index.txt
crlnumber = {d}/crlnumber
certificate = {d}/ca.pem
private_key = {d}/ca-key.pem
default_md = sha256
default_crl_days = 7
"""
SIGNING_EXTENSIONS = """[signing]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:{crl_url}
"""


def openssl(*args: str, cwd: Path) -> None:
    executable = shutil.which("openssl") or "openssl"
    subprocess.run([executable, *args], cwd=cwd, check=True, capture_output=True)  # noqa: S603


def outside_ca(folder: Path) -> dict[str, str]:
    """What an agency's CA is, made with openssl: a root and its (empty) CRL."""
    folder.mkdir()
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "3650", "-subj",
        "/C=IN/O=Smoke Test CA/CN=Smoke Test Root CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    (folder / "index.txt").write_text("")
    (folder / "crlnumber").write_text("01\n")
    (folder / "ca.cnf").write_text(OPENSSL_CA.format(d=folder))
    openssl("ca", "-gencrl", "-config", "ca.cnf", "-out", "ca.crl", cwd=folder)
    return {
        "SIGNING_TRUST_ROOTS": str(folder / "ca.pem"),
        "SIGNING_EXTRA_CRLS": str(folder / "ca.crl"),
    }


def outside_signing_keys(folder: Path, codes: list[str], site_url: str) -> dict[str, str]:
    """What the CA hands each agency: a document-signing certificate (digitalSignature +
    nonRepudiation, no EKU, the portal's CRL address) with its key in a PKCS#12."""
    password = secrets.token_urlsafe(16)
    env = {}
    for code in codes:
        suffix = re.sub(r"[^A-Z0-9]", "_", code.upper())
        (folder / f"{code}.ext").write_text(
            SIGNING_EXTENSIONS.format(crl_url=f"{site_url}/pki/{code}.crl")
        )
        openssl(
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{code}.key", "-out", f"{code}.csr",
            "-subj", f"/C=IN/O={code}/CN={code} document signing",
            cwd=folder,
        )  # fmt: skip
        openssl(
            "x509", "-req", "-in", f"{code}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
            "-CAcreateserial", "-days", "365", "-sha256", "-extfile", f"{code}.ext",
            "-extensions", "signing", "-out", f"{code}.pem",
            cwd=folder,
        )  # fmt: skip
        openssl(
            "pkcs12", "-export", "-inkey", f"{code}.key", "-in", f"{code}.pem",
            "-certfile", "ca.pem", "-out", f"{code}.p12", "-passout", f"pass:{password}",
            cwd=folder,
        )  # fmt: skip
        env[f"SIGNING_P12_{suffix}"] = str(folder / f"{code}.p12")
        env[f"SIGNING_P12_PASSWORD_{suffix}"] = password
        env[f"SIGNING_CRL_{suffix}"] = str(folder / "ca.crl")
        # Each agency's credential key (check --deploy names an agency without one).
        openssl(
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", f"{code}-credential.pem",
            cwd=folder,
        )  # fmt: skip
        env[f"SIGNING_VC_KEY_{suffix}"] = str(folder / f"{code}-credential.pem")
    return env


TSA_EXTENSIONS = """[tsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def tsa_keys(folder: Path) -> None:
    """The TSA's key and certificate, issued by the same outside CA (tsa.key, tsa.pem)."""
    (folder / "tsa.ext").write_text(TSA_EXTENSIONS)
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/C=IN/O=Smoke Test CA/CN=Smoke TSA",
        cwd=folder,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
        "-CAcreateserial", "-days", "365", "-sha256", "-extfile", "tsa.ext",
        "-extensions", "tsa", "-out", "tsa.pem",
        cwd=folder,
    )  # fmt: skip


def start_time_stamping_authority(folder: Path) -> str:
    """The staging TSA of docker-compose.yml (deploy/staging_tsa.py) on 127.0.0.1, with a
    certificate of the same outside CA; returns its URL (TSA_URL). It runs in a thread of this
    process."""
    import threading

    tsa_keys(folder)
    server = staging_tsa.make_server(folder, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


def start(name: str, command: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen:
    # A session (process group) of its own, so that stopping it stops its workers too. The
    # process writes its log through its own copy of the descriptor; ours is closed at once.
    with (logs / f"{name}.log").open("w") as out:
        return subprocess.Popen(  # noqa: S603 - gunicorn and celery from the venv
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def wait_until(probe, seconds: float, what: str, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{what}: a process exited early ({process.args[0]})")
        if probe():
            return
        time.sleep(0.25)
    raise RuntimeError(f"Waited {seconds:.0f} s for {what}")


def http_ok(url: str) -> bool:
    try:
        # Our own server on localhost.
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# What the journey reads: outbox files, the CAPTCHA table, TOTP keys (Django set up in-process)
# ---------------------------------------------------------------------------------------------


def mail_reader(*folders: Path):
    """Django's file email backend appends each message to a .log file, separated by a line of
    79 dashes. Several folders: one outbox per process of a cluster."""

    def read(address: str) -> list[str]:
        bodies = []
        paths = [path for folder in folders for path in folder.glob("*.log")]
        for path in sorted(paths, key=lambda p: p.stat().st_mtime):
            for chunk in path.read_bytes().split(b"-" * 79):
                if not chunk.strip():
                    continue
                message = email.message_from_bytes(chunk.lstrip(), policy=email.policy.default)
                if address in str(message.get("To", "")):
                    body = message.get_body(preferencelist=("plain",))
                    bodies.append(body.get_content() if body else "")
        return bodies

    return read


def sms_reader(*folders: Path):
    def read(mobile: str) -> list[str]:
        bodies = []
        paths = [path for folder in folders for path in folder.glob("*.txt")]
        for path in sorted(paths, key=lambda p: p.name):
            head, _, body = path.read_text().partition("\n\n")
            if head.removeprefix("To: ").strip().endswith(mobile):
                bodies.append(body)
        return bodies

    return read


def captcha_answer(page) -> str:
    from captcha.models import CaptchaStore

    hashkey = page.locator("input[name='captcha_0']").input_value()
    return CaptchaStore.objects.get(hashkey=hashkey).response


def run_browser(
    env: dict[str, str], var_dir: Path, base_url: str, *, outboxes: list[Path] | None = None
):
    """The journey in Chromium; emails and SMS are read from the VAR_DIRs in `outboxes`
    (default: var_dir). Returns the journey's result; Django stays set up in this process."""
    outboxes = outboxes or [var_dir]
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "coo_portal.settings"
    # Playwright's sync API keeps an event loop in this thread; the ORM reads beside it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    from certificates.models import Certificate
    from certificates.services import verify_url_for
    from certificates.validation import check_signed_pdf
    from tests.browser import watch_failures
    from tests.e2e.journey import Exporter, Officer, run_journey, totp_now

    assert not settings.DEBUG
    assert not settings.CELERY_TASK_ALWAYS_EAGER, "tasks must go to the worker"

    def screenshot(page, step: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{step}.png"), full_page=True)

    def register_url(number: str) -> str:
        certificate = Certificate.objects.get(number=number)
        return verify_url_for(number=number, code=certificate.verification_code)

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    work_dir = var_dir / "browser"
    work_dir.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        try:
            context = browser.new_context(
                base_url=base_url, viewport={"width": 1280, "height": 900}, accept_downloads=True
            )
            page = context.new_page()
            failures = watch_failures(page)
            result = run_journey(
                page,
                base_url,
                exporter=Exporter(EXPORTER_IEC, EXPORTER_EMAIL, EXPORTER_MOBILE, PASSWORD),
                officer=Officer("smoke.officer", PASSWORD, lambda: totp_now("smoke.officer")),
                admin=Officer("smoke.admin", PASSWORD, lambda: totp_now("smoke.admin")),
                read_email=mail_reader(*(folder / "mail" for folder in outboxes)),
                read_sms=sms_reader(*(folder / "sms" for folder in outboxes)),
                read_captcha=captcha_answer,
                screenshot=screenshot,
                check_pdf=check_signed_pdf,
                register_url=register_url,
                work_dir=work_dir,
                wait_seconds=60,
                log=log,
            )
            failures = [f for f in failures if "favicon" not in f]
            assert not failures, f"failed requests in the exporter's browser: {failures}"
            check_long_term_signature(result.certificate_number)
            log(
                f"certificate {result.certificate_number} for {result.reference}; "
                f"QR link read from the {result.qr_from}"
            )
        finally:
            browser.close()
    from django.db import connections

    connections.close_all()
    return result


def check_long_term_signature(number: str) -> None:
    """The worker signed with the openssl-made key, timestamped by the openssl TSA, and
    embedded the CA's CRL (B-LT) in a certification signature."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation import DocumentSecurityStore

    from certificates.models import Certificate
    from certificates.validation import signature_timestamp

    with Certificate.objects.get(number=number).pdf.open("rb") as stored:
        reader = PdfFileReader(io.BytesIO(stored.read()))
    signature = reader.embedded_signatures[0]
    timestamp = signature_timestamp(signature)
    assert timestamp is not None, "the signature carries no timestamp"
    assert signature.docmdp_level == MDPPerm.NO_CHANGES
    assert "document signing" in signature.signer_cert.subject.human_friendly
    assert DocumentSecurityStore.read_dss(reader).crls, "no CRL in the DSS"
    log(f"signed by {signature.signer_cert.subject.human_friendly}, timestamped {timestamp}")


def check_worker_did_the_work(logs: Path) -> None:
    worker_log = (logs / "celery.log").read_text()
    for task in ("certificates.issue_certificate", "accounts.send_email", "accounts.send_sms"):
        pattern = rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded"
        assert re.search(pattern, worker_log), f"the Celery worker ran no {task} successfully"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the database and VAR_DIR")
    options = parser.parse_args()
    started = time.monotonic()
    var_dir = Path(tempfile.mkdtemp(prefix="coo-smoke-"))
    logs = var_dir / "logs"
    logs.mkdir()
    port = free_port()
    base_url = f"http://localhost:{port}"
    env = stack_env(var_dir, port)
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    processes: list[subprocess.Popen] = []
    ok = False
    try:
        log(f"VAR_DIR {var_dir}; preparing {DATABASE_URL} (collectstatic, migrate, seed)")
        prepare(env, var_dir, logs)
        gunicorn = start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "coo_portal.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=2",
                "--timeout=60",
                "--access-logfile=-",
            ],
            env,
            logs,
        )
        processes.append(gunicorn)
        celery = start(
            "celery",
            [
                str(BIN / "celery"),
                "-A",
                "coo_portal",
                "worker",
                "-B",  # beat embedded: the outbox drain and the issuance sweep
                f"--schedule={logs / 'celerybeat-schedule'}",
                "--loglevel=INFO",
                "--queues=coo",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
            ],
            env,
            logs,
        )
        processes.append(celery)
        # Ready once the worker and beat have written their heartbeats (coo_portal/heartbeat.py).
        wait_until(lambda: http_ok(f"{base_url}/readyz"), 90, "gunicorn /readyz", processes)
        wait_until(
            lambda: " ready." in (logs / "celery.log").read_text(), 60, "the worker", processes
        )
        log(f"gunicorn (2 workers) on {base_url} and a Celery worker are up; walking the journey")
        run_browser(env, var_dir, base_url)
        check_worker_did_the_work(logs)
        ok = True
    except Exception:
        traceback.print_exc()
    finally:
        for process in reversed(processes):
            stop(process)
    elapsed = time.monotonic() - started
    if ok:
        log(f"PASSED in {elapsed:.0f} s; screenshots in {ARTIFACTS}")
        if not options.keep:
            drop_database()
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            log(f"kept {var_dir} and {DATABASE_URL}")
        return 0
    log(f"FAILED after {elapsed:.0f} s. Logs: {logs} (setup.log, gunicorn.log, celery.log);")
    log(f"outboxes in {var_dir / 'mail'} and {var_dir / 'sms'}; screenshots in {ARTIFACTS}")
    log(f"the database {DATABASE_URL} is kept for inspection")
    return 1


if __name__ == "__main__":
    sys.exit(main())
