"""The renderer: a certificate's data onto its layout, the goods table split over pages
(render_certificate)."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib.colors import black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from certificates.pdf import fast_fonts
from certificates.pdf.cells import (
    PlainCell,
    TextState,
    draw_shared,
    fit,
    fit_lines,
    fit_recurring,
    laid_out,
    lines_markup,
    para,
)
from certificates.pdf.data import CertificateData, CertificateItem
from certificates.pdf.frame import FORM_DRAWERS, draw_frame, tick_box
from certificates.pdf.layout import (
    BAND_H,
    BOX2_BOTTOM,
    BOX13_H,
    CENTRED,
    CONT_HEADER_BOTTOM,
    CONTINUATION_TITLE,
    DARK_RUN,
    DECLARATION_BOTTOM,
    DECLARATION_TOP,
    FIT_SIZES,
    FIT_STYLES,
    FONT,
    FONT_BOLD,
    FOOTER,
    FOOTER_TOP,
    GREY,
    HEADING,
    IST,
    LEFT,
    MARGIN,
    PAD,
    PAGE_H,
    QR_BORDER,
    QR_SIZE,
    REMARKS_CONTENTS,
    RIGHT,
    RULE,
    SIGNATURE_RECT,
    SLOTS,
    SMALL,
    SPLIT,
    SUBTITLE,
    TABLE_HEADER_H,
    THIRD_PARTY_CONTENTS,
    TITLE,
    TOP,
    WIDTH,
    Layout,
    Lines,
    fmt_date,
    layout_for,
    markup,
    pdf_date,
    qr_matrix,
    register_fonts,
)
from core.text import clean
from reference.certificate_forms import Box

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
            rest[0] = para(f"{label}<br/>cont.", SMALL)
        return (
            _Row(first, self.col_widths, self.span, label),
            _Row(rest, self.col_widths, self.span, label),
        )


def _item_row(layout: Layout, data: CertificateData, item: CertificateItem) -> _Row:
    widths = layout.col_widths
    return _Row(
        [
            PlainCell.of_lines(column.cell(data, item), width - 2 * PAD)
            for column, width in zip(layout.columns, widths, strict=True)
        ],
        widths,
        continued_label=escape(str(item.position)),
    )


def _note_row(layout: Layout, label: str, text_markup: str) -> _Row:
    return _Row([para(f"<b>{label}</b> {text_markup}")], layout.col_widths, span=True)


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
            FORM_DRAWERS[kind](self.layout, self.c)
            self.c.endForm()
            self.forms.add(name)
        self.c.doForm(name)

    def box_text(
        self, box: str, lines: Lines, x0: float, x1: float, top: float, bottom: float
    ) -> None:
        """Fill a box; text too long for it continues below the goods list."""
        width = x1 - x0 - 2 * PAD
        height = top - bottom - 14 - PAD
        p, cut, h = fit_lines(lines, width, height, reserve=9)
        p.drawOn(self.c, x0 + PAD, top - 13 - h)
        if cut:
            note = f"(box {box} continues below the goods list)"
            self.c.setFont(FONT, 6)
            self.c.drawString(x0 + PAD, bottom + PAD, note)
            self.annex.append(
                _note_row(self.layout, f"Box {box} in full:", lines_markup(lines, width))
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
                ("Departure date", fmt_date(t.departure_date)),
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
            x0, x1, top, bottom = SLOTS[box.slot]
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
        markings = []
        if d.self_declaration:  # boxed, so that nobody takes it for an agency's certificate
            markings.append("EXPORTER'S SELF-DECLARATION")
        if d.certified_copy_of:
            markings.append("CERTIFIED TRUE COPY")
        if self.retroactive and rule is not None and not rule.box:
            markings.append(rule.marking)
        elif d.foreign_certificate:
            markings.append("BACK-TO-BACK (RE-EXPORT)")
        for index, marking in enumerate(markings):  # each boxed, one under the other
            mw = c.stringWidth(marking, FONT_BOLD, 7)
            c.rect(x - 1, TOP - 75 - 15 * index, mw + 6, 11)
            c.drawString(x + 2, TOP - 72 - 15 * index, marking)
            below = TOP - 79 - 15 * index
        notes = []
        if d.self_declaration:
            notes.append(
                "<b>Not certified by any agency</b>: the exporter's own statement on origin."
            )
        if d.certified_copy_of:
            notes.append(f"<b>Certified true copy of certificate {markup(d.certified_copy_of)}</b>")
        if d.in_lieu_of:
            notes.append(
                f"<b>Issued in lieu of certificate No. {markup(d.in_lieu_of)}</b>, "
                "which is cancelled."
            )
        for note in notes:
            p = para(note, SMALL)
            _, h = p.wrap(RIGHT - QR_SIZE - x - 6, 40)
            p.drawOn(c, x, below - h)
            below -= h + 2
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
            (SLOTS[b.slot][2] for b in layout.form.header if SLOTS[b.slot][1] == RIGHT),
            default=BOX2_BOTTOM,
        )
        for text_markup, style in lines:
            p, h = laid_out(text_markup, style, width)
            y -= h + 1
            if y < bottom:
                break
            draw_shared(p, c, SPLIT + PAD, y)

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
            for run in DARK_RUN.finditer(row)
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
        title, _ = laid_out(markup(d.title), CONTINUATION_TITLE, 300)
        draw_shared(title, c, LEFT + 6, TOP - 19)
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
            state = TextState(c)
            baselines: dict[float, str] = {}  # cells are top-aligned: a baseline per font size
            for index, (cell, x) in enumerate(zip(row.cells, xs, strict=True)):
                if isinstance(cell, PlainCell) and cell.plain_black:
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
            f"Place and date: <b>{markup(decl.place)}, {fmt_date(decl.date)}</b><br/>"
            f"Name: <b>{markup(decl.name)}</b><br/>"
            f"Designation: {markup(decl.designation)}<br/>"
            f"for {markup(d.exporter.name)}<br/><br/>"
            f"({markup(decl.signed or 'Declared electronically on the COO Portal')})"
        )
        if d.certified_copy_of:  # the endorsement in box 12 (AIFTA OCP rule 17)
            certified = (
                f"<b>CERTIFIED TRUE COPY</b> of certificate {markup(d.certified_copy_of)}, "
                "its original lost, stolen or destroyed. " + certified
            )
        right = (
            f"{certified}<br/>"
            f"<b>{markup(d.agency_name)}</b>, {markup(d.office_name)}<br/>"
            f"Place and date: <b>{markup(d.office_city)}, {fmt_date(d.issue_date)}</b>"
        )
        if d.self_declaration:
            # No agency examined the goods or the statement: box 12 says so, and what the
            # portal's signature does attest.
            right = (
                "<b>No issuing agency has examined or certified this declaration.</b> It is the "
                "exporter's own statement on origin (self-declared certificate of origin). The "
                "COO Portal recorded it under the number above and signed this file so that it "
                "can be verified: the signature attests the record, not the origin.<br/>"
                f"Recorded on: <b>{fmt_date(d.issue_date)}</b>"
            )
        box_top = DECLARATION_TOP - 12
        self.box11(declared, signed, box_top)
        _, sig_y1, _, sig_y2 = SIGNATURE_RECT
        # Box 12's text and the officer's name are the same for every certificate an office
        # issues on a day (by that officer): laid out once each (the exporter's are not).
        p, _, h = fit_recurring(right, RIGHT - SPLIT - 2 * PAD, box_top - sig_y2 - PAD)
        draw_shared(p, c, SPLIT + PAD, box_top - h)
        officer, h = laid_out(
            f"<b>{markup(d.officer_name)}</b><br/>{markup(d.officer_designation)}",
            CENTRED,
            RIGHT - SPLIT - 2 * PAD,
        )
        draw_shared(officer, c, SPLIT + PAD, sig_y1 - 2 - h)
        if form.band:
            top = self.layout.declaration_top
            self.band(form.band, top)
        for box in form.extra:
            text = lines_markup(self.box_lines(box))
            label = f"{box.number} {box.title}"
            x = LEFT + PAD + c.stringWidth(label, FONT, 6.5) + 10
            p, _, h = fit(text, RIGHT - x - PAD, BOX13_H - 2)
            p.drawOn(c, x, FOOTER_TOP + BOX13_H - 2 - h)

    def band(self, box: Box, top: float) -> None:
        """The box between the goods and the declaration (Mauritius' remarks, with the tick
        for a certificate issued retrospectively)."""
        c = self.c
        rule = self.layout.form.retroactive
        x = LEFT + PAD + c.stringWidth(f"{box.number} {box.title}", FONT, 6.5) + 12
        if rule is not None and rule.box == box.number:
            tick_box(c, x, top - 10, self.retroactive)
            c.setFont(FONT_BOLD, 6.5)
            c.drawString(x + 9, top - 9, rule.marking)
        lines = [line for line in self.box_lines(box) if line[1] != getattr(rule, "marking", "")]
        lines = [line for line in lines if line[1] != "-"]
        if lines:
            p, _, h = fit(lines_markup(lines), WIDTH - 2 * PAD, BAND_H - 14)
            p.drawOn(c, LEFT + PAD, top - 13 - h)

    def box11(self, declared: str, signed: str, box_top: float) -> None:
        """The exporter's declaration: its sentence (the same for every certificate of an
        agreement and destination, laid out once), a blank line, then who declared it where
        and when; all of it shrunk to fit where it does not at the first size."""
        width, height = SPLIT - LEFT - 2 * PAD, box_top - DECLARATION_BOTTOM - PAD
        sentence, sentence_h = laid_out(declared, FIT_STYLES[FIT_SIZES[0]], width)
        rest = para(signed, FIT_STYLES[FIT_SIZES[0]])
        rest_h = rest.wrap(width, PAGE_H)[1]
        blank = FIT_STYLES[FIT_SIZES[0]].leading
        if sentence_h + blank + rest_h <= height:
            draw_shared(sentence, self.c, LEFT + PAD, box_top - sentence_h)
            rest.drawOn(self.c, LEFT + PAD, box_top - sentence_h - blank - rest_h)
            return
        p, _, h = fit(f"{declared}<br/><br/>{signed}", width, height)
        p.drawOn(self.c, LEFT + PAD, box_top - h)

    @functools.cached_property
    def footer_text(self) -> tuple[Paragraph | PlainCell, float]:
        """The footer's line, the same on every page but for its number: laid out once."""
        d = self.data
        text = (
            f"Certificate No. {escape(clean(d.number))} · verification code "
            f"{escape(clean(d.verification_code))} · verify at "
            f"{markup(d.verify_url, WIDTH - 60, 6.5)}"
        )
        p = para(text, FOOTER)
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


def render_certificate(data: CertificateData) -> bytes:
    """The certificate as unsigned PDF bytes; sign it with signing.sign_certificate_pdf on
    page certification_page(data)."""
    register_fonts()
    buffer = io.BytesIO()
    # The initial font is ours: reportlab would otherwise name an unembedded Helvetica.
    c = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=FONT)
    fast_fonts.use_fast_paths(c)  # looked up here: a bench turns it off
    moment = data.issued_at or datetime.combine(data.issue_date, datetime.min.time(), IST)
    c.setDateFormatter(lambda *_: pdf_date(moment))
    c.setTitle(f"{clean(data.title)} {clean(data.number)}")
    c.setAuthor(clean(data.agency_name))
    c.setSubject(f"Certificate of Origin {clean(data.number)}")
    c.setCreator("COO Portal")
    c.setKeywords(["certificate of origin", clean(data.number)])

    renderer = _Renderer(data, c)
    layout = renderer.layout
    draw_frame(layout, c, renderer.forms)
    renderer.use_form("first")
    renderer.first_page()  # fills renderer.annex, which joins the rows below

    rows = [_item_row(layout, data, item) for item in data.items]
    if layout.preferential:
        # What the form has no box for prints under the goods.
        if data.third_party_invoicing and not layout.contents & THIRD_PARTY_CONTENTS:
            rows.append(
                _note_row(layout, "Third-party invoicing:", markup(data.third_party_invoicing))
            )
        if data.remarks and not layout.contents & REMARKS_CONTENTS:
            rows.append(_note_row(layout, "Remarks:", markup(data.remarks)))
    rows += renderer.annex
    count = len(data.items)
    rows.append(
        _Row(
            [para(f"*** {count} item{'s' if count != 1 else ''}; nothing follows ***", CENTRED)],
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
