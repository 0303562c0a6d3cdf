"""Certificates rendered at once in several threads (a Celery worker's pool) print what each
prints alone: the laid-out paragraphs and font faces they share are used one at a time."""

from __future__ import annotations

import io
import sys
import threading

from pypdf import PdfReader

from certificates import pdf
from certificates.pdf import fast_fonts
from tests.certificates import samples


def _text(document: bytes) -> str:
    return " ".join(
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(document)).pages).split()
    )


def _certificate(thread: int, run: int) -> pdf.CertificateData:
    # One office for all (box 12, its text wrapped and shared, is drawn by every thread); the
    # rest differs, and an exporter in Devanagari has glyphs made for its shaped clusters.
    return samples.certificate(
        item_count=2,
        number=f"EIC/2026/MUM/{thread:03d}{run:04d}",
        exporter=pdf.Exporter(name=f"निर्यात {thread} {run}", address="मुंबई", iec="0123456789"),
    )


def test_threads_rendering_at_once_print_what_each_prints_alone() -> None:
    threads, runs = 8, 12
    expected = {
        (t, r): _text(pdf.render_certificate(_certificate(t, r)))
        for t in range(threads)
        for r in range(runs)
    }
    assert "It is hereby certified" in expected[0, 0]
    fast_fonts._compressed_subset.cache_clear()  # the font files are made again, in the threads
    got: dict[tuple[int, int], str] = {}
    errors: list[str] = []

    def work(thread: int) -> None:
        for run in range(runs):
            try:
                got[thread, run] = _text(pdf.render_certificate(_certificate(thread, run)))
            except Exception as exc:  # every failure is reported below
                errors.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert [key for key in expected if got.get(key) != expected[key]] == []
