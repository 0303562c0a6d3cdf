"""python manage.py create_bucket: the bucket of S3_BUCKET, private, versioned. Idempotent.

Run once per installation before the web nodes start (docker-compose.yml's `migrate` service;
docs/operations.md). Start-up refuses without it: `check --deploy` (coo_portal.E004/E005) and
/readyz say what is missing."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the S3 bucket (private, versioned, public access blocked) if it is missing."
    # A set-up step that comes before the installation is complete: the checks it would run
    # (keys, the TSA, this very bucket) may not pass yet.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        name = settings.AWS_STORAGE_BUCKET_NAME
        if not name:
            raise CommandError("S3_BUCKET is not set: files are kept on this node's disk.")
        client = default_storage.connection.meta.client  # type: ignore[attr-defined]
        try:
            client.head_bucket(Bucket=name)
            self.stdout.write(f"Bucket {name} exists.")
        except ClientError:
            params: dict[str, Any] = {"Bucket": name}
            region = settings.AWS_S3_REGION_NAME
            if region and region != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": region}
            client.create_bucket(**params)
            self.stdout.write(f"Bucket {name} created.")
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        try:
            client.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
        except ClientError as exc:  # MinIO has no public access block: its buckets are private
            self.stdout.write(f"Public access block not set ({exc.response['Error']['Code']}).")
        status = client.get_bucket_versioning(Bucket=name).get("Status")
        if status != "Enabled":
            raise CommandError(f"Versioning of {name} is {status!r}, not Enabled.")
        self.stdout.write(self.style.SUCCESS(f"Bucket {name}: private, versioning Enabled."))
