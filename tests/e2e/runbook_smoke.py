"""`make runbook-smoke`: docs/operations.md followed on this machine, without Docker, to a
certificate issued and verified.

Runs every `run` block of the runbook (tests/e2e/runbook.py), in order, each in a fresh bash
as an operator would type it, on a PostgreSQL database, a Redis database and an S3 bucket of
its own; its `systemctl` starts the units the runbook installed (deploy/systemd/) as systemd
would, with their EnvironmentFile, Environment=, WorkingDirectory and ExecStart. Where the
runbook says to walk the journey, it walks prod-smoke's Chromium journey (tests.e2e.journey)
against the web unit, to a certificate issued by the worker unit and verified; then it runs the
blocks after that point.

What this machine changes, and nothing else:
- the settings block's names get this run's values (its database, Redis database, S3 server,
  TSA, site address, IEC file: SETTINGS below), and the password prompts are answered from
  PLATFORM_ADMIN_PASSWORD and OFFICER_PASSWORD, as the runbook allows;
- the host's fixed paths and ports (/srv/coo, /etc/coo, /var/lib/coo, /etc/systemd/system,
  /backups, 127.0.0.1:8000, 127.0.0.1:3180) become this checkout, folders of a temporary
  directory and free ports, in the blocks and in the installed units alike (SUBSTITUTIONS);
- the S3-compatible store is moto's server (as in `make prod-cluster`), not MinIO;
- the units run as this user, not `coo` (User=, and the ProtectSystem= sandbox, are not
  applied), and SECURE_SSL_REDIRECT=0 is added to their environment: Chromium talks to
  gunicorn on plain http://localhost, with no TLS proxy in front;
- the journey's exporter is in the IEC file, and its officer and agency administrator are made
  with create_officer before it (prod-smoke's own accounts: the journey knows their names).

    .venv/bin/python -m tests.e2e.runbook_smoke [--keep]

Environment: RUNBOOK_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/coo_runbook_smoke:
the runbook creates that database and a role of the same name, with the superuser of the URL;
both are dropped before and after), RUNBOOK_REDIS_URL (default redis://127.0.0.1:6379/5; that
Redis database is flushed)."""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DATABASE_URL = os.environ.get(
    "RUNBOOK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coo_runbook_smoke"
)
REDIS_URL = os.environ.get("RUNBOOK_REDIS_URL", "redis://127.0.0.1:6379/5")
# prod_smoke's helpers (database drop, Redis flush, the journey) read these when imported.
os.environ["SMOKE_DATABASE_URL"] = DATABASE_URL
os.environ["SMOKE_REDIS_URL"] = REDIS_URL

from tests.e2e import prod_smoke as smoke  # noqa: E402 - after the two variables above
from tests.e2e.runbook import Block, runbook_blocks  # noqa: E402

ROOT = smoke.ROOT
BIN = smoke.BIN
STATE = "RUNBOOK_SMOKE_STATE"  # the systemctl stand-in finds this run's state.json here
# Added to every unit's environment: no TLS proxy on this machine (see the docstring).
UNIT_OVERRIDES = {"SECURE_SSL_REDIRECT": "0"}

STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[runbook-smoke +{time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


smoke.log = log


# ---------------------------------------------------------------------------------------------
# This machine as the runbook's host
# ---------------------------------------------------------------------------------------------


def database_parts() -> tuple[str, str, str]:
    """The superuser's URL (to the postgres database), host:port, and the database's name."""
    parts = urlsplit(DATABASE_URL)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, f"{parts.hostname}:{parts.port or 5432}", parts.path.lstrip("/")


def settings(root: Path, ports: dict[str, int]) -> dict[str, str]:
    """This run's value for each name of the runbook's settings block."""
    admin, host, name = database_parts()
    s3_secret = root / "s3-secret-key"
    s3_secret.write_text(secrets.token_urlsafe(30) + "\n")  # moto takes any
    iec_file = root / "iec.csv"
    smoke.write_iec_registry(iec_file)
    return {
        "SITE_URL": f"http://localhost:{ports['web']}",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "PG_ADMIN_URL": admin,
        "DB_HOST": host,
        "DB_NAME": name,
        "DB_USER": name,
        "REDIS_URL": REDIS_URL,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{ports['s3']}",
        "S3_ACCESS_KEY_ID": "runbook",
        "S3_SECRET_KEY_FROM": str(s3_secret),
        "TSA_URL": f"http://127.0.0.1:{ports['tsa']}/",
        "EMAIL_URL": "",
        "SMS_BACKEND": "accounts.sms.FileSMSBackend",
        "PAYMENT_GATEWAY": "sandbox",
        "IEC_FILE": str(iec_file),
    }


def substitutions(root: Path, ports: dict[str, int]) -> dict[str, str]:
    """The host's fixed paths and ports, and where they are on this machine."""
    return {
        "/srv/coo": str(ROOT),
        "/etc/coo": str(root / "etc-coo"),
        "/var/lib/coo": str(root / "var-lib-coo"),
        "/etc/systemd/system": str(root / "etc-systemd-system"),
        "/backups": str(root / "backups"),
        "127.0.0.1:8000": f"127.0.0.1:{ports['web']}",
        "127.0.0.1:3180": f"127.0.0.1:{ports['tsa']}",
    }


def substitute(text: str, table: dict[str, str]) -> str:
    # One pass, longest first, so that a replacement is never replaced again.
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return pattern.sub(lambda m: table[m.group(0)], text)


def port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def reset() -> None:
    """No database, role or Redis keys of an earlier run: the runbook creates them."""
    import psycopg2

    admin, _, name = database_parts()
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            # The name is ours (RUNBOOK_DATABASE_URL); identifiers cannot be bound.
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        connection.close()
    smoke.flush_redis()


# ---------------------------------------------------------------------------------------------
# The runbook's blocks
# ---------------------------------------------------------------------------------------------


def check_settings(blocks: list[Block], values: dict[str, str]) -> None:
    (block,) = [b for b in blocks if b.kind == "settings"]
    if block.names != list(values):
        raise RuntimeError(
            f"docs/operations.md:{block.line}: the settings block sets {block.names}; "
            f"this smoke gives values for {list(values)}"
        )


def run_block(block: Block, root: Path, env: dict[str, str], table: dict[str, str]) -> None:
    script = root / "blocks" / f"line-{block.line}.sh"
    script.parent.mkdir(exist_ok=True)
    # Each command traced into the log with the seconds since the block began.
    header = "PS4='+ [${SECONDS}s] '\nset -eo pipefail -x\n"
    script.write_text(header + substitute(block.text, table))
    started = time.monotonic()
    with (root / "logs" / "runbook.log").open("a") as out:
        out.write(f"\n=== docs/operations.md:{block.line} ({block.section})\n")
        out.flush()
        completed = subprocess.run(  # noqa: S603 - the runbook's own block, as a file
            [shutil.which("bash") or "/bin/bash", str(script)],
            cwd=root / "home",
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
    if completed.returncode:
        raise RuntimeError(
            f"docs/operations.md:{block.line} ({block.section}) failed with exit status "
            f"{completed.returncode}; see {root / 'logs' / 'runbook.log'}"
        )
    took = time.monotonic() - started
    log(f"ran docs/operations.md:{block.line} ({block.section}) in {took:.0f} s")


def shell_env(root: Path, values: dict[str, str]) -> dict[str, str]:
    """An operator's fresh shell with the settings set, and the answers to the password
    prompts; `systemctl` is this script's stand-in."""
    return {
        "PATH": f"{root / 'shim'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(root / "home"),
        "LANG": "C.UTF-8",
        STATE: str(root / "state.json"),
        "PLATFORM_ADMIN_PASSWORD": smoke.PASSWORD,
        "OFFICER_PASSWORD": smoke.PASSWORD,
        **values,
    }


def install_systemctl(root: Path) -> None:
    shim = root / "shim" / "systemctl"
    shim.parent.mkdir()
    shim.write_text(
        "#!/bin/sh\n"
        f"cd {shlex.quote(str(ROOT))} && exec {shlex.quote(sys.executable)} "
        '-m tests.e2e.runbook_smoke systemctl "$@"\n'
    )
    shim.chmod(0o755)


# ---------------------------------------------------------------------------------------------
# systemctl, as far as the runbook uses it: the units' processes on this machine
# ---------------------------------------------------------------------------------------------


def read_state() -> dict:
    return json.loads(Path(os.environ[STATE]).read_text())


def unit_file(name: str, state: dict) -> tuple[Path, str]:
    """The installed unit file of `name` (coo-web, coo-worker@1) and its instance."""
    stem, _, instance = name.removesuffix(".service").partition("@")
    folder = Path(state["table"]["/etc/systemd/system"])
    path = folder / (f"{stem}@.service" if instance else f"{stem}.service")
    if not path.exists():
        raise SystemExit(f"Unit {name}.service not found (not in {folder}).")
    return path, instance


def specifiers(value: str, instance: str) -> str:
    def expand(match: re.Match[str]) -> str:
        if match.group(1) == "i":
            return instance
        if match.group(1) == "%":
            return "%"
        raise SystemExit(f"specifier %{match.group(1)} is not known to this stand-in")

    return re.sub(r"%(.)", expand, value)


def environment_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile=: KEY=VALUE lines, # comments, quotes around a value."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def unit_process(name: str, state: dict) -> tuple[list[str], dict[str, str], Path]:
    """The unit's command, environment and working directory, as systemd would start it."""
    path, instance = unit_file(name, state)
    table = state["table"]
    service: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            service.setdefault(key, []).append(specifiers(value, instance))
    run_dirs = {}
    for folder in " ".join(service.get("RuntimeDirectory", [])).split():
        local = Path(state["root"]) / "run" / folder
        local.mkdir(parents=True, exist_ok=True)
        run_dirs[f"/run/{folder}"] = str(local)
    table = {**table, **run_dirs}
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    env["HOME"] = substitute("/srv/coo", table)  # the coo user's home (section 0)
    for file in service.get("EnvironmentFile", []):
        env.update(environment_file(Path(substitute(file, table))))
    for assignment in service.get("Environment", []):
        for item in shlex.split(assignment):
            key, _, value = item.partition("=")
            env[key] = substitute(value, table)
    env.update(UNIT_OVERRIDES)
    (command,) = service["ExecStart"]
    cwd = Path(substitute(service.get("WorkingDirectory", ["/"])[0], table))
    return shlex.split(substitute(command, table)), env, cwd


def pid_file(name: str, state: dict) -> Path:
    return Path(state["root"]) / "units" / f"{name}.pid"


def unit_start(name: str, state: dict) -> None:
    if pid_file(name, state).exists() and alive(int(pid_file(name, state).read_text())):
        return
    command, env, cwd = unit_process(name, state)
    with (Path(state["root"]) / "logs" / f"{name}.log").open("a") as log_file:
        process = subprocess.Popen(  # noqa: S603 - the unit's ExecStart
            command, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    pid_file(name, state).parent.mkdir(exist_ok=True)
    pid_file(name, state).write_text(str(process.pid))
    print(f"started {name} (pid {process.pid}): {' '.join(command)}")


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent that is not this process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def unit_stop(name: str, state: dict, *, seconds: float = 30) -> None:
    path = pid_file(name, state)
    if not path.exists():
        return
    pid = int(path.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)  # its session: gunicorn's and celery's children too
        deadline = time.monotonic() + seconds
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if alive(pid):
            os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    path.unlink()


def systemctl(args: list[str]) -> int:
    state = read_state()
    if not args:
        raise SystemExit("systemctl: no command")
    verb, rest = args[0], [a for a in args[1:] if not a.startswith("-")]
    if verb == "daemon-reload":
        return 0
    if verb == "enable" and "--now" not in args:
        return 0  # started at the next boot: nothing to do now
    if verb in {"enable", "start"}:
        for name in rest:
            unit_start(name, state)
    elif verb == "restart":
        for name in rest:
            unit_stop(name, state)
            unit_start(name, state)
    elif verb in {"stop", "disable"}:
        for name in rest:
            unit_stop(name, state)
    else:
        raise SystemExit(f"systemctl {verb}: not known to this stand-in")
    return 0


def stop_every_unit(root: Path) -> None:
    state = json.loads((root / "state.json").read_text())
    for path in sorted((root / "units").glob("*.pid")):
        unit_stop(path.stem, state, seconds=15)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def walk_the_journey(root: Path, table: dict[str, str], logs: Path) -> None:
    """prod-smoke's journey against the web unit, with the units' own environment."""
    state = json.loads((root / "state.json").read_text())
    _, env, _ = unit_process("coo-web", state)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the web unit's own folder, not this process's
    smoke.create_officers(env, logs)
    var_dir = Path(substitute("/var/lib/coo", table))
    result = smoke.run_browser(env, var_dir, env["SITE_URL"])
    log(f"the journey passed: {result.certificate_number} issued and verified")
    worker_log = (logs / "coo-worker@1.log").read_text()
    assert "certificates.issue_certificate" in worker_log, "the worker unit issued nothing"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the database and the folders")
    options = parser.parse_args()
    blocks = runbook_blocks()
    root = Path(tempfile.mkdtemp(prefix="coo-runbook-"))
    logs = root / "logs"
    for folder in ("logs", "home", "units"):
        (root / folder).mkdir()
    ports = {name: smoke.free_port() for name in ("web", "tsa", "s3")}
    table = substitutions(root, ports)
    # What the runbook's not-run block of section 0 makes as root: the portal's folders.
    for path in ("/etc/coo", "/var/lib/coo", "/backups", "/etc/systemd/system"):
        Path(table[path]).mkdir(mode=0o700)
    (root / "state.json").write_text(json.dumps({"root": str(root), "table": table}))
    install_systemctl(root)
    values = settings(root, ports)
    check_settings(blocks, values)
    env = shell_env(root, values)
    s3 = None
    ok = False
    try:
        reset()
        # The S3-compatible store the runbook's settings point at: moto's, as prod-cluster's.
        moto = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(ports["s3"])]
        s3 = smoke.start("s3", moto, {"PATH": os.environ["PATH"]}, logs)
        smoke.wait_until(lambda: port_open(ports["s3"]), 30, "the S3 server", [s3])
        log(f"folders under {root}; S3 (moto) on :{ports['s3']}; running docs/operations.md")
        ran = []
        for block in blocks:
            if block.kind == "run":
                run_block(block, root, env, table)
                ran.append(block.line)
            elif block.kind == "journey":
                walk_the_journey(root, table, logs)
                ran.append(block.line)
        expected = [b.line for b in blocks if b.kind in {"run", "journey"}]
        assert ran == expected, f"blocks not run: {sorted(set(expected) - set(ran))}"
        skipped = [f"{b.line} ({b.kind})" for b in blocks if b.kind not in {"run", "journey"}]
        log(f"ran {len(ran) - 1} blocks and the journey; not run: {', '.join(skipped)}")
        ok = True
    except Exception:
        traceback.print_exc()
    finally:
        stop_every_unit(root)
        if s3 is not None:
            smoke.stop(s3)
    elapsed = time.monotonic() - STARTED
    # The figures to judge the duration by on a shared machine: the load, and the CPU time of
    # this process and the commands it waited for (not the units': they are not its children).
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in used)
    log(f"load average {os.getloadavg()[0]:.1f}; CPU {cpu:.0f} s in the commands and the journey")
    if ok:
        log(f"PASSED in {elapsed:.0f} s")
        if not options.keep:
            reset()
            shutil.rmtree(root, ignore_errors=True)
        return 0
    log(f"FAILED after {elapsed:.0f} s. Logs: {logs} (runbook.log: every block as it ran;")
    log("one log per unit); the blocks as run in blocks/; the database is kept")
    return 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["systemctl"]:
        sys.exit(systemctl(sys.argv[2:]))
    sys.exit(main())
