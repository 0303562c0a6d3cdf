"""Issue 27: docs/operations.md is what CI runs. Every management command the runbook tells an
operator to run is run, in the runbook's order, by `make prod-cluster` (its own set-up, the
shared set-up of prod-smoke, and the compose file's migrate service), and every service the
runbook names is in docker-compose.yml."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = (ROOT / "docs" / "operations.md").read_text()


def runbook_commands() -> list[str]:
    """`manage.py <command>` in the runbook's code and prose, in the order it names them."""
    found = []
    for name in re.findall(r"manage\.py (\w+)", RUNBOOK):
        if name not in found:
            found.append(name)
    return found


def ci_commands() -> str:
    """What prod-cluster runs, as text: its script, prod-smoke's set-up, compose's migrate."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    migrate = " ".join(compose["services"]["migrate"]["command"])
    smoke = (ROOT / "tests" / "e2e" / "prod_smoke.py").read_text()
    cluster = (ROOT / "tests" / "e2e" / "prod_cluster.py").read_text()
    return "\n".join([cluster, smoke, migrate])


def test_every_command_of_the_runbook_is_run_by_ci():
    commands = runbook_commands()
    assert commands[:4] == ["create_bucket", "migrate", "seed_reference", "check"]
    assert {"create_platform_admin", "create_officer", "add_agency"} <= set(commands)
    ci = ci_commands()
    for name in commands:
        assert re.search(rf"manage\.py {name}\b|\"{name}\"", ci), f"CI never runs {name}"


def test_the_migrate_service_runs_the_set_up_in_the_runbooks_order():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    migrate = " ".join(compose["services"]["migrate"]["command"])
    ran = re.findall(r"manage\.py (\w+)", migrate)
    assert ran == runbook_commands()[:4]


def test_the_services_the_runbook_names_are_in_the_compose_file():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("postgres", "redis", "s3", "migrate", "web1", "web2", "worker1", "worker2"):
        assert name in services
        assert name in RUNBOOK
    for name in ("beat", "tsa"):
        assert f"`{name}`" in RUNBOOK
        assert name in services
    for unit in ("coo-web.service", "coo-worker@.service", "coo-beat.service"):
        assert (ROOT / "deploy" / "systemd" / unit).exists()
        assert "Restart=always" in (ROOT / "deploy" / "systemd" / unit).read_text()
    for name, service in services.items():
        if name not in {"migrate"}:
            assert service.get("restart") == "unless-stopped", f"{name} is not supervised"
