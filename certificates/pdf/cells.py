"""A fast path: text cells drawn as plain text (PlainCell, RunsCell) where they print as
reportlab's Paragraph prints them, and Paragraph where they do not (para); paragraphs whose
text recurs from certificate to certificate laid out once per process (laid_out, fit_recurring)."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, unescape

from reportlab.lib.colors import Color, black
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph
from reportlab.platypus import paragraph as paragraph_module

from certificates.pdf.layout import (
    BODY,
    FIT_SIZES,
    FIT_STYLES,
    FONT,
    FONT_BOLD,
    PAGE_H,
    Lines,
    break_long_ascii,
    markup,
)
from core.text import clean


def para(text_markup: str, style: ParagraphStyle = BODY) -> Paragraph | PlainCell:
    # Text in other scripts comes shaped already (core.text.markup): no style shapes.
    if style.alignment == TA_LEFT and _PLAIN_LINE.fullmatch(text_markup):
        return PlainCell(text_markup, style)
    elif (
        text_markup
        and style.alignment in (TA_LEFT, TA_CENTER)
        and _RUN_LINES.fullmatch(text_markup)
    ):
        return RunsCell(text_markup, style)
    return Paragraph(text_markup, style)


# Markup the fast path draws itself: lines of plain text, each line wholly bold or not.
_PLAIN_LINE = re.compile(r"(?:<b>[^<]+</b>|[^<]+)(?:<br/>(?:<b>[^<]+</b>|[^<]+))*")


class TextState:
    """What a text object has set (font, leading), and the subset codes of a document's
    text, kept on its canvas."""

    def __init__(self, canvas: Canvas) -> None:
        self.doc = canvas._doc
        self.escape = canvas._escape
        self.font: str | None = None
        self.leading: float | None = None
        kept = canvas.__dict__.setdefault("_coo_text_codes", ({}, {}))
        self._names: dict[str, str] = kept[0]  # font -> its first subset's name
        self._pieces: dict[tuple[str, str], list[tuple[str, str]]] = kept[1]

    def show(self, ops: list[str], font: str, size: float, text: str, operator: str) -> None:
        """Append to `ops` what prints `text` in `font` at `size` ("Tj", or "Tj T*" to move
        to the next line after it), setting the font where it changes."""
        # The text in the subset codes of its font: printable ASCII keeps its own codes in the
        # first subset (reportlab's readable ASCII), so it is only escaped; other text is
        # coded per document, once for each line.
        parts = ((self.ascii_name(font), escapePDF(text)),) if text.isascii() else None
        for subset_name, codes in parts or self.pieces(font, text):
            if subset_name != self.font:
                ops.append(f"{subset_name} {fp_str(size)} Tf")
                self.font = subset_name
            ops.append(f"({codes}) {operator}")

    def ascii_name(self, font: str) -> str:
        name = self._names.get(font)
        if name is None:
            name = self._names[font] = pdfmetrics.getFont(font).getSubsetInternalName(0, self.doc)
        return name

    def pieces(self, font: str, line: str) -> list[tuple[str, str]]:
        """(subset name, escaped codes) of a line of any text, once per document and line."""
        key = (font, line)
        if key not in self._pieces:
            face = pdfmetrics.getFont(font)
            self._pieces[key] = [
                (face.getSubsetInternalName(subset, self.doc), self.escape(codes))
                for subset, codes in face.splitString(line, self.doc)
            ]
        return self._pieces[key]


# A word's width (pdfmetrics.stringWidth), kept: the goods table repeats its units, dates and
# criteria, and every word of a cell is measured when it is wrapped.
_word_width = functools.lru_cache(maxsize=1 << 16)(pdfmetrics.stringWidth)


# Spaces that Python's str.split breaks at and reportlab's Paragraph does not (no-break
# spaces): text holding one is left to Paragraph.
_NO_BREAK = "".join(
    ch for ch in map(chr, range(0x3001)) if ch.isspace() and ch not in paragraph_module._wsc
)
_KEEPS_TOGETHER = re.compile(f"[{re.escape(_NO_BREAK)}]")


@functools.lru_cache(maxsize=1 << 13)
def _wrap_plain(
    text: str, font: str, size: float, width: float, shrinkage: float, break_long: bool
) -> tuple[str, ...] | None:
    """A line of plain text in one font broken into printed lines as reportlab's Paragraph
    breaks it, kept (a certificate repeats its invoice, criterion and units from item to
    item, and certificates repeat each other's); with `break_long`, words wider than `width`
    are first broken as markup breaks them (text of printable ASCII only). None for what
    only Paragraph does the same way: no word at all, a word still wider than `width`, a
    line Paragraph would fit by shrinking its spaces (by `shrinkage` of a space each)."""
    if _KEEPS_TOGETHER.search(text):
        return None  # a no-break space: Python would break at it, reportlab does not
    one_line = " ".join(text.split())
    # Most cells' lines fit as they are (by more than rounding: else measured word by word).
    if one_line and pdfmetrics.stringWidth(one_line, font, size) < width - 1e-6:
        return (one_line,)
    words: list[str] = []
    for word in text.split():
        if break_long and _word_width(word, font, size) > width:
            words += break_long_ascii(word, width, size)
        else:
            words.append(word)
    if not words:
        return None
    space = _word_width(" ", font, size)
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    for word in words:
        word_width = _word_width(word, font, size)
        if word_width > width:
            return None
        wider = used + space + word_width - width
        if line and 0 < wider <= shrinkage * space * (len(line) + 1):
            return None  # Paragraph would squeeze it in by shrinking the spaces: let it
        if line and wider > 0:
            lines.append(" ".join(line))
            line, used = [word], word_width
        else:
            used += (space if line else 0) + word_width
            line.append(word)
    lines.append(" ".join(line))
    return tuple(lines)


class PlainCell:
    """A left-aligned paragraph of plain lines (each wholly bold or regular, in the style's
    Latin font), wrapped word by word as reportlab's Paragraph wraps it and drawn straight
    onto the canvas: the goods table's cells, without the markup parser and per-word
    fragments that made them most of the rendering.

    Made from markup (para) or, for the goods table, from the lines themselves
    (PlainCell.of_lines), which skips the markup when every line is printable ASCII.
    Anything it does not handle the same way (a word wider than the cell, a line that is only
    spaces, a line Paragraph would fit by shrinking its spaces) is left to a real Paragraph of
    the same markup.
    """

    def __init__(self, text_markup: str, style: ParagraphStyle) -> None:
        self.text_markup = text_markup
        self.style = style
        self.width = self.height = 0.0
        self.lines: list[tuple[str, str]] = []  # (font name, text) per printed line
        self.paragraph: Paragraph | None = None
        self._wrapped_to: float | None = None

    @classmethod
    def of_lines(
        cls, lines: Sequence[tuple[bool, str]], width: float, style: ParagraphStyle = BODY
    ) -> Paragraph | PlainCell:
        """A cell of (bold, text) lines of hostile text, wrapped to `width`: drawn plain when
        every line is printable ASCII, else the paragraph of their markup (as para)."""
        return cls.plain(lines, width, style) or para(lines_markup(lines, width), style)

    @classmethod
    def plain(
        cls, lines: Sequence[tuple[bool, str]], width: float, style: ParagraphStyle
    ) -> PlainCell | None:
        """of_lines when every line is printable ASCII and wraps plainly (wrapped already),
        else None."""
        size = style.fontSize
        printed: list[tuple[str, str]] = []
        for bold, text in lines:
            font = FONT_BOLD if bold else style.fontName
            # Printable ASCII is what clean leaves as it is: only other text is cleaned.
            printable = text.isascii() and text.isprintable()
            for line in [text] if printable else clean(text).split("\n"):
                if not (line.isascii() and line.isprintable()):
                    return None
                wrapped = _wrap_plain(line, font, size, width, style.spaceShrinkage, True)
                if wrapped is None:
                    return None
                printed += [(font, piece) for piece in wrapped]
        cell = cls("", style)
        cell._set_lines(printed, width)
        return cell

    def _fallback(self) -> Paragraph:
        if self.paragraph is None:
            if not self.text_markup:  # made from lines: their markup, drawn as it was wrapped
                self.text_markup = "<br/>".join(
                    f"<b>{escape(text)}</b>" if font != self.style.fontName else escape(text)
                    for font, text in self.lines
                )
            self.paragraph = Paragraph(self.text_markup, self.style)
        return self.paragraph

    def _wrap_paragraph(self, width: float, height: float) -> tuple[float, float]:
        self.width, self.height = self._fallback().wrap(width, height)
        return self.width, self.height

    def wrap(self, width: float, height: float) -> tuple[float, float]:
        if self.paragraph is not None:
            return self._wrap_paragraph(width, height)
        if self._wrapped_to != width and not self._lay_out(width):
            return self._wrap_paragraph(width, height)
        return self.width, self.height

    def _lay_out(self, width: float) -> bool:
        """Break the markup's lines to `width`; False for what only Paragraph does alike."""
        style = self.style
        bold = style.fontName == FONT and FONT_BOLD
        printed: list[tuple[str, str]] = []
        for segment in self.text_markup.split("<br/>"):
            font = style.fontName
            if segment.startswith("<b>"):
                segment, font = segment[3:-4], bold
            wrapped = font and _wrap_plain(
                unescape(segment), font, style.fontSize, width, style.spaceShrinkage, False
            )
            if not wrapped:
                return False
            printed += [(font, piece) for piece in wrapped]
        self._set_lines(printed, width)
        return True

    def _set_lines(self, lines: list[tuple[str, str]], width: float) -> None:
        self.lines = lines
        self._set_size(len(lines), width)

    def _set_size(self, line_count: int, width: float) -> None:
        self.width = self._wrapped_to = width
        self.height = line_count * self.style.leading

    def split(self, width: float, height: float) -> list[Any]:
        """Paragraph.split of the same lines: the lines that fit and the rest, never one line
        alone (reportlab's orphan rule), [] if that cannot be."""
        if self.paragraph is not None or self._wrapped_to != width:
            parts: list[Any] = self._fallback().split(width, height)
            return parts
        fit = int(height / self.style.leading)
        if fit <= 1:
            return []
        if fit >= len(self.lines):
            return [self]
        return [self._part(self.lines[:fit]), self._part(self.lines[fit:])]

    def _part(self, lines: list[tuple[str, str]]) -> PlainCell:
        part = PlainCell("", self.style)
        part._set_lines(lines, self.width)
        return part

    @property
    def plain_black(self) -> bool:
        """Drawn as plain text in black: a row draws such cells in one text object."""
        color = self.style.textColor
        return self.paragraph is None and (color is black or color == black)

    def text_ops(self, at: str, ops: list[str], state: TextState) -> None:
        """Append to `ops` the text operators (inside BT ... ET) that print the lines, the
        first line's baseline at `at` ("x y", the top of the cell less the font size)."""
        size, leading = self.style.fontSize, self.style.leading
        if state.leading != leading:
            ops.append(f"{fp_str(leading)} TL")
            state.leading = leading
        ops.append(f"1 0 0 1 {at} Tm")
        for font, line in self.lines:
            state.show(ops, font, size, line, "Tj T*")

    def _text(self, x: float, baseline: float, ops: list[str], state: TextState) -> None:
        self.text_ops(fp_str(x, baseline), ops, state)

    def drawOn(self, canvas: Canvas, x: float, y: float) -> None:  # noqa: N802 (reportlab's name)
        if self.paragraph is not None:
            self.paragraph.drawOn(canvas, x, y)
            return
        style = self.style
        color = style.textColor
        # The graphics state saved, the colour set, the text, the state restored: the
        # operators canvas.saveState, setFillColor and restoreState write, written here
        # without their bookkeeping for a plain opaque RGB colour (any other goes through
        # them).
        plain_colour = (
            type(color) is Color
            and color.alpha == 1
            and canvas._enforceColorSpace is None
            and canvas._extgstate.getValue("ca") == 1
        )
        if plain_colour:
            canvas._doc.ensureMinPdfVersion("transparency")  # as setFillColor does
            canvas._code.append("q")
            canvas._code.append(f"{fp_str((color.red, color.green, color.blue))} rg")
        else:
            canvas.saveState()
            canvas.setFillColor(color)
        ops = ["BT"]
        self._text(x, y + self.height - style.fontSize, ops, TextState(canvas))
        ops.append("ET")
        canvas._code.append(" ".join(ops))
        if plain_colour:
            canvas._code.append("Q")
        else:
            canvas.restoreState()


# Markup of lines of runs, each run bold or not (empty lines allowed), and one run of it.
# (Possessive: a failed match must not try every way of cutting the text into runs.)
_RUN_LINES = re.compile(r"(?:<b>[^<]++</b>|[^<]++)*+(?:<br/>(?:<b>[^<]++</b>|[^<]++)*+)*+")
_RUN = re.compile(r"<b>([^<]+)</b>|([^<]+)")


class RunsCell(PlainCell):
    """Lines of runs, each bold or not ("Place and date: <b>Mumbai, 04 Mar 2026</b>"),
    left-aligned or centred, every line fitting its width as it is: the declaration's
    particulars, box 12, the title block and the officer's name, drawn straight instead of
    through Paragraph's fragments. A line that would have to wrap (or anything else this
    does not do as Paragraph does) leaves the whole cell to Paragraph."""

    def __init__(self, text_markup: str, style: ParagraphStyle) -> None:
        super().__init__(text_markup, style)
        self.run_lines: list[tuple[float, list[tuple[str, str]]]] = []  # (offset, runs)

    @property
    def plain_black(self) -> bool:
        return False  # drawn by drawOn, line by line

    def text_ops(self, at: str, ops: list[str], state: TextState) -> None:
        raise TypeError("a runs cell places each line itself: draw it with drawOn")

    def _lay_out(self, width: float) -> bool:
        style = self.style
        lines = []
        segments = self.text_markup.split("<br/>")
        if len(segments) > 1 and not segments[-1]:
            segments.pop()  # Paragraph prints no line after a last <br/>
        for segment in segments:
            runs = _line_runs(segment, style.fontName)
            if runs is None:
                return False
            used = sum(pdfmetrics.stringWidth(t, font, style.fontSize) for font, t in runs)
            if used >= width - 1e-6:
                return False
            offset = (width - used) / 2 if style.alignment == TA_CENTER else 0.0
            lines.append((offset, runs))
        self.run_lines = lines
        self._set_size(len(lines), width)
        return True

    def split(self, width: float, height: float) -> list[Any]:
        parts: list[Any] = self._fallback().split(width, height)
        return parts

    def _text(self, x: float, baseline: float, ops: list[str], state: TextState) -> None:
        size, leading = self.style.fontSize, self.style.leading
        for index, (offset, runs) in enumerate(self.run_lines):
            ops.append(f"1 0 0 1 {fp_str(x + offset, baseline - index * leading)} Tm")
            for font, text in runs:
                state.show(ops, font, size, text, "Tj")


def _line_runs(segment: str, regular: str) -> list[tuple[str, str]] | None:
    """A line's (font, text) runs as Paragraph prints them: spaces collapsed, a space kept in
    the run where it stands, none at either end; None for a run of spaces only."""
    runs: list[tuple[str, str]] = []
    space_before = False
    if _KEEPS_TOGETHER.search(unescape(segment)):
        return None
    for match in _RUN.finditer(segment):
        bold, plain = match.groups()
        font = FONT_BOLD if bold is not None else regular
        text = unescape(bold if bold is not None else plain)
        words = text.split()
        if not words:
            return None
        core = " ".join(words)
        if runs and (space_before or text[0].isspace()):
            if space_before:
                runs[-1] = (runs[-1][0], runs[-1][1] + " ")
            else:
                core = " " + core
        runs.append((font, core))
        space_before = text[-1].isspace()
    return runs


@functools.lru_cache(maxsize=512)
def laid_out(
    text_markup: str, style: ParagraphStyle, width: float
) -> tuple[Paragraph | PlainCell, float]:
    """A paragraph whose text recurs from certificate to certificate (a heading, an
    agreement's title), wrapped to `width` once per process: (paragraph, height). Draw it
    with draw_shared."""
    p = para(text_markup, style)
    return p, p.wrap(width, PAGE_H)[1]


# reportlab's Paragraph.drawOn keeps the canvas on the paragraph while it draws: a paragraph
# shared between threads (one laid out once per process) is drawn by one thread at a time.
_SHARED_DRAWING = threading.Lock()


def draw_shared(p: Paragraph | PlainCell, c: Canvas, x: float, y: float) -> None:
    # A plain cell that left its text to a Paragraph (a line that wraps) draws that one.
    if isinstance(p, Paragraph) or p.paragraph is not None:
        with _SHARED_DRAWING:
            p.drawOn(c, x, y)
    else:
        p.drawOn(c, x, y)


def fit(
    text_markup: str, width: float, height: float, reserve: float = 0
) -> tuple[Paragraph | PlainCell, bool, float]:
    """The largest FIT_SIZES paragraph that fits, else the smallest one cut to fit, wrapped
    to `width`, and its height.

    A cut paragraph leaves `reserve` points free below it; the flag says whether it was cut.
    """
    for size in FIT_SIZES:
        p = para(text_markup, FIT_STYLES[size])
        wrapped = p.wrap(width, PAGE_H)[1]
        if wrapped <= height:
            return p, False, wrapped
    parts = p.split(width, height - reserve)
    part = parts[0] if parts else para("")
    return part, True, part.wrap(width, height)[1]


def lines_markup(lines: Sequence[tuple[bool, str]], width: float | None = None) -> str:
    """(bold, text) lines of hostile text as paragraph markup (see markup)."""
    return "<br/>".join(
        f"<b>{markup(text, width)}</b>" if bold else markup(text, width) for bold, text in lines
    )


def fit_lines(
    lines: Lines, width: float, height: float, reserve: float = 0
) -> tuple[Paragraph | PlainCell, bool, float]:
    """fit of (bold, text) lines, drawn plain where they can be (PlainCell.of_lines)."""
    for size in FIT_SIZES:
        cell = PlainCell.plain(lines, width, FIT_STYLES[size])
        if cell is None:
            break  # not plain: the paragraphs of their markup
        if cell.height <= height:
            return cell, False, cell.height
    return fit(lines_markup(lines, width), width, height, reserve)


@functools.lru_cache(maxsize=256)
def fit_recurring(
    text_markup: str, width: float, height: float
) -> tuple[Paragraph | PlainCell, bool, float]:
    """fit for text that recurs from certificate to certificate, once per process (draw it
    with draw_shared)."""
    return fit(text_markup, width, height)
