"""The text engine of every PDF the portal prints (certificates, tax invoices, receipts,
acknowledgements): text in any script, in embedded fonts, in the order it is read.

A line of text goes through four steps:

1. ``clean``: invisible and direction-changing characters go (the text comes from exporters,
   and what prints must be what was reviewed);
2. the Unicode bidirectional algorithm (UAX #9, python-bidi's implementation) gives each
   character its embedding level in a left-to-right paragraph (the documents are English
   forms: see bidi_levels);
3. each character gets a font: a letter its script's (``script_of``), a neutral character
   (digit, punctuation, space) the font of the letter before it, else after it, when that font
   has it, else the first font that has it; a character no font has prints as "?";
4. runs of one level and one font are shaped by HarfBuzz in their direction and put in visual
   order (rule L2). Every glyph prints under a code of its font whose ToUnicode entry is the
   text of its cluster, so that pdftotext and copying return the text as written (logical
   order), not the order of the glyphs.

No reportlab function is replaced: the fonts are registered as ``ShapingFont`` (a TTFont that
writes the ToUnicode map of its codes) and reportlab's own shaping is never asked for.

Public API
----------
``draw_line(canvas, x, y, text, *, size, bold=False, max_width=None, align="left")``
    Draws one line of hostile text with its left edge (or right edge, or centre, as `align`
    says: "left", "right", "centre") at x and its baseline at y; with `max_width`, text wider
    than that is cut and ends with "…". Returns the width drawn.
``draw_paragraph(canvas, x, y, text, *, size, width, leading=None, bold=False)``
    Draws text wrapped to `width` (line breaks kept), the first baseline at y, each next one
    `leading` (default 1.4 x size) lower. Returns the baseline under the last line.
``wrap(text, *, size, width, bold=False) -> list[str]``
    The lines draw_paragraph would draw.
``text_width(text, *, size, bold=False) -> float``
    The width of a line as draw_line prints it.
``markup(text, width=None, size=7.5) -> str``
    Hostile text as reportlab Paragraph markup (escaped, each run in its font, shaped and in
    visual order; a paragraph style's ``<b>`` makes it bold); with `width`, words wider than
    it are broken after separators. For Paragraph styles with ``shaping=0``.
``base_font()``
    The Latin font's name, registered: pass it as a Canvas's ``initialFontName`` so that the
    PDF names no font it does not embed.
``clean(text)``, ``script_of(char)``, ``font_name(script, *, bold=False)``, ``FONT``,
``FONT_BOLD``, ``register_fonts()``, ``shape_line(text)``, ``bidi_levels(line)``
    The parts of it.

Every function takes ``fonts=`` (a FontSet), FONTS by default: the certificate renderer has a
set of its own whose font objects it makes once per process (certificates/pdf/fast_fonts.py).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

import uharfbuzz
from bidi import algorithm as bidi_algorithm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from core.fonts import (
    FALLBACK_ORDER,
    FONT,
    FONT_BOLD,
    FONT_FILES,
    FONTS,
    FontSet,
    ShapingFont,
    base_font,
    font_name,
    register_fonts,
    script_of,
)

__all__ = [
    "FONT",
    "FONTS",
    "FONT_BOLD",
    "FontSet",
    "Segment",
    "ShapingFont",
    "base_font",
    "bidi_levels",
    "clean",
    "draw_line",
    "draw_paragraph",
    "font_name",
    "markup",
    "register_fonts",
    "script_of",
    "shape_line",
    "text_width",
    "wrap",
]

# ---------------------------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------------------------

# Invisible characters an exporter could use to make the printed text differ from what was
# reviewed: zero-width characters, bidirectional overrides and isolates, C0/C1 controls; and
# the supplementary private use planes, whose codes print the engine's shaped glyphs.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
    "\U000f0000-\U0010ffff]"
)


def clean(text: str) -> str:
    """Plain text fit to print: lone surrogates become "?", invisible characters go."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _INVISIBLE.sub("", text)


# ---------------------------------------------------------------------------------------------
# Bidi, fonts per character, shaping
# ---------------------------------------------------------------------------------------------


def bidi_levels(line: str, base: int = 0) -> list[int]:
    """The embedding level of each character of a line (UAX #9, rules X1-X10, W1-I2 and L1),
    the line being its own paragraph at level `base`. The portal's documents are English
    forms read left to right, so every line is a left-to-right paragraph (the higher-level
    protocol of rule HL1), whatever its first letter: "2. בע"מ - HS 6109" keeps its number on
    the left, and a Hebrew or Arabic value inside it reads right to left."""
    storage = bidi_algorithm.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    bidi_algorithm.get_embedding_levels(line, storage)
    for index, char in enumerate(storage["chars"]):
        char["index"] = index
    bidi_algorithm.explicit_embed_and_overrides(storage)
    bidi_algorithm.resolve_weak_types(storage)
    bidi_algorithm.resolve_neutral_types(storage, False)
    bidi_algorithm.resolve_implicit_levels(storage, False)
    levels = [base] * len(line)
    for char in storage["chars"]:
        levels[char["index"]] = char["level"]
    # L1: separators, and whitespace before them or at the end of the line, at the base level.
    reset = True
    for index in range(len(line) - 1, -1, -1):
        kind = unicodedata.bidirectional(line[index])
        if kind in ("B", "S"):
            levels[index], reset = base, True
        elif reset and kind in ("WS", "BN"):
            levels[index] = base
        else:
            reset = False
    return levels


def _scripts(line: str, fonts: FontSet) -> list[str]:
    """The script whose font prints each character of a line (see the module docstring)."""
    strong = [script_of(char) for char in line]
    chosen: list[str] = []
    previous: str | None = None
    for index, char in enumerate(line):
        script = strong[index]
        if script is None:
            following = next((s for s in strong[index + 1 :] if s is not None), None)
            script = previous or following or "latin"
        else:
            previous = script
        if ord(char) not in fonts.covers(script):
            script = next((s for s in FALLBACK_ORDER if ord(char) in fonts.covers(s)), "?")
        chosen.append(script)
    return chosen


@dataclass(frozen=True)
class Segment:
    """A piece of a line in visual order: its script's font and the codes that print it."""

    script: str
    codes: str


@functools.cache
def _hb_font(path: str) -> tuple[uharfbuzz.Font, int]:
    with open(path, "rb") as f:
        face = uharfbuzz.Face(f.read())
    return uharfbuzz.Font(face), face.upem


# Ligatures off: a ligature's glyph would read back as one of its letters in some viewers.
# Required shaping (Indic conjuncts, Arabic joining and lam-alef) does not depend on them.
_FEATURES = {"kern": True, "liga": False, "dlig": False}


def _shape(text: str, path: str, rtl: bool) -> list[tuple[int, int, float]]:
    """(cluster, glyph, width in 1/1000 em) of each glyph of a run, in visual order; a
    glyph's horizontal offset is given to the widths around it (vertical ones are dropped)."""
    font, upem = _hb_font(path)
    buffer = uharfbuzz.Buffer()
    buffer.cluster_level = uharfbuzz.BufferClusterLevel.MONOTONE_CHARACTERS
    buffer.add_str(text)
    buffer.direction = "rtl" if rtl else "ltr"
    buffer.guess_segment_properties()
    uharfbuzz.shape(font, buffer, _FEATURES)
    scale = 1000 / upem
    glyphs: list[tuple[int, int, float]] = []
    for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
        width = pos.x_advance * scale
        if pos.x_offset and glyphs:
            shift = pos.x_offset * scale
            cluster, glyph, before = glyphs[-1]
            glyphs[-1] = (cluster, glyph, before + shift)
            width -= shift
        glyphs.append((info.cluster, info.codepoint, width))
    return glyphs


def _by_cluster(glyphs: list[tuple[int, int, float]]) -> dict[int, list[tuple[int, float]]]:
    clusters: dict[int, list[tuple[int, float]]] = {}
    for cluster, glyph, width in glyphs:
        clusters.setdefault(cluster, []).append((glyph, round(width, 3)))
    return clusters


@dataclass
class _Glyph:
    """A shaped glyph of a line: its script, (glyph, width) in the regular and the bold font,
    its cluster (the index in the line of the cluster's first character), which glyph of the
    cluster it is (in visual order) and how many the cluster has."""

    script: str
    regular: tuple[int, float]
    bold: tuple[int, float]
    cluster: int
    nth: int
    count: int
    rtl: bool


def _run_glyphs(script: str, start: int, text: str, rtl: bool, fonts: FontSet) -> list[_Glyph]:
    """A run of one script and direction (at `start` in its line), shaped: its glyphs in
    visual order."""
    bold_font = fonts.font(script, bold=True)
    blank = (bold_font.face.charToGlyph.get(32, 0), 0.0)
    regular = _shape(text, FONT_FILES[script][0].as_posix(), rtl)
    bold = _by_cluster(_shape(text, FONT_FILES[script][1].as_posix(), rtl))
    counts: dict[int, int] = {}
    for cluster, _, _ in regular:
        counts[cluster] = counts.get(cluster, 0) + 1
    glyphs: list[_Glyph] = []
    seen: dict[int, int] = {}
    for cluster, glyph, width in regular:
        nth = seen.get(cluster, 0)
        seen[cluster] = nth + 1
        bold_glyphs = bold.get(cluster, [])
        # A cluster the bold font shapes into fewer glyphs: the rest print nothing in bold.
        bold_pair = bold_glyphs[nth] if nth < len(bold_glyphs) else blank
        glyph_pair = (glyph, round(width, 3))
        glyphs.append(
            _Glyph(script, glyph_pair, bold_pair, start + cluster, nth, counts[cluster], rtl)
        )
    return glyphs


def _text_parts(text: str, glyphs: int, rtl: bool) -> list[str]:
    """A cluster's text shared out among its glyphs in visual order, so that reading the glyphs
    left to right (right to left in a right-to-left run) reads the text as written: a glyph a
    character each, the last one the rest (a Devanagari "नि" prints its vowel sign first: the
    sign's glyph reads as "न", the consonant's as "ि"). Text extraction then finds no gap in a
    cluster, which a glyph that reads as nothing would make (pdftotext takes it for a space)."""
    if glyphs == 1:
        return [text]
    if len(text) >= glyphs:
        parts = [*text[: glyphs - 1], text[glyphs - 1 :]]
    else:
        parts = [*text[:-1], *[""] * (glyphs - len(text)), text[-1]]
    return parts[::-1] if rtl else parts


# Text that readers (pdftotext, copying in viewers) turn around as a right-to-left word: its
# characters are all of these bidirectional types. A separator (".", ",", ":"), a digit or a
# Latin letter ends such a word, and readers leave it where it is printed.
_TURNED = frozenset({"R", "AL", "NSM", "ON", "WS", "BN"})


def _reading_order(texts: list[str]) -> list[str]:
    """The texts of a right-to-left stretch's clusters, given in logical order, as its glyphs
    (left to right) should read so that a reader's own reordering gives them back in logical
    order: each run of texts a reader turns around (_TURNED) is turned around here first.
    "ש.מ." so reads as written, where printing each glyph's own text reads as ".מ.ש"."""
    out: list[str] = []
    turned: list[str] = []
    for text in texts:
        if text and all(unicodedata.bidirectional(char) in _TURNED for char in text):
            turned.append(text)
            continue
        out += [*turned[::-1], text]
        turned = []
    return out + turned[::-1]


def _glyph_texts(line: str, glyphs: list[_Glyph]) -> list[str]:
    """What each glyph of a line (in visual order) reads as: its share of its cluster's text;
    in a stretch of right-to-left levels, the clusters' texts in reading order."""
    starts = sorted({g.cluster for g in glyphs})
    ends = dict(zip(starts, [*starts[1:], len(line)], strict=True))
    cluster_text = {g.cluster: line[g.cluster : ends[g.cluster]] for g in glyphs}
    index = 0
    while index < len(glyphs):  # each right-to-left stretch: its clusters in visual order
        if not glyphs[index].rtl:
            index += 1
            continue
        end = index
        while end < len(glyphs) and glyphs[end].rtl:
            end += 1
        visual = list(dict.fromkeys(g.cluster for g in glyphs[index:end]))
        logical = [cluster_text[c] for c in sorted(visual)]
        slots = _reading_order(logical)
        for cluster, text in zip(visual, slots, strict=True):
            cluster_text[cluster] = text
        index = end
    return [_text_parts(cluster_text[g.cluster], g.count, g.rtl)[g.nth] for g in glyphs]


def _is_plain(font: ShapingFont, char: str, pair: tuple[int, float]) -> bool:
    """The glyph is the character's own, at its own width: the character prints it."""
    code = ord(char)
    face = font.face
    same_width = abs(face.charWidths.get(code, 0) - pair[1]) < 0.01
    return bool(face.charToGlyph.get(code) == pair[0]) and same_width


def _level_runs(line: str, fonts: FontSet) -> Iterator[tuple[int, str, int, str]]:
    """(level, script, start, text) runs of a line in logical order."""
    levels = bidi_levels(line)
    scripts = _scripts(line, fonts)
    start = 0
    for index in range(1, len(line) + 1):
        if index == len(line) or (levels[index], scripts[index]) != (levels[start], scripts[start]):
            yield levels[start], scripts[start], start, line[start:index]
            start = index


def _visual(runs: list[tuple[int, str, int, str]]) -> list[tuple[int, str, int, str]]:
    """Runs in visual order (rule L2): from the highest level down to the lowest odd one,
    every sequence of runs at that level or higher is reversed."""
    if not runs:
        return runs
    ordered = list(runs)
    levels = [run[0] for run in runs]
    highest = max(levels)
    lowest_odd = min((level for level in levels if level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        index = 0
        while index < len(ordered):
            if ordered[index][0] >= level:
                end = index
                while end < len(ordered) and ordered[end][0] >= level:
                    end += 1
                ordered[index:end] = ordered[index:end][::-1]
                index = end
            else:
                index += 1
    return ordered


@functools.lru_cache(maxsize=4096)
def _shape_line(line: str, fonts: FontSet) -> tuple[Segment, ...]:
    glyphs: list[_Glyph] = []
    for level, script, start, text in _visual(list(_level_runs(line, fonts))):
        if script == "?":  # no font has it
            latin = fonts.font("latin")
            question = (latin.face.charToGlyph[ord("?")], latin.face.charWidths[ord("?")])
            bold = fonts.font("latin", bold=True).face
            bold_question = (bold.charToGlyph[ord("?")], bold.charWidths[ord("?")])
            glyphs += [
                _Glyph("latin", question, bold_question, start + i, 0, 1, level % 2 == 1)
                for i in range(len(text))
            ]
            continue
        glyphs += _run_glyphs(script, start, text, level % 2 == 1, fonts)
    segments: list[Segment] = []
    for glyph, text in zip(glyphs, _glyph_texts(line, glyphs), strict=True):
        regular_font = fonts.font(glyph.script)
        bold_font = fonts.font(glyph.script, bold=True)
        if (
            len(text) == 1
            and _is_plain(regular_font, text, glyph.regular)
            and _is_plain(bold_font, text, glyph.bold)
        ):
            code = text
        else:
            code = chr(fonts.code(glyph.script, text, glyph.regular, glyph.bold))
        if segments and segments[-1].script == glyph.script:
            segments[-1] = Segment(glyph.script, segments[-1].codes + code)
        else:
            segments.append(Segment(glyph.script, code))
    return tuple(segments)


def shape_line(text: str, *, fonts: FontSet = FONTS) -> tuple[Segment, ...]:
    """One line of hostile text (cleaned, line breaks taken as spaces) as segments in visual
    order, each printed by its script's font (regular or bold: the codes serve both)."""
    fonts.register()
    return _shape_line(" ".join(clean(text).split("\n")), fonts)


def text_width(text: str, *, size: float, bold: bool = False, fonts: FontSet = FONTS) -> float:
    return sum(
        float(pdfmetrics.stringWidth(s.codes, fonts.name(s.script, bold=bold), size))
        for s in shape_line(text, fonts=fonts)
    )


# ---------------------------------------------------------------------------------------------
# Drawing on a canvas
# ---------------------------------------------------------------------------------------------

ELLIPSIS = "…"


def _fitted(text: str, size: float, bold: bool, max_width: float, fonts: FontSet) -> str:
    """The text, or as much of it as fits in `max_width` followed by "…"."""
    if text_width(text, size=size, bold=bold, fonts=fonts) <= max_width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest start that fits with the ellipsis
        middle = (low + high + 1) // 2
        trial = text[:middle].rstrip() + ELLIPSIS
        if text_width(trial, size=size, bold=bold, fonts=fonts) <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def draw_line(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    bold: bool = False,
    max_width: float | None = None,
    align: Literal["left", "right", "centre"] = "left",
    fonts: FontSet = FONTS,
) -> float:
    """Draw one line of hostile text (see the module docstring); returns its width."""
    text = " ".join(clean(text).split())
    if max_width is not None:
        text = _fitted(text, size, bold, max_width, fonts)
    segments = shape_line(text, fonts=fonts)
    width = sum(
        float(pdfmetrics.stringWidth(s.codes, fonts.name(s.script, bold=bold), size))
        for s in segments
    )
    if align == "right":
        x -= width
    elif align == "centre":
        x -= width / 2
    text_object = canvas.beginText(x, y)
    for segment in segments:
        text_object.setFont(fonts.name(segment.script, bold=bold), size)
        text_object.textOut(segment.codes)
    canvas.drawText(text_object)
    return width


def wrap(
    text: str, *, size: float, width: float, bold: bool = False, fonts: FontSet = FONTS
) -> list[str]:
    """Hostile text broken into lines no wider than `width` (its own line breaks kept): at
    spaces, and a word wider than `width` after a separator, else anywhere."""
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        line = ""
        for word in paragraph.split():
            for piece in _break_long(word, width, size, fonts):
                trial = f"{line} {piece}" if line else piece
                if line and text_width(trial, size=size, bold=bold, fonts=fonts) > width:
                    lines.append(line)
                    line = piece
                else:
                    line = trial
        lines.append(line)
    return lines


def draw_paragraph(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    width: float,
    leading: float | None = None,
    bold: bool = False,
    fonts: FontSet = FONTS,
) -> float:
    """Draw hostile text wrapped to `width`, the first baseline at y; returns the baseline
    under the last line."""
    leading = size * 1.4 if leading is None else leading
    for line in wrap(text, size=size, width=width, bold=bold, fonts=fonts):
        draw_line(canvas, x, y, line, size=size, bold=bold, fonts=fonts)
        y -= leading
    return y


# ---------------------------------------------------------------------------------------------
# Paragraph markup
# ---------------------------------------------------------------------------------------------

# Where a value too long for its column may be broken: after these characters.
_BREAK_AFTER = frozenset("/-_.,;:|+)]")


def _char_widths(word: str, size: float, fonts: FontSet) -> list[float]:
    fonts.register()
    return [
        pdfmetrics.stringWidth(char if script != "?" else "?", fonts.name(_known(script)), size)
        for char, script in zip(word, _scripts(word, fonts), strict=True)
    ]


def _known(script: str) -> str:
    return "latin" if script == "?" else script


def _break_long(word: str, width: float, size: float, fonts: FontSet = FONTS) -> list[str]:
    """A word wider than `width` cut into pieces that fit, preferably after a separator
    (/ - _ . , ;), so that marks and invoice numbers break where a reader expects.

    Widths are summed per character (kerning and shaping ignored: close enough to choose
    where to break), so that a 5,000-character value costs one pass.
    """
    widths = _char_widths(word, size, fonts)
    if sum(widths) <= width:
        return [word]
    pieces: list[str] = []
    start, used, last_break = 0, 0.0, -1
    for i, char in enumerate(word):
        if used + widths[i] > width and i > start:
            cut = last_break + 1 if last_break >= start else i
            pieces.append(word[start:cut])
            start, last_break = cut, -1
            used = sum(widths[start:i])
        used += widths[i]
        if char in _BREAK_AFTER:
            last_break = i
    pieces.append(word[start:])
    return [p for p in pieces if p]


@functools.cache
def _ascii_widths(fonts: FontSet) -> dict[str, float]:
    """Width at 1 pt of each printable ASCII character in the Latin font."""
    fonts.register()
    return {chr(c): pdfmetrics.stringWidth(chr(c), fonts.name("latin"), 1) for c in range(32, 127)}


def _break_long_ascii(word: str, width: float, size: float, fonts: FontSet) -> list[str]:
    """_break_long for a printable ASCII word (the Latin font has every such character):
    the same pieces, its widths read from a table made once."""
    table = _ascii_widths(fonts)
    if sum(table[char] for char in word) * size <= width:
        return [word]
    return _break_long(word, width, size, fonts)


def markup(
    text: str, width: float | None = None, size: float = 7.5, *, fonts: FontSet = FONTS
) -> str:
    """Hostile text as reportlab paragraph markup: escaped, line breaks kept, each line in
    visual order and each run in its script's font, shaped; with `width`, words wider than
    it broken at sensible points. The Paragraph's style must not shape (shaping=0)."""
    lines = []
    latin = fonts.name("latin")
    for line in clean(text).split("\n"):
        if line.isascii() and line.isprintable():
            # The fast path of nearly every line: Latin, left to right, nothing to shape.
            out = []
            for token in line.split(" "):
                pieces = [token]
                if width and token:
                    pieces = _break_long_ascii(token, width, size, fonts)
                out.append(" ".join(escape(piece) for piece in pieces))
            lines.append(" ".join(out))
            continue
        if width:
            line = " ".join(
                " ".join(_break_long(token, width, size, fonts)) if token else token
                for token in line.split(" ")
            )
        fonts.register()
        parts = []
        for segment in _shape_line(line, fonts) if line else ():
            name = fonts.name(segment.script)
            codes = escape(segment.codes)
            parts.append(codes if name == latin else f'<font name="{name}">{codes}</font>')
        lines.append("".join(parts))
    return "<br/>".join(lines)
