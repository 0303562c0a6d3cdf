"""A real Celery worker whose signing step says when it starts and then waits, so that a
test can kill the worker mid-signing. Run as `python -m tests.resilience.slow_signing_worker
worker ...` with SIGNING_MARKER naming the file to create."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
django.setup()

from certificates import services  # noqa: E402 - after django.setup()
from coo_portal.celery import app  # noqa: E402

_sign = services.certificate_sign


def _slow_sign(**kwargs: Any) -> bytes:
    Path(os.environ["SIGNING_MARKER"]).write_text("signing")
    time.sleep(600)  # killed long before
    return _sign(**kwargs)


services.certificate_sign = _slow_sign

if __name__ == "__main__":
    app.worker_main(sys.argv[1:])
