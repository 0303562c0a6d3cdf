"""The script corpus every PDF of the portal must print as written (issue 28, item 5), and how
to check a PDF for it: its text as pdftotext reads it, and its fonts' glyphs."""

from __future__ import annotations

import io
import re
import subprocess

from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ByteStringObject, ContentStream, DictionaryObject, TextStringObject

CORPUS = (
    'בע"מ',  # Hebrew, "Ltd": a quotation mark (gershayim) inside the word
    "ש.מ.",  # Hebrew, "general partnership": full stops inside and after it
    "ش.ذ.م.م",  # Arabic, "LLC": full stops between the letters
    "\u0661\u0662\u0663\u066b\u0665",  # Arabic-Indic 123.5 (decimal separator): never reversed
    "मुंबई, 07 Dec",  # Devanagari, a comma, Latin digits and letters
    "சென்னை ஏற்றுமதி",  # Tamil
    "কলকাতা রপ্তানি",  # Bengali
    "กรุงเทพมหานคร",  # Thai
    "北京出口有限公司",  # Chinese
    "Zoë Müller Ångström Łódź",  # Latin with diacritics
)

# Marks pdftotext puts around right-to-left words: not text of the document.
_DIRECTION_MARKS = re.compile("[\u200e\u200f\u202a-\u202e]")


def pdf_text(data: bytes) -> str:
    """pdftotext's text of a PDF, direction marks dropped and runs of whitespace made one."""
    result = subprocess.run(
        ["/usr/bin/pdftotext", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return " ".join(_DIRECTION_MARKS.sub("", result.stdout.decode()).split())


def _codes(value: object) -> set[int]:
    """The bytes of a string operand: one code each (the fonts are single-byte subsets)."""
    return set(value.original_bytes if isinstance(value, TextStringObject) else bytes(value))


def _used_codes(
    reader: PdfReader, contents: object, resources: DictionaryObject, used: dict
) -> None:
    """The codes each font (by its object) prints in a content stream and the forms it
    places, added to `used`."""
    fonts = resources.get("/Font") or {}
    xobjects = resources.get("/XObject") or {}
    font = None
    for operands, operator in ContentStream(contents, reader).operations:
        if operator == b"Tf":
            font = fonts[operands[0]].get_object()
        elif operator in (b"Tj", b"'", b'"') and font is not None:
            used.setdefault(id(font), (font, set()))[1].update(_codes(operands[-1]))
        elif operator == b"TJ" and font is not None:
            for item in operands[0]:
                if isinstance(item, (ByteStringObject, TextStringObject)):
                    used.setdefault(id(font), (font, set()))[1].update(_codes(item))
        elif operator == b"Do":
            form = xobjects[operands[0]].get_object()
            if form.get("/Subtype") == "/Form":
                inner = form.get("/Resources")
                _used_codes(reader, form, inner.get_object() if inner else resources, used)


def notdef_glyphs(data: bytes) -> list[str]:
    """Every code printed in a font that is not embedded, or that its embedded TrueType
    subset maps to no glyph or to .notdef, as "font:code"."""
    reader = PdfReader(io.BytesIO(data))
    used: dict = {}
    for page in reader.pages:
        _used_codes(reader, page.get_contents(), page["/Resources"].get_object(), used)
    problems = []
    for font, codes in used.values():
        name = str(font["/BaseFont"])
        descriptor = font.get("/FontDescriptor")
        embedded = descriptor and descriptor.get_object().get("/FontFile2")
        if not embedded:
            problems.append(f"{name}: not embedded")
            continue
        face = TTFont(io.BytesIO(embedded.get_object().get_data()))
        cmap: dict[int, str] = {}
        for table in face["cmap"].tables:
            cmap.update(table.cmap)
        problems += [
            f"{name}:{code}" for code in sorted(codes) if cmap.get(code, ".notdef") == ".notdef"
        ]
    return problems
