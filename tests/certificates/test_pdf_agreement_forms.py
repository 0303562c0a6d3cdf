"""Each agreement's own form, drawn from its definition (issue 29, acceptance 1 and 4): its
boxes' titles print verbatim and in order, Form AI has boxes 1-12 only, and every layout still
signs so that pdfsig and pyHanko call it valid."""

from __future__ import annotations

import dataclasses
import io
import itertools
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from certificates.pdf import (
    SIGNATURE_RECT,
    CertificateData,
    certification_page,
    layout_for,
    render_certificate,
)
from certificates.signing import sign_certificate_pdf
from certificates.validation import check_signed_pdf
from reference.certificate_forms import FORMS, FormDefinition
from tests.certificates import samples
from tests.certificates.conftest import SIGNED_AT, pdf_text, pdfsig, run

AGREEMENTS = sorted(key for key in FORMS if key != "non_preferential")


def certificate_under(form: FormDefinition, **overrides: object) -> CertificateData:
    if form.key == "non_preferential":
        return samples.non_preferential(**overrides)
    return samples.certificate(
        agreement_code=form.key, title=f"{form.key} Certificate of Origin", **overrides
    )


def write(tmp_path: Path, pdf: bytes) -> Path:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return path


def in_order(text: str, titles: list[str]) -> list[int]:
    positions = []
    start = 0
    for title in titles:
        found = text.find(title, start)
        assert found >= 0, f"{title!r} missing or out of order"
        positions.append(found)
        start = found + len(title)
    return positions


@pytest.mark.parametrize("key", sorted(FORMS))
def test_each_form_prints_its_boxes_titles_verbatim_and_in_order(tmp_path: Path, key: str) -> None:
    form = FORMS[key]
    text = pdf_text(write(tmp_path, render_certificate(certificate_under(form))))

    # pdftotext reads the page column by column: the header boxes on the left come before
    # those on the right; so the numbered boxes are checked in the order a reader meets them
    # (numbers ascending within each of page 1's columns, the goods, then the foot).
    left = [b for b in form.header if b.slot.startswith(("L", "W"))]
    right = [b for b in form.header if not b.slot.startswith(("L", "W"))]
    for boxes in (left, right):
        in_order(text, [f"{b.number} {b.title}" for b in boxes])
    rest = [*form.columns, *((form.band,) if form.band else ()), form.declaration]
    rest += [form.certification, *form.extra]
    in_order(text, [f"{b.number} {b.title}".strip() for b in rest])
    # And the numbers themselves run 1, 2, 3 ... without a gap.
    assert [int(b.number) for b in form.boxes] == list(range(1, len(form.boxes) + 1))


def test_the_box_numbers_are_placed_top_to_bottom_and_left_to_right(tmp_path: Path) -> None:
    """India-Korea numbers its boxes 1-3 down the left, 5 beside 3, then 4 and 6 below: the
    captions' positions on the page, read with pdftotext -bbox, follow the official form."""
    form = FORMS["IKCEPA"]
    path = write(tmp_path, render_certificate(certificate_under(form)))
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>',
        run("pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"),
    )
    place = {}
    for box in form.header:
        first_word = box.title.split()[0]
        for (x, y, word), (_, _, following) in itertools.pairwise(words):
            if word == box.number and following == first_word and box.number not in place:
                place[box.number] = (float(x), float(y))
    assert place["1"][1] < place["2"][1] < place["3"][1] < place["4"][1]
    assert place["3"][1] == place["5"][1]
    assert place["3"][0] < place["5"][0]
    assert place["4"][1] == place["6"][1]
    assert place["4"][0] < place["6"][0]


def test_form_ai_has_boxes_1_to_12_only_and_prints_the_actual_percentage(tmp_path: Path) -> None:
    items = [samples.item(1, criterion_display="RVC 79.73% + CTSH")]
    data = certificate_under(
        FORMS["AIFTA"],
        items=items,
        third_party_invoicing="Lion Trading Pte Ltd, Singapore",
        third_party_invoice="SG22-097 of 09 Aug 2026",
    )
    text = pdf_text(write(tmp_path, render_certificate(data)))

    assert "13 " not in text.replace("2013", "")
    assert "Exhibition" not in text
    assert "Movement certificate" not in text
    assert "RVC 79.73% + CTSH" in text
    box7 = text[text.index("Cotton knitted") :]
    assert "HS number of the importing country: 61090001" in box7
    assert "Third country invoicing: Lion Trading Pte Ltd, Singapore" in box7
    assert "Third country invoice: SG22-097 of 09 Aug 2026" in box7
    assert "ASEAN-INDIA Free Trade Area Preferential Tariff for the goods exported to" in text
    assert '"RVC 35% + CTSH"' not in text
    assert '"PE"' not in text


def test_a_retroactive_certificate_is_marked_where_each_agreement_says(tmp_path: Path) -> None:
    marked = {}
    for key in ("AIFTA", "IKCEPA", "IMCECPA"):
        data = certificate_under(FORMS[key], issued_retroactively=True, remarks="Late lot")
        marked[key] = pdf_text(write(tmp_path, render_certificate(data)))
    plain = pdf_text(write(tmp_path, render_certificate(certificate_under(FORMS["AIFTA"]))))

    notes = "Form AI: notes overleaf"
    assert "ISSUED RETROACTIVELY" in marked["AIFTA"].split(notes)[0]
    assert "ISSUED RETROACTIVELY" not in plain.split(notes)[0]
    korea = marked["IKCEPA"]
    assert korea.index("6 Remarks") < korea.index("ISSUED RETROACTIVELY Late lot")
    assert "ISSUED RETROSPECTIVELY" in marked["IMCECPA"]


def test_mauritius_ticks_issued_retrospectively_only_when_it_is(tmp_path: Path) -> None:
    form = FORMS["IMCECPA"]
    for retroactive in (False, True):
        data = certificate_under(form, issued_retroactively=retroactive)
        pdf = render_certificate(data)
        page = run("pdftotext", "-f", "1", "-l", "1", str(write(tmp_path, pdf)), "-")
        assert "ISSUED RETROSPECTIVELY" in page  # the box's printed wording either way
        # The tick is two strokes inside the square; count the squares' contents instead of
        # pixels: the ticked form draws a heavier line (setLineWidth 1.1) once.
        assert (b"1.1 w" in _page_content(pdf)) is retroactive


def _page_content(pdf: bytes) -> bytes:
    return PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()


def test_korea_prints_the_exporters_contacts_and_six_digit_hs_codes(tmp_path: Path) -> None:
    data = certificate_under(FORMS["IKCEPA"])
    data = dataclasses.replace(
        data,
        exporter=dataclasses.replace(
            data.exporter, email="ship@alice.example", telephone="+91 22 1"
        ),
        third_party_invoicing="Han Trading Co, Busan, Korea",
    )
    text = pdf_text(write(tmp_path, render_certificate(data)))

    assert "E-mail: ship@alice.example" in text
    assert "Telephone: +91 22 1" in text
    assert "7 HS Code (6 digit)" in text
    assert re.search(r"\b610900\b", text)
    assert "14 Third country invoicing (name, address, country) Han Trading Co" in text


@pytest.mark.usefixtures("eic_key")
@pytest.mark.parametrize("key", sorted(FORMS))
def test_every_layout_signs_valid_for_pdfsig_and_pyhanko(
    tmp_path: Path, nss_db: str, key: str
) -> None:
    data = certificate_under(FORMS[key])
    signed = sign_certificate_pdf(
        render_certificate(data),
        agency_code="EIC",
        officer_name="Olivia Rao",
        designation="Assistant Director",
        agency_name="Export Inspection Council",
        signed_at=SIGNED_AT,
        on_page=certification_page(data),
    )
    report = pdfsig(nss_db, write(tmp_path, signed))

    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert check_signed_pdf(signed).ok
    assert SIGNATURE_RECT  # box 12 (or 10, or 13) keeps the signature's place on every form
    assert layout_for(data).form is FORMS[key]


def test_unknown_agreements_get_the_common_layout_marked_provisional() -> None:
    for key in AGREEMENTS:
        form = FORMS[key]
        assert bool(form.provisional) == (key not in {"AIFTA", "IKCEPA", "IMCECPA"})
    assert "PE" not in FORMS["AIFTA"].criteria


def test_a_preferential_certificate_without_an_agreement_code_stays_preferential() -> None:
    data = samples.certificate(title="Some agreement's certificate", agreement_code="")

    layout = layout_for(data)

    assert layout.preferential
    assert layout.form.provisional
