"""The text engine (core/text.py): the bidirectional algorithm, fonts chosen per character,
shaped text that reads back as written, and no process-wide change to reportlab."""

from __future__ import annotations

import io

import pytest
import reportlab
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import paragraph

from core import text
from tests.core.corpus import CORPUS, notdef_glyphs, pdf_text

ARABIC_123_5 = "\u0661\u0662\u0663\u066b\u0665"  # 123.5 in Arabic-Indic digits


def drawn(*lines: str, bold: bool = False) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, initialFontName=text.base_font())
    for index, line in enumerate(lines):
        text.draw_line(canvas, 40, 800 - 30 * index, line, size=12, bold=bold)
    canvas.save()
    return buffer.getvalue()


@pytest.mark.parametrize("bold", [False, True], ids=["regular", "bold"])
def test_every_string_of_the_corpus_reads_back_as_written_with_no_missing_glyph(bold) -> None:
    data = drawn(*CORPUS, bold=bold)

    read = pdf_text(data)
    for value in CORPUS:
        assert value in read
    assert notdef_glyphs(data) == []


def test_arabic_indic_digits_keep_their_order_in_right_to_left_text() -> None:
    """The bidirectional algorithm: digits in Arabic text are a left-to-right run."""
    line = f"السعر {ARABIC_123_5}"
    levels = text.bidi_levels(line)
    assert levels[:5] == [1] * 5  # the word, right to left
    assert set(levels[6:]) == {2}  # the number, left to right inside it
    # Printed: the number on the left, its digits in their order, then the word.
    segments = text.shape_line(ARABIC_123_5)
    assert [s.script for s in segments] == ["arabic"]
    face = pdfmetrics.getFont(text.font_name("arabic")).face
    glyphs = [face.charToGlyph[ord(code)] for code in segments[0].codes]
    assert glyphs == [face.charToGlyph[ord(char)] for char in ARABIC_123_5]


def test_punctuation_inside_right_to_left_words_takes_a_font_that_has_it() -> None:
    for value in ('בע"מ', "ש.מ.", "ش.ذ.م.م"):
        for segment in text.shape_line(value):
            font = pdfmetrics.getFont(text.font_name(segment.script)).face
            assert all(ord(code) in font.charToGlyph for code in segment.codes)
    # The Hebrew font has no quotation mark: it comes from the Latin one, between the letters.
    assert [s.script for s in text.shape_line('בע"מ')] == ["hebrew", "latin", "hebrew"]


def test_the_comma_after_devanagari_is_the_devanagari_fonts_own() -> None:
    segments = text.shape_line("मुंबई, 07 Dec")
    assert segments[0].script == "devanagari"
    font = pdfmetrics.getFont(text.font_name("devanagari")).face
    assert "," in segments[0].codes
    assert font.charToGlyph[ord(",")] != 0


def test_a_mixed_line_prints_in_visual_order() -> None:
    """Latin, then a Hebrew word (right to left), then Latin again: three runs in that order,
    each word reading back as written (pdftotext moves the space after the Hebrew word before
    it: its own reordering)."""
    segments = text.shape_line("Firm חברה Ltd")
    assert [s.script for s in segments] == ["latin", "hebrew", "latin"]
    hebrew = pdfmetrics.getFont(text.font_name("hebrew")).face
    glyphs = [hebrew.charToGlyph[ord(code)] for code in segments[1].codes]
    assert glyphs[:4] == [hebrew.charToGlyph[ord(char)] for char in "הרבח"]  # right to left
    assert pdf_text(drawn("Firm חברה Ltd")).split() == ["Firm", "חברהLtd"]


def test_draw_line_cuts_what_does_not_fit_with_an_ellipsis() -> None:
    long = "Cotton T-shirts " * 20
    width = text.text_width(long, size=10)
    fitted = text._fitted(long, 10, False, width / 3, text.FONTS)
    assert fitted.endswith("…")
    assert text.text_width(fitted, size=10) <= width / 3


def test_wrap_keeps_every_word_and_each_line_fits() -> None:
    value = "मुंबई निर्यात कंपनी " * 8 + "Unbroken/Invoice/Number/0123456789/0123456789"
    lines = text.wrap(value, size=10, width=120)
    assert len(lines) > 1
    assert all(text.text_width(line, size=10) <= 120 for line in lines)
    assert " ".join(lines).replace("/ ", "/").split() == value.split()


def test_hostile_direction_overrides_and_the_engines_own_codes_are_dropped() -> None:
    assert text.clean("abc\u202edef\u200b\U000f0000") == "abcdef"


def test_nothing_of_reportlab_is_replaced_for_the_process() -> None:
    """The engine shapes text itself: reportlab's shaping, ToUnicode maps and defaults stay
    as reportlab has them, for every PDF of the process (issue 25)."""
    from certificates import pdf  # noqa: F401 - importing the certificate renderer changes nothing

    text.register_fonts()
    assert paragraph.shapeFragWord is ttfonts.shapeFragWord
    assert ttfonts.shapeFragWord.__module__ == "reportlab.pdfbase.ttfonts"
    assert ttfonts.shapeFragWord.__defaults__[0] == {"kern": True, "liga": True, "dlig": True}
    assert ttfonts.makeToUnicodeCMap.__module__ == "reportlab.pdfbase.ttfonts"
    assert "addSubsetObjects" not in vars(pdfmetrics.getFont(text.FONT).face)


# The certificate renderer's fast paths (certificates/pdf.py: _add_font_objects,
# _add_subset_objects, _TextState, _PlainCell) copy what reportlab 5.1.0 writes, byte for byte,
# and use its private attributes. They were checked against this version only.
CHECKED_REPORTLAB = "5.1.0"


def test_reportlab_is_the_version_the_certificate_fast_paths_were_checked_against() -> None:
    assert reportlab.Version == CHECKED_REPORTLAB, (
        f"reportlab {reportlab.Version} is installed, but the certificate renderer's fast "
        f"paths (certificates/pdf/) copy what reportlab {CHECKED_REPORTLAB} writes and read "
        "its private attributes: check them against the new version (tests/certificates/"
        "test_pdf_frame.py and test_pdf_plain_cells.py compare them with reportlab's own "
        "output), then change CHECKED_REPORTLAB"
    )
