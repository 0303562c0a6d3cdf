"""Issue 18, finding 4: a body too large for its URL is refused from its Content-Length, before
any of it is read (so nothing is spooled to memory or disk).

The 300 MiB body is a stream that produces bytes only when read and counts what was read: it is
never allocated, and the test shows that none of it was read.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.clients import exporter_client

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024
BOUNDARY = "----hostile"


class EndlessBody:
    """A request body of `size` bytes, made as it is read (wsgi.input)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_so_far = 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.read_so_far
        n = left if n is None or n < 0 else min(n, left)
        n = min(n, MiB)  # at most a MiB a call, however much is asked for
        self.read_so_far += n
        return b"x" * n

    def readline(self, limit: int = -1) -> bytes:
        return self.read(min(limit, 64 * 1024) if limit and limit > 0 else 64 * 1024)


def post_body(client, url: str, body: EndlessBody, **extra):
    return client.generic(
        "POST",
        url,
        b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
        **extra,
    )


@pytest.fixture
def draft(alice, eic_mumbai):
    return factories.ApplicationFactory(exporter=alice, office=eic_mumbai)


def test_a_300_mib_anonymous_upload_is_refused_unread(client):
    body = EndlessBody(300 * MiB)
    response = post_body(client, reverse("verification:document"), body)

    assert response.status_code == 413
    assert "at most 10.0\xa0MB" in response.content.decode()
    assert body.read_so_far == 0  # refused from its Content-Length: no time spent reading


def test_a_300_mib_document_upload_by_an_exporter_is_refused_unread(alice, draft):
    body = EndlessBody(300 * MiB)
    url = reverse("applications:documents", args=[draft.reference])
    response = post_body(exporter_client(alice), url, body)

    assert response.status_code == 413
    assert body.read_so_far == 0
    assert not draft.documents.exists()


def test_a_form_that_takes_no_file_refuses_a_body_over_2_5_mb(client):
    body = EndlessBody(3 * MiB)
    response = post_body(client, reverse("accounts:login"), body)

    assert response.status_code == 413
    assert "The request is too large" in response.content.decode()
    assert body.read_so_far == 0


def test_an_unknown_url_refuses_a_large_body_too(client):
    body = EndlessBody(50 * MiB)
    assert post_body(client, "/no/such/page/", body).status_code == 413
    assert body.read_so_far == 0


def test_a_body_without_a_length_is_refused(client):
    body = EndlessBody(300 * MiB)
    response = client.generic(
        "POST",
        reverse("verification:document"),
        b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
        **{"wsgi.input": body},
    )
    assert response.status_code == 411
    assert body.read_so_far == 0


def test_an_upload_within_the_limit_reaches_the_view(client):
    # 9 MiB of something that is not a PDF: through the middleware, refused by the check itself.
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = SimpleUploadedFile("big.pdf", b"0" * (9 * MiB), content_type="application/pdf")
    response = client.post(reverse("verification:document"), {"document": document})
    assert response.status_code == 200
    assert "is not a PDF document" in response.content.decode()


def test_a_page_without_a_body_passes_without_a_url_lookup(client):
    # The busiest pages (GET) pass the middleware without a URL lookup or anything else.
    from unittest import mock

    with mock.patch("core.body_limit.resolve") as resolve:
        assert client.get(reverse("verification:verify")).status_code == 200
    resolve.assert_not_called()
