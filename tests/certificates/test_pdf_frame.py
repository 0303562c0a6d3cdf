"""The printed frame (page 1's form, the declaration's, the notes overleaf) is drawn once per
process and layout, then replayed into each new document: the same bytes as drawing it."""

from __future__ import annotations

import io
import re

import pytest
from reportlab.pdfgen.canvas import Canvas

from certificates import pdf
from certificates.pdf import fast_fonts, frame
from core import text
from tests.certificates import samples


def _without_id(document: bytes) -> bytes:
    # The document /ID is a digest of the moment it was made: the one part that may differ.
    return re.sub(rb"/ID\s*\[.*?\]", b"", document)


@pytest.fixture
def drawn_in_full(monkeypatch):
    def render(data: pdf.CertificateData) -> bytes:
        monkeypatch.setattr(frame, "FRAME_REUSE", False)
        try:
            return pdf.render_certificate(data)
        finally:
            monkeypatch.setattr(frame, "FRAME_REUSE", True)

    return render


@pytest.mark.parametrize(
    "data",
    [
        samples.certificate(item_count=1),
        samples.certificate(item_count=60),
        samples.non_preferential(),
        samples.certificate(
            item_count=2,
            agreement_code="SAFTA",
            title="SAFTA Certificate of Origin",
            agreement_name="Agreement on South Asian Free Trade Area",
        ),
        samples.certificate(
            item_count=3,
            exporter=pdf.Exporter(name="भारत निर्यात कंपनी", address="मुंबई 400001", iec="0123456789"),
        ),
    ],
    ids=["form-ai-1", "form-ai-60", "non-preferential", "other-agreement", "devanagari"],
)
def test_a_replayed_frame_prints_the_same_bytes_as_one_drawn_in_full(
    data: pdf.CertificateData, drawn_in_full
) -> None:
    pdf.render_certificate(data)  # the layout's frame is kept
    layout = pdf.layout_for(data)
    assert layout in frame._FRAMES

    assert _without_id(pdf.render_certificate(data)) == _without_id(drawn_in_full(data))


def test_the_frame_kept_for_one_layout_is_not_used_for_another() -> None:
    pdf.render_certificate(samples.certificate(item_count=1))
    replayed = pdf.render_certificate(samples.non_preferential())

    assert frame._FRAMES[pdf.layout_for(samples.non_preferential())].forms[0][0] == (
        "non_preferential-first"
    )
    assert b"non_preferential-first" in replayed
    assert b"AIFTA-first" not in replayed


@pytest.mark.parametrize(
    "data",
    [
        samples.certificate(item_count=20),
        samples.certificate(
            item_count=2,
            exporter=pdf.Exporter(name="北京 出口 شركة", address="Zoë Müller", iec="0123456789"),
        ),
    ],
    ids=["latin", "other-scripts"],
)
def test_font_objects_made_once_per_process_are_the_bytes_reportlab_makes(
    data: pdf.CertificateData, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf.render_certificate(data)
    kept = pdf.render_certificate(data)  # its Latin font files come from the process's cache
    assert fast_fonts._compressed_subset.cache_info().hits > 0

    # The font objects written as every other PDF has them: nothing kept from one document to
    # the next.
    monkeypatch.setattr(fast_fonts, "use_fast_paths", lambda canvas: None)
    assert _without_id(pdf.render_certificate(data)) == _without_id(kept)


def test_no_other_pdf_uses_the_certificates_kept_font_objects() -> None:
    """The fast path is the certificate renderer's alone (issue 25): a PDF drawn through the
    text engine elsewhere (a tax invoice, an acknowledgement) writes its fonts as reportlab
    does, and leaves the kept objects alone."""
    pdf.render_certificate(samples.certificate(item_count=1))
    before = (
        fast_fonts._compressed_subset.cache_info(),
        fast_fonts._subset_font_parts.cache_info(),
    )
    canvas = Canvas(io.BytesIO(), initialFontName=text.base_font())
    text.draw_line(canvas, 40, 800, "Alice Exports, मुंबई", size=10)
    canvas.save()

    assert (
        fast_fonts._compressed_subset.cache_info(),
        fast_fonts._subset_font_parts.cache_info(),
    ) == before
    assert not hasattr(canvas._doc, "font_objects")
