"""The Celery app. Configuration lives in settings (CELERY_* names)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")

app = Celery("coo_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="coo_portal.ping")
def ping(value: str) -> str:
    """Echo a value back; used by readiness checks and by the test that drives a real worker."""
    return f"pong:{value}"
