"""The fonts of every PDF the portal prints: which font prints which script, the fonts
registered with reportlab (FontSet), and ShapingFont, a TrueType font whose shaped glyphs print
under codes of their own that read back as the text they print. See core/text.py."""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

# ---------------------------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------------------------

# Noto (Debian's fonts-noto-core) for Latin with diacritics and the scripts of India, Arabic,
# Hebrew and Thai; Droid Sans Fallback (fonts-droid-fallback) for Chinese, Japanese and Korean,
# because Noto's CJK fonts are CFF-flavoured OpenType, which reportlab cannot embed. All are
# TrueType, so reportlab embeds a subset of each.
NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
DROID_DIR = Path("/usr/share/fonts/truetype/droid")


def _noto(name: str) -> tuple[Path, Path]:
    return NOTO_DIR / f"{name}-Regular.ttf", NOTO_DIR / f"{name}-Bold.ttf"


FONT_FILES: dict[str, tuple[Path, Path]] = {
    "latin": _noto("NotoSans"),
    "devanagari": _noto("NotoSansDevanagari"),
    "bengali": _noto("NotoSansBengali"),
    "tamil": _noto("NotoSansTamil"),
    "thai": _noto("NotoSansThai"),
    "arabic": _noto("NotoSansArabic"),
    "hebrew": _noto("NotoSansHebrew"),
    "cjk": (DROID_DIR / "DroidSansFallbackFull.ttf", DROID_DIR / "DroidSansFallbackFull.ttf"),
}
# Where a character the chosen font lacks is looked for, in order.
FALLBACK_ORDER = ("latin", "devanagari", "bengali", "tamil", "thai", "arabic", "hebrew", "cjk")

_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x08A0, 0x08FF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0B80, 0x0BFF, "tamil"),
    (0x0E00, 0x0E7F, "thai"),
    (0xA8E0, 0xA8FF, "devanagari"),
    (0x1100, 0x11FF, "cjk"),
    (0x2E80, 0x9FFF, "cjk"),
    (0xAC00, 0xD7AF, "cjk"),
    (0xF900, 0xFAFF, "cjk"),
    (0xFB1D, 0xFB4F, "hebrew"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0xFF00, 0xFFEF, "cjk"),
    (0x11FC0, 0x11FFF, "tamil"),
    (0x20000, 0x3FFFF, "cjk"),
)
RTL_SCRIPTS = frozenset({"arabic", "hebrew"})


def script_of(char: str) -> str | None:
    """The script whose font should print a character; None for neutral ones (digits, spaces,
    punctuation), which take the script of the letters around them."""
    code = ord(char)
    for low, high, script in _SCRIPT_RANGES:
        if low <= code <= high:
            return script
    return "latin" if unicodedata.category(char)[0] in "LM" else None


# Shaped glyphs print under codes from plane 15's private use area: never a character of the
# text itself.
_FIRST_CODE = 0xF0000


class _ShapingFace(TTFontFace):  # type: ignore[misc]  # reportlab has no types
    """A font face whose subsets' objects a document may write its own way (see ShapingFont)."""

    def addSubsetObjects(  # noqa: N802 (reportlab's name)
        self, doc: pdfdoc.PDFDocument, fontname: str, subset: list[int]
    ) -> pdfdoc.PDFObjectReference:
        writer = getattr(doc, "subset_objects", None)
        if writer is not None:
            return writer(self, doc, fontname, subset)
        return super().addSubsetObjects(doc, fontname, subset)


class ShapingFont(TTFont):  # type: ignore[misc]  # reportlab has no types
    """A TrueType font whose glyphs may print under codes of their own (given by its FontSet),
    each read back as the text of the cluster it prints: its ToUnicode map says so.

    A document may write its fonts' objects its own way, all the same bytes (the certificate
    renderer keeps them from one certificate to the next): it then has `font_objects`, called
    as font_objects(font, doc) instead of write_objects, and `subset_objects`, called as
    subset_objects(face, doc, fontname, subset) instead of TTFontFace.addSubsetObjects."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self.face.__class__ = _ShapingFace
        self.code_text: dict[int, str] = {}  # code -> the text it reads as

    def addObjects(self, doc: pdfdoc.PDFDocument) -> None:  # noqa: N802 (reportlab's name)
        writer = getattr(doc, "font_objects", None)
        if writer is not None:
            writer(self, doc)
        else:
            self.write_objects(doc)

    def write_objects(self, doc: pdfdoc.PDFDocument) -> None:
        """TTFont.addObjects, each subset's ToUnicode map then ours."""
        state = self.state.get(doc)
        subsets = [tuple(subset) for subset in state.subsets] if state is not None else []
        names = [self.getSubsetInternalName(n, doc)[1:] for n in range(len(subsets))]
        super().addObjects(doc)
        fonts = doc.idToObject["BasicFonts"].dict
        for name, subset in zip(names, subsets, strict=True):
            base_font = fonts[name].BaseFont
            stream = doc.idToObject["toUnicodeCMap:" + base_font]
            stream.content = self.to_unicode_cmap(base_font, subset)

    def to_unicode_cmap(self, base_font: str, subset: tuple[int, ...]) -> str:
        """reportlab's ToUnicode map of a subset, each code mapped to the text it reads as
        (UTF-16, so characters beyond the BMP read right too)."""
        entries = []
        for index, code in enumerate(subset):
            text = self.code_text.get(code, chr(code))
            entries.append(f"<{index:02X}> <{text.encode('utf-16-be').hex().upper()}>")
        return "\n".join(
            [
                "/CIDInit /ProcSet findresource begin",
                "12 dict begin",
                "begincmap",
                "/CIDSystemInfo",
                f"<< /Registry ({base_font})",
                f"/Ordering ({base_font})",
                "/Supplement 0",
                ">> def",
                f"/CMapName /{base_font} def",
                "/CMapType 2 def",
                "1 begincodespacerange",
                f"<00> <{len(subset) - 1:02X}>",
                "endcodespacerange",
                f"{len(subset)} beginbfchar",
                *entries,
                "endbfchar",
                "endcmap",
                "CMapName currentdict /CMap defineresource pop",
                "end",
                "end",
            ]
        )


class FontSet:
    """The fonts of every script under one prefix ("Coo-latin", "Coo-latin-Bold", ...),
    registered with reportlab on first use, and the codes given to their shaped glyphs.

    A code is given to the regular and the bold font of a script at once, each mapping it to
    its own glyph of the same cluster: markup shaped in the regular font prints in bold when a
    Paragraph's <b> takes the bold font of the family."""

    def __init__(
        self,
        prefix: str,
        font_class: type[ShapingFont] = ShapingFont,
        *,
        lock: threading.RLock | None = None,
    ) -> None:
        self.prefix = prefix
        self.font_class = font_class
        # Held while codes are given out (they change the faces' tables): whatever else reads
        # or changes the faces from several threads holds it too.
        self.lock = lock or threading.RLock()
        self._codes: dict[tuple[str, str, tuple[int, float], tuple[int, float]], int] = {}
        self._registered = False
        self._covers: dict[str, frozenset[int]] = {}

    def name(self, script: str, *, bold: bool = False) -> str:
        return f"{self.prefix}-{script}{'-Bold' if bold else ''}"

    def register(self) -> None:
        if self._registered:
            return
        with self.lock:
            if self._registered:
                return
            for script, (regular, bold) in FONT_FILES.items():
                for name, path in (
                    (self.name(script), regular),
                    (self.name(script, bold=True), bold),
                ):
                    if not path.exists():
                        raise FileNotFoundError(
                            f"{path} is missing: install Debian's fonts-noto-core and "
                            "fonts-droid-fallback (PDFs must not print empty boxes)"
                        )
                    pdfmetrics.registerFont(self.font_class(name, str(path)))
                normal, strong = self.name(script), self.name(script, bold=True)
                pdfmetrics.registerFontFamily(
                    normal, normal=normal, bold=strong, italic=normal, boldItalic=strong
                )
            self._registered = True

    def font(self, script: str, *, bold: bool = False) -> ShapingFont:
        self.register()
        font = pdfmetrics.getFont(self.name(script, bold=bold))
        assert isinstance(font, ShapingFont)  # noqa: S101 - registered as one above
        return font

    def covers(self, script: str) -> frozenset[int]:
        """The characters the script's regular font has (before any code was given)."""
        covered = self._covers.get(script)
        if covered is None:
            covered = self._covers[script] = frozenset(self.font(script).face.charToGlyph)
        return covered

    def code(
        self, script: str, text: str, regular: tuple[int, float], bold: tuple[int, float]
    ) -> int:
        """The code that prints glyph regular[0] at width regular[1] in the regular font and
        bold[0] at bold[1] in the bold one, read back as `text`."""
        key = (script, text, regular, bold)
        with self.lock:  # two threads must not give one free code to two glyphs
            code = self._codes.get(key)
            if code is None:
                fonts = (self.font(script), self.font(script, bold=True))
                code = _FIRST_CODE + len(self._codes)
                while any(code in f.face.charToGlyph for f in fonts):
                    code += 1
                for font, (glyph, width) in zip(fonts, (regular, bold), strict=True):
                    font.face.charToGlyph[code] = glyph
                    font.face.charWidths[code] = width
                    font.code_text[code] = text
                self._codes[key] = code
        return code


FONTS = FontSet("Coo")


def font_name(script: str, *, bold: bool = False, fonts: FontSet = FONTS) -> str:
    return fonts.name(script, bold=bold)


FONT, FONT_BOLD = font_name("latin"), font_name("latin", bold=True)


def register_fonts(fonts: FontSet = FONTS) -> None:
    fonts.register()


def base_font(fonts: FontSet = FONTS) -> str:
    """The Latin font, registered: a canvas's initialFontName, so that the PDF names no font
    it does not embed (reportlab's default is Helvetica, which it does not embed)."""
    fonts.register()
    return fonts.name("latin")
