"""How fast certificates render, timestamp and sign, beside a bare pyHanko signature.

    python bench/issue_certificates.py [-n 20] [--rsa]

Renders and signs N certificates with 1, 20 and 60 items through the portal's entry points
(pdf.render_certificate, signing.sign_certificate_pdf), and prints the median milliseconds per
certificate for render, timestamp, sign and the total, beside pyHanko signing a blank page with
the same key and the same timestamping, and the ratio of the two (issue 12 asks for at most
2x). Needs no database: keys for a made-up agency are created in a temporary folder.

Timestamping is the portal's own on both sides (keys.get_timestamper(): the in-process
development TSA here, TSA_URL in production). The portal's "sign" is everything
signing.sign_certificate_pdf does: the certification signature, its timestamp, and the
chains and CRLs written into the DSS (B-LT); "tsa" shows what the timestamp alone costs of it.
"""

from __future__ import annotations

import argparse
import atexit
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR_DIR = tempfile.mkdtemp(prefix="coo-bench-")
atexit.register(shutil.rmtree, VAR_DIR, ignore_errors=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["VAR_DIR"] = VAR_DIR
os.environ["SIGNING_KEYS_DIR"] = str(Path(VAR_DIR) / "keys")

import django  # noqa: E402

django.setup()

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import signers  # noqa: E402
from pyhanko.sign.fields import SigSeedSubFilter  # noqa: E402
from pyhanko.sign.timestamps import TimeStamper  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from bench import sitting  # noqa: E402
from certificates import keys  # noqa: E402
from certificates.pdf import certification_page, render_certificate  # noqa: E402
from certificates.signing import sign_certificate_pdf  # noqa: E402
from tests.certificates import samples  # noqa: E402

AGENCY = "BENCH"


def median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


CLOCK = time.perf_counter  # --cpu: time.process_time


def timed(function: Callable[[], bytes], runs: int) -> tuple[list[float], bytes]:
    timings, result = [], b""
    for _ in range(runs):
        start = CLOCK()
        result = function()
        timings.append(CLOCK() - start)
    return timings, result


def blank_page() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def sign_blank(pdf: bytes, timestamper: TimeStamper) -> bytes:
    """pyHanko's plain timestamped signature on a blank page: the floor under our signing."""
    metadata = signers.PdfSignatureMetadata(
        field_name="Signature", subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = signers.sign_pdf(
        writer,
        metadata,
        keys.get_signer(AGENCY),
        timestamper=timestamper,
        bytes_reserved=16384,
    )
    return output.getvalue()


def timestamp_token(timestamper: TimeStamper) -> bytes:
    """One RFC 3161 token for a SHA-256 digest: what pyHanko asks the TSA for while signing."""
    import asyncio
    import hashlib

    digest = hashlib.sha256(os.urandom(32)).digest()
    return asyncio.run(timestamper.async_timestamp(digest, "sha256")).dump()


def distinct_certificate(count: int, serial: int) -> object:
    """A certificate of `count` items that no earlier one of the run repeats: its number,
    code and link, and each item's marks, description, quantities, weight, value and
    invoice differ from certificate to certificate (the exporter, consignee, package kind,
    HS code and origin criterion stay, as they do for one exporter's shipments). Rendering
    the same certificate again would find its lines laid out already."""
    number = f"EIC/2026/MUM/{serial:07d}"
    code = f"K7PX{serial:08d}"
    invoice = f"AE/2026/{serial:05d} of {1 + serial % 28:02d} Mar 2026"
    items = [
        samples.item(
            n,
            marks=f"AE/SG/{serial:05d}/{n:03d}",
            description=f"Cotton knitted T-shirts for men, lot {serial}, style {n:03d}",
            quantity_text=f"{120 * n + serial} pieces",
            gross_weight_text=f"{12.5 * n + serial / 1000:.3f} kg",
            fob_text=f"USD {1250 * n + serial:,}.00",
            invoice_text=invoice,
        )
        for n in range(1, count + 1)
    ]
    return samples.certificate(
        item_count=0,
        number=number,
        verification_code=code,
        verify_url=f"http://testserver/verify/?number={number.replace('/', '%2F')}&code={code}",
        items=items,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20, help="certificates per size (default 20)")
    parser.add_argument("--rsa", action="store_true", help="an RSA-2048 key instead of ECDSA")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="CPU time of this process instead of wall-clock time (steadier on a busy "
        "machine; the development TSA runs in-process, so it is counted too)",
    )
    sitting.add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.n = 1
    sitting.begin(f"a fresh folder of its own ({VAR_DIR}), a new development key and TSA")
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time

    keys.ensure_agency_key(AGENCY, "Benchmark Agency", rsa_key=args.rsa)
    start = time.perf_counter()
    keys.get_signer(AGENCY)
    print(
        f"key: {'RSA-2048' if args.rsa else 'ECDSA P-256'}, loaded once in "
        f"{(time.perf_counter() - start) * 1000:.1f} ms; {args.n} certificates per size; "
        f"{'CPU' if args.cpu else 'wall-clock'} time"
    )

    # Warm up: fonts, the signer and pyHanko's imports are one-off costs of a process.
    sign_certificate_pdf(
        render_certificate(samples.certificate(item_count=1)),
        agency_code=AGENCY,
        officer_name="Olivia Rao",
        designation="Assistant Director",
        agency_name="Benchmark Agency",
        signed_at=datetime.now(UTC),
    )

    timestamper = keys.get_timestamper()
    blank = blank_page()
    sign_blank(blank, timestamper)
    print(
        "bare: pyHanko signing a blank one-page PDF (invisible timestamped signature), timed "
        "in turn with each certificate so that a busy moment falls on both"
    )
    print(
        f"{'items':>5} {'pages':>5} {'render ms':>10} {'sign ms':>8} {'(tsa ms)':>8} "
        f"{'total ms':>9} {'bare ms':>8} {'x bare':>7} {'cert/s':>7}"
    )
    serial = 0
    for count in (1, 20, 60):

        def sign(pdf: bytes, data: object) -> bytes:
            return sign_certificate_pdf(
                pdf,
                agency_code=AGENCY,
                officer_name="Olivia Rao",
                designation="Assistant Director",
                agency_name="Benchmark Agency",
                signed_at=datetime.now(UTC),
                on_page=certification_page(data),
            )

        render_timings, sign_timings, blank_timings = [], [], []
        pdf = b""
        for _ in range(args.n):
            serial += 1
            data = distinct_certificate(count, serial)
            blank_timings += timed(lambda: sign_blank(blank, timestamper), 1)[0]
            timings, pdf = timed(lambda data=data: render_certificate(data), 1)
            render_timings += timings
            sign_timings += timed(lambda pdf=pdf, data=data: sign(pdf, data), 1)[0]
        tsa_timings, _ = timed(lambda: timestamp_token(timestamper), args.n)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        total = [r + s for r, s in zip(render_timings, sign_timings, strict=True)]
        bare = median_ms(blank_timings)
        print(
            f"{count:>5} {pages:>5} {median_ms(render_timings):>10.1f} "
            f"{median_ms(sign_timings):>8.1f} {median_ms(tsa_timings):>8.1f} "
            f"{median_ms(total):>9.1f} {bare:>8.1f} {median_ms(total) / bare:>7.2f} "
            f"{1000 / median_ms(total):>7.1f}"
        )
    sitting.end()


if __name__ == "__main__":
    main()
