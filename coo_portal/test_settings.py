"""The test environment: sets the environment variables the suite runs under, then loads the
one settings module. (pytest-django imports settings before any conftest runs.)"""

from __future__ import annotations

import os
import tempfile

os.environ["TESTING"] = "1"
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "k" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SITE_URL", "http://testserver")
# Files written by tests (documents, certificates, keys, outbox) go to a throwaway folder.
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="coo-test-var-"))
# Tests speak plain http to the test client and the live server.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
from .settings import *  # noqa: F403

# The webhook tests' receiver listens on 127.0.0.1. Set here, not in the environment, which
# subprocesses (`check --deploy` under production settings) would inherit.
WEBHOOK_ALLOW_PRIVATE_URLS = True

# Without Redis, lookup log rows are written after the response (verification/logbuffer.py):
# here after each request's own response, so a test reads its row when the client returns;
# tests/verification/test_log_buffer.py runs the batching the default (100 rows, 2 s) does.
VERIFY_LOG_BUFFER_ROWS = 1
