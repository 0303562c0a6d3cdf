"""Structural safety of an untrusted PDF: bounded before it is parsed, inert once it is.

Two steps, both run inside the upload check's child process (core/sandbox.py):

1. prescan(data, limits), on the raw bytes before any parser sees them, with C-speed counts
   only (bytes.count, one regular-expression search, zlib with an output cap): how many
   objects, streams, references, dictionaries and arrays the file declares, how long its
   longest array is, and how much all its streams decompress to together (the objects of
   object streams count too). Every stream is measured, for every kind of file: a page's
   content stream that inflates to 1 GiB would reach whoever opens the file (an officer's
   viewer) as surely as an object stream reaches the parser. A file beyond any limit is
   refused as too complex: a fields bomb (1.7 million /Fields entries in 10 MB), a
   300,000-element array, a zip bomb in an object or content stream are all refused here,
   in at most about a second, before pypdf or pyHanko parse them.
2. inspect(reader, limits), on the parsed file (pypdf): every object, in the cross-reference
   table and in object streams, with what is nested in it, for active content and actions
   that leave the document (refused as unsafe), and the exact lengths of arrays and the
   number of form fields.

Refused as unsafe: JavaScript anywhere, embedded files (but a certificate's own Verifiable
Credential, a JWS of type application/vc+jwt), rich media, XFA forms, and every action
that leaves the document: Launch, GoToR (another file, a UNC path), GoToE, SubmitForm,
ImportData, Sound, Movie, Rendition, GoTo3DView, RichMediaExecute, a Thread in another file,
a URI that is not a web or mail address (file:, \\\\server\\share, javascript:), a URL file
specification. Links within the document and to web pages (GoTo, https URIs) stay allowed:
invoices carry them.

No Django here: the child process has none.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject


@dataclass(frozen=True)
class Limits:
    objects: int
    references: int
    dictionaries: int
    arrays: int
    array_bytes: int  # the longest run inside an array without a nested one, in bytes
    array_items: int  # the longest array once parsed
    fields: int
    decoded_bytes: int  # what all the file's streams decompress to, together
    # Embedded files of these media types pass, if their content is what the type says; the
    # portal's own certificates carry their Verifiable Credential so (an inert JWS, text).
    attachment_types: frozenset[str] = frozenset()


# Supporting documents: an invoice or packing list of a few hundred pages is far inside these
# (images in JPEG are not decompressed here; a scan stored uncompressed-then-Flate counts).
DOCUMENT_LIMITS = Limits(
    objects=20_000,
    references=100_000,
    dictionaries=100_000,
    arrays=100_000,
    array_bytes=256 * 1024,
    array_items=20_000,
    fields=2_000,
    decoded_bytes=64 * 1024 * 1024,
)
# A certificate this portal issues: one page, a few dozen objects, one signature field.
CERTIFICATE_LIMITS = Limits(
    objects=2_000,
    references=10_000,
    dictionaries=10_000,
    arrays=10_000,
    array_bytes=64 * 1024,
    array_items=5_000,
    fields=100,
    decoded_bytes=64 * 1024 * 1024,
    attachment_types=frozenset({"application/vc+jwt"}),
)


class PdfRefused(Exception):  # noqa: N818 - reads as the outcome
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind  # "too_complex", "unsafe" or "damaged"
        self.detail = detail


# ---------------------------------------------------------------------------------------------
# 1. Before parsing
# ---------------------------------------------------------------------------------------------

# "stream" that starts stream data ("endstream" ends it): then the end of line.
_STREAM_START = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_FILTERS = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_NAME = re.compile(rb"/([A-Za-z0-9]+)")
_PARSED_STREAM = re.compile(rb"/Type\s*/(?:ObjStm|XRef)\b")
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm\b")
_COUNT = re.compile(rb"/N\s+(\d{1,9})")
# Filters whose output is other data (images): not decoded by the parsers, nor here.
_IMAGE_FILTERS = frozenset({b"DCTDecode", b"DCT", b"JPXDecode", b"CCITTFaxDecode", b"CCF"})
_IMAGE_FILTERS |= {b"JBIG2Decode"}


def _too_many(what: str, found: int, limit: int) -> None:
    if found > limit:
        raise PdfRefused("too_complex", f"{found} {what}, more than {limit}")


_INFLATE_STEP = 1024 * 1024


def _inflate(body: bytes, budget: int) -> bytes:
    """The stream inflated, a MiB at a time, refused as soon as it passes `budget` (one
    allocation of the whole budget up front cost more time than the inflating)."""
    inflater = zlib.decompressobj()
    parts: list[bytes] = []
    size = 0
    pending = body
    try:
        while pending or not inflater.eof:
            part = inflater.decompress(pending, _INFLATE_STEP)
            pending = inflater.unconsumed_tail
            if not part:
                break
            size += len(part)
            if size > budget:
                raise PdfRefused("too_complex", "its streams decompress to more than the limit")
            parts.append(part)
    except zlib.error as exc:
        raise PdfRefused("damaged", f"a compressed stream cannot be read: {exc}") from exc
    return b"".join(parts)


def _decode(dictionary: bytes, body: bytes, budget: int, *, parsed: bool) -> bytes:
    """The stream's data through its filters, at most `budget` bytes of it (else refused).

    A stream that cannot be decoded counts as empty, unless the parser must read it (object
    and cross-reference streams): no reader can decompress more of it than this did.
    """
    try:
        return _decode_strictly(dictionary, body, budget)
    except PdfRefused as exc:
        if exc.kind == "damaged" and not parsed:
            return b""
        raise


def _decode_strictly(dictionary: bytes, body: bytes, budget: int) -> bytes:
    found = _FILTERS.search(dictionary)
    for name in _NAME.findall(found.group(1)) if found else []:
        if name in (b"FlateDecode", b"Fl"):
            body = _inflate(body, budget)
        elif name in (b"ASCII85Decode", b"A85"):
            text = body.strip().removesuffix(b"~>")
            try:
                body = base64.a85decode(text)
            except ValueError as exc:
                raise PdfRefused("damaged", "an ASCII85 stream cannot be read") from exc
        elif name in (b"ASCIIHexDecode", b"AHx"):
            try:
                body = binascii.unhexlify(re.sub(rb"\s|>", b"", body))
            except (binascii.Error, ValueError) as exc:
                raise PdfRefused("damaged", "a hexadecimal stream cannot be read") from exc
        elif name in _IMAGE_FILTERS:
            break
        else:  # LZW, RunLength: decompressors this check does not bound
            raise PdfRefused("too_complex", f"a stream with the filter /{name.decode()}")
    return body


def prescan(data: bytes, limits: Limits) -> None:
    """Refuse a file whose declared structure is beyond the limits; raises PdfRefused."""
    _too_many("objects", data.count(b"endobj"), limits.objects)
    _too_many("streams", data.count(b"endstream"), limits.objects)
    # Two-byte marks are rare enough by chance in binary stream data to count on the raw bytes
    # first (about 150 in 10 MB of noise): the fields bomb stops here, before any copy.
    _too_many("references", data.count(b" R"), limits.references)
    _too_many("dictionaries", data.count(b"<<"), limits.dictionaries)
    syntax: list[bytes] = []
    budget = limits.decoded_bytes
    objects_in_streams = 0
    position = 0
    while (start := _STREAM_START.search(data, position)) is not None:
        head = data[position : start.start()]
        syntax.append(head)
        end = data.find(b"endstream", start.end())
        end = len(data) if end == -1 else end
        dictionary = head[head.rfind(b"obj") :]
        parsed = _PARSED_STREAM.search(dictionary) is not None
        body = _decode(dictionary, data[start.end() : end], budget, parsed=parsed)
        budget -= len(body)
        if budget < 0:
            raise PdfRefused("too_complex", "its streams decompress to more than the limit")
        if _OBJECT_STREAM.search(dictionary):
            count = _COUNT.search(dictionary)
            objects_in_streams += int(count.group(1)) if count else 0
            syntax.append(body)
        position = end + len(b"endstream")
    syntax.append(data[position:])
    text = b"\n".join(syntax)

    _too_many("objects", data.count(b"endobj") + objects_in_streams, limits.objects)
    _too_many("references", text.count(b" R"), limits.references)
    _too_many("dictionaries", text.count(b"<<"), limits.dictionaries)
    _too_many("arrays", text.count(b"["), limits.arrays)
    long_run = re.compile(rb"\[[^\[\]]{%d}" % limits.array_bytes)
    if long_run.search(text):
        raise PdfRefused("too_complex", f"an array longer than {limits.array_bytes} bytes")


# ---------------------------------------------------------------------------------------------
# 2. Once parsed
# ---------------------------------------------------------------------------------------------

# Names that run code, carry other files or replace the document with a form application.
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/RichMedia", "/XFA"})
# Actions that run code, open or fetch another file, or send data out (PDF 2.0, 12.6.4).
LEAVING_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/GoToR",
        "/GoToE",
        "/SubmitForm",
        "/ImportData",
        "/Sound",
        "/Movie",
        "/Rendition",
        "/GoTo3DView",
        "/RichMediaExecute",
    }
)
MEDIA_ANNOTATIONS = frozenset({"/Movie", "/Sound", "/Screen", "/RichMedia", "/3D"})
WEB_SCHEMES = ("http://", "https://", "mailto:")


def _value(obj: DictionaryObject, key: str) -> object:
    value = obj.get(key)
    # A reader follows a reference wherever a value may stand: so does the check.
    return value.get_object() if isinstance(value, IndirectObject) else value


ATTACHMENT_KEYS = frozenset({"/EmbeddedFiles", "/EF"})
# The keys of the one file specification the portal writes (certificates/credential.py); any
# other (/RF related files, an /FS file system, /Thumb, ...) is refused with it.
FILESPEC_KEYS = frozenset({"/Type", "/F", "/UF", "/Desc", "/EF", "/AFRelationship"})
# A stream that takes its data from another file instead of its own bytes (PDF 2.0, 7.3.8.2).
EXTERNAL_STREAM_KEYS = frozenset({"/F", "/FFilter", "/FDecodeParms"})
COMPACT_JWS = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
ATTACHMENT_MAX_BYTES = 64 * 1024


def _embedded_file_refused(stream: StreamObject, limits: Limits) -> str | None:
    """Why an embedded file stream, wherever it is reached from, is not an allowed one: only
    a type the limits allow, holding what that type says (a compact JWS for
    application/vc+jwt), and its own bytes."""
    subtype = str(stream.get("/Subtype", "")).replace("#2F", "/").lstrip("/")
    if subtype not in limits.attachment_types:
        return "an embedded file"
    data = stream.get_data()
    if len(data) > ATTACHMENT_MAX_BYTES or not COMPACT_JWS.fullmatch(data.strip()):
        return "an embedded file that is not what its type says"
    return None


def _attachment_refused(filespec: DictionaryObject, limits: Limits) -> str | None:
    """Why a file specification is not the portal's own kind, or None: its keys are the ones
    the portal writes, and every file it embeds is an allowed one."""
    extra = set(filespec.keys()) - FILESPEC_KEYS
    if extra:
        return f"a file specification with {min(extra)}"
    embedded = _value(filespec, "/EF")
    if not isinstance(embedded, DictionaryObject):
        return "an embedded file"
    for value in embedded.values():
        stream = value.get_object()
        if not isinstance(stream, StreamObject):
            return "an embedded file"
        reason = _embedded_file_refused(stream, limits)
        if reason is not None:
            return reason
    return None


def _unsafe(obj: DictionaryObject, limits: Limits) -> str | None:
    """Why this dictionary is active content or leaves the document, or None."""
    if isinstance(obj, StreamObject):
        external = EXTERNAL_STREAM_KEYS.intersection(obj.keys())
        if external:
            return f"a stream whose data is another file ({min(external)})"
        if _value(obj, "/Type") == "/EmbeddedFile":
            reason = _embedded_file_refused(obj, limits)
            if reason is not None:
                return reason
    keys = ACTIVE_KEYS.intersection(obj.keys())
    if keys and limits.attachment_types and keys <= ATTACHMENT_KEYS:
        # The name tree of attachments is harmless in itself; each file specification in it
        # (the dictionary with /EF) is judged by its keys and what it embeds.
        reason = _attachment_refused(obj, limits) if "/EF" in obj else None
        if reason is not None:
            return reason
        keys = frozenset()
    if keys:
        return f"the key {min(keys)}"
    action = _value(obj, "/S")
    if action in LEAVING_ACTIONS:
        return f"a {action} action"
    if action == "/URI":
        target = _value(obj, "/URI")
        if not isinstance(target, str) or not target.strip().lower().startswith(WEB_SCHEMES):
            return "a link to something other than a web or mail address"
    if action == "/Thread" and "/F" in obj:
        return "a thread in another file"
    if _value(obj, "/FS") == "/URL":
        return "a file specification by URL"
    subtype = _value(obj, "/Subtype")
    if subtype in MEDIA_ANNOTATIONS and _value(obj, "/Type") in (None, "/Annot"):
        return f"a {subtype} annotation"
    return None


def inspect(reader: PdfReader, limits: Limits) -> None:
    """Walk every object of a parsed file; raises PdfRefused."""
    ids = [(num, gen) for gen, entries in reader.xref.items() for num in entries]
    ids += [(num, 0) for num in reader.xref_objStm]
    _too_many("objects", len(ids), limits.objects)
    for num, gen in ids:
        stack = [reader.get_object(IndirectObject(num, gen, reader))]
        while stack:
            obj = stack.pop()
            if isinstance(obj, DictionaryObject):
                reason = _unsafe(obj, limits)
                if reason is not None:
                    raise PdfRefused("unsafe", reason)
                stack.extend(v for v in obj.values() if not isinstance(v, IndirectObject))
            elif isinstance(obj, ArrayObject):
                _too_many("items in an array", len(obj), limits.array_items)
                stack.extend(v for v in obj if not isinstance(v, IndirectObject))
    root = reader.trailer["/Root"].get_object()
    form = root.get("/AcroForm") if isinstance(root, DictionaryObject) else None
    if form is not None:
        fields = form.get_object().get("/Fields")
        if fields is not None:
            _too_many("form fields", len(fields.get_object()), limits.fields)
