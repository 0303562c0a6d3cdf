"""Checks on uploaded documents: what the content is (not what the name says), and that it
opens. Only PDF, JPEG and PNG are accepted; an encrypted or broken PDF is refused."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
# A scanned A4 page at 600 dpi is about 35 million pixels; anything far beyond is a bomb.
MAX_PIXELS = 60_000_000


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
    """Refuse anything but a readable PDF, JPEG or PNG within the size limit."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError("The selected file is empty.", code="empty")
    if upload.size > limit:
        raise ValidationError(
            f"The file must be smaller than {limit // (1024 * 1024)} MB.", code="too_big"
        )
    upload.seek(0)
    content_type = sniff(upload.read(16))
    if content_type is None:
        raise ValidationError(
            "The file must be a PDF, JPEG or PNG. Its content is none of these, whatever its "
            "name says.",
            code="type",
        )
    upload.seek(0)
    if content_type == PDF:
        _check_pdf(upload)
    else:
        _check_image(upload)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(content_type=content_type, size=upload.size, sha256=digest.hexdigest())


def _check_pdf(upload: UploadedFile) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(upload, strict=False)
            if reader.is_encrypted:
                raise ValidationError(
                    "The PDF is password-protected. Upload a copy without a password.",
                    code="encrypted",
                )
            if len(reader.pages) == 0:
                raise ValidationError("The PDF has no pages.", code="broken")
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise ValidationError(
            "The PDF is damaged and cannot be opened. Save it again and upload the new copy.",
            code="broken",
        ) from exc


def _check_image(upload: UploadedFile) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
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
