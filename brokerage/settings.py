"""Settings for the brokerage service, read from the environment.

Every variable has an embedded default so that `make run` works on a laptop
with only Python: SQLite under var/ and kombu's filesystem transport as the
Celery broker. Production (docker-compose.yml, .env.example) sets DATABASE_URL,
CELERY_BROKER_URL, CACHE_URL, SECRET_KEY, DEBUG=false and ALLOWED_HOSTS. A
malformed value stops the start with a message naming the variable, and
production refuses to start without a secret key of its own.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()
env.smart_cast = False


def env_bool(name, default):
    """A true/false variable; anything else stops the start (django-environ reads it as false)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_url(name, default, *, schemes, parse=None):
    """A URL whose scheme is one we can use; `parse` turns it into a settings dict."""
    raw = os.environ.get(name, default)
    scheme = urlsplit(raw).scheme
    if "://" not in raw or scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with one of {', '.join(sorted(schemes))}://, "
            f"not {raw!r}."
        )
    return parse(raw) if parse else raw


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("BROKERAGE_VAR_DIR", default=str(BASE_DIR / "var")))

DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-never-use-in-production"

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a secret value when DEBUG is false (production)."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A form refused for its CSRF token says what to do, in the service's layout.
CSRF_FAILURE_VIEW = "brokerage.error_pages.csrf_failure"

SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes={"http", "https"})
SERVICE_NAME = "Home care brokerage"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "brokerage",
    "core",
    "accounts",
    "notifications",
    "zones",
    "providers",
    "packages",
    "brokering",
    "invoicing",
    "dashboard",
    "replay",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "brokerage.urls"
WSGI_APPLICATION = "brokerage.wsgi.application"

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
                "brokerage.context_processors.service",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env_url(
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'brokerage.sqlite3'}",
        schemes={"postgres", "postgresql", "sqlite"},
        parse=environ.Env.db_url_config,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let the web process and the worker write
    # to the same file without "database is locked" on lock upgrades.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # An unreachable server fails a request (and /health/) in seconds instead of hanging.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (include=) serve the dashboard on PostgreSQL; SQLite, used
# only by `make run` on a laptop, builds them as plain indexes.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Accounts and login protection ---------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Everywhere a password is set: create_account, the Django admin, changepassword.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.ContainsUsernameValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# How many proxies of ours stand in front of the app (the README's TLS proxy: 1). Lockout,
# throttling and the access log then take the client's address from X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
# Staff (admin, commissioner, finance, broker) give a code from an authenticator app after
# their password: always in production; `make run`'s demo asks only with STAFF_TWO_FACTOR=true.
STAFF_TWO_FACTOR = True if not DEBUG else env_bool("STAFF_TWO_FACTOR", default=False)
OTP_TOTP_ISSUER = "Home care brokerage"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin lists authenticators without their keys
# API tokens (django-rest-knox): only a digest is stored; each lasts this long, then the
# client signs in again (POST /api/v1/auth/token/).
KNOX_TOKEN_MODEL = "accounts.ApiToken"
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", default=12)
if API_TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_HOURS must be 1 or more.")
REST_KNOX = {"TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS), "AUTH_HEADER_PREFIX": "Token"}
# knox's own migrations create its default token table even when KNOX_TOKEN_MODEL swaps it
# out; that table, pointing at users, would block every flush. Its one model is swapped,
# so knox needs no tables of its own.
MIGRATION_MODULES = {"knox": None}

# --- Internationalisation: the UK's calendar ------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
# How every page and message writes a date (core.formats, the govuk_date filter).
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"

# --- Static files: GOV.UK Frontend, built and committed, served by the app -
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STATICFILES_DIRS = [BASE_DIR / "brokerage" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "20/minute"},
    # ISO 8601 always: strftime writes the year 146 as "146", not "0146".
    "DATE_FORMAT": "iso-8601",
    "TIME_FORMAT": "%H:%M",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Home care brokerage API",
    "DESCRIPTION": "Zones, providers, care packages, offers, visits, invoices and dashboards.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Deep links put a link inside each operation's toggle button (axe: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind`; each choice set gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "NotificationKindEnum": "notifications.models.NotificationKind",
        "InvoiceLineKindEnum": "invoicing.models.LineKind",
        "PackageEventKindEnum": "packages.models.EventKind",
        "InvoicingJobKindEnum": "invoicing.models.JobKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.times_as_hour_minute",
    ],
}

# --- Celery ----------------------------------------------------------------
# Redis in production and tests; the filesystem transport for `make run`; memory for unit tests.
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL", "filesystem://", schemes={"redis", "rediss", "filesystem", "memory"}
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # In and out are the same folder so that web and worker, sharing this one
    # configuration, read what the other wrote.
    _queue = VAR_DIR / "celery" / "queue"
    _control = VAR_DIR / "celery" / "control"
    for _folder in (_queue, _control):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "control_folder": str(_control),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest any task may run; a task of its own longer limit must raise this. The
# what-if replay is the longest: a quarter of the demo's referrals, replayed once, takes
# about four minutes on two busy cores, and three runs (the page's default) about ten.
CELERY_TASK_TIME_LIMIT = 900
# Every other task is told at four minutes (each takes seconds).
CELERY_TASK_SOFT_TIME_LIMIT = 240
if not CELERY_BROKER_URL.startswith("filesystem://"):
    # Redis hands an unacknowledged task to another worker after this long (acks are late,
    # so a task that dies with its worker is run again): just past the longest task, so a
    # lost task waits minutes, not Redis's default hour, and a running one is never doubled.
    # docker-compose.yml gives the worker as long to finish its tasks when it is stopped.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Periodic jobs look at state, so a missed run is caught by the next one.
    "sweep-brokering": {
        "task": "brokering.tasks.sweep_brokering",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Changes from a date, hand-backs with notice and reviews falling due, as the days pass.
    "follow-the-calendar": {
        "task": "packages.tasks.follow_the_calendar",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Emails whose task was lost with a worker or never queued while the broker was down.
    "send-unsent-emails": {
        "task": "notifications.tasks.send_unsent_notification_emails",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Spend's commissioned care: each day that passes is rolled up (packages.commissioned).
    "close-commissioned-days": {
        "task": "packages.tasks.close_commissioned_days",
        "schedule": crontab(minute=10),
        "options": {"expires": 3000},
    },
    # What-if simulations whose job was lost on its way or died with its worker.
    "requeue-simulations": {
        "task": "replay.tasks.requeue_simulations",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "check-invoice-deadlines": {
        "task": "invoicing.tasks.check_invoice_deadlines",
        "schedule": crontab(minute=5),
        "options": {"expires": 3000},
    },
    # The change log's notes that no kept page can need any more (core.fresh).
    "forget-old-changes": {
        "task": "core.tasks.forget_old_changes",
        "schedule": crontab(minute=15),
        "options": {"expires": 3000},
    },
    # A large import or invoice build whose task was lost is queued again.
    "requeue-stalled-invoicing-jobs": {
        "task": "invoicing.tasks.requeue_stalled_jobs",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}

# --- Cache: in production shared by every web process, so login throttling counts across them
# and a page one process rendered is reused by the others (core.fresh).
CACHES = {
    "default": env_url(
        "CACHE_URL",
        "locmemcache://",
        schemes=set(environ.Env.CACHE_SCHEMES),
        parse=environ.Env.cache_url_config,
    )
}

# --- Email -----------------------------------------------------------------
EMAIL_CONFIG = env_url(
    "EMAIL_URL",
    "consolemail://",
    schemes=set(environ.Env.EMAIL_SCHEMES),
    parse=environ.Env.email_url_config,
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="brokerage@localhost")


# --- Security ----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    }
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's defaults keep their loggers at INFO whatever the root's level, and the
        # records reach the root's console: LOG_LEVEL=WARNING still wrote the answers
        # django.request notes at INFO (a race's refused accepts, brokering.api).
        "django.request": {"level": LOG_LEVEL},
        "django.db.backends": {"level": "WARNING"},
    },
}
AXES_VERBOSE = False
