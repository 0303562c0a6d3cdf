"""docker-compose.yml as data, for the tests and `make prod-cluster`: each service's command and
environment as shipped (resolved by `docker-compose config` with deploy/staging.env), and the
same made runnable on one machine without containers.

Only what cannot exist outside the containers is changed: files under /run/secrets and
/run/agencies become files in a local folder, the other services' host names become local
addresses, the executables come from the virtualenv, and a web node binds a loopback port.
Everything else (every setting, every flag) is the compose file's."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV_FILE = ROOT / "deploy" / "staging.env"
# The services that run the portal's image, and the processes `make prod-cluster` starts.
APP_SERVICES = ("migrate", "web1", "web2", "worker1", "worker2", "beat")


@dataclass(frozen=True)
class Local:
    """Where the containers' outside world is on this machine."""

    secrets: Path  # one file per compose secret, named as the secret
    agencies: Path  # what secrets/agencies/ holds
    var_dir: Path
    redis_url: str
    s3_endpoint: str
    tsa_url: str
    site_url: str
    allowed_hosts: str


def resolved() -> dict:
    """`docker-compose config` of docker-compose.yml with deploy/staging.env."""
    compose = shutil.which("docker-compose")
    if compose is None:
        raise RuntimeError("docker-compose is required (apt-get install docker-compose)")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [compose, "--env-file", str(ENV_FILE), "-f", "docker-compose.yml", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return yaml.safe_load(result.stdout)


def environment(service: dict, local: Local, name: str) -> dict[str, str]:
    env = {
        key: "" if value is None else str(value) for key, value in service["environment"].items()
    }
    for key, value in env.items():
        if value.startswith("/run/secrets/"):
            env[key] = str(local.secrets / value.removeprefix("/run/secrets/"))
        elif value.startswith("/run/agencies/"):
            env[key] = str(local.agencies / value.removeprefix("/run/agencies/"))
    env.update(
        REDIS_URL=local.redis_url,
        S3_ENDPOINT_URL=local.s3_endpoint,
        TSA_URL=local.tsa_url,
        SITE_URL=local.site_url,
        ALLOWED_HOSTS=local.allowed_hosts,
        # The proxy and the scraper are on loopback here, not on the compose network.
        TRUSTED_PROXIES="127.0.0.1",
        METRICS_ALLOWED_NETWORKS="127.0.0.1/32",
        VAR_DIR=str(local.var_dir / name),
    )
    (local.var_dir / name).mkdir(parents=True, exist_ok=True)
    if "PROMETHEUS_MULTIPROC_DIR" in env:  # a tmpfs in the container
        folder = local.var_dir / name / "prometheus"
        folder.mkdir(parents=True, exist_ok=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return env


def command(service: dict, local: Local, name: str, *, port: int | None = None) -> list[str]:
    """The service's command with the virtualenv's executables; a web node binds `port`."""
    args = list(service["command"])
    if args[0] in {"gunicorn", "celery"}:
        args[0] = str(BIN / args[0])
    elif args[0] == "python":
        args[0] = sys.executable
    if "--bind" in args:
        args[args.index("--bind") + 1] = f"127.0.0.1:{port}"
    schedule = "--schedule=/tmp/celerybeat-schedule"
    if schedule in args:
        args[args.index(schedule)] = f"--schedule={local.var_dir / name / 'celerybeat-schedule'}"
    return args
