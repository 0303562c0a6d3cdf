from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_database_when_it_is_unreachable(client):
    # The driver is the edge here: make the connection fail as an unreachable server does.
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("could not connect to server")
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["failing"] == ["database"]
    assert response.json()["checks"]["database"] == "unreachable"


@pytest.mark.django_db
def test_readyz_reports_redis_when_it_is_configured_but_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "unreachable"
    assert "127.0.0.1:1" not in response.content.decode()


@pytest.mark.django_db
def test_landing_page_says_what_the_service_does_and_links_onwards(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Apply for, issue and verify Certificates of Origin" in html
    for name in ("/accounts/login/", "/accounts/register/", "/verify/"):
        assert f'href="{name}"' in html
    assert 'href="#main"' in html  # skip link


# ---------------------------------------------------------------------------------------------
# With DEBUG=0: plain http, a Host that is not the portal's (a container's own health check)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def production_like(settings):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["coo.example.gov.in"]


@pytest.mark.django_db
@pytest.mark.usefixtures("production_like")
@pytest.mark.parametrize(
    ("path", "body"), [("/healthz", b"ok\n"), ("/readyz", b'{"status": "ready"')]
)
def test_health_checks_answer_200_over_plain_http_with_the_containers_own_host(client, path, body):
    response = client.get(path, HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.content.startswith(body)
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
@pytest.mark.usefixtures("production_like")
def test_every_other_path_still_meets_host_validation_and_the_ssl_redirect(client):
    assert client.get("/verify/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    redirect = client.get("/verify/", HTTP_HOST="coo.example.gov.in")
    assert redirect.status_code == 301
    assert redirect["Location"] == "https://coo.example.gov.in/verify/"
    # A health path with anything after it is not a health check.
    assert client.get("/healthz/x", HTTP_HOST="127.0.0.1:8000").status_code == 400


@pytest.mark.django_db
@pytest.mark.usefixtures("production_like")
def test_only_a_get_is_answered_before_the_ordinary_checks(client):
    assert client.post("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.post("/healthz", HTTP_HOST="coo.example.gov.in").status_code == 301
