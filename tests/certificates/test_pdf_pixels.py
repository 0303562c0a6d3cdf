"""Issue 25, acceptance 3: the certificate renderer, split into the package certificates/pdf/,
prints the same pixels at 60 and 150 dpi for the corpus (pixel_corpus.py) as the single module
did before the split. pixel_hashes.json was first written by that module (commit 97969c3) and
the package matched it; it was written again after the merge that changed box 11's wording on
purpose (issue 33: who declared and how), with `python -m tests.certificates.pixel_corpus`.
The dates printed and the QR code are fixed."""

from __future__ import annotations

import json

import pytest

from tests.certificates import pixel_corpus
from tests.certificates.conftest import needs


def test_the_corpus_renders_the_pixels_the_single_module_rendered() -> None:
    needs("pdftoppm")
    pinned = json.loads(pixel_corpus.HASHES.read_text())
    if pixel_corpus.poppler_version() != pinned["poppler"]:
        pytest.fail(
            f"the pixel hashes were made with {pinned['poppler']}, this machine has "
            f"{pixel_corpus.poppler_version()}: poppler rasterises differently from version to "
            "version, so render the corpus with the pinned poppler (the CI image's)"
        )
    now = pixel_corpus.current()
    assert sorted(now["pages"]) == sorted(pinned["pages"])  # type: ignore[call-overload]
    changed = [
        name
        for name, pages in pinned["pages"].items()
        if now["pages"][name] != pages  # type: ignore[index]
    ]
    assert changed == [], f"these renders print other pixels than before the split: {changed}"
