"""Settings for the community grid-service portal, read from the environment through django-environ.

SQLite by default so the demo needs nothing; PostgreSQL through DATABASE_URL in tests and production.
"""

import warnings
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
_LOCAL_SQLITE = "sqlite" in DATABASES["default"]["ENGINE"]

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
    "common",
    "portal",
    "grids",
    "residents",
    "visits",
    "cases",
    "dashboard",
    "tooling",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]


AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "DJANGO_STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and not _LOCAL_SQLITE
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# Case photos: served only through cases.views.attachment (scoped to the user's grids), never by URL.
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
if env.bool("DJANGO_SECURE_COOKIES", default=False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Uploaded ledgers are read in memory; a district ledger of tens of thousands of rows stays well under this.
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="WARNING")},
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

FORM_RENDERER = "common.forms.PortalFormRenderer"
