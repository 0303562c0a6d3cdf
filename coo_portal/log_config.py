"""The logging configuration (settings.LOGGING), made from the two settings that shape it.

Every line goes to the console with the request id (coo_portal/logs.py), as plain text or as
JSON; the settings read LOG_LEVEL and LOG_FORMAT, this module reads nothing.
"""

from __future__ import annotations

from typing import Any


def logging_config(*, level: str, log_format: str) -> dict[str, Any]:
    """The dictConfig for every process: web, Celery workers and beat (coo_portal/celery.py)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "coo_portal.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {
                "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            },
            "json": {"()": "coo_portal.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # WARNING keeps axes' failure and lock-out lines and drops its start-up banner.
            "axes": {"level": "WARNING"},
            # fontTools logs each table of every font subset it embeds (the signature stamp's).
            "fontTools": {"level": "WARNING"},
        },
    }
