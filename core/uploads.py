"""Checks on uploaded documents: what the content is (not what the name says), and that it
opens. Only PDF, JPEG and PNG are accepted; an encrypted or broken PDF is refused.

Officers open these files all day, so anything that is more than a document is refused too:
a polyglot (a file that is also a ZIP archive, or carries a web page or a script), data
after the end of a PDF, and a PDF with JavaScript, embedded files, an XFA form or an action
that leaves the document (core/pdf_safety.py).

The size is checked here; everything that reads the content runs in a child process with a
CPU and memory budget (core/sandbox.py): a file that needs more is refused as one that
could not be checked, and a PDF's structure is bounded before it is parsed."""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from . import pdf_safety, sandbox

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
# What each type is called on a page, and the extensions a file of that type may be named with.
TYPE_NAMES = {PDF: "a PDF", JPEG: "a JPEG image", PNG: "a PNG image"}
NAMED_EXTENSIONS = {PDF: {"pdf"}, JPEG: {"jpg", "jpeg"}, PNG: {"png"}}
# A scanned A4 page at 600 dpi is about 35 million pixels; anything far beyond is a bomb.
MAX_PIXELS = 60_000_000
# Server-side script, web pages and scripts: no invoice or packing list needs them, and they
# are what a polyglot carries. Searched over the whole file.
ACTIVE_MARKERS = re.compile(rb"<\?php|<script|<html|<iframe", re.IGNORECASE)
PDF_TRAILING_ALLOWED = b" \t\r\n\x00"
UNCHECKED_MESSAGE = (
    "The file could not be checked: it needs more time or memory to read than a document "
    "should. Print or save it to a new PDF (or export a smaller image) and upload that copy."
)


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    size: int
    sha256: str


def sniff(head: bytes) -> str | None:
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def upload_check(upload: UploadedFile) -> CheckedUpload:
    """Refuse anything but a readable PDF, JPEG or PNG within the size limit, at once (the
    filing API's path; the pages check off the web threads: upload_precheck, then
    content_refusal in the upload-check task)."""
    content_type = upload_precheck(upload)
    upload.seek(0)
    refusal = content_refusal(upload.read(), content_type)
    if refusal is not None:
        message, code = refusal
        raise ValidationError(message, code=code)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    size = upload.size or 0  # upload_precheck refused a file without one
    return CheckedUpload(content_type=content_type, size=size, sha256=digest.hexdigest())


def upload_precheck(upload: UploadedFile) -> str:
    """What can be said at once, without reading the content: not empty, within the size
    limit, and a PDF, JPEG or PNG by its first bytes. Returns the content type."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError("The selected file is empty.", code="empty")
    if upload.size > limit:
        raise ValidationError(
            gettext("The file must be smaller than %(megabytes)s MB.")
            % {"megabytes": limit // (1024 * 1024)},
            code="too_big",
        )
    upload.seek(0)
    content_type = sniff(upload.read(16))
    if content_type is None:
        raise ValidationError(
            "The file must be a PDF, JPEG or PNG. Its content is none of these, whatever its "
            "name says.",
            code="type",
        )
    return content_type


def name_for_content(name: str, content_type: str) -> str:
    """The uploader's file name with the extension of what the file is: a PNG named
    "scan.pdf" is kept as "scan.png", so that it is listed and downloaded as what it is."""
    stem, dot, extension = (name or "upload").rpartition(".")
    if not dot:
        stem, extension = extension, ""
    if extension.lower() in NAMED_EXTENSIONS[content_type]:
        return name
    return f"{stem or 'upload'}.{EXTENSIONS[content_type]}"


def upload_budget() -> sandbox.Budget:
    return sandbox.Budget(
        cpu_seconds=settings.UPLOAD_CHECK_CPU_SECONDS,
        memory_bytes=settings.UPLOAD_CHECK_MEMORY_MB * 1024 * 1024,
        # RLIMIT_CPU stops a child that computes too long; the wall clock only catches one
        # that waits instead, so it is generous: a busy host must not refuse a genuine file.
        wall_seconds=4 * settings.UPLOAD_CHECK_CPU_SECONDS + 2,
    )


def content_refusal(data: bytes, content_type: str) -> tuple[str, str] | None:
    """Why the content is refused, as (message, code), or None: read in a limited child
    process (content_check)."""
    try:
        found: tuple[str, str] | None = sandbox.run(
            content_check, data, content_type, budget=upload_budget()
        ).value
        return found
    except sandbox.Unchecked:
        return UNCHECKED_MESSAGE, "unchecked"


def content_check(data: bytes, content_type: str) -> tuple[str, str] | None:
    """In the child: why the content is refused, as (message, code), or None if it is not."""
    try:
        _check_single_document(data)
        if content_type == PDF:
            _check_pdf(data)
        else:
            _check_image(data)
    except ValidationError as exc:
        return exc.messages[0], str(exc.code)
    return None


def _check_single_document(data: bytes) -> None:
    """Refuse polyglots: a file that is also a ZIP archive or carries script or markup."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationError(
            "The file is also a ZIP archive (two files in one). Upload the document on its own.",
            code="polyglot",
        )
    if ACTIVE_MARKERS.search(data):
        raise ValidationError(
            "The file contains web page or script code, which a document never needs. Save or "
            "scan the document again and upload the new copy.",
            code="polyglot",
        )
    if data.startswith(b"%PDF-"):
        end = data.rfind(b"%%EOF")
        if end != -1 and data[end + len(b"%%EOF") :].strip(PDF_TRAILING_ALLOWED):
            raise ValidationError(
                "The file has more data after the end of the PDF (two files in one). Save the "
                "PDF again and upload the new copy.",
                code="polyglot",
            )


def _check_pdf(data: bytes) -> None:
    try:
        pdf_safety.prescan(data, pdf_safety.DOCUMENT_LIMITS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise ValidationError(
                    "The PDF is password-protected. Upload a copy without a password.",
                    code="encrypted",
                )
            if len(reader.pages) == 0:
                raise ValidationError("The PDF has no pages.", code="broken")
            pdf_safety.inspect(reader, pdf_safety.DOCUMENT_LIMITS)
    except pdf_safety.PdfRefused as exc:
        raise _pdf_refusal(exc) from exc
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise ValidationError(
            "The PDF is damaged and cannot be opened. Save it again and upload the new copy.",
            code="broken",
        ) from exc


def _pdf_refusal(refused: pdf_safety.PdfRefused) -> ValidationError:
    if refused.kind == "unsafe":
        return ValidationError(
            "The PDF contains JavaScript, embedded files, an XFA form or an action that opens "
            f"another file or sends data out ({refused.detail}), which we do not accept. "
            "Print it to a new PDF and upload that copy.",
            code="active_content",
        )
    if refused.kind == "too_complex":
        return ValidationError(
            f"The PDF is built in a way no document needs ({refused.detail}), so it was not "
            "checked. Print it to a new PDF and upload that copy.",
            code="too_complex",
        )
    return ValidationError(
        "The PDF is damaged and cannot be opened. Save it again and upload the new copy.",
        code="broken",
    )


def _check_image(data: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ValidationError("The image is too large in pixels.", code="too_big")
                image.verify()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError("The image is too large in pixels.", code="too_big") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError("The image is damaged and cannot be opened.", code="broken") from exc
