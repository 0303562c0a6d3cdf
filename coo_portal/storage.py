"""Where documents and certificates are kept, and how they are read back.

Both kinds of file are private and are reached only through views that check who is asking:
no public URL, no presigned link. Every stored file has its SHA-256 in the database (recorded
when it was checked or signed); `open_verified` copies the stored object while hashing it and
refuses to hand out a single byte of a file that no longer matches.

With S3_BUCKET set, `PrivateS3Storage` keeps them in an S3-compatible bucket: private ACL, never
an overwrite (a conditional PUT, `If-None-Match: *`, so two nodes saving the same name at the same
moment cannot replace each other's object: the loser takes a new name), and the SHA-256 sent
with each PUT so that the object store checks the bytes it received and keeps the checksum.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import tempfile
from typing import IO, Any

from botocore.exceptions import ClientError
from django.db.models.fields.files import FieldFile
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
# Larger copies spill from memory to a temporary file (uploads are at most UPLOAD_MAX_BYTES).
SPOOL_IN_MEMORY = 1024 * 1024
# A name taken by another writer between the free-name check and the PUT: try this many more.
SAVE_ATTEMPTS = 5


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
        with file.storage.open(file.name, "rb") as stored:
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


def _sha256_base64(content: Any) -> tuple[bytes, str]:
    content.seek(0)
    data = content.read()
    if isinstance(data, str):
        data = data.encode()
    return data, base64.b64encode(hashlib.sha256(data).digest()).decode()


class PrivateS3Storage(S3Storage):
    """django-storages' S3 backend, private and write-once (see the module docstring)."""

    default_acl = "private"
    file_overwrite = False
    querystring_auth = True
    # The portal's own pages never hand out a URL; the admin's file link is a presigned URL
    # for one object, good for a minute.
    querystring_expire = 60

    def _save(self, name: str, content: Any) -> str:
        data, checksum = _sha256_base64(content)
        for _ in range(SAVE_ATTEMPTS):
            cleaned = clean_name(name)
            key = self._normalize_name(cleaned)
            params = self._get_write_parameters(key, content)
            try:
                # One PUT (files are at most UPLOAD_MAX_BYTES): the multipart upload that
                # upload_fileobj may choose cannot carry If-None-Match.
                self.bucket.Object(key).put(
                    Body=data,
                    IfNoneMatch="*",
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=checksum,
                    **params,
                )
            except ClientError as exc:
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if status not in (409, 412):  # 412: the key exists; 409: a concurrent PUT
                    raise
                logger.info("stored name %s was taken meanwhile; choosing another", cleaned)
                name = self.get_alternative_name(*self._split(cleaned))
                name = self.get_available_name(name)
                continue
            return cleaned
        raise FileExistsError(f"no free name for {name} after {SAVE_ATTEMPTS} attempts")

    @staticmethod
    def _split(name: str) -> tuple[str, str]:
        stem, dot, extension = name.rpartition(".")
        if not dot or "/" in extension:
            return name, ""
        return stem, f".{extension}"
