from __future__ import annotations

from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    """Trade agreements, issuing agencies and offices, HS codes, fees: imports nothing of ours."""

    name = "reference"
