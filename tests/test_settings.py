"""Settings refuse a start without a secret key outside debug, whatever the database."""

import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SQLITE = ""  # no DATABASE_URL: the SQLite file the demo uses
POSTGRES = "postgres://app:app@127.0.0.1:5432/app"  # django.setup() does not connect


def start(code: str = "import portal.wsgi", **variables: str) -> subprocess.CompletedProcess:
    """Start the WSGI application (what gunicorn serves), or run `code`, in a fresh interpreter with only
    these variables."""
    environment = {"DJANGO_SETTINGS_MODULE": "portal.settings", **{k: v for k, v in variables.items() if v}}
    return subprocess.run(
        # staticfiles/ exists only after collectstatic (as in pyproject's filterwarnings).
        [sys.executable, "-W", "ignore:No directory at:UserWarning", "-c", code],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(autouse=True)
def _no_env_file():
    # Settings read .env too; a developer's key there would make the refusal impossible to see.
    if (BASE_DIR / ".env").exists():
        pytest.skip(".env present: its values would mix with the environment under test")


@pytest.mark.parametrize("database_url", [SQLITE, POSTGRES], ids=["sqlite", "postgresql"])
def test_settings_refuse_to_start_without_a_key_outside_debug(database_url):
    result = start(DATABASE_URL=database_url)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: "
        "Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=true for development)."
    )


@pytest.mark.parametrize("database_url", [SQLITE, POSTGRES], ids=["sqlite", "postgresql"])
def test_settings_start_without_a_key_in_debug(database_url):
    result = start(DATABASE_URL=database_url, DJANGO_DEBUG="true")
    assert (result.returncode, result.stderr) == (0, "")


FIELD_KEYS = {
    "PORTAL_FIELD_KEYS": "dGVzdC1vbmx5LWZpZWxkLWtleS1ub3Qtc2VjcmV0ISE=",
    "PORTAL_BLIND_INDEX_KEY": "a-blind-index-key-for-this-test-only",
}


def test_settings_start_with_a_key_outside_debug():
    result = start(DJANGO_SECRET_KEY="a-key-for-this-test-only", **FIELD_KEYS)
    assert (result.returncode, result.stderr) == (0, "")


def test_the_served_application_freezes_what_it_loaded_out_of_the_collectors_reach():
    # The models and modules a worker loads live as long as it does; frozen, a full garbage collection
    # during a request no longer walks them (portal/wsgi.py).
    # And it collects the young objects every 10,000 new ones rather than every 700.
    code = (
        "import gc; n = gc.get_freeze_count(); import portal.wsgi; "
        "print(n, gc.get_freeze_count(), gc.get_threshold()[0])"
    )
    result = start(code, DJANGO_SECRET_KEY="a-key-for-this-test-only", **FIELD_KEYS)
    assert result.returncode == 0, result.stderr
    before, frozen, young = map(int, result.stdout.split())
    assert frozen - before > 50_000  # Django, the portal's apps and their models
    assert young == 10_000


@pytest.mark.parametrize("missing", sorted(FIELD_KEYS))
def test_settings_refuse_to_start_without_the_field_keys_outside_debug(missing):
    keys = {name: value for name, value in FIELD_KEYS.items() if name != missing}
    result = start(DJANGO_SECRET_KEY="a-key-for-this-test-only", **keys)
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"django.core.exceptions.ImproperlyConfigured: Set {missing}")
    )


def test_settings_refuse_a_field_key_that_is_not_a_fernet_key():
    result = start(DJANGO_SECRET_KEY="k", **{**FIELD_KEYS, "PORTAL_FIELD_KEYS": "not-a-key"})
    assert result.returncode == 1
    assert "PORTAL_FIELD_KEYS must be Fernet keys" in result.stderr


@pytest.mark.django_db
def test_the_portals_database_connections_run_without_the_jit_compiler_or_parallel_workers():
    """PostgreSQL's JIT compiled the dashboard's counts for longer than they ran, and starting parallel
    workers cost more than they saved (portal/settings.py)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def test_an_operators_own_session_option_is_kept():
    result = start(
        DJANGO_SECRET_KEY="k",
        DATABASE_URL="postgres://u:p@db/portal?options=-c%20max_parallel_workers_per_gather%3D4",
        **FIELD_KEYS,
        code="from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["-c", "max_parallel_workers_per_gather=4", "-c", "jit=off"]
