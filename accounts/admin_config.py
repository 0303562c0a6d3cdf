"""django.contrib.admin with the portal's admin site, set the documented way
(AdminConfig.default_site): administration asks for the authenticator code too (agency
administrators revoke certificates and unlock accounts there) and signs in through the
officer sign-in."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.PortalAdminSite"
