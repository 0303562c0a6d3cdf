"""The certificate of origin as a PDF, laid out like the official paper forms.

Page 1 carries boxes 1-4 (exporter, consignee, transport and route, official use) beside the
certificate number, title and QR code; boxes 5-10 are the goods table; boxes 11 (exporter's
declaration) and 12 (certification) close the last page. Goods that do not fit continue on
further pages, each repeating the title, number and the goods table's header.

Everything printed comes from exporters and is treated as hostile: it is cleaned of invisible
and direction-changing characters and escaped before reportlab's paragraph markup sees it.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.colors import Color, black, white
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

# ---------------------------------------------------------------------------------------------
# What a certificate says
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exporter:
    name: str
    address: str
    iec: str


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
BOX3_BOTTOM = BOX2_BOTTOM - 84
CONT_HEADER_BOTTOM = TOP - 46  # the title band of continuation pages
TABLE_HEADER_H = 30
FOOTER_TOP = MARGIN + 12
DECLARATION_TOP = FOOTER_TOP + 186

# Box 12's empty rectangle for the visible signature, on the last page: (x1, y1, x2, y2).
SIGNATURE_RECT: tuple[int, int, int, int] = (
    SPLIT + 10,
    FOOTER_TOP + 34,
    int(RIGHT) - 10,
    FOOTER_TOP + 100,
)

PAD = 3
QR_SIZE = 76
QR_BORDER = 3  # modules of white around the code; the box around it adds more

# The goods table: box number, heading, width (None takes what the others leave).
COLUMNS: tuple[tuple[str, str, float | None], ...] = (
    ("5", "Item no.", 26),
    ("6", "Marks and numbers of packages", 66),
    ("7", "Number and kind of packages; description of goods", None),
    ("", "HS code (ITC-HS)", 50),
    ("8", "Origin criterion", 54),
    ("9", "Gross weight or other quantity", 74),
    ("10", "Number and date of invoices", 78),
)
_fixed = sum(w for _, _, w in COLUMNS if w is not None)
COL_WIDTHS = tuple(w if w is not None else WIDTH - _fixed for _, _, w in COLUMNS)
COL_X = tuple(LEFT + sum(COL_WIDTHS[:i]) for i in range(len(COL_WIDTHS)))

GREY = Color(0.35, 0.35, 0.35)
RULE = Color(0.75, 0.75, 0.75)
TINT = Color(0.93, 0.95, 0.97)

# ---------------------------------------------------------------------------------------------
# Fonts and text
# ---------------------------------------------------------------------------------------------

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"


@functools.cache
def _register_fonts() -> None:
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def _style(name: str, size: float, **kw: object) -> ParagraphStyle:
    options: dict[str, object] = {"fontName": FONT, "leading": size * 1.22, **kw}
    return ParagraphStyle(name, fontSize=size, **options)


BODY = _style("body", 7.5)
SMALL = _style("small", 6.5)
CENTRED = _style("centred", 7.5, alignment=TA_CENTER)
TITLE = _style("title", 13, fontName=FONT_BOLD, alignment=TA_CENTER)
SUBTITLE = _style("subtitle", 7.5, alignment=TA_CENTER)
# Header boxes shrink their text to these sizes before giving up and continuing it elsewhere.
FIT_SIZES = (7.5, 6.8, 6.0)

# Invisible characters an exporter could use to make the printed text differ from what was
# reviewed: zero-width characters, bidirectional overrides and isolates, C0/C1 controls.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def clean(text: str) -> str:
    """Plain text fit to print: lone surrogates become "?", invisible characters go."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _INVISIBLE.sub("", text)


def markup(text: str) -> str:
    """Hostile text as reportlab paragraph markup: escaped, line breaks kept."""
    return escape(clean(text)).replace("\n", "<br/>")


def _para(text_markup: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(text_markup, style)


def _fmt_date(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else ""


# ---------------------------------------------------------------------------------------------
# The goods table: rows, splitting, pagination
# ---------------------------------------------------------------------------------------------


@dataclass
class _Row:
    """One row of the goods table; a spanning row has one cell across the whole table."""

    cells: list[Paragraph | None]
    span: bool = False
    continued_label: str = ""

    def widths(self) -> list[float]:
        if self.span:
            return [WIDTH - 2 * PAD]
        return [w - 2 * PAD for w in COL_WIDTHS]

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
        return _Row(first, self.span, label), _Row(rest, self.span, label)


def _item_row(item: CertificateItem) -> _Row:
    packages = markup(f"{item.package_count} {item.package_kind}")
    weight = "<br/>".join(markup(t) for t in (item.gross_weight_text, item.quantity_text) if t)
    return _Row(
        [
            _para(markup(str(item.position))),
            _para(markup(item.marks)),
            _para(f"<b>{packages}</b><br/>{markup(item.description)}"),
            _para(markup(item.hs_code)),
            _para(markup(item.criterion_display) or "-"),
            _para(weight),
            _para(markup(item.invoice_text)),
        ],
        continued_label=escape(str(item.position)),
    )


def _note_row(label: str, text_markup: str) -> _Row:
    return _Row([_para(f"<b>{label}</b> {text_markup}")], span=True)


def _body_top(page_index: int) -> float:
    top = BOX3_BOTTOM if page_index == 0 else CONT_HEADER_BOTTOM
    return top - TABLE_HEADER_H


def _body_height(page_index: int, *, last: bool) -> float:
    return _body_top(page_index) - (DECLARATION_TOP if last else FOOTER_TOP)


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


def _paginate(rows: Sequence[_Row]) -> list[list[_Row]]:
    """Split rows over pages; the last page keeps room for boxes 11 and 12 at its foot."""
    pages = _flow(rows, 0, lambda i: _body_height(i, last=False))
    last = len(pages) - 1
    if sum(r.height for r in pages[-1]) > _body_height(last, last=True):
        pages[-1:] = _flow(pages[-1], last, lambda i: _body_height(i, last=True))
    return pages


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------


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


def _draw_table_header(c: Canvas, top: float) -> None:
    bottom = top - TABLE_HEADER_H
    c.setFillColor(TINT)
    c.rect(LEFT, bottom, WIDTH, TABLE_HEADER_H, stroke=1, fill=1)
    c.setFillColor(black)
    for (number, heading, _), x, w in zip(COLUMNS, COL_X, COL_WIDTHS, strict=True):
        c.line(x, top, x, bottom)
        text = f"<b>{number}</b> {heading}" if number else heading
        p = _para(text, _style("th", 6.2, textColor=GREY))
        _, h = p.wrap(w - 2 * PAD, TABLE_HEADER_H)
        p.drawOn(c, x + PAD, top - PAD - h)


def _draw_first_page_form(c: Canvas) -> None:
    """Page 1's printed form: boxes 1-4 and the table header (drawn once per document)."""
    c.setLineWidth(0.8)
    c.rect(LEFT, BOX3_BOTTOM, WIDTH, TOP - BOX3_BOTTOM)
    c.line(SPLIT, TOP, SPLIT, BOX3_BOTTOM)
    c.line(LEFT, BOX1_BOTTOM, SPLIT, BOX1_BOTTOM)
    c.line(LEFT, BOX2_BOTTOM, RIGHT, BOX2_BOTTOM)
    _label(c, LEFT + PAD, TOP - 9, "1", "Goods consigned from (exporter's name, address, IEC)")
    _label(c, LEFT + PAD, BOX1_BOTTOM - 9, "2", "Goods consigned to (consignee's name, address)")
    _label(c, LEFT + PAD, BOX2_BOTTOM - 9, "3", "Means of transport and route (as far as known)")
    _label(c, SPLIT + PAD, BOX2_BOTTOM - 9, "4", "For official use")
    _draw_table_header(c, BOX3_BOTTOM)


def _draw_continuation_form(c: Canvas) -> None:
    c.setLineWidth(0.8)
    c.rect(LEFT, CONT_HEADER_BOTTOM, WIDTH, TOP - CONT_HEADER_BOTTOM)
    _draw_table_header(c, CONT_HEADER_BOTTOM)


def _draw_declaration_form(c: Canvas) -> None:
    c.setLineWidth(0.8)
    c.rect(LEFT, FOOTER_TOP, WIDTH, DECLARATION_TOP - FOOTER_TOP)
    c.line(SPLIT, DECLARATION_TOP, SPLIT, FOOTER_TOP)
    _label(c, LEFT + PAD, DECLARATION_TOP - 9, "11", "Declaration by the exporter")
    _label(c, SPLIT + PAD, DECLARATION_TOP - 9, "12", "Certification")
    x1, y1, x2, y2 = SIGNATURE_RECT
    c.saveState()
    c.setStrokeColor(RULE)
    c.setDash(2, 2)
    c.rect(x1, y1, x2 - x1, y2 - y1)
    c.restoreState()


def _fit(
    text_markup: str, width: float, height: float, reserve: float = 0
) -> tuple[Paragraph, bool]:
    """The largest FIT_SIZES paragraph that fits, else the smallest one cut to fit.

    A cut paragraph leaves `reserve` points free below it; the flag says whether it was cut.
    """
    for size in FIT_SIZES:
        p = _para(text_markup, _style("fit", size))
        if p.wrap(width, PAGE_H)[1] <= height:
            return p, False
    parts = p.split(width, height - reserve)
    return (parts[0] if parts else _para("")), True


class _Renderer:
    def __init__(self, data: CertificateData, canvas: Canvas) -> None:
        self.data = data
        self.c = canvas
        self.annex: list[_Row] = []  # header-box text that did not fit, printed in full later
        self.forms: set[str] = set()

    def use_form(self, name: str, draw: Callable[[Canvas], None]) -> None:
        """Place a printed part of the form, drawn once per document as a reusable object."""
        if name not in self.forms:
            self.c.beginForm(name)
            draw(self.c)
            self.c.endForm()
            self.forms.add(name)
        self.c.doForm(name)

    def box_text(self, box: str, text_markup: str, x: float, top: float, bottom: float) -> None:
        """Fill a header box; text too long for it continues below the goods list."""
        width = (SPLIT if x < SPLIT else RIGHT) - x - 2 * PAD
        height = top - bottom - 14 - PAD
        p, cut = _fit(text_markup, width, height, reserve=9)
        _, h = p.wrap(width, height)
        p.drawOn(self.c, x + PAD, top - 13 - h)
        if cut:
            note = f"(box {box} continues below the goods list)"
            self.c.setFont(FONT, 6)
            self.c.drawString(x + PAD, bottom + PAD, note)
            self.annex.append(_note_row(f"Box {box} in full:", text_markup))

    def first_page(self) -> None:
        d = self.data
        exporter = (
            f"<b>{markup(d.exporter.name)}</b><br/>{markup(d.exporter.address)}<br/>"
            f"India<br/>IEC: {markup(d.exporter.iec)}"
        )
        consignee = (
            f"<b>{markup(d.consignee.name)}</b><br/>{markup(d.consignee.address)}"
            f"<br/>{markup(d.consignee.country)}"
        )
        t = d.transport
        route = [
            ("Mode", t.mode),
            ("Vessel / flight / vehicle", t.vessel),
            ("Port of loading", t.port_of_loading),
            ("Port of discharge", t.port_of_discharge),
            ("Departure date", _fmt_date(t.departure_date)),
            ("Importing country", d.destination_country),
        ]
        transport = "<br/>".join(f"{name}: {markup(value)}" for name, value in route if value)
        self.box_text("1", exporter, LEFT, TOP, BOX1_BOTTOM)
        self.box_text("2", consignee, LEFT, BOX1_BOTTOM, BOX2_BOTTOM)
        self.box_text("3", transport, LEFT, BOX2_BOTTOM, BOX3_BOTTOM)
        if d.in_lieu_of:
            official = (
                f"<b>Issued in lieu of certificate No. {markup(d.in_lieu_of)}</b>, "
                "which is cancelled."
            )
        else:
            official = (
                f"Certificate No. {markup(d.number)}<br/>"
                f"Verification code: {markup(d.verification_code)}"
            )
        self.box_text("4", official, SPLIT, BOX2_BOTTOM, BOX3_BOTTOM)
        self.title_block()

    def title_block(self) -> None:
        d, c = self.data, self.c
        x = SPLIT + PAD + 2
        c.setFont(FONT, 6.5)
        c.setFillColor(GREY)
        c.drawString(x, TOP - 11, "Certificate No.")
        c.drawString(x, TOP - 33, "Verification code")
        c.setFillColor(black)
        c.setFont(FONT_BOLD, 11)
        c.drawString(x, TOP - 23, clean(d.number))
        c.setFont(FONT_BOLD, 9)
        c.drawString(x, TOP - 44, clean(d.verification_code))
        self.qr(RIGHT - QR_SIZE - 2, TOP - QR_SIZE - 2)

        lines = [_para(markup(d.title), TITLE)]
        if d.is_preferential:
            lines.append(_para(markup(d.agreement_name), SUBTITLE))
            lines.append(_para("(Combined declaration and certificate)", SUBTITLE))
        lines.append(_para("Issued in <b>INDIA</b> (country of origin)", SUBTITLE))
        lines.append(_para(f"for export to <b>{markup(d.destination_country)}</b>", SUBTITLE))
        width = RIGHT - SPLIT - 2 * PAD
        y = TOP - QR_SIZE - 8
        for p in lines:
            _, h = p.wrap(width, PAGE_H)
            y -= h + 2
            p.drawOn(c, SPLIT + PAD, y)

    def qr(self, x: float, y: float) -> None:
        """The verification URL as a QR code, with a quiet zone of QR_BORDER modules.

        QrCodeWidget encodes; its modules are drawn here as one path of filled runs, which
        is several times faster than rendering the widget's thousands of shapes.
        """
        widget = QrCodeWidget(self.data.verify_url, barLevel="M")
        code = widget.qr
        code.make()
        count = code.getModuleCount()
        module = QR_SIZE / (count + 2 * QR_BORDER)
        c = self.c
        c.setFillColor(white)
        c.rect(x, y, QR_SIZE, QR_SIZE, stroke=0, fill=1)
        c.setFillColor(black)
        path = c.beginPath()
        for r, row in enumerate(code.modules):
            top = y + QR_SIZE - (r + QR_BORDER) * module
            col = 0
            for dark, run in itertools.groupby(row):
                length = len(list(run))
                if dark:
                    path.rect(x + (col + QR_BORDER) * module, top - module, length * module, module)
                col += length
        c.drawPath(path, stroke=0, fill=1)
        c.setFont(FONT, 5.5)
        c.setFillColor(GREY)
        c.drawCentredString(x + QR_SIZE / 2, y - 1, "Scan to verify")
        c.setFillColor(black)

    def continuation_header(self, page: int) -> None:
        d, c = self.data, self.c
        c.setFont(FONT_BOLD, 11)
        c.drawString(LEFT + 6, TOP - 17, clean(d.title)[:70])
        c.setFont(FONT, 7)
        c.setFillColor(GREY)
        c.drawString(LEFT + 6, TOP - 30, f"Continuation sheet {page - 1}: boxes 5-10 continued")
        c.drawRightString(RIGHT - 6, TOP - 30, f"Verification code {clean(d.verification_code)}")
        c.setFillColor(black)
        c.setFont(FONT_BOLD, 10)
        c.drawRightString(RIGHT - 6, TOP - 17, f"Certificate No. {clean(d.number)}")

    def rows(self, page_index: int, rows: list[_Row], *, last: bool) -> None:
        c = self.c
        top = _body_top(page_index)
        bottom = DECLARATION_TOP if last else FOOTER_TOP
        y = top
        columns_end = bottom  # column rules stop where the full-width notes begin
        for row in rows:
            if row.span and columns_end == bottom:
                columns_end = y
            height = row.height  # wraps the cells (split parts are not wrapped yet)
            xs = (LEFT,) if row.span else COL_X
            for cell, x in zip(row.cells, xs, strict=True):
                if cell is not None:
                    cell.drawOn(c, x + PAD, y - PAD - cell.height)
            y -= height
            c.setStrokeColor(RULE)
            c.line(LEFT, y, RIGHT, y)
            c.setStrokeColor(black)
        c.rect(LEFT, bottom, WIDTH, top - bottom)
        for x in COL_X[1:]:
            c.line(x, top, x, columns_end)

    def declaration(self) -> None:
        d, c = self.data, self.c
        if d.is_preferential:
            declared = (
                "The undersigned hereby declares that the above details and statements are "
                "correct; that all the goods were produced in <b>INDIA</b> and that they comply "
                "with the origin requirements specified for these goods in the "
                f"{markup(d.agreement_name)} for the goods exported to "
                f"<b>{markup(d.destination_country)}</b>."
            )
            certified = (
                "It is hereby certified, on the basis of control carried out, that the "
                "declaration by the exporter is correct."
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
        left = (
            f"{declared}<br/><br/>"
            f"Place and date: <b>{markup(decl.place)}, {_fmt_date(decl.date)}</b><br/>"
            f"Name: <b>{markup(decl.name)}</b><br/>"
            f"Designation: {markup(decl.designation)}<br/>"
            f"for {markup(d.exporter.name)}<br/><br/>"
            "(Declared electronically by the exporter on the COO Portal)"
        )
        right = (
            f"{certified}<br/>"
            f"<b>{markup(d.agency_name)}</b>, {markup(d.office_name)}<br/>"
            f"Place and date: <b>{markup(d.office_city)}, {_fmt_date(d.issue_date)}</b>"
        )
        box_top = DECLARATION_TOP - 12
        p, _ = _fit(left, SPLIT - LEFT - 2 * PAD, box_top - FOOTER_TOP - PAD)
        _, h = p.wrap(SPLIT - LEFT - 2 * PAD, PAGE_H)
        p.drawOn(c, LEFT + PAD, box_top - h)
        _, sig_y1, _, sig_y2 = SIGNATURE_RECT
        p, _ = _fit(right, RIGHT - SPLIT - 2 * PAD, box_top - sig_y2 - PAD)
        _, h = p.wrap(RIGHT - SPLIT - 2 * PAD, PAGE_H)
        p.drawOn(c, SPLIT + PAD, box_top - h)
        officer = _para(
            f"<b>{markup(d.officer_name)}</b><br/>{markup(d.officer_designation)}", CENTRED
        )
        _, h = officer.wrap(RIGHT - SPLIT - 2 * PAD, sig_y1 - FOOTER_TOP)
        officer.drawOn(c, SPLIT + PAD, sig_y1 - 2 - h)

    def footer(self, page: int, pages: int) -> None:
        d, c = self.data, self.c
        c.setFont(FONT, 6.5)
        c.setFillColor(GREY)
        text = (
            f"Certificate No. {clean(d.number)} · verification code "
            f"{clean(d.verification_code)} · verify at {clean(d.verify_url)}"
        )
        while c.stringWidth(text, FONT, 6.5) > WIDTH - 60:
            text = text[:-2] + "…"
        c.drawString(LEFT, MARGIN + 2, text)
        c.setFillColor(black)
        c.setFont(FONT_BOLD, 7)
        c.drawRightString(RIGHT, MARGIN + 2, f"Page {page} of {pages}")


def render_certificate(data: CertificateData) -> bytes:
    """The certificate as unsigned PDF bytes; sign it with signing.sign_certificate_pdf."""
    _register_fonts()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"{clean(data.title)} {clean(data.number)}")
    c.setAuthor(clean(data.agency_name))
    c.setSubject(f"Certificate of Origin {clean(data.number)}")
    c.setCreator("COO Portal")
    c.setKeywords(["certificate of origin", clean(data.number)])

    renderer = _Renderer(data, c)
    renderer.use_form("first", _draw_first_page_form)
    renderer.first_page()  # fills renderer.annex, which joins the rows below

    rows = [_item_row(item) for item in data.items]
    if data.third_party_invoicing:
        rows.append(_note_row("Third-party invoicing:", markup(data.third_party_invoicing)))
    if data.remarks:
        rows.append(_note_row("Remarks:", markup(data.remarks)))
    rows += renderer.annex
    count = len(data.items)
    rows.append(
        _Row(
            [_para(f"*** {count} item{'s' if count != 1 else ''}; nothing follows ***", CENTRED)],
            span=True,
        )
    )
    pages = _paginate(rows)
    for index, page_rows in enumerate(pages):
        last = index == len(pages) - 1
        if index:
            renderer.use_form("continuation", _draw_continuation_form)
            renderer.continuation_header(index + 1)
        renderer.rows(index, page_rows, last=last)
        if last:
            renderer.use_form("declaration", _draw_declaration_form)
            renderer.declaration()
        renderer.footer(index + 1, len(pages))
        c.showPage()
    c.save()
    return buffer.getvalue()
