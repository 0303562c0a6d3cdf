"""A back-to-back certificate prints the foreign certificate it rests on, and the origin that
one certifies instead of India (issue 29, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from certificates.pdf import render_certificate
from certificates.validation import check_signed_pdf
from tests.certificates import samples
from tests.certificates.conftest import issue, pdf_text, pdfsig

FOREIGN = "No. VN-2026-0007781, issued by VCCI Ho Chi Minh City, Viet Nam, on 10 Feb 2026"


def back_to_back():
    return samples.non_preferential(foreign_certificate=FOREIGN, origin_country="VIET NAM")


def test_the_foreign_certificate_and_its_origin_are_printed(tmp_path: Path) -> None:
    path = tmp_path / "b2b.pdf"
    path.write_bytes(render_certificate(back_to_back()))

    text = pdf_text(path)

    assert "BACK-TO-BACK (RE-EXPORT)" in text
    assert "3 Country of origin VIET NAM" in text
    assert f"Back-to-back certificate, on certificate of origin {FOREIGN}" in text
    assert "re-exported from INDIA to Singapore in the state imported" in text
    assert "the goods described above originate in VIET NAM" in text
    assert "produced in INDIA" not in text


def test_an_ordinary_certificate_says_india(tmp_path: Path) -> None:
    path = tmp_path / "np.pdf"
    path.write_bytes(render_certificate(samples.non_preferential()))

    text = pdf_text(path)

    assert "3 Country of origin INDIA" in text
    assert "BACK-TO-BACK" not in text


@pytest.mark.usefixtures("eic_key")
def test_a_back_to_back_certificate_signs_valid(tmp_path: Path, nss_db: str) -> None:
    signed = issue(back_to_back())
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)

    assert "Signature Validation: Signature is Valid." in pdfsig(nss_db, path)
    assert check_signed_pdf(signed).ok
