"""The goods table's plain cells: drawn straight onto the canvas, wrapped as Paragraph wraps."""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader
from reportlab.lib.colors import black
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from certificates import pdf
from certificates.pdf import cells, frame, layout, render
from tests.certificates import samples
from tests.certificates.conftest import pdf_text, run

WORDS = ["cotton", "T-shirts", "AE/SG/001", "12.500", "kg", "x", "RVC", "35%", "+", "CTSH"]
WORDS += ["&amp;", "&lt;b&gt;", "knitted", "WWW", "ii", "Mar", "2026"]


def paragraph_lines(p: Paragraph) -> list[str]:
    blpara = p.blPara
    if blpara.kind == 0:
        return [" ".join(words) for _, words in blpara.lines]
    return [" ".join("".join(f.text for f in line.words).split()) for line in blpara.lines]


def random_markups(count: int) -> list[tuple[str, float]]:
    chance = random.Random(12)
    cases = []
    for _ in range(count):
        lines = []
        for _ in range(chance.randint(1, 4)):
            text = " ".join(chance.choice(WORDS) for _ in range(chance.randint(1, 12)))
            lines.append(f"<b>{text}</b>" if chance.random() < 0.3 else text)
        cases.append(("<br/>".join(lines), chance.uniform(30, 200)))
    return cases


def test_plain_cells_wrap_line_for_line_as_paragraph() -> None:
    layout.register_fonts()
    drawn_plain = 0
    for text_markup, width in random_markups(600):
        cell = cells.para(text_markup)
        assert isinstance(cell, cells.PlainCell)
        _, height = cell.wrap(width, pdf.PAGE_H)
        reference = Paragraph(text_markup, layout.BODY)
        _, expected = reference.wrap(width, pdf.PAGE_H)
        assert height == pytest.approx(expected)
        assert cell.height == pytest.approx(expected)  # rows() places cells by it
        if cell.paragraph is None:
            drawn_plain += 1
            assert [line for _, line in cell.lines] == paragraph_lines(reference), text_markup
    assert drawn_plain > 500  # the fallbacks are the exception


def test_every_cell_of_a_sample_certificate_is_drawn_plain() -> None:
    data = samples.certificate(item_count=5)
    layout = pdf.layout_for(data)
    for item in data.items:
        row = render._item_row(layout, data, item)
        assert row.height > 0
        for cell in row.cells:
            assert isinstance(cell, cells.PlainCell)
            assert cell.paragraph is None


@pytest.mark.parametrize(
    "text_markup",
    [
        "AE/SG/0001234567890123456789012345",  # wider than the cell: Paragraph splits it
        "arabic",  # another script's font (markup of Arabic text)
        "Plain then <b>bold</b> in one line",
        "  ",
    ],
)
def test_what_the_plain_cell_does_not_handle_goes_to_paragraph(text_markup: str) -> None:
    layout.register_fonts()
    if text_markup == "arabic":
        text_markup = pdf.markup("شركة مرحبا")
        assert "<font" in text_markup
    cell = cells.para(text_markup)
    if isinstance(cell, cells.PlainCell):
        cell.wrap(60, pdf.PAGE_H)
        assert cell.paragraph is not None
    else:
        assert isinstance(cell, Paragraph)


def test_a_line_paragraph_fits_by_shrinking_spaces_goes_to_paragraph() -> None:
    layout.register_fonts()
    text = "RVC 35% + CTSH"
    natural = pdfmetrics.stringWidth(text, layout.FONT, 7.5)
    cell = cells.para(text)
    cell.wrap(natural - 0.05, pdf.PAGE_H)  # within reportlab's 5 % space shrinkage
    assert cell.paragraph is not None
    assert cell.height == pytest.approx(layout.BODY.leading)  # one line, as Paragraph has it


def test_drawing_a_cell_leaves_the_canvas_colour_alone() -> None:
    layout.register_fonts()
    canvas = Canvas(io.BytesIO())
    canvas.setFillColor(black)
    cell = cells.para("grey text", layout.make_style("grey", 6.5, textColor=layout.GREY))
    cell.wrap(100, 50)
    cell.drawOn(canvas, 10, 10)
    assert canvas._fillColorObj == black


def test_the_certificate_reads_the_same_as_with_paragraphs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = samples.certificate(item_count=60)
    data.items[1] = samples.item(2, marks="AE/SG/00012345678901234567890123456789")  # broken
    fast = tmp_path / "fast.pdf"
    fast.write_bytes(pdf.render_certificate(data))
    real_para = cells.para

    def paragraphs_only(text_markup: str, style=layout.BODY):  # type: ignore[no-untyped-def]
        cell = real_para(text_markup, style)
        return Paragraph(text_markup, cell.style) if isinstance(cell, cells.PlainCell) else cell

    for module in (cells, frame, render):  # each calls the `para` it imported
        monkeypatch.setattr(module, "para", paragraphs_only)
    monkeypatch.setattr(cells.PlainCell, "plain", classmethod(lambda cls, *args: None))
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(pdf.render_certificate(data))
    assert pdf_text(fast) == pdf_text(slow)
    assert "AE/SG/060" in pdf_text(fast)
    # And it looks the same: at 50 dpi no pixel differs by more than anti-aliasing does
    # (a fraction of a point in where a line starts), nothing is moved or missing.
    for page in range(1, 6):
        fast_image, slow_image = (page_image(path, page, tmp_path) for path in (fast, slow))
        difference = ImageChops.difference(fast_image, slow_image).histogram()
        assert sum(difference[128:]) == 0, f"page {page}"


def page_image(path: Path, page: int, folder: Path) -> Image.Image:
    prefix = folder / f"{path.stem}-{page}"
    run(
        "pdftoppm",
        "-r",
        "50",
        "-gray",
        "-png",
        "-f",
        str(page),
        "-l",
        str(page),
        "-singlefile",
        str(path),
        str(prefix),
        check=True,
    )
    return Image.open(f"{prefix}.png").convert("L")


def random_lines(count: int) -> list[tuple[list[tuple[bool, str]], float]]:
    chance = random.Random(21)
    words = [*WORDS, "AE/SG/2026/000123/CONTAINER-MSKU1234567", "x" * 40, "(paren)", "back\\slash"]
    cases = []
    for _ in range(count):
        lines = []
        for _ in range(chance.randint(1, 4)):
            text = " ".join(chance.choice(words) for _ in range(chance.randint(1, 12)))
            if chance.random() < 0.1:
                text = text.replace(" ", "\n", 1)
            lines.append((chance.random() < 0.3, text))
        cases.append((lines, chance.uniform(30, 200)))
    return cases


def test_cells_made_from_lines_wrap_as_the_paragraph_of_their_markup() -> None:
    """The goods table's cells skip the markup: each wraps line for line as the Paragraph of
    the markup it stands for (long words broken at the same places)."""
    layout.register_fonts()
    plain = 0
    for lines, width in random_lines(600):
        cell = cells.PlainCell.of_lines(lines, width)
        reference = Paragraph(cells.lines_markup(lines, width), layout.BODY)
        _, expected = reference.wrap(width, pdf.PAGE_H)
        assert cell.wrap(width, pdf.PAGE_H)[1] == pytest.approx(expected), lines
        if isinstance(cell, cells.PlainCell) and cell.paragraph is None:
            plain += 1
            assert [line for _, line in cell.lines] == paragraph_lines(reference), lines
    assert plain > 400  # the fallbacks (a word wider than a narrow cell) are the exception


def test_a_cell_of_lines_that_is_not_printable_ascii_is_their_markup() -> None:
    layout.register_fonts()
    lines = [(True, "Zoë Müller"), (False, "<b>not bold</b> & more")]
    assert cells.PlainCell.plain(lines, 100, layout.BODY) is None
    cell = cells.PlainCell.of_lines(lines, 100)
    cell.wrap(100, pdf.PAGE_H)
    assert pdf.markup("<b>not bold</b>") in cell.text_markup


@pytest.mark.parametrize("room", [0.5, 1.5, 2.5, 4.2, 9.0, 40.0])
def test_a_plain_cell_splits_where_paragraph_splits(room: float) -> None:
    """A row that straddles a page is cut line for line as reportlab would cut the
    Paragraph: never one line alone, nothing when all of it fits."""
    layout.register_fonts()
    text = " ".join(f"word{n}" for n in range(60))
    cell = cells.PlainCell.of_lines([(False, text)], 80)
    assert isinstance(cell, cells.PlainCell)
    reference = Paragraph(pdf.markup(text, 80), layout.BODY)
    reference.wrap(80, pdf.PAGE_H)
    height = room * layout.BODY.leading
    ours, theirs = cell.split(80, height), reference.split(80, height)
    assert len(ours) == len(theirs)
    if len(ours) == 2:
        for part, expected in zip(ours, theirs, strict=True):
            expected.wrap(80, pdf.PAGE_H)
            assert [line for _, line in part.lines] == paragraph_lines(expected)
            assert part.wrap(80, pdf.PAGE_H)[1] == pytest.approx(expected.height)


def test_each_row_of_the_goods_table_is_ruled_under_it() -> None:
    data = samples.certificate(item_count=3)
    page = PdfReader(io.BytesIO(pdf.render_certificate(data))).pages[0]
    content = page.get_contents().get_data()
    rules = re.findall(rb"\.75 \.75 \.75 RG n 22 ([\d.]+) m 573\.2756 \1 l S", content)
    assert len(rules) == 4  # three items and the "nothing follows" line
    heights = [float(y) for y in rules]
    assert heights == sorted(heights, reverse=True)


def test_the_column_rules_run_from_the_header_to_the_last_item() -> None:
    data = samples.certificate(item_count=3)
    page = PdfReader(io.BytesIO(pdf.render_certificate(data))).pages[0]
    content = page.get_contents().get_data()
    rules = [float(y) for y in re.findall(rb"RG n 22 ([\d.]+) m 573\.2756 \1 l S", content)]
    columns = re.findall(rb"n ([\d.]+) ([\d.]+) m \1 ([\d.]+) l S", content)
    xs = {float(x) for x, _, _ in columns}
    assert xs == {round(x, 4) for x in layout.AIFTA.col_x[1:]}
    for _, top, bottom in columns:
        assert float(top) == pytest.approx(render._body_top(layout.AIFTA, 0))
        assert float(bottom) == pytest.approx(rules[2])  # under the third item, not above


def random_run_lines(count: int) -> list[str]:
    chance = random.Random(33)
    cases = []
    for _ in range(count):
        lines = []
        for _ in range(chance.randint(1, 4)):
            runs = []
            for _ in range(chance.randint(1, 4)):
                text = " ".join(chance.choice(WORDS) for _ in range(chance.randint(1, 3)))
                text = chance.choice(["", " "]) + text + chance.choice(["", " ", "  "])
                runs.append(f"<b>{text}</b>" if chance.random() < 0.4 else text)
            lines.append("".join(runs))
        cases.append("<br/>".join(lines))
    return cases


@pytest.mark.parametrize("style", [layout.BODY, layout.CENTRED], ids=["left", "centred"])
def test_lines_of_bold_and_regular_runs_are_laid_out_as_paragraph_lays_them_out(
    style: ParagraphStyle,
) -> None:
    """Where each line fits (labels and values, the title block), runs are drawn straight:
    the same lines, the same text and the same width of each line as Paragraph's."""
    layout.register_fonts()
    drawn = 0
    for text_markup in random_run_lines(400):
        cell = cells.para(text_markup, style)
        if not isinstance(cell, cells.RunsCell):  # each line wholly bold or not: a plain cell
            assert style is layout.BODY
            assert cells._PLAIN_LINE.fullmatch(text_markup)
            continue
        width = 250.0
        _, height = cell.wrap(width, pdf.PAGE_H)
        reference = Paragraph(text_markup, style)
        assert height == pytest.approx(reference.wrap(width, pdf.PAGE_H)[1])
        if cell.paragraph is not None:
            continue  # a line wraps: Paragraph draws it
        drawn += 1
        lines = reference.blPara.lines
        assert len(lines) == len(cell.run_lines)
        for (offset, runs), line in zip(cell.run_lines, lines, strict=True):
            ours = "".join(text for _, text in runs)
            used = sum(pdfmetrics.stringWidth(t, f, style.fontSize) for f, t in runs)
            if reference.blPara.kind == 0:
                extra, words = line[0], line[1]
                assert ours == " ".join(words)
            else:
                extra = line.extraSpace
                assert ours.split() == "".join(f.text for f in line.words).split()
            assert width - used == pytest.approx(extra, abs=1e-6)
            if style is layout.CENTRED:
                assert offset == pytest.approx(extra / 2)
    assert drawn > 200


def test_markup_that_is_not_runs_is_refused_at_once() -> None:
    """Hostile text in another script ends in a <font> tag after thousands of characters:
    telling it is not lines of runs must not try every way of cutting those characters
    (a regular expression that backtracks did not finish). Timed in a child process, since
    a regular expression holds the interpreter until it finishes."""
    code = (
        "import sys, time; sys.path.insert(0, '.');"
        "from certificates import pdf; from certificates.pdf import cells, layout; "
        "layout.register_fonts();"
        "text = pdf.markup('word ' * 600 + '北京');"
        "assert '<font' in text;"
        "start = time.process_time(); cells.para(text, layout.CENTRED);"
        "print(time.process_time() - start)"
    )
    done = subprocess.run(  # noqa: S603 (our interpreter and our code)
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    # CPU time of the child, not the wall clock (a busy machine stretches that): a regular
    # expression that backtracks takes minutes here, the linear one milliseconds.
    assert float(done.stdout) < 2


@pytest.mark.parametrize(
    "text_markup",
    [
        "<b>A</b><br/>",
        "A<br/><br/>",
        "<b>Gross</b> 12\u00a0500\u00a0kg cotton",
        "12\u00a0500\u00a0kg shirts",
    ],
)
def test_a_last_line_break_and_no_break_spaces_are_taken_as_paragraph_takes_them(
    text_markup: str,
) -> None:
    layout.register_fonts()
    for style in (layout.BODY, layout.CENTRED):
        cell = cells.para(text_markup, style)
        expected = Paragraph(text_markup, style).wrap(60, pdf.PAGE_H)[1]
        assert cell.wrap(60, pdf.PAGE_H)[1] == pytest.approx(expected)
