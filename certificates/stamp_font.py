"""The signature box's font, prepared once per process instead of at every signature.

pyHanko's GlyphAccumulator reads the font file, subsets it with fontTools to the glyphs the
stamp uses and compiles the subset again, at every signature: about a third of what signing
cost. Here the font is cut once per process to a fixed character set (printable ASCII when
every line of the stamp is ASCII, the usual case; else pdf.STAMP_CHARACTERS: Latin with
diacritics, Greek, Cyrillic), and that cut is embedded as it is, its compressed font
program made once and reused. The stamp still uses only glyphs of an embedded font.
"""

from __future__ import annotations

import functools
import io
import zlib
from dataclasses import dataclass

import uharfbuzz as hb
from fontTools import ttLib
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine
from pyhanko.pdf_utils.font.opentype import (
    CIDFontType2,
    GlyphAccumulator,
    GlyphAccumulatorFactory,
    _read_ps_name,
)

from core.fonts import FONT_FILES

from .pdf import STAMP_CHARACTERS

ASCII_CHARACTERS = frozenset(range(0x20, 0x7F))


@functools.cache
def font_bytes(characters: frozenset[int]) -> bytes:
    """Noto Sans cut to `characters` (kerning kept), made once per process and set."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["kern"]
    out = io.BytesIO()
    # fontTools reads the file lazily and keeps it open until the font is closed.
    with subset.load_font(str(FONT_FILES["latin"][0]), options) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=characters)
        subsetter.subset(font)
        subset.save_font(font, out, options)
    return out.getvalue()


@functools.cache
def _compressed(characters: frozenset[int]) -> bytes:
    return zlib.compress(font_bytes(characters))


class _PreparedCIDFontType2(CIDFontType2):
    """Embeds the prepared cut as its font program (FontFile2), compressed once."""

    characters: frozenset[int]

    def set_font_file(self, writer):  # type: ignore[no-untyped-def]  # pyHanko's override, which pyHanko leaves untyped
        stream = generic.StreamObject(
            {generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
            encoded_data=_compressed(self.characters),
        )
        ref = writer.add_object(stream)
        self._font_descriptor[generic.pdf_name("/FontFile2")] = ref
        return ref


@functools.cache
def _parsed(characters: frozenset[int]) -> tuple[hb.Font, ttLib.TTFont, object]:
    """The cut parsed once per process: HarfBuzz's font, fontTools' font with every table
    read now (so that threads sharing it only read), and its glyph set."""
    data = font_bytes(characters)
    tt = ttLib.TTFont(io.BytesIO(data))
    tt.ensureDecompiled()  # every table read now, not lazily in some thread later
    glyph_set = tt.getGlyphSet(preferCFF=True)
    return hb.Font(hb.Face(data)), tt, glyph_set


class _PreparedGlyphAccumulator(GlyphAccumulator):
    """pyHanko's GlyphAccumulator over the parsed cut (_parsed) instead of parsing the font
    again at every signature (about a tenth of signing): its __init__ (pyHanko 0.38) for a
    TrueType font with no features, tags or direction, the parsed objects shared."""

    def __init__(  # type: ignore[no-untyped-def]  # pyHanko's override, which pyHanko leaves untyped
        self, *, writer, font_size, characters: frozenset[int], obj_stream=None
    ) -> None:
        hb_font, tt, glyph_set = _parsed(characters)
        base_ps_name = _read_ps_name(tt)
        FontEngine.__init__(
            self,
            writer,
            base_ps_name,
            embedded_subset=True,
            obj_stream=obj_stream,
            font_size=font_size,
        )
        self.hb_font = hb_font
        self.tt = tt
        self._font_ref = writer.allocate_placeholder()
        self.cff_charset = None
        self.use_raw_gids = True
        cidfont = _PreparedCIDFontType2(tt, base_ps_name, self.subset_prefix)
        cidfont.characters = characters
        self.cidfont_obj = cidfont
        self.features = None
        self.units_per_em = tt["head"].unitsPerEm
        self._glyphs = {}
        self._glyph_set = glyph_set
        self._cid_to_unicode = {}
        self._GlyphAccumulator__reverse_cmap = None
        self.ot_language_tag = None
        self.ot_script_tag = None
        self.writing_direction = None
        self.bcp47_lang_code = None
        self._subset_created = self._write_prepared = False

    def _extract_subset(self, options=None) -> None:  # type: ignore[no-untyped-def]  # pyHanko's override, which pyHanko leaves untyped
        # The font is already the cut made once per process (glyph ids kept as pyHanko
        # uses them): it is embedded whole rather than subset again for every signature.
        return None


@dataclass(frozen=True)
class PreparedFontFactory(GlyphAccumulatorFactory):
    """A GlyphAccumulatorFactory over the prepared cut of Noto Sans to `characters`
    (font_file is only a label here: nothing is read from a file)."""

    characters: frozenset[int] = ASCII_CHARACTERS

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:  # type: ignore[no-untyped-def]  # pyHanko's override, which pyHanko leaves untyped
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return _PreparedGlyphAccumulator(
            writer=writer,
            font_size=self.font_size,
            obj_stream=obj_stream,
            characters=self.characters,
        )


def characters_for(lines: list[str]) -> frozenset[int]:
    """The smallest prepared set that prints every character of `lines`."""
    if all(ord(char) in ASCII_CHARACTERS for text in lines for char in text if char != "\n"):
        return ASCII_CHARACTERS
    return STAMP_CHARACTERS
