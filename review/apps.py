from __future__ import annotations

from django.apps import AppConfig


class ReviewConfig(AppConfig):
    """The officers' side, on top: queues, review, decisions (approve -> issue), dashboard."""

    name = "review"
