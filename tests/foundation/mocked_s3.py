"""A moto S3 behind the portal's default storage (PrivateS3Storage), for the storage and
readiness tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws


@contextmanager
def mocked_s3(settings: Any, bucket: str) -> Iterator[Any]:
    """The S3 client; the bucket is named in the settings, not created."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        settings.AWS_STORAGE_BUCKET_NAME = bucket
        settings.AWS_S3_REGION_NAME = "us-east-1"
        settings.AWS_ACCESS_KEY_ID = "testing"
        settings.AWS_SECRET_ACCESS_KEY = "testing"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "core.s3.PrivateS3Storage"},
        }
        yield client
