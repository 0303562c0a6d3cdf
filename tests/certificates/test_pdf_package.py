"""Issue 25, item 2: the certificate renderer is a package of modules each under 800 lines,
and importing it changes nothing of reportlab for the process's other PDFs."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfdoc, ttfonts

import certificates.pdf

PACKAGE = Path(certificates.pdf.__file__).parent


def test_the_renderer_is_a_package_of_modules_under_800_lines() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 1
    sizes = {m.name: len(m.read_text().splitlines()) for m in modules}
    assert {name: n for name, n in sizes.items() if n > 800} == {}


def test_importing_the_renderer_patches_nothing_of_reportlab() -> None:
    certificates.pdf.render_certificate  # noqa: B018 (imported, and its modules with it)
    assert ttfonts.TTFontFace.addSubsetObjects.__module__ == "reportlab.pdfbase.ttfonts"
    assert not hasattr(pdfdoc.PDFDocument, "font_objects")
    assert not hasattr(pdfdoc.PDFDocument, "subset_objects")
