"""The certificate of origin as a PDF, laid out like the official paper forms.

Each kind of certificate has its layout (Layout): Form AI (AIFTA) with boxes 1-13 as the
official form has them and its notes overleaf as a last page; the other preferential forms;
the non-preferential certificate in the chamber/ICC model (consignor, consignee, country of
origin, transport details, remarks, goods, quantity, certification). Goods that do not fit
continue on further pages, each repeating the title, number and the goods table's header.
The printed parts of each layout are form XObjects, placed on every page of their kind; the
frame (page 1's, the declaration's, the continuation sheet's and the notes overleaf) is drawn
once per process and layout and replayed into each document (see _Frame). The goods table's
cells are drawn as plain text where they can be (_PlainCell), and font files are made once
per process and subset (_compressed_subset).

Text in any script prints in an embedded font chosen per word (Noto for Latin, Devanagari,
Arabic and Hebrew, Droid Sans Fallback for CJK), shaped by HarfBuzz through reportlab.

Everything printed comes from exporters and is treated as hostile: it is cleaned of invisible
and direction-changing characters and escaped before reportlab's paragraph markup sees it.
"""

from __future__ import annotations

import functools
import io
import os
import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape, unescape

import zxingcpp
from reportlab import rl_config
from reportlab.lib.colors import Color, black, white
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph
from reportlab.platypus import paragraph as paragraph_module

from core import text as text_engine
from core.fonts import FONT_FILES, ShapingFont
from core.text import clean
from reference.certificate_forms import Box, FormDefinition, form_for

# ---------------------------------------------------------------------------------------------
# What a certificate says
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exporter:
    name: str
    address: str
    iec: str
    email: str = ""  # printed where the form asks for them (India-Korea's box 1)
    telephone: str = ""
    fax: str = ""


@dataclass(frozen=True)
class Consignee:
    name: str
    address: str
    country: str


@dataclass(frozen=True)
class Transport:
    mode: str
    vessel: str
    port_of_loading: str
    port_of_discharge: str
    departure_date: date | None


@dataclass(frozen=True)
class Declaration:
    name: str
    designation: str
    place: str
    date: date
    # Who declared, in what capacity, for whom and how it was signed ("Signed electronically
    # by Kiran Rao, Kiran Logistics, customs broker, on behalf of ..."): applications.declared.
    signed: str = ""


@dataclass(frozen=True)
class CertificateItem:
    position: int
    marks: str
    package_count: int
    package_kind: str
    description: str
    hs_code: str
    criterion_display: str
    quantity_text: str
    gross_weight_text: str
    invoice_text: str
    fob_text: str = ""  # "USD 12,500.00"


@dataclass(frozen=True)
class CertificateData:
    number: str
    verification_code: str
    verify_url: str
    certificate_type: str  # "non_preferential" or "preferential"
    title: str  # "Certificate of Origin (Non-Preferential)" or the agreement's form title
    agreement_name: str  # empty for non-preferential certificates
    exporter: Exporter
    consignee: Consignee
    transport: Transport
    destination_country: str
    items: Sequence[CertificateItem]
    declaration: Declaration
    agency_name: str
    office_name: str
    office_city: str
    officer_name: str
    officer_designation: str
    issue_date: date
    third_party_invoicing: str = ""
    remarks: str = ""
    in_lieu_of: str = ""
    agreement_code: str = ""  # "AIFTA"; chooses the layout
    issued_at: datetime | None = None  # the PDF's creation date, printed in India's time
    # Box 13 of Form AI.
    issued_retroactively: bool = False
    exhibition: bool = False
    movement_certificate: bool = False
    # Each agreement's own form (reference/certificate_forms.py).
    producer: str = ""  # India-Korea's box 2
    third_party_invoice: str = ""  # the third-country company's invoice: number and date
    # A back-to-back certificate (re-export): the foreign certificate it rests on, and the
    # origin that one certifies (printed as the country of origin instead of India).
    foreign_certificate: str = ""  # "No. X, issued by Y, Viet Nam, on 02 Mar 2026"
    origin_country: str = "INDIA"

    @property
    def is_preferential(self) -> bool:
        return self.certificate_type == "preferential"


# ---------------------------------------------------------------------------------------------
# Geometry (points; the origin is the bottom-left corner of an A4 page)
# ---------------------------------------------------------------------------------------------

PAGE_W, PAGE_H = A4
MARGIN = 22
LEFT, RIGHT = MARGIN, PAGE_W - MARGIN
WIDTH = RIGHT - LEFT
TOP = PAGE_H - MARGIN
SPLIT = LEFT + 292  # the line between the left boxes (1-3, 11) and the right ones (4, 12)

BOX1_BOTTOM = TOP - 96
BOX2_BOTTOM = BOX1_BOTTOM - 96
BOX3_BOTTOM = BOX2_BOTTOM - 88
CONT_HEADER_BOTTOM = TOP - 46  # the title band of continuation pages
TABLE_HEADER_H = 36
FOOTER_TOP = MARGIN + 20  # two lines of footer: the verification URL is printed in full
BOX13_H = 18  # box 13's ticks under boxes 11 and 12 (Form AI); blank on other forms
DECLARATION_BOTTOM = FOOTER_TOP + BOX13_H
DECLARATION_TOP = DECLARATION_BOTTOM + 186

# Box 12's empty rectangle for the visible signature, on the certification page: (x1, y1, x2, y2).
SIGNATURE_RECT: tuple[int, int, int, int] = (
    SPLIT + 10,
    DECLARATION_BOTTOM + 34,
    int(RIGHT) - 10,
    DECLARATION_BOTTOM + 100,
)

PAD = 3
# The QR code: at least 30 mm of modules (a version-6 code, 41 modules, gets 35.4 mm) inside a
# quiet zone of 4 modules, as ISO/IEC 18004 asks; level Q survives blur and JPEG at 100 dpi.
QR_SIZE = 120
QR_BORDER = 4
QR_ERROR = "q"
_DARK_RUN = re.compile(b"\x00+")  # zxing-cpp's image: 0 is a dark module, 255 a light one


def qr_code(text: str) -> zxingcpp.Barcode:
    """`text` as a QR code at error-correction level QR_ERROR (the mask chosen by the
    standard's penalty rules, as segno and ZXing do)."""
    return zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=QR_ERROR.upper())


def qr_matrix(text: str) -> list[bytes]:
    """The QR code's modules, one bytes object per row (0 dark, 255 light), no quiet zone."""
    image = memoryview(qr_code(text).to_image(scale=1, add_quiet_zones=False))
    width = image.shape[1]
    flat = image.tobytes()
    return [flat[i : i + width] for i in range(0, len(flat), width)]


GREY = Color(0.35, 0.35, 0.35)
RULE = Color(0.75, 0.75, 0.75)
TINT = Color(0.93, 0.95, 0.97)
IST = timezone(timedelta(hours=5, minutes=30), "IST")

# ---------------------------------------------------------------------------------------------
# Fonts and text
# ---------------------------------------------------------------------------------------------

# The text engine (core/text.py) chooses a font per character, applies the bidirectional
# algorithm and shapes. The certificate renderer alone writes the fonts' objects its own way,
# made once per process (_use_fast_paths): the same bytes, a fifth of the rendering saved.
_FONTS = text_engine.FONTS


def font_name(script: str, *, bold: bool = False) -> str:
    return _FONTS.name(script, bold=bold)


FONT, FONT_BOLD = font_name("latin"), font_name("latin", bold=True)


def _register_fonts() -> None:
    _FONTS.register()


def markup(text: str, width: float | None = None, size: float = 7.5) -> str:
    """Hostile text as paragraph markup in the certificate's fonts (core.text.markup)."""
    return text_engine.markup(text, width, size, fonts=_FONTS)


def _break_long_ascii(word: str, width: float, size: float) -> list[str]:
    return text_engine._break_long_ascii(word, width, size, _FONTS)


# ---- Font subsets, made once per process ---------------------------------------------------
# A document embeds, for each font it uses, the subset of glyphs it printed. With reportlab's
# readable ASCII (printable ASCII keeps its own codes in subset 0) and the frame drawn first,
# the Latin subsets of certificates in English are the same from document to document: their
# font files are made and compressed once (a fifth of the rendering of a one-item certificate).


@dataclass(frozen=True)
class _Filters:
    """The filters reportlab applies to a stream, in order: content encoded once with them is
    written as it is by a stream that names them (PDFStream.format applies no filter then)."""

    filters: tuple

    def encode(self, content: bytes) -> bytes:
        for f in reversed(self.filters):  # as PDFStream.format applies them
            content = f.encode(content)
        return content

    def names(self) -> pdfdoc.PDFArray:
        return pdfdoc.PDFArray([pdfdoc.PDFName(f.pdfname) for f in self.filters])


_FLATE = _Filters((pdfdoc.PDFZCompress,))  # what reportlab gives font files and cmaps


@functools.lru_cache(maxsize=64)
def _compressed_subset(face: ttfonts.TTFontFace, subset: tuple[int, ...]) -> tuple[int, bytes]:
    """The subset's font file: (its length, its bytes compressed as reportlab compresses)."""
    with _FACES:  # a face reads its file through one position: one subset at a time
        content = face.makeSubset(list(subset))
    return len(content), _FLATE.encode(content)


# reportlab's font faces are shared by every thread that renders, and are not made for it:
# making a subset reads the font through the face's one file position, and the font set gives
# out the face's free private-use codes (FontSet.code). Both hold the font set's lock.
# (Unlocked, six threads made wrong font files, which the cache above would then have kept.)
_FACES = _FONTS.lock


class _Formatted(pdfdoc.PDFObject):
    """A PDF object as reportlab formats it, formatted once."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: pdfdoc.PDFDocument) -> bytes:
        return self.data


@functools.lru_cache(maxsize=64)
def _subset_font_parts(
    font: ShapingFont, subset: tuple[int, ...], base_font_name: str
) -> tuple[bytes, bytes]:
    """A subset's /Widths, formatted, and its ToUnicode map, compressed. (A code's glyph,
    width and text never change once given: a subset's parts can be kept.)"""
    widths = pdfdoc.PDFArray(list(map(font.face.getCharWidth, subset)))
    cmap = font.to_unicode_cmap(base_font_name, subset)
    return widths.format(None), _FLATE.encode(cmap)


def _add_font_objects(font: ShapingFont, doc: pdfdoc.PDFDocument) -> None:
    """ShapingFont.write_objects, each subset's widths and ToUnicode map then taken from
    _subset_font_parts: the same objects, byte for byte (test_pdf_frame.py)."""
    state = font.state.get(doc)
    subsets = [tuple(subset) for subset in state.subsets] if state is not None else []
    names = [font.getSubsetInternalName(n, doc)[1:] for n in range(len(subsets))]
    font.write_objects(doc)
    if not doc.compression:
        return
    fonts = doc.idToObject["BasicFonts"].dict
    for name, subset in zip(names, subsets, strict=True):
        pdf_font = fonts[name]
        widths, cmap = _subset_font_parts(font, subset, pdf_font.BaseFont)
        pdf_font.Widths = _Formatted(widths)
        stream = doc.idToObject["toUnicodeCMap:" + pdf_font.BaseFont]
        stream.content, stream.filters = cmap, None
        stream.dictionary["Filter"] = _FLATE.names()


def _use_fast_paths(canvas: Canvas) -> None:
    """The certificate's document writes its fonts' objects from what the process made
    already (see ShapingFont): no other document does."""
    canvas._doc.font_objects = _add_font_objects
    canvas._doc.subset_objects = _add_subset_objects


def _add_subset_objects(
    face: ttfonts.TTFontFace, doc: pdfdoc.PDFDocument, fontname: str, subset: list[int]
) -> pdfdoc.PDFObjectReference:
    """TTFontFace.addSubsetObjects (reportlab 5.1), its font file taken from
    _compressed_subset: the same objects, byte for byte (test_pdf_frame.py)."""
    if not doc.compression:
        with _FACES:
            return ttfonts.TTFontFace.addSubsetObjects(face, doc, fontname, subset)
    length, compressed = _compressed_subset(face, tuple(subset))
    font_file = pdfdoc.PDFStream(content=compressed)
    font_file.dictionary["Length1"] = length
    font_file.dictionary["Filter"] = _FLATE.names()
    font_file_ref = doc.Reference(font_file, f"fontFile:{face.filename}({fontname})")
    flags = (face.flags & ~ttfonts.FF_NONSYMBOLIC) | ttfonts.FF_SYMBOLIC
    descriptor = pdfdoc.PDFDictionary(
        {
            "Type": "/FontDescriptor",
            "Ascent": face.ascent,
            "CapHeight": face.capHeight,
            "Descent": face.descent,
            "Flags": flags,
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(fontname),
            "ItalicAngle": face.italicAngle,
            "StemV": face.stemV,
            "FontFile2": font_file_ref,
            "MissingWidth": face.defaultWidth,
        }
    )
    return doc.Reference(descriptor, "fontDescriptor:" + fontname)


# What the signature stamp can print: Latin, Latin-1, Latin Extended-A and -B, and the
# punctuation of general use. pyHanko re-reads and subsets the stamp's font at every signature:
# the whole of Noto Sans cost about 0.4 s a signature, this cut of it a few milliseconds.
STAMP_CHARACTERS = frozenset([*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x2010, 0x2050)])


@functools.cache
def _stamp_font_bytes() -> bytes:
    """Noto Sans cut to STAMP_CHARACTERS, made once per process."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["kern"]
    font = subset.load_font(str(FONT_FILES["latin"][0]), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=STAMP_CHARACTERS)
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def stamp_font_file() -> str:
    """A file holding the stamp's font (pyHanko reads it by name at every signature): one per
    process, written again if something (a temporary-files cleaner) removed it."""
    path = Path(tempfile.gettempdir()) / f"coo-stamp-{os.getpid()}.ttf"
    if not path.exists():
        # Written under a name of its own, then renamed: threads that race here each rename a
        # whole file over the same path, and no reader ever sees half of one.
        fd, partial = tempfile.mkstemp(prefix=path.stem, suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(_stamp_font_bytes())
        os.replace(partial, path)
    return str(path)


def _style(name: str, size: float, **kw: object) -> ParagraphStyle:
    options: dict[str, object] = {"fontName": FONT, "leading": size * 1.22, "shaping": 0, **kw}
    return ParagraphStyle(name, fontSize=size, **options)


BODY = _style("body", 7.5)
SMALL = _style("small", 6.5)
CENTRED = _style("centred", 7.5, alignment=TA_CENTER)
TITLE = _style("title", 13, fontName=FONT_BOLD, alignment=TA_CENTER)
HEADING = _style("heading", 8.2, fontName=FONT_BOLD, alignment=TA_CENTER)
SUBTITLE = _style("subtitle", 7.5, alignment=TA_CENTER)
NOTE = _style("note", 7.2, leading=9.2)
FOOTER = _style("footer", 6.5, textColor=GREY, leading=7.6)
CONTINUATION_TITLE = _style("ct", 11, fontName=FONT_BOLD)
# Header boxes shrink their text to these sizes before giving up and continuing it elsewhere.
FIT_SIZES = (7.5, 6.8, 6.0)
_FIT_STYLES = {size: _style("fit", size) for size in FIT_SIZES}


def _para(text_markup: str, style: ParagraphStyle = BODY) -> Paragraph | _PlainCell:
    # Text in other scripts comes shaped already (core.text.markup): no style shapes.
    if style.alignment == TA_LEFT and _PLAIN_LINE.fullmatch(text_markup):
        return _PlainCell(text_markup, style)
    elif (
        text_markup
        and style.alignment in (TA_LEFT, TA_CENTER)
        and _RUN_LINES.fullmatch(text_markup)
    ):
        return _RunsCell(text_markup, style)
    return Paragraph(text_markup, style)


# Markup the fast path draws itself: lines of plain text, each line wholly bold or not.
_PLAIN_LINE = re.compile(r"(?:<b>[^<]+</b>|[^<]+)(?:<br/>(?:<b>[^<]+</b>|[^<]+))*")


class _TextState:
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
            words += _break_long_ascii(word, width, size)
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


class _PlainCell:
    """A left-aligned paragraph of plain lines (each wholly bold or regular, in the style's
    Latin font), wrapped word by word as reportlab's Paragraph wraps it and drawn straight
    onto the canvas: the goods table's cells, without the markup parser and per-word
    fragments that made them most of the rendering.

    Made from markup (_para) or, for the goods table, from the lines themselves
    (_PlainCell.of_lines), which skips the markup when every line is printable ASCII.
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
    ) -> Paragraph | _PlainCell:
        """A cell of (bold, text) lines of hostile text, wrapped to `width`: drawn plain when
        every line is printable ASCII, else the paragraph of their markup (as _para)."""
        return cls.plain(lines, width, style) or _para(_lines_markup(lines, width), style)

    @classmethod
    def plain(
        cls, lines: Sequence[tuple[bool, str]], width: float, style: ParagraphStyle
    ) -> _PlainCell | None:
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

    def split(self, width: float, height: float) -> list:
        """Paragraph.split of the same lines: the lines that fit and the rest, never one line
        alone (reportlab's orphan rule), [] if that cannot be."""
        if self.paragraph is not None or self._wrapped_to != width:
            return self._fallback().split(width, height)
        fit = int(height / self.style.leading)
        if fit <= 1:
            return []
        if fit >= len(self.lines):
            return [self]
        return [self._part(self.lines[:fit]), self._part(self.lines[fit:])]

    def _part(self, lines: list[tuple[str, str]]) -> _PlainCell:
        part = _PlainCell("", self.style)
        part._set_lines(lines, self.width)
        return part

    @property
    def plain_black(self) -> bool:
        """Drawn as plain text in black: a row draws such cells in one text object."""
        color = self.style.textColor
        return self.paragraph is None and (color is black or color == black)

    def text_ops(self, at: str, ops: list[str], state: _TextState) -> None:
        """Append to `ops` the text operators (inside BT ... ET) that print the lines, the
        first line's baseline at `at` ("x y", the top of the cell less the font size)."""
        size, leading = self.style.fontSize, self.style.leading
        if state.leading != leading:
            ops.append(f"{fp_str(leading)} TL")
            state.leading = leading
        ops.append(f"1 0 0 1 {at} Tm")
        for font, line in self.lines:
            state.show(ops, font, size, line, "Tj T*")

    def _text(self, x: float, baseline: float, ops: list[str], state: _TextState) -> None:
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
        self._text(x, y + self.height - style.fontSize, ops, _TextState(canvas))
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


class _RunsCell(_PlainCell):
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

    def text_ops(self, at: str, ops: list[str], state: _TextState) -> None:
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

    def split(self, width: float, height: float) -> list:
        return self._fallback().split(width, height)

    def _text(self, x: float, baseline: float, ops: list[str], state: _TextState) -> None:
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


def _fmt_date(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else ""


def pdf_date(moment: datetime) -> str:
    """A PDF date in India's time with its real offset: D:20260305113000+05'30'."""
    local = moment.astimezone(IST)
    return local.strftime("D:%Y%m%d%H%M%S+05'30'")


# ---------------------------------------------------------------------------------------------
# The layouts: which boxes each form has (drawn from reference/certificate_forms.py)
# ---------------------------------------------------------------------------------------------


Lines = list[tuple[bool, str]]  # a cell's text: (bold, hostile text) per line


@dataclass(frozen=True)
class Column:
    number: str
    heading: str
    width: float | None  # None takes what the other columns leave
    cell: Callable[[CertificateData, CertificateItem], Lines]  # what an item prints in it


def _packages_and_goods(data: CertificateData, item: CertificateItem) -> Lines:
    lines = [(True, f"{item.package_count} {item.package_kind}"), (False, item.description)]
    if item.hs_code:
        lines.append((False, f"HS code: {item.hs_code}"))
    return lines


def _goods_aifta(data: CertificateData, item: CertificateItem) -> Lines:
    """Form AI's box 7: the goods with the importing country's HS number, and the company in
    a third country that invoices them (as DGFT's agencies print it)."""
    lines = [(True, f"{item.package_count} {item.package_kind}"), (False, item.description)]
    if item.quantity_text:
        lines.append((False, f"Quantity: {item.quantity_text}"))
    if item.hs_code:
        lines.append((False, f"HS number of the importing country: {item.hs_code}"))
    if data.third_party_invoicing:
        lines.append((False, f"Third country invoicing: {data.third_party_invoicing}"))
    return lines


def _goods_with_quantity(data: CertificateData, item: CertificateItem) -> Lines:
    lines = [(True, f"{item.package_count} {item.package_kind}"), (False, item.description)]
    if item.quantity_text:
        lines.append((False, f"Quantity: {item.quantity_text}"))
    return lines


def _goods_all(data: CertificateData, item: CertificateItem) -> Lines:
    """One column for item number, marks, packages, description and HS number (Mauritius)."""
    lines = [(True, f"Item {item.position}")]
    if item.marks:
        lines.append((False, f"Marks: {item.marks}"))
    lines += [(False, f"{item.package_count} {item.package_kind}"), (False, item.description)]
    if item.hs_code:
        lines.append((False, f"HS: {item.hs_code}"))
    return lines


def _weight_and_value(data: CertificateData, item: CertificateItem) -> Lines:
    lines = [(False, t) for t in (item.gross_weight_text, item.quantity_text) if t]
    if item.fob_text:
        lines.append((False, f"FOB {item.fob_text}"))
    return lines


def _weight_and_quantity(data: CertificateData, item: CertificateItem) -> Lines:
    texts = [
        item.quantity_text,
        f"gross {item.gross_weight_text}" if item.gross_weight_text else "",
    ]
    return [(False, t) for t in texts if t]


def _invoices_third_party(data: CertificateData, item: CertificateItem) -> Lines:
    """Form AI's box 10: the exporter's invoice, and the third-country company's."""
    lines = [(False, item.invoice_text)]
    if data.third_party_invoice:
        lines.append((False, f"Third country invoice: {data.third_party_invoice}"))
    return lines


# What each kind of table column prints (the `content` of a reference.certificate_forms.Box).
_CELLS: dict[str, Callable[[CertificateData, CertificateItem], Lines]] = {
    "item_number": lambda d, i: [(False, str(i.position))],
    "marks": lambda d, i: [(False, i.marks)],
    "goods": _packages_and_goods,
    "goods_aifta": _goods_aifta,
    "goods_quantity": _goods_with_quantity,
    "goods_all": _goods_all,
    "hs6": lambda d, i: [(False, i.hs_code[:6])],
    "criterion": lambda d, i: [(False, i.criterion_display or "-")],
    "weight_value": _weight_and_value,
    "weight_quantity": _weight_and_quantity,
    "invoices": lambda d, i: [(False, i.invoice_text)],
    "invoices_third_party": _invoices_third_party,
}

# Header boxes whose content says where third-party invoicing and remarks print: a form
# without such a box prints them as notes under the goods.
_THIRD_PARTY_CONTENTS = frozenset({"goods_aifta", "third_party", "remarks_retrospective"})
_REMARKS_CONTENTS = frozenset({"remarks", "remarks_retrospective", "remarks_invoices"})

# Where a header box sits on page 1: (x0, x1, top, bottom). BOX4_BOTTOM is the foot of a
# fourth row (India-Korea's boxes 4 and 6); COUNTRY_TOP the top of the non-preferential
# form's country of origin, at the right column's foot above box 5.
BOX4_BOTTOM = BOX3_BOTTOM - 62
COUNTRY_TOP = BOX2_BOTTOM + 30
_SLOTS: dict[str, tuple[float, float, float, float]] = {
    "L1": (LEFT, SPLIT, TOP, BOX1_BOTTOM),
    "L2": (LEFT, SPLIT, BOX1_BOTTOM, BOX2_BOTTOM),
    "C2": (SPLIT, RIGHT, COUNTRY_TOP, BOX2_BOTTOM),
    "L3": (LEFT, SPLIT, BOX2_BOTTOM, BOX3_BOTTOM),
    "R3": (SPLIT, RIGHT, BOX2_BOTTOM, BOX3_BOTTOM),
    "W3": (LEFT, RIGHT, BOX2_BOTTOM, BOX3_BOTTOM),
    "L4": (LEFT, SPLIT, BOX3_BOTTOM, BOX4_BOTTOM),
    "R4": (SPLIT, RIGHT, BOX3_BOTTOM, BOX4_BOTTOM),
}
BAND_H = 34  # a box between the goods and the declaration (Mauritius' remarks)


@dataclass(frozen=True)
class Layout:
    """The printed form of one kind of certificate, made from its definition."""

    form: FormDefinition
    columns: tuple[Column, ...]

    @property
    def key(self) -> str:
        return self.form.key

    @property
    def heading(self) -> tuple[str, ...]:
        return self.form.heading

    @property
    def preferential(self) -> bool:
        return self.form is not NON_PREFERENTIAL_FORM

    @property
    def notes(self) -> tuple[str, ...]:
        return self.form.notes

    @property
    def notes_title(self) -> str:
        return self.form.notes_title

    @functools.cached_property
    def header_bottom(self) -> float:
        """Where page 1's header boxes end and the goods table begins."""
        return min(_SLOTS[box.slot][3] for box in self.form.header)

    @functools.cached_property
    def declaration_top(self) -> float:
        """The top of the certification page's foot: the band, if any, then boxes 11-12."""
        return DECLARATION_TOP + (BAND_H if self.form.band else 0)

    @functools.cached_property
    def contents(self) -> frozenset[str]:
        return frozenset(
            box.content
            for box in (*self.form.header, *self.form.columns, *self.form.extra)
            + ((self.form.band,) if self.form.band else ())
        )

    @functools.cached_property
    def col_widths(self) -> tuple[float, ...]:
        fixed = sum(c.width for c in self.columns if c.width is not None)
        return tuple(c.width if c.width is not None else WIDTH - fixed for c in self.columns)

    @functools.cached_property
    def col_x(self) -> tuple[float, ...]:
        widths = self.col_widths
        return tuple(LEFT + sum(widths[:i]) for i in range(len(widths)))


NON_PREFERENTIAL_FORM = form_for("")


@functools.cache
def layout_of(form: FormDefinition) -> Layout:
    columns = tuple(Column(b.number, b.title, b.width, _CELLS[b.content]) for b in form.columns)
    return Layout(form=form, columns=columns)


AIFTA = layout_of(form_for("AIFTA"))
NON_PREFERENTIAL = layout_of(NON_PREFERENTIAL_FORM)


def layout_for(data: CertificateData) -> Layout:
    if not data.is_preferential:
        return NON_PREFERENTIAL
    if data.title == "Form AI" and not data.agreement_code:
        return AIFTA
    # A preferential certificate without an agreement's code still gets a preferential form.
    return layout_of(form_for(data.agreement_code or "PREFERENTIAL"))


def certification_page(data: CertificateData) -> int:
    """The page that carries boxes 11 and 12 and the signature, counted from the end (-1: the
    last page): the notes overleaf, where a form has them, follow it."""
    return -2 if layout_for(data).notes else -1


# ---------------------------------------------------------------------------------------------
# The goods table: rows, splitting, pagination
# ---------------------------------------------------------------------------------------------


@dataclass
class _Row:
    """One row of the goods table; a spanning row has one cell across the whole table."""

    cells: list[Paragraph | None]
    col_widths: tuple[float, ...]
    span: bool = False
    continued_label: str = ""

    def widths(self) -> list[float]:
        if self.span:
            return [WIDTH - 2 * PAD]
        return [w - 2 * PAD for w in self.col_widths]

    @functools.cached_property
    def height(self) -> float:
        """Wraps every cell to its column (once: drawing reuses the wrapped lines)."""
        return 2 * PAD + max(
            (
                c.wrap(w, PAGE_H)[1]
                for c, w in zip(self.cells, self.widths(), strict=True)
                if c is not None
            ),
            default=0,
        )

    def split(self, available: float) -> tuple[_Row, _Row] | None:
        """Cut the row so that its first part fits in `available` points (None: not a line fits)."""
        inner = available - 2 * PAD
        first: list[Paragraph | None] = []
        rest: list[Paragraph | None] = []
        for cell, width in zip(self.cells, self.widths(), strict=True):
            if cell is None or cell.wrap(width, PAGE_H)[1] <= inner:
                first.append(cell)
                rest.append(None)
                continue
            parts = cell.split(width, inner)
            if len(parts) != 2:
                # Paragraph.split forgets the wrapped lines of cells already split: wrap anew.
                self.__dict__.pop("height", None)
                return None
            first.append(parts[0])
            rest.append(parts[1])
        label = self.continued_label
        if label and not self.span:
            rest[0] = _para(f"{label}<br/>cont.", SMALL)
        return (
            _Row(first, self.col_widths, self.span, label),
            _Row(rest, self.col_widths, self.span, label),
        )


def _item_row(layout: Layout, data: CertificateData, item: CertificateItem) -> _Row:
    widths = layout.col_widths
    return _Row(
        [
            _PlainCell.of_lines(column.cell(data, item), width - 2 * PAD)
            for column, width in zip(layout.columns, widths, strict=True)
        ],
        widths,
        continued_label=escape(str(item.position)),
    )


def _note_row(layout: Layout, label: str, text_markup: str) -> _Row:
    return _Row([_para(f"<b>{label}</b> {text_markup}")], layout.col_widths, span=True)


def _body_top(layout: Layout, page_index: int) -> float:
    top = layout.header_bottom if page_index == 0 else CONT_HEADER_BOTTOM
    return top - TABLE_HEADER_H


def _body_height(layout: Layout, page_index: int, *, last: bool) -> float:
    return _body_top(layout, page_index) - (layout.declaration_top if last else FOOTER_TOP)


def _flow(rows: Sequence[_Row], first_page: int, avail: Callable[[int], float]) -> list[list[_Row]]:
    """Fill pages (numbered from first_page) with rows, splitting a row that straddles a page."""
    pages: list[list[_Row]] = [[]]
    room = avail(first_page)
    queue = list(reversed(rows))
    while queue:
        row = queue.pop()
        height = row.height
        if height <= room:
            pages[-1].append(row)
            room -= height
            continue
        # A row shorter than a third of a page moves to the next page whole, as on paper;
        # only a longer one is split where the page ends.
        parts = row.split(room) if height > avail(first_page + 1) / 3 else None
        if parts is not None:
            pages[-1].append(parts[0])
            queue.append(parts[1])
        elif pages[-1]:
            queue.append(row)
        else:  # not one line fits on an empty page: print it clipped rather than loop forever
            pages[-1].append(row)
        pages.append([])
        room = avail(first_page + len(pages) - 1)
    return pages


def _paginate(layout: Layout, rows: Sequence[_Row]) -> list[list[_Row]]:
    """Split rows over pages; the last page keeps room for boxes 11 and 12 at its foot."""
    pages = _flow(rows, 0, lambda i: _body_height(layout, i, last=False))
    last = len(pages) - 1
    if sum(r.height for r in pages[-1]) > _body_height(layout, last, last=True):
        pages[-1:] = _flow(pages[-1], last, lambda i: _body_height(layout, i, last=True))
    return pages


# ---------------------------------------------------------------------------------------------
# Drawing: the printed form (drawn once per process as a form XObject template)
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _laid_out(
    text_markup: str, style: ParagraphStyle, width: float
) -> tuple[Paragraph | _PlainCell, float]:
    """A paragraph whose text recurs from certificate to certificate (a heading, an
    agreement's title), wrapped to `width` once per process: (paragraph, height). Draw it
    with _draw_shared."""
    p = _para(text_markup, style)
    return p, p.wrap(width, PAGE_H)[1]


# reportlab's Paragraph.drawOn keeps the canvas on the paragraph while it draws: a paragraph
# shared between threads (one laid out once per process) is drawn by one thread at a time.
_SHARED_DRAWING = threading.Lock()


def _draw_shared(p: Paragraph | _PlainCell, c: Canvas, x: float, y: float) -> None:
    # A plain cell that left its text to a Paragraph (a line that wraps) draws that one.
    if isinstance(p, Paragraph) or p.paragraph is not None:
        with _SHARED_DRAWING:
            p.drawOn(c, x, y)
    else:
        p.drawOn(c, x, y)


def _label(c: Canvas, x: float, y: float, number: str, text: str) -> None:
    """A box's printed caption: its number in bold, then its heading."""
    c.setFillColor(GREY)
    if number:
        c.setFont(FONT_BOLD, 6.5)
        c.drawString(x, y, number)
        x += c.stringWidth(number, FONT_BOLD, 6.5) + 3
    c.setFont(FONT, 6.5)
    c.drawString(x, y, text)
    c.setFillColor(black)


def _tick_box(c: Canvas, x: float, y: float, ticked: bool = False) -> None:
    c.rect(x, y, 6, 6)
    if ticked:
        c.setLineWidth(1.1)
        c.line(x + 1, y + 3, x + 2.5, y + 1)
        c.line(x + 2.5, y + 1, x + 5.5, y + 5.5)
        c.setLineWidth(0.8)


@functools.cache
def _table_header_paragraphs(layout: Layout) -> tuple[tuple[Paragraph, float, float], ...]:
    """The goods table's captions, wrapped once per process: (paragraph, x, height)."""
    style = _style("th", 6.2, textColor=GREY)
    placed = []
    for column, x, w in zip(layout.columns, layout.col_x, layout.col_widths, strict=True):
        text = f"<b>{column.number}</b> {column.heading}" if column.number else column.heading
        p = _para(text, style)
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
        _draw_shared(p, c, x + PAD, top - PAD - h)


def _draw_first_page_form(layout: Layout, c: Canvas) -> None:
    """Page 1's printed form: each header box's rules and caption, the title block's frame and
    the table header."""
    c.setLineWidth(0.8)
    bottom = layout.header_bottom
    c.rect(LEFT, bottom, WIDTH, TOP - bottom)
    for box in layout.form.header:
        x0, x1, top, foot = _SLOTS[box.slot]
        c.rect(x0, foot, x1 - x0, top - foot)
        _label(c, x0 + PAD, top - 9, box.number, box.title)
        if box.content == "official_use_aifta":
            _draw_official_use(c, x0, top, foot)
    _draw_table_header(layout, c, bottom)


def _draw_official_use(c: Canvas, x0: float, top: float, bottom: float) -> None:
    """Box 4 of Form AI, left for the importing customs: the two ticks and a signature line."""
    x = x0 + PAD + 2
    style = _style("official", 6.3, leading=7.4)
    width = RIGHT - x - 14
    y = top - 14
    for text in (
        "Preferential Tariff Treatment Given Under ASEAN-India Free Trade Area Preferential Tariff",
        "Preferential Tariff Treatment Not Given (Please state reason/s)",
    ):
        p = _para(text, style)
        _, h = p.wrap(width, 40)
        _tick_box(c, x, y - 7)
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
        _label(c, LEFT + PAD, layout.declaration_top - 9, form.band.number, form.band.title)
    c.rect(LEFT, DECLARATION_BOTTOM, WIDTH, DECLARATION_TOP - DECLARATION_BOTTOM)
    c.line(SPLIT, DECLARATION_TOP, SPLIT, DECLARATION_BOTTOM)
    declaration, certification = form.declaration, form.certification
    _label(c, LEFT + PAD, DECLARATION_TOP - 9, declaration.number, declaration.title)
    _label(c, SPLIT + PAD, DECLARATION_TOP - 9, certification.number, certification.title)
    x1, y1, x2, y2 = SIGNATURE_RECT
    c.saveState()
    c.setStrokeColor(RULE)
    c.setDash(2, 2)
    c.rect(x1, y1, x2 - x1, y2 - y1)
    c.restoreState()
    for box in form.extra:  # in the strip under the declaration (India-Korea's box 14)
        c.rect(LEFT, FOOTER_TOP, WIDTH, BOX13_H)
        _label(c, LEFT + PAD, FOOTER_TOP + 6, box.number, box.title)


def _fit(
    text_markup: str, width: float, height: float, reserve: float = 0
) -> tuple[Paragraph | _PlainCell, bool, float]:
    """The largest FIT_SIZES paragraph that fits, else the smallest one cut to fit, wrapped
    to `width`, and its height.

    A cut paragraph leaves `reserve` points free below it; the flag says whether it was cut.
    """
    for size in FIT_SIZES:
        p = _para(text_markup, _FIT_STYLES[size])
        wrapped = p.wrap(width, PAGE_H)[1]
        if wrapped <= height:
            return p, False, wrapped
    parts = p.split(width, height - reserve)
    part = parts[0] if parts else _para("")
    return part, True, part.wrap(width, height)[1]


def _lines_markup(lines: Lines, width: float | None = None) -> str:
    """(bold, text) lines of hostile text as paragraph markup (see markup)."""
    return "<br/>".join(
        f"<b>{markup(text, width)}</b>" if bold else markup(text, width) for bold, text in lines
    )


def _fit_lines(
    lines: Lines, width: float, height: float, reserve: float = 0
) -> tuple[Paragraph | _PlainCell, bool, float]:
    """_fit of (bold, text) lines, drawn plain where they can be (_PlainCell.of_lines)."""
    for size in FIT_SIZES:
        cell = _PlainCell.plain(lines, width, _FIT_STYLES[size])
        if cell is None:
            break  # not plain: the paragraphs of their markup
        if cell.height <= height:
            return cell, False, cell.height
    return _fit(_lines_markup(lines, width), width, height, reserve)


def _draw_notes_form(layout: Layout, c: Canvas) -> None:
    """The notes overleaf (Form AI), all of that page but its footer."""
    for p, y in _notes_paragraphs(layout):
        _draw_shared(p, c, LEFT, y)


@functools.lru_cache(maxsize=256)
def _fit_recurring(
    text_markup: str, width: float, height: float
) -> tuple[Paragraph | _PlainCell, bool, float]:
    """_fit for text that recurs from certificate to certificate, once per process (draw it
    with _draw_shared)."""
    return _fit(text_markup, width, height)


# The printed parts of each layout by page kind: each is drawn once per document as a form
# XObject and placed on every page of that kind.
_FORM_DRAWERS: dict[str, Callable[[Layout, Canvas], None]] = {
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


def _form_filters() -> _Filters:
    if rl_config.useA85:
        return _Filters((pdfdoc.PDFBase85Encode, pdfdoc.PDFZCompress))
    return _Filters((pdfdoc.PDFZCompress,))


@dataclass(frozen=True)
class _Frame:
    fonts_before: tuple[tuple[str, str], ...]  # the document's fonts before the frame
    forms: tuple[tuple[str, tuple[str, ...]], ...]  # (form name, its drawing operators)
    font_mapping: tuple[tuple[str, str], ...]  # the document's fonts after the frame
    states: tuple[tuple[str, dict], ...]  # (font, its subset state's attributes) after it
    filters: _Filters  # how the forms' streams are encoded
    encoded: tuple[tuple[str, bytes], ...]  # (form name, its stream encoded)


_FRAMES: dict[Layout, _Frame] = {}
FRAME_REUSE = True  # tests turn it off to compare with the frame drawn in full


def _fonts_of(doc: object) -> tuple[tuple[str, str], ...]:
    return tuple(doc.fontMapping.items())  # type: ignore[attr-defined]  # reportlab's PDFDocument, untyped


def _state_copy(attributes: dict) -> dict:
    """A font's subset state (the attributes of reportlab's TTFont.State), its mutable parts
    copied: each document goes on adding characters to its own."""
    values = dict(attributes)
    values["assignments"] = dict(values["assignments"])
    values["subsets"] = [list(subset) for subset in values["subsets"]]
    return values


def _draw_frame(layout: Layout, c: Canvas, forms: set[str]) -> None:
    """Draw (or replay) the layout's frame forms into a new document; see _Frame."""
    doc = c._doc
    frame = _FRAMES.get(layout) if FRAME_REUSE else None
    if frame is not None and frame.fonts_before == _fonts_of(doc) and not doc.delayedFonts:
        for name, code in frame.forms:
            c.beginForm(name)
            c._code.extend(code)
            c.endForm()
            forms.add(name)
        for name, encoded in frame.encoded:
            _set_encoded_stream(doc, name, encoded, frame.filters)
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
        _FORM_DRAWERS[kind](layout, c)
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
    doc: pdfdoc.PDFDocument, name: str, encoded: bytes, filters: _Filters
) -> None:
    """Give a replayed form its stream encoded once per process: a stream that names its
    filters is written as it is (the same bytes as reportlab encoding it again)."""
    form = doc.idToObject[pdfdoc.xObjectName(name)]
    stream = pdfdoc.PDFStream(content=encoded)
    stream.dictionary["Filter"] = filters.names()
    stream.__Comment__ = "xobject form stream"
    form.Contents = stream


class _Renderer:
    def __init__(self, data: CertificateData, canvas: Canvas) -> None:
        self.data = data
        self.layout = layout_for(data)
        self.c = canvas
        self.annex: list[_Row] = []  # header-box text that did not fit, printed in full later
        self.forms: set[str] = set()

    def use_form(self, kind: str) -> None:
        """Place a printed part of the form, drawn once per document as a reusable object."""
        name = f"{self.layout.key}-{kind}"
        if name not in self.forms:
            self.c.beginForm(name)
            _FORM_DRAWERS[kind](self.layout, self.c)
            self.c.endForm()
            self.forms.add(name)
        self.c.doForm(name)

    def box_text(
        self, box: str, lines: Lines, x0: float, x1: float, top: float, bottom: float
    ) -> None:
        """Fill a box; text too long for it continues below the goods list."""
        width = x1 - x0 - 2 * PAD
        height = top - bottom - 14 - PAD
        p, cut, h = _fit_lines(lines, width, height, reserve=9)
        p.drawOn(self.c, x0 + PAD, top - 13 - h)
        if cut:
            note = f"(box {box} continues below the goods list)"
            self.c.setFont(FONT, 6)
            self.c.drawString(x0 + PAD, bottom + PAD, note)
            self.annex.append(
                _note_row(self.layout, f"Box {box} in full:", _lines_markup(lines, width))
            )

    @functools.cached_property
    def retroactive(self) -> bool:
        """Issued retroactively under the form's rule (marked where the rule says)."""
        return self.data.issued_retroactively and self.layout.form.retroactive is not None

    def box_lines(self, box: Box) -> Lines:
        """What a header box (or the band, or the strip's box) prints."""
        d = self.data
        content = box.content
        if content in ("exporter", "exporter_contact"):
            lines = [
                (True, d.exporter.name),
                (False, d.exporter.address),
                (False, "India"),
                (False, f"IEC: {d.exporter.iec}"),
            ]
            if content == "exporter_contact":
                contact = (
                    ("E-mail", d.exporter.email),
                    ("Telephone", d.exporter.telephone),
                    ("Fax", d.exporter.fax),
                )
                lines += [(False, f"{name}: {value}") for name, value in contact if value]
            return lines
        if content == "producer":
            return [(False, d.producer or "-")]
        if content == "consignee":
            return [
                (True, d.consignee.name),
                (False, d.consignee.address),
                (False, d.consignee.country),
            ]
        if content == "transport":
            t = d.transport
            route = [
                ("Mode", t.mode),
                ("Vessel / flight / vehicle", t.vessel),
                ("Port of loading", t.port_of_loading),
                ("Port of discharge", t.port_of_discharge),
                ("Departure date", _fmt_date(t.departure_date)),
                ("Importing country", d.destination_country),
            ]
            return [(False, f"{name}: {value}") for name, value in route if value]
        if content == "official_use":
            return [(False, "(For the customs authority of the importing country)")]
        if content in ("remarks", "remarks_retrospective"):
            lines = []
            rule = self.layout.form.retroactive
            if self.retroactive and rule is not None and rule.box == box.number:
                lines.append((True, rule.marking))
            if d.third_party_invoicing and content == "remarks_retrospective":
                lines.append((False, f"Third-party invoicing: {d.third_party_invoicing}"))
            if d.remarks:
                lines.append((False, d.remarks))
            return lines or [(False, "-")]
        if content == "third_party":
            text = d.third_party_invoicing
            if text and d.third_party_invoice:
                text += f"; invoice {d.third_party_invoice}"
            return [(False, text or "-")]
        if content == "remarks_invoices":
            return self.remarks()
        return []

    def first_page(self) -> None:
        for box in self.layout.form.header:
            x0, x1, top, bottom = _SLOTS[box.slot]
            if box.content == "country_of_origin":
                self.c.setFont(FONT_BOLD, 10)
                self.c.drawString(x0 + PAD + 2, bottom + 6, clean(self.data.origin_country))
            elif box.content != "official_use_aifta":
                self.box_text(box.number, self.box_lines(box), x0, x1, top, bottom)
        self.title_block()

    def remarks(self) -> Lines:
        """Box 5 of the non-preferential form: invoices, third-party invoicing, remarks."""
        d = self.data
        lines = []
        invoices = sorted({i.invoice_text for i in d.items if i.invoice_text})
        if d.foreign_certificate:
            basis = f"Back-to-back certificate, on certificate of origin {d.foreign_certificate}"
            lines.append((True, basis))
        if invoices:
            lines.append((False, "Invoice: " + "; ".join(invoices)))
        if d.third_party_invoicing:
            lines.append((False, f"Third-party invoicing: {d.third_party_invoicing}"))
        if d.remarks:
            lines.append((False, d.remarks))
        return lines or [(False, "-")]

    def title_block(self) -> None:
        d, c, layout = self.data, self.c, self.layout
        x = SPLIT + PAD + 2
        c.setFont(FONT, 6.5)
        c.setFillColor(GREY)
        c.drawString(x, TOP - 11, "Reference No. (certificate number)")
        c.drawString(x, TOP - 33, "Verification code")
        c.setFillColor(black)
        c.setFont(FONT_BOLD, 11)
        c.drawString(x, TOP - 23, clean(d.number))
        c.setFont(FONT_BOLD, 9)
        c.drawString(x, TOP - 44, clean(d.verification_code))
        # The marker of the electronic original, boxed so that a photocopy shows it too.
        c.setFont(FONT_BOLD, 7)
        marker = "ELECTRONIC ORIGINAL"
        mw = c.stringWidth(marker, FONT_BOLD, 7)
        c.rect(x - 1, TOP - 60, mw + 6, 11)
        c.drawString(x + 2, TOP - 57, marker)
        below = TOP - 64
        rule = layout.form.retroactive
        marking = ""
        if self.retroactive and rule is not None and not rule.box:
            marking = rule.marking
        elif d.foreign_certificate:
            marking = "BACK-TO-BACK (RE-EXPORT)"
        if marking:
            mw = c.stringWidth(marking, FONT_BOLD, 7)
            c.rect(x - 1, TOP - 75, mw + 6, 11)
            c.drawString(x + 2, TOP - 72, marking)
            below = TOP - 79
        if d.in_lieu_of:
            p = _para(
                f"<b>Issued in lieu of certificate No. {markup(d.in_lieu_of)}</b>, "
                "which is cancelled.",
                SMALL,
            )
            _, h = p.wrap(RIGHT - QR_SIZE - x - 6, 40)
            p.drawOn(c, x, below - h)
        self.qr(RIGHT - QR_SIZE - 1, TOP - QR_SIZE - 1)

        width = RIGHT - SPLIT - 2 * PAD
        # The layout's headings, the agreement's name and title, the country line: the same
        # for every certificate of an agreement (and destination), so laid out once each.
        lines = [(escape(line), HEADING) for line in layout.heading]
        if layout.preferential:
            if layout.form.provisional:  # the common layout: its heading names no agreement
                lines.append((markup(d.agreement_name, width), SUBTITLE))
            if layout.form.combined:
                lines.append(("(Combined Declaration and Certificate)", SUBTITLE))
        lines.append((markup(d.title, width), TITLE))
        if layout.notes:
            lines.append(("Issued in <b>INDIA</b> (country) · See notes overleaf", SUBTITLE))
        else:
            lines.append(
                (
                    "Issued in <b>INDIA</b> (country) for export to "
                    f"<b>{markup(d.destination_country)}</b>",
                    SUBTITLE,
                )
            )
        y = TOP - QR_SIZE - 4
        bottom = min(
            (_SLOTS[b.slot][2] for b in layout.form.header if _SLOTS[b.slot][1] == RIGHT),
            default=BOX2_BOTTOM,
        )
        for text_markup, style in lines:
            p, h = _laid_out(text_markup, style, width)
            y -= h + 1
            if y < bottom:
                break
            _draw_shared(p, c, SPLIT + PAD, y)

    def qr(self, x: float, y: float) -> None:
        """The verification URL as a QR code (level Q, QR_BORDER modules of quiet zone).

        Encoded by zxing-cpp (C++, about 0.4 ms; segno took about 9 ms, most of it choosing
        the mask); the dark modules are drawn as one path of filled runs.
        """
        matrix = qr_matrix(self.data.verify_url)
        count = len(matrix)
        module = QR_SIZE / (count + 2 * QR_BORDER)
        c = self.c
        c.setFillColor(white)
        c.rect(x, y, QR_SIZE, QR_SIZE, stroke=0, fill=1)
        c.setFillColor(black)
        # One filled path of the dark runs, in module units (a scaled coordinate system whose
        # origin is the symbol's lower left corner inside the quiet zone): whole numbers,
        # written as one string instead of a path object's call per run.
        runs = [
            f"{run.start()} {count - 1 - r} {run.end() - run.start()} 1 re"
            for r, row in enumerate(matrix)
            for run in _DARK_RUN.finditer(row)
        ]
        origin = fp_str(x + QR_BORDER * module, y + QR_BORDER * module)
        c._code.append(f"q {fp_str(module)} 0 0 {fp_str(module)} {origin} cm {' '.join(runs)} f Q")
        # The caption sits left of the symbol, clear of its quiet zone (ISO/IEC 18004 wants
        # the 4 modules around it empty: a caption under it took 0.4 of them).
        c.setFont(FONT, 5.5)
        c.setFillColor(GREY)
        c.drawRightString(x - 3, y + 2, "Scan to verify")
        c.setFillColor(black)

    def continuation_header(self, page: int) -> None:
        d, c = self.data, self.c
        title, _ = _laid_out(markup(d.title), CONTINUATION_TITLE, 300)
        _draw_shared(title, c, LEFT + 6, TOP - 19)
        c.setFont(FONT, 7)
        c.setFillColor(GREY)
        first, last = self.layout.columns[0].number, self.layout.columns[-1].number
        c.drawString(
            LEFT + 6, TOP - 32, f"Continuation sheet {page - 1}: boxes {first}-{last} continued"
        )
        c.drawRightString(RIGHT - 6, TOP - 32, f"Verification code {clean(d.verification_code)}")
        c.setFillColor(black)
        c.setFont(FONT_BOLD, 10)
        c.drawRightString(RIGHT - 6, TOP - 17, f"Certificate No. {clean(d.number)}")
        c.setFont(FONT_BOLD, 6.5)
        c.drawRightString(RIGHT - 6, TOP - 42, "ELECTRONIC ORIGINAL")

    def rows(self, page_index: int, rows: list[_Row], *, last: bool) -> None:
        c = self.c
        top = _body_top(self.layout, page_index)
        bottom = self.layout.declaration_top if last else FOOTER_TOP
        y = top
        columns_end = bottom  # column rules stop where the full-width notes begin
        # Each row's plain black cells are one text object, written with the rule under the
        # row as one string (in a saved graphics state, so nothing of it outlives the row).
        c._doc.ensureMinPdfVersion("transparency")  # as setFillColor does
        rule = f"{fp_str((RULE.red, RULE.green, RULE.blue))} RG"
        columns = [fp_str(x + PAD) for x in self.layout.col_x]
        for row in rows:
            if row.span and columns_end == bottom:
                columns_end = y
            height = row.height  # wraps the cells (split parts are not wrapped yet)
            xs = (LEFT,) if row.span else self.layout.col_x
            ops = ["q 0 0 0 rg BT"]
            state = _TextState(c)
            baselines: dict[float, str] = {}  # cells are top-aligned: a baseline per font size
            for index, (cell, x) in enumerate(zip(row.cells, xs, strict=True)):
                if isinstance(cell, _PlainCell) and cell.plain_black:
                    size = cell.style.fontSize
                    if size not in baselines:
                        baselines[size] = fp_str(y - PAD - size)
                    cell.text_ops(f"{columns[index]} {baselines[size]}", ops, state)
                elif cell is not None:
                    cell.drawOn(c, x + PAD, y - PAD - cell.height)
            y -= height
            ops.append(f"ET Q q {rule} n {fp_str(LEFT, y)} m {fp_str(RIGHT, y)} l S Q")
            c._code.append(" ".join(ops))
        c.rect(LEFT, bottom, WIDTH, top - bottom)
        for x in self.layout.col_x[1:]:
            c.line(x, top, x, columns_end)

    def declaration(self) -> None:
        d, c, form = self.data, self.c, self.layout.form
        if d.is_preferential:
            agreement = escape(form.agreement_phrase) or markup(d.agreement_name)
            declared = form.declaration_wording or (
                "The undersigned hereby declares that the above details and statement are "
                "correct; that all the goods were produced in <b>INDIA</b> and that they comply "
                "with the origin requirements specified for these goods in the "
                f"{agreement} for the goods exported to "
                f"<b>{markup(d.destination_country)}</b>."
            )
            certified = (
                "It is hereby certified, on the basis of control carried out, that the "
                "declaration by the exporter is correct."
            )
        elif d.foreign_certificate:
            origin = markup(d.origin_country)
            declared = (
                "The undersigned hereby declares that the above details and statements are "
                f"correct, that the goods originate in <b>{origin}</b> as the foreign "
                "certificate of origin produced states, and that they are re-exported from "
                f"<b>INDIA</b> to <b>{markup(d.destination_country)}</b> in the state imported."
            )
            certified = (
                "It is hereby certified that, on the basis of the foreign certificate of origin "
                f"produced, the goods described above originate in <b>{origin}</b>."
            )
        else:
            declared = (
                "The undersigned hereby declares that the above details and statements are "
                "correct, that all the goods were produced in <b>INDIA</b>, and that they are "
                f"exported to <b>{markup(d.destination_country)}</b>."
            )
            certified = (
                "It is hereby certified that, on the basis of the documents produced, the goods "
                "described above originate in <b>INDIA</b>."
            )
        decl = d.declaration
        signed = (
            f"Place and date: <b>{markup(decl.place)}, {_fmt_date(decl.date)}</b><br/>"
            f"Name: <b>{markup(decl.name)}</b><br/>"
            f"Designation: {markup(decl.designation)}<br/>"
            f"for {markup(d.exporter.name)}<br/><br/>"
            f"({markup(decl.signed or 'Declared electronically on the COO Portal')})"
        )
        right = (
            f"{certified}<br/>"
            f"<b>{markup(d.agency_name)}</b>, {markup(d.office_name)}<br/>"
            f"Place and date: <b>{markup(d.office_city)}, {_fmt_date(d.issue_date)}</b>"
        )
        box_top = DECLARATION_TOP - 12
        self.box11(declared, signed, box_top)
        _, sig_y1, _, sig_y2 = SIGNATURE_RECT
        # Box 12's text and the officer's name are the same for every certificate an office
        # issues on a day (by that officer): laid out once each (the exporter's are not).
        p, _, h = _fit_recurring(right, RIGHT - SPLIT - 2 * PAD, box_top - sig_y2 - PAD)
        _draw_shared(p, c, SPLIT + PAD, box_top - h)
        officer, h = _laid_out(
            f"<b>{markup(d.officer_name)}</b><br/>{markup(d.officer_designation)}",
            CENTRED,
            RIGHT - SPLIT - 2 * PAD,
        )
        _draw_shared(officer, c, SPLIT + PAD, sig_y1 - 2 - h)
        if form.band:
            top = self.layout.declaration_top
            self.band(form.band, top)
        for box in form.extra:
            text = _lines_markup(self.box_lines(box))
            label = f"{box.number} {box.title}"
            x = LEFT + PAD + c.stringWidth(label, FONT, 6.5) + 10
            p, _, h = _fit(text, RIGHT - x - PAD, BOX13_H - 2)
            p.drawOn(c, x, FOOTER_TOP + BOX13_H - 2 - h)

    def band(self, box: Box, top: float) -> None:
        """The box between the goods and the declaration (Mauritius' remarks, with the tick
        for a certificate issued retrospectively)."""
        c = self.c
        rule = self.layout.form.retroactive
        x = LEFT + PAD + c.stringWidth(f"{box.number} {box.title}", FONT, 6.5) + 12
        if rule is not None and rule.box == box.number:
            _tick_box(c, x, top - 10, self.retroactive)
            c.setFont(FONT_BOLD, 6.5)
            c.drawString(x + 9, top - 9, rule.marking)
        lines = [line for line in self.box_lines(box) if line[1] != getattr(rule, "marking", "")]
        lines = [line for line in lines if line[1] != "-"]
        if lines:
            p, _, h = _fit(_lines_markup(lines), WIDTH - 2 * PAD, BAND_H - 14)
            p.drawOn(c, LEFT + PAD, top - 13 - h)

    def box11(self, declared: str, signed: str, box_top: float) -> None:
        """The exporter's declaration: its sentence (the same for every certificate of an
        agreement and destination, laid out once), a blank line, then who declared it where
        and when; all of it shrunk to fit where it does not at the first size."""
        width, height = SPLIT - LEFT - 2 * PAD, box_top - DECLARATION_BOTTOM - PAD
        sentence, sentence_h = _laid_out(declared, _FIT_STYLES[FIT_SIZES[0]], width)
        rest = _para(signed, _FIT_STYLES[FIT_SIZES[0]])
        rest_h = rest.wrap(width, PAGE_H)[1]
        blank = _FIT_STYLES[FIT_SIZES[0]].leading
        if sentence_h + blank + rest_h <= height:
            _draw_shared(sentence, self.c, LEFT + PAD, box_top - sentence_h)
            rest.drawOn(self.c, LEFT + PAD, box_top - sentence_h - blank - rest_h)
            return
        p, _, h = _fit(f"{declared}<br/><br/>{signed}", width, height)
        p.drawOn(self.c, LEFT + PAD, box_top - h)

    @functools.cached_property
    def footer_text(self) -> tuple[Paragraph | _PlainCell, float]:
        """The footer's line, the same on every page but for its number: laid out once."""
        d = self.data
        text = (
            f"Certificate No. {escape(clean(d.number))} · verification code "
            f"{escape(clean(d.verification_code))} · verify at "
            f"{markup(d.verify_url, WIDTH - 60, 6.5)}"
        )
        p = _para(text, FOOTER)
        return p, p.wrap(WIDTH - 60, FOOTER_TOP - MARGIN + 8)[1]

    def footer(self, page: int, pages: int) -> None:
        c = self.c
        p, h = self.footer_text
        p.drawOn(c, LEFT, FOOTER_TOP - 2 - h)
        c.setFont(FONT_BOLD, 7)
        c.drawRightString(RIGHT, FOOTER_TOP - 9, f"Page {page} of {pages}")

    def notes_page(self, page: int, pages: int) -> None:
        self.use_form("notes")
        self.footer(page, pages)


@functools.cache
def _notes_paragraphs(layout: Layout) -> tuple[tuple[Paragraph, float], ...]:
    """The notes overleaf, wrapped and placed once per process: (paragraph, y)."""
    title = _para(escape(layout.notes_title), TITLE)
    _, h = title.wrap(WIDTH, 40)
    y = TOP - h
    placed = [(title, y)]
    y -= 10
    for note in layout.notes:
        p = _para(note, NOTE)
        _, h = p.wrap(WIDTH, PAGE_H)
        y -= h + 5
        placed.append((p, y))
    return tuple(placed)


def render_certificate(data: CertificateData) -> bytes:
    """The certificate as unsigned PDF bytes; sign it with signing.sign_certificate_pdf on
    page certification_page(data)."""
    _register_fonts()
    buffer = io.BytesIO()
    # The initial font is ours: reportlab would otherwise name an unembedded Helvetica.
    c = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=FONT)
    _use_fast_paths(c)
    moment = data.issued_at or datetime.combine(data.issue_date, datetime.min.time(), IST)
    c.setDateFormatter(lambda *_: pdf_date(moment))
    c.setTitle(f"{clean(data.title)} {clean(data.number)}")
    c.setAuthor(clean(data.agency_name))
    c.setSubject(f"Certificate of Origin {clean(data.number)}")
    c.setCreator("COO Portal")
    c.setKeywords(["certificate of origin", clean(data.number)])

    renderer = _Renderer(data, c)
    layout = renderer.layout
    _draw_frame(layout, c, renderer.forms)
    renderer.use_form("first")
    renderer.first_page()  # fills renderer.annex, which joins the rows below

    rows = [_item_row(layout, data, item) for item in data.items]
    if layout.preferential:
        # What the form has no box for prints under the goods.
        if data.third_party_invoicing and not layout.contents & _THIRD_PARTY_CONTENTS:
            rows.append(
                _note_row(layout, "Third-party invoicing:", markup(data.third_party_invoicing))
            )
        if data.remarks and not layout.contents & _REMARKS_CONTENTS:
            rows.append(_note_row(layout, "Remarks:", markup(data.remarks)))
    rows += renderer.annex
    count = len(data.items)
    rows.append(
        _Row(
            [_para(f"*** {count} item{'s' if count != 1 else ''}; nothing follows ***", CENTRED)],
            layout.col_widths,
            span=True,
        )
    )
    pages = _paginate(layout, rows)
    total = len(pages) + (1 if layout.notes else 0)
    for index, page_rows in enumerate(pages):
        last = index == len(pages) - 1
        if index:
            renderer.use_form("continuation")
            renderer.continuation_header(index + 1)
        renderer.rows(index, page_rows, last=last)
        if last:
            renderer.use_form("declaration")
            renderer.declaration()
        renderer.footer(index + 1, total)
        c.showPage()
    if layout.notes:
        renderer.notes_page(total, total)
        c.showPage()
    c.save()
    return buffer.getvalue()
