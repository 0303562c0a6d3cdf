"""Documents and certificates in an S3-compatible bucket (with S3_BUCKET set).

Private ACL; never an overwrite: a conditional PUT (`If-None-Match: *`), so that two nodes saving
the same name at the same moment cannot replace each other's object (the loser takes a new
name); and the SHA-256 sent with each PUT, so that the object store checks the bytes it received
and keeps the checksum. Reads are checked against the register by core.storage.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

from botocore.exceptions import ClientError
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

logger = logging.getLogger(__name__)

# A name taken by another writer between the free-name check and the PUT: try this many more.
SAVE_ATTEMPTS = 5


def _sha256_base64(content: Any) -> tuple[bytes, str]:
    content.seek(0)
    data = content.read()
    if isinstance(data, str):
        data = data.encode()
    return data, base64.b64encode(hashlib.sha256(data).digest()).decode()


class PrivateS3Storage(S3Storage):  # type: ignore[misc]  # django-storages ships no types
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
            return str(cleaned)
        raise FileExistsError(f"no free name for {name} after {SAVE_ATTEMPTS} attempts")

    @staticmethod
    def _split(name: str) -> tuple[str, str]:
        stem, dot, extension = name.rpartition(".")
        if not dot or "/" in extension:
            return name, ""
        return stem, f".{extension}"
