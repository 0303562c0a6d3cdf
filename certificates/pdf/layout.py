"""The page's geometry, the fonts and paragraph styles, and each form's Layout, made from its
definition in reference/certificate_forms.py: where each header box sits (SLOTS) and what
each column of the goods table prints for an item (CELLS)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import zxingcpp
from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle

from certificates.pdf.data import CertificateData, CertificateItem
from core import text as text_engine
from reference.certificate_forms import FormDefinition, form_for

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
DARK_RUN = re.compile(b"\x00+")  # zxing-cpp's image: 0 is a dark module, 255 a light one


def qr_code(text: str) -> zxingcpp.Barcode:
    """`text` as a QR code at error-correction level QR_ERROR (the mask chosen by the
    standard's penalty rules, as segno and ZXing do)."""
    return zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=QR_ERROR.upper())


def qr_matrix(text: str) -> list[bytes]:
    """The QR code's modules, one bytes object per row (0 dark, 255 light), no quiet zone."""
    # zxing-cpp's Image has the buffer protocol; its stubs do not say so.
    image = memoryview(qr_code(text).to_image(scale=1, add_quiet_zones=False))  # type: ignore[arg-type]
    _, width = image.shape or (0, 0)
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
# made once per process (use_fast_paths): the same bytes, a fifth of the rendering saved.
FONTS = text_engine.FONTS


def font_name(script: str, *, bold: bool = False) -> str:
    return FONTS.name(script, bold=bold)


FONT, FONT_BOLD = font_name("latin"), font_name("latin", bold=True)


def register_fonts() -> None:
    FONTS.register()


def markup(text: str, width: float | None = None, size: float = 7.5) -> str:
    """Hostile text as paragraph markup in the certificate's fonts (core.text.markup)."""
    return text_engine.markup(text, width, size, fonts=FONTS)


def break_long_ascii(word: str, width: float, size: float) -> list[str]:
    return text_engine._break_long_ascii(word, width, size, FONTS)


def make_style(name: str, size: float, **kw: object) -> ParagraphStyle:
    options: dict[str, object] = {"fontName": FONT, "leading": size * 1.22, "shaping": 0, **kw}
    return ParagraphStyle(name, fontSize=size, **options)


BODY = make_style("body", 7.5)
SMALL = make_style("small", 6.5)
CENTRED = make_style("centred", 7.5, alignment=TA_CENTER)
TITLE = make_style("title", 13, fontName=FONT_BOLD, alignment=TA_CENTER)
HEADING = make_style("heading", 8.2, fontName=FONT_BOLD, alignment=TA_CENTER)
SUBTITLE = make_style("subtitle", 7.5, alignment=TA_CENTER)
NOTE = make_style("note", 7.2, leading=9.2)
FOOTER = make_style("footer", 6.5, textColor=GREY, leading=7.6)
CONTINUATION_TITLE = make_style("ct", 11, fontName=FONT_BOLD)
# Header boxes shrink their text to these sizes before giving up and continuing it elsewhere.
FIT_SIZES = (7.5, 6.8, 6.0)
FIT_STYLES = {size: make_style("fit", size) for size in FIT_SIZES}


def fmt_date(value: date | None) -> str:
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
THIRD_PARTY_CONTENTS = frozenset({"goods_aifta", "third_party", "remarks_retrospective"})
REMARKS_CONTENTS = frozenset({"remarks", "remarks_retrospective", "remarks_invoices"})

# Where a header box sits on page 1: (x0, x1, top, bottom). BOX4_BOTTOM is the foot of a
# fourth row (India-Korea's boxes 4 and 6); COUNTRY_TOP the top of the non-preferential
# form's country of origin, at the right column's foot above box 5.
BOX4_BOTTOM = BOX3_BOTTOM - 62
COUNTRY_TOP = BOX2_BOTTOM + 30
SLOTS: dict[str, tuple[float, float, float, float]] = {
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
        return min(SLOTS[box.slot][3] for box in self.form.header)

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
    if data.form_key:
        return layout_of(form_for(data.form_key))
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
