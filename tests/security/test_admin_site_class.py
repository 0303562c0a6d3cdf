"""The admin site is the portal's (second factor, officer sign-in), installed through
AdminConfig.default_site rather than by swapping admin.site's class."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from accounts.admin_site import PortalAdminSite
from applications.models import Application


def test_the_default_admin_site_is_the_portals_under_the_stock_name():
    assert isinstance(admin.site, PortalAdminSite)  # admin.site is a lazy proxy of it
    assert admin.site.name == "admin"
    assert reverse("admin:index") == "/admin/"
    assert admin.site.is_registered(Application)


def test_no_module_swaps_the_admin_sites_class():
    base = Path(settings.BASE_DIR)
    swaps = [
        str(p.relative_to(base))
        for app in ("accounts", "applications", "certificates", "verification", "coo_portal")
        for p in (base / app).rglob("*.py")
        if "site.__class__" in p.read_text()
    ]
    assert swaps == []
