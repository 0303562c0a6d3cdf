from __future__ import annotations

from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"

    def ready(self) -> None:
        from reportlab import rl_config

        from . import checks  # noqa: F401 - registers the system checks

        # Every PDF of the process (certificates, tax invoices, receipts, acknowledgements)
        # has its streams compressed only, not also ASCII85-encoded (reportlab's default, for
        # 7-bit channels): embedded fonts are binary anyway, and files are a fifth smaller.
        # Set here, at start-up, so that no PDF's bytes depend on which was drawn first.
        rl_config.useA85 = 0
