"""Acceptance 4 (issue 19) and finding 9 (issue 18): every health check that
docker-compose.yml, the Dockerfile and deploy/nginx.conf call answers 200 with DEBUG=0.
(test_compose.py runs `docker-compose config -q`.)"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"http://127\.0\.0\.1(?::\d+)?/[\w/]*")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def health_urls() -> list[str]:
    found = []
    for name, service in compose()["services"].items():
        test = " ".join(service.get("healthcheck", {}).get("test", []))
        found += [(name, url) for url in URL.findall(test)]
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        found += [("Dockerfile", url) for url in URL.findall(line)]
    return found


def test_compose_runs_the_cluster_topology():
    services = compose()["services"]
    for name in ("proxy", "web1", "web2", "worker1", "worker2", "postgres", "redis", "s3"):
        assert name in services, f"docker-compose.yml has no {name}"
        assert "healthcheck" in services[name], f"{name} has no health check"
    web = services["web1"]["environment"]
    proxy = services["proxy"]["networks"]["portal"]["ipv4_address"]
    assert web["TRUSTED_PROXIES"] == proxy
    assert web["S3_ENDPOINT_URL"].endswith("//s3:9000}")


def test_the_health_checks_are_found():
    names = {name for name, _ in health_urls()}
    assert {"web1", "web2", "proxy", "Dockerfile"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("where", "url"), health_urls())
def test_every_health_check_answers_200_with_debug_off(client, settings, where, url):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["coo.example.gov.in"]
    parts = urlsplit(url)
    # The proxy's check reaches a node with nginx's upstream name as the Host.
    host = "portal" if where == "proxy" else parts.netloc
    response = client.get(parts.path, HTTP_HOST=host)
    assert response.status_code == 200, f"{where}: {url} answered {response.status_code}"
