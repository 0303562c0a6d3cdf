"""A fast path: the certificate's font objects (font files, widths, ToUnicode maps) made once
per process and subset, instead of once per document. Only the certificate's own document
uses it (use_fast_paths marks it); the objects are the bytes reportlab writes
(tests/certificates/test_pdf_frame.py)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from reportlab.pdfbase import pdfdoc, ttfonts
from reportlab.pdfgen.canvas import Canvas

from certificates.pdf.layout import FONTS
from core.fonts import ShapingFont

# ---- Font subsets, made once per process ---------------------------------------------------
# A document embeds, for each font it uses, the subset of glyphs it printed. With reportlab's
# readable ASCII (printable ASCII keeps its own codes in subset 0) and the frame drawn first,
# the Latin subsets of certificates in English are the same from document to document: their
# font files are made and compressed once (a fifth of the rendering of a one-item certificate).


@dataclass(frozen=True)
class Filters:
    """The filters reportlab applies to a stream, in order: content encoded once with them is
    written as it is by a stream that names them (PDFStream.format applies no filter then)."""

    filters: tuple[Any, ...]  # reportlab's filter classes (pdfdoc.PDFZCompress, ...)

    def encode(self, content: bytes | str) -> bytes:
        encoded: Any = content
        for f in reversed(self.filters):  # as PDFStream.format applies them
            encoded = f.encode(encoded)
        return bytes(encoded)

    def names(self) -> pdfdoc.PDFArray:
        return pdfdoc.PDFArray([pdfdoc.PDFName(f.pdfname) for f in self.filters])


_FLATE = Filters((pdfdoc.PDFZCompress,))  # what reportlab gives font files and cmaps


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
_FACES = FONTS.lock


class _Formatted(pdfdoc.PDFObject):  # type: ignore[misc]  # reportlab is untyped
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


def use_fast_paths(canvas: Canvas) -> None:
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
