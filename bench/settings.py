"""The bench server's settings: the portal's, plus bench/urls.py's reference page.

Only bench/verify_load.py starts a server with these (DJANGO_SETTINGS_MODULE=bench.settings);
production and development use coo_portal.settings, whose URLs never include the reference.
"""

from coo_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
