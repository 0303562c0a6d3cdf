"""bench/urls.py's reference page (issue 17): served only by the bench's settings."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import Resolver404, resolve

from tests.verification.factories import CertificateFactory

pytestmark = pytest.mark.django_db


def test_the_portal_does_not_serve_the_reference_page(client):
    for path in ("/bench/one-query/", "/bench/trivial/"):
        with pytest.raises(Resolver404):
            resolve(path)
    assert client.get("/bench/one-query/", {"number": "X"}).status_code == 404
    assert client.get("/bench/trivial/").status_code == 404


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_trivial_view_goes_through_the_middleware_without_a_query(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/bench/trivial/")
    assert response.status_code == 200
    assert response.content == b"ok"
    # The security middleware ran (a /healthz answer carries none of its headers).
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_reference_page_is_one_query_in_the_site_layout(client, django_assert_num_queries):
    certificate = CertificateFactory()
    with django_assert_num_queries(1):
        response = client.get("/bench/one-query/", {"number": certificate.number})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Certificate {certificate.number}" in html
    assert "Status: valid" in html
    assert 'class="site-header"' in html  # base.html's layout
