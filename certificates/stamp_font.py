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

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import (
    CIDFontType2,
    GlyphAccumulator,
    GlyphAccumulatorFactory,
)

from .pdf import FONT_FILES, STAMP_CHARACTERS

ASCII_CHARACTERS = frozenset(range(0x20, 0x7F))


@functools.cache
def font_bytes(characters: frozenset[int]) -> bytes:
    """Noto Sans cut to `characters` (kerning kept), made once per process and set."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["kern"]
    font = subset.load_font(str(FONT_FILES["latin"][0]), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    subsetter.subset(font)
    out = io.BytesIO()
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


class _PreparedGlyphAccumulator(GlyphAccumulator):
    def __init__(self, *args, characters: frozenset[int], **kwargs) -> None:  # type: ignore[no-untyped-def]  # pyHanko's override, which pyHanko leaves untyped
        super().__init__(*args, **kwargs)
        if type(self.cidfont_obj) is not CIDFontType2:
            raise TypeError("The stamp's font must be a TrueType font.")
        self.cidfont_obj.__class__ = _PreparedCIDFontType2
        self.cidfont_obj.characters = characters  # type: ignore[attr-defined]  # its class was swapped to _PreparedCIDFontType2 just above

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
            font_handle=io.BytesIO(font_bytes(self.characters)),
            font_size=self.font_size,
            obj_stream=obj_stream,
            characters=self.characters,
        )


def characters_for(lines: list[str]) -> frozenset[int]:
    """The smallest prepared set that prints every character of `lines`."""
    if all(ord(char) in ASCII_CHARACTERS for text in lines for char in text if char != "\n"):
        return ASCII_CHARACTERS
    return STAMP_CHARACTERS
