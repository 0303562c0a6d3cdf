"""The printed parts of each layout (page 1's form, the declaration's, the continuation
sheet's, Form AI's notes overleaf), drawn as form XObjects; and a fast path: the frame drawn
once per process and layout, then replayed into each document (draw_frame)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib.colors import black
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from certificates.pdf.cells import draw_shared, para
from certificates.pdf.fast_fonts import Filters
from certificates.pdf.layout import (
    BAND_H,
    BOX13_H,
    CONT_HEADER_BOTTOM,
    DECLARATION_BOTTOM,
    DECLARATION_TOP,
    FONT,
    FONT_BOLD,
    FOOTER_TOP,
    GREY,
    LEFT,
    NOTE,
    PAD,
    PAGE_H,
    RIGHT,
    RULE,
    SIGNATURE_RECT,
    SLOTS,
    SPLIT,
    TABLE_HEADER_H,
    TINT,
    TITLE,
    TOP,
    WIDTH,
    Layout,
    make_style,
)


def label(c: Canvas, x: float, y: float, number: str, text: str) -> None:
    """A box's printed caption: its number in bold, then its heading."""
    c.setFillColor(GREY)
    if number:
        c.setFont(FONT_BOLD, 6.5)
        c.drawString(x, y, number)
        x += c.stringWidth(number, FONT_BOLD, 6.5) + 3
    c.setFont(FONT, 6.5)
    c.drawString(x, y, text)
    c.setFillColor(black)


def tick_box(c: Canvas, x: float, y: float, ticked: bool = False) -> None:
    c.rect(x, y, 6, 6)
    if ticked:
        c.setLineWidth(1.1)
        c.line(x + 1, y + 3, x + 2.5, y + 1)
        c.line(x + 2.5, y + 1, x + 5.5, y + 5.5)
        c.setLineWidth(0.8)


@functools.cache
def _table_header_paragraphs(layout: Layout) -> tuple[tuple[Paragraph, float, float], ...]:
    """The goods table's captions, wrapped once per process: (paragraph, x, height)."""
    style = make_style("th", 6.2, textColor=GREY)
    placed = []
    for column, x, w in zip(layout.columns, layout.col_x, layout.col_widths, strict=True):
        text = f"<b>{column.number}</b> {column.heading}" if column.number else column.heading
        p = para(text, style)
        _, h = p.wrap(w - 2 * PAD, TABLE_HEADER_H)
        placed.append((p, x, h))
    return tuple(placed)


def _draw_table_header(layout: Layout, c: Canvas, top: float) -> None:
    bottom = top - TABLE_HEADER_H
    c.setFillColor(TINT)
    c.rect(LEFT, bottom, WIDTH, TABLE_HEADER_H, stroke=1, fill=1)
    c.setFillColor(black)
    for p, x, h in _table_header_paragraphs(layout):
        c.line(x, top, x, bottom)
        draw_shared(p, c, x + PAD, top - PAD - h)


def _draw_first_page_form(layout: Layout, c: Canvas) -> None:
    """Page 1's printed form: each header box's rules and caption, the title block's frame and
    the table header."""
    c.setLineWidth(0.8)
    bottom = layout.header_bottom
    c.rect(LEFT, bottom, WIDTH, TOP - bottom)
    for box in layout.form.header:
        x0, x1, top, foot = SLOTS[box.slot]
        c.rect(x0, foot, x1 - x0, top - foot)
        label(c, x0 + PAD, top - 9, box.number, box.title)
        if box.content == "official_use_aifta":
            _draw_official_use(c, x0, top, foot)
    _draw_table_header(layout, c, bottom)


def _draw_official_use(c: Canvas, x0: float, top: float, bottom: float) -> None:
    """Box 4 of Form AI, left for the importing customs: the two ticks and a signature line."""
    x = x0 + PAD + 2
    style = make_style("official", 6.3, leading=7.4)
    width = RIGHT - x - 14
    y = top - 14
    for text in (
        "Preferential Tariff Treatment Given Under ASEAN-India Free Trade Area Preferential Tariff",
        "Preferential Tariff Treatment Not Given (Please state reason/s)",
    ):
        p = para(text, style)
        _, h = p.wrap(width, 40)
        tick_box(c, x, y - 7)
        p.drawOn(c, x + 11, y - h)
        y -= h + 6
    c.setStrokeColor(GREY)
    c.line(x, bottom + 13, RIGHT - PAD - 2, bottom + 13)
    c.setStrokeColor(black)
    c.setFont(FONT, 6)
    c.setFillColor(GREY)
    c.drawString(x, bottom + 5, "Signature of Authorised Signatory of the Importing Country")
    c.setFillColor(black)


def _draw_continuation_form(layout: Layout, c: Canvas) -> None:
    c.setLineWidth(0.8)
    c.rect(LEFT, CONT_HEADER_BOTTOM, WIDTH, TOP - CONT_HEADER_BOTTOM)
    _draw_table_header(layout, c, CONT_HEADER_BOTTOM)


def _draw_declaration_form(layout: Layout, c: Canvas) -> None:
    form = layout.form
    c.setLineWidth(0.8)
    if form.band:
        c.rect(LEFT, DECLARATION_TOP, WIDTH, BAND_H)
        label(c, LEFT + PAD, layout.declaration_top - 9, form.band.number, form.band.title)
    c.rect(LEFT, DECLARATION_BOTTOM, WIDTH, DECLARATION_TOP - DECLARATION_BOTTOM)
    c.line(SPLIT, DECLARATION_TOP, SPLIT, DECLARATION_BOTTOM)
    declaration, certification = form.declaration, form.certification
    label(c, LEFT + PAD, DECLARATION_TOP - 9, declaration.number, declaration.title)
    label(c, SPLIT + PAD, DECLARATION_TOP - 9, certification.number, certification.title)
    x1, y1, x2, y2 = SIGNATURE_RECT
    c.saveState()
    c.setStrokeColor(RULE)
    c.setDash(2, 2)
    c.rect(x1, y1, x2 - x1, y2 - y1)
    c.restoreState()
    for box in form.extra:  # in the strip under the declaration (India-Korea's box 14)
        c.rect(LEFT, FOOTER_TOP, WIDTH, BOX13_H)
        label(c, LEFT + PAD, FOOTER_TOP + 6, box.number, box.title)


def _draw_notes_form(layout: Layout, c: Canvas) -> None:
    """The notes overleaf (Form AI), all of that page but its footer."""
    for p, y in _notes_paragraphs(layout):
        draw_shared(p, c, LEFT, y)


@functools.cache
def _notes_paragraphs(layout: Layout) -> tuple[tuple[Paragraph, float], ...]:
    """The notes overleaf, wrapped and placed once per process: (paragraph, y)."""
    title = para(escape(layout.notes_title), TITLE)
    _, h = title.wrap(WIDTH, 40)
    y = TOP - h
    placed = [(title, y)]
    y -= 10
    for note in layout.notes:
        p = para(note, NOTE)
        _, h = p.wrap(WIDTH, PAGE_H)
        y -= h + 5
        placed.append((p, y))
    return tuple(placed)


# The printed parts of each layout by page kind: each is drawn once per document as a form
# XObject and placed on every page of that kind.
FORM_DRAWERS: dict[str, Callable[[Layout, Canvas], None]] = {
    "first": _draw_first_page_form,
    "continuation": _draw_continuation_form,
    "declaration": _draw_declaration_form,
    "notes": _draw_notes_form,
}


# ---- The frame, drawn once per process ---------------------------------------------------------
# Every document of a layout starts with the same forms (page 1's, the declaration's, the
# continuation sheet's and the notes overleaf), drawn first, before anything that varies: so
# their drawing operators and the font subsets' state they leave (which character has which
# code in which subset) are the same in every document of that layout. The first document of a
# layout in a process draws them and keeps both, and the forms' streams encoded; the next ones
# take the operators and encoded streams as they are and start their fonts' subsets from the
# kept state, instead of laying out, encoding and compressing the frame's ~150 lines of text
# again. The output is the same bytes (tests/certificates/test_pdf_frame.py).


def _frame_forms(layout: Layout) -> tuple[str, ...]:
    # The continuation sheet's form too: a certificate of one page carries it unused (about
    # 1 KB), one of several pages is spared drawing it.
    forms = ("first", "declaration", "continuation")
    return (*forms, "notes") if layout.notes else forms


def _form_filters() -> Filters:
    if rl_config.useA85:
        return Filters((pdfdoc.PDFBase85Encode, pdfdoc.PDFZCompress))
    return Filters((pdfdoc.PDFZCompress,))


@dataclass(frozen=True)
class _Frame:
    fonts_before: tuple[tuple[str, str], ...]  # the document's fonts before the frame
    forms: tuple[tuple[str, tuple[str, ...]], ...]  # (form name, its drawing operators)
    font_mapping: tuple[tuple[str, str], ...]  # the document's fonts after the frame
    states: tuple[tuple[str, dict[str, Any]], ...]  # (font, its subset state's attributes) after it
    filters: Filters  # how the forms' streams are encoded
    encoded: tuple[tuple[str, bytes], ...]  # (form name, its stream encoded)


_FRAMES: dict[Layout, _Frame] = {}
FRAME_REUSE = True  # tests turn it off to compare with the frame drawn in full


def _fonts_of(doc: object) -> tuple[tuple[str, str], ...]:
    return tuple(doc.fontMapping.items())  # type: ignore[attr-defined]  # reportlab's PDFDocument, untyped


def _state_copy(attributes: dict[str, Any]) -> dict[str, Any]:
    """A font's subset state (the attributes of reportlab's TTFont.State), its mutable parts
    copied: each document goes on adding characters to its own."""
    values = dict(attributes)
    values["assignments"] = dict(values["assignments"])
    values["subsets"] = [list(subset) for subset in values["subsets"]]
    return values


def draw_frame(layout: Layout, c: Canvas, forms: set[str]) -> None:
    """Draw (or replay) the layout's frame forms into a new document; see _Frame."""
    doc = c._doc
    frame = _FRAMES.get(layout) if FRAME_REUSE else None
    if frame is not None and frame.fonts_before == _fonts_of(doc) and not doc.delayedFonts:
        for name, code in frame.forms:
            c.beginForm(name)
            c._code.extend(code)
            c.endForm()
            forms.add(name)
        for name, stream in frame.encoded:
            _set_encoded_stream(doc, name, stream, frame.filters)
        for font_name_, internal in frame.font_mapping:
            doc.fontMapping[font_name_] = internal
        for font_name_, attributes in frame.states:
            font = pdfmetrics.getFont(font_name_)
            state = ttfonts.TTFont.State.__new__(ttfonts.TTFont.State)
            vars(state).update(_state_copy(attributes))
            font.state[doc] = state
            doc.delayedFonts.append(font)
        doc.ensureMinPdfVersion("transparency")  # as the frame's setFillColor calls did
        return
    fonts_before = _fonts_of(doc)
    fresh = not doc.delayedFonts
    drawn = []
    for kind in _frame_forms(layout):
        name = f"{layout.key}-{kind}"
        c.beginForm(name)
        FORM_DRAWERS[kind](layout, c)
        drawn.append((name, tuple(c._code)))
        c.endForm()
        forms.add(name)
    if fresh:
        filters = _form_filters()
        encoded = []
        if doc.compression:
            for name, _ in drawn:
                form = doc.idToObject[pdfdoc.xObjectName(name)]
                encoded.append((name, filters.encode(form.stream)))
        _FRAMES[layout] = _Frame(
            fonts_before=fonts_before,
            forms=tuple(drawn),
            font_mapping=_fonts_of(doc),
            states=tuple(
                (font.fontName, _state_copy(vars(font.state[doc]))) for font in doc.delayedFonts
            ),
            filters=filters,
            encoded=tuple(encoded),
        )


def _set_encoded_stream(
    doc: pdfdoc.PDFDocument, name: str, encoded: bytes, filters: Filters
) -> None:
    """Give a replayed form its stream encoded once per process: a stream that names its
    filters is written as it is (the same bytes as reportlab encoding it again)."""
    form = doc.idToObject[pdfdoc.xObjectName(name)]
    stream = pdfdoc.PDFStream(content=encoded)
    stream.dictionary["Filter"] = filters.names()
    stream.__Comment__ = "xobject form stream"
    form.Contents = stream
