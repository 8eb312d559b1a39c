"""Settings of the portal: one module, every deploy-specific value from the environment.

Defaults make ``make run`` work on an empty machine: SQLite under ``var/``, Celery tasks
run in-process, e-mail to the console, media under ``var/media``. With ``DEBUG`` off no
secret has a default.
"""

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kamusm_portal.logs import error_tracker_breadcrumb, error_tracker_event, log_format_of, logging_config
from kamusm_portal.metrics import allowed_networks

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "reports.apps.PortalAdminConfig",  # Django's admin, with the program's dashboard as its start page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "simple_history",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_prometheus",
    "entitlements",
    "sessions.apps.TrainingSessionsConfig",
    "certificates",
    "reports",
    "kamusm_portal",  # the composition root: its management commands (seed_demo, run_scheduled)
]

MIDDLEWARE = [
    # Prometheus's pair wraps everything (requests and latencies, /metrics); the request id comes
    # next, so every later middleware's answer and log line carries it.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "kamusm_portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kamusm_portal.middleware.TurkishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kamusm_portal.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "kamusm_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "entitlements.context_processors.official_navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "kamusm_portal.wsgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        # A fresh clone has no var/ (it is git-ignored): SQLite cannot create a file in a missing folder.
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Writers queue for the lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The portal's reads are short: PostgreSQL's parallel workers cost more to start than they save
    # on them. Measured on seed_scale data: a page of the reach list 58 ms with them, 35 ms without;
    # the whole program's report 1.0 s either way. DATABASE_PARALLEL_WORKERS (a number) allows them.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c max_parallel_workers_per_gather={env.int('DATABASE_PARALLEL_WORKERS', default=0)}"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Rate limits (certificate verification) count in the cache: with several processes, point it at
# Redis (CACHE_URL=redis://127.0.0.1:6379/1) so they share one count. In-process memory by default.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Failed logins lock one (client address, username) pair for an hour: never a whole address (a NAT)
# nor a username everywhere. The pair is refused even with the right password, with a page or a 429
# saying how long to wait (kamusm_portal/sign_in.py); attempts while locked do not extend it.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "kamusm_portal.sign_in.client_address"
AXES_LOCKOUT_CALLABLE = "kamusm_portal.sign_in.lockout_response"

# Staff accounts (is_staff or superuser) sign in with a second factor, a TOTP code or a backup code
# (kamusm_portal/second_factor.py): on in production, off with DEBUG so `make run`'s demo is one step.
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = "Kamu SM"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's key or backup codes

# --- Internationalisation: Turkish first, English available ---------------------------------
LANGUAGE_CODE = "tr"
LANGUAGES = [("tr", _("Turkish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["kamusm_portal.formats"]
TIME_ZONE = "Europe/Istanbul"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # MEDIA_ROOT
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded files and certificate PDFs go to an S3-compatible store instead when a bucket is named
# (MinIO, Ceph or AWS S3): private objects, read through the portal's access-checked views.
if env.str("STORAGE_S3_BUCKET", default=""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("STORAGE_S3_BUCKET"),
            "endpoint_url": env.str("STORAGE_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("STORAGE_S3_REGION", default=None),
            "access_key": env.str("STORAGE_S3_ACCESS_KEY", default=None),
            "secret_key": env.str("STORAGE_S3_SECRET_KEY", default=None),
            "location": env.str("STORAGE_S3_PREFIX", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# --- E-mail ---------------------------------------------------------------------------------
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Seconds an SMTP connection may wait on the mail server: one that accepts and never answers must not
# hold a request (without a broker, e-mails are sent in the request's process) or a worker for ever.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="egitim@kamusm.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "entitlements.tasks.*": {"queue": "email"},
    "sessions.tasks.send_*": {"queue": "email"},
    "sessions.tasks.expire_waitlists": {"queue": "default"},
    "certificates.tasks.render_certificate": {"queue": "pdf"},
    "certificates.tasks.render_certificates": {"queue": "pdf"},
    "certificates.tasks.send_*": {"queue": "email"},
    "certificates.tasks.sweep_certificates": {"queue": "default"},
    "kamusm_portal.tasks.retry_outbox": {"queue": "default"},
    "kamusm_portal.tasks.send_*": {"queue": "email"},
}
# A message taken by a worker that dies (acks_late) comes back after this long; above the longest
# retry countdown (300 s), so a retried task is never delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)}
# A pool process that takes the pdf queue warms its renderer up as it starts (about a second, more
# on a busy machine): room for that before Celery gives up on the process (4 s by default).
CELERY_WORKER_PROC_ALIVE_TIMEOUT = env.float("CELERY_WORKER_PROC_ALIVE_TIMEOUT", default=30.0)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "expire-waitlists": {"task": "sessions.tasks.expire_waitlists", "schedule": 60.0},
    "sweep-certificates": {"task": "certificates.tasks.sweep_certificates", "schedule": 60.0},
    "retry-outbox": {"task": "kamusm_portal.tasks.retry_outbox", "schedule": 60.0},
}
# A task queued after commit (an e-mail, a check) that fails, or cannot be queued, never fails its
# write: it is kept in the outbox (kamusm_portal.tasks) and tried again by the job above, waiting
# longer each time, at most this many attempts in all; then it is given up and shown to staff.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)

# --- Certificates ---------------------------------------------------------------------------
# The PDFs are signed (PAdES) with this key and certificate: paths to PEM or DER files, or the key
# alone as a PKCS#12 file (.p12/.pfx). With DEBUG on and no key, a self-signed demo pair is made
# under var/signing/ on first use; with DEBUG off and no key, the system check certificates.E001
# stops start-up. The demo mode is decided here, once: the test runner turns DEBUG off while the
# tests run, and a suite started with DEBUG=true keeps signing with the demo pair.
CERTIFICATE_SIGNING_KEY = env.str("CERTIFICATE_SIGNING_KEY", default="")
CERTIFICATE_SIGNING_CERT = env.str("CERTIFICATE_SIGNING_CERT", default="")
CERTIFICATE_SIGNING_KEY_PASSWORD = env.str("CERTIFICATE_SIGNING_KEY_PASSWORD", default="")
CERTIFICATE_SIGNING_DEMO = DEBUG
CERTIFICATE_SIGNING_DEMO_DIR = VAR_DIR / "signing"
# The sweep (celery beat, every minute) queues again certificates left pending or failed this long.
CERTIFICATE_SWEEP_AFTER_SECONDS = env.int("CERTIFICATE_SWEEP_AFTER_SECONDS", default=300)
CERTIFICATE_SWEEP_BATCH = env.int("CERTIFICATE_SWEEP_BATCH", default=500)
# Certificates rendered by one task, laid out as one document (a session's are queued in batches
# of this many): larger batches spread WeasyPrint's cost per document over more certificates,
# smaller ones share a session's work among more workers.
CERTIFICATE_RENDER_BATCH = env.int("CERTIFICATE_RENDER_BATCH", default=10)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kamusm_portal.second_factor.EnrolledTokenAuthentication",
        "kamusm_portal.second_factor.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "kamusm_portal.api.PortalSchema",
    "EXCEPTION_HANDLER": "kamusm_portal.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"verify": env.str("VERIFY_THROTTLE_RATE", default="60/min")},
    # Proxies in front of the portal (1 behind a TLS proxy): the client address for rate limits.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None),
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kamu SM training-promotion portal API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The API's ids in paths (kamusm_portal.bounds.IdConverter): a whole number from 1 to ID_MAX.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    # drf-spectacular trims "Request" from component names: name the request status enum in full.
    "ENUM_NAME_OVERRIDES": {
        "TrainingRequestStatusEnum": "sessions.models.RequestStatus",
        "CertificateStatusEnum": "certificates.models.CertificateStatus",
        "InstitutionKindEnum": "entitlements.models.InstitutionKind",
    },
}

# --- History -------------------------------------------------------------------------------
# Every write goes through a service; the admin's "revert to this version" would go around them.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Forms ----------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Imports --------------------------------------------------------------------------------
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Security: what needs HTTPS switches on with DEBUG off ----------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health check and the metrics are read over plain HTTP inside the deployment's network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^metrics$"]

# --- Observability --------------------------------------------------------------------------
# Logs: JSON lines (time, level, logger, message, request_id, ...) or, for a terminal, text; by
# default text with DEBUG on and JSON lines in production. Every process of the portal (web,
# Celery, gunicorn through gunicorn.conf.py) logs to standard error the same way.
LOG_FORMAT = log_format_of(env.str("LOG_FORMAT", default=""), debug=DEBUG)
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
LOGGING_CONFIG = "kamusm_portal.logs.configure"

# Prometheus's /metrics answers these addresses or networks (REMOTE_ADDR; never a request a proxy
# forwarded); anyone else gets a 404.
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"])
allowed_networks(METRICS_ALLOWED_ADDRESSES)  # a typo stops start-up, not the scrape

# The error tracker: Sentry (or a server speaking its protocol), only when SENTRY_DSN is set.
# Personal data stays out of its events: no user, cookie or address (send_default_pii off), no
# request body and no local variables of the stack's frames (they hold names and kimlik numbers);
# URLs and log lines name the route, not the path, whose parts may be secret tokens.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=error_tracker_event,
        before_breadcrumb=error_tracker_breadcrumb,
        environment=env.str("SENTRY_ENVIRONMENT", default="") or None,
        release=env.str("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# Absolute address of the portal, for the links it sends (e-mails, certificates and their QR codes,
# the admin's verify links). `make run` sets it to where it serves (http://$HOST:$PORT) unless it
# is set already; production sets it to the public address.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
