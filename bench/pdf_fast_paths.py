"""What each of the certificate renderer's fast paths saves (issue 25: keep a fast path only
where it buys at least a fifth of the render time).

    python bench/pdf_fast_paths.py [-n 30]

Renders certificates of 1, 3 and 60 items N times each (after a warm-up: the caches a fast
path fills once per process are full, as in a worker) with every fast path on, then with each
one turned off alone, and prints the median CPU milliseconds per render and the share of the
render each fast path saves: (time without it - time with all) / time without it. The fast
paths are turned off as the tests turn them off (the same bytes either way, see
tests/certificates/test_pdf_frame.py and test_pdf_plain_cells.py):
- frame: the printed frame replayed from the first document of its layout (frame.FRAME_REUSE);
- fonts: the font objects made once per process (fast_fonts.use_fast_paths);
- cells: the goods table's and the boxes' plain cells (cells.PlainCell, cells.RunsCell);
- recurring: the recurring paragraphs laid out once per process (cells.laid_out and
  cells.fit_recurring, their caches emptied before each render).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from reportlab.platypus import Paragraph  # noqa: E402

from bench import sitting  # noqa: E402
from certificates.pdf import cells, fast_fonts, frame, render, render_certificate  # noqa: E402
from tests.certificates import samples  # noqa: E402


@contextmanager
def replaced(module: object, name: str, value: object) -> Iterator[None]:
    before = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, before)


@contextmanager
def all_on() -> Iterator[None]:
    yield


@contextmanager
def frame_off() -> Iterator[None]:
    with replaced(frame, "FRAME_REUSE", False):
        yield


@contextmanager
def fonts_off() -> Iterator[None]:
    with replaced(fast_fonts, "use_fast_paths", lambda canvas: None):
        yield


@contextmanager
def cells_off() -> Iterator[None]:
    real = cells.para

    def paragraphs_only(text_markup: str, style=cells.BODY):  # type: ignore[no-untyped-def]
        cell = real(text_markup, style)
        return Paragraph(text_markup, cell.style) if isinstance(cell, cells.PlainCell) else cell

    plain = cells.PlainCell.__dict__["plain"]
    try:
        cells.PlainCell.plain = classmethod(lambda cls, *args: None)  # type: ignore[assignment,method-assign]
        with (
            replaced(cells, "para", paragraphs_only),
            replaced(frame, "para", paragraphs_only),
            replaced(render, "para", paragraphs_only),
        ):
            yield
    finally:
        cells.PlainCell.plain = plain  # type: ignore[method-assign]


@contextmanager
def recurring_off() -> Iterator[None]:
    # Emptied before each render (see run): every render lays its recurring lines out anew.
    yield


def run(data: object, runs: int, mode: str) -> float:
    timings = []
    for _ in range(runs):
        if mode == "recurring":
            cells.laid_out.cache_clear()
            cells.fit_recurring.cache_clear()
        start = time.process_time()
        render_certificate(data)  # type: ignore[arg-type]
        timings.append(time.process_time() - start)
    return statistics.median(timings) * 1000


MODES: dict[str, Callable[[], object]] = {
    "all on": all_on,
    "frame": frame_off,
    "fonts": fonts_off,
    "cells": cells_off,
    "recurring": recurring_off,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="renders per case and mode")
    args = parser.parse_args()
    sitting.begin("no database: certificates rendered in this process, CPU time")
    cases = {
        "1 item": samples.certificate(item_count=1),
        "3 items": samples.certificate(item_count=3),
        "60 items": samples.certificate(item_count=60),
    }
    print(f"{'case':<10} {'mode off':<10} {'ms':>8} {'saves':>7}")
    for name, data in cases.items():
        render_certificate(data)  # warm-up: the once-per-process caches filled
        base = 0.0
        for mode, switch in MODES.items():
            with switch():  # type: ignore[attr-defined]
                render_certificate(data)
                ms = run(data, args.n, mode)
            if mode == "all on":
                base = ms
                print(f"{name:<10} {'(none)':<10} {ms:8.2f} {'':>7}")
            else:
                print(f"{name:<10} {mode:<10} {ms:8.2f} {(ms - base) / ms:7.1%}")
    sitting.end()


if __name__ == "__main__":
    main()
