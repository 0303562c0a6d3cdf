"""What signing prepares once and reuses: the validation context and the stamp's font."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from certificates import signing
from certificates.stamp_font import ASCII_CHARACTERS, characters_for
from tests.certificates import samples
from tests.certificates.conftest import issue

pytestmark = pytest.mark.usefixtures("eic_key")


@pytest.fixture(autouse=True)
def fresh_contexts():
    signing.forget_validation_contexts()
    yield
    signing.forget_validation_contexts()


def test_the_validation_context_is_reused_while_roots_and_crls_are_unchanged() -> None:
    first = signing.signing_validation_context()

    assert signing.signing_validation_context() is first


def test_a_new_crl_makes_a_new_validation_context() -> None:
    from cryptography import x509

    from certificates import keys, pki

    first = signing.signing_validation_context()
    pki.dev_revoke(keys.signing_certificate("EIC"), reason=x509.ReasonFlags.key_compromise)

    assert signing.signing_validation_context() is not first


def test_the_validation_context_is_made_again_after_its_reuse_period(monkeypatch) -> None:
    first = signing.signing_validation_context()
    later = datetime.now(UTC) + signing.CONTEXT_REUSE + timedelta(seconds=1)

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return later

    monkeypatch.setattr(signing, "datetime", Later)

    assert signing.signing_validation_context() is not first


def test_an_ascii_stamp_uses_the_ascii_cut_and_others_the_wider_one() -> None:
    assert characters_for([signing.STAMP_TEXT, "Olivia Rao"]) == ASCII_CHARACTERS
    assert ord("é") in characters_for([signing.STAMP_TEXT, "Renée Dubois"])


def _signed(officer_name: str) -> bytes:
    from certificates.pdf import render_certificate

    return signing.sign_certificate_pdf(
        render_certificate(samples.certificate()),
        agency_code="EIC",
        officer_name=officer_name,
        designation="Assistant Director",
        agency_name="Export Inspection Council",
        signed_at=datetime.now(UTC),
    )


def test_an_ascii_stamp_embeds_the_small_cut_and_a_name_with_accents_the_wider_one() -> None:
    from certificates.pdf import STAMP_CHARACTERS
    from certificates.stamp_font import font_bytes

    assert _stamp_font_files(_signed("Olivia Rao")) == [font_bytes(ASCII_CHARACTERS)]
    assert _stamp_font_files(_signed("Renée Dubois")) == [font_bytes(STAMP_CHARACTERS)]


def _stamp_font_files(signed: bytes) -> list[bytes]:
    reader = PdfReader(io.BytesIO(signed))
    fonts = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            if widget.get("/FT") != "/Sig" or "/AP" not in widget:
                continue  # the document timestamp's widget (B-LTA) shows nothing
            appearance = widget["/AP"]["/N"].get_object()
            for font in appearance["/Resources"]["/Font"].values():
                descendant = font.get_object()["/DescendantFonts"][0].get_object()
                fonts.append(descendant["/FontDescriptor"]["/FontFile2"].get_data())
    return fonts


def test_the_stamp_font_is_embedded_whole_and_the_same_in_every_certificate() -> None:
    first = _stamp_font_files(issue(samples.certificate()))
    second = _stamp_font_files(issue(samples.certificate(item_count=3)))

    assert first
    assert first == second
    from certificates.pdf import STAMP_CHARACTERS
    from certificates.stamp_font import font_bytes

    assert first[0] in (font_bytes(ASCII_CHARACTERS), font_bytes(STAMP_CHARACTERS))


def _count_signer_checks(monkeypatch) -> list[int]:
    from pyhanko.sign.signers.pdf_signer import PdfSigningSession

    calls: list[int] = []
    check = PdfSigningSession._perform_presign_signer_validation

    async def counted(self, *args, **kwargs):
        calls.append(1)
        return await check(self, *args, **kwargs)

    monkeypatch.setattr(PdfSigningSession, "_perform_presign_signer_validation", counted)
    return calls


def test_the_signers_chain_is_checked_once_per_validation_context(monkeypatch) -> None:
    calls = _count_signer_checks(monkeypatch)

    _signed("Olivia Rao")
    _signed("Olivia Rao")
    assert len(calls) == 1

    signing.forget_validation_contexts()
    _signed("Olivia Rao")
    assert len(calls) == 2


def test_a_revocation_is_refused_at_the_next_signature_although_checks_are_kept(
    monkeypatch,
) -> None:
    from cryptography import x509

    from certificates import keys, pki

    calls = _count_signer_checks(monkeypatch)
    _signed("Olivia Rao")
    pki.dev_revoke(keys.signing_certificate("EIC"), reason=x509.ReasonFlags.key_compromise)

    with pytest.raises(signing.SigningRefusedError):
        _signed("Olivia Rao")
    with pytest.raises(signing.SigningRefusedError):
        _signed("Olivia Rao")
    assert len(calls) == 3  # the refused checks are not kept
