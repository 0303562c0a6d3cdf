"""The certificate PDF: layout, text, QR code, and hostile input."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from certificates.pdf import Exporter, render_certificate
from tests.certificates import samples
from tests.certificates.conftest import needs, pdf_text, run


def write(tmp_path: Path, pdf: bytes, name: str = "certificate.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def test_a_short_form_ai_is_one_a4_page_and_its_notes_page_with_metadata() -> None:
    reader = PdfReader(io.BytesIO(render_certificate(samples.certificate())))

    assert len(reader.pages) == 2  # the certificate, then the notes overleaf
    assert reader.metadata["/CreationDate"] == "D:20260305000000+05'30'"
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert reader.metadata.title == "Form AI EIC/2026/MUM/0000123"
    assert reader.metadata.author == "Export Inspection Council"


def test_the_form_prints_every_box_number_and_value(tmp_path: Path) -> None:
    text = pdf_text(write(tmp_path, render_certificate(samples.certificate())))

    for caption in (
        "Goods consigned from",
        "Goods consigned to",
        "Means of transport and route",
        "For Official Use",
        "Marks and numbers",
        "Origin criterion",
        "Declaration by the exporter",
        "Certification",
    ):
        assert caption in text
    for value in (
        "Alice Exports",
        "IEC: 0123456789",
        "Lion City Apparel Pte Ltd",
        "MV Maersk Kensington V.214E",
        "Nhava Sheva (JNPT)",
        "61090002",
        "RVC 35% + CTSH",
        "EIC/2026/MUM/0000123",
        "K7PX2M9QRT4W",
        "Olivia Rao",
        "Page 1 of 2",
    ):
        assert value in text


def test_a_non_preferential_certificate_is_titled_so(tmp_path: Path) -> None:
    text = pdf_text(write(tmp_path, render_certificate(samples.non_preferential())))

    assert "Certificate of Origin (Non-Preferential)" in text
    assert "Form AI" not in text


def test_a_preferential_certificate_carries_the_agreements_form_title(tmp_path: Path) -> None:
    text = pdf_text(write(tmp_path, render_certificate(samples.certificate())))

    assert "Form AI" in text
    assert "ASEAN-INDIA FREE TRADE AREA PREFERENTIAL TARIFF CERTIFICATE OF ORIGIN" in text
    assert "Non-Preferential" not in text


def test_a_replacement_says_which_certificate_it_replaces(tmp_path: Path) -> None:
    data = samples.certificate(in_lieu_of="EIC/2026/MUM/0000099")

    text = pdf_text(write(tmp_path, render_certificate(data)))

    assert "Issued in lieu of certificate No. EIC/2026/MUM/0000099" in text


def test_box_4_is_left_for_the_importing_customs_and_the_number_is_printed_above(
    tmp_path: Path,
) -> None:
    text = pdf_text(write(tmp_path, render_certificate(samples.certificate())))

    assert "in lieu" not in text
    assert "Reference No. (certificate number) EIC/2026/MUM/0000123" in text
    official = text[text.index("4 For Official Use") :]
    given = "Preferential Tariff Treatment Given Under ASEAN-India Free Trade Area Preferential"
    assert official.index(given) < (
        official.index("Preferential Tariff Treatment Not Given (Please state reason/s)")
    )
    assert "Signature of Authorised Signatory of the Importing Country" in official
    assert "EIC/2026/MUM/0000123" not in official[: official.index("5 Item number")]


def test_the_qr_code_reads_back_as_the_verification_url(tmp_path: Path) -> None:
    needs("pdftoppm", "zbarimg")
    path = write(tmp_path, render_certificate(samples.certificate()))
    run("pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page"))

    decoded = run("zbarimg", "--raw", "-q", str(tmp_path / "page-1.png"))

    assert decoded.strip() == samples.VERIFY_URL


def test_sixty_long_items_continue_on_further_pages(tmp_path: Path) -> None:
    items = [
        samples.item(
            n,
            hs_code=f"{61091000 + n}",
            description=f"Item {n} marker-{n:02d}: "
            + "knitted cotton garment, assorted sizes; " * 8,
        )
        for n in range(1, 61)
    ]
    data = samples.certificate(items=items)

    pdf = render_certificate(data)

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages > 1
    text = pdf_text(write(tmp_path, pdf))
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in text
    assert text.count("Certificate No. EIC/2026/MUM/0000123") >= pages
    for item in items:
        assert " ".join(item.description.split()) in text
        assert item.hs_code in text
    assert "60 items; nothing follows" in text


def test_the_declaration_and_certification_close_the_last_page_only(tmp_path: Path) -> None:
    pdf = render_certificate(samples.certificate(item_count=60))
    path = write(tmp_path, pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)

    first = pdf_text_of_page(path, 1)
    last = pdf_text_of_page(path, pages - 1)  # the notes overleaf follow it

    assert "Declaration by the exporter" not in first
    assert "Declaration by the exporter" in last
    assert "Form AI" in last


def pdf_text_of_page(path: Path, page: int) -> str:
    needs("pdftotext")
    raw = run("pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-")
    return " ".join(raw.split())


HOSTILE = {
    "script": "<script>alert('x')</script> & <b>bold</b>",
    "para": "</para><para>injected</para> <font size=90>big</font> <img src='/etc/passwd'/>",
    "rtl": "Invoice \u202eexe.fdp\u202c ok",
    "zero_width": "Zero\u200bWidth\u200dJoined\ufeff",
    "rupee": "FOB ₹ 12,50,000 only",
    "accents": "Zoë Müller, Ångström & Søn, Łódź",
    "entity": "&amp; &lt;not a tag&gt; &#9731;",
}


@pytest.mark.parametrize("field", ["exporter_name", "consignee_address", "description", "remarks"])
def test_hostile_text_prints_as_plain_text(tmp_path: Path, field: str) -> None:
    value = " | ".join(HOSTILE.values())
    data = samples.certificate()
    if field == "exporter_name":
        data = dataclasses.replace(data, exporter=dataclasses.replace(data.exporter, name=value))
    elif field == "consignee_address":
        consignee = dataclasses.replace(data.consignee, address=value)
        data = dataclasses.replace(data, consignee=consignee)
    elif field == "remarks":
        data = dataclasses.replace(data, remarks=value)
    else:
        data = dataclasses.replace(data, items=[samples.item(1, description=value)])

    text = pdf_text(write(tmp_path, render_certificate(data)))

    for expected in (
        "<script>alert('x')</script> & <b>bold</b>",
        "</para><para>injected</para>",
        "<font size=90>big</font>",
        "Invoice exe.fdp ok",  # the direction override is removed, not obeyed
        "ZeroWidthJoined",  # zero-width characters are removed
        "FOB ₹ 12,50,000 only",
        "Zoë Müller, Ångström & Søn, Łódź",
        "&amp; &lt;not a tag&gt; &#9731;",
    ):
        assert expected in text


def test_five_thousand_character_values_print_in_full(tmp_path: Path) -> None:
    words = [f"w{n:04d}" for n in range(833)]
    huge = " ".join(words).ljust(5000, "x")
    data = samples.certificate(
        exporter=Exporter(name="Alice Exports", address=huge, iec="0123456789"),
        items=[samples.item(1, description=huge, marks="M" * 5000)],
        remarks=huge,
    )

    pdf = render_certificate(data)

    text = pdf_text(write(tmp_path, pdf))
    printed = re.findall(r"w\d{4}", text)
    # Box 1 shows what fits and continues below the goods list in full; the description and
    # the remarks run over several pages.
    assert "box 1 continues below the goods list" in text
    assert all(printed.count(word) >= 3 for word in words)
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 1


def test_control_characters_and_lone_surrogates_do_not_break_rendering(tmp_path: Path) -> None:
    data = samples.certificate(remarks="bell\x07 nul\x00 tab\tsurrogate\ud800 end\r\nnext")

    text = pdf_text(write(tmp_path, render_certificate(data)))

    assert "bell nul tab surrogate? end next" in text
