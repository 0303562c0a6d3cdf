"""The corpus of certificates whose rendered pixels are pinned (test_pdf_pixels.py): every
agreement's layout, one and many pages, the non-preferential form, back-to-back, third-party
invoicing, retroactive issue and text in every script the portal prints.

Run as a script (`.venv/bin/python -m tests.certificates.pixel_corpus`) to print the pixel
hashes of the corpus as the code renders it now; pixel_hashes.json holds the hashes made by
the single-module renderer before certificates/pdf.py became a package (commit 97969c3)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from certificates.pdf import CertificateData, Consignee, Exporter, render_certificate
from reference.certificate_forms import FORMS
from tests.certificates import samples
from tests.core.corpus import CORPUS

DPIS = (60, 150)
HASHES = Path(__file__).with_name("pixel_hashes.json")
# The moment printed as the PDF's creation date: fixed, so the corpus renders the same bytes.
ISSUED_AT = datetime(2026, 3, 5, 11, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))


def corpus() -> dict[str, CertificateData]:
    fixed = {"issued_at": ISSUED_AT}
    cases: dict[str, CertificateData] = {
        "form-ai-1": samples.certificate(item_count=1, **fixed),
        "form-ai-3": samples.certificate(item_count=3, **fixed),
        "form-ai-45": samples.certificate(item_count=45, **fixed),
        "non-preferential": samples.non_preferential(**fixed),
        "non-preferential-30": dataclasses.replace(
            samples.non_preferential(**fixed),
            items=[
                dataclasses.replace(samples.item(n), criterion_display="") for n in range(1, 31)
            ],
        ),
        "back-to-back": samples.non_preferential(
            foreign_certificate="No. VN-2026-00417, issued by VCCI Ho Chi Minh City, Viet Nam, "
            "on 02 Mar 2026",
            origin_country="VIET NAM",
            **fixed,
        ),
        "third-party-retroactive": samples.certificate(
            item_count=2,
            third_party_invoicing="Lion Trading Pte Ltd, Singapore",
            third_party_invoice="LT/88/2026 of 01 Mar 2026",
            issued_retroactively=True,
            remarks="Goods shipped on 10 Mar 2026",
            **fixed,
        ),
        "scripts": dataclasses.replace(
            samples.certificate(
                item_count=1,
                exporter=Exporter(name=CORPUS[0], address="\n".join(CORPUS[1:4]), iec="0123456789"),
                consignee=Consignee(
                    name=CORPUS[4], address="\n".join(CORPUS[5:8]), country="Thailand"
                ),
                **fixed,
            ),
            items=[samples.item(i + 1, description=value) for i, value in enumerate(CORPUS)],
        ),
    }
    for key in sorted(FORMS):
        if key in ("non_preferential", "AIFTA"):
            continue
        cases[f"form-{key}"] = samples.certificate(
            item_count=2,
            agreement_code=key,
            title=f"{key} Certificate of Origin",
            issue_date=date(2026, 3, 5),
            **fixed,
        )
    return cases


def _pdftoppm() -> str:
    return shutil.which("pdftoppm") or "pdftoppm"


def pixel_hashes(document: bytes, dpi: int) -> list[str]:
    """The SHA-256 of each page's pixels, rendered by poppler's pdftoppm at `dpi`."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "certificate.pdf"
        path.write_bytes(document)
        # A fixed tool with arguments chosen here: nothing untrusted reaches the command line.
        subprocess.run(  # noqa: S603
            [_pdftoppm(), "-r", str(dpi), str(path), str(Path(folder) / "page")],
            check=True,
            capture_output=True,
        )
        pages = sorted(Path(folder).glob("page-*.ppm"), key=lambda p: int(p.stem.split("-")[1]))
        return [hashlib.sha256(page.read_bytes()).hexdigest() for page in pages]


def poppler_version() -> str:
    done = subprocess.run(  # noqa: S603 (a fixed tool and argument)
        [_pdftoppm(), "-v"], capture_output=True, text=True, check=True
    )
    return (done.stderr or done.stdout).splitlines()[0].strip()


def current() -> dict[str, object]:
    renders = {name: render_certificate(data) for name, data in corpus().items()}
    return {
        "poppler": poppler_version(),
        "pages": {
            f"{name}@{dpi}": pixel_hashes(document, dpi)
            for name, document in renders.items()
            for dpi in DPIS
        },
    }


if __name__ == "__main__":
    import django

    django.setup()
    json.dump(current(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
