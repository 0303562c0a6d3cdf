"""The bench server's settings: the portal's, plus bench/urls.py's reference page.

Only bench/verify_load.py starts a server with these (DJANGO_SETTINGS_MODULE=bench.settings);
production and development use coo_portal.settings, whose URLs never include the reference.
"""

import os

from coo_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# BENCH_NO_EDGE=1: kept answers go through the whole middleware stack, as before
# verification/edge.py (for a before/after comparison in one sitting).
if os.environ.get("BENCH_NO_EDGE"):
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "verification.edge.VerificationEdgeMiddleware"]  # noqa: F405
