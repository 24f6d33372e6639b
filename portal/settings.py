"""Settings for the community grid-service portal, read from the environment through django-environ.

SQLite by default so the demo needs nothing; PostgreSQL through DATABASE_URL in tests and production.
"""

import warnings
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from common.storage import FILE_SYSTEM, object_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DJANGO_DEBUG=(bool, False),
    DJANGO_ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DJANGO_DEBUG")
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# With persistent connections (CONN_MAX_AGE in DATABASE_URL, as production and the bench use them), a
# connection broken by a database restart would fail the next request of every worker once, as a 500.
# Checked before its first use in each request, it is replaced instead (`make load MODE=restart`).
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
_LOCAL_SQLITE = "sqlite" in DATABASES["default"]["ENGINE"]
if _LOCAL_SQLITE:
    # Each transaction takes SQLite's write lock when it begins, so select_for_update (a no-op here)
    # is not needed: two workers pressing 接单 at once queue, and the second reads the case as taken
    # and is told so. With SQLite's default (deferred) the second failed with "database is locked"
    # when its read lock could not be upgraded. `timeout` is how long (seconds) a transaction waits.
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
    # A few indexes carry extra columns so PostgreSQL answers the dashboard's counts from the index alone
    # (cases.models._INDEX_COLUMNS); SQLite builds them without those columns, which is all the demo needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# A streaming replica of the primary (PostgreSQL): the leaders' dashboard, the monthly report and exports
# read from it, everything else from the primary (common.replica). Tests that do not start one of their own
# use the primary under this name (MIRROR), so a configured replica does not break the suite.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL") | {"TEST": {"MIRROR": "default"}}
    DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]

# PostgreSQL's JIT compiler is off for the portal's connections. It compiles any query whose estimated
# cost passes jit_above_cost, and the dashboard's grouped counts over a street's cases passed it: at
# 50,000 households 54 ms of its 65 ms went to compiling, more at a city's size, where estimates grow.
# Every query here runs in milliseconds, far below what compiling could win back. An operator's own
# `options` in the URL are kept; one that names jit decides.
#
# Nor does a query start parallel workers. Starting them cost more than they saved on the portal's
# queries: measured at 500,000 households (a page's queries run and timed, median of seven), the street
# dashboard 292 -> 258 ms without them, the case list 39 -> 25, the others tried the same; only the
# workload's scan of a street's month of visits gained from them, and the workload now reads stored
# counts instead (visits.models.VisitTally). Under load each request has its core, and workers would take
# others' cores. Again an operator's option wins.
_SESSION_SETTINGS = {"jit": "off", "max_parallel_workers_per_gather": "0"}
for _alias in DATABASES.values():
    if "postgresql" in _alias["ENGINE"]:
        _options = _alias.setdefault("OPTIONS", {})
        for _name, _value in _SESSION_SETTINGS.items():
            if _name not in _options.get("options", ""):
                _options["options"] = f"{_options.get('options', '')} -c {_name}={_value}".strip()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
# Outside debug there is no fallback key: serving refuses to start without one (portal.wsgi and
# runserver, through require_secret_key), on SQLite as on PostgreSQL. Commands that serve nobody
# (migrate, makemigrations) still run.
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-key-only-for-debug-runs"  # noqa: S105


# ID numbers and phones are stored encrypted (common.crypto): PORTAL_FIELD_KEYS holds Fernet keys,
# comma-separated, the first encrypting and all decrypting (rotation: put a new key first, run
# `manage.py rotate_field_keys`, then drop the old key); PORTAL_BLIND_INDEX_KEY keys the hashes that find
# and hold unique the encrypted values. Debug runs fall back to these published keys, like the secret key;
# outside debug there is no fallback and serving refuses to start without them.
LOCAL_FIELD_KEY = "bG9jYWwtZGVtby1maWVsZC1rZXktbm90LXNlY3JldCE="  # noqa: S105 (published on purpose)
LOCAL_BLIND_INDEX_KEY = "local-demo-blind-index-key-published-not-secret"  # noqa: S105
FIELD_ENCRYPTION_KEYS = env.list("PORTAL_FIELD_KEYS", default=[LOCAL_FIELD_KEY] if DEBUG else [])
BLIND_INDEX_KEY = env("PORTAL_BLIND_INDEX_KEY", default=LOCAL_BLIND_INDEX_KEY if DEBUG else "")


def require_secret_key() -> None:
    """Refuse to serve without a secret key or the field keys: any start without debug may be serving
    real people."""
    if not SECRET_KEY:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=true for development).")
    from common.crypto import check_keys

    check_keys()


ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "pgtrigger",
    "pghistory",
    # ninja: its docs page's own static files (else it loads them from a CDN); the tasks' database queue.
    "ninja",
    "django_tasks_db",
    "common",
    "portal",
    "grids",
    "shops",
    "residents",
    "volunteers",
    "visits",
    "cases",
    "projects",
    "public",
    "notifications",
    "hotline",
    "dashboard",
    "accounts",
    "audit",
    "tooling",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "portal.middleware.NoStoreForUsersMiddleware",
    # The request's user and URL reach the audit triggers of every write (django-pghistory).
    "audit.middleware.HistoryMiddleware",
    # A logged-in user refused a record (403/404) is recorded in the audit store.
    "audit.middleware.RefusedAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into accounts.views.locked_out's page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "portal.context_processors.menu",
            ],
        },
    },
]


# --- signing in (accounts/) ----------------------------------------------------------------------------
# A new password: not like the username or name, at least 10 characters, not common, not all digits.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes first: it refuses a locked-out sign-in before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# 5 failures for one username from one address lock that pair for 15 minutes after the fifth. Keyed on
# the pair: a whole office behind one NAT address is not locked out by one person. Tries while locked
# are refused without extending the lock, so "try again in 15 minutes" holds and a colleague cannot
# keep someone locked out. The admin unlocks by deleting the attempt (Axes → Access attempts).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# Failures are counted in the database, so a lockout holds on every app server (never a process's cache).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Behind a reverse proxy every request comes from the proxy's address: name how many proxies set
# X-Forwarded-For (the README's deployment has one), so the lockout keys on the client's address.
PORTAL_TRUSTED_PROXIES = env.int("PORTAL_TRUSTED_PROXIES", default=0)
if PORTAL_TRUSTED_PROXIES:
    AXES_IPWARE_PROXY_COUNT = PORTAL_TRUSTED_PROXIES
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# Logged out after 30 minutes without a request, and 12 hours after signing in whatever the activity
# (accounts.middleware.SessionLifetimeMiddleware); the cookie ends with the browser (shared office PCs).
PORTAL_SESSION_IDLE_SECONDS = 30 * 60
PORTAL_SESSION_MAX_SECONDS = 12 * 60 * 60
SESSION_COOKIE_AGE = PORTAL_SESSION_MAX_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# A second factor (TOTP, with single-use backup codes) for whoever may see or export full values and
# for the admin (accounts.permissions.second_factor_required). `make demo` turns the requirement off so
# its accounts sign in with the password alone; anyone may still enrol from 账户安全.
PORTAL_OTP_REQUIRED = env.bool("PORTAL_OTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = "社区网格化服务平台"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Attachments (every photo) go to S3-compatible object storage when a bucket is named, so that every app
# server reads what any of them stored; else to files under MEDIA_ROOT (one server, the demo, the tests).
# Private either way: served only through the portal's scoped views, never by URL (common/storage.py).
_S3_BUCKET = env("PORTAL_S3_BUCKET", default="")
STORAGES = {
    "default": object_storage(
        bucket=_S3_BUCKET,
        endpoint_url=env("PORTAL_S3_ENDPOINT_URL", default=""),
        access_key_id=env("PORTAL_S3_ACCESS_KEY_ID", default=""),
        secret_access_key=env("PORTAL_S3_SECRET_ACCESS_KEY", default=""),
        region=env("PORTAL_S3_REGION", default=""),
        addressing_style=env("PORTAL_S3_ADDRESSING_STYLE", default=""),
    )
    if _S3_BUCKET
    else FILE_SYSTEM,
    "staticfiles": {
        "BACKEND": env(
            "DJANGO_STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and not _LOCAL_SQLITE
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# Where the file system storage keeps photos when no bucket is named.
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Sessions, and the messages kept in them, are rows in the database: any app server serves any request.
# Nothing else is kept in a process either: no cache is used, and lockouts (django-axes' database handler)
# and throttles count rows in the database.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# HTTPS: off by default so the demo runs on http://127.0.0.1; the README's production settings turn
# every one on, and `manage.py check --deploy` is clean with them (tests/test_security_headers.py).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Behind the TLS-terminating proxy the README describes, which sets X-Forwarded-Proto (and strips
# it from what clients send): without it every request looks like plain HTTP to the redirect.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The load balancer probes the app servers over plain HTTP, past the TLS proxy: the health endpoints answer
# it there instead of redirecting it to HTTPS (they say nothing but ok or unavailable).
SECURE_REDIRECT_EXEMPT = [r"^health/"]

# Content-Security-Policy (Django's own middleware): scripts, styles, images and fonts from this site
# only; no inline script or style in our templates (tests/test_security_headers.py scans them), no
# eval (htmx is configured without it in base.html). The nonce is for the Django admin's few inline
# tags, which carry it; a page that uses none gets no nonce in its header.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],  # Bootstrap draws its icons (select arrows, checks) as data: SVG
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Uploaded ledgers are read in memory; a district ledger of tens of thousands of rows stays well under this.
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Every handler masks ID numbers and phones and withholds exception values (common.logging). Django's
# own loggers are configured here too: its defaults print through handlers without the filter, and
# mail the admins each error with the request's POST data. `django` passes its records to the root's
# handler; `django.server` (runserver's request lines, which carry query strings) keeps its format.
_LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "common.logging.PersonalDataFilter"}},
    "formatters": {
        "message": {"format": "{message}", "style": "{"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]},
        "json_lines": {
            "class": "logging.StreamHandler",
            "formatter": "message",
            "filters": ["personal_data"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": _LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # One JSON line per request (portal.middleware.RequestLogMiddleware, on with PORTAL_JSON_LOGS).
        "portal.requests": {"handlers": ["json_lines"], "level": "INFO", "propagate": False},
    },
}

# Without collectstatic (the demo, the tests) whitenoise serves straight from static/, and
# staticfiles/ not existing yet is expected rather than worth a warning.
WHITENOISE_USE_FINDERS = "Manifest" not in STORAGES["staticfiles"]["BACKEND"]
if WHITENOISE_USE_FINDERS:
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

# The benchmark reads server time and query counts from response headers; off unless asked for.
PORTAL_TIMING_HEADERS = env.bool("PORTAL_TIMING_HEADERS", default=False)
if PORTAL_TIMING_HEADERS:
    MIDDLEWARE.insert(0, "portal.middleware.ServerTimingMiddleware")
# A JSON line per request (time, status, user id, query count; no query string, no names) on the logger
# `portal.requests`, for production's log collector; off in the demo and the tests unless asked for. First
# in MIDDLEWARE, so the time and the queries cover every other middleware.
PORTAL_JSON_LOGS = env.bool("PORTAL_JSON_LOGS", default=False)
if PORTAL_JSON_LOGS:
    MIDDLEWARE.insert(0, "portal.middleware.RequestLogMiddleware")

FORM_RENDERER = "common.forms.PortalFormRenderer"

# Background work (the updates sent back to the 12345 platform, hotline/tasks.py): a queue in the database,
# worked by `manage.py db_worker` (`make demo` starts one beside the server; README for production).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The 12345 platform's API: calls a key may make in a minute, counted from the recorded calls (so the
# limit holds across the server's processes).
HOTLINE_CALLS_PER_MINUTE = env.int("HOTLINE_CALLS_PER_MINUTE", default=120)
# /health/worker/ answers 503 once a task has been ready this many seconds without a worker taking it
# (portal.health.worker_keeping_up; a running worker takes one within a second).
PORTAL_HEALTH_WORKER_MAX_AGE = env.int("PORTAL_HEALTH_WORKER_MAX_AGE", default=300)
