"""COO Portal settings: one module, driven by the environment.

Every value comes from an environment variable (or a `*_FILE` holding it for secrets), read
in one style: by the readers of coo_portal/environment.py (here `_secret`, `_str`, `_bool`,
`_int`, `_float`, and `_environment_names` for per-agency families), or by django-environ's
parsers for lists and URLs (`env.list`, `env.db_url_config`, `env.email_url`). Nothing outside
this module and its readers reads the environment (tests/architecture/test_environment.py).
Nothing here is secret; `.env.example` lists every variable. With no variables set the
portal runs on the embedded default: SQLite under var/, Celery eager, files under var/.
"""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
import pycountry
from django.core.exceptions import ImproperlyConfigured

from coo_portal import environment, errors
from coo_portal.log_config import logging_config

# The readers of coo_portal/environment.py, under the short names every setting below uses.
_secret = environment.secret
_str = environment.text
_required = environment.required
_environment_names = environment.names_with_prefix
_bool = environment.flag
_int = environment.whole_number
_float = environment.number

# admin.ModelAdmin[Model] and the like at run time, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# An optional .env file beside manage.py (never committed) for local overrides.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


# ---------------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------------

DEBUG = _bool("DEBUG", default=False)
TESTING = _bool("TESTING", default=False)
VAR_DIR = Path(_str("VAR_DIR") or BASE_DIR / "var")

SECRET_KEY = _secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY (or SECRET_KEY_FILE) "
            "to at least 50 random characters, or set DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on-" + "x" * 20

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off (comma-separated).")
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the portal's hosts, not '*'.")

# `make run PORT=8001` serves on PORT; links, QR codes and the API follow unless SITE_URL is set.
PORT = _int("PORT", 8000)
SITE_URL = _str("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, not {SITE_URL!r}")
SITE_NAME = "COO Portal"
SUPPORT_EMAIL = _str("SUPPORT_EMAIL", "support@coo-portal.example")
SUPPORT_PHONE = _str("SUPPORT_PHONE", "1800-111-550")

INSTALLED_APPS = [
    "accounts.admin_config.PortalAdminConfig",  # django.contrib.admin, the portal's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "captcha",
    "axes",
    "django_htmx",
    "django_countries",
    "csp",
    "core.durable",
    "reference",
    "accounts",
    "applications",
    "certificates",
    "verification",
    "review",
    # Operations: system checks, metrics and request-id wiring, create_bucket (coo_portal/apps.py).
    "coo_portal.apps.OperationsConfig",
    "api",
]

MIDDLEWARE = [
    # /healthz and /readyz answer over plain http, whatever the Host (coo_portal/health.py).
    "coo_portal.health.HealthCheckMiddleware",
    # A request id on every log line and task of the request, answered in X-Request-ID, and
    # the request's latency by route for /metrics (coo_portal/logs.py, coo_portal/metrics.py).
    "coo_portal.logs.RequestIdMiddleware",
    "coo_portal.metrics.RequestMetricsMiddleware",
    # First: a body too large for its URL is refused before anything reads it (request.POST).
    "core.body_limit.RequestBodyLimitMiddleware",
    # A QR link or API lookup whose answer is kept in Redis, from a visitor without cookies, is
    # answered here with the stack's own headers (verification/edge.py); everything else, and
    # every lookup the kept answer does not settle, goes on down the stack.
    "verification.edge.VerificationEdgeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # The interface language: the signed-in person's choice, else the visitor's cookie, else
    # the browser's Accept-Language, else English (accounts/language.py).
    "accounts.language.LanguageMiddleware",
    # Django's LoginRequiredMiddleware; officers' pages go to the officer sign-in.
    "accounts.login_required.PortalLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionExpiryMiddleware",  # "your session expired" on the sign-in page
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, so that it sees the final response of a failed login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coo_portal.urls"
WSGI_APPLICATION = "coo_portal.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "applications:list"  # the exporters' sign-in
LOGOUT_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csrf",
                "coo_portal.context_processors.site",
                "accounts.context_processors.acting",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Database and cache
# ---------------------------------------------------------------------------------------------

# The URL carries the password, so it may come from DATABASE_URL_FILE like any secret.
DATABASES = {
    "default": env.db_url_config(_secret("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once when two requests write together.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# Connections kept between requests on every backend: opening one costs about 0.9 ms on
# SQLite (its PRAGMAs) and a TCP and authentication round on PostgreSQL.
DATABASES["default"]["CONN_MAX_AGE"] = _int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _str("REDIS_URL", "")
CACHE_KEY_PREFIX = _str("CACHE_KEY_PREFIX", "coo")
# Redis calls give up after REDIS_SOCKET_TIMEOUT seconds. While Redis is unreachable the cache
# answers from a table in the database instead of failing the request
# (core/cache.py): sign-in, lockout and rate limits keep working, slower.
REDIS_SOCKET_TIMEOUT = _float("REDIS_SOCKET_TIMEOUT", 0.5)
_FALLBACK_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "coo_cache_fallback",
    "KEY_PREFIX": CACHE_KEY_PREFIX,
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        },
        "fallback": _FALLBACK_CACHE,
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "fallback": _FALLBACK_CACHE,
    }

# ---------------------------------------------------------------------------------------------
# Celery
# ---------------------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker the embedded default runs every task in-process, at once.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged after it ran, and re-queued if its worker dies: tasks are idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task gets the soft limit (SoftTimeLimitExceeded, which issuance retries) and then the
# hard one (the child is killed).
CELERY_TASK_SOFT_TIME_LIMIT = _int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = _int("CELERY_TASK_TIME_LIMIT", 90)
# Redis hands an unacknowledged task to another worker after the visibility timeout: a task
# whose worker was killed (acks_late) runs again that long after it started. It must exceed
# the longest run (CELERY_TASK_TIME_LIMIT) or a slow task would run twice at once, and the
# longest retry countdown (issuance and delivery back off to at most 600 s), since Redis also
# re-delivers a task waiting for its countdown. Lost issuances come back sooner through the
# sweep (ISSUANCE_STUCK_SECONDS).
CELERY_BROKER_VISIBILITY_TIMEOUT = _int("CELERY_BROKER_VISIBILITY_TIMEOUT", 900)
if CELERY_BROKER_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_BROKER_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT."
    )
# Short socket timeouts and one quick reconnect: with Redis unreachable a publish fails within
# about a second (0.13 s when the port is closed; kombu's defaults took 2 s, and the result
# backend's 20 retries 20 s) and the outbox keeps the task, instead of hanging the request.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 5
# Nothing reads the results of the portal's tasks; storing them would make every publish
# subscribe to the result backend too (another Redis round trip that can hang).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = _str("CELERY_QUEUE", "coo")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker survives a Redis restart (issue 27): it reconnects for ever rather than exiting after
# 100 tries, and a task running when the connection drops is cancelled and delivered again
# (acks_late; the task is idempotent), not acknowledged on a connection that is gone.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_RESULT_EXPIRES = 3600
# The outbox (core/durable/outbox.py): how often celery beat publishes what waited for the broker,
# how long a claim to publish one message lasts, and how long sent rows are kept.
OUTBOX_DRAIN_SECONDS = _int("OUTBOX_DRAIN_SECONDS", 30)
OUTBOX_CLAIM_SECONDS = _int("OUTBOX_CLAIM_SECONDS", 60)
OUTBOX_KEEP_DAYS = _int("OUTBOX_KEEP_DAYS", 7)
# An APPROVED application with no certificate this long after its last issuance attempt
# began (or its approval) is flagged on the officer dashboard and queued again by the sweep,
# which celery beat runs every ISSUANCE_SWEEP_SECONDS.
ISSUANCE_STUCK_SECONDS = _int("ISSUANCE_STUCK_SECONDS", 120)
# The sweep also marks abandoned an attempt that has not finished this long after it began:
# only true if no worker can still be running it, i.e. past the hard time limit.
if ISSUANCE_STUCK_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "ISSUANCE_STUCK_SECONDS must be longer than CELERY_TASK_TIME_LIMIT: the sweep marks "
        "an unfinished issuance attempt abandoned after ISSUANCE_STUCK_SECONDS."
    )
ISSUANCE_SWEEP_SECONDS = _int("ISSUANCE_SWEEP_SECONDS", 60)
# Certificate issuance retries with exponential backoff this many times before the application
# is flagged as delayed in the officer queue.
CERTIFICATE_ISSUE_MAX_RETRIES = _int("CERTIFICATE_ISSUE_MAX_RETRIES", 5)

# ---------------------------------------------------------------------------------------------
# Authentication, sessions, lockout
# ---------------------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["username", "first_name", "last_name", "email"]},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id (accounts/hashers.py) for every password set from now on. The PBKDF2 hashes made
# before are still read, and replaced by Argon2id when their owner next signs in.
PASSWORD_HASHERS = [
    "accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour, not Django's three days
# Sessions live in the database, never only in Redis: a Redis outage signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 30 * 60  # 30 minutes without activity
SESSION_SAVE_EVERY_REQUEST = True  # each request restarts the idle clock
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "coo_portal.views.csrf_failure"

AXES_FAILURE_LIMIT = _int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.5  # hours: a lock lifts by itself after 30 minutes
# Attempts during a lock are refused and not recorded, so nobody can keep a lock on by trying
# (the lock would be a weapon: IEC codes are printed on invoices).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_from_request"
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
AXES_ENABLE_ADMIN = True
AXES_VERBOSE = True
# Failures from one address across many accounts: at most this many an hour; past it, only
# accounts that have signed in from that address before may still try (accounts/lockout.py).
LOGIN_FAILURES_PER_IP_PER_HOUR = _int("LOGIN_FAILURES_PER_IP_PER_HOUR", 50)
# A registration in progress may be voided by a new request for the same IEC (its owner lost
# the email, say) at most this many times a day; the owner is emailed each time.
REGISTRATION_RESTARTS_PER_DAY = _int("REGISTRATION_RESTARTS_PER_DAY", 3)
# `manage.py create_officer` takes the new officer's password from here (or OFFICER_PASSWORD_FILE)
# instead of asking for it: for scripted set-ups.
OFFICER_PASSWORD = _secret("OFFICER_PASSWORD") or ""

OTP_TOTP_ISSUER = SITE_NAME
# django-otp's back-off refuses the right code typed after a typo: the officer sign-in keeps
# its own (accounts.officer_auth._device_allows).
OTP_TOTP_THROTTLE_FACTOR = 0

CAPTCHA_TEST_MODE = _bool("CAPTCHA_TEST_MODE", default=False)
# Refused here, not only by a system check: gunicorn and Celery never run the checks.
if CAPTCHA_TEST_MODE and not DEBUG and not TESTING:
    raise ImproperlyConfigured(
        "CAPTCHA_TEST_MODE=1 needs DEBUG=1: with DEBUG off every CAPTCHA would accept 'PASSED'."
    )
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_FONT_SIZE = 34
# The spoken alternative to the image ("Listen to the code"): Debian's flite. Without it the
# widget offers no audio link (`.ci/run` installs flite).
CAPTCHA_FLITE_PATH = _str("CAPTCHA_FLITE_PATH") or shutil.which("flite")

# ---------------------------------------------------------------------------------------------
# Email and SMS
# ---------------------------------------------------------------------------------------------

EMAIL_URL = _str("EMAIL_URL", "")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = _str("DEFAULT_FROM_EMAIL", "COO Portal <no-reply@coo-portal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SMS_BACKEND = _str("SMS_BACKEND", "accounts.sms.FileSMSBackend")
SMS_FILE_PATH = VAR_DIR / "sms"
SMS_HTTP_URL = _str("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = _secret("SMS_HTTP_TOKEN", "")

# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Development and tests serve static files straight from the app folders (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

MEDIA_ROOT = VAR_DIR / "media"
# Stored documents and certificates are private: never served from a public URL, only
# through views that check who is asking.
MEDIA_URL = None

AWS_STORAGE_BUCKET_NAME = _str("S3_BUCKET", "")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = _str("S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = _str("S3_REGION") or None
    AWS_ACCESS_KEY_ID = _secret("S3_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = _secret("S3_SECRET_ACCESS_KEY")
    AWS_S3_ADDRESSING_STYLE = _str("S3_ADDRESSING_STYLE") or None
    # Private, write-once, checksummed (core/s3.py); reads checked (core/storage.py).
    _private_storage: dict[str, Any] = {"BACKEND": "core.s3.PrivateS3Storage"}
else:
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    }
STORAGES = {
    "default": _private_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Every uploaded file (supporting documents, certificates to check) is read in a child process
# limited to this much CPU and this much growth of its address space (core/sandbox.py);
# a file that needs more is refused as "could not be checked". An ordinary one needs < 0.1 s;
# a certificate's AdES long-term validation (PAdES B-LTA) up to about 0.3 s, and the wall-clock
# limit (4x this + 2 s) must hold on a busy host too.
UPLOAD_CHECK_CPU_SECONDS = _int("UPLOAD_CHECK_CPU_SECONDS", 2)
UPLOAD_CHECK_MEMORY_MB = _int("UPLOAD_CHECK_MEMORY_MB", 256)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640

# ---------------------------------------------------------------------------------------------
# Payments
# ---------------------------------------------------------------------------------------------

# Chosen explicitly: with DEBUG off nothing is chosen by default, and a system check refuses an
# unset or unknown gateway, and the sandbox (which takes no money) unless a staging site allows
# it by name; such a site shows "payments are simulated" on every page (applications.payments).
PAYMENT_GATEWAY = _str("PAYMENT_GATEWAY", "sandbox" if DEBUG or TESTING else "")
PAYMENT_SANDBOX_ALLOWED_ON_STAGING = _bool("PAYMENT_SANDBOX_ALLOWED_ON_STAGING", default=False)
PAYMENT_SANDBOX_SECRET = _secret("PAYMENT_SANDBOX_SECRET", "")
# Razorpay (PAYMENT_GATEWAY=razorpay, applications/razorpay.py): every issuing agency collects
# into its own merchant account. <AGENCY> is the agency code upper-cased, anything but A-Z and
# 0-9 made "_": RAZORPAY_KEY_ID_<AGENCY>, RAZORPAY_KEY_SECRET_<AGENCY> and
# RAZORPAY_WEBHOOK_SECRET_<AGENCY> (both secrets also from ..._FILE). A system check names
# every agency that lacks them (applications.E002).
RAZORPAY_ACCOUNTS: dict[str, dict[str, str]] = {
    _suffix: {
        "key_id": _value,
        "key_secret": _secret(f"RAZORPAY_KEY_SECRET_{_suffix}", "") or "",
        "webhook_secret": _secret(f"RAZORPAY_WEBHOOK_SECRET_{_suffix}", "") or "",
    }
    for _suffix, _value in sorted(_environment_names("RAZORPAY_KEY_ID_").items())
    if _value
}
RAZORPAY_TIMEOUT_SECONDS = _int("RAZORPAY_TIMEOUT_SECONDS", 10)
# The reconciler (celery beat): every PAYMENT_RECONCILE_SECONDS it asks the gateway about each
# payment still open after PAYMENT_RECONCILE_AFTER_SECONDS, and retries refunds not yet made.
PAYMENT_RECONCILE_SECONDS = _int("PAYMENT_RECONCILE_SECONDS", 120)
PAYMENT_RECONCILE_AFTER_SECONDS = _int("PAYMENT_RECONCILE_AFTER_SECONDS", 300)
# The fee wallet (applications/wallet.py): the smallest and largest top-up, in rupees.
WALLET_TOP_UP_MIN = _int("WALLET_TOP_UP_MIN", 100)
WALLET_TOP_UP_MAX = _int("WALLET_TOP_UP_MAX", 100_000)
# GST tax invoices (applications/tax.py): the rate and the SAC of a fee (an agency supplies its
# fees, with its own GSTIN), and the platform operator, who issues the top-ups' receipts.
GST_RATE_PERCENT = _float("GST_RATE_PERCENT", 18.0)
TAX_INVOICE_FEE_SAC = _str("TAX_INVOICE_FEE_SAC", "999113")
PLATFORM_OPERATOR_NAME = _str("PLATFORM_OPERATOR_NAME", "COO Portal operator")
PLATFORM_GSTIN = _str("PLATFORM_GSTIN", "27AAACC1234D1Z5" if DEBUG or TESTING else "")
PLATFORM_INVOICE_PREFIX = _str("PLATFORM_INVOICE_PREFIX", "COOW")

# ---------------------------------------------------------------------------------------------
# Signing keys (certificates)
# ---------------------------------------------------------------------------------------------

# Development keys (made by `manage.py init_signing_keys`, used only with DEBUG=1 or in tests):
# the agencies' PKCS#12 files in SIGNING_KEYS_DIR (var/keys), the development CA (its private
# key and CRL) in a folder of its own, SIGNING_DEV_CA_DIR (default: var/keys-ca beside it), and
# their password, generated per installation, in var/keys.password (mode 0600).
SIGNING_KEYS_DIR = Path(_str("SIGNING_KEYS_DIR") or VAR_DIR / "keys")
SIGNING_DEV_CA_DIR = _str("SIGNING_DEV_CA_DIR") or None


def _env_suffixes(prefix: str) -> list[str]:
    return sorted(
        suffix
        for suffix, value in _environment_names(prefix).items()
        if value and not (prefix + suffix).startswith("SIGNING_P12_PASSWORD_")
    )


# Production: one PKCS#12 file per agency (a document-signing certificate issued by a CA, its
# key and chain): SIGNING_P12_<AGENCY> names the file, SIGNING_P12_PASSWORD_<AGENCY> (or
# ..._FILE) its password; SIGNING_CRL_<AGENCY> names the current CRL of the CA that issued it
# (kept fresh by that CA; embedded in every signature and published at /pki/<AGENCY>.crl).
# <AGENCY> is the agency code upper-cased, anything but A-Z and 0-9 made "_".
SIGNING_P12: dict[str, dict[str, str]] = {}
for _suffix in _env_suffixes("SIGNING_P12_"):
    _password = _secret(f"SIGNING_P12_PASSWORD_{_suffix}")
    if not _password:
        raise ImproperlyConfigured(
            f"SIGNING_P12_{_suffix} is set but SIGNING_P12_PASSWORD_{_suffix} "
            f"(or SIGNING_P12_PASSWORD_{_suffix}_FILE) is not."
        )
    SIGNING_P12[_suffix] = {"path": _required(f"SIGNING_P12_{_suffix}"), "password": _password}
SIGNING_CRL = {s: _required(f"SIGNING_CRL_{s}") for s in _env_suffixes("SIGNING_CRL_")}
# CA certificates (PEM files) whose signatures the portal accepts, and CRL files (DER or PEM)
# of further CAs in the chains (intermediates, the time-stamping authority's CA).
SIGNING_TRUST_ROOTS = env.list("SIGNING_TRUST_ROOTS", default=[])
SIGNING_EXTRA_CRLS = env.list("SIGNING_EXTRA_CRLS", default=[])

# RFC 3161 time-stamping authority for every signature. Unset: with DEBUG=1 (or in tests) a
# development TSA runs in-process; with DEBUG=0 a system check requires it, unless
# TSA_DISABLED=1 (staging only: signatures then carry no timestamp).
TSA_URL = _str("TSA_URL", "")
TSA_USERNAME = _str("TSA_USERNAME", "")
TSA_PASSWORD = _secret("TSA_PASSWORD", "")
TSA_TIMEOUT = _int("TSA_TIMEOUT", 10)
TSA_DISABLED = _bool("TSA_DISABLED", default=False)

# --- Archive timestamps (certificates/archive.py) ---------------------------------------------
# Every ARCHIVE_TIMESTAMP_SECONDS celery beat re-timestamps (fresh DSS, new document timestamp)
# up to ARCHIVE_TIMESTAMP_BATCH certificates whose newest timestamp's TSA certificate expires
# within ARCHIVE_TIMESTAMP_HORIZON_DAYS, so that each keeps verifying offline.
ARCHIVE_TIMESTAMP_SECONDS = _int("ARCHIVE_TIMESTAMP_SECONDS", 3600)
ARCHIVE_TIMESTAMP_BATCH = _int("ARCHIVE_TIMESTAMP_BATCH", 200)
ARCHIVE_TIMESTAMP_HORIZON_DAYS = _int("ARCHIVE_TIMESTAMP_HORIZON_DAYS", 180)

# Verifiable Credentials (certificates/credential_keys.py): one ECDSA P-256 key per agency, apart
# from its PDF signing key. Production: SIGNING_VC_KEY_<AGENCY> names a PEM (PKCS#8) file and
# SIGNING_VC_KEY_PASSWORD_<AGENCY> (or ..._FILE) its password, if it has one. Development keys
# (made in SIGNING_KEYS_DIR by init_signing_keys, or on first use) only with DEBUG or TESTING:
# with DEBUG=0 a credential is signed with a configured key or not at all (system check
# certificates.E010).
_VC_KEY_PREFIX = "SIGNING_VC_KEY_"
SIGNING_VC_KEYS = {
    code: Path(value)
    for code, value in _environment_names(_VC_KEY_PREFIX).items()
    if not code.startswith("PASSWORD_") and value
}
SIGNING_VC_KEY_PASSWORDS = {
    code: _secret(f"{_VC_KEY_PREFIX}PASSWORD_{code}") or "" for code in SIGNING_VC_KEYS
}
SIGNING_VC_DEV_KEYS = DEBUG or TESTING
# Retired credential keys stay published (JWKS, did:web) so that what they signed still verifies:
# SIGNING_VC_RETIRED_<AGENCY>, comma-separated PEM files of the old keys (public or private).
_VC_RETIRED_PREFIX = "SIGNING_VC_RETIRED_"
SIGNING_VC_RETIRED_KEYS = {
    code: [Path(p.strip()) for p in value.split(",") if p.strip()]
    for code, value in _environment_names(_VC_RETIRED_PREFIX).items()
    if value.strip()
}

# ---------------------------------------------------------------------------------------------
# Internationalisation
# ---------------------------------------------------------------------------------------------

LANGUAGE_CODE = "en-in"
# The interface speaks English and Hindi (issue 33): exporters, agents and the public
# verification pages; officers' review pages stay English. Certificates, credentials and tax
# documents are English whatever the reader chose (the agreements' language).
LANGUAGES = [("en-in", "English"), ("hi", "हिन्दी")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The visitor's choice, before and after signing in; a signed-in person's is User.language.
LANGUAGE_COOKIE_NAME = "coo_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------------------------
# Security (production values switch on when DEBUG is off)
# ---------------------------------------------------------------------------------------------

# The reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated;
# core/clientip.py). Empty: REMOTE_ADDR is the client, whatever a request claims.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must list addresses or networks, not {_proxy!r}"
        ) from exc

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Nothing is framed, except stored documents on the officer's review page, whose view says so
# itself (xframe_options_sameorigin).
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'self'"],
    }
}

RATELIMIT_VIEW = "verification.views.rate_limited"
# django-ratelimit's key="ip" asks the same function as everything else.
RATELIMIT_IP_META_KEY = "core.clientip.client_ip"
SILENCED_SYSTEM_CHECKS = [
    # Axes locks by IEC alone: an office behind one NAT address must not be locked out by one
    # user's typos. Failures per address across many IECs are limited separately
    # (LOGIN_FAILURES_PER_IP_PER_HOUR).
    "axes.W006",
]
if not REDIS_URL:
    # django-ratelimit wants a shared cache; the embedded default has one process, so the
    # local-memory cache is honest there.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

VERIFY_RATE = _str("VERIFY_RATE", "30/m")
# With Redis, answers to lookups are kept ready there for this long (verification/store.py; a
# status change shows at once, a renamed agency or office after at most this long), and the
# lookup log is queued there and written to the database in batches this many seconds later.
# VERIFY_CACHE_SECONDS=0 sends every lookup to the database (the rate limit and the log queue
# stay in Redis).
VERIFY_CACHE_SECONDS = _int("VERIFY_CACHE_SECONDS", 3600)
VERIFY_LOG_FLUSH_SECONDS = _int("VERIFY_LOG_FLUSH_SECONDS", 5)
# Without Redis (or while it is down) lookup log rows are kept in the process and written after
# the response, in one INSERT once VERIFY_LOG_BUFFER_ROWS are kept or the oldest is
# VERIFY_LOG_BUFFER_SECONDS old (verification/logbuffer.py); 0 rows: each written at once.
VERIFY_LOG_BUFFER_ROWS = _int("VERIFY_LOG_BUFFER_ROWS", 100)
VERIFY_LOG_BUFFER_SECONDS = _int("VERIFY_LOG_BUFFER_SECONDS", 2)
# One flush task writes for at most this long (a third of the soft time limit: 20 s), then
# queues the next (a steady load may never empty the queue, and a task past
# CELERY_TASK_SOFT_TIME_LIMIT is interrupted); celery beat also sends one every
# VERIFY_LOG_SWEEP_SECONDS, for rows a dead flusher left.
VERIFY_LOG_FLUSH_BUDGET = _int("VERIFY_LOG_FLUSH_BUDGET", max(1, CELERY_TASK_SOFT_TIME_LIMIT // 3))
VERIFY_LOG_SWEEP_SECONDS = _int("VERIFY_LOG_SWEEP_SECONDS", 60)
if VERIFY_LOG_FLUSH_BUDGET >= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "VERIFY_LOG_FLUSH_BUDGET must be shorter than CELERY_TASK_SOFT_TIME_LIMIT."
    )
# The lookup's query as a PostgreSQL prepared statement, one per connection (verification/
# selectors.py); off behind a pooler that shares sessions (PgBouncer in transaction mode).
VERIFY_PREPARE = _bool("VERIFY_PREPARE", default=True)
VERIFICATION_LOG_SALT = _secret("VERIFICATION_LOG_SALT") or SECRET_KEY

# ---------------------------------------------------------------------------------------------
# Operations: readiness, heartbeats, metrics, logs, error reporting (issue 27; docs/operations.md)
# ---------------------------------------------------------------------------------------------

# Workers and beat write a heartbeat to Redis this often (coo_portal/heartbeat.py); /readyz calls
# them missing when none is younger than HEARTBEAT_STALE_SECONDS. READINESS_CHECKS_WORKERS=0
# leaves the workers out of a node's readiness (a web node started before any worker).
HEARTBEAT_SECONDS = _int("HEARTBEAT_SECONDS", 30)
HEARTBEAT_STALE_SECONDS = _int("HEARTBEAT_STALE_SECONDS", 180)
READINESS_CHECKS_WORKERS = _bool("READINESS_CHECKS_WORKERS", default=not TESTING)
# /readyz asks the TSA for a real timestamp at most this often per process.
TSA_PROBE_SECONDS = _int("TSA_PROBE_SECONDS", 60)
# /metrics answers a client in one of these networks, or one sending
# "Authorization: Bearer <METRICS_TOKEN>"; nobody else (404). Under gunicorn the processes
# share their numbers through files in PROMETHEUS_MULTIPROC_DIR (created empty before start).
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS must list addresses or networks, not {_network!r}"
        ) from exc
METRICS_TOKEN = _secret("METRICS_TOKEN", "")
PROMETHEUS_MULTIPROC_DIR = _str("PROMETHEUS_MULTIPROC_DIR", "")
# Log lines as JSON (one object a line, with the request id and an offset on the time) or as
# plain text; default JSON with DEBUG off.
LOG_FORMAT = _str("LOG_FORMAT", "plain" if DEBUG or TESTING else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
# Error reporting to Sentry (or a compatible service) when set; codes, OTPs, passwords and keys
# are scrubbed from every event before it leaves (coo_portal/errors.py).
SENTRY_DSN = _secret("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = _str("SENTRY_ENVIRONMENT", "production")
# `manage.py create_platform_admin` takes the first administrator's password from here (or
# PLATFORM_ADMIN_PASSWORD_FILE), or asks for it.
PLATFORM_ADMIN_PASSWORD = _secret("PLATFORM_ADMIN_PASSWORD") or ""
# bin/backup encrypts with this Fernet key (BACKUP_KEY_FILE names a file holding it); with
# DEBUG=0 a backup without it is refused (coo_portal/backup.py).
BACKUP_KEY = _secret("BACKUP_KEY") or ""
if SENTRY_DSN:
    errors.init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

# ---------------------------------------------------------------------------------------------
# Verifiers as partners (issue 32): transparency log, utilisation, requests, subscriptions
# ---------------------------------------------------------------------------------------------

# How often celery beat signs a tree head for each agency's transparency log that grew
# (verification/transparency.py); an inclusion proof shows up in the API within this time.
TRANSPARENCY_HEAD_SECONDS = _int("TRANSPARENCY_HEAD_SECONDS", 300)
if TRANSPARENCY_HEAD_SECONDS < 1:
    raise ImproperlyConfigured("TRANSPARENCY_HEAD_SECONDS must be at least 1.")
# Status subscriptions (verification/subscriptions.py): new subscriptions per client address
# (the `status-subscription` policy in core/ratelimits.py), and whether a webhook may be
# plain http (never in production: a signed body over http can still be read on the way).
SUBSCRIBE_RATE = _str("SUBSCRIBE_RATE", "10/h")
SUBSCRIPTION_WEBHOOK_HTTP = _bool("SUBSCRIPTION_WEBHOOK_HTTP", default=DEBUG)
if SUBSCRIPTION_WEBHOOK_HTTP and not (DEBUG or TESTING):
    raise ImproperlyConfigured("SUBSCRIPTION_WEBHOOK_HTTP=1 is for development only (DEBUG=1).")

# ---------------------------------------------------------------------------------------------
# The filing API and its webhooks (api/, issue 30)
# ---------------------------------------------------------------------------------------------

# Calls per token (core/ratelimits.py policies api-read and api-write).
API_RATE_READ = _str("API_RATE_READ", "600/m")
API_RATE_WRITE = _str("API_RATE_WRITE", "120/m")
# Webhooks go to https addresses on public networks only; the tests' local receiver needs
# WEBHOOK_ALLOW_PRIVATE_URLS=1 (never in production: a check refuses it with DEBUG off).
WEBHOOK_ALLOW_PRIVATE_URLS = _bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
WEBHOOK_TIMEOUT_SECONDS = _int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_MAX_ATTEMPTS = _int("WEBHOOK_MAX_ATTEMPTS", 8)

# ---------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------

LOG_LEVEL = _str("LOG_LEVEL", "INFO")
LOGGING = logging_config(level=LOG_LEVEL, log_format=LOG_FORMAT)

# ---------------------------------------------------------------------------------------------
# Tests: every speed-up in one place
# ---------------------------------------------------------------------------------------------

if TESTING:
    # The tests that check the production hashers put this list back for themselves.
    PRODUCTION_PASSWORD_HASHERS = PASSWORD_HASHERS
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    CAPTCHA_TEST_MODE = True
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SMS_BACKEND = "accounts.sms.MemorySMSBackend"
    LOGGING = logging_config(level="WARNING", log_format=LOG_FORMAT)
    # Tasks run in-process even where REDIS_URL is set; the one test that drives a real
    # worker switches this off for itself.
    CELERY_TASK_ALWAYS_EAGER = True

# ---------------------------------------------------------------------------------------------
# Country names
# ---------------------------------------------------------------------------------------------
# django-countries 9.1 names a few countries in their own language ("Naoero" for Nauru) or in
# ISO's inverted style; those few take their English name from pycountry (ISO 3166-1).
COUNTRIES_OVERRIDE = {code: pycountry.countries.lookup(code).name for code in ("NR", "BS")}
