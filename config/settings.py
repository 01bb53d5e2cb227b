"""Shanzhi settings, all from environment variables.

Two ways to run:
- embedded (the default, `make run`): SQLite file, no Redis, Celery tasks run in-process;
- full stack (`SHANZHI_ENV=production`, `make up`): DATABASE_URL, REDIS_URL and SECRET_KEY are required and
  have no defaults, so a missing one fails loudly at start-up.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from config import queues

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SHANZHI_ENV = env.str("SHANZHI_ENV", default="dev")
PRODUCTION = SHANZHI_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    DEBUG = False
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    # Development and tests only; production requires SECRET_KEY from the environment.
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-not-for-production")
    DEBUG = env.bool("DEBUG", default=True)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "villages.admin_config.ScopedAdminConfig",  # django.contrib.admin with the scoped site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "csp",
    "villages",
    "reviews",
    "grids",
    "petitions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),
    # A cookie holding NUL is dropped before the session middleware reads it (villages/middleware.py).
    "villages.middleware.DropNulCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "villages.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the session checked against the user's authentication version (villages/sessions.py).
    "villages.sessions.VerifiedAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The dashboards, statistics and exports read a streaming replica when one is set (villages/replica.py).
    "villages.replica.ReplicaReadMiddleware",
    # NUL in the address or a query parameter: 400 everywhere, before any view reads it (villages/middleware.py).
    "villages.middleware.RefuseNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A retried API write (Idempotency-Key) or a form posted twice makes one record (villages/idempotency.py).
    "villages.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "villages.context_processors.scopes",
                "villages.context_processors.figures_source",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if PRODUCTION and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    raise environ.ImproperlyConfigured("Production needs DATABASE_URL pointing at PostgreSQL.")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Covering indexes (INCLUDE) serve PostgreSQL's list pages; the embedded demo database just ignores them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    # The embedded runner tallies in a thread beside the requests (villages.recompute): a writer waits for the
    # other's transaction (up to 20 s) instead of failing at once, and takes the write lock when it begins, so two
    # transactions that read and then write never deadlock on upgrading their locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

# A PostgreSQL streaming replica for the dashboards, the statistics API, the exports and the tallies' reads
# (villages/replica.py); unset: everything reads the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].update(
        CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"],
        CONN_HEALTH_CHECKS=True,
        TEST={"MIRROR": "default"},  # the test database is made on the primary only
    )
    DATABASE_ROUTERS = ["villages.replica.ReplicaRouter"]
# A replica further behind than this is not read (its reads go to the primary until it catches up).
SHANZHI_REPLICA_MAX_LAG_SECONDS = env.float("SHANZHI_REPLICA_MAX_LAG_SECONDS", default=5.0)
SHANZHI_REPLICA_MAX_LAG_BYTES = env.int("SHANZHI_REPLICA_MAX_LAG_BYTES", default=16 * 1024 * 1024)
SHANZHI_REPLICA_CHECK_SECONDS = env.float("SHANZHI_REPLICA_CHECK_SECONDS", default=1.0)
# A user who wrote reads the primary for this long (a cookie stamped by every write request).
SHANZHI_READ_YOUR_WRITES_SECONDS = env.int("SHANZHI_READ_YOUR_WRITES_SECONDS", default=10)
# A tally waits this long for the replica to replay what the primary had when it began, else reads the primary.
SHANZHI_REPLICA_TALLY_WAIT = env.float("SHANZHI_REPLICA_TALLY_WAIT", default=2.0)

REDIS_URL = env.str("REDIS_URL", default="" if not PRODUCTION else environ.Env.NOTSET)

if REDIS_URL:
    CACHE_URL = REDIS_URL
    if _test_worker := os.environ.get("PYTEST_XDIST_WORKER", "").removeprefix("gw"):
        # The test suite's parallel workers share one Redis and each empties its cache between tests (FLUSHDB):
        # each worker keeps its cache in a database of its own (10, 11, …), so one never clears another's.
        CACHE_URL = urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{10 + int(_test_worker)}"))
    CACHES = {
        "default": {
            "BACKEND": "villages.cache.TolerantRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    # Embedded: no Redis, but still one cache for every process (the server, its in-process recompute thread and
    # any `manage.py tally`), so no process keeps a figure or a tally version that another has replaced.
    CACHES = {
        "default": {
            "BACKEND": "villages.cache.SharedFileCache",
            "LOCATION": env.str("SHANZHI_CACHE_DIR", default=str(BASE_DIR / ".cache" / "shanzhi")),
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sessions are written through to the cache and read from it, the database answering only on a miss (a cache
# flushed or away): every signed-in request saves a query. A copy in the cache is trusted while its user's
# authentication version (read with the user, by a join) has not moved: an ended session, a removed scope, … move
# it, and the copy is then checked against the database once (villages/sessions.py).
SESSION_ENGINE = "villages.sessions"
AUTHENTICATION_BACKENDS = ["villages.sessions.ModelBackend"]
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
CSRF_FAILURE_VIEW = "villages.errors.csrf_failure"  # a page in the user's language

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
FORMAT_MODULE_PATH = ["config.formats"]  # numbers grouped by three with commas in Chinese too
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries come from npm at the versions pinned in package-lock.json and are served by us.
_NODE = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", _NODE / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", _NODE / "bootstrap-icons" / "font"),
    ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ("vendor/echarts", _NODE / "echarts" / "dist"),
    ("vendor/leaflet", _NODE / "leaflet" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"

FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A request's body apart from its files. The largest form is a scorecard: 71 notes of at most 2,000 characters
# and two texts of 10,000, each Chinese character 9 bytes once URL-encoded: about 1.5 MB at the very worst. Beyond
# it Django answers 400 before any view reads the body (a 9 MB text used to reach the database).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024 // 2
# Largest spreadsheet accepted for import (bytes).
SHANZHI_IMPORT_MAX_BYTES = env.int("SHANZHI_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Bounds on an imported sheet, checked on the file's XML before any cell is read (villages.excel.check_sheet): the
# reader lays a sheet out as a dense grid, so one cell at XFD1048576 would ask for 17 billion cells. Rows of data
# (the header row aside): a township's household roll fits; each import at the limit stays within a request.
SHANZHI_IMPORT_MAX_ROWS = env.int("SHANZHI_IMPORT_MAX_ROWS", default=100_000)
# The widest ledger has 12 columns. The reader's grid takes about 32 bytes a cell (rows × columns): at most
# 100,001 × 30 cells ≈ 96 MB, and as many cells present (about 40 bytes each) before it is laid out.
SHANZHI_IMPORT_MAX_COLUMNS = env.int("SHANZHI_IMPORT_MAX_COLUMNS", default=30)
# An import of more rows than this is checked and written in the background (villages.imports.services): a Celery
# task on the full stack, a thread in the embedded set-up; the page shows its progress. Below it, within the request.
SHANZHI_IMPORT_BACKGROUND_ROWS = env.int("SHANZHI_IMPORT_BACKGROUND_ROWS", default=3000)
# Largest evidence file of a rectification measure (bytes); stored under MEDIA_ROOT, served only by a scoped view.
SHANZHI_EVIDENCE_MAX_BYTES = env.int("SHANZHI_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# Democratic evaluation: a cadre fails when the failing option's votes exceed this share of the votes cast, and
# is flagged for the county after this many failed years in a row.
SHANZHI_EVALUATION_FAIL_SHARE = env.str("SHANZHI_EVALUATION_FAIL_SHARE", default="1/3")
SHANZHI_EVALUATION_FLAG_YEARS = env.int("SHANZHI_EVALUATION_FLAG_YEARS", default=2)

# Reverse proxies in front of the application (nginx: 1). The client's address (login lockout, throttles) is then
# the one the outermost of them saw, read from X-Forwarded-For; with 0 that header is ignored (anyone can send it).
SHANZHI_TRUSTED_PROXIES = env.int("SHANZHI_TRUSTED_PROXIES", default=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "villages.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["villages.api.permissions.HasScope"],
    # JSON with nesting and lone surrogates refused as 400s (villages/api/parsers.py); forms and uploads as DRF's.
    "DEFAULT_PARSER_CLASSES": [
        "villages.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "villages.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "villages.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "10/minute"},
    # Throttles key on villages.throttle.client_address; DRF's own parsing of X-Forwarded-For follows the same count.
    "NUM_PROXIES": SHANZHI_TRUSTED_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shanzhi API",
    "DESCRIPTION": "善治: divisions, cadres, look-back reviews, grids, petitions and statistics.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets of different apps share field names (status, kind, channel, level): name each one.
    "ENUM_NAME_OVERRIDES": {
        "DivisionLevelEnum": "villages.choices.Level",
        "GridKindEnum": "grids.choices.GridKind",
        "ServiceRequestStatusEnum": "grids.choices.RequestStatus",
        "ServiceRequestChannelEnum": "grids.choices.Channel",
        "SupervisionLevelEnum": "grids.choices.SupervisionLevel",
        "PetitionChannelEnum": "petitions.choices.Channel",
        "PetitionKindEnum": "petitions.choices.Kind",
        "PetitionStatusEnum": "petitions.choices.Status",
        "PetitionIntakeEnum": "petitions.choices.Intake",
        "PetitionDecisionEnum": "petitions.choices.Decision",
        "PetitionDeliveryEnum": "petitions.choices.Delivery",
        "PetitionSatisfactionEnum": "petitions.choices.Satisfaction",
        "PetitionReviewResultEnum": "petitions.choices.ReviewResult",
        "PetitionStepActionEnum": "petitions.choices.StepAction",
        "DisputeStatusEnum": "petitions.choices.DisputeStatus",
        "DisputeCategoryEnum": "petitions.choices.DisputeCategory",
        "DisputeSourceEnum": "petitions.choices.DisputeSource",
        "DisputeRiskLevelEnum": "petitions.choices.RiskLevel",
        "MediationKindEnum": "petitions.choices.MediationKind",
        "MediationMethodEnum": "petitions.choices.MediationMethod",
    },
}

# Content Security Policy: scripts only from our own files (no inline script anywhere); styles from our files
# plus inline style attributes (progress bars, map legends), which cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Failed logins (browser, admin and API token) allowed per account and address, and per address, before a pause.
SHANZHI_LOGIN_FAILURES = env.int("SHANZHI_LOGIN_FAILURES", default=5)
SHANZHI_LOGIN_FAILURES_PER_ADDRESS = env.int("SHANZHI_LOGIN_FAILURES_PER_ADDRESS", default=50)
SHANZHI_LOGIN_LOCKOUT_MINUTES = env.int("SHANZHI_LOGIN_LOCKOUT_MINUTES", default=15)

# The year the county's five-star campaign began: targets are three stars in two years, five in three.
SHANZHI_STAR_PLAN_START = env.int("SHANZHI_STAR_PLAN_START", default=2024)

# How long the first answer to a keyed write (Idempotency-Key, one-time form token) is kept for its retries.
SHANZHI_IDEMPOTENCY_HOURS = env.int("SHANZHI_IDEMPOTENCY_HOURS", default=24)

# The audit trail is read-only in the admin: no "revert" (villages/admin_history.py refuses the post too).
SIMPLE_HISTORY_REVERT_DISABLED = True

# The platform's own address, for the links in reminders sent by e-mail and to the counties' group robots.
SHANZHI_BASE_URL = env.str("SHANZHI_BASE_URL", default="http://127.0.0.1:8000")
# Mail (reminders): EMAIL_URL in django-environ's form (smtp+tls://user:password@smtp.example.gov.cn:587);
# without it, mail is written to the console (the embedded set-up).
if "EMAIL_URL" in os.environ:
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shanzhi@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# API tokens live this long unless the client asks for less.
SHANZHI_TOKEN_TTL = timedelta(days=env.int("SHANZHI_TOKEN_TTL_DAYS", default=30))

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # embedded mode: tasks run in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
# A change that moves the figures queues its county's tally this many seconds ahead; the changes made meanwhile
# ride on that run (villages.snapshots.recompute_after_change).
SHANZHI_RECOMPUTE_DELAY = env.int("SHANZHI_RECOMPUTE_DELAY", default=60)
# Statistics calls per API token (per user for a session): DRF's "<n>/<second|minute|hour|day>".
SHANZHI_STATS_RATE = env.str("SHANZHI_STATS_RATE", default="600/minute") or None  # empty: no limit
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues by kind of work (config/queues.py: the kinds and every task's kind). CELERY_QUEUE_PREFIX lets several
# deployments share one Redis, each with its own queues; CELERY_QUEUE, when set, sends every kind to that one queue
# (one worker for everything: a small county, or a test's private queue).
CELERY_QUEUE_PREFIX = env.str("CELERY_QUEUE_PREFIX", default="")
SHANZHI_QUEUES = queues.queue_names(prefix=CELERY_QUEUE_PREFIX, one_queue=env.str("CELERY_QUEUE", default=""))
CELERY_TASK_DEFAULT_QUEUE = SHANZHI_QUEUES["default"]
# A worker started without -Q consumes all of these.
CELERY_TASK_QUEUES = [Queue(name) for name in dict.fromkeys(SHANZHI_QUEUES.values())]
CELERY_TASK_ROUTES = queues.task_routes(SHANZHI_QUEUES)
CELERY_TASK_ACKS_LATE = False  # per task: only idempotent tasks opt in
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long tallies: a worker takes one at a time
# A message taken by a worker that dies unacknowledged goes back to the queue after this many seconds.
# Short socket timeouts: when Redis is away a web request gives up publishing at once (the outbox keeps the
# request, see villages.snapshots.request_recompute) instead of hanging.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # How often a worker looks for messages a dead worker took and never acknowledged (one sorted-set read):
    # every CELERY_RESTORE_INTERVAL seconds, not kombu's default of every tenth 10-second tick.
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# The daily reminders run at this hour and minute, Asia/Shanghai (before the working day starts).
SHANZHI_REMINDER_HOUR = env.int("SHANZHI_REMINDER_HOUR", default=7)
SHANZHI_REMINDER_MINUTE = env.int("SHANZHI_REMINDER_MINUTE", default=30)
# A group robot that failed is tried again after this many seconds, doubling, five times.
SHANZHI_WEBHOOK_BACKOFF = env.int("SHANZHI_WEBHOOK_BACKOFF", default=60)
CELERY_BEAT_SCHEDULE = {
    # Recompute requests that could not be published when they were made (Redis was away) go out now.
    "publish-tally-requests": {"task": "villages.publish_tally_requests", "schedule": 60.0},
    # This year, quarter and month and the open review campaigns of every county; one task per county and period.
    "tally-all-counties": {
        "task": "villages.tally_all_counties",
        "schedule": float(env.int("SHANZHI_TALLY_INTERVAL", default=3600)),
    },
    # Form tokens and API idempotency keys past their expiry (SHANZHI_IDEMPOTENCY_HOURS).
    "purge-idempotency-records": {"task": "villages.purge_idempotency_records", "schedule": 3600.0},
    # The snapshot change log keeps the last entry of each key (the feed needs no more).
    "compact-change-log": {"task": "villages.compact_change_log", "schedule": 3600.0},
    # Last month's three-colour record books of every village, published once the month is over (idempotent).
    "publish-record-books": {"task": "reviews.publish_record_books", "schedule": 6 * 3600.0},
    # Reminders: what falls due on the users' to-do lists, told once each morning (Asia/Shanghai).
    "remind-due": {
        "task": "villages.remind_due",
        "schedule": crontab(hour=SHANZHI_REMINDER_HOUR, minute=SHANZHI_REMINDER_MINUTE),
    },
}
# Task modules below an app's top level, which autodiscovery does not reach.
CELERY_IMPORTS = ["reviews.followup.tasks", "villages.notifications.tasks"]

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
