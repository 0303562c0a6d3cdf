"""The official layouts, every script printed in an embedded font, and a QR code that survives
a poor scan (issue 12, acceptance 5-7)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from certificates.pdf import CertificateData, Consignee, Exporter, render_certificate
from tests.certificates import samples
from tests.certificates.conftest import needs, pdf_text, run, sign

HINDI = "भारत निर्यात किताब वस्त्र उद्योग"
CHINESE = "上海贸易有限公司"
JAPANESE = "東京商事"
HEBREW = "חברת יצוא"
ARABIC = "شركة التصدير"


def write(tmp_path: Path, pdf: bytes, name: str = "certificate.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def many_scripts() -> CertificateData:
    return samples.certificate(
        exporter=Exporter(name=HINDI, address="Mumbai", iec="0123456789"),
        consignee=Consignee(name=CHINESE, address=f"{JAPANESE} {HEBREW}", country="Singapore"),
        items=[samples.item(1, description=f"{ARABIC} Zoë Müller"), samples.item(2)],
        officer_name=HEBREW,
    )


def test_every_font_of_a_many_script_certificate_is_embedded(tmp_path: Path) -> None:
    path = write(tmp_path, render_certificate(many_scripts()))

    lines = run("pdffonts", str(path)).splitlines()[2:]

    assert len(lines) >= 5  # Latin, Devanagari, CJK, Arabic, Hebrew
    for line in lines:
        assert " yes " in line.split("TrueType", 1)[1][:40], line


@pytest.mark.parametrize("value", [HINDI, CHINESE, JAPANESE, HEBREW, ARABIC, "Zoë Müller"])
def test_text_in_other_scripts_reads_back_as_written(tmp_path: Path, value: str) -> None:
    text = pdf_text(write(tmp_path, render_certificate(many_scripts())))

    assert value in text


def test_no_character_prints_as_an_empty_box(tmp_path: Path) -> None:
    """Every glyph drawn comes from a font that has it: pdftotext would return U+FFFD or the
    PDF would name a .notdef glyph otherwise."""
    pdf = render_certificate(many_scripts())
    text = pdf_text(write(tmp_path, pdf))

    assert "\ufffd" not in text
    assert b".notdef" not in pdf


def test_form_ai_prints_boxes_1_to_12_in_order_with_fob_values_and_notes(tmp_path: Path) -> None:
    items = [samples.item(n, fob_text=f"USD {n},250.00") for n in (1, 2)]
    data = samples.certificate(agreement_code="AIFTA", items=items)
    text = pdf_text(write(tmp_path, render_certificate(data)))

    titles = [
        "1 Goods consigned from",
        "2 Goods consigned to",
        "3 Means of transport and route",
        "4 For Official Use",
        "5 Item number",
        "6 Marks and numbers on packages",
        "7 Number and type of packages, description of goods",
        "8 Origin criterion",
        "9 Gross weight or other quantity and value (FOB)",
        "10 Number and date of invoices",
        "11 Declaration by the exporter",
        "12 Certification",
    ]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "ASEAN-INDIA FREE TRADE AREA PREFERENTIAL TARIFF CERTIFICATE OF ORIGIN" in text
    assert "ELECTRONIC ORIGINAL" in text
    assert "FOB USD 1,250.00" in text
    assert "FOB USD 2,250.00" in text
    assert "Form AI: notes overleaf" in text
    assert "ORIGIN CRITERIA" in text
    assert "13 Issued retroactively" not in text


def test_the_non_preferential_form_has_country_of_origin_and_remarks_and_no_criterion(
    tmp_path: Path,
) -> None:
    text = pdf_text(write(tmp_path, render_certificate(samples.non_preferential(remarks="R1"))))

    assert "3 Country of origin INDIA" in text
    assert "5 Remarks" in text
    assert "R1" in text
    assert "Origin criterion" not in text
    assert "RVC" not in text


def test_long_unbroken_values_wrap_after_separators_and_the_url_prints_in_full(
    tmp_path: Path,
) -> None:
    marks = "AE/SG/2026/CONTAINER/MSKU1234567/SEAL/998877/PALLETS-1-TO-40"
    url = samples.VERIFY_URL + "&x=" + "A" * 60
    data = samples.certificate(items=[samples.item(1, marks=marks)], verify_url=url)
    text = pdf_text(write(tmp_path, render_certificate(data)))

    # Each line of the marks ends after a separator, and nothing is lost.
    printed = re.search(r"AE/SG/\S*(?: \S+){0,6}? PALLETS-1-TO-40", text)
    assert printed is not None
    assert printed.group(0).replace(" ", "") == marks
    assert all(piece[-1] in "/-" for piece in printed.group(0).split(" ")[:-1])
    assert "A" * 40 in text.replace(" ", "")
    assert url.replace(" ", "") in text.replace(" ", "")


def test_the_qr_code_decodes_from_a_blurred_jpeg_at_100_dpi(tmp_path: Path) -> None:
    needs("pdftoppm", "zbarimg")
    from PIL import Image, ImageFilter

    path = write(tmp_path, render_certificate(samples.certificate()))
    run("pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p"))
    image = Image.open(tmp_path / "p-1.png").convert("L").filter(ImageFilter.GaussianBlur(0.5))
    image.save(tmp_path / "scan.jpg", quality=35)

    decoded = run("zbarimg", "--raw", "-q", str(tmp_path / "scan.jpg"))

    assert decoded.strip() == samples.VERIFY_URL


def test_the_qr_code_is_level_q_with_a_four_module_quiet_zone_and_at_least_30_mm() -> None:
    from certificates import pdf

    code = pdf.qr_code(samples.VERIFY_URL)
    modules = len(pdf.qr_matrix(samples.VERIFY_URL))
    module_pt = pdf.QR_SIZE / (modules + 2 * pdf.QR_BORDER)

    assert code.ec_level == "Q"
    assert pdf.QR_BORDER == 4
    assert modules * module_pt / 72 * 25.4 >= 30


def test_the_scan_to_verify_caption_stays_outside_the_qr_codes_quiet_zone(tmp_path: Path) -> None:
    """ISO/IEC 18004 wants 4 empty modules around the symbol (issue 28, item 7)."""
    from certificates import pdf
    from certificates.pdf import layout

    path = write(tmp_path, render_certificate(samples.certificate()))
    bbox = run("pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-")
    words = re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(Scan|verify)<', bbox
    )
    # The symbol with its quiet zone, in pdftotext's coordinates (origin top left).
    x0 = layout.RIGHT - pdf.QR_SIZE - 1
    top = pdf.PAGE_H - layout.TOP + 1
    assert words
    for x_min, y_min, x_max, y_max, _ in words:
        outside_x = float(x_max) <= x0 or float(x_min) >= x0 + pdf.QR_SIZE
        outside_y = float(y_max) <= top or float(y_min) >= top + pdf.QR_SIZE
        assert outside_x or outside_y


def test_other_agreements_carry_their_own_title(tmp_path: Path) -> None:
    data = dataclasses.replace(
        samples.certificate(), agreement_code="SAFTA", title="SAFTA Certificate of Origin"
    )
    text = pdf_text(write(tmp_path, render_certificate(data)))

    assert "SAFTA Certificate of Origin" in text
    assert "Form AI" not in text
    assert "13 Issued retroactively" not in text


def test_the_signed_pdf_embeds_every_font_including_the_signature_stamps(
    tmp_path: Path, eic_key: Path
) -> None:
    path = write(tmp_path, sign(render_certificate(many_scripts())))

    lines = run("pdffonts", str(path)).splitlines()[2:]

    assert any("Identity-H" in line for line in lines)  # the stamp's font, added by pyHanko
    for line in lines:
        assert re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s", line).group(1) == "yes", line


def test_the_stamp_prints_only_letters_its_font_has() -> None:
    from certificates.signing import _stamp_text

    assert _stamp_text("Zoë Łódź") == "Zoë Łódź"
    assert _stamp_text("राम Rao") == "??? Rao"


def test_a_name_the_stamp_cannot_print_points_to_box_12_instead_of_question_marks() -> None:
    from certificates.signing import _stamp_name

    assert _stamp_name("Olivia  Rao") == "Olivia Rao"
    assert _stamp_name("राम शर्मा") == "the certifying officer named in box 12"


def test_the_stamp_prints_the_signing_time_in_indias_time(tmp_path: Path, eic_key: Path) -> None:
    from datetime import UTC, datetime

    from certificates.pdf import certification_page
    from certificates.signing import sign_certificate_pdf

    data = many_scripts()
    signed = sign_certificate_pdf(
        render_certificate(data),
        agency_code="EIC",
        officer_name="Olivia Rao",
        designation="Assistant Director",
        agency_name="Export Inspection Council",
        signed_at=datetime(2026, 3, 5, 6, 0, tzinfo=UTC),
        on_page=certification_page(data),
    )

    text = pdf_text(write(tmp_path, signed))

    assert "Digitally signed by Olivia Rao" in text
    assert "Date: 05 Mar 2026 11:30:00 IST (+05:30)" in text


def test_a_name_with_direction_overrides_points_to_box_12() -> None:
    from certificates.signing import _stamp_name

    assert _stamp_name("Olivia \u202eoaR") == "the certifying officer named in box 12"


def test_signing_still_works_after_the_stamp_font_file_was_removed(eic_key) -> None:
    from pathlib import Path

    from certificates.pdf import render_certificate, stamp_font_file
    from tests.certificates import samples
    from tests.certificates.conftest import sign

    pdf = render_certificate(samples.certificate(item_count=1))
    sign(pdf)
    Path(stamp_font_file()).unlink()  # a temporary-files cleaner did this
    assert sign(pdf).startswith(b"%PDF")
