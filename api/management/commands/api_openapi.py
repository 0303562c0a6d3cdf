"""Write the filing API's OpenAPI document to docs/openapi.json (a test fails when the file
and the code differ: run this after changing the API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from api.endpoints import api

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def openapi_text() -> str:
    # Through JSON once: the status codes are ints from ninja and strings from openapi_extra.
    document = json.loads(json.dumps(api.get_openapi_schema()))
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Write docs/openapi.json from the filing API's code."

    def handle(self, *args: Any, **options: Any) -> None:
        DOCUMENT.write_text(openapi_text())
        self.stdout.write(f"Wrote {DOCUMENT}")
