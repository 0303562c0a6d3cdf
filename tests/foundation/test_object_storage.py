"""Documents and certificates in an S3-compatible bucket (moto's S3, in-process): private
objects, never an overwrite, the SHA-256 sent with each PUT, and every read checked against the
hash the database recorded."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from applications.models import Document
from core.s3 import PrivateS3Storage
from core.storage import StoredFileCorruptedError, open_verified
from tests.clients import exporter_client
from tests.factories import ApplicationFactory, document_stored
from tests.verification.factories import CertificateFactory

from .mocked_s3 import mocked_s3

BUCKET = "coo-test-documents"


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _blank_pdf()


@pytest.fixture
def s3(settings) -> Iterator:
    with mocked_s3(settings, BUCKET) as client:
        client.create_bucket(Bucket=BUCKET)
        yield client


def keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def body(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_the_portal_stores_files_in_the_bucket(s3):
    name = default_storage.save("documents/X/abc", ContentFile(b"hello"))
    assert isinstance(default_storage._wrapped, PrivateS3Storage)
    assert keys(s3) == [name] == ["documents/X/abc"]


def test_stored_objects_are_private(s3):
    name = default_storage.save("documents/X/abc", ContentFile(b"hello"))
    grants = s3.get_object_acl(Bucket=BUCKET, Key=name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants)  # the owner, nobody else


def test_the_sha256_travels_with_the_upload_and_stays_with_the_object(s3):
    name = default_storage.save("documents/X/abc", ContentFile(b"hello"))
    head = s3.head_object(Bucket=BUCKET, Key=name, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"hello").digest()).decode()


def test_a_second_upload_with_the_same_name_gets_a_new_key(s3):
    first = default_storage.save("documents/X/abc", ContentFile(b"first"))
    second = default_storage.save("documents/X/abc", ContentFile(b"second"))
    assert first != second
    assert second.startswith("documents/X/abc_")
    assert (body(s3, first), body(s3, second)) == (b"first", b"second")


def test_a_name_taken_by_another_node_meanwhile_is_not_overwritten(s3):
    # Another web node wrote the key after this one found it free: the conditional PUT refuses
    # and this save takes another name.
    s3.put_object(Bucket=BUCKET, Key="documents/X/abc", Body=b"the other node's")
    stored = default_storage._save("documents/X/abc", ContentFile(b"ours"))
    assert stored != "documents/X/abc"
    assert body(s3, "documents/X/abc") == b"the other node's"
    assert body(s3, stored) == b"ours"


def test_an_object_that_still_matches_its_hash_is_read_back(s3):
    name = default_storage.save("documents/X/abc", ContentFile(b"hello"))
    file = Document(file=name).file
    with open_verified(file, sha256=hashlib.sha256(b"hello").hexdigest()) as stored:
        assert stored.read() == b"hello"


def test_an_object_changed_in_the_bucket_is_refused(s3):
    name = default_storage.save("documents/X/abc", ContentFile(b"hello"))
    s3.put_object(Bucket=BUCKET, Key=name, Body=b"HELLO")
    with pytest.raises(StoredFileCorruptedError):
        open_verified(Document(file=name).file, sha256=hashlib.sha256(b"hello").hexdigest())


# ---------------------------------------------------------------------------------------------
# Through the portal: upload, download, tampering
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_exporters_upload_lands_in_the_bucket_and_comes_back_through_the_portal(s3, alice):
    application = ApplicationFactory(exporter=alice)
    upload = SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf")
    document = document_stored(
        application_id=application.pk, exporter=alice, kind="commercial_invoice", upload=upload
    )
    assert keys(s3) == [f"documents/{application.reference}/{document.sha256}"]
    url = f"/applications/{application.reference}/documents/{document.pk}/"
    response = exporter_client(alice).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_a_document_changed_in_the_bucket_is_never_served(s3, alice):
    application = ApplicationFactory(exporter=alice)
    upload = SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf")
    document = document_stored(
        application_id=application.pk, exporter=alice, kind="commercial_invoice", upload=upload
    )
    s3.put_object(Bucket=BUCKET, Key=document.file.name, Body=PDF.replace(b"/Count 1", b"/Count 9"))
    url = f"/applications/{application.reference}/documents/{document.pk}/"
    with pytest.raises(StoredFileCorruptedError):
        exporter_client(alice).get(url)


@pytest.mark.django_db
def test_a_certificate_changed_in_the_bucket_is_refused_by_the_public_pdf_link(s3, client, alice):
    certificate = CertificateFactory(application__exporter=alice)
    assert keys(s3) == [certificate.pdf.name]
    url = f"/verify/pdf/{certificate.number}?code={certificate.verification_code}"
    response = client.get(url)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == certificate.sha256
    s3.put_object(Bucket=BUCKET, Key=certificate.pdf.name, Body=b"%PDF-1.7 forged")
    with pytest.raises(StoredFileCorruptedError):
        client.get(url)
