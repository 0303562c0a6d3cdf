"""How stored documents and certificates are read back: checked against their recorded hash.

Both kinds of file are private and are reached through views that check who is asking: no
public URL (with S3 the only link is the admin's, presigned for one object and one minute).
Every stored file has its SHA-256 in the database (recorded when it was checked or signed);
`open_verified` copies the stored object while hashing it and refuses to hand out a single byte
of a file that no longer matches.

Where they are kept: FileSystemStorage under MEDIA_ROOT on the embedded default, or with
S3_BUCKET set core.s3.PrivateS3Storage (private, write-once, checksummed).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from typing import IO

from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
# Larger copies spill from memory to a temporary file (uploads are at most UPLOAD_MAX_BYTES).
SPOOL_IN_MEMORY = 1024 * 1024


class StoredFileCorruptedError(Exception):
    """A stored file no longer matches the SHA-256 recorded when it was stored."""


def open_verified(file: FieldFile, *, sha256: str) -> IO[bytes]:
    """The stored file's bytes, checked against `sha256` before any is handed out.

    Returns a file positioned at the start (the caller streams it, e.g. in a FileResponse, and
    closes it). Raises StoredFileCorruptedError when the bytes differ from the recorded hash.
    """
    copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - returned
    digest = hashlib.sha256()
    try:
        with file.storage.open(str(file.name), "rb") as stored:
            while chunk := stored.read(CHUNK):
                digest.update(chunk)
                copy.write(chunk)
    except BaseException:
        copy.close()
        raise
    if digest.hexdigest() != sha256:
        copy.close()
        logger.error("stored file %s fails its SHA-256 (recorded %s)", file.name, sha256)
        raise StoredFileCorruptedError(f"{file.name} does not match its recorded SHA-256")
    copy.seek(0)
    return copy
